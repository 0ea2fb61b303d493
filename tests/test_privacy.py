"""Subject access (`export-learner`) and retention (`purge`): they do what they say, and nothing else."""

from __future__ import annotations

import json
import zipfile
from datetime import UTC, date, datetime

import pytest
from click.testing import CliRunner
from sqlalchemy import MetaData, func, select

from course.manager import privacy
from course.records import retention
from course.records.roster import import_rows
from course.records.store import Store, attempts, decisions, learners, reflections
from course.records.tables import attempt_layouts, certificates, gradings, sessions
from course.records.tables import grading_queue as requests

from .test_reports import add_attendance

OLD = datetime(2020, 1, 2, 9, 0, tzinfo=UTC)
NEW = datetime(2026, 5, 2, 9, 0, tzinfo=UTC)
BEFORE = date(2024, 1, 1)


def at(day: datetime, hours: int = 0) -> datetime:
    return day.replace(hour=day.hour + hours)


def populate(store: Store, tmp_path) -> None:
    """amy: an old attempt and a new one; ben: all new; cal: all old (and nothing else)."""
    # every table is there: the migrations made them when the store opened this new database
    module = json.dumps(
        [
            {
                "id": "why",
                "title": "Why it matters",
                "passed_on": "2020-01-02",
                "score": 5.0,
                "max_score": 5.0,
                "attended": False,
            }
        ]
    )
    with store.engine.begin() as conn:
        conn.execute(
            learners.insert(),
            [
                {"learner_id": "amy", "name": "Amy Reid", "staff_number": "amy", "created_at": OLD},
                {"learner_id": "ben", "name": "Ben Ali", "staff_number": "ben", "created_at": NEW},
                {"learner_id": "cal", "name": "Cal Moss", "staff_number": "cal", "created_at": OLD},
            ],
        )
        conn.execute(
            attempts.insert(),
            [
                {
                    "learner_id": "amy",
                    "module_id": "why",
                    "attempt": 1,
                    "policy_version": "2019-09",
                    "started_at": OLD,
                    "finished_at": at(OLD, 1),
                },
                {
                    "learner_id": "amy",
                    "module_id": "why",
                    "attempt": 2,
                    "policy_version": "2025-09",
                    "started_at": NEW,
                    "finished_at": None,
                },
                {
                    "learner_id": "ben",
                    "module_id": "why",
                    "attempt": 1,
                    "policy_version": "2025-09",
                    "started_at": NEW,
                    "finished_at": None,
                },
                {
                    "learner_id": "cal",
                    "module_id": "why",
                    "attempt": 1,
                    "policy_version": "2019-09",
                    "started_at": OLD,
                    "finished_at": None,
                },
            ],
        )
        conn.execute(
            decisions.insert(),
            [
                {
                    "learner_id": "amy",
                    "module_id": "why",
                    "attempt": 1,
                    "scenario_id": "s1",
                    "choice_id": "a",
                    "score": 1,
                    "decided_at": OLD,
                },
                {
                    "learner_id": "amy",
                    "module_id": "why",
                    "attempt": 2,
                    "scenario_id": "s1",
                    "choice_id": "b",
                    "score": 0,
                    "decided_at": NEW,
                },
                {
                    "learner_id": "ben",
                    "module_id": "why",
                    "attempt": 1,
                    "scenario_id": "s1",
                    "choice_id": "a",
                    "score": 1,
                    "decided_at": NEW,
                },
                {
                    "learner_id": "cal",
                    "module_id": "why",
                    "attempt": 1,
                    "scenario_id": "s1",
                    "choice_id": "a",
                    "score": 1,
                    "decided_at": OLD,
                },
                {
                    "learner_id": "cal",
                    "module_id": "why",
                    "attempt": 1,
                    "scenario_id": "s2",
                    "choice_id": "a",
                    "score": 1,
                    "decided_at": OLD,
                },
            ],
        )
        conn.execute(
            reflections.insert(),
            [
                {
                    "learner_id": "amy",
                    "module_id": "why",
                    "attempt": 1,
                    "prompt_id": "r",
                    "text": "old thought",
                    "saved_at": OLD,
                },
                {
                    "learner_id": "amy",
                    "module_id": "why",
                    "attempt": 2,
                    "prompt_id": "r",
                    "text": "new thought",
                    "saved_at": NEW,
                },
                {
                    "learner_id": "cal",
                    "module_id": "why",
                    "attempt": 1,
                    "prompt_id": "r",
                    "text": "cal's",
                    "saved_at": OLD,
                },
            ],
        )
        conn.execute(
            gradings.insert(),
            [
                {
                    "learner_id": "amy",
                    "module_id": "why",
                    "fingerprint": "f1",
                    "status": "graded",
                    "score": 5,
                    "max_score": 5,
                    "needs_review": False,
                    "message": "",
                    "graded_at": OLD,
                },
                {
                    "learner_id": "ben",
                    "module_id": "why",
                    "fingerprint": "f2",
                    "status": "graded",
                    "score": 5,
                    "max_score": 5,
                    "needs_review": False,
                    "message": "",
                    "graded_at": NEW,
                },
            ],
        )
        conn.execute(
            requests.insert(),
            [
                {"learner_id": "amy", "module_id": "why", "status": "done", "requested_at": OLD, "message": ""},
                {"learner_id": "ben", "module_id": "why", "status": "queued", "requested_at": NEW, "message": ""},
            ],
        )
        conn.execute(
            sessions.insert(),
            [
                {"token_hash": "h-old", "learner_id": "amy", "created_at": OLD, "expires_at": at(OLD, 8)},
                {"token_hash": "h-new", "learner_id": "amy", "created_at": NEW, "expires_at": at(NEW, 8)},
            ],
        )
        conn.execute(
            certificates.insert(),
            [
                {
                    "certificate_id": "SMC-AAAAA-AAAAA-AAAAA-AAAAA",
                    "learner_id": "amy",
                    "staff_number": "amy",
                    "name": "Amy Reid",
                    "completed_on": date(2020, 1, 2),
                    "policy_version": "2019-09",
                    "modules": module,
                    "score": 5.0,
                    "max_score": 5.0,
                    "minutes": 20,
                    "issued_at": OLD,
                },
                {
                    "certificate_id": "SMC-BBBBB-BBBBB-BBBBB-BBBBB",
                    "learner_id": "ben",
                    "staff_number": "ben",
                    "name": "Ben Ali",
                    "completed_on": date(2026, 5, 2),
                    "policy_version": "2025-09",
                    "modules": module,
                    "score": 5.0,
                    "max_score": 5.0,
                    "minutes": 20,
                    "issued_at": NEW,
                },
            ],
        )
    # what amy's two attempts showed (course.assessment.layout): both recorded long ago, but a layout
    # goes with its attempt, not by its own date, so only the old attempt's is purged
    with store.engine.begin() as conn:
        conn.execute(
            attempt_layouts.insert(),
            [
                {
                    "learner_id": "amy",
                    "module_id": "why",
                    "attempt": n,
                    "policy_version": "2019-09",
                    "layout": json.dumps({"key": f"learner:amy|why|{n}", "items": [], "choices": {}}),
                    "created_at": OLD,
                }
                for n in (1, 2)
            ],
        )
    import_rows(
        store,
        [
            {
                "staff_number": "amy",
                "learner_id": "amy",
                "name": "Amy Reid",
                "team": "T",
                "role": "",
                "start_date": date(2019, 1, 1),
            },
            {
                "staff_number": "ben",
                "learner_id": "ben",
                "name": "Ben Ali",
                "team": "T",
                "role": "",
                "start_date": None,
            },
        ],
    )
    add_attendance(store, [("amy", "all", date(2019, 6, 1)), ("ben", "all", date(2026, 6, 1))])


