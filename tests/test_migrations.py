"""The records store's schema is made and upgraded by Alembic migrations (course.records.migrate).

The fixture tests/fixtures/records-0.1.0.db was written by the previous release's own code
(tests/fixtures/make_records_fixture.py says how): `course db upgrade` must keep every row of
every table, and the course must read the result.
"""

from __future__ import annotations

import multiprocessing
import os
import shutil
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import create_engine, inspect, text

from course.records import migrate, tables
from course.records.store import Store, StoreError, engine_for

FIXTURE = Path(__file__).with_name("fixtures") / "records-0.1.0.db"
PREVIOUS_TABLES = [
    "attempts",
    "certificates",
    "decisions",
    "grading_queue",
    "gradings",
    "learners",
    "live_attendance",
    "live_sessions",
    "live_votes",
    "reflections",
    "sessions",
    "staff",
]


def course_cli(*args: str, url: str, cwd: Path) -> subprocess.CompletedProcess:
    """The real `course` command, in its own process, on this store."""
    env = {**os.environ, "COURSE_DB_URL": url, "COURSE_DATA_DIR": str(cwd / "var")}
    return subprocess.run(
        [str(Path(sys.executable).with_name("course")), *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def all_rows(path: Path) -> dict[str, list[tuple]]:
    with sqlite3.connect(path) as conn:
        names = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        return {n: sorted(conn.execute(f'SELECT * FROM "{n}"').fetchall(), key=repr) for n in names}


@pytest.fixture
def previous_release(tmp_path) -> Path:
    copy = tmp_path / "records.db"
    shutil.copyfile(FIXTURE, copy)
    return copy


def test_head_is_the_newest_migration():
    from alembic.script import ScriptDirectory

    from course.records.migrate import _config

    assert ScriptDirectory.from_config(_config()).get_current_head() == migrate.HEAD


def test_migrated_schema_is_exactly_the_tables_module(any_db_url):
    """A new database brought to head has the tables, columns, types, keys and indexes of course.records.tables."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    Store(any_db_url)  # a brand-new empty database: brought to head on first open
    engine = engine_for(any_db_url)
    with engine.connect() as conn:
        assert migrate.revision_of(conn) == migrate.HEAD
        diffs = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), tables.metadata)
    assert diffs == []
    assert set(inspect(engine).get_table_names()) == set(tables.metadata.tables) | {"alembic_version"}


def test_the_fixture_was_made_by_the_previous_release():
    rows = all_rows(FIXTURE)
    assert sorted(rows) == PREVIOUS_TABLES  # no alembic_version: the release before migrations
    assert all(rows[t] for t in PREVIOUS_TABLES)  # a few rows in every table


def test_upgrading_the_previous_release_keeps_every_row(previous_release, tmp_path):
    url = f"sqlite:///{previous_release}"
    before = all_rows(previous_release)
    with pytest.raises(StoreError, match="course db upgrade"):
        Store(url)  # behind head, outside the upgrade command: a clear refusal, nothing changed
    assert all_rows(previous_release) == before

    done = course_cli("db", "upgrade", url=url, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert f"from no revision to {migrate.HEAD}" in done.stdout
    after = all_rows(previous_release)
    for name in PREVIOUS_TABLES:
        rows = after[name]
        if name == "gradings":  # 0006 adds critical_missed: "[]"; 0007 scenario_marks: NULL, for marks made before
            assert all(r[-2] == "[]" and r[-1] is None for r in rows)
            rows = [r[:-2] for r in rows]
        if name == "sessions":  # 0010 adds purpose: every earlier session signed a learner in
            assert all(r[-1] == "signin" for r in rows)
            rows = [r[:-1] for r in rows]
        width = (
            len(before[name][0]) if before[name] else 0
        )  # later migrations may add columns (0004: learners.identity, certificates.identity; 0005: live_attendance's)
        assert [r[:width] for r in rows] == before[name], name  # every row, every value
        assert all(v is None for r in rows for v in r[width:]), name
    assert {n: len(r) for n, r in after.items() if n in before} == {n: len(r) for n, r in before.items()}
    assert after["alembic_version"] == [(migrate.HEAD,)] and after["attendance"] == []
    assert after["learners"][0][:3] == ("40001", "Amy Reid", "40001")

    again = course_cli("db", "upgrade", url=url, cwd=tmp_path)  # twice is a no-op
    assert again.returncode == 0 and "up to date" in again.stdout
    assert all_rows(previous_release) == after
    current = course_cli("db", "current", url=url, cwd=tmp_path)
    assert current.stdout.strip() == f"{migrate.HEAD}: up to date"


def test_the_course_reads_an_upgraded_store(previous_release, tmp_path):
    url = f"sqlite:///{previous_release}"
    assert course_cli("db", "upgrade", url=url, cwd=tmp_path).returncode == 0
    from course.app.status import PASSED, course_status
    from course.content.model import load_course
    from course.manager import certificates
    from course.records import grading_log, signin_tokens

    store, course = Store(url), load_course()
    assert store.learner("40001")["name"] == "Amy Reid"
    why = next(s for s in course_status(store, course, "40001") if s.module.id == "why")
    # attempt 1 finished and marked 2.5/3 (the fixture records the mark after attempt 2's first answer,
    # so that answer is not newer than the mark): the mark of record decides (course.progress)
    assert (why.state, why.attempt, why.answered) == (PASSED, 1, 9)
    assert [c["name"] for c in certificates.for_learner(store, "40001")] == ["Amy Reid"]
    assert grading_log.graded(store, "40001", "why").score == 2.5
    assert signin_tokens.purge_expired(store) == 0  # the sign-in session is still current
    report = course_cli("report", "completions", "--format", "csv", url=url, cwd=tmp_path)
    assert report.returncode == 0, report.stderr
    assert "Amy Reid" in report.stdout and "Ben Ali" in report.stdout


def test_a_second_migration_applies_and_adopts_a_hand_made_attendance_table(tmp_path):
    url = f"sqlite:///{tmp_path / 'records.db'}"
    assert migrate.upgrade(url, "0001") == (None, "0001")
    with engine_for(url).begin() as conn:  # as a provider made it by hand, before 0002
        conn.execute(text("CREATE TABLE attendance (learner_id VARCHAR(120), module_id VARCHAR(60), date DATE)"))
        conn.execute(text("INSERT INTO attendance VALUES ('40001', 'all', '2026-02-01')"))
    with pytest.raises(StoreError, match=rf"revision 0001, this release needs {migrate.HEAD}: run `course db upgrade`"):
        Store(url)
    assert migrate.upgrade(url) == ("0001", migrate.HEAD)  # 0002 and every migration after it
    from course.records import attendance

    assert [(a, b, str(c)) for a, b, c in attendance.rows(Store(url))] == [("40001", "all", "2026-02-01")]
    assert migrate.upgrade(url) == (migrate.HEAD, migrate.HEAD)


def test_an_attendance_table_without_the_columns_stops_the_upgrade(tmp_path):
    url = f"sqlite:///{tmp_path / 'records.db'}"
    migrate.upgrade(url, "0001")
    with engine_for(url).begin() as conn:
        conn.execute(text("CREATE TABLE attendance (who VARCHAR(120), day DATE)"))
    with pytest.raises(StoreError, match="'attendance' table without the columns date, learner_id, module_id"):
        migrate.upgrade(url)
    assert migrate.current(url) == "0001"


def test_tables_unlike_the_previous_release_are_refused_and_left_alone(tmp_path):
    path = tmp_path / "records.db"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE learners (learner_id VARCHAR(120) PRIMARY KEY, nickname TEXT)")
    with pytest.raises(StoreError, match=r"table 'learners' lacks created_at, name, staff_number has unknown nickname"):
        migrate.upgrade(f"sqlite:///{path}")
    assert sorted(all_rows(path)) == ["learners"]


def test_a_store_upgraded_by_a_newer_release_is_refused(tmp_path):
    url = f"sqlite:///{tmp_path / 'records.db'}"
    migrate.upgrade(url)
    with engine_for(url).begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    engine_for.cache_clear()  # another process: its engine has not seen this database yet
    with pytest.raises(StoreError, match="revision 9999, which this release does not know"):
        Store(url)


def _upgrade_at(url: str, start_at: float, results) -> None:
    while time.time() < start_at:
        time.sleep(0.002)
    try:
        results.put(migrate.upgrade(url))
    except Exception as exc:  # noqa: BLE001 - reported by the test
        results.put(repr(exc))


@pytest.mark.slow
def test_processes_upgrading_at_once_migrate_once(any_db_url):
    """`course serve`, the hub's set-up and users' servers may all start together on one database."""
    context = multiprocessing.get_context("spawn")
    results = context.Queue()
    start_at = time.time() + 6  # after every process has imported alembic
    processes = [context.Process(target=_upgrade_at, args=(any_db_url, start_at, results)) for _ in range(3)]
    for p in processes:
        p.start()
    for p in processes:
        p.join(timeout=120)
    outcomes = sorted((results.get(timeout=10) for _ in processes), key=repr)
    expected = [(None, migrate.HEAD), (migrate.HEAD, migrate.HEAD), (migrate.HEAD, migrate.HEAD)]
    assert outcomes == sorted(expected, key=repr)  # exactly one process migrated; the others found it done
    engine = create_engine(any_db_url)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM alembic_version")).scalar() == 1
    engine.dispose()


def test_course_serve_and_the_hub_upgrade_the_store_on_start(previous_release, tmp_path, monkeypatch):
    """`course serve` (its prepare step), the hub's shared set-up and a user's server start all run the upgrade."""
    from course.content.model import load_course
    from course.hub import shared, start
    from course.server import supervisor

    url = f"sqlite:///{previous_release}"
    monkeypatch.setenv("COURSE_DB_URL", url)
    monkeypatch.setenv("COURSE_DATA_DIR", str(tmp_path / "var"))
    supervisor.prepare(load_course())
    assert migrate.current(url) == migrate.HEAD
    for upgrade in (lambda u: shared._upgrade_records(u), lambda u: start.upgrade_records()):
        other = tmp_path / f"other-{len(list(tmp_path.glob('other-*')))}.db"
        shutil.copyfile(FIXTURE, other)
        monkeypatch.setenv("COURSE_DB_URL", f"sqlite:///{other}")
        upgrade(f"sqlite:///{other}")
        assert migrate.current(f"sqlite:///{other}") == migrate.HEAD
