"""The join app (Voila, phone-sized): enter the code, optionally a name, then vote.

The page follows the trainer by polling the session in the records store (every 0.4 s): a
new scenario appears, voting closes and the answer shows when the trainer reveals it. A vote
can change until then. The server issues the page one voter token on Join (only its hash is
stored, in `live_voters` and with the vote); the page puts it in its own address so a reload
carries on with the same vote instead of counting twice. A token the server did not issue for
this session (a forged address) is not taken, and pressing Join again (a stale button clicked
over the websocket) keeps the page's token: one device, one voter.

A learner who opens the page signed in (the sign-in token in its address, as for module
pages, or the hub user) joins as themselves: their attendance is listed to the trainer to
confirm, and they have one voter token for the session however many tabs they open. A typed
name only records attendance that never counts toward anyone's completion; it is never
stored with a vote.
"""

from __future__ import annotations

from html import escape
from urllib.parse import urlencode

import ipywidgets as widgets

from course.content.model import Course
from course.kernel.runtime import Poller, guarded, log
from course.live import core
from course.live.phone import CANNOT_SHOW_HTML, LOBBY_HTML, PICK_FIRST, PRIVACY, voted_html
from course.live.summary import letter, room_scenario, session_title
from course.live.views import ballot_card_html, reveal_html, tally_html
from course.records.store import Store, StoreError
from course.widgets.cards import FOCUS, feedback_html, focus_here
from course.widgets.style import style_widget

POLL_SECONDS = 0.4
WRONG = "Something went wrong. Please reload the page; your vote so far is kept."
STORE_TROUBLE = "We are having trouble keeping up with the session. The page will catch up by itself."


def _button(label: str, primary: bool = False, tooltip: str = "") -> widgets.Button:
    button = widgets.Button(description=label, button_style="primary" if primary else "", tooltip=tooltip or label)
    button.add_class("cm-btn")
    return button


def alert_html(text: str) -> str:
    return f'<p class="cm-status cm-status--error" role="alert"{FOCUS}>{escape(text)}</p>'


def join_link(code: str, voter: str | None = None, token: str | None = None) -> str:
    return "join.ipynb?" + urlencode(
        {"code": code, **({"voter": voter} if voter and not token else {}), **({"token": token} if token else {})}
    )


