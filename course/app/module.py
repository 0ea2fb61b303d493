"""The module app: one scenario at a time with Back and Next, a progress bar, feedback, and a
summary with the learner's score, the key points, a reflection and Finish.

The score on the page is only "so far": whether the module is passed is the progress rule's
word (course.progress, from the mark of record), read through course.app.status, so this page
and the course home always say the same (being marked, passed, needs review, failed, due again).

Every answer is saved the moment it is checked (the store is the record), so a learner who
closes the page and comes back sees every answer again and carries on at the first
unanswered scenario. Branch scenarios appear right after the choice that leads to them.

What the attempt shows is its layout (LearnerRecords.layout, course.assessment.layout): a bank
module's drawn items in their drawn order, every scenario's choices in the attempt's order.

A second tab (issue 17): the records store is the truth. Every write from this page is checked
against the attempt as this page last read it (LearnerRecords.check_unchanged, in the records
layer, so a message forged over the websocket meets the same check); when another tab or device
finished it, started again, answered or rewrote the reflection, the write is refused and the page
shows where the module stands with a plain notice (`refresh_from_store`), never "You chose: <the
other tab's answer>" on its own. The template's script (static/tabs.js) also tells the kernel,
through a hidden text box (`tab_signal`), when the tab is shown again (the page looks at the store)
and when it is hidden or closing (a reflection waiting for its timer is saved at once).
"""

from __future__ import annotations

from collections.abc import Callable
from html import escape
from urllib.parse import urlencode

import ipywidgets as widgets
from ipywidgets.widgets.widget_string import HTMLStyle

from course.app import hooks, marking, status
from course.app.help import help_href, help_link_html
from course.app.pages import NOT_FOUND, SOMETHING_WRONG, message_html
from course.app.review import shows_best_choice
from course.content.model import Course, Module
from course.kernel.runtime import guarded, log
from course.progress import may_start_again, reaches_pass_mark
from course.records.attempt import LearnerRecords
from course.records.store import CHANGED_ELSEWHERE, RecordRefused, Store, StoreError
from course.widgets.cards import FOCUS, feedback_html, focus_here, key_points_html
from course.widgets.decision import DecisionWidget
from course.widgets.progress import ProgressWidget
from course.widgets.reflection import ReflectionWidget
from course.widgets.style import css

OVERVIEW, SUMMARY = "overview", "summary"
TAB_SIGNAL = "cm-tab-signal"  # the hidden box static/tabs.js writes "hidden N" or "visible N" into


def home_link(token: str | None) -> str:
    return "home.ipynb" + (f"?{urlencode({'token': token})}" if token else "")


def module_link(module_id: str, token: str | None) -> str:
    query = {"module": module_id, **({"token": token} if token else {})}
    return f"module.ipynb?{urlencode(query)}"


class _PageDecision(DecisionWidget):
    """A decision on the module page: a Check the records refuse makes the page look at the store
    (another tab may have answered, finished or started again)."""

    def __init__(self, *args, on_refused: Callable[[], None], **kwargs):
        self._on_refused = on_refused
        super().__init__(*args, **kwargs)

    def check(self):
        choice = super().check()
        if choice is None and not self.locked and self.choices.value is not None:
            self._on_refused()
        return choice


def _button(label: str, primary: bool = False, tooltip: str = "", **kwargs) -> widgets.Button:
    button = widgets.Button(
        description=label, button_style="primary" if primary else "", tooltip=tooltip or label, **kwargs
    )
    button.add_class("cm-btn")
    return button


