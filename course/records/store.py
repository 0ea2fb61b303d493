"""The records store: learners, attempts, decisions and reflections (SQLAlchemy Core).

A SQLite file by default, any SQLAlchemy URL through `COURSE_DB_URL` (PostgreSQL on a
hub). Every write is one transaction, so a write either happens whole or not at all.
A decision is final once made: the first one for a scenario in an attempt wins, even when
two tabs race, because the primary key refuses the second and we read back the first.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any, overload

from sqlalchemy import Table, and_, create_engine, event, func, select, union_all
from sqlalchemy.engine import Engine, Row
from sqlalchemy.exc import OperationalError, SQLAlchemyError

from course import settings
from course.records.tables import attempts, decisions, learners, metadata, reflections  # noqa: F401 - named here too
from course.settings import data_dir


class StoreError(Exception):
    """The records store could not be read or written; says which store and why."""


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
        rows = self._read(
            select(func.max(attempts.c.attempt)).where(
                attempts.c.learner_id == learner_id, attempts.c.module_id == module_id
            )
        )
        latest = rows[0][0]
        if latest is not None:
            return int(latest)
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

    def finish_attempt(self, learner_id: str, module_id: str, attempt: int) -> None:
        self._write(
            attempts.update()
            .where(
                attempts.c.learner_id == learner_id,
                attempts.c.module_id == module_id,
                attempts.c.attempt == attempt,
                attempts.c.finished_at.is_(None),
            )
            .values(finished_at=now())
        )

    # --- decisions ----------------------------------------------------------------
    def record_decision(
        self, learner_id: str, module_id: str, attempt: int, scenario_id: str, choice_id: str, score: float
    ) -> Decision:
        """Save a decision; if one was already saved for this scenario, keep and return that one."""
        self._write(
            _insert(self.engine, decisions)
            .values(
                learner_id=learner_id,
                module_id=module_id,
                attempt=attempt,
                scenario_id=scenario_id,
                choice_id=choice_id,
                score=score,
                decided_at=now(),
            )
            .on_conflict_do_nothing()
        )
        return self.decisions(learner_id, module_id, attempt)[scenario_id]

    def decisions(self, learner_id: str, module_id: str, attempt: int) -> dict[str, Decision]:
        rows = self._read(
            select(decisions).where(
                decisions.c.learner_id == learner_id, decisions.c.module_id == module_id, decisions.c.attempt == attempt
            )
        )
        return {r.scenario_id: Decision(r.scenario_id, r.choice_id, r.score, r.decided_at) for r in rows}

    # --- reflections --------------------------------------------------------------
    def save_reflection(self, learner_id: str, module_id: str, attempt: int, prompt_id: str, text: str) -> None:
        stmt = _insert(self.engine, reflections).values(
            learner_id=learner_id, module_id=module_id, attempt=attempt, prompt_id=prompt_id, text=text, saved_at=now()
        )
        self._write(
            stmt.on_conflict_do_update(
                index_elements=["learner_id", "module_id", "attempt", "prompt_id"],
                set_={"text": text, "saved_at": now()},
            )
        )

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
        first = (
            select(decisions.c.learner_id, decisions.c.module_id, func.min(decisions.c.attempt).label("attempt"))
            .group_by(decisions.c.learner_id, decisions.c.module_id)
            .subquery()
        )
        return [
            tuple(r)
            for r in self._read(
                select(
                    decisions.c.learner_id,
                    decisions.c.module_id,
                    decisions.c.attempt,
                    decisions.c.scenario_id,
                    decisions.c.choice_id,
                    decisions.c.score,
                ).join_from(
                    decisions,
                    first,
                    and_(
                        decisions.c.learner_id == first.c.learner_id,
                        decisions.c.module_id == first.c.module_id,
                        decisions.c.attempt == first.c.attempt,
                    ),
                )
            )
        ]

    def first_choices(self) -> list[tuple]:
        """(learner_id, module_id, scenario_id, choice_id, score): each learner's decision on each
        scenario in the first attempt in which they answered it."""
        first = (
            select(decisions.c.learner_id, decisions.c.scenario_id, func.min(decisions.c.attempt).label("attempt"))
            .group_by(decisions.c.learner_id, decisions.c.scenario_id)
            .subquery()
        )
        return [
            tuple(r)
            for r in self._read(
                select(
                    decisions.c.learner_id,
                    decisions.c.module_id,
                    decisions.c.scenario_id,
                    decisions.c.choice_id,
                    decisions.c.score,
                ).join_from(
                    decisions,
                    first,
                    and_(
                        decisions.c.learner_id == first.c.learner_id,
                        decisions.c.scenario_id == first.c.scenario_id,
                        decisions.c.attempt == first.c.attempt,
                    ),
                )
            )
        ]
