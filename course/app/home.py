"""The course home: sign in, then every module with its status and score, "continue where you
left off", and the certificate link once every required module is passed.

Signing in issues a session token; the page's address then carries it (the theme's script
rewrites the address, so a reload keeps the learner signed in) and so does every link to a
module. With JupyterHub the hub has signed the learner in already.
"""

from __future__ import annotations

from html import escape
from urllib.parse import urlencode

import ipywidgets as widgets
from ipywidgets.widgets.widget_string import HTMLStyle

from course.app import status as st
from course.app.help import help_link_html
from course.app.module import home_link, module_link
from course.app.signin import CodeAccepted, SignInError, choose_secret, roster_in_use, sign_in, sign_in_with_secret
from course.content.model import Course
from course.kernel.runtime import guarded, log
from course.records import identity
from course.records import signin_tokens as sessions
from course.records.store import Store, StoreError
from course.widgets.cards import FOCUS
from course.widgets.style import css

CERTIFICATE_PAGE = "certificate.ipynb"  # course.app.certificate

STATE_LABEL = {
    st.NOT_STARTED: ("○", "Not started"),
    st.IN_PROGRESS: ("◐", "In progress"),
    st.BEING_MARKED: ("…", "Being marked"),
    st.PASSED: ("✓", "Passed"),
    st.NEEDS_REVIEW: ("⚑", "Waiting for review"),
    st.FAILED: ("✗", "Not passed yet"),
    st.DUE_AGAIN: ("↻", "Due again"),
}


def certificate_link(token: str | None) -> tuple[str, str]:
    """(address, link text) of the learner's certificate page."""
    href = CERTIFICATE_PAGE + (f"?{urlencode({'token': token})}" if token else "")
    return href, "Your certificate"


def _date(value) -> str:
    return f"{value.day} {value:%B %Y}"


def status_line(s: st.ModuleStatus) -> str:
    if s.state == st.NOT_STARTED:
        return f"{s.total} scenarios"
    if s.state == st.IN_PROGRESS:
        return f"{s.answered} of {s.total} answered"
    if s.state == st.BEING_MARKED:
        return "Your answers are with the marker; your mark shows here once it is ready"
    if s.state == st.NEEDS_REVIEW:
        return "A trainer will check this mark before it counts"
    if s.attended:
        return "Trainer-led session attended" + (f" · renew by {_date(s.renew_by)}" if s.renew_by else "")
    score = f"Score {s.percent}%"
    if s.state == st.PASSED and s.renew_by:
        return f"{score} · renew by {_date(s.renew_by)}"
    if s.state == st.FAILED and s.reason:  # a critical item scored 0: the score is not why
        return f"{score} · {s.reason}"
    if s.state == st.FAILED:
        return f"{score} · pass mark {round(100 * s.module.pass_mark)}%"
    if s.state == st.DUE_AGAIN:
        return f"{score} · {s.reason}"
    return score


LOCKED_LABEL = ("🔒", "Not open yet")  # a module waiting for others (course.progress.waiting_for)


def modules_html(statuses: list[st.ModuleStatus], token: str | None) -> str:
    items = []
    for s in statuses:
        if s.locked:  # no link: its page would only say "not yet" (and checks that itself)
            (symbol, label), slug, detail = LOCKED_LABEL, "locked", st.waiting_reason(s)
            title = escape(s.module.title)
        else:
            (symbol, label), slug, detail = STATE_LABEL[s.state], s.state.replace(" ", "-"), status_line(s)
            title = f'<a href="{escape(module_link(s.module.id, token))}">{escape(s.module.title)}</a>'
        items.append(
            f'<li class="cm-module cm-module--{slug}">'
            f'<h3 class="cm-module__title">{title}</h3>'
            f'<p class="cm-module__meta">About {s.module.minutes} minutes</p>'
            f'<p class="cm-module__status"><span class="cm-badge cm-badge--{slug}"><span aria-hidden="true">{symbol}</span> '
            f'{label}</span> <span class="cm-module__detail">{escape(detail)}</span></p></li>'
        )
    return (
        f'<section class="cm-modules-section" aria-labelledby="cm-modules-h"><h2 id="cm-modules-h">Your modules</h2>'
        f'<ol class="cm-modules">{"".join(items)}</ol></section>'
    )


