"""The trainer's app (Voila, on a projector or a shared screen).

Start a session for a module or for scenarios you pick; the room sees the join address, its
QR code and the code in large type. Show one scenario at a time; votes arrive live (the page
polls the records store every 0.3 s); reveal the best answer with its feedback and the
discussion prompts; move on. At the end: how the room split on each scenario, which were
contested, a CSV download and the attendance list.

The trainer key stays in this page's kernel. It is shown once, folded away (the room sees
the projector), for carrying on the session from another computer, and gone from the page as
soon as the session moves to a scenario: never left on the projected screen.

During a scenario the page is the projector view (course.css, "Projector view"): one screen at
1280x800 or 1920x1080, the scenario beside the buttons and the tally, the answer beside them once
shown, the join details in a small corner box.

Only a trainer may start or carry on a session: `trainer` is the kernel's check
(course.live.trust.credential: a granted trainer's valid sign-in, or the hub's trainer group),
asked when the page opens and again before every start, carry-on and confirmation, so a
button clicked over the websocket after the form is gone, or after signing out, does nothing.
Without it the page says "only trainers can start a session" and starts nothing.

At the end the trainer ticks who was in the room among the learners who joined signed in
(all unticked: a confirmation is the trainer's statement, not a default to untick); only
those attendances count toward completion (course.progress.counted_attendance).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from html import escape

import ipywidgets as widgets

from course.content.model import Course
from course.kernel.runtime import Poller, guarded, log
from course.live import core
from course.live.address import JoinAddress, join_address, qr_data_uri
from course.live.summary import (
    attendance_csv,
    room_scenario,
    session_summary,
    session_title,
    start_session,
    summary_csv,
)
from course.live.trust import ONLY_TRAINERS
from course.live.views import (
    choices_list_html,
    download_link,
    joining_html,
    other_choices_html,
    people_word,
    reveal_html,
    summary_html,
    tally_html,
    trainer_key_html,
)
from course.records.store import Store, StoreError
from course.widgets.cards import FOCUS, focus_here, scenario_card_html
from course.widgets.style import style_widget

CHOOSE = "__choose__"
POLL_SECONDS = 0.3
WRONG = "Something went wrong. Please try again; if it happens again, reload the page and carry on the session with its code and key."
STORE_TROUBLE = "The records store is not answering just now, so votes may be behind. It will catch up by itself."


def _button(label: str, primary: bool = False, tooltip: str = "") -> widgets.Button:
    button = widgets.Button(description=label, button_style="primary" if primary else "", tooltip=tooltip or label)
    button.add_class("cm-btn")
    return button


def alert_html(text: str, focus: bool = True) -> str:
    return f'<p class="cm-status cm-status--error" role="alert"{FOCUS if focus else ""}>{escape(text)}</p>'


class TrainerApp(widgets.VBox):
    def __init__(
        self,
        course: Course,
        store: Store,
        *,
        env: Mapping[str, str] | None = None,
        poll_seconds: float = POLL_SECONDS,
        trainer: Callable[[], str | None] | None = None,
    ):
        self.course, self.store = course, store
        self._trainer = trainer or (lambda: None)  # no credential given: nobody may start a session
        self.address: JoinAddress = join_address(env)
        self.session: core.LiveSession | None = None
        self.key: str | None = None
        self.last_poll: core.Poll | None = None
        self._qr: tuple[str, str] | None = None
        self.poller = Poller(self._read, self._apply, interval=poll_seconds, on_trouble=self._trouble, name="trainer")
        self.body = widgets.VBox()
        self.body.add_class("cm-live-body")
        self.notice = widgets.HTML("")
        self.error = widgets.HTML("")
        super().__init__([style_widget(), self.notice, self.body, self.error])
        for name in ("cm-root", "cm-app", "cm-live-app", "cm-trainer-app"):
            self.add_class(name)
        if self.trainer_id() is None:
            self.show_refused()
            return
        self.show_start()

    # --- who may run a session ------------------------------------------------------------------------
    def trainer_id(self) -> str | None:
        """The trainer now (checked in the store each time), or None."""
        try:
            return self._trainer()
        except StoreError:
            log.exception("could not check the trainer's credential")
            return None

    def show_refused(self) -> None:
        """The plain page for someone who is not a trainer: nothing on it starts anything."""
        self.poller.stop()
        self.session, self.key, self.last_poll = None, None, None
        title, text = ONLY_TRAINERS
        self.body.children = (
            widgets.HTML(
                f'<section class="cm-message" role="alert"{FOCUS}><h1 class="cm-message__title" '
                f'data-cm-title="{escape(title)} - Social media course">{escape(title)}</h1>'
                f"<p>{escape(text)}</p></section>"
            ),
        )

    def _refused(self) -> bool:
        """True (and the refusal page shown) when this page's person is not a trainer now."""
        if self.trainer_id() is not None:
            return False
        log.info("a trainer action was refused: no trainer credential")
        self.show_refused()
        return True

    # --- before a session ---------------------------------------------------------------------------
    def show_start(self, notice: str = "", focus: bool = False) -> None:
        self.poller.stop()
        self.session, self.key, self.last_poll = None, None, None
        self._projector(False)
        intro = widgets.HTML(
            f'<h1 data-cm-title="Run a group session - Social media course"{FOCUS if focus else ""}>Run a group session</h1>'
            + (f'<p class="cm-notice" role="status">{escape(notice)}</p>' if notice else "")
            + "<p>Show the room one scenario at a time. Everyone votes on their own phone or computer, "
            "without giving their name. You see the votes arrive, show the best answer, and talk about it.</p>"
            "<h2>Start a session</h2>"
        )
        modules = [(f"{m.title} ({len(m.graded_scenarios)} scenarios)", m.id) for m in self.course.modules.values()]
        self.module_picker = widgets.Dropdown(
            options=[*modules, ("Scenarios I choose", CHOOSE)],
            value=modules[0][1] if modules else CHOOSE,
            description="What to discuss",
            style={"description_width": "initial"},
        )
        self.module_picker.add_class("cm-live-select")
        self.picker = self._scenario_chooser()
        self.module_picker.observe(lambda _c: self._toggle_picker(), names="value")
        self._toggle_picker()
        self.start_button = _button("Start the session", primary=True, tooltip="Start a session and show how to join")
        self.start_button.on_click(guarded(self._show_error)(lambda _b: self.start()))
        self.start_message = widgets.HTML("")

        resume_intro = widgets.HTML(
            "<h2>Carry on a session</h2><p>Started a session on another computer, or reloaded this page? "
            "Enter its code and your trainer key.</p>"
        )
        self.resume_code = widgets.Text(
            description="Session code", placeholder="For example, ABC 234", style={"description_width": "initial"}
        )
        self.resume_key = widgets.Password(description="Trainer key", style={"description_width": "initial"})
        for field in (self.resume_code, self.resume_key):
            field.add_class("cm-field")
        self.resume_button = _button("Carry on", tooltip="Carry on the session with this code")
        self.resume_button.on_click(guarded(self._show_error)(lambda _b: self.carry_on()))
        self.resume_message = widgets.HTML("")
        start = widgets.VBox([intro, self.module_picker, self.picker, self.start_button, self.start_message])
        start.add_class("cm-live-form")
        start.add_class("cm-live-form--start")
        resume = widgets.VBox(
            [resume_intro, self.resume_code, self.resume_key, self.resume_button, self.resume_message]
        )
        resume.add_class("cm-live-form")
        self.body.children = (start, resume)

    def _scenario_chooser(self) -> widgets.VBox:
        """Scenarios I choose: a module's own select, then the boxes of that module only.

        The course has 50-odd scenarios and some titles repeat across modules, so one long list
        is a 4,000 px page of look-alikes. Here one module's boxes show at a time, under that
        module's name; a tick stays when another module is shown, and the line under the list
        counts the ticks per module so none is forgotten."""
        self.scenario_boxes: dict[str, widgets.Checkbox] = {}  # every scenario, in course order
        self.module_boxes: dict[str, list[widgets.Checkbox]] = {}
        for module in self.course.modules.values():
            boxes = []
            for scenario in module.scenarios:
                label = scenario.title + (" (a follow-up)" if scenario.branch else "")
                box = widgets.Checkbox(value=False, description=label, indent=False)
                box.add_class("cm-live-check")
                box.observe(lambda _c: self._count_chosen(), names="value")
                self.scenario_boxes[scenario.id] = box
                boxes.append(box)
            self.module_boxes[module.id] = boxes
        modules = [(m.title, m.id) for m in self.course.modules.values()]
        self.choose_module = widgets.Dropdown(
            options=modules,
            value=modules[0][1] if modules else None,
            description="Show the scenarios of",
            style={"description_width": "initial"},
        )
        self.choose_module.add_class("cm-live-select")
        self.choose_heading = widgets.HTML("")
        self.choose_list = widgets.Box()
        self.choose_list.add_class("cm-live-choose-list")
        self.chosen_note = widgets.HTML("")
        self.choose_module.observe(lambda _c: self._show_module_boxes(), names="value")
        picker = widgets.VBox(
            [
                widgets.HTML(
                    '<p class="cm-live-choose-help">Pick a module, tick its scenarios, then pick another '
                    "module to add some of its scenarios too. They are shown in the course's order.</p>"
                ),
                self.choose_module,
                self.choose_heading,
                self.choose_list,
                self.chosen_note,
            ],
            layout=widgets.Layout(display="none"),
        )
        picker.add_class("cm-live-picker")
        self._show_module_boxes()
        self._count_chosen()
        return picker

    def _show_module_boxes(self) -> None:
        module_id = self.choose_module.value
        if module_id is None:
            self.choose_heading.value, self.choose_list.children = "", ()
            return
        module = self.course.module(module_id)
        self.choose_heading.value = f'<h3 class="cm-live-choose-heading">Scenarios in {escape(module.title)}</h3>'
        self.choose_list.children = tuple(self.module_boxes[module_id])

    def _count_chosen(self) -> None:
        per_module = []
        for module in self.course.modules.values():
            ticked = sum(box.value for box in self.module_boxes[module.id])
            if ticked:
                per_module.append(f"{escape(module.title)}: {ticked}")
        total = sum(box.value for box in self.scenario_boxes.values())
        text = (
            f"{total} scenario{'s' if total != 1 else ''} chosen ({'; '.join(per_module)})."
            if total
            else "No scenarios chosen yet."
        )
        self.chosen_note.value = f'<p class="cm-live-chosen" role="status">{text}</p>'

    def _toggle_picker(self) -> None:
        self.picker.layout.display = "flex" if self.module_picker.value == CHOOSE else "none"

    def start(self, module_id: str | None = None, scenario_ids: list[str] | None = None) -> bool:
        """Start a session (from the form, or for the given module or scenarios). True when started.
        Only for a trainer: checked here, in the kernel, whatever the page showed."""
        if self._refused():
            return False
        if module_id is None and scenario_ids is None:
            if self.module_picker.value == CHOOSE:
                scenario_ids = [sid for sid, box in self.scenario_boxes.items() if box.value]
                if not scenario_ids:
                    self.start_message.value = alert_html("Tick at least one scenario to discuss.")
                    return False
            else:
                module_id = self.module_picker.value
        try:
            opened = start_session(self.store, self.course, module_id, scenario_ids)
        except core.LiveError as exc:
            self.start_message.value = alert_html(str(exc))
            return False
        except StoreError:
            log.exception("could not start a session")
            self.start_message.value = alert_html(
                "The session could not be started: the records store is not answering. Please try again in a minute."
            )
            return False
        log.info("live session %s started (%d scenarios)", opened.session.id, opened.session.total)
        self.session, self.key = opened.session, opened.trainer_key
        self.show_session(new_key=True)
        return True

    def carry_on(self, code: str | None = None, key: str | None = None) -> bool:
        if self._refused():
            return False
        code = self.resume_code.value if code is None else code
        key = self.resume_key.value if key is None else key
        try:
            session = core.resume(self.store, code, key)
        except core.LiveError as exc:
            log.info("a trainer could not carry on a session: %s", exc.__class__.__name__)
            self.resume_message.value = alert_html(str(exc))
            return False
        self.session, self.key = session, key.strip()
        self.show_session(new_key=False)
        return True

    # --- the session --------------------------------------------------------------------------------
    def _running(self) -> tuple[core.LiveSession, str]:
        """The session on screen and its trainer key. start() and carry_on() set both before the
        session view (its buttons, its poller) exists; only show_start() clears them, after
        stopping the poller and replacing that view."""
        assert self.session is not None and self.key is not None
        return self.session, self.key

    def _projector(self, on: bool) -> None:
        """The projector layout (course.css, "projector view"): one screen, no page scroll."""
        for name in ("cm-projector", "cm-projector--live"):
            if on:
                self.add_class(name)
            else:
                self.remove_class(name)

    def show_session(self, new_key: bool) -> None:
        session, key = self._running()
        self._projector(True)
        self.title = widgets.HTML("")
        self.join_panel = widgets.HTML("")
        self.join_panel.add_class("cm-live-join-panel")
        # the key is for the trainer, on a screen the room sees: folded away, and gone for good
        # once the session moves to another scenario (see _render), never left there by default
        self.key_panel = widgets.HTML(trainer_key_html(key, session.display_code) if new_key else "")
        self._key_scenario = session.scenario_id
        self.progress = widgets.HTML("")
        self.card = widgets.HTML("")
        self.tally = widgets.HTML("")
        self.reveal_panel = widgets.HTML("")
        self.message = widgets.HTML("")
        self.first_button = _button("Show the first scenario", primary=True)
        self.back_button = _button("Back", tooltip="Show the previous scenario")
        self.reveal_button = _button("Show the answer", primary=True, tooltip="Close the vote and show the best answer")
        self.next_button = _button("Next scenario", tooltip="Show the next scenario")
        self.finish_button = _button("End the session", tooltip="Stop the votes and see the summary")
        self.confirm_button = _button("Yes, end the session", primary=True)
        self.cancel_button = _button("No, carry on")
        self.hide_split = widgets.Checkbox(
            value=False, description="Hide the split until I show the answer", indent=False
        )
        self.hide_split.add_class("cm-live-check")
        act = guarded(self._show_error)
        self.first_button.on_click(act(lambda _b: self.go(0)))
        self.back_button.on_click(act(lambda _b: self.back()))
        self.reveal_button.on_click(act(lambda _b: self.reveal()))
        self.next_button.on_click(act(lambda _b: self.next()))
        self.finish_button.on_click(act(lambda _b: self.ask_to_end()))
        self.confirm_button.on_click(act(lambda _b: self.end()))
        self.cancel_button.on_click(act(lambda _b: self.cancel_end()))
        self.hide_split.observe(act(lambda _c: self._render(self.last_poll, force=True)), names="value")
        self.controls = widgets.HBox([self.first_button, self.back_button, self.reveal_button, self.next_button])
        self.controls.add_class("cm-nav")
        self.confirm_text = widgets.HTML("")
        self.confirm_box = widgets.HBox(
            [self.confirm_button, self.cancel_button], layout=widgets.Layout(display="none")
        )
        self.confirm_box.add_class("cm-actions")
        end_row = widgets.HBox([self.finish_button, self.hide_split])
        end_row.add_class("cm-actions")
        end_row.add_class("cm-live-end")
        # One screen, no scrolling (course.css, "projector view"): a strip on top (the session, how
        # far in, how to join: large in the lobby, a small corner box after); under it the scenario
        # on the left and the buttons with the tally (the choices as the room sees them) on the
        # right; once shown, the answer in a third column beside the tally, so the scenario never
        # moves. A column too long for its screen scrolls inside itself, never the page.
        heading = widgets.VBox([self.title, self.progress])
        heading.add_class("cm-live-head__text")
        self.head = widgets.HBox([heading, self.join_panel])
        self.head.add_class("cm-live-head")
        left = widgets.VBox([self.card])
        left.add_class("cm-live-main")
        right = widgets.VBox(
            [self.controls, self.key_panel, self.message, self.tally, end_row, self.confirm_text, self.confirm_box]
        )
        right.add_class("cm-live-side")
        self.answer = widgets.VBox([self.reveal_panel])
        self.answer.add_class("cm-live-answer")
        self.columns = widgets.HBox([left, right, self.answer])
        self.columns.add_class("cm-live-columns")
        self.body.children = (self.head, self.columns)
        self.last_poll = None
        self.poller.last = None
        self.refresh()
        self.poller.start()

    def _qr_for(self, address: str) -> str:
        if self._qr is None or self._qr[0] != address:
            self._qr = (address, qr_data_uri(address))
        return self._qr[1]

    def _read(self) -> core.Poll:
        session, _key = self._running()
        return core.poll(self.store, session.id)

    def refresh(self) -> None:
        """Read the store now (after the trainer's own action) rather than wait for the poller."""
        if self.session is not None:
            self.poller.offer(self._read())

    def _apply(self, result: core.Poll) -> None:
        self._render(result)

    def _render(self, result: core.Poll | None, force: bool = False, focus_reveal: bool = False) -> None:
        if result is None or self.session is None:
            return
        previous = self.last_poll
        self.last_poll = result
        session = self.session = result.session
        if not session.is_open:
            self.show_summary()
            return
        title = session_title(self.course, session)
        self.title.value = (
            f'<h1 data-cm-title="Group session {escape(session.code)} - Social media course">'
            f"Group session: {escape(title)}</h1>"
        )
        address = self.address.with_code(session.code)
        self.join_panel.value = joining_html(
            session.code,
            session.display_code,
            address,
            self._qr_for(address),
            local_only=self.address.local_only,
            large=session.in_lobby,
        )
        if self.key_panel.value and session.scenario_id != self._key_scenario:
            self.key_panel.value = ""  # shown once, at the start; the room never sees it again
        voted = f"{people_word(result.voters)} {'has' if result.voters == 1 else 'have'} voted in this session so far."
        scenario = room_scenario(self.course, session.id, session.scenario_id)  # the room's choice order
        if session.in_lobby:
            self.progress.value = (
                f'<p class="cm-live-progress">{session.total} scenario'
                f"{'s' if session.total != 1 else ''} to discuss. When the room has joined, "
                f"show the first one.</p>"
            )
            self.card.value = ""
            self.tally.value = ""
            self.reveal_panel.value = ""
        else:
            self.progress.value = (
                f'<p class="cm-live-progress"><strong>Scenario {session.index + 1} of '
                f"{session.total}</strong> · {voted}</p>"
            )
            moved = previous is None or previous.session.scenario_id != session.scenario_id
            if scenario is None:
                self.card.value = alert_html("This scenario is no longer in the course. Go on to the next one.", False)
                self.tally.value = ""
            else:
                if moved or force or not self.card.value:
                    self.card.value = scenario_card_html(scenario)
                tally = tally_html(scenario, result.counts, revealed=session.revealed, hidden=self.hide_split.value)
                if self.hide_split.value and not session.revealed:
                    tally += choices_list_html(scenario)
                self.tally.value = tally
            if session.revealed and scenario is not None:
                panel = reveal_html(scenario, self.course.policy) + other_choices_html(scenario)
                if focus_reveal:  # the Show the answer button is now disabled: take focus to the answer
                    self.reveal_panel.value = focus_here(panel)
                elif moved or force or not self.reveal_panel.value:
                    self.reveal_panel.value = panel
            else:
                self.reveal_panel.value = ""
        self._controls(session)

    def _controls(self, session: core.LiveSession) -> None:
        lobby = session.in_lobby
        revealed = bool(self.reveal_panel.value)
        for box, name, on in (
            (self.columns, "cm-live-columns--lobby", lobby),
            (self.head, "cm-live-head--lobby", lobby),
            (self.columns, "cm-live-columns--revealed", revealed),
        ):
            if on:
                box.add_class(name)
            else:
                box.remove_class(name)
        self.answer.layout.display = "" if revealed else "none"
        self.hide_split.layout.display = "none" if lobby else ""
        self.first_button.layout.display = "" if lobby else "none"
        for button in (self.back_button, self.reveal_button, self.next_button):
            button.layout.display = "none" if lobby else ""
        self.back_button.disabled = session.index <= 0
        self.reveal_button.disabled = session.revealed or session.scenario_id is None
        self.next_button.disabled = session.at_last
        self.next_button.button_style = "primary" if session.revealed and not session.at_last else ""
        self.reveal_button.button_style = "" if session.revealed else "primary"
        if session.at_last and session.revealed:
            self.finish_button.button_style = "primary"

    # --- the trainer's actions ------------------------------------------------------------------------
    def _act(self, action, *args, focus_reveal: bool = False) -> bool:
        self.message.value = ""
        session, key = self._running()
        try:
            self.session = action(self.store, session.id, key, *args)
        except core.SessionEnded:
            self.show_summary()
            return False
        except core.LiveError as exc:
            self.message.value = alert_html(str(exc))
            return False
        except StoreError:
            log.exception("a trainer action could not be saved")
            self.message.value = alert_html(
                "That did not work: the records store is not answering. Please try again in a moment."
            )
            return False
        result = self._read()
        self.poller.last = result
        self._render(result, focus_reveal=focus_reveal)
        return True

    def go(self, index: int) -> bool:
        return self._act(core.show, index)

    def next(self) -> bool:
        return self._act(core.next_scenario)

    def back(self) -> bool:
        return self._act(core.previous_scenario)

    def reveal(self) -> bool:
        return self._act(core.reveal, focus_reveal=True)

    def ask_to_end(self) -> None:
        self.confirm_text.value = (
            '<p class="cm-status" role="alert" tabindex="-1" data-cm-focus="1">End the session '
            "now? Nobody can vote or join after this.</p>"
        )
        self.confirm_box.layout.display = "flex"

    def cancel_end(self) -> None:
        self.confirm_text.value = ""
        self.confirm_box.layout.display = "none"

    def end(self) -> bool:
        session, key = self._running()
        try:
            self.session = core.close(self.store, session.id, key)
        except core.LiveError as exc:
            self.message.value = alert_html(str(exc))
            return False
        except StoreError:
            log.exception("could not end a session")
            self.message.value = alert_html(
                "The session could not be ended: the records store is not answering. Please try again in a moment."
            )
            return False
        log.info("live session %s ended", session.id)
        self.show_summary()
        return True

    # --- after the session --------------------------------------------------------------------------
    def show_summary(self) -> None:
        self.poller.stop()
        self._projector(False)
        session = self.session
        assert session is not None  # the summary follows a session on screen (it ended, or was ended here)
        summary = session_summary(self.store, self.course, session)
        self.summary = summary
        code, day = summary.session.code, summary.session.opened_at.date().isoformat()
        downloads = (
            f'<p class="cm-live-downloads">'
            f"{download_link('Download the results (CSV)', f'session-{code}-{day}-results.csv', summary_csv(summary))} "
            f"{download_link('Download the attendance list (CSV)', f'session-{code}-{day}-attendance.csv', attendance_csv(summary))}"
            f"</p>"
        )
        html = (
            f'<h1 data-cm-title="Session summary - Social media course"{FOCUS}>Session summary: '
            f"{escape(summary.title)}</h1>"
            f'<p class="cm-status">Session {escape(code)}, {summary.session.opened_at:%d %B %Y}. The session has '
            f"ended: nobody can join or vote now.</p>{summary_html(summary)}{downloads}"
        )
        again = _button("Start another session", primary=True)
        again.on_click(guarded(self._show_error)(lambda _b: self.show_start(focus=True)))
        actions = widgets.HBox([again])
        actions.add_class("cm-actions")
        self.body.children = (widgets.HTML(html), self._confirm_panel(summary), actions)

    def _confirm_panel(self, summary) -> widgets.VBox:
        """Who was in the room: a box per learner who joined signed in, all unticked."""
        signed_in = [a for a in summary.attendees if a.signed_in]
        self.room_boxes: dict[str, widgets.Checkbox] = {}
        for a in signed_in:
            label = a.name + (f" ({a.staff_number})" if a.staff_number else "")
            box = widgets.Checkbox(value=a.confirmed, description=label, indent=False)
            box.add_class("cm-live-check")
            assert a.learner_id is not None  # signed_in
            self.room_boxes[a.learner_id] = box
        typed = [a for a in summary.attendees if not a.signed_in]
        intro = (
            "<h2>Who was in the room</h2><p>Tick each person who was here for the whole session. Only the "
            "people you tick have this session counted toward their training record.</p>"
            if signed_in
            else "<h2>Who was in the room</h2><p>Nobody joined signed in, so this session counts toward "
            "nobody's training record.</p>"
        )
        note = (
            f"<p>{len(typed)} {'person' if len(typed) == 1 else 'people'} joined with a typed name: listed in the "
            "attendance list, but not counted toward anyone's record (a typed name is not a sign-in).</p>"
            if typed
            else ""
        )
        self.confirm_room_button = _button("Confirm who was in the room", primary=True)
        self.confirm_room_button.on_click(guarded(self._show_error)(lambda _b: self.confirm_room()))
        self.confirm_room_message = widgets.HTML("")
        children: list[widgets.Widget] = [widgets.HTML(intro + note), *self.room_boxes.values()]
        if signed_in:
            children += [self.confirm_room_button, self.confirm_room_message]
        panel = widgets.VBox(children)
        panel.add_class("cm-live-form")
        return panel

    def confirm_room(self, learner_ids: list[str] | None = None) -> bool:
        """Record who was in the room (the ticked boxes, or the given ids). Needs the trainer's
        credential now and the session's trainer key; only signed-in attendees can be confirmed."""
        if self._refused():
            return False
        session, key = self._running()
        who = self.trainer_id() or ""
        if learner_ids is None:
            learner_ids = [lid for lid, box in self.room_boxes.items() if box.value]
        try:
            count = core.confirm_attendance(self.store, session.id, key, learner_ids, who)
        except core.LiveError as exc:
            self.confirm_room_message.value = alert_html(str(exc))
            return False
        except StoreError:
            log.exception("could not confirm attendance")
            self.confirm_room_message.value = alert_html(
                "The attendance could not be saved: the records store is not answering. Please try again."
            )
            return False
        log.info("live session %s: %d attendances confirmed", session.id, count)
        self.confirm_room_message.value = (
            f'<p class="cm-status" role="status"{FOCUS}>Saved: {people_word(count)} confirmed as in the room.</p>'
        )
        return True

    # --- trouble --------------------------------------------------------------------------------------
    def _trouble(self, failing: bool) -> None:
        self.notice.value = f'<p class="cm-notice" role="status">{escape(STORE_TROUBLE)}</p>' if failing else ""

    def _show_error(self) -> None:
        self.error.value = alert_html(WRONG)
