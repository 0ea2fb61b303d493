"""Live group sessions' rows in the records store: sessions, anonymous votes, attendance.

The rules (who may do what, when a vote counts, the wording of every refusal) are
course.live.core's; this module only reads and writes, and each verb states the guarantee
its one statement gives:
- a session's change is a compare-and-swap on its `version` (`change`), so two trainer
  windows cannot undo each other's step;
- a vote and an attendance are one INSERT ... SELECT whose SELECT finds the session only
  while it takes them, so one racing a reveal or a close changes nothing;
- a vote's SELECT also needs the voter's token among those issued for the session
  (`live_voters`), so a token the server never issued votes nowhere.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import DateTime, String, exists, false, func, literal, select, update

from course.records.store import Store, _insert, now
from course.records.tables import (  # noqa: F401 - the constants for course.live
    CODE_LENGTH,
    NAME_MAX,
    live_attendance,
    live_sessions,
    live_voters,
    live_votes,
)


def add_session(store: Store, values: dict) -> None:
    """Insert a new session. Raises sqlalchemy's IntegrityError when its join code is in use by an
    open session (the unique partial index refuses it): the caller draws another code."""
    store._write(live_sessions.insert().values(**values))


def close_stale(store: Store, opened_before: datetime) -> int:
    """Close every open session opened before this time (one UPDATE); returns how many."""
    result = store._write(
        update(live_sessions)
        .where(live_sessions.c.closed_at.is_(None), live_sessions.c.opened_at < opened_before)
        .values(closed_at=now(), current_scenario=None, version=live_sessions.c.version + 1)
    )
    return result.rowcount or 0


def session(store: Store, session_id: str):
    """The session's row, or None."""
    rows = store._read(select(live_sessions).where(live_sessions.c.id == session_id))
    return rows[0] if rows else None


def open_by_code(store: Store, code: str):
    """The row of the session not closed with this join code (at most one: the index says so), or None."""
    rows = store._read(
        select(live_sessions).where(live_sessions.c.join_code == code, live_sessions.c.closed_at.is_(None))
    )
    return rows[0] if rows else None


def latest_by_code(store: Store, code: str):
    """The newest session's row with this join code, open or closed, or None."""
    rows = store._read(
        select(live_sessions)
        .where(live_sessions.c.join_code == code)
        .order_by(live_sessions.c.opened_at.desc())
        .limit(1)
    )
    return rows[0] if rows else None


def newest(store: Store, limit: int | None = None) -> list:
    """Session rows, newest first (all of them without a limit)."""
    stmt = select(live_sessions).order_by(live_sessions.c.opened_at.desc())
    return store._read(stmt.limit(limit) if limit is not None else stmt)


def change(store: Store, session_id: str, version: int, values: dict) -> bool:
    """Write `values` only if the session is still at `version` and not closed (compare-and-swap,
    one UPDATE); the version goes up by one. False: somebody changed it meanwhile."""
    changed = store._write_returning(
        update(live_sessions)
        .where(
            live_sessions.c.id == session_id, live_sessions.c.version == version, live_sessions.c.closed_at.is_(None)
        )
        .values(**values, version=version + 1)
        .returning(live_sessions.c.version)
    )
    return bool(changed)


def close(store: Store, session_id: str) -> None:
    """End the session (one UPDATE; closing a closed session changes nothing)."""
    store._write(
        update(live_sessions)
        .where(live_sessions.c.id == session_id, live_sessions.c.closed_at.is_(None))
        .values(closed_at=now(), current_scenario=None, version=live_sessions.c.version + 1)
    )


def add_attendance(
    store: Store,
    session_id: str,
    person: str,
    name: str,
    staff_number: str | None,
    joined: datetime,
    open_for: timedelta,
    learner_id: str | None = None,
) -> bool:
    """Record a person's attendance, only while the session is open (one INSERT ... SELECT: a
    join racing the close records nothing). `learner_id` only for a signed-in learner.
    False: not recorded (closed, or already there)."""
    s = live_sessions
    source = select(
        s.c.id,
        literal(person, String),
        literal(name, String),
        literal(staff_number, String),
        literal(joined, DateTime(timezone=True)),
        literal(learner_id, String),
    ).where(s.c.id == session_id, s.c.closed_at.is_(None), s.c.opened_at > now() - open_for)
    stmt = _insert(store.engine, live_attendance).from_select(
        ["session_id", "person_key", "name", "staff_number", "joined_at", "learner_id"], source
    )
    return bool(
        store._write_returning(
            stmt.on_conflict_do_nothing(index_elements=["session_id", "person_key"]).returning(
                live_attendance.c.session_id
            )
        )
    )