class ModuleApp(widgets.VBox):
    """One learner's attempt at one module, a page at a time."""

    def __init__(
        self,
        course: Course,
        module: Module,
        records: LearnerRecords,
        *,
        learner_name: str = "",
        token: str | None = None,
        on_finish: Callable[[str, str], str | None] | None = None,
    ):
        self.course, self.module, self.records = course, module, records
        self.store: Store | None = records.store
        self.token = token
        self.learner_name = learner_name or records.learner_id
        self._on_finish = on_finish
        self._pages: dict[str, widgets.Widget] = {}
        self._numbers = self._numbers_of(records)
        self.position = OVERVIEW

        # Every widget is a model the page loads over the websocket, and each comes with its own
        # layout and style models unless given shared ones: the parts whose layout and style never
        # change share one of each (the page opens with about half as many models).
        self._layout, self._html_style = widgets.Layout(), HTMLStyle()
        shared = {"layout": self._layout, "style": self._html_style}
        self.header = widgets.HTML(self._header_html(), **shared)
        self.progress = ProgressWidget(records, show_score=module.feedback == "immediate", **shared)
        self.stage = widgets.VBox(layout=self._layout)
        self.stage.add_class("cm-stage")
        button_style = widgets.ButtonStyle()
        self.back = _button("Back", tooltip="Go to the previous page", style=button_style)
        self.next = _button("Next", primary=True, tooltip="Go to the next page", style=button_style)
        # one HTML for the note under the page and for errors: fewer widgets, a faster page
        self.nav_note = self.error = widgets.HTML("", **shared)
        # "changed in another tab": above the stage, so it is read before the page it explains
        self.notice = widgets.HTML("", **shared)
        # written by the template's script only; never shown (display: none keeps it out of the
        # accessibility tree and the tab order). Whatever a client writes here only makes the page
        # save what it holds or read the store: nothing is written from its value.
        self.tab_signal = widgets.Text("", layout=widgets.Layout(display="none"))
        self.tab_signal.add_class(TAB_SIGNAL)
        self.tab_signal.observe(guarded(self._show_error)(self._tab_signal), names="value")
        self.reflection: ReflectionWidget | None = None
        self._refreshes = 0  # how many times the page was rebuilt from the store (refresh_from_store)
        self.back.on_click(guarded(self._show_error)(lambda _b: self.go_back()))
        self.next.on_click(guarded(self._show_error)(lambda _b: self.go_next()))
        nav = widgets.HBox([self.back, self.next], layout=self._layout)
        nav.add_class("cm-nav")
        super().__init__(
            [self.header, self.notice, self.progress, self.stage, self.nav_note, nav, self.tab_signal],
            layout=self._layout,
        )
        self.add_class("cm-root")
        self.add_class("cm-app")
        self.add_class("cm-module-app")
        self.finished_at = self._finished_at()
        # the progress rule's status of this module, read once per change
        self._state: status.ModuleStatus | None = None
        self.go(self.start_page(), focus=False)

    @staticmethod
    def _numbers_of(records: LearnerRecords) -> dict[str, int]:
        """ "Scenario 3 of 15": each item's place among those this attempt shows."""
        return {sid: i + 1 for i, sid in enumerate(records.shown_graded)}

    # --- where the learner is ----------------------------------------------------------
    def sequence(self) -> list[str]:
        """The pages in order: overview, each item this attempt shows (a bank: those drawn) followed
        by any branch it led to, summary."""
        pages = [OVERVIEW]
        for scenario in map(self.module.scenario, self.records.shown_graded):
            pages.append(scenario.id)
            current, seen = scenario, {scenario.id}
            while (decision := self.records.decision(current.id)) is not None:
                following = current.choice(decision.choice_id).next
                if not following or following in seen or following not in self.records.layout.choices:
                    break
                pages.append(following)
                seen.add(following)
                current = self.module.scenario(following)
        pages.append(SUMMARY)
        return pages

    def start_page(self) -> str:
        """Where a returning learner lands: the first unanswered scenario (or the summary)."""
        if self.finished_at is not None:
            return SUMMARY
        answered = [p for p in self.sequence() if p not in (OVERVIEW, SUMMARY) and self.records.decision(p)]
        if not answered:
            return OVERVIEW
        for page in self.sequence():
            if page not in (OVERVIEW, SUMMARY) and self.records.decision(page) is None:
                return page
        return SUMMARY

    def complete(self) -> bool:
        return self.records.answered() == self.records.total()

    def reaches_pass_mark_so_far(self) -> bool:
        """The click-time score reaches the pass mark with no critical item scored 0 (the one pass
        test): a hint, never a pass."""
        return self.complete() and bool(
            reaches_pass_mark(
                self.records.score(), self.module.max_score, self.module.pass_mark, self.records.critical_missed()
            )
        )

    def state(self) -> status.ModuleStatus | None:
        """The progress rule's status of this module for this learner (None before Finish: the
        page then shows only the score so far)."""
        if self.finished_at is None or self.store is None:
            return None
        if self._state is None:
            self._state = status.module_status(self.store, self.course, self.records.learner_id, self.module)
        return self._state

    def passed(self) -> bool:
        """Passed by the progress rule (the mark of record), not by the score on the page."""
        state = self.state()
        return state is not None and state.state == status.PASSED

    # --- moving -----------------------------------------------------------------------
    def go(self, page: str, focus: bool = True) -> None:
        if page not in self.sequence() and page not in (OVERVIEW, SUMMARY):
            log.info("go to a page this attempt does not show refused in %s", self.module.id)
            return  # an item a bank did not draw, or a follow-up not reached: not this attempt's page
        leaving = self._pages.get(self.position)
        if isinstance(leaving, DecisionWidget):
            leaving.settle()
        if self.position == SUMMARY:  # words waiting for the timer are saved before the page changes
            refreshes = self._refreshes
            self._flush_reflection()
            if self._refreshes != refreshes:
                return  # refused as changed elsewhere: the page now shows the store's state instead
        widget = self._page(page)
        if focus:
            self._focus(page, widget)
        self.position = page
        self.stage.children = (widget,)
        self._update_nav()

    def go_next(self) -> None:
        pages = self.sequence()
        i = pages.index(self.position)
        if i + 1 < len(pages) and self._may_leave(self.position):
            self.notice.value = ""
            self.go(pages[i + 1])

    def go_back(self) -> None:
        pages = self.sequence()
        i = pages.index(self.position)
        if i > 0:
            self.notice.value = ""
            self.go(pages[i - 1])

    def _may_leave(self, page: str) -> bool:
        return page == OVERVIEW or self.records.decision(page) is not None

    def _update_nav(self) -> None:
        pages = self.sequence()
        i = pages.index(self.position)
        self.back.disabled = i == 0
        self.back.layout.visibility = "hidden" if i == 0 else "visible"
        if self.position == SUMMARY:
            self.next.layout.display = "none"
            self.nav_note.value = ""
            return
        self.next.layout.display = ""
        if self.position == OVERVIEW:
            self.next.description = "Start" if self.records.answered() == 0 else "Continue"
        else:
            self.next.description = "See your result" if pages[i + 1] == SUMMARY else "Next"
        self.next.tooltip = self.next.description
        ready = self._may_leave(self.position)
        self.next.disabled = not ready
        self.nav_note.value = (
            "" if ready else '<p class="cm-status cm-nav__note">Choose an answer and check it to go on.</p>'
        )

    # --- pages --------------------------------------------------------------------------
    def _page(self, page: str) -> widgets.Widget:
        if page == SUMMARY:
            self._pages[SUMMARY] = self._summary_page()  # always rebuilt: it reflects every answer
        elif page not in self._pages:
            if page == OVERVIEW:
                self._pages[page] = widgets.HTML(self._overview_html(), layout=self._layout, style=self._html_style)
            else:
                scenario = self.records.shown(page)  # its choices in this attempt's order
                self._pages[page] = _PageDecision(
                    scenario,
                    self.records,
                    self.course.policy,
                    feedback=self.module.feedback,
                    number=self._numbers.get(page),
                    total=len(self._numbers),
                    on_decided=self._on_decided,
                    help_at=help_href(self.token, self.module.id),
                    on_refused=guarded(self._show_error)(self.refresh_if_stale),
                )
                if self.finished_at is not None:
                    self._pages[page].check_button.layout.display = "none"
                    self._pages[page].choices.disabled = True
        return self._pages[page]

    def _focus(self, page: str, widget: widgets.Widget) -> None:
        if isinstance(widget, DecisionWidget):
            widget.focus_heading()
        elif page == OVERVIEW:
            widget.value = self._overview_html(focus=True)
        # the summary page is built with its heading marked

    @guarded(lambda: None)
    def _on_decided(self, scenario, choice) -> None:
        self.progress.refresh()
        self._update_nav()

    def _header_html(self) -> str:
        title = escape(self.module.title)
        return (  # the widgets' stylesheet rides along in the header: one widget fewer to load
            f"<style>{css()}</style>"
            f'<nav class="cm-crumbs" aria-label="Course"><a href="{escape(home_link(self.token))}">'
            f'<span aria-hidden="true">←</span> Course home</a> {help_link_html(self.token, self.module.id)}</nav>'
            f'<h1 class="cm-app__title" data-cm-title="{title} - Social media course">{title}</h1>'
            f'<p class="cm-status">Signed in as <strong>{escape(self.learner_name)}</strong>. '
            "Your answers are saved as you go.</p>"
        )

    def _overview_html(self, focus: bool = False) -> str:
        """What fits one phone screen above Start: the short overview and the facts. The rest
        (intro, questions, objectives, key points, how it works) waits under "More about this module"."""
        m = self.module
        items = lambda values: "".join(f"<li>{escape(v)}</li>" for v in values)  # noqa: E731
        intro = "".join(f"<p>{escape(p)}</p>" for p in m.intro)
        how = (
            "Read each scenario, choose what you would do, then press <strong>Check my answer</strong> to see why."
            if m.feedback == "immediate"
            else "Read each scenario and choose what you would do. You will see how you did at the end."
        )
        overview = f'<p class="cm-overview__short">{escape(m.overview)}</p>' if m.overview else ""
        return (
            f'<section class="cm-overview" aria-labelledby="cm-overview-h">'
            f'<h2 id="cm-overview-h"{FOCUS if focus else ""}>About this module</h2>{overview}'
            f'<p class="cm-overview__facts">About {m.minutes} minutes · {self.records.total()} scenarios · '
            f"pass mark {round(100 * m.pass_mark)}%</p>"
            f'<details class="cm-more"><summary>More about this module</summary>{intro}'
            f"<h3>What this module answers</h3><ul>{items(m.questions)}</ul>"
            f"<h3>What you will be able to do</h3><ul>{items(m.objectives)}</ul>"
            f"<h3>Key points</h3><ul>{items(m.key_points)}</ul>"
            f"<h3>How it works</h3><p>{how} Your answers are saved as you go; once checked, an answer cannot "
            "be changed.</p></details></section>"
        )

    # --- summary, reflection, finish -------------------------------------------------------
    def _summary_page(self) -> widgets.VBox:
        self.result = widgets.HTML(self._result_html())
        self.finish_button = _button("Finish", primary=True, tooltip="Finish this module and save your result")
        self.finish_button.on_click(guarded(self._show_error)(lambda _b: self.finish()))
        self.again_button = _button("Start the module again", tooltip="Start a new attempt at this module")
        self.again_button.on_click(guarded(self._show_error)(lambda _b: self.start_again()))
        self.finish_status = widgets.HTML(self._finish_status_html())
        # the mark of record from nbgrader, once this attempt has been submitted and marked
        self.marking = widgets.HTML(self._marking_html())
        if self.reflection is not None:  # the summary is rebuilt each visit (go saved its words): the old box goes
            self.reflection.close()
        self.reflection = reflection = ReflectionWidget(
            self.records, self.module.reflection, on_refused=guarded(self._show_error)(self._reflection_refused)
        )
        actions = widgets.HBox([self.finish_button, self.again_button])
        actions.add_class("cm-actions")
        page = widgets.VBox(
            [
                self.result,
                widgets.HTML(key_points_html(self.module)),
                reflection,
                self.finish_status,
                self.marking,
                actions,
            ]
        )
        page.add_class("cm-summary-page")
        self._update_finish()
        return page

    def _result_html(self, focus: bool = True) -> str:
        total, done = self.records.total(), self.records.answered()
        heading = f'<h2 id="cm-result-h"{FOCUS if focus else ""}>Your result</h2>'
        if done < total:
            return (
                f'<section class="cm-summary" aria-labelledby="cm-result-h">{heading}'
                f"<p>You have answered {done} of {total} scenarios. Go back and answer them all to see "
                "your result and finish.</p></section>"
            )
        score, best = self.records.score(), self.module.max_score
        percent = round(100 * score / best) if best else 0
        verdict = self._verdict_html()
        review = ""
        # the review shows the best answers: only once this attempt is finished (its answers can no
        # longer change), never before, or a learner could read it and then start again
        if self.module.feedback == "end" and self._finished_now():
            parts = []
            for scenario in map(self.records.shown, self.records.shown_graded):
                decision = self.records.decision(scenario.id)
                assert decision is not None  # every item shown is answered here (done == total above)
                choice = scenario.choice(decision.choice_id)
                # a bank's best choices wait for a pass (course.app.review): none is known at Finish
                feedback = feedback_html(
                    scenario,
                    choice,
                    self.course.policy,
                    show_best=shows_best_choice(self.module, passed=None),
                    help_at=help_href(self.token, self.module.id),
                )
                parts.append(f"<h4>{escape(scenario.title)}</h4>{feedback}")
            review = "<h3>Review of every answer</h3>" + "".join(parts)
        return (
            f'<section class="cm-summary" aria-labelledby="cm-result-h">{heading}'
            f'<p class="cm-summary__score">Your score: {score:g} out of {best:g} ({percent}%)</p>'
            f"{verdict}{review}</section>"
        )

    def _verdict_html(self) -> str:
        need = round(100 * self.module.pass_mark)
        state = self.state()
        word = state.state if state is not None else None
        if word == status.PASSED:
            return (
                '<p class="cm-summary__verdict cm-summary__verdict--passed"><span aria-hidden="true">✓</span> '
                "You passed.</p>"
            )
        if word == status.FAILED:
            why = escape(state.reason) if state is not None and state.reason else f"you need {need}% to pass."
            return (
                f'<p class="cm-summary__verdict cm-summary__verdict--failed"><span aria-hidden="true">✗</span> '
                f"Not passed yet: {why}</p>"
            )
        if word == status.NEEDS_REVIEW:
            return '<p class="cm-summary__verdict">A trainer will check your mark before it counts.</p>'
        if state is not None and word == status.DUE_AGAIN:
            return f'<p class="cm-summary__verdict">{escape(state.reason)}</p>'
        marked = (
            " once your answers are marked"
            if word == status.BEING_MARKED
            else " once you press Finish and it is marked"
        )
        if self.reaches_pass_mark_so_far():
            return (
                f'<p class="cm-summary__verdict cm-summary__verdict--so-far">So far this reaches the pass mark '
                f"({need}%). Your result counts{marked}.</p>"
            )
        missed = self.records.critical_missed()
        if missed:
            return (
                f'<p class="cm-summary__verdict cm-summary__verdict--so-far">So far this does not pass. '
                f"{escape(status.critical_reason(self.module, missed))}</p>"
            )
        return (
            f'<p class="cm-summary__verdict cm-summary__verdict--so-far">So far this is below the pass mark: '
            f"you need {need}% to pass.</p>"
        )

    def _finish_status_html(self, just_finished: bool = False, note: str | None = None) -> str:
        if self.finished_at is None:
            if not self.complete():
                return '<p class="cm-status">Answer every scenario to finish.</p>'
            return (
                '<p class="cm-status">When you are ready, press <strong>Finish</strong> to save your result. '
                "You can write your reflection first.</p>"
            )
        state = self.state()
        word = state.state if state is not None else ""
        outcome = {
            status.PASSED: "You passed this module.",
            status.BEING_MARKED: "Your answers are being marked; your result shows here and on the course "
            "home once it is ready.",
            status.NEEDS_REVIEW: "A trainer will check your mark before it counts.",
            status.IN_PROGRESS: "You have started the module again.",
        }.get(word, "You can start the module again when you are ready.")
        due = self._due_reason()
        if due:
            outcome = f"{due} Please go through the module again."
        extra = f"<p>{escape(note)}</p>" if note else ""
        html = (
            f'<div class="cm-finished"><p><strong>{"Finished. " if just_finished else ""}Your result is saved.'
            f"</strong> {escape(outcome)}</p>{extra}"
            f'<p><a class="cm-button" href="{escape(home_link(self.token))}">Back to the course home</a></p></div>'
        )
        return focus_here(html) if just_finished else html

    def _due_reason(self) -> str:
        state = self.state()
        return state.reason if state is not None and state.state == status.DUE_AGAIN else ""

    def _update_finish(self) -> None:
        finished = self.finished_at is not None
        # a finished attempt is what gets marked: its reflection is read-only from then on
        assert self.reflection is not None  # built with the summary page, which calls this
        self.reflection.text.disabled = finished
        self.reflection.save_button.layout.display = "none" if finished else ""
        self.finish_button.layout.display = "none" if finished else ""
        self.finish_button.disabled = finished or not self.complete()
        state = self.state()
        word = state.state if state is not None else None
        # a retake after a fail or when due (the one rule; start_again checks it again in the kernel)
        may_retake = finished and word is not None and may_start_again(word)
        self.again_button.layout.display = "" if may_retake else "none"

    def _marking_html(self) -> str:
        if self.finished_at is None or self.store is None or not marking.enabled():
            return ""
        try:
            state = self.state()
            if state is not None and state.state == status.BEING_MARKED:
                return marking.being_marked_html()  # an older attempt's mark is not this one's
            return marking.result_html(marking.latest(self.store, self.records.learner_id, self.module), self.records)
        except Exception:  # noqa: BLE001 - the page works without the mark; the log says why
            log.exception("could not read the mark for %s", self.module.id)
            return ""

    def _submit_for_marking(self) -> str | None:
        """Send the answers to nbgrader and show its mark (or that it is on its way)."""
        self.marking.value = marking.WAITING  # the page shows this while the kernel waits
        result = marking.submit(self.records)
        self._state = None  # the mark (if it came) changes the rule's word on this module
        self.result.value = self._result_html(focus=False)
        self.marking.value = focus_here(marking.result_html(result, self.records))
        self.finish_status.value = self._finish_status_html()
        self._update_finish()
        return None

    def finish(self) -> str | None:
        """Record the attempt as finished, then call the on_finish hook (grading connects here)."""
        if self.finished_at is not None or not self.complete():
            return None
        if self._flush_reflection() is False:  # the last words typed belong to the attempt being finished
            return None  # refused: the reflection (or the notice above the page) says why
        try:
            self.records.finish()  # checks the sign-in and the attempt's state first (course.records.attempt)
        except RecordRefused as exc:
            if self.refresh_if_stale():  # another tab or device finished or changed it: nothing is sent
                return None
            self.finish_status.value = f'<p class="cm-status cm-status--error" role="alert">{escape(str(exc))}.</p>'
            return None
        except StoreError:
            log.exception("could not record Finish for %s", self.module.id)
            self.finish_status.value = (
                '<p class="cm-status cm-status--error" role="alert">Your result was not '
                "saved. Please try again, or tell your trainer.</p>"
            )
            return None
        self.finished_at = self._finished_at()
        self._state = None
        self.result.value = self._result_html(focus=False)
        self.finish_status.value = self._finish_status_html(just_finished=True)
        self._update_finish()
        note = None
        try:
            if self._on_finish is not None:
                note = self._on_finish(self.records.learner_id, self.module.id)
            elif marking.enabled():
                note = self._submit_for_marking()
            else:
                note = marking.queue_only(self.records)
                note = hooks.on_finish(self.records.learner_id, self.module.id) or note
        except Exception:  # noqa: BLE001 - the result is saved; a failing hook must not hide that
            log.exception("on_finish failed for %s", self.module.id)
            self.marking.value = ""
            note = "Your result is saved, but it could not be sent for marking yet. Your trainer has been told."
        if note:
            self.finish_status.value = self._finish_status_html(just_finished=True, note=note)
        return note

    def start_again(self) -> bool:
        """A new attempt (after a fail, or when a pass is due again): the old one stays on record.

        Checked here in the kernel, whatever the page shows: the progress rule's status is read
        afresh and course.records.attempt refuses a retake it does not allow (mid-attempt,
        after a pass, while being marked). True when a new attempt started."""
        try:
            self._state = None
            state = status.module_status(self._writable_store(), self.course, self.records.learner_id, self.module)
            self.records.start_again(state.state, self.course.policy.version)
        except RecordRefused as exc:
            log.info("start again refused for %s", self.module.id)
            if self.refresh_if_stale():
                return False
            self.error.value = f'<p class="cm-status cm-status--error" role="alert">{escape(str(exc))}.</p>'
            return False
        self.records.layout  # noqa: B018 - record the new attempt's layout (its draw) as it starts
        self._numbers = self._numbers_of(self.records)
        self.finished_at = None
        self._state = None
        old_pages = list(self._pages.values())
        self._pages.clear()
        self.progress.refresh()
        self.go(OVERVIEW)
        for old in old_pages:
            old.close()  # free the old attempt's widgets in the kernel
        return True

    # --- another tab or device ------------------------------------------------------------
    def _tab_signal(self, change) -> None:
        """The template's script: "hidden N" (the tab is hidden or closing), "visible N" (shown again)."""
        kind = str(change["new"]).split(" ", 1)[0]
        if kind == "hidden":
            self._flush_reflection()
        elif kind == "visible" and self._flush_reflection() is not False:  # a refused save showed the store already
            self.refresh_if_stale()

    def _flush_reflection(self) -> bool | None:
        """Save the reflection's waiting words now; None when nothing waited, False when refused."""
        if self.reflection is None or self.position != SUMMARY:
            return None
        return self.reflection.flush()

    def leave(self) -> None:
        """The learner follows a link to another page of their visit (course.app.visit): the words
        waiting for the reflection's timer are saved now, before this page's widgets are closed."""
        self._flush_reflection()

    def _reflection_refused(self, unsaved: str) -> None:
        self.refresh_if_stale(unsaved)

    def refresh_if_stale(self, unsaved: str = "") -> bool:
        """If another tab or device changed this attempt, show it as the store holds it (True)."""
        if not self.records.changed_elsewhere():
            return False
        self.refresh_from_store(unsaved)
        return True

    def refresh_from_store(self, unsaved: str = "") -> None:
        """Read the attempt again and show where it stands, with a plain notice of why (and the
        words this tab could not save, to copy: the reflection in the store is someone's too)."""
        log.info("module %s changed in another tab: page refreshed from the store", self.module.id)
        self._refreshes += 1
        self.records.reload()
        self.records.layout  # noqa: B018 - the attempt may be a new one: its layout is read (or recorded)
        self._numbers = self._numbers_of(self.records)
        self.finished_at = self._finished_at()
        self._state = None
        old_pages = [w for w in self._pages.values() if w is not self.reflection]
        self._pages.clear()
        if self.reflection is not None:
            self.reflection.close()  # its words are the old view's: never saved over the store's
            self.reflection = None
        self.progress.refresh()
        pages = self.sequence()
        if self.finished_at is not None:
            target = SUMMARY
        elif self.position in pages and self.position not in (OVERVIEW, SUMMARY):
            target = self.position
        else:
            target = self.start_page()
        self.position = OVERVIEW  # nothing to settle: the old pages are gone
        self.go(target, focus=False)
        kept = (
            "<p>What you wrote in this tab was not saved. Here it is, to copy if you need it:</p>"
            f'<blockquote class="cm-unsaved">{escape(unsaved)}</blockquote>'
            if unsaved.strip()
            else ""
        )
        self.notice.value = focus_here(
            f'<div class="cm-notice" role="alert"><p><strong>{escape(CHANGED_ELSEWHERE)}.</strong></p>{kept}</div>'
        )
        for old in old_pages:
            old.close()

    def _finished_now(self) -> bool:
        """Is this attempt finished, by the store (not by what this page last saw)?"""
        return self.finished_at is not None and self.records.finished()

    def _finished_at(self):
        if self.store is None:
            return None
        return self.store.finished_at(self.records.learner_id, self.module.id, self.records.attempt)

    def _writable_store(self) -> Store:
        """The records store, for Finish and Start again (records read from a file cannot do either)."""
        if self.store is None:
            raise StoreError("this module page has no records store: Finish and Start again need one")
        return self.store

    def _show_error(self) -> None:
        self.error.value = (
            '<p class="cm-status cm-status--error" role="alert">Something went wrong. Your answers so '
            "far are saved. Please reload the page; if it happens again, tell your trainer.</p>"
        )


