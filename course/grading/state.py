"""What has been graded: one row per learner and module, keyed by the submission's fingerprint.

`course grade` grades a submission only when its fingerprint differs from the last graded
one, which is what makes it cheap to run after every Finish or on a schedule.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Boolean, Column, DateTime, Float, String, Table, Text, select

from course.records.store import Store, _insert, metadata, now
from course.records.store import ensure_tables as store_ensure_tables

gradings = Table(
    "gradings", metadata,
    Column("learner_id", String(120), primary_key=True),
    Column("module_id", String(60), primary_key=True),
    Column("fingerprint", String(64), nullable=False),
    Column("status", String(20), nullable=False),  # graded | needs review | not graded
    Column("score", Float, nullable=True),
    Column("max_score", Float, nullable=True),
    Column("needs_review", Boolean, nullable=False, default=False),
    Column("message", Text, nullable=False, default=""),
    Column("graded_at", DateTime(timezone=True), nullable=False),
)


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


def ensure_tables(store: Store) -> None:
    store_ensure_tables(store, [gradings])


def last_graded(store: Store) -> dict[tuple[str, str], GradingRecord]:
    ensure_tables(store)
    rows = store._read(select(gradings))
    return {(r.learner_id, r.module_id): GradingRecord(**r._mapping) for r in rows}


def graded(store: Store, learner: str, module: str) -> GradingRecord | None:
    """The last grading of one learner's module (what the learner's own page asks for)."""
    ensure_tables(store)
    rows = store._read(select(gradings).where(gradings.c.learner_id == learner, gradings.c.module_id == module))
    return GradingRecord(**rows[0]._mapping) if rows else None


def record(store: Store, learner: str, module: str, fingerprint: str, status: str, *, score=None,
           max_score=None, needs_review=False, message="") -> None:
    ensure_tables(store)
    values = dict(fingerprint=fingerprint, status=status, score=score, max_score=max_score,
                  needs_review=needs_review, message=message, graded_at=now())
    stmt = _insert(store.engine, gradings).values(learner_id=learner, module_id=module, **values)
    store._write(stmt.on_conflict_do_update(index_elements=["learner_id", "module_id"], set_=values))
