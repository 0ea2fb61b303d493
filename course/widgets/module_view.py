"""A module in a notebook: the header, one widget per scenario cell, reflection and summary.

The same objects serve JupyterLab (one scenario per cell) and the Voila learner app. What the
attempt shows is its layout (LearnerRecords.layout): a bank module's cells for items not drawn
this attempt stay empty, and every scenario's choices are in the attempt's order.
"""

from __future__ import annotations

from html import escape
from pathlib import Path
from typing import TYPE_CHECKING

import ipywidgets as widgets

from course.app.review import shows_best_choice
from course.content.model import Choice, Course, Module, Scenario, load_course
from course.records.attempt import LearnerRecords
from course.records.identity import being_graded, current_learner, in_voila
from course.records.responses import FILENAME
from course.records.store import Store
from course.widgets.cards import IN_NOTEBOOK, feedback_html, key_points_html, overview_html
from course.widgets.decision import DecisionWidget
from course.widgets.progress import ProgressWidget
from course.widgets.reflection import ReflectionWidget
from course.widgets.style import style_widget

if TYPE_CHECKING:  # imported where it is used: only nbgrader's grading shows the static view
    from course.widgets.static_view import StaticModuleView


class ModuleView:
    def __init__(self, course: Course, module: Module, records: LearnerRecords):
        self.course = course
        self.module = module
        self.records = records
        self.progress = ProgressWidget(records, show_score=module.feedback == "immediate")
        self.decisions: dict[str, DecisionWidget] = {}
        self._branch_boxes: dict[str, widgets.Box] = {}
        self._summaries: list[widgets.HTML] = []
        self._numbers = {sid: i + 1 for i, sid in enumerate(records.shown_graded)}

    # --- cells ----------------------------------------------------------------------
    def header(self) -> widgets.VBox:
        who = escape(self.records.learner_id)
        box = widgets.VBox(
            [
                style_widget(),
                widgets.HTML(
                    f'<div class="cm-root"><p class="cm-status">Signed in as <strong>{who}</strong>. '
                    "Your answers are saved as you go.</p></div>"
                ),
                self.progress,
            ]
        )
        box.add_class("cm-root")
        return box

    def overview(self) -> widgets.HTML:
        html = widgets.HTML(overview_html(self.module))
        html.add_class("cm-root")
        return html

    def show(self, scenario_id: str) -> widgets.Widget:
        """The scenario's cell: its decision, or nothing when this attempt does not show it (a bank)."""
        if scenario_id not in self.records.layout.choices:
            return widgets.HTML("", layout=widgets.Layout(display="none"))
        scenario = self.records.shown(scenario_id)
        widget = DecisionWidget(
            scenario,
            self.records,
            self.course.policy,
            feedback=self.module.feedback,
            number=self._numbers.get(scenario.id),
            total=len(self._numbers),
            on_decided=self._on_decided,
            help_at=IN_NOTEBOOK,
        )
        self.decisions[scenario.id] = widget
        if not scenario.branch:
            return widget
        # a consequence scenario stays hidden until a choice leads to it
        box = widgets.VBox([widget], layout=widgets.Layout(display="" if self.reached(scenario.id) else "none"))
        self._branch_boxes[scenario.id] = box
        return box

    def reflection(self) -> ReflectionWidget:
        return ReflectionWidget(self.records, self.module.reflection)

    def summary(self) -> widgets.VBox:
        html = widgets.HTML(self._summary_html())
        self._summaries.append(html)
        box = widgets.VBox([html, widgets.HTML(key_points_html(self.module))])
        box.add_class("cm-root")
        return box

    # --- state ----------------------------------------------------------------------
    def reached(self, scenario_id: str) -> bool:
        for sid, decision in self.records.decisions.items():
            scenario = self.module.scenario(sid)
            if scenario.choice(decision.choice_id).next == scenario_id:
                return True
        return False

    def show_item(self, number: int) -> widgets.Widget:
        """The `number`-th item this attempt shows (1-based), for a notebook with one cell per drawn slot."""
        shown = self.records.shown_graded
        if not 1 <= number <= len(shown):
            return widgets.HTML("", layout=widgets.Layout(display="none"))
        return self.show(shown[number - 1])

    def complete(self) -> bool:
        return self.records.answered() == self.records.total()

    def reaches_pass_mark_so_far(self) -> bool:
        """The score on the page reaches the pass mark (course.progress's one pass test). Only a hint:
        the module is passed when its mark of record says so (course.progress), never from this score."""
        from course.progress import reaches_pass_mark

        return self.complete() and bool(
            reaches_pass_mark(
                self.records.score(), self.module.max_score, self.module.pass_mark, self.records.critical_missed()
            )
        )

    def _on_decided(self, scenario: Scenario, choice: Choice) -> None:
        if choice.next and choice.next in self._branch_boxes:
            self._branch_boxes[choice.next].layout.display = ""
        self.progress.refresh()
        for html in self._summaries:
            html.value = self._summary_html()

    def _summary_html(self) -> str:
        total = self.records.total()
        done = self.records.answered()
        if done < total:
            return (
                f'<section class="cm-summary" aria-live="polite"><h3>Your result</h3>'
                f"<p>You have answered {done} of {total} scenarios. Answer them all to see your result.</p></section>"
            )
        score, best = self.records.score(), self.module.max_score
        percent = round(100 * score / best) if best else 0
        need = round(100 * self.module.pass_mark)
        outcome = (
            f"So far this reaches the pass mark ({need}%). Your result counts once it is marked."
            if self.reaches_pass_mark_so_far()
            else f"You need {need}% to pass. You can go through the module again."
        )
        if self.records.critical_missed() and not self.reaches_pass_mark_so_far():
            from course.assessment.marker import critical_reason

            outcome = critical_reason(self.module, self.records.critical_missed())
        review = ""
        if self.module.feedback == "end":
            parts = []
            for scenario in map(self.records.shown, self.records.shown_graded):
                decision = self.records.decision(scenario.id)
                assert decision is not None  # every item shown is answered here (done == total above)
                choice = scenario.choice(decision.choice_id)
                # a bank's best choices wait for a pass, as in the app (course.app.review.shows_best_choice)
                show_best = shows_best_choice(self.module, passed=None)
                parts.append(
                    f"<h4>{escape(scenario.title)}</h4>"
                    f"{feedback_html(scenario, choice, self.course.policy, show_best=show_best, help_at=IN_NOTEBOOK)}"
                )
            review = "<h3>Review of every answer</h3>" + "".join(parts)
        return (
            f'<section class="cm-summary" aria-live="polite"><h3>Your result</h3>'
            f'<p class="cm-summary__score">{score:g} out of {best:g} ({percent}%)</p>'
            f"<p>{escape(outcome)}</p>{review}</section>"
        )