NOT_YET = "Not open yet"


def not_yet_page(course: Course, store: Store, learner_id: str, module: Module, token: str | None):
    """The friendly "not yet" page when the progress rule's gate keeps this module closed
    (policy.yaml `completion.prerequisites`), else None. Read before any attempt is opened, so an
    address typed by hand starts nothing."""
    from course.progress import prerequisites

    if not prerequisites(course).get(module.id):
        return None  # no gate: no need to evaluate the learner's progress
    try:
        state = status.module_status(store, course, learner_id, module)
    except StoreError:
        log.exception("could not read the progress of a learner for %s", module.id)
        return widgets.HTML(
            f'<div class="cm-root cm-app">{message_html(*SOMETHING_WRONG, home_link(token), alert=True)}</div>'
        )
    if not state.locked:
        return None
    log.info("%s is not open yet for this learner", module.id)
    text = f"{module.title} is not open yet. {status.waiting_reason(state)} Your course home shows where you are."
    page = message_html(NOT_YET, text, home_link(token))
    page = page.replace("<h1 ", f'<h1 data-cm-title="{escape(NOT_YET)} - Social media course" ', 1)
    return widgets.HTML(f'<div class="cm-root cm-app cm-not-yet">{page}</div>')


def open_module_app(
    course: Course, store: Store, learner_id: str, module_id: str, token: str | None = None, on_finish=None
) -> widgets.Widget:
    """The module app for a signed-in learner, or a friendly page when the module is unknown."""
    if module_id not in course.modules:
        log.info("module app asked for unknown module %r", module_id[:60])
        return widgets.HTML(f'<div class="cm-root cm-app">{message_html(*NOT_FOUND, home_link(token))}</div>')
    module = course.modules[module_id]
    locked = not_yet_page(course, store, learner_id, module, token)  # the gate, here in the kernel
    if locked is not None:
        return locked
    try:
        records = LearnerRecords.open(
            learner_id, module, course.policy.version, store, None, policy=course.policy, signin_token=token
        )
        known = store.learner(learner_id) or {}
    except StoreError:
        log.exception("could not read the records of a learner for %s", module_id)
        return widgets.HTML(
            f'<div class="cm-root cm-app">{message_html(*SOMETHING_WRONG, home_link(token), alert=True)}</div>'
        )
    return ModuleApp(
        course, module, records, learner_name=known.get("name") or learner_id, token=token, on_finish=on_finish
    )
