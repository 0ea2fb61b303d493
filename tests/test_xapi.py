"""xAPI statements for each completion: the shape an LRS accepts, stable ids, no names by default."""

from __future__ import annotations

import json
import re
import uuid
from datetime import datetime

from click.testing import CliRunner

from course.manager import certificates, xapi

from .test_certificates import issued, result  # noqa: F401 - fixtures

IRI = re.compile(r"^[a-z][a-z0-9+.-]*:")


def check_statement(s: dict) -> None:
    """The xAPI 1.0.3 rules an LRS checks first."""
    uuid.UUID(s["id"])
    assert s["actor"]["objectType"] == "Agent"
    account = s["actor"]["account"]
    assert IRI.match(account["homePage"]) and account["name"]
    assert IRI.match(s["verb"]["id"]) and s["verb"]["display"]
    assert s["object"]["objectType"] == "Activity" and IRI.match(s["object"]["id"])
    assert IRI.match(s["object"]["definition"]["type"])
    datetime.fromisoformat(s["timestamp"].replace("Z", "+00:00"))
    score = s["result"].get("score")
    if score:
        assert -1 <= score["scaled"] <= 1 and score["min"] <= score["raw"] <= score["max"]
    uuid.UUID(s["context"]["registration"])
    assert all(IRI.match(k) for k in s["context"].get("extensions", {}))


def test_statements_for_a_completion(store, issued, course):
    record = certificates.get(store, issued["S01"]["certificate_id"])
    statements = xapi.statements_for(record, course, homepage="https://hr.example.org/")
    assert [s["verb"]["display"]["en-GB"] for s in statements] == ["passed"] * 6 + ["completed"]
    for s in statements:
        check_statement(s)
    completed = statements[-1]
    assert completed["object"]["id"] == xapi.DEFAULT_BASE + "course"
    assert completed["result"] == {
        "success": True,
        "completion": True,
        "score": {"scaled": 0.9, "raw": 54.0, "min": 0, "max": 60.0},
    }
    assert completed["timestamp"] == "2025-12-05T00:00:00Z"
    assert completed["actor"] == {
        "objectType": "Agent",
        "account": {"homePage": "https://hr.example.org/", "name": "S01"},
    }
    assert (
        completed["context"]["extensions"][xapi.DEFAULT_BASE + "extensions/certificate-id"] == record["certificate_id"]
    )
    assert {s["context"]["registration"] for s in statements} == {completed["context"]["registration"]}
    assert statements[0]["object"]["id"] == xapi.DEFAULT_BASE + "module/why"
    assert statements[0]["context"]["contextActivities"]["parent"][0]["id"] == xapi.DEFAULT_BASE + "course"
    assert "Amy" not in json.dumps(statements)  # no names unless asked
    named = xapi.statements_for(record, course, with_names=True)
    assert named[-1]["actor"]["name"] == record["name"]
    assert [s["id"] for s in named] == [s["id"] for s in statements]  # the same completion, the same ids


def test_trainer_led_modules_are_attended(store, issued, course, monkeypatch):
    monkeypatch.setenv("COURSE_XAPI_BASE", "https://learning.example.org/course")
    statements = xapi.statements_for(certificates.get(store, issued["S02"]["certificate_id"]), course)
    assert [s["verb"]["id"] for s in statements[:5]] == [xapi.VERBS["attended"]] * 5
    assert "score" not in statements[-1]["result"]
    assert statements[-1]["object"]["id"] == "https://learning.example.org/course/course"
    for s in statements:
        check_statement(s)


def test_cli_xapi(tmp_path, monkeypatch):
    from datetime import date, timedelta

    from course.cli import main
    from course.records.store import Store

    from .test_reports import add_attendance

    (tmp_path / "grading").mkdir()
    monkeypatch.setenv("COURSE_GRADING_DIR", str(tmp_path / "grading"))
    add_attendance(Store(), [("40001", "all", date.today() - timedelta(days=3))])
    out = CliRunner().invoke(main, ["xapi", "--out", str(tmp_path / "x.json"), "--homepage", "https://hr.example.org/"])
    assert out.exit_code == 0, out.output
    statements = json.loads((tmp_path / "x.json").read_text())
    assert len(statements) == 7 and statements[-1]["verb"]["display"]["en-GB"] == "completed"
    for s in statements:
        check_statement(s)
    later = CliRunner().invoke(main, ["xapi", "--since", (date.today() + timedelta(days=1)).isoformat()])
    assert later.exit_code == 0 and json.loads(later.output) == []
