"""Trainer-led attendance recorded outside the live sessions (the `attendance` table).

A row says a learner attended a trainer-led session covering a module (or "all" of the
course) on a day. The reports count it as the policy says (`trainer_led_counts`).
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from course.records.store import Store, _insert
from course.records.tables import attendance


def rows(store: Store) -> list[tuple[str, str, date]]:
    """(learner_id, module_id, date) of every recorded attendance."""
    return [tuple(r) for r in store._read(select(attendance.c.learner_id, attendance.c.module_id, attendance.c.date))]


def record(store: Store, entries: list[tuple[str, str, date]]) -> int:
    """Add attendances (learner_id, module_id or "all", date) in one transaction; one already
    recorded is kept as it is (the primary key is the whole row). Returns how many were new."""
    if not entries:
        return 0
    stmt = (
        _insert(store.engine, attendance)
        .on_conflict_do_nothing()
        .values([{"learner_id": a, "module_id": b, "date": c} for a, b, c in entries])
    )
    return store._write(stmt).rowcount or 0