def continue_html(statuses: list[st.ModuleStatus], token: str | None) -> str:
    step = st.next_step(statuses)
    if step is None:
        return ""
    if step.state == st.IN_PROGRESS:
        heading, action = "Continue where you left off", f"Continue: {step.module.title}"
        detail = f"You have answered {step.answered} of {step.total} scenarios."
    elif step.state == st.NOT_STARTED and all(s.state == st.NOT_STARTED for s in statuses):
        heading, action, detail = "Start the course", f"Start: {step.module.title}", "Begin with the first module."
    else:
        heading, action = (
            "Your next module",
            f"{'Start again' if step.state != st.NOT_STARTED else 'Start'}: {step.module.title}",
        )
        detail = step.reason if step.state in (st.DUE_AGAIN, st.FAILED) else ""
    detail_html = f"<p>{escape(detail)}</p>" if detail else ""
    return (
        f'<section class="cm-continue" aria-labelledby="cm-continue-h"><h2 id="cm-continue-h">{escape(heading)}</h2>'
        f'{detail_html}<p><a class="cm-button cm-button--primary" href="{escape(module_link(step.module.id, token))}">'
        f"{escape(action)}</a></p></section>"
    )


def certificate_html(ready: bool, token: str | None, every_module: bool = True) -> str:
    """The certificate link, when the progress rule says the learner's completion is in date
    (`every_module`: every module counts as passed now; else an earlier completion stands)."""
    if not ready:
        return ""
    href, text = certificate_link(token)
    heading = "You have passed every module" if every_module else "Your certificate is still current"
    return (
        f'<section class="cm-certificate" aria-labelledby="cm-cert-h"><h2 id="cm-cert-h">{heading}</h2>'
        f'<p>Well done. <a class="cm-button cm-button--primary" href="{escape(href)}">{escape(text)}</a></p></section>'
    )


