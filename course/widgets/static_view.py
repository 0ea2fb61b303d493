"""The module as plain HTML, for when nbgrader runs the notebook to grade it.

nbgrader's feedback page is the graded notebook turned into HTML; live widgets would show
there as unreadable reprs. So while grading, each cell shows the learner's scenario, the
answer they gave and its feedback, as static HTML.
"""

from __future__ import annotations

from html import escape

from IPython.display import HTML

from course.content.model import Course, Module
from course.records.attempt import LearnerRecords
from course.widgets.cards import IN_NOTEBOOK, feedback_html, key_points_html, overview_html, scenario_card_html
from course.widgets.style import css


class StaticModuleView:
    def __init__(self, course: Course, module: Module, records: LearnerRecords):
        self.course, self.module, self.records = course, module, records
        self._numbers = {sid: i + 1 for i, sid in enumerate(records.shown_graded)}

    def header(self) -> HTML:
        return HTML(
            f"<style>{css()}</style><div class='cm-root'><p class='cm-status'>Feedback for "
            f"<strong>{escape(self.records.learner_id)}</strong>: {escape(self.module.title)}</p></div>"
        )

    def overview(self) -> HTML:
        return HTML(f"<div class='cm-root'>{overview_html(self.module)}</div>")

    def show(self, scenario_id: str) -> HTML | None:
        if scenario_id not in self.records.layout.choices:
            return None  # an item this attempt did not draw (a bank)
        scenario = self.records.shown(scenario_id)  # choices in the order the learner saw, with its letters
        decision = self.records.decision(scenario_id)
        if scenario.branch and decision is None:
            return None  # a path this learner did not take
        card = scenario_card_html(scenario, self._numbers.get(scenario_id), len(self._numbers))
        if decision is None:
            answer = "<p class='cm-status'><strong>Not answered.</strong></p>"
        else:
            answer = feedback_html(
                scenario, scenario.choice(decision.choice_id), self.course.policy, show_best=True, help_at=IN_NOTEBOOK
            )
        return HTML(f"<div class='cm-root'>{card}{answer}</div>")

    def show_item(self, number: int) -> HTML | None:
        """The `number`-th item this attempt showed (1-based)."""
        shown = self.records.shown_graded
        return self.show(shown[number - 1]) if 1 <= number <= len(shown) else None

    def reflection(self) -> HTML:
        text = self.records.reflection("module")
        body = escape(text) if text else "<em>No reflection written.</em>"
        return HTML(f"<div class='cm-root'><h3>{escape(self.module.reflection)}</h3><p>{body}</p></div>")

    def summary(self) -> HTML:
        score, best = self.records.score(), self.module.max_score
        return HTML(
            f"<div class='cm-root'><p class='cm-summary__score'>{score:g} out of {best:g}</p>"
            f"{key_points_html(self.module)}</div>"
        )