def snapshot(store: Store) -> dict[str, list]:
    out = {}
    everything = MetaData()
    everything.reflect(bind=store.engine)  # every table in the database, not only the schema's
    for name, table in sorted(everything.tables.items()):
        with store.engine.connect() as conn:
            out[name] = sorted(tuple(str(v) for v in r) for r in conn.execute(select(table)))
    return out


@pytest.fixture
def env(tmp_path, monkeypatch):
    (tmp_path / "grading").mkdir()
    monkeypatch.setenv("COURSE_GRADING_DIR", str(tmp_path / "grading"))
    monkeypatch.delenv("NBGRADER_DB_URL", raising=False)
    store = Store()
    populate(store, tmp_path)
    return store


EXPECTED = {
    "decisions": 3,
    "reflections": 2,
    "attempt layouts": 1,
    "attempts": 2,
    "grading log entries": 1,
    "Finish requests": 1,
    "sign-in sessions": 1,
    "certificates": 1,
    "certificate revocations": 0,  # tests/test_badges.py purges an old one
    "trainer-led attendances": 1,
    "learners": 1,
    "launches from a learning system": 0,  # none here: tests/test_lti_server.py purges them
    "marks for a learning system": 0,
    "gradebook submissions": 0,
    "submission folders": 0,
    "gradebook students": 0,
}


