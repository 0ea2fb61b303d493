"""Subject access and retention in the records store, derived from the tables' personal marks
(course.records.tables: `info["personal"]`), so a table added there is exported and purged
with no second list to update. The rules (what "older than" means for each kind) are stated
in course.manager.privacy, which also handles nbgrader's gradebook and files.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, DateTime, MetaData, and_, delete, func, inspect, select, tuple_

from course.records.store import Store, aware
from course.records.tables import (
    attempt_layouts,
    attempts,
    decisions,
    learners,
    metadata,
    personal_tables,
    reflections,
    staff,
)

WITHHELD = "(withheld: a security credential)"


def jsonable(value):
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, bytes):
        return value.hex()
    return value


def roster_numbers(store: Store, learner_id: str) -> list[str]:
    """The staff numbers the roster gives this learner."""
    return [r[0] for r in store._read(select(staff.c.staff_number).where(staff.c.learner_id == learner_id))]


def rows_about(store: Store, learner_id: str) -> dict[str, list[dict]]:
    """table -> rows about this learner (credentials withheld), for every personal table.

    A table naming people by staff number is searched by the learner id and every staff number
    the roster gives them. Each table is one read; together they are not one snapshot (an
    export is a report, not a transaction)."""
    numbers = sorted(set(roster_numbers(store, learner_id)) | {learner_id})
    out: dict[str, list[dict]] = {}
    for table, personal in personal_tables():
        who = table.c[personal.who]
        condition = who == learner_id if personal.who == "learner_id" else who.in_(numbers)
        rows = store._read(select(table).where(condition))
        if rows:
            out[table.name] = [
                {k: (WITHHELD if k in personal.secret else jsonable(v)) for k, v in r._mapping.items()} for r in rows
            ]
    return dict(sorted(out.items()))


def not_covered(store: Store) -> list[str]:
    """Tables in the database, outside this schema, that look personal (a learner_id or
    staff_number column): the purge does not know their rules, so it says so."""
    found = inspect(store.engine)
    return sorted(
        name
        for name in found.get_table_names()
        if name not in metadata.tables and {"learner_id", "staff_number"} & {c["name"] for c in found.get_columns(name)}
    )


def _old_attempts(conn, cutoff: datetime) -> list[tuple[str, str, int]]:
    """(learner, module, attempt) whose last activity is before the cutoff."""
    d = select(
        decisions.c.learner_id, decisions.c.module_id, decisions.c.attempt, func.max(decisions.c.decided_at).label("at")
    ).group_by(decisions.c.learner_id, decisions.c.module_id, decisions.c.attempt)
    r = select(
        reflections.c.learner_id,
        reflections.c.module_id,
        reflections.c.attempt,
        func.max(reflections.c.saved_at).label("at"),
    ).group_by(reflections.c.learner_id, reflections.c.module_id, reflections.c.attempt)
    last: dict[tuple, datetime] = {}
    for row in conn.execute(
        select(
            attempts.c.learner_id,
            attempts.c.module_id,
            attempts.c.attempt,
            attempts.c.started_at,
            attempts.c.finished_at,
        )
    ):
        key = (row.learner_id, row.module_id, row.attempt)
        last[key] = max(x for x in (aware(row.started_at), aware(row.finished_at)) if x is not None)
    for row in list(conn.execute(d)) + list(conn.execute(r)):
        key = (row.learner_id, row.module_id, row.attempt)
        at = aware(row.at)
        last[key] = max(last.get(key, at), at)
    return [k for k, at in last.items() if at < cutoff]


def _delete_keys(conn, table, keys: list[tuple]) -> int:
    removed = 0
    columns = tuple_(table.c.learner_id, table.c.module_id, table.c.attempt)
    for i in range(0, len(keys), 300):
        result = conn.execute(delete(table).where(columns.in_(keys[i : i + 300])))
        removed += result.rowcount or 0
    return removed


def _aged(table, personal, cutoff: datetime):
    """The condition a row of a simply-aged table must meet to be purged."""
    column = table.c[personal.aged_by]
    # a DATE column (a completion, an attendance) is compared with the cutoff's day
    limit = cutoff.date() if isinstance(column.type, Date) and not isinstance(column.type, DateTime) else cutoff
    condition = column < limit
    for name, values in personal.only_when.items():
        condition = and_(condition, table.c[name].in_(list(values)))
    return condition


def purge_before(store: Store, cutoff: datetime, *, dry_run: bool = False) -> tuple[dict[str, int], set[str]]:
    """Delete the store's records older than `cutoff`, in one transaction; returns (label ->
    rows removed, the learners affected). A dry run makes the same deletions and rolls them
    back, so its counts are exact."""
    removed: dict[str, int] = {}
    affected: set[str] = set()
    simple = [(t, p) for t, p in personal_tables() if p.aged_by and not p.special]
    learner_tables = [t for t, p in personal_tables() if t is not learners and "learner_id" in t.c]
    # a table outside the schema that names learners also keeps their learner row (as it always did)
    others = MetaData()
    others.reflect(bind=store.engine, only=not_covered(store))
    learner_tables += [t for t in others.tables.values() if "learner_id" in t.c]
    with store.engine.connect() as conn:
        transaction = conn.begin()
        try:
            keys = _old_attempts(conn, cutoff)
            affected |= {k[0] for k in keys}
            removed["decisions"] = _delete_keys(conn, decisions, keys)
            removed["reflections"] = _delete_keys(conn, reflections, keys)
            removed["attempt layouts"] = _delete_keys(conn, attempt_layouts, keys)
            # answers saved without an attempt row: by their own date
            for label, table, column in (
                ("decisions", decisions, decisions.c.decided_at),
                ("reflections", reflections, reflections.c.saved_at),
                ("attempt layouts", attempt_layouts, attempt_layouts.c.created_at),
            ):
                orphan = and_(
                    column < cutoff,
                    ~tuple_(table.c.learner_id, table.c.module_id, table.c.attempt).in_(
                        select(attempts.c.learner_id, attempts.c.module_id, attempts.c.attempt)
                    ),
                )
                affected |= {r[0] for r in conn.execute(select(table.c.learner_id).where(orphan).distinct())}
                removed[label] += conn.execute(delete(table).where(orphan)).rowcount or 0
            removed["attempts"] = _delete_keys(conn, attempts, keys)
            for table, personal in simple:
                condition = _aged(table, personal, cutoff)
                who = next((table.c[k] for k in ("learner_id", "staff_number", "name") if k in table.c), None)
                if who is not None:
                    affected |= {r[0] for r in conn.execute(select(who).where(condition).distinct())}
                removed[personal.label] = conn.execute(delete(table).where(condition)).rowcount or 0
            # a learner row goes once nothing else about them is left
            keep = set()
            for table in learner_tables:
                keep |= {r[0] for r in conn.execute(select(table.c.learner_id).distinct())}
            gone = [
                r.learner_id
                for r in conn.execute(select(learners.c.learner_id).where(learners.c.created_at < cutoff))
                if r.learner_id not in keep
            ]
            for i in range(0, len(gone), 500):
                conn.execute(delete(learners).where(learners.c.learner_id.in_(gone[i : i + 500])))
            removed["learners"] = len(gone)
            affected |= set(gone)
        except BaseException:
            transaction.rollback()
            raise
        if dry_run:
            transaction.rollback()
        else:
            transaction.commit()
    return removed, affected
