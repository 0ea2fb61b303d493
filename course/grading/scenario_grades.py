"""nbgrader's mark for each scenario of a marked submission: read by the marker from nbgrader's
gradebook, kept in the grading log with the mark of record, read back by the learner's review.

The learner's review of a marked attempt (course.app.review) shows, for each graded scenario, the
grade nbgrader's test cell gave it: the mark of record, not the page's own score. A page kernel
never opens nbgrader's gradebook (on a hub it cannot reach it), so the marker, which has just
graded the submission, copies those grades into the grading log in the same statement as the
mark (course.records.grading_log.record: `scenario_marks`). Which scenario each grade cell marks:

- a formative module's notebook has one test cell per graded scenario (`test-<scenario id>`,
  course.content.build.build_notebook);
- a bank module's has one per drawn slot (`course.content.build.slot_grade_id`), the k-th
  marking the k-th item the attempt drew. Which item that is comes from the marker's own reading
  of the graded answers (course.assessment.marker.mark_responses, what the test cells call),
  never from a layout the file claims.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from course.content.model import Module, Policy


@dataclass(frozen=True)
class ScenarioGrade:
    number: int  # its place among the attempt's graded scenarios (1 = first shown)
    scenario_id: str
    choice_id: str | None  # the answer nbgrader marked (None: not answered)
    score: float  # nbgrader's grade of the scenario's test cell
    max_score: float


@dataclass(frozen=True)
class MarkedSubmission:
    attempt: int
    grades: tuple[ScenarioGrade, ...]  # in the order the attempt showed them

    @property
    def score(self) -> float:
        return float(sum(g.score for g in self.grades))

    @property
    def max_score(self) -> float:
        return float(sum(g.max_score for g in self.grades))

    def as_json(self) -> str:
        items = [[g.scenario_id, g.choice_id, g.score, g.max_score] for g in self.grades]
        return json.dumps({"attempt": self.attempt, "items": items})


def grade_id(module: Module, k: int, scenario_id: str) -> str:
    """The grade cell that marks the k-th graded scenario shown (course.content.build names them;
    tests/test_review.py checks these names against a built notebook)."""
    from course.content.build import slot_grade_id  # the marker's side only: page kernels never need it

    return slot_grade_id(module, k) if module.is_bank else f"test-{scenario_id}"


def cell_grades(gb, module_id: str, learner_id: str) -> dict[str, tuple[float, float]]:
    """grade cell name -> (score, max score) of a learner's submitted notebook, from an open
    nbgrader Gradebook (the marker's). A cell nbgrader has not scored is left out."""
    notebook = gb.find_submission_notebook(module_id, module_id, learner_id)
    return {
        g.name: (float(g.score), float(g.max_score))
        for g in notebook.grades
        if (g.auto_score is not None or g.manual_score is not None) and g.max_score is not None
    }


def from_gradebook(
    module: Module, policy: Policy, answers: dict, learner_id: str, cells: dict[str, tuple[float, float]]
) -> MarkedSubmission | None:
    """Each graded scenario of the submission `answers` (its responses.json, as autograded) with
    nbgrader's grade `cells`; None when a scenario's cell has no grade (nothing half-told)."""
    from course.assessment.marker import mark_responses

    marked = mark_responses(module, policy, answers, submitted_by=learner_id)
    grades = []
    for k, item in enumerate(marked.items, start=1):
        found = cells.get(grade_id(module, k, item.scenario_id))
        if found is None:
            return None
        grades.append(ScenarioGrade(k, item.scenario_id, item.choice_id, found[0], found[1]))
    return MarkedSubmission(marked.attempt, tuple(grades))


def for_submission(folder: Path, module_id: str, learner_id: str, cells: dict[str, tuple[float, float]]) -> str | None:
    """What the marker keeps in the grading log for a submission it has just graded: its
    per-scenario marks as JSON, or None (nothing to keep; the mark stands without them)."""
    from course.content.model import load_course
    from course.records import responses

    course = load_course()
    try:
        answers = responses.read(Path(folder) / responses.FILENAME)
    except responses.ResponsesError:
        return None
    marked = from_gradebook(course.module(module_id), course.policy, answers, learner_id, cells) if answers else None
    return marked.as_json() if marked is not None else None


def from_record(text: str | None) -> MarkedSubmission | None:
    """The grading log's `scenario_marks` column read back; None when empty or unreadable."""
    if not text:
        return None
    try:
        data = json.loads(text)
        grades = tuple(
            ScenarioGrade(k, str(sid), None if cid is None else str(cid), float(score), float(best))
            for k, (sid, cid, score, best) in enumerate(data["items"], start=1)
        )
        attempt = int(data["attempt"])
    except (ValueError, TypeError, KeyError):
        return None
    return MarkedSubmission(attempt, grades)
