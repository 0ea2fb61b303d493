"""The grading log: what has been graded, one row per learner and module, keyed by the
submission's fingerprint (the `gradings` table).

`course grade` grades a submission only when its fingerprint differs from the last graded
one, which is what makes it cheap to run after every Finish or on a schedule. `record` is
one INSERT ... ON CONFLICT DO UPDATE: two markers recording the same module at once leave
one row, the last one's, never two and never half of either.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select

from course.records.store import Store, _insert, now
from course.records.tables import gradings


@dataclass(frozen=True)
class GradingRecord:
    learner_id: str
    module_id: str
    fingerprint: str
    status: str
    score: float | None
    max_score: float | None
    needs_review: bool
    message: str
    graded_at: datetime
    critical_missed: tuple[str, ...] = field(default=())  # critical items answered with a 0
    scenario_marks: str | None = None  # JSON: nbgrader's mark per scenario (course.grading.scenario_grades)

    def __post_init__(self) -> None:
        if isinstance(self.critical_missed, str):  # the column's JSON text, as read back
            object.__setattr__(self, "critical_missed", decode_critical(self.critical_missed))


def decode_critical(text) -> tuple[str, ...]:
    """The `critical_missed` column (a JSON list of scenario ids) as a tuple; () for none or unreadable."""
    if not text:
        return ()
    try:
        value = json.loads(text) if isinstance(text, str) else text
    except json.JSONDecodeError:
        return ()
    return tuple(str(v) for v in value) if isinstance(value, list | tuple) else ()


def last_graded(store: Store) -> dict[tuple[str, str], GradingRecord]:
    """(learner, module) -> its last grading, for every module graded (one query)."""
    rows = store._read(select(gradings))
    return {(r.learner_id, r.module_id): GradingRecord(**r._mapping) for r in rows}


def marks(store: Store, learner_ids=None) -> list[tuple]:
    """(learner_id, module_id, score, max_score, needs_review, graded_at, critical_missed) of every
    grading that gave a mark (of `learner_ids` only, when given): the marks of record course.progress
    reads (critical_missed as a tuple of scenario ids)."""
    query = select(
        gradings.c.learner_id,
        gradings.c.module_id,
        gradings.c.score,
        gradings.c.max_score,
        gradings.c.needs_review,
        gradings.c.graded_at,
        gradings.c.critical_missed,
    ).where(gradings.c.score.is_not(None), gradings.c.max_score.is_not(None), gradings.c.status != "not graded")
    if learner_ids is not None:
        query = query.where(gradings.c.learner_id.in_(list(learner_ids)))
    return [(*r[:6], decode_critical(r[6])) for r in store._read(query)]


def graded(store: Store, learner: str, module: str) -> GradingRecord | None:
    """The last grading of one learner's module (what the learner's own page asks for)."""
    rows = store._read(select(gradings).where(gradings.c.learner_id == learner, gradings.c.module_id == module))
    return GradingRecord(**rows[0]._mapping) if rows else None


def record(
    store: Store,
    learner: str,
    module: str,
    fingerprint: str,
    status: str,
    *,
    score=None,
    max_score=None,
    needs_review=False,
    message="",
    critical_missed=(),
    scenario_marks: str | None = None,
) -> None:
    """Record the grading of one learner's module, replacing the last one (one statement).
    `critical_missed`: the critical items the marked attempt answered with a 0; `scenario_marks`:
    nbgrader's mark of each scenario (JSON, course.grading.scenario_grades), written with the mark
    so the two never belong to different submissions."""
    values = {
        "fingerprint": fingerprint,
        "status": status,
        "score": score,
        "max_score": max_score,
        "needs_review": needs_review,
        "message": message,
        "graded_at": now(),
        "critical_missed": json.dumps(list(critical_missed)),
        "scenario_marks": scenario_marks,
    }
    stmt = _insert(store.engine, gradings).values(learner_id=learner, module_id=module, **values)
    store._write(stmt.on_conflict_do_update(index_elements=["learner_id", "module_id"], set_=values))
    if status == "graded" and score is not None and max_score is not None and not needs_review:
        # a learner launched from an LMS: the mark goes back to it (course.lti; nothing for anyone else).
        # A mark waiting for a person's review is not the mark of record yet: the outbox sends one mark
        # per attempt, so sending this one would make the reviewed mark never reach the LMS.
        from course.lti.marks import queue_for_lms

        queue_for_lms(store, learner, module, score, max_score, critical_missed)
