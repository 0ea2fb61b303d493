"""The decision: choices, a Check button, then feedback that says why. Locked once checked.

The scenario comes with its choices in the order this attempt shows them (LearnerRecords.shown,
course.assessment.layout): the radio buttons follow it and carry its letters ("A. ..."), the
feedback names the same letters, and the answer saved is the choice's id, never its place.
"""

from __future__ import annotations

from collections.abc import Callable
from html import escape

import ipywidgets as widgets

from course.assessment.layout import letter
from course.content.model import Choice, Policy, Scenario
from course.records.attempt import LearnerRecords
from course.records.store import RecordRefused, StoreError
from course.widgets.cards import feedback_html, focus_here, scenario_card_html

SAVED_FOR_LATER = "Your answer is saved. You will see how you did at the end."


class DecisionWidget(widgets.VBox):
    """One scenario: its card, its choices and, once checked, its feedback.

    `scenario`: with its choices in the order shown (LearnerRecords.shown).
    `feedback="end"` (final assessment) saves and locks without showing feedback; "immediate"
    shows it, and after a choice short of the best says which choice was best and why.
    `on_decided(scenario, choice)` lets a module view react (branching, progress).
    `help_at` says where "Where to get help" is (see course.widgets.cards.feedback_html).
    """

    def __init__(
        self,
        scenario: Scenario,
        records: LearnerRecords,
        policy: Policy,
        *,
        feedback: str = "immediate",
        number: int | None = None,
        total: int | None = None,
        on_decided: Callable[[Scenario, Choice], None] | None = None,
        help_at: str | None = None,
    ):
        self.scenario = scenario
        self.help_at = help_at
        self.records = records
        self.policy = policy
        self.feedback_mode = feedback
        self.on_decided = on_decided
        self._number, self._total = number, total
        self.card = widgets.HTML(scenario_card_html(scenario, number, total))
        self.choices = widgets.RadioButtons(
            options=[(f"{letter(i)}. {c.text}", c.id) for i, c in enumerate(scenario.choices)],
            value=None,
            layout=widgets.Layout(width="100%"),
            description="",
            tooltip=scenario.question,
        )
        self.check_button = widgets.Button(
            description="Check my answer",
            button_style="primary",
            disabled=True,
            tooltip="Save your choice and see feedback",
        )
        self.check_button.add_class("cm-check")
        self.status = widgets.HTML("")
        self.feedback = widgets.HTML("")
        self.choices.observe(self._on_select, names="value")
        self.check_button.on_click(lambda _button: self.check())
        super().__init__([self.card, self.choices, self.check_button, self.status, self.feedback])
        self.add_class("cm-decision")
        self.add_class("cm-root")
        earlier = records.decision(scenario.id)
        if earlier is not None:
            self._show_decided(scenario.choice(earlier.choice_id))

    # --- the learner's actions ------------------------------------------------------
    def choose(self, choice_id: str) -> None:
        """Select a choice (what a click on a radio button does)."""
        self.choices.value = choice_id

    def check(self) -> Choice | None:
        """Save the selected choice and lock it; show feedback unless it waits for the end."""
        if self.locked or self.choices.value is None:
            return None
        try:
            decision = self.records.record_decision(self.scenario.id, self.choices.value)
        except RecordRefused as exc:  # refused on purpose (finished, signed out): trying again will not help
            self.status.value = (
                f'<p class="cm-status cm-status--error" role="alert">Your answer was not saved: {escape(str(exc))}.</p>'
            )
            return None
        except StoreError as exc:
            self.status.value = (
                f'<p class="cm-status cm-status--error" role="alert">Your answer was not saved: '
                f"{escape(str(exc))}. Please try again, or tell your trainer.</p>"
            )
            return None
        choice = self.scenario.choice(decision.choice_id)
        self._show_decided(choice)
        # the Check button is gone: take keyboard focus to the feedback (or the saved note)
        if self.feedback.value:
            self.feedback.value = focus_here(self.feedback.value)
        else:
            self.status.value = focus_here(self.status.value)
        if self.on_decided:
            self.on_decided(self.scenario, choice)
        return choice

    def focus_heading(self) -> None:
        """Move keyboard focus to this scenario's title when it is shown (one scenario at a time)."""
        self.card.value = scenario_card_html(self.scenario, self._number, self._total, focus=True)

    def settle(self) -> None:
        """Drop focus marks, so showing this scenario again does not pull focus by itself."""
        self.card.value = scenario_card_html(self.scenario, self._number, self._total)
        decided = self.decided_choice
        if decided is not None:
            self._show_decided(decided)

    # --- state ------------------------------------------------------------------------
    @property
    def locked(self) -> bool:
        return self.choices.disabled

    @property
    def decided_choice(self) -> Choice | None:
        decision = self.records.decision(self.scenario.id)
        return self.scenario.choice(decision.choice_id) if decision else None

    def _on_select(self, change) -> None:
        if self.locked:
            return
        # Mark the Check button with the choice the kernel now has (cm-ack-<index>). ipywidgets
        # holds back a choice while an earlier message is unanswered, so a quick Check could
        # overtake it; the Voila theme's script waits for this mark to match the choice on screen.
        classes = [c for c in self.check_button._dom_classes if not c.startswith("cm-ack-")]
        if self.choices.index is not None:
            classes.append(f"cm-ack-{self.choices.index}")
        with self.check_button.hold_sync():
            self.check_button._dom_classes = tuple(classes)
            self.check_button.disabled = change["new"] is None

    def _show_decided(self, choice: Choice) -> None:
        self.choices.value = choice.id
        self.choices.disabled = True
        self.check_button.disabled = True
        self.check_button.layout.display = "none"
        if self.feedback_mode == "immediate":
            self.status.value = '<p class="cm-status" role="status">Answer saved.</p>'
            self.feedback.value = feedback_html(
                self.scenario, choice, self.policy, show_best=True, help_at=self.help_at
            )
        else:
            self.status.value = f'<p class="cm-status" role="status">{SAVED_FOR_LATER}</p>'