def without_live(removed: dict) -> dict:
    """The live sessions' table is there only when course.live was imported: nothing of it is old here."""
    removed = dict(removed)
    assert removed.pop("live session attendances", 0) == 0
    return removed


def test_purge_removes_what_it_says_and_nothing_else(env):
    store = env
    before = snapshot(store)
    result = privacy.purge(store, BEFORE)
    assert without_live(result.removed) == EXPECTED
    assert result.total == 14 and result.learners_affected == 2  # amy's old records, and cal
    after = snapshot(store)
    removed = {t: sorted(set(before[t]) - set(after[t])) for t in before}
    added = {t: sorted(set(after[t]) - set(before[t])) for t in before}
    assert all(not rows for rows in added.values())
    assert {t: len(rows) for t, rows in removed.items() if rows} == {
        "attempts": 2,
        "decisions": 3,
        "reflections": 2,
        "attempt_layouts": 1,
        "gradings": 1,
        "grading_queue": 1,
        "sessions": 1,
        "certificates": 1,
        "attendance": 1,
        "learners": 1,
    }
    with store.engine.connect() as conn:
        assert sorted(conn.execute(select(learners.c.learner_id)).scalars()) == ["amy", "ben"]
        assert sorted(conn.execute(select(reflections.c.text)).scalars()) == ["new thought"]
        assert conn.execute(select(func.count()).select_from(decisions)).scalar() == 2
        assert sorted(conn.execute(select(attempts.c.learner_id, attempts.c.attempt))) == [("amy", 2), ("ben", 1)]
    assert len(after["staff"]) == 2  # the roster is not the purge's business
    again = privacy.purge(store, BEFORE)
    assert again.total == 0


def test_dry_run_counts_exactly_and_changes_nothing(env):
    before = snapshot(env)
    preview = privacy.purge(env, BEFORE, dry_run=True)
    assert without_live(preview.removed) == EXPECTED and preview.dry_run
    assert snapshot(env) == before


def test_purge_is_all_or_nothing(env, monkeypatch):
    before = snapshot(env)
    calls = []
    original = retention._delete_keys

    def failing(conn, table, keys):
        calls.append(table.name)
        if table.name == "attempts":
            raise RuntimeError("the disk is full")
        return original(conn, table, keys)

    monkeypatch.setattr(retention, "_delete_keys", failing)
    with pytest.raises(RuntimeError):
        privacy.purge(env, BEFORE)
    assert calls == ["decisions", "reflections", "attempt_layouts", "attempts"]
    assert snapshot(env) == before