class HomeApp(widgets.VBox):
    def __init__(
        self,
        course: Course,
        store: Store,
        *,
        learner_id: str | None = None,
        token: str | None = None,
        hub: bool = False,
        expired: bool = False,
        source: str = "",
        prefill: dict[str, str] | None = None,
    ):
        self.course, self.store = course, store
        self.learner_id, self.token, self.hub = learner_id, token, hub
        # the client's address as the server saw it (rate limits), and what a letter's QR code put in the address
        self.source, self.prefill = source, dict(prefill or {})
        self.accepted: CodeAccepted | None = None  # a right code, waiting for the PIN or passphrase
        # parts whose layout and style never change share one of each: fewer models for the page to load
        self._layout, self._html_style = widgets.Layout(), HTMLStyle()
        self._shared = {"layout": self._layout, "style": self._html_style}
        self.body = widgets.VBox(layout=self._layout)
        self.error = widgets.HTML(f"<style>{css()}</style>", **self._shared)  # the widgets' stylesheet, and any error
        super().__init__([self.body, self.error], layout=self._layout)
        self.add_class("cm-root")
        self.add_class("cm-app")
        self.add_class("cm-home-app")
        if learner_id:
            self.show_course(focus=False)
        else:
            self.show_sign_in(
                notice="Your sign-in has ended. Please sign in again." if expired else "", clear_address=expired
            )

    # --- signed out ---------------------------------------------------------------------
    def _field(self, cls, description: str, placeholder: str, value: str = "", key: str = ""):
        """A form field with its own error line under it (`self.field_errors[key]`). The field's
        class `cm-field--<key>` and the error's id `cm-error-<key>` let the theme's script tie the
        two (aria-describedby, aria-invalid) while the error shows."""
        field = cls(
            description=description,
            placeholder=placeholder,
            value=value,
            continuous_update=False,  # the value is sent on Enter or when the field loses focus
            style={"description_width": "initial"},
        )
        field.add_class("cm-field")
        if key:
            field.add_class(f"cm-field--{key}")
            self.field_errors[key] = widgets.HTML("", **self._shared)
            self.field_errors[key].add_class("cm-field-error-box")
        return field

    def _with_errors(self, fields: list[widgets.Widget]) -> list[widgets.Widget]:
        """Each field followed by its error line."""
        out: list[widgets.Widget] = []
        for field in fields:
            out.append(field)
            key = next((c[len("cm-field--") :] for c in field._dom_classes if c.startswith("cm-field--")), "")
            if key in self.field_errors:
                out.append(self.field_errors[key])
        return out

    def _button(self, text: str, action) -> widgets.Button:
        button = widgets.Button(description=text, button_style="primary", tooltip=text)
        button.add_class("cm-btn")
        button.add_class("cm-submit")  # what Enter (or a phone's Go) presses, from any field of the form
        button.on_click(guarded(self._show_error)(lambda _b: action()))
        return button

    def _form(self, intro: widgets.Widget, fields: list[widgets.Widget], button: widgets.Button) -> widgets.VBox:
        # the error summary (role=alert) sits at the top of the form, under its heading
        self.sign_in_message = widgets.HTML("", **self._shared)
        form = widgets.VBox([intro, self.sign_in_message, *self._with_errors(fields), button], layout=self._layout)
        form.add_class("cm-signin")
        form.add_class("cm-enter-submits")
        return form

    def show_problems(self, problems: dict[str, str]) -> None:
        """The summary at the top of the form (focused, read out) and each message beside its
        field; a problem about no one field (NO_MATCH) shows in the summary only."""
        for key, box in self.field_errors.items():
            message = problems.get(key, "")
            box.value = field_error_html(key, message) if message else ""
        self.sign_in_message.value = error_summary_html(list(problems.values())) if problems else ""

    def show_sign_in(self, notice: str = "", clear_address: bool = False, focus: bool = False) -> None:
        self.accepted = None
        self.field_errors: dict[str, widgets.HTML] = {}
        self.roster = roster_in_use(self.store)
        url = ' <span hidden data-cm-url="home.ipynb"></span>' if clear_address or self.prefill else ""
        if self.roster:
            how = (
                "<h2>Sign in</h2><p>Use your staff number and your PIN or passphrase. The first time, use the "
                "sign-in code from the letter your manager gave you: you then choose your own PIN or passphrase.</p>"
            )
        else:
            how = (
                "<h2>Sign in</h2><p>Use your name and your staff number, so your answers are kept together "
                "and you can carry on where you left off.</p>"
            )
        intro_html = (
            help_nav_html(None)
            + f'<h1 data-cm-title="Sign in - Social media course"{FOCUS if focus else ""}>Welcome to the course</h1>'
            + (f'<p class="cm-notice" role="status">{escape(notice)}</p>' if notice else "")
            + "<p>Learn to use social media safely at work: keep information private, keep professional "
            f"boundaries and protect yourself.</p>{how}{url}"
        )
        intro = widgets.HTML(intro_html, **self._shared)
        self.staff_number = self._field(
            widgets.Text,
            "Staff number",
            "For example, 40123",
            self.prefill.get("staff", "")[:30],
            key=identity.STAFF_NUMBER_FIELD,
        )
        fields: list[widgets.Widget]
        if self.roster:
            self.secret = self._field(
                widgets.Password,
                "Sign-in code, PIN or passphrase",
                "",
                self.prefill.get("code", "")[:20],
                key=identity.SECRET_FIELD,
            )
            fields = [self.staff_number, self.secret]
        else:
            self.name = self._field(widgets.Text, "Your name", "For example, Sam Taylor", key=identity.NAME_FIELD)
            fields = [self.name, self.staff_number]
        self.prefill = {}  # used once: signing out does not put the code back
        self.sign_in_button = self._button("Sign in", self.submit)
        self.body.children = (self._form(intro, fields, self.sign_in_button),)

    def submit(self, name: str | None = None, staff_number: str | None = None, secret: str | None = None) -> bool:
        """Sign in with what is in the form (or the given values); True when signed in (or, with
        a sign-in code, when the page now asks for a new PIN or passphrase)."""
        number = self.staff_number.value if staff_number is None else staff_number
        try:
            if self.roster:
                typed = self.secret.value if secret is None else secret
                self.secret.value = ""  # never left in the box, nor in the page's copy of it
                result = sign_in_with_secret(self.store, number, typed, source=self.source)
                if isinstance(result, CodeAccepted):
                    self.show_choose_secret(result)
                    return True
                signed = result
            else:
                signed = sign_in(self.store, self.name.value if name is None else name, number)
        except SignInError as exc:
            self.show_problems(exc.problems)
            return False
        except StoreError:
            log.exception("sign-in could not be saved")
            self.show_problems(
                {"": "We could not sign you in just now. Please try again in a minute, or tell your trainer."}
            )
            return False
        self._signed_in(signed)
        return True

    def show_choose_secret(self, accepted: CodeAccepted) -> None:
        """After a right sign-in code: choose the PIN or passphrase for next time."""
        self.accepted = accepted
        intro = widgets.HTML(
            f'<h1 data-cm-title="Choose your PIN - Social media course"{FOCUS}>Choose your PIN or passphrase</h1>'
            f"<p>Hello, {escape(accepted.name)}. Your sign-in code works once. Choose what you will sign in "
            "with from now on: a PIN of at least 6 digits, or a passphrase of at least 10 characters "
            "(a few words are easy to remember). Do not use one you use anywhere else.</p>",
            **self._shared,
        )
        self.field_errors = {}
        self.new_secret = self._field(widgets.Password, "New PIN or passphrase", "", key=identity.SECRET_FIELD)
        self.new_secret_again = self._field(widgets.Password, "Type it again", "", key=identity.SECRET_AGAIN_FIELD)
        self.choose_button = self._button("Save and sign in", self.save_secret)
        self.body.children = (self._form(intro, [self.new_secret, self.new_secret_again], self.choose_button),)

    def save_secret(self, secret: str | None = None, again: str | None = None) -> bool:
        accepted = self.accepted
        if accepted is None:  # only after a right code: a message from the page cannot skip it
            return False
        first = self.new_secret.value if secret is None else secret
        second = self.new_secret_again.value if again is None else again
        self.new_secret.value = self.new_secret_again.value = ""
        try:
            signed = choose_secret(self.store, accepted, first, second)
        except SignInError as exc:
            self.show_problems(exc.problems)
            return False
        except StoreError:
            log.exception("a new secret could not be saved")
            self.show_problems(
                {"": "We could not save that just now. Please try again in a minute, or tell your trainer."}
            )
            return False
        self.accepted = None
        self._signed_in(signed)
        return True

    def _signed_in(self, signed) -> None:
        log.info("learner signed in")
        self.learner_id, self.token = signed.learner_id, signed.token
        self.show_course(focus=True, set_address=True)

    # --- signed in ----------------------------------------------------------------------
    def show_course(self, focus: bool = False, set_address: bool = False) -> None:
        learner_id = self.learner_id
        assert learner_id  # shown only once signed in: __init__ with a learner, or sign_in() that set one
        known = self.store.learner(learner_id) or {}
        name = known.get("name") or learner_id
        evaluation = st.evaluation_for(self.store, self.course, learner_id)
        statuses = st.course_status(self.store, self.course, learner_id, evaluation=evaluation)
        ready = evaluation.certificate_ready(learner_id)
        person = evaluation.person(learner_id)
        every = person is not None and bool(person["current_completion"])
        address = ""
        if set_address and self.token:
            address = f'<span hidden data-cm-url="{escape(home_link(self.token))}"></span>'
        who = (
            f"Signed in as <strong>{escape(name)}</strong>"
            + (f" (staff number {escape(known['staff_number'])})" if known.get("staff_number") else "")
            + "."
        )
        html = (
            f'{help_nav_html(self.token)}<h1 data-cm-title="Your course - Social media course"{FOCUS if focus else ""}>Hello, {escape(name)}</h1>'
            f'<p class="cm-status">{who}</p>{address}'
            f"{certificate_html(ready, self.token, every)}"
            f"{continue_html(statuses, self.token)}{modules_html(statuses, self.token)}"
        )
        self.course_html = widgets.HTML(html, **self._shared)
        children = [self.course_html]
        if not self.hub:
            self.sign_out_button = widgets.Button(description="Sign out", tooltip="Sign out of the course")
            self.sign_out_button.add_class("cm-btn")
            self.sign_out_button.on_click(guarded(self._show_error)(lambda _b: self.sign_out()))
            children.append(self.sign_out_button)
        self.body.children = tuple(children)
        self.statuses = statuses

    def sign_out(self) -> None:
        if self.token:
            sessions.revoke(self.store, self.token)
        self.learner_id, self.token = None, None
        self.show_sign_in(notice="You have signed out.", clear_address=True, focus=True)

    def _show_error(self) -> None:
        self.error.value = f"<style>{css()}</style>" + focus_alert(
            "Something went wrong. Please reload the page; if it happens again, tell your trainer."
        )


