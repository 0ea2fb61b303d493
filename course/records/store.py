"""The records store: learners, attempts, decisions and reflections (SQLAlchemy Core).

A SQLite file by default, any SQLAlchemy URL through `COURSE_DB_URL` (PostgreSQL on a
hub). Every write is one transaction, so a write either happens whole or not at all.
A decision is final once made: the first one for a scenario in an attempt wins, even when
two tabs race, because the primary key refuses the second and we read back the first.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any, overload

from sqlalchemy import DateTime, Table, and_, create_engine, event, exists, func, literal, select, union_all
from sqlalchemy.engine import Engine, Row
from sqlalchemy.exc import OperationalError, SQLAlchemyError

from course import settings
from course.records.tables import (  # noqa: F401 - named here too
    attempt_layouts,
    attempts,
    decisions,
    learners,
    metadata,
    reflections,
)
from course.settings import data_dir


class StoreError(Exception):
    """The records store could not be read or written; says which store and why."""


class RecordRefused(StoreError):
    """A write the records refuse on purpose, not a fault of the database (a finished attempt,
    a sign-in that has ended). str() is a plain sentence fit for the learner's page. A
    StoreError, so every caller that survives a busy store survives this too."""


class AttemptFinished(RecordRefused):
    """A write into an attempt after its Finish."""


FINISHED = "This attempt is finished, so its answers and reflection cannot be changed now"


class ChangedElsewhere(RecordRefused):
    """A write from a page whose view of the attempt is out of date: another tab or device
    finished it, started a new one, answered or rewrote the reflection since this page read it.
    The page is told, never written over (course.records.attempt.LearnerRecords.check_unchanged)."""


CHANGED_ELSEWHERE = "This module was changed in another tab or device. Here is where it stands now"


def _only(statement, table, learner_ids):
    """The statement limited to some learners (None: everyone): how a page reads one learner's rows."""
    return statement if learner_ids is None else statement.where(table.c.learner_id.in_(list(learner_ids)))


def now() -> datetime:
    return datetime.now(UTC)


@overload
def aware(value: datetime) -> datetime: ...
@overload
def aware(value: None) -> None: ...
def aware(value: datetime | None) -> datetime | None:
    """A time from the store as UTC-aware: SQLite gives back naive datetimes for timezone-aware
    columns (they were stored in UTC); PostgreSQL gives aware ones."""
    if value is None:
        return None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def default_url() -> str:
    return settings.records_db_url() or f"sqlite:///{data_dir() / 'records.db'}"


def _sqlite_pragmas(dbapi_connection, _record):
    # WAL lets readers go on while one learner writes; busy_timeout makes a second writer
    # wait its turn instead of failing with "database is locked".
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.close()


@lru_cache(maxsize=8)
def engine_for(url: str) -> Engine:
    """One engine per URL in a process. It makes no tables: the migrations do (course.records.migrate)."""
    # hide_parameters: an error SQLAlchemy raises (and we log) must not carry a learner's name or answers
    engine = create_engine(url, future=True, pool_pre_ping=True, hide_parameters=True)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def _redact(url: str) -> str:
    """A URL safe to print: no password."""
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # noqa: BLE001 - an unparsable URL is shown as it is, minus nothing secret
        return "<unparsable database URL>"


def _insert(engine: Engine, table: Table):
    """INSERT that can skip or update on conflict, in the engine's own dialect."""
    if engine.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as postgresql_insert

        return postgresql_insert(table)
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    return sqlite_insert(table)


@dataclass(frozen=True)
class Decision:
    scenario_id: str
    choice_id: str
    score: float
    # a datetime from the store; from a responses.json file (no store) its ISO text, or None if it has none
    decided_at: datetime | str | None


