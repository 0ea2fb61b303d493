"""Bring a records store's schema to this release's: Alembic, configured in code.

- `upgrade(url)` (what `course db upgrade`, `course serve` and the hub's start run): takes a
  lock, so two processes starting at once do not both migrate (a file lock beside a SQLite
  database; a transaction-scoped advisory lock on PostgreSQL, whose DDL is transactional, so
  an upgrade there happens whole or not at all), then reads the revision again and applies
  what is missing. A database made by the release before migrations (tables, no
  `alembic_version`) is accepted as revision 0001 when its tables have 0001's columns.
- `check(engine, url)` (what opening a `Store` runs, once per engine): a database at head is
  fine; a brand-new empty one is brought to head on the spot (a test's tmp SQLite, a
  learner's first open of a notebook); anything else fails with an error naming the command.
"""

from __future__ import annotations

import contextlib
import weakref
import zlib
from pathlib import Path

from sqlalchemy import inspect, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError

from course.records import tables
from course.records.store import StoreError, _redact, engine_for

HEAD = "0010"  # the newest revision in migrations/versions (a test checks they agree)
VERSION_TABLE = "alembic_version"
MIGRATIONS = Path(__file__).with_name("migrations")
UPGRADE_COMMAND = "course db upgrade"
_LOCK_KEY = zlib.crc32(b"course records store migrations")  # PostgreSQL advisory lock id

_checked: weakref.WeakSet = weakref.WeakSet()  # engines whose database is known to be at head


class MigrationError(StoreError):
    """The schema cannot be brought up to date; says which store, why, and what to do."""


def _config(connection=None):
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


def _script():
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(_config())


def revision_of(conn) -> str | None:
    """The database's Alembic revision, or None when it has no version table (or no row)."""
    if not inspect(conn).has_table(VERSION_TABLE):
        return None
    row = conn.execute(text(f"SELECT version_num FROM {VERSION_TABLE}")).first()
    return row[0] if row else None


def _course_tables(conn) -> set[str]:
    return set(inspect(conn).get_table_names()) & set(tables.metadata.tables)


def _check_previous_release(conn, url: str) -> None:
    """A database without a version table but with tables: they must be 0001's, column for column."""
    frozen = _script().get_revision("0001").module.schema()
    found = inspect(conn)
    present = set(found.get_table_names())
    problems = []
    for table in frozen.sorted_tables:
        if table.name not in present:
            continue  # that release made a table on first use: 0001 creates it
        columns = {c["name"] for c in found.get_columns(table.name)}
        expected = set(table.c.keys())
        if columns != expected:
            missing, extra = sorted(expected - columns), sorted(columns - expected)
            problems.append(
                f"table '{table.name}'"
                + (f" lacks {', '.join(missing)}" if missing else "")
                + (f" has unknown {', '.join(extra)}" if extra else "")
            )
    if problems:
        raise MigrationError(
            f"the records store at {_redact(url)} has no migration history and its tables are "
            f"not those of the previous release ({'; '.join(problems)}): nothing was changed"
        )


@contextlib.contextmanager
def _lock(engine: Engine):
    """One migrating process at a time, across processes (see the module docstring)."""
    database = engine.url.database if engine.dialect.name == "sqlite" else None
    if database and database != ":memory:" and not database.startswith("file:"):
        from course.atomic import locked

        with locked(Path(database)):
            yield
    else:
        yield  # PostgreSQL: the advisory lock is taken inside the transaction (see upgrade)


def upgrade(url: str, revision: str = "head") -> tuple[str | None, str | None]:
    """Apply every missing migration; returns (revision before, revision after). Twice is a no-op."""
    from alembic import command

    engine = engine_for(url)
    try:
        with _lock(engine), engine.connect() as conn, conn.begin():
            if engine.dialect.name == "postgresql":
                conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _LOCK_KEY})
            before = revision_of(conn)  # read under the lock: another process may just have upgraded
            if before is None and _course_tables(conn):
                _check_previous_release(conn, url)
            command.upgrade(_config(conn), revision)
            after = revision_of(conn)
    except MigrationError:
        raise
    except (SQLAlchemyError, RuntimeError) as exc:
        reason = getattr(exc, "orig", None) or exc
        raise MigrationError(f"could not upgrade the records store at {_redact(url)}: {reason}") from None
    if after == HEAD:
        _checked.add(engine)
    return before, after


def current(url: str) -> str | None:
    """The database's revision, without changing anything."""
    with engine_for(url).connect() as conn:
        return revision_of(conn)


def check(engine: Engine, url: str) -> None:
    """Refuse a database behind (or ahead of) this release; bring a brand-new empty one to head."""
    if engine in _checked:
        return
    with engine.connect() as conn:
        found = revision_of(conn)
        empty = found is None and not _course_tables(conn)
    if found == HEAD:
        _checked.add(engine)
        return
    if empty:
        upgrade(url)
        return
    if found is None:
        state = "was made by the release before migrations"
    elif found in _known():
        state = f"is at revision {found}, this release needs {HEAD}"
    else:
        raise MigrationError(
            f"the records store at {_redact(url)} is at revision {found}, which this release "
            f"does not know: a newer release upgraded it, so install that release"
        )
    raise MigrationError(f"the records store at {_redact(url)} {state}: run `{UPGRADE_COMMAND}` first")


def _known() -> set[str]:
    return {s.revision for s in _script().walk_revisions()}
