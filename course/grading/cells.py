"""nbgrader glue. The test cells of every module notebook call `scenario_points`.

The score is recomputed from the choice id against the course content, so editing the
`score` numbers in responses.json earns nothing.
"""

from __future__ import annotations

from pathlib import Path

from course.content.model import load_course
from course.records import responses


def scenario_points(module_id: str, scenario_id: str, path: str | Path = responses.FILENAME) -> float:
    """Points earned for one scenario (0 to 1): what an nbgrader test cell outputs as partial credit."""
    scenario = load_course().module(module_id).scenario(scenario_id)
    data = responses.read(Path(path))
    if data is None:
        print(f"Not answered yet: {scenario.title}")
        return 0.0
    if data.get("module") != module_id:
        raise responses.ResponsesError(f"{path}: holds answers for module '{data.get('module')}', not '{module_id}'")
    record = data["decisions"].get(scenario_id)
    if not isinstance(record, dict) or "choice" not in record:
        print(f"Not answered yet: {scenario.title}")
        return 0.0
    try:
        choice = scenario.choice(str(record["choice"]))
    except KeyError:
        raise responses.ResponsesError(
            f"{path}: '{record['choice']}' is not a choice of scenario '{scenario_id}'"
        ) from None
    print(f"{scenario.title}: {choice.score:g} of 1")
    return float(choice.score)