def put_vote(
    store: Store, session_id: str, scenario_id: str, voter_hash: str, choice_id: str, at: datetime, open_for: timedelta
) -> bool:
    """Record or change a vote, only while the session shows this scenario unrevealed (one INSERT
    ... SELECT ... ON CONFLICT DO UPDATE: a vote racing the reveal changes nothing; on PostgreSQL
    the SELECT takes a share lock, so a reveal committing meanwhile is seen). False: refused."""
    s = live_sessions
    source = (
        select(
            s.c.id,
            literal(scenario_id, String),
            literal(voter_hash, String),
            literal(choice_id, String),
            literal(at, DateTime(timezone=True)),
        )
        .where(
            s.c.id == session_id,
            s.c.closed_at.is_(None),
            s.c.revealed == false(),
            s.c.current_scenario == scenario_id,
            s.c.opened_at > at - open_for,
            exists().where(live_voters.c.session_id == session_id, live_voters.c.voter_hash == voter_hash),
        )
        .with_for_update(read=True)
    )  # PostgreSQL: a reveal committing meanwhile is seen; SQLite has one writer
    stmt = _insert(store.engine, live_votes).from_select(
        ["session_id", "scenario_id", "voter_hash", "choice_id", "updated_at"], source
    )
    stmt = stmt.on_conflict_do_update(
        index_elements=["session_id", "scenario_id", "voter_hash"],
        set_={"choice_id": stmt.excluded.choice_id, "updated_at": stmt.excluded.updated_at},
    )
    return bool(store._write_returning(stmt.returning(live_votes.c.choice_id)))


def add_voter(store: Store, session_id: str, voter_hash: str, open_for: timedelta) -> bool:
    """Issue a voter token for the session, only while it is open (one INSERT ... SELECT).
    False: not issued now (closed, or issued already)."""
    s = live_sessions
    source = select(s.c.id, literal(voter_hash, String)).where(
        s.c.id == session_id, s.c.closed_at.is_(None), s.c.opened_at > now() - open_for
    )
    stmt = _insert(store.engine, live_voters).from_select(["session_id", "voter_hash"], source)
    return bool(
        store._write_returning(
            stmt.on_conflict_do_nothing(index_elements=["session_id", "voter_hash"]).returning(live_voters.c.session_id)
        )
    )


def voter_known(store: Store, session_id: str, voter_hash: str) -> bool:
    """Was this voter token issued for this session?"""
    return bool(
        store._read(
            select(live_voters.c.session_id).where(
                live_voters.c.session_id == session_id, live_voters.c.voter_hash == voter_hash
            )
        )
    )


def confirm(store: Store, session_id: str, learner_ids: list[str], by: str, at: datetime) -> int:
    """Mark these signed-in attendees of the session as confirmed by the trainer, and every other
    signed-in attendee of it as not (one transaction: the trainer's list is the whole answer).
    Typed-name rows (no learner id) are never touched. Returns how many are confirmed."""
    a = live_attendance
    signed_in = (a.c.session_id == session_id) & a.c.learner_id.is_not(None)
    store._write_all(
        [
            update(a).where(signed_in, a.c.learner_id.not_in(learner_ids)).values(confirmed_at=None, confirmed_by=None),
            update(a).where(signed_in, a.c.learner_id.in_(learner_ids)).values(confirmed_at=at, confirmed_by=by),
        ]
    )
    rows = store._read(select(func.count()).where(signed_in, a.c.confirmed_at.is_not(None)))
    return int(rows[0][0] or 0)


def vote_of(store: Store, session_id: str, voter_hash: str, scenario_id: str) -> str | None:
    """This voter's current choice on a scenario, or None."""
    rows = store._read(
        select(live_votes.c.choice_id).where(
            live_votes.c.session_id == session_id,
            live_votes.c.scenario_id == scenario_id,
            live_votes.c.voter_hash == voter_hash,
        )
    )
    return rows[0][0] if rows else None


def tally(store: Store, session_id: str, scenario_id: str) -> dict[str, int]:
    """choice id -> how many chose it (never who)."""
    rows = store._read(
        select(live_votes.c.choice_id, func.count())
        .where(live_votes.c.session_id == session_id, live_votes.c.scenario_id == scenario_id)
        .group_by(live_votes.c.choice_id)
    )
    return {choice: int(count) for choice, count in rows}


def all_tallies(store: Store, session_id: str) -> dict[str, dict[str, int]]:
    """scenario id -> choice id -> count, for the whole session (one query)."""
    rows = store._read(
        select(live_votes.c.scenario_id, live_votes.c.choice_id, func.count())
        .where(live_votes.c.session_id == session_id)
        .group_by(live_votes.c.scenario_id, live_votes.c.choice_id)
    )
    result: dict[str, dict[str, int]] = {}
    for scenario_id, choice_id, count in rows:
        result.setdefault(scenario_id, {})[choice_id] = int(count)
    return result


def voter_count(store: Store, session_id: str) -> int:
    """How many different voters have voted in the session."""
    rows = store._read(
        select(func.count(func.distinct(live_votes.c.voter_hash))).where(live_votes.c.session_id == session_id)
    )
    return int(rows[0][0] or 0)


def attendance(store: Store, session_id: str | None = None) -> list:
    """(session_id, name, staff_number, joined_at, learner_id, confirmed_at) rows: of one session, or of all."""
    stmt = select(
        live_attendance.c.session_id,
        live_attendance.c.name,
        live_attendance.c.staff_number,
        live_attendance.c.joined_at,
        live_attendance.c.learner_id,
        live_attendance.c.confirmed_at,
    )
    return store._read(stmt.where(live_attendance.c.session_id == session_id) if session_id is not None else stmt)
