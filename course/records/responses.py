"""responses.json: the learner's answers beside their copy of a module notebook.

This is what nbgrader's test cells read when they grade a submission, so it must always
be whole: it is written atomically under a lock, and a broken one is reported, not guessed at.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from course.atomic import locked, write_atomic

FILENAME = "responses.json"
FORMAT = 1


class ResponsesError(Exception):
    """responses.json exists but cannot be used; says which file and why."""


def empty(learner_id: str, module_id: str, attempt: int = 1) -> dict:
    return {
        "format": FORMAT,
        "learner": learner_id,
        "module": module_id,
        "attempt": attempt,
        "decisions": {},
        "reflections": {},
        "updated_at": None,
    }


def dumps(data: dict) -> str:
    """The file's text: one layout wherever it is written (beside the notebook, or a submission)."""
    return json.dumps(data, indent=2, sort_keys=True) + "\n"


def read(path: Path) -> dict | None:
    """The parsed file, None when there is none, ResponsesError when it is broken."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as exc:
        raise ResponsesError(f"{path}: cannot read ({exc})") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ResponsesError(f"{path}: not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})") from None
    if not isinstance(data, dict) or not isinstance(data.get("decisions"), dict):
        raise ResponsesError(f"{path}: not a course responses file (no 'decisions' object)")
    return data


def update(
    path: Path,
    learner_id: str,
    module_id: str,
    attempt: int,
    *,
    decision: tuple[str, dict] | None = None,
    reflection: tuple[str, str] | None = None,
    layout: dict | None = None,
    base: dict | None = None,
) -> dict:
    """Add a decision (kept if one exists already) or a reflection, atomically.

    `layout` is what the attempt shows (course.assessment.layout): written once per attempt, so
    the file says which items and choice orders the learner saw (the marker recomputes it; a
    file is never trusted for it).

    `base` is the learner's full record from the store: it seeds a missing file, and
    replaces a broken one, which is kept aside (never deleted) as responses.json.broken-<time>.
    """
    path = Path(path)
    with locked(path):
        try:
            data = read(path)
        except ResponsesError:
            stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
            path.rename(path.with_name(f"{path.name}.broken-{stamp}"))
            data = None
        if data is None or data.get("module") != module_id or data.get("attempt") != attempt:
            data = base if base is not None else empty(learner_id, module_id, attempt)
        if decision:
            scenario_id, record = decision
            data["decisions"].setdefault(scenario_id, record)
        if layout is not None:
            data.setdefault("layout", layout)
        if reflection:
            prompt_id, text = reflection
            data.setdefault("reflections", {})[prompt_id] = text
        data["updated_at"] = datetime.now(UTC).isoformat(timespec="seconds")
        write_atomic(path, dumps(data))
    return data
