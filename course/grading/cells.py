"""nbgrader glue: what the test cells of every module notebook call.

A formative module's notebook has one test cell per scenario (`scenario_points`); a bank
module's has one per drawn slot (`slot_points`: "Item k of N"). Both mark through
course.assessment.marker, which recomputes the attempt's draw on the server and scores the
choice id against the course content, so editing the `score` numbers, the `layout` or adding
answers for items not drawn in responses.json earns nothing.
"""

from __future__ import annotations

from pathlib import Path

from course.assessment.marker import AttemptMark, mark_responses
from course.content.model import load_course
from course.records import responses


def _marked(module_id: str, path: str | Path) -> AttemptMark | None:
    course = load_course()
    module = course.module(module_id)
    data = responses.read(Path(path))
    if data is None:
        return None
    if data.get("module") != module_id:
        raise responses.ResponsesError(f"{path}: holds answers for module '{data.get('module')}', not '{module_id}'")
    marked = mark_responses(module, course.policy, data)
    for problem in marked.problems:  # shown in the feedback; the marker flags the mark for review
        print(f"Needs review: {problem}")
    return marked


def scenario_points(module_id: str, scenario_id: str, path: str | Path = responses.FILENAME) -> float:
    """Points earned for one scenario (0 to 1): what an nbgrader test cell outputs as partial credit."""
    scenario = load_course().module(module_id).scenario(scenario_id)
    marked = _marked(module_id, path)
    item = next((i for i in marked.items if i.scenario_id == scenario_id), None) if marked else None
    if item is None or item.choice_id is None:
        print(f"Not answered yet: {scenario.title}")
        return 0.0
    print(f"{scenario.title}: {item.points:g} of 1")
    return item.points


def slot_points(module_id: str, k: int, path: str | Path = responses.FILENAME) -> float:
    """Points earned for the k-th item an attempt of a bank module drew (0 to 1)."""
    module = load_course().module(module_id)
    marked = _marked(module_id, path)
    item = marked.slot(k) if marked else None
    label = f"Item {k} of {module.draw or len(module.graded_scenarios)}"
    if item is None or item.choice_id is None:
        print(f"{label}: not answered" + (f" ({item.title})" if item else ""))
        return 0.0
    print(f"{label} ({item.title}): {item.points:g} of 1")
    return item.points