class JoinApp(widgets.VBox):
    def __init__(
        self,
        course: Course,
        store: Store,
        *,
        code: str = "",
        voter: str | None = None,
        token: str | None = None,
        poll_seconds: float = POLL_SECONDS,
    ):
        self.course, self.store = course, store
        self.token = token  # the learner's sign-in token, from the page's address
        self.learner_id = self._signed_in()
        self.learner_name = ""
        if self.learner_id:
            known = store.learner(self.learner_id) or {}
            self.learner_name = known.get("name") or self.learner_id
        self.session: core.LiveSession | None = None
        self.voter: str | None = None
        self.join_message = widgets.HTML("")
        self.view_key: tuple[object, ...] | None = None
        self.poller = Poller(self._read, self._apply, interval=poll_seconds, on_trouble=self._trouble, name="join")
        self.notice = widgets.HTML("")
        self.body = widgets.VBox()
        self.error = widgets.HTML("")
        super().__init__([style_widget(), self.notice, self.body, self.error])
        for name in ("cm-root", "cm-app", "cm-live-app", "cm-join-app"):
            self.add_class(name)
        code = core.normalise_code(code)
        if code and voter and core.VOTER_TOKEN.match(voter) and not self.learner_id:
            try:  # a reload: carry on with the same voter token (and so the same vote)
                session = core.find_session(store, code)
            except core.LiveError as exc:
                self.show_code_form(notice=str(exc), code="")
                return
            if core.voter_issued(store, session.id, voter):  # only a token the server issued here
                self.session, self.voter = session, voter
                self.show_live()
                return
            log.info("a join page came with a voter token not issued for its session")
        if code:
            try:
                self.show_join_form(core.find_session(store, code))
            except core.LiveError as exc:
                self.show_code_form(notice=str(exc), code=code)
            return
        self.show_code_form()

    # --- joining --------------------------------------------------------------------------------------
    def _signed_in(self) -> str | None:
        """The learner signed in to this page now (the hub user, else the sign-in token's owner)."""
        from course.records import identity, signin_tokens

        hub = identity.hub_user()
        if hub:
            return identity.check_learner_id(hub)
        return signin_tokens.learner_for(self.store, self.token) if self.token else None

    def _details(self) -> list[widgets.Widget]:
        if self.learner_id:  # signed in: no details to type; the fields exist for submit() only
            self.name, self.staff_number = widgets.Text(), widgets.Text()
            return [
                widgets.HTML(
                    f'<p class="cm-status">Signed in as <strong>{escape(self.learner_name)}</strong>. The trainer '
                    "will confirm who was in the room; your votes stay anonymous.</p>"
                )
            ]
        self.name = widgets.Text(
            description="Your name (optional)",
            placeholder="For example, Sam Taylor",
            style={"description_width": "initial"},
        )
        self.staff_number = widgets.Text(
            description="Staff number (optional)",
            placeholder="For example, 40123",
            style={"description_width": "initial"},
        )
        for field in (self.name, self.staff_number):
            field.add_class("cm-field")
        return [self.name, self.staff_number]

    def show_code_form(self, notice: str = "", code: str = "") -> None:
        self.session = None
        head = widgets.HTML(
            '<h1 data-cm-title="Join a group session - Social media course">Join a group session</h1>'
            + (alert_html(notice) if notice else "")
            + "<p>Enter the code on the trainer's screen.</p>"
        )
        self.code = widgets.Text(
            value=code,
            description="Session code",
            placeholder="For example, ABC 234",
            style={"description_width": "initial"},
        )
        self.code.add_class("cm-field")
        self._form(head, [self.code, *self._details()])

    def show_join_form(self, session: core.LiveSession) -> None:
        self.session = session
        self.code = None
        head = widgets.HTML(
            f'<h1 data-cm-title="Join a group session - Social media course">Join the group session</h1>'
            f'<p class="cm-live-session-name">{escape(session_title(self.course, session))} · '
            f"code {escape(session.display_code)}</p>"
        )
        self._form(head, self._details())

    def _form(self, head: widgets.HTML, fields: list[widgets.Widget]) -> None:
        self.join_button = _button("Join", primary=True, tooltip="Join the session")
        self.join_button.on_click(guarded(self._show_error)(lambda _b: self.submit()))
        self.join_message = widgets.HTML("")
        note = widgets.HTML(f'<p class="cm-live-privacy">{escape(PRIVACY)}</p>')
        form = widgets.VBox([head, *fields, note, self.join_button, self.join_message])
        form.add_class("cm-live-form")
        self.body.children = (form,)

    def submit(self, code: str | None = None, name: str | None = None, staff_number: str | None = None) -> bool:
        """Join with what is in the form (or the given values). True when joined."""
        if code is None:
            if self.code is not None:
                code = self.code.value
            else:
                assert self.session is not None  # show_join_form() sets the session when it shows no code field
                code = self.session.code
        learner_id = None
        if self.learner_id:
            learner_id = self._signed_in()  # checked again: a signed-out page joins as nobody
            if learner_id != self.learner_id:
                self.join_message.value = alert_html(
                    "Your sign-in has ended. Sign in again on the course home, then open this page from there."
                )
                return False
        # pressing Join again (the button is still in the kernel after the page moved on) keeps
        # this page's voter token: the server mints at most one per page
        mine = self.voter if self.session is not None and core.normalise_code(code) == self.session.code else None
        try:
            joined = core.join(
                self.store,
                code,
                self.name.value if name is None else name,
                self.staff_number.value if staff_number is None else staff_number,
                learner_id=learner_id,
                voter_token=mine,
            )
        except core.LiveError as exc:
            self.join_message.value = alert_html(str(exc))
            return False
        except StoreError:
            log.exception("could not join a session")
            self.join_message.value = alert_html("We could not join you just now. Please try again in a minute.")
            return False
        self.session, self.voter = joined.session, joined.voter_token
        self.show_live(joined=True, named=joined.named)
        return True

    # --- taking part ----------------------------------------------------------------------------------
    def _joined(self) -> tuple[core.LiveSession, str]:
        """The session and this page's voter token. Joining (or a reload with both) sets them
        together before the live view, its poller and its ballot exist; the code form clears the
        session only before any of those."""
        assert self.session is not None and self.voter is not None
        return self.session, self.voter

    def show_live(self, joined: bool = False, named: bool = False) -> None:
        session, voter = self._joined()
        # the address now carries the code and this page's voter token: a reload keeps the same vote
        address = f'<span hidden data-cm-url="{escape(join_link(session.code, voter, self.token))}"></span>'
        welcome = ""
        if joined:
            welcome = (
                '<p class="cm-notice" role="status">You have joined'
                + (
                    ". Your name is recorded as taking part; your votes stay anonymous."
                    if named
                    else ". Your votes are anonymous."
                )
                + "</p>"
            )
        self.header = widgets.HTML(
            f'<h1 class="cm-live-title" data-cm-title="Group session - Social media course">Group session: '
            f"{escape(session_title(self.course, session))}</h1>"
            f'<p class="cm-live-session-name">Code {escape(session.display_code)}</p>{address}'
        )
        # "You have joined" is for the lobby: it goes when the first scenario comes, so the
        # choices and the vote button fit on a phone's first screen
        self.welcome = widgets.HTML(welcome)
        self.flash = widgets.HTML("")  # why a vote did not count, kept above the page that replaced the ballot
        self.stage = widgets.VBox()
        self.stage.add_class("cm-stage")
        self.body.children = (self.header, self.welcome, self.flash, self.stage)
        self.view_key = None
        self.poller.last = None
        self.refresh()
        self.poller.start()

    def _read(self):
        joined, _voter = self._joined()
        session = core.get_session(self.store, joined.id)
        counts = (
            core.tally(self.store, session.id, session.scenario_id)
            if session.revealed and session.scenario_id
            else None
        )
        return session, counts

    def refresh(self) -> None:
        if self.session is not None:
            self.poller.offer(self._read())

    def _apply(self, result) -> None:
        session, counts = result
        self.session = session
        key = ("ended",) if not session.is_open else (session.scenario_id, session.revealed)
        if key == self.view_key:
            return
        first = self.view_key is None
        self.view_key = key
        self.flash.value = ""
        if not session.is_open:
            self.poller.stop()
            self.stage.children = (
                widgets.HTML(
                    f'<section class="cm-message" role="status"{FOCUS}><h2 class="cm-message__title" '
                    f'data-cm-title="Session ended - Social media course">The session has ended</h2>'
                    "<p>Thank you for taking part. You can close this page.</p></section>"
                ),
            )
            return
        if session.in_lobby:
            self.stage.children = (widgets.HTML(LOBBY_HTML),)
            return
        scenario = room_scenario(self.course, session.id, session.scenario_id)  # the room's choice order
        if scenario is None:
            self.stage.children = (widgets.HTML(CANNOT_SHOW_HTML),)
            return
        self.welcome.value = ""
        card = widgets.HTML(ballot_card_html(scenario, session.index + 1, session.total, focus=not first))
        if session.revealed:
            self.stage.children = (card, self._revealed(scenario, counts or {}, focus=not first))
        else:
            self.stage.children = (card, self._ballot(scenario))

    def _ballot(self, scenario) -> widgets.VBox:
        session, voter = self._joined()
        earlier = core.my_vote(self.store, session.id, voter, scenario.id)
        self.choices = widgets.RadioButtons(
            options=[(f"{letter(i)}. {c.text}", c.id) for i, c in enumerate(scenario.choices)],
            value=earlier if earlier in {c.id for c in scenario.choices} else None,
            layout=widgets.Layout(width="100%"),
            description="",
            tooltip=scenario.question,
        )
        self.vote_button = _button(
            "Change my vote" if earlier else "Send my vote", primary=True, tooltip="Send your choice to the trainer"
        )
        self.vote_button.add_class("cm-check")  # the theme's script sends a click only once the kernel has the choice
        self.vote_button.disabled = self.choices.value is None
        self.vote_status = widgets.HTML(
            self._voted_html(scenario, earlier) if earlier else f'<p class="cm-status" role="status">{PICK_FIRST}</p>'
        )
        self.voted = earlier
        self.choices.observe(lambda change: self._on_pick(scenario, change), names="value")
        self.vote_button.on_click(guarded(self._show_error)(lambda _b: self.vote()))
        self._ack()
        box = widgets.VBox([self.choices, self.vote_button, self.vote_status])
        box.add_class("cm-decision")
        box.add_class("cm-live-ballot")
        self.ballot_scenario = scenario
        return box

    def _ack(self) -> None:
        # tell the theme's script which choice the kernel has (cm-ack-<index>): a quick pick-and-send
        # then always sends the choice on screen
        classes = [c for c in self.vote_button._dom_classes if not c.startswith("cm-ack-")]
        if self.choices.index is not None:
            classes.append(f"cm-ack-{self.choices.index}")
        with self.vote_button.hold_sync():
            self.vote_button._dom_classes = tuple(classes)
            self.vote_button.disabled = self.choices.value is None

    def _on_pick(self, scenario, change) -> None:
        self._ack()
        if self.voted and change["new"] != self.voted:
            pick = letter([c.id for c in scenario.choices].index(change["new"]))
            self.vote_status.value = (
                f'<p class="cm-status" role="status">You have picked {pick}. Press '
                f"<strong>Change my vote</strong> to send it.</p>"
            )
        elif self.voted and change["new"] == self.voted:
            self.vote_status.value = self._voted_html(scenario, self.voted)

    def _voted_html(self, scenario, choice_id: str) -> str:
        return f'<p class="cm-status cm-live-voted" role="status">{voted_html(scenario, choice_id)}</p>'

    def vote(self, choice_id: str | None = None) -> bool:
        """Send (or change) this page's vote on the scenario on screen. True when it counted."""
        scenario = self.ballot_scenario
        if choice_id is not None:
            self.choices.value = choice_id
        choice_id = self.choices.value
        if choice_id is None:
            return False
        session, voter = self._joined()
        try:
            core.cast_vote(self.store, session.id, voter, scenario.id, choice_id, [c.id for c in scenario.choices])
        except core.VoteRefused as exc:
            message = alert_html(f"Your vote was not counted. {exc}")
            self.vote_status.value = message
            before = self.view_key
            self.refresh()  # catch up with the trainer at once
            if self.view_key != before:
                self.flash.value = message
            return False
        except StoreError:
            log.exception("a vote could not be saved")
            self.vote_status.value = alert_html(
                "Your vote was not saved: the course is busy. Please press the button again."
            )
            return False
        self.voted = choice_id
        self.vote_button.description = "Change my vote"
        self.vote_status.value = self._voted_html(scenario, choice_id)
        return True

    def _revealed(self, scenario, counts: dict[str, int], focus: bool) -> widgets.HTML:
        session, voter = self._joined()
        mine = core.my_vote(self.store, session.id, voter, scenario.id)
        if mine is not None:
            answer = feedback_html(scenario, scenario.choice(mine), self.course.policy, show_best=True)
        else:
            answer = '<p class="cm-status">You did not vote on this one. Here is the best answer.</p>' + reveal_html(
                scenario, self.course.policy, notes=False
            )
        head = '<h2 class="cm-live-answer-heading">The answer</h2>'
        html = head + (focus_here(answer) if focus else answer)
        html += tally_html(scenario, counts, revealed=True, heading="How the room voted")
        html += (
            '<p class="cm-status" role="status">Talk about it with the room. The trainer will move on when '
            "you are ready.</p>"
        )
        return widgets.HTML(html)

    # --- trouble --------------------------------------------------------------------------------------
    def _trouble(self, failing: bool) -> None:
        self.notice.value = f'<p class="cm-notice" role="status">{escape(STORE_TROUBLE)}</p>' if failing else ""

    def _show_error(self) -> None:
        self.error.value = alert_html(WRONG)
