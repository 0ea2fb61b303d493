"""The learner's learning record for professional learning (SSSC CPL): time, objectives, reflections."""

from __future__ import annotations

import json

from click.testing import CliRunner

from course.manager import certificates
from course.manager.learning_record import learning_record, to_html, to_json, to_markdown

from .test_certificates import issued, result  # noqa: F401 - fixtures


def test_learning_record(store, result, issued, course):
    # attempt 1 of "why" is finished (no reflection can change there): the retake's and a later one
    store.save_reflection("S01", "why", 2, "reflection", "I will stop <posting> photos from work.")
    store.save_reflection("S01", "why", 3, "reflection", "")  # an empty later save does not hide it
    store.save_reflection("S01", "final", 1, "reflection", "Ask my manager first.")
    record = learning_record(store, "S01", course, result)
    assert record["status"] == "completed" and record["completed_on"] == "2025-12-05"
    # the time in the records up to each pass (the issued fixture: 15 minutes in "why"); the
    # reflections saved just now come after the passes, so they add nothing
    assert record["learning_minutes"] == 15 and record["learning_hours"] == 0.2
    assert [m["minutes"] for m in record["modules"]] == [15, 0, 0, 0, 0, 0]
    assert [m["id"] for m in record["modules"]] == ["why", "sharing", "boundaries", "protect", "safety", "final"]
    why = record["modules"][0]
    assert why["objectives"] == list(course.modules["why"].objectives)
    assert why["reflections"][0]["text"] == "I will stop <posting> photos from work."
    assert why["passed_on"] == "2025-12-01"
    assert record["certificates"][0]["certificate_id"] == issued["S01"]["certificate_id"]
    assert "no fixed number of hours" not in record["about"] and "does not set a number of hours" in record["about"]

    page = to_html(record)
    assert "I will stop &lt;posting&gt; photos from work." in page and "<posting>" not in page
    assert "15 minutes (time spent, from the course records)" in page and course.modules["final"].objectives[0] in page
    md = to_markdown(record)
    assert "> Ask my manager first." in md and "## Why it matters" in md
    assert json.loads(to_json(record))["learner_id"] == "S01"


def test_learning_record_in_progress(store, result, course):
    record = learning_record(store, "S11", course, result)
    assert record["status"] == "in progress" and record["completed_on"] is None
    assert [m["status"] for m in record["modules"]] == ["passed", "passed"]
    assert record["learning_minutes"] == 0  # no moments in the records: no time is claimed (no estimate)


def test_cli_learning_record(tmp_path, monkeypatch):
    from datetime import date, timedelta

    from course.cli import main
    from course.records.store import Store

    from .test_reports import add_attendance

    (tmp_path / "grading").mkdir()
    monkeypatch.setenv("COURSE_GRADING_DIR", str(tmp_path / "grading"))
    store = Store()
    store.ensure_learner("40001", name="Amy Reid", staff_number="40001")
    add_attendance(store, [("40001", "all", date.today() - timedelta(days=3))])
    out = CliRunner().invoke(main, ["learning-record", "40001", "--format", "md"])
    assert out.exit_code == 0, out.output
    assert (
        "- Name: Amy Reid" in out.output
        and "Learning time (time spent, from the course records): 0 minutes" in out.output
    )
    html = CliRunner().invoke(main, ["learning-record", "40001", "--out", str(tmp_path / "r.html")])
    assert html.exit_code == 0 and "Learning record" in (tmp_path / "r.html").read_text()
    assert len(certificates.for_learner(store, "40001")) == 1