def test_export_learner_has_every_record_about_them_and_no_one_else(env, tmp_path):
    (tmp_path / "grading" / "submitted" / "amy" / "why").mkdir(parents=True)
    (tmp_path / "grading" / "submitted" / "amy" / "why" / "responses.json").write_text('{"learner": "amy"}')
    (tmp_path / "grading" / "submitted" / "ben" / "why").mkdir(parents=True)
    (tmp_path / "grading" / "submitted" / "ben" / "why" / "responses.json").write_text('{"learner": "ben"}')
    data = privacy.export_learner(env, "amy")
    tables = data["records_store"]
    assert sorted(tables) == [
        "attempt_layouts",
        "attempts",
        "attendance",
        "certificates",
        "decisions",
        "grading_queue",
        "gradings",
        "learners",
        "reflections",
        "sessions",
        "staff",
    ]
    assert {t: len(rows) for t, rows in tables.items()} == {
        "attempt_layouts": 2,
        "attempts": 2,
        "attendance": 1,
        "certificates": 1,
        "decisions": 2,
        "gradings": 1,
        "grading_queue": 1,
        "learners": 1,
        "reflections": 2,
        "sessions": 2,
        "staff": 1,
    }
    assert all(row["learner_id"] == "amy" for rows in tables.values() for row in rows)
    assert {r["token_hash"] for r in tables["sessions"]} == {"(withheld: a security credential)"}
    assert data["files"] == ["submitted/amy/why/responses.json"]
    assert "Ben" not in json.dumps(data)

    path = privacy.write_export_zip(env, "amy", tmp_path / "amy.zip")
    with zipfile.ZipFile(path) as z:
        names = sorted(z.namelist())
        assert names == [
            "attempts.html",
            "certificates/SMC-AAAAA-AAAAA-AAAAA-AAAAA.html",
            "files/submitted/why/responses.json",
            "learning-record.html",
            "records.json",
        ]
        assert json.loads(z.read("records.json"))["records_store"]["reflections"][0]["learner_id"] == "amy"
        assert (
            "old thought" in z.read("learning-record.html").decode()
            or "new thought" in z.read("learning-record.html").decode()
        )
    with pytest.raises(KeyError, match="nothing is held about learner 'zed'"):
        privacy.export_learner(env, "zed")


def test_cli_purge_and_export(env, tmp_path, monkeypatch):
    from course.cli import main

    runner = CliRunner()
    monkeypatch.chdir(tmp_path)
    out = runner.invoke(main, ["export-learner", "amy"])
    assert out.exit_code == 0, out.output
    assert (tmp_path / "learner-amy.zip").exists()
    out = runner.invoke(main, ["export-learner", "amy", "--format", "json", "--out", "amy.json"])
    assert json.loads((tmp_path / "amy.json").read_text())["learner_id"] == "amy"
    missing = runner.invoke(main, ["export-learner", "zed"])
    assert missing.exit_code == 2 and "nothing is held about learner 'zed'" in missing.output

    before = snapshot(env)
    dry = runner.invoke(main, ["purge", "--before", "2024-01-01", "--dry-run"])
    assert dry.exit_code == 0 and "14 record(s) about 2 learner(s) would be deleted" in dry.output
    unconfirmed = runner.invoke(main, ["purge", "--before", "2024-01-01"])
    assert unconfirmed.exit_code == 2 and "add --yes to confirm" in unconfirmed.output
    assert snapshot(env) == before
    done = runner.invoke(main, ["purge", "--before", "2024-01-01", "--yes"])
    assert done.exit_code == 0 and "14 record(s) about 2 learner(s) deleted." in done.output
    assert "Amy" not in done.output and "amy" not in done.output  # counts only, no names
    future = runner.invoke(main, ["purge", "--before", "2999-01-01", "--yes"])
    assert future.exit_code == 2 and "is in the future" in future.output
    bad = runner.invoke(main, ["purge", "--before", "soon"])
    assert bad.exit_code == 2 and "is not a date" in bad.output and "Traceback" not in bad.output