class Store:
    """All reads and writes of learner records go through here."""

    def __init__(self, url: str | None = None):
        from course.records import migrate

        self.url = url or default_url()
        self.engine = engine_for(self.url)
        try:
            migrate.check(self.engine, self.url)  # once per engine: a query, then nothing
        except SQLAlchemyError as exc:
            raise StoreError(
                f"cannot open the records store at {_redact(self.url)}: {exc.__class__.__name__}: "
                f"{exc.orig if hasattr(exc, 'orig') else exc}"
            ) from None

    def _write(self, statement):
        try:
            with self.engine.begin() as conn:
                return conn.execute(statement)
        except OperationalError as exc:
            raise StoreError(f"could not save to the records store ({_redact(self.url)}): {exc.orig}") from None

    def _write_all(self, statements) -> list:
        """Several writes in one transaction: all of them happen, or none. Returns their results."""
        try:
            with self.engine.begin() as conn:
                return [conn.execute(s) for s in statements]
        except OperationalError as exc:
            raise StoreError(f"could not save to the records store ({_redact(self.url)}): {exc.orig}") from None

    def _write_returning(self, statement) -> Sequence[Row[Any]]:
        """A write with RETURNING, in one transaction; its rows (rowcount is not reliable for
        INSERT ... SELECT on every driver: psycopg reports -1 for one with a locking clause)."""
        try:
            with self.engine.begin() as conn:
                return conn.execute(statement).fetchall()
        except OperationalError as exc:
            raise StoreError(f"could not save to the records store ({_redact(self.url)}): {exc.orig}") from None

    def compact(self) -> bool:
        """After a purge: nothing deleted may stay readable on disk. On SQLite, checkpoint the WAL
        into the database and truncate it, VACUUM (rewrites the file, so no free page keeps a
        deleted reflection), and truncate the WAL again. True when the WAL ended empty (a
        connection reading at that moment, a running server, can keep pages in it: run again).
        On PostgreSQL a no-op (False): its autovacuum reclaims dead rows (docs/PRIVACY.md)."""
        if self.engine.dialect.name != "sqlite":
            return False
        from sqlalchemy import text

        try:
            with self.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))
                conn.execute(text("VACUUM"))
                busy = conn.execute(text("PRAGMA wal_checkpoint(TRUNCATE)")).fetchone()
        except OperationalError as exc:
            raise StoreError(f"could not compact the records store ({_redact(self.url)}): {exc.orig}") from None
        return busy is not None and busy[0] == 0

    def _read(self, statement):
        try:
            with self.engine.connect() as conn:
                return conn.execute(statement).fetchall()
        except OperationalError as exc:
            raise StoreError(f"could not read the records store ({_redact(self.url)}): {exc.orig}") from None

    # --- learners -----------------------------------------------------------------
    def ensure_learner(
        self, learner_id: str, name: str = "", staff_number: str | None = None, identity: str | None = None
    ) -> None:
        """The learner's row, made if missing; a name, staff number or identity kind given replaces the stored one."""
        stmt = _insert(self.engine, learners).values(
            learner_id=learner_id, name=name, staff_number=staff_number, created_at=now(), identity=identity
        )
        changes: dict = {"name": name, "staff_number": staff_number} if name or staff_number else {}
        if identity:
            changes["identity"] = identity
        if changes:
            stmt = stmt.on_conflict_do_update(index_elements=["learner_id"], set_=changes)
        else:
            stmt = stmt.on_conflict_do_nothing(index_elements=["learner_id"])
        self._write(stmt)

    def learner(self, learner_id: str) -> dict | None:
        rows = self._read(select(learners).where(learners.c.learner_id == learner_id))
        return dict(rows[0]._mapping) if rows else None

    # --- attempts -----------------------------------------------------------------
    def current_attempt(self, learner_id: str, module_id: str, policy_version: str) -> int:
        """The learner's open attempt at a module, starting attempt 1 if there is none."""
        latest = self.latest_attempt(learner_id, module_id)
        if latest is not None:
            return latest
        self.ensure_learner(learner_id)
        self._write(
            _insert(self.engine, attempts)
            .values(
                learner_id=learner_id, module_id=module_id, attempt=1, policy_version=policy_version, started_at=now()
            )
            .on_conflict_do_nothing()
        )
        return 1

    def start_new_attempt(self, learner_id: str, module_id: str, policy_version: str) -> int:
        current = self.current_attempt(learner_id, module_id, policy_version)
        for candidate in range(current + 1, current + 50):
            result = self._write(
                _insert(self.engine, attempts)
                .values(
                    learner_id=learner_id,
                    module_id=module_id,
                    attempt=candidate,
                    policy_version=policy_version,
                    started_at=now(),
                )
                .on_conflict_do_nothing()
            )
            if result.rowcount:
                return candidate
        raise StoreError(f"could not start a new attempt at '{module_id}' for this learner")

    def last_finished_attempt(self, learner_id: str, module_id: str) -> int | None:
        rows = self._read(
            select(func.max(attempts.c.attempt)).where(
                attempts.c.learner_id == learner_id,
                attempts.c.module_id == module_id,
                attempts.c.finished_at.is_not(None),
            )
        )
        return None if rows[0][0] is None else int(rows[0][0])

    def latest_attempt(self, learner_id: str, module_id: str) -> int | None:
        """The learner's newest attempt at a module, or None: a read only (current_attempt starts one)."""
        rows = self._read(
            select(func.max(attempts.c.attempt)).where(
                attempts.c.learner_id == learner_id, attempts.c.module_id == module_id
            )
        )
        return None if rows[0][0] is None else int(rows[0][0])

    def finish_attempt(self, learner_id: str, module_id: str, attempt: int) -> bool:
        """Finish an open attempt; True only for the call that finished it (one conditional UPDATE),
        so of two tabs pressing Finish exactly one learns it did (course.grading.finish queues only then)."""
        result = self._write(
            attempts.update()
            .where(
                attempts.c.learner_id == learner_id,
                attempts.c.module_id == module_id,
                attempts.c.attempt == attempt,
                attempts.c.finished_at.is_(None),
            )
            .values(finished_at=now())
        )
        return result.rowcount == 1

    # --- decisions ----------------------------------------------------------------
    def record_decision(
        self, learner_id: str, module_id: str, attempt: int, scenario_id: str, choice_id: str, score: float
    ) -> Decision:
        """Save a decision; if one was already saved for this scenario, keep and return that one.

        Never into a finished attempt: the INSERT's own SELECT finds nothing once the attempt has
        a finished_at, so a save racing Finish is in before it or refused (AttemptFinished)."""
        values = {
            "learner_id": learner_id,
            "module_id": module_id,
            "attempt": attempt,
            "scenario_id": scenario_id,
            "choice_id": choice_id,
            "score": score,
            "decided_at": now(),
        }
        self._write(
            _insert(self.engine, decisions)
            .from_select(list(values), self._while_open(values, learner_id, module_id, attempt))
            .on_conflict_do_nothing()
        )
        saved = self.decisions(learner_id, module_id, attempt)
        if scenario_id not in saved:
            raise AttemptFinished(FINISHED)
        return saved[scenario_id]

    def _while_open(self, values: dict, learner_id: str, module_id: str, attempt: int):
        """SELECT these values only while the attempt is not finished (no row yet counts as open)."""
        a = attempts
        finished = exists().where(
            a.c.learner_id == learner_id,
            a.c.module_id == module_id,
            a.c.attempt == attempt,
            a.c.finished_at.is_not(None),
        )
        columns = {decisions.c.decided_at.name, reflections.c.saved_at.name}
        return select(
            *(literal(v, DateTime(timezone=True)) if k in columns else literal(v) for k, v in values.items())
        ).where(~finished)

    def decisions(self, learner_id: str, module_id: str, attempt: int) -> dict[str, Decision]:
        rows = self._read(
            select(decisions).where(
                decisions.c.learner_id == learner_id, decisions.c.module_id == module_id, decisions.c.attempt == attempt
            )
        )
        return {r.scenario_id: Decision(r.scenario_id, r.choice_id, r.score, r.decided_at) for r in rows}

    # --- layouts: what an attempt showed (course.assessment.layout) -------------------
    def record_layout(self, learner_id: str, module_id: str, attempt: int, policy_version: str, layout: dict) -> dict:
        """Record an attempt's layout; the first one recorded stands (two tabs racing both read it back)."""
        self._write(
            _insert(self.engine, attempt_layouts)
            .values(
                learner_id=learner_id,
                module_id=module_id,
                attempt=attempt,
                policy_version=policy_version,
                layout=json.dumps(layout, sort_keys=True),
                created_at=now(),
            )
            .on_conflict_do_nothing()
        )
        stored = self.layout(learner_id, module_id, attempt)
        assert stored is not None  # just written, or written first by another tab
        return stored

    def layout(self, learner_id: str, module_id: str, attempt: int) -> dict | None:
        """The layout recorded for this attempt (its JSON, parsed), or None if none was."""
        rows = self._read(
            select(attempt_layouts.c.layout).where(
                attempt_layouts.c.learner_id == learner_id,
                attempt_layouts.c.module_id == module_id,
                attempt_layouts.c.attempt == attempt,
            )
        )
        return json.loads(rows[0][0]) if rows else None

    def layouts(self, learner_id: str, module_id: str | None = None) -> dict[tuple[str, int], dict]:
        """(module_id, attempt) -> layout of every attempt of one learner (of one module, when given)."""
        query = select(attempt_layouts).where(attempt_layouts.c.learner_id == learner_id)
        if module_id is not None:
            query = query.where(attempt_layouts.c.module_id == module_id)
        return {(r.module_id, r.attempt): json.loads(r.layout) for r in self._read(query)}

    # --- reflections --------------------------------------------------------------
    def save_reflection(
        self, learner_id: str, module_id: str, attempt: int, prompt_id: str, text: str, expected: str | None = None
    ) -> None:
        """Save (or replace) a reflection, never in a finished attempt (AttemptFinished): one
        INSERT ... SELECT ... ON CONFLICT DO UPDATE whose SELECT finds nothing after Finish.

        `expected`: the text the writing page last read or saved ("" for none). Given, the UPDATE
        replaces only that text, in the same statement, so a tab racing another cannot write over
        words it never saw (ChangedElsewhere); None replaces whatever is there (scripts, fixtures)."""
        at = now()
        values = {
            "learner_id": learner_id,
            "module_id": module_id,
            "attempt": attempt,
            "prompt_id": prompt_id,
            "text": text,
            "saved_at": at,
        }
        stmt = _insert(self.engine, reflections).from_select(
            list(values), self._while_open(values, learner_id, module_id, attempt)
        )
        done = self._write_returning(
            stmt.on_conflict_do_update(
                index_elements=["learner_id", "module_id", "attempt", "prompt_id"],
                set_={"text": text, "saved_at": at},
                where=None if expected is None else reflections.c.text == expected,
            ).returning(reflections.c.prompt_id)
        )
        if not done:
            if expected is not None and self.finished_at(learner_id, module_id, attempt) is None:
                raise ChangedElsewhere(CHANGED_ELSEWHERE)
            raise AttemptFinished(FINISHED)

    def reflections(self, learner_id: str, module_id: str, attempt: int) -> dict[str, str]:
        rows = self._read(
            select(reflections).where(
                reflections.c.learner_id == learner_id,
                reflections.c.module_id == module_id,
                reflections.c.attempt == attempt,
            )
        )
        return {r.prompt_id: r.text for r in rows}

    # --- reads for views and reports (each one query, one consistent snapshot) -----------
    def finished_at(self, learner_id: str, module_id: str, attempt: int) -> datetime | None:
        """When this attempt was finished, or None while it is open (or unknown)."""
        rows = self._read(
            select(attempts.c.finished_at).where(
                attempts.c.learner_id == learner_id, attempts.c.module_id == module_id, attempts.c.attempt == attempt
            )
        )
        return rows[0][0] if rows else None

    def history(self, learner_id: str, module_id: str | None = None) -> tuple[list, list, list]:
        """One learner's attempt rows, decision rows and reflection rows (module_id, attempt,
        saved_at, text), of one module or all: three queries."""

        def where(table):
            clauses = [table.c.learner_id == learner_id]
            if module_id is not None:
                clauses.append(table.c.module_id == module_id)
            return clauses

        return (
            self._read(select(attempts).where(*where(attempts))),
            self._read(select(decisions).where(*where(decisions))),
            self._read(
                select(
                    reflections.c.module_id, reflections.c.attempt, reflections.c.saved_at, reflections.c.text
                ).where(*where(reflections))
            ),
        )

    def learner_reflections(self, learner_id: str) -> list:
        """Every reflection of one learner: by module, newest attempt and save first."""
        return self._read(
            select(reflections)
            .where(reflections.c.learner_id == learner_id)
            .order_by(reflections.c.module_id, reflections.c.attempt.desc(), reflections.c.saved_at.desc())
        )

    def attempt_starts(self, learner_ids=None) -> list[tuple]:
        """(learner_id, module_id, policy_version, started_at, finished_at) of every attempt (of
        `learner_ids` only, when given)."""
        return [
            tuple(r)
            for r in self._read(
                _only(
                    select(
                        attempts.c.learner_id,
                        attempts.c.module_id,
                        attempts.c.policy_version,
                        attempts.c.started_at,
                        attempts.c.finished_at,
                    ),
                    attempts,
                    learner_ids,
                )
            )
        ]

    def latest_finishes(self, learner_ids=None) -> list[tuple]:
        """(learner_id, module_id, finished_at): each learner's latest Finish of each module."""
        return [
            tuple(r)
            for r in self._read(
                _only(
                    select(attempts.c.learner_id, attempts.c.module_id, func.max(attempts.c.finished_at)).where(
                        attempts.c.finished_at.is_not(None)
                    ),
                    attempts,
                    learner_ids,
                ).group_by(attempts.c.learner_id, attempts.c.module_id)
            )
        ]

    def last_activity(self, learner_ids=None) -> list[tuple]:
        """(learner_id, module_id, when): the latest decision or reflection saved, per learner and module."""
        both = union_all(
            _only(
                select(decisions.c.learner_id, decisions.c.module_id, decisions.c.decided_at.label("at")),
                decisions,
                learner_ids,
            ),
            _only(
                select(reflections.c.learner_id, reflections.c.module_id, reflections.c.saved_at.label("at")),
                reflections,
                learner_ids,
            ),
        ).subquery()
        return [
            tuple(r)
            for r in self._read(
                select(both.c.learner_id, both.c.module_id, func.max(both.c.at)).group_by(
                    both.c.learner_id, both.c.module_id
                )
            )
        ]

    def activity_moments(self, learner_ids=None) -> list[tuple]:
        """(learner_id, module_id, attempt, when) of every moment the records hold: each attempt's
        start and Finish, each decision, each reflection saved (course.learning_time); one query."""
        moments = union_all(
            _only(
                select(attempts.c.learner_id, attempts.c.module_id, attempts.c.attempt, attempts.c.started_at),
                attempts,
                learner_ids,
            ),
            _only(
                select(attempts.c.learner_id, attempts.c.module_id, attempts.c.attempt, attempts.c.finished_at).where(
                    attempts.c.finished_at.is_not(None)
                ),
                attempts,
                learner_ids,
            ),
            _only(
                select(decisions.c.learner_id, decisions.c.module_id, decisions.c.attempt, decisions.c.decided_at),
                decisions,
                learner_ids,
            ),
            _only(
                select(
                    reflections.c.learner_id, reflections.c.module_id, reflections.c.attempt, reflections.c.saved_at
                ),
                reflections,
                learner_ids,
            ),
        )
        return [tuple(r) for r in self._read(moments)]

    def names(self, learner_ids=None) -> list[tuple]:
        """(learner_id, name, identity) of every learner (of `learner_ids` only, when given);
        identity: how the course knew them (course.records.identity: roster, hub, self-declared)."""
        return [
            tuple(r)
            for r in self._read(
                _only(select(learners.c.learner_id, learners.c.name, learners.c.identity), learners, learner_ids)
            )
        ]

    def first_attempt_decisions(self) -> list[tuple]:
        """(learner_id, module_id, attempt, scenario_id, choice_id, score): every decision in each
        learner's first attempt at each module (what item statistics read: later attempts come after
        the feedback, so they measure memory, not judgement)."""
        return self._first_decisions(decisions.c.module_id, with_attempt=True)

    def first_choices(self) -> list[tuple]:
        """(learner_id, module_id, scenario_id, choice_id, score): each learner's decision on each
        scenario in the first attempt in which they answered it."""
        return self._first_decisions(decisions.c.scenario_id, with_attempt=False)

    def _first_decisions(self, per, *, with_attempt: bool) -> list[tuple]:
        """Decisions in each learner's earliest attempt `per` module or per scenario (one query)."""
        first = (
            select(decisions.c.learner_id, per, func.min(decisions.c.attempt).label("attempt"))
            .group_by(decisions.c.learner_id, per)
            .subquery()
        )
        columns = [decisions.c.learner_id, decisions.c.module_id]
        columns += [decisions.c.attempt] if with_attempt else []
        columns += [decisions.c.scenario_id, decisions.c.choice_id, decisions.c.score]
        joined = select(*columns).join_from(
            decisions,
            first,
            and_(
                decisions.c.learner_id == first.c.learner_id,
                per == first.c[per.name],
                decisions.c.attempt == first.c.attempt,
            ),
        )
        return [tuple(r) for r in self._read(joined)]