def open_module(
    module_id: str, learner_id: str | None = None, store: Store | None = None, responses_dir: Path | None = None
) -> ModuleView | StaticModuleView:
    """The module for the current learner, wired to where their answers are saved.

    JupyterLab: the records store and responses.json in the notebook's folder.
    Voila: the store only (Voila shares one folder among all its visitors).
    nbgrader grading: responses.json only, read and never written.
    """
    course = load_course()
    module = course.module(module_id)
    responses_path = Path(responses_dir or Path.cwd()) / FILENAME
    if being_graded():
        # nbgrader is running the submission: show it as static HTML for the feedback page
        from course.widgets.static_view import StaticModuleView

        learner_id = learner_id or submitted_learner(responses_path)
        records = LearnerRecords.open(
            learner_id, module, course.policy.version, None, responses_path, policy=course.policy
        )
        return StaticModuleView(course, module, records)
    learner_id = learner_id or current_learner()
    store = store or Store()
    saved_to = None if in_voila() else responses_path
    records = LearnerRecords.open(learner_id, module, course.policy.version, store, saved_to, policy=course.policy)
    return ModuleView(course, module, records)


def submitted_learner(responses_path: Path) -> str:
    from course.records.responses import ResponsesError, read

    try:
        data = read(responses_path) or {}
    except ResponsesError:
        data = {}
    return str(data.get("learner") or "learner")
