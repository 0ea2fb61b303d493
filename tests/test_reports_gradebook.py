"""Reports, export and purge against a real nbgrader gradebook and the grading log the marker keeps
beside it (the mark of record: course.progress reads the log, which holds nbgrader's grades)."""

from __future__ import annotations

import csv
import io
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import update

from course.records.store import Store, attempts
from course.records.tables import gradings

from .support.grading_helpers import mark

ROOT = Path(__file__).resolve().parents[1]
MODULES = ("why", "sharing", "boundaries", "protect", "safety", "final")
pytestmark = pytest.mark.slow


def make_gradebook(root: Path, grades: list[tuple[str, str, float, datetime]]) -> None:
    """A gradebook as nbgrader's autograde leaves it: one grade cell of 10 points per module."""
    from nbgrader.api import Gradebook

    from course.grading.coursedir import _alembic_on_path, gradebook_url

    _alembic_on_path()
    with Gradebook(gradebook_url(root)) as gb:
        for module in MODULES:
            gb.update_or_create_assignment(module)
            gb.add_notebook(module, module)
            gb.add_grade_cell("test-all", module, module, max_score=10, cell_type="code")
        for learner, module, score, when in grades:
            gb.update_or_create_student(learner)
            gb.add_submission(module, learner, timestamp=when)
            grade = gb.find_grade("test-all", module, module, learner)
            grade.auto_score = score
            gb.db.commit()


@pytest.fixture
def setup(tmp_path, monkeypatch):
    root = tmp_path / "grading"
    root.mkdir()
    shutil.copy(ROOT / "grading" / "nbgrader_config.py", root / "nbgrader_config.py")
    monkeypatch.setenv("COURSE_GRADING_DIR", str(root))
    monkeypatch.delenv("NBGRADER_DB_URL", raising=False)
    monkeypatch.setenv("COURSE_SECRET_KEY", "gradebook-test-key-0123456789")
    now = datetime.now(UTC).replace(microsecond=0)
    recent = now - timedelta(days=10)
    old = datetime(2020, 3, 1, tzinfo=UTC)
    rows = [("40001", m, 9.0, recent + timedelta(hours=i)) for i, m in enumerate(MODULES)]
    rows += [("40002", m, 9.0, recent) for m in MODULES if m != "final"] + [
        ("40002", "final", 4.0, recent + timedelta(hours=5))
    ]
    rows += [("40003", m, 10.0, old) for m in MODULES]
    make_gradebook(root, rows)
    store = Store()
    for learner, module, score, when in rows:  # what the marker records from nbgrader's result
        mark(store, learner, module, score, 10.0)
        store._write(
            update(gradings)
            .where(gradings.c.learner_id == learner, gradings.c.module_id == module)
            .values(graded_at=when)
        )
    for learner, module in (("40001", "why"), ("40003", "why")):
        folder = root / "submitted" / learner / module
        folder.mkdir(parents=True)
        (folder / "responses.json").write_text('{"reflections": {"r": "private thought"}}')
    # 40001 answered under the current policy; 40003's attempts were under a version of 2019
    for learner, version, started in (
        ("40001", "2025-09", recent - timedelta(days=1)),
        ("40003", "2019-09", old - timedelta(days=1)),
    ):
        for module in MODULES:
            store.current_attempt(learner, module, version)
        with store.engine.begin() as conn:
            conn.execute(update(attempts).where(attempts.c.learner_id == learner).values(started_at=started))
    (tmp_path / "staff.csv").write_text(
        "staff number,name,team\n40001,Amy Reid,Riverside\n40002,Ben Ali,Riverside\n40003,Cal Moss,Home care\n"
    )
    return root, store, tmp_path


def test_grades_come_from_the_marks_of_record_with_policy_versions(setup):
    from course.manager.reports import evaluate_inputs, load_inputs

    _root, store, _tmp = setup
    inputs = load_inputs(store)
    grades = inputs.grades.set_index(["learner_id", "module_id"])
    assert len(grades) == 3 * len(MODULES)  # every learner has a mark in every module
    assert grades.loc[("40001", "why"), "policy_version"] == "2025-09"
    assert grades.loc[("40003", "final"), "policy_version"] == "2019-09"
    assert grades.loc[("40002", "final"), "score"] == 4.0 and grades.loc[("40002", "final"), "max_score"] == 10.0
    assert grades["policy_version"].isna().sum() == len(MODULES)  # 40002 has no attempts in the store: dated instead
    result = evaluate_inputs(inputs)
    statuses = dict(zip(result.people["learner_id"], result.people["status"].astype(str)))
    assert statuses == {"40001": "completed", "40002": "failed", "40003": "overdue"}


def test_cli_report_export_and_purge_with_the_gradebook(setup):
    from course.cli import main

    root, store, tmp = setup
    runner = CliRunner()
    assert runner.invoke(main, ["roster", "import", str(tmp / "staff.csv")]).exit_code == 0
    out = runner.invoke(main, ["report", "completions", "--format", "csv"])
    assert out.exit_code == 0, out.output
    rows = {r["staff number"]: r for r in csv.DictReader(io.StringIO(out.output))}
    assert {k: r["status"] for k, r in rows.items()} == {"40001": "completed", "40002": "failed", "40003": "overdue"}
    assert rows["40001"]["score"] == "54/60 (90%)"

    export = runner.invoke(main, ["export-learner", "40003", "--format", "json", "--out", str(tmp / "cal.json")])
    assert export.exit_code == 0, export.output
    import json

    data = json.loads((tmp / "cal.json").read_text())
    assert sorted(g["module"] for g in data["gradebook"]) == sorted(MODULES)
    assert data["files"] == ["submitted/40003/why/responses.json"]

    purge = runner.invoke(main, ["purge", "--before", "2024-01-01", "--yes"])
    assert purge.exit_code == 0, purge.output
    # 40003's old attempts, grading-log marks and gradebook submissions (one of each per module) and one folder
    # 3 per module, the learner, and nbgrader's student row (purge removes every trace)
    assert f"{3 * len(MODULES) + 2} record(s) about 1 learner(s) deleted." in purge.output
    assert not (root / "submitted" / "40003").exists()
    assert (root / "submitted" / "40001" / "why" / "responses.json").exists()
    from course.manager.reports import load_inputs

    left = load_inputs(store).grades
    assert sorted(left["learner_id"].unique()) == ["40001", "40002"] and len(left) == 2 * len(MODULES)
    assert not list(root.glob(".purge-*"))
