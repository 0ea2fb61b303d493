"""The records store: learners, attempts, decisions and reflections (SQLAlchemy Core).

A SQLite file by default, any SQLAlchemy URL through `COURSE_DB_URL` (PostgreSQL on a
hub). Every write is one transaction, so a write either happens whole or not at all.
A decision is final once made: the first one for a scenario in an attempt wins, even when
two tabs race, because the primary key refuses the second and we read back the first.
"""

from __future__ import annotations

import time
import weakref
from dataclasses import dataclass
from datetime import datetime, timezone
from functools import lru_cache

from sqlalchemy import (Column, DateTime, Float, Integer, MetaData, String, Table, Text, create_engine, event,
                        func, select)
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError, SQLAlchemyError

from course import settings
from course.settings import data_dir

metadata = MetaData()

learners = Table(
    "learners", metadata,
    Column("learner_id", String(120), primary_key=True),
    Column("name", String(200), nullable=False, default=""),
    Column("staff_number", String(60), nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

attempts = Table(
    "attempts", metadata,
    Column("learner_id", String(120), primary_key=True),
    Column("module_id", String(60), primary_key=True),
    Column("attempt", Integer, primary_key=True),
    Column("policy_version", String(40), nullable=False),
    Column("started_at", DateTime(timezone=True), nullable=False),
    Column("finished_at", DateTime(timezone=True), nullable=True),
)

decisions = Table(
    "decisions", metadata,
    Column("learner_id", String(120), primary_key=True),
    Column("module_id", String(60), primary_key=True),
    Column("attempt", Integer, primary_key=True),
    Column("scenario_id", String(80), primary_key=True),
    Column("choice_id", String(8), nullable=False),
    Column("score", Float, nullable=False),
    Column("decided_at", DateTime(timezone=True), nullable=False),
)

reflections = Table(
    "reflections", metadata,
    Column("learner_id", String(120), primary_key=True),
    Column("module_id", String(60), primary_key=True),
    Column("attempt", Integer, primary_key=True),
    Column("prompt_id", String(80), primary_key=True),
    Column("text", Text, nullable=False),
    Column("saved_at", DateTime(timezone=True), nullable=False),
)


class StoreError(Exception):
    """The records store could not be read or written; says which store and why."""


def now() -> datetime:
    return datetime.now(timezone.utc)


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
    # hide_parameters: an error SQLAlchemy raises (and we log) must not carry a learner's name or answers
    engine = create_engine(url, future=True, pool_pre_ping=True, hide_parameters=True)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    try:
        metadata.create_all(engine)
    except SQLAlchemyError as exc:
        raise StoreError(f"cannot open the records store at {_redact(url)}: {exc.__class__.__name__}: {exc.orig if hasattr(exc, 'orig') else exc}") from None
    return engine


# engine -> names of the tables known to exist in its database (see ensure_tables)
_prepared: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _created_meanwhile(exc: Exception) -> bool:
    # another process created the table between the check and the CREATE: SQLite says "already
    # exists"; PostgreSQL says that, or "duplicate key" (on its catalogue of types)
    text = str(exc).lower()
    return "already exists" in text or "duplicate key" in text


def ensure_tables(store: "Store", tables, purpose: str = "") -> None:
    """Create tables defined after the store opened its database, once per engine and table.

    The store creates the tables it knows when it opens a database; a module's own tables
    (sessions, the grading queue, live votes...) may be defined after that. Checking costs a
    query per table, so it is done once, not on every read (the marker polls several times a
    second). Two processes that start at once on a new database race to create them: the loser
    retries, and then finds them made.
    """
    done = _prepared.setdefault(store.engine, set())
    todo = [t for t in tables if t.name not in done]
    if not todo:
        return
    for attempt in range(10):
        try:
            metadata.create_all(store.engine, tables=todo)
            break
        except SQLAlchemyError as exc:
            if not _created_meanwhile(exc) or attempt == 9:
                raise StoreError(f"could not prepare the records store{' for ' + purpose if purpose else ''}: "
                                 f"{exc}") from None
            time.sleep(0.05 * (attempt + 1))
    done.update(t.name for t in todo)


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
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert(table)


@dataclass(frozen=True)
class Decision:
    scenario_id: str
    choice_id: str
    score: float
    decided_at: datetime


class Store:
    """All reads and writes of learner records go through here."""

    def __init__(self, url: str | None = None):
        self.url = url or default_url()
        self.engine = engine_for(self.url)

    def _write(self, statement):
        try:
            with self.engine.begin() as conn:
                return conn.execute(statement)
        except OperationalError as exc:
            raise StoreError(f"could not save to the records store ({_redact(self.url)}): {exc.orig}") from None

    def _read(self, statement):
        try:
            with self.engine.connect() as conn:
                return conn.execute(statement).fetchall()
        except OperationalError as exc:
            raise StoreError(f"could not read the records store ({_redact(self.url)}): {exc.orig}") from None

    # --- learners -----------------------------------------------------------------
    def ensure_learner(self, learner_id: str, name: str = "", staff_number: str | None = None) -> None:
        stmt = _insert(self.engine, learners).values(
            learner_id=learner_id, name=name, staff_number=staff_number, created_at=now())
        if name or staff_number:
            stmt = stmt.on_conflict_do_update(index_elements=["learner_id"], set_={"name": name, "staff_number": staff_number})
        else:
            stmt = stmt.on_conflict_do_nothing(index_elements=["learner_id"])
        self._write(stmt)

    def learner(self, learner_id: str) -> dict | None:
        rows = self._read(select(learners).where(learners.c.learner_id == learner_id))
        return dict(rows[0]._mapping) if rows else None

    # --- attempts -----------------------------------------------------------------
    def current_attempt(self, learner_id: str, module_id: str, policy_version: str) -> int:
        """The learner's open attempt at a module, starting attempt 1 if there is none."""
        rows = self._read(select(func.max(attempts.c.attempt)).where(
            attempts.c.learner_id == learner_id, attempts.c.module_id == module_id))
        latest = rows[0][0]
        if latest is not None:
            return int(latest)
        self.ensure_learner(learner_id)
        self._write(_insert(self.engine, attempts).values(
            learner_id=learner_id, module_id=module_id, attempt=1, policy_version=policy_version,
            started_at=now()).on_conflict_do_nothing())
        return 1

    def start_new_attempt(self, learner_id: str, module_id: str, policy_version: str) -> int:
        current = self.current_attempt(learner_id, module_id, policy_version)
        for candidate in range(current + 1, current + 50):
            result = self._write(_insert(self.engine, attempts).values(
                learner_id=learner_id, module_id=module_id, attempt=candidate, policy_version=policy_version,
                started_at=now()).on_conflict_do_nothing())
            if result.rowcount:
                return candidate
        raise StoreError(f"could not start a new attempt at '{module_id}' for this learner")

    def last_finished_attempt(self, learner_id: str, module_id: str) -> int | None:
        rows = self._read(select(func.max(attempts.c.attempt)).where(
            attempts.c.learner_id == learner_id, attempts.c.module_id == module_id,
            attempts.c.finished_at.is_not(None)))
        return None if rows[0][0] is None else int(rows[0][0])

    def finish_attempt(self, learner_id: str, module_id: str, attempt: int) -> None:
        self._write(attempts.update().where(
            attempts.c.learner_id == learner_id, attempts.c.module_id == module_id,
            attempts.c.attempt == attempt, attempts.c.finished_at.is_(None)).values(finished_at=now()))

    # --- decisions ----------------------------------------------------------------
    def record_decision(self, learner_id: str, module_id: str, attempt: int, scenario_id: str,
                        choice_id: str, score: float) -> Decision:
        """Save a decision; if one was already saved for this scenario, keep and return that one."""
        self._write(_insert(self.engine, decisions).values(
            learner_id=learner_id, module_id=module_id, attempt=attempt, scenario_id=scenario_id,
            choice_id=choice_id, score=score, decided_at=now()).on_conflict_do_nothing())
        return self.decisions(learner_id, module_id, attempt)[scenario_id]

    def decisions(self, learner_id: str, module_id: str, attempt: int) -> dict[str, Decision]:
        rows = self._read(select(decisions).where(
            decisions.c.learner_id == learner_id, decisions.c.module_id == module_id,
            decisions.c.attempt == attempt))
        return {r.scenario_id: Decision(r.scenario_id, r.choice_id, r.score, r.decided_at) for r in rows}

    # --- reflections --------------------------------------------------------------
    def save_reflection(self, learner_id: str, module_id: str, attempt: int, prompt_id: str, text: str) -> None:
        stmt = _insert(self.engine, reflections).values(
            learner_id=learner_id, module_id=module_id, attempt=attempt, prompt_id=prompt_id, text=text, saved_at=now())
        self._write(stmt.on_conflict_do_update(
            index_elements=["learner_id", "module_id", "attempt", "prompt_id"],
            set_={"text": text, "saved_at": now()}))

    def reflections(self, learner_id: str, module_id: str, attempt: int) -> dict[str, str]:
        rows = self._read(select(reflections).where(
            reflections.c.learner_id == learner_id, reflections.c.module_id == module_id,
            reflections.c.attempt == attempt))
        return {r.prompt_id: r.text for r in rows}