JOIN_PAGE = "join.ipynb"  # course.live.join_app: a group session, joined signed in


def join_link_html(token: str) -> str:
    """Join a trainer-led session signed in: the sign-in token travels as it does to module pages,
    so the trainer can confirm this learner's attendance (course.live.core.join)."""
    href = f"{JOIN_PAGE}?{urlencode({'token': token})}"
    return f' <a class="cm-help-link" href="{escape(href)}">Join a group session</a>'


def help_nav_html(token: str | None) -> str:
    """ "Where to get help", first on the home page whether signed in or not: help needs no sign-in.
    Signed in, also the way into a group session as yourself."""
    join = join_link_html(token) if token else ""
    return f'<nav class="cm-crumbs" aria-label="Help">{help_link_html(token)}{join}</nav>'


def field_error_html(key: str, message: str) -> str:
    """A field's error line: its id is the one the field's input is described by (course.js)."""
    return (
        f'<p class="cm-field-error" id="cm-error-{escape(key)}"><span class="cm-sr">Error: </span>{escape(message)}</p>'
    )


def error_summary_html(messages: list[str]) -> str:
    """The form's error summary, read out and focused when it appears; each message is also shown
    beside its field (field_error_html)."""
    if len(messages) == 1:
        return focus_alert(messages[0])
    items = "".join(f"<li>{escape(m)}</li>" for m in messages)
    return (
        f'<div class="cm-status cm-status--error cm-error-summary" role="alert"{FOCUS}>'
        f"<p><strong>Please check these details:</strong></p><ul>{items}</ul></div>"
    )


def focus_alert(text: str) -> str:
    return f'<p class="cm-status cm-status--error" role="alert"{FOCUS}>{escape(text)}</p>'
