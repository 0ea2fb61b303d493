"""Reports: the tables managers read, the writers (safe for spreadsheets), and `course report`."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta

import pandas as pd
import pytest
from click.testing import CliRunner
from sqlalchemy import Column, Date, MetaData, String, Table

from course.manager.completion import evaluate
from course.manager.reports import completions_report, due_report, due_table, people_table, team_table
from course.manager.reports.scenarios import first_choices, hardest
from course.manager.reports.writers import Report, Section, frame_to_html, safe_cell, to_csv, to_html, write_xlsx

from .test_completion import AS_OF, rule, synthetic


@pytest.fixture
def result():
    roster, grades, activity, attendance, history = synthetic()
    return evaluate(rule(), grades, roster, activity=activity, attendance=attendance, history=history, as_of=AS_OF)


@pytest.fixture
def manager_env(tmp_path, monkeypatch):
    """No gradebook (an empty nbgrader course root) and a fresh records store in the data folder."""
    (tmp_path / "grading").mkdir()
    monkeypatch.setenv("COURSE_GRADING_DIR", str(tmp_path / "grading"))
    monkeypatch.delenv("NBGRADER_DB_URL", raising=False)
    monkeypatch.setenv("COURSE_SECRET_KEY", "a-test-key-that-is-long-enough")
    return tmp_path


def add_attendance(store, rows):
    """The attendance table another engineer will add: learner_id, module_id ("all" or a module), date."""
    meta = MetaData()
    table = Table(
        "attendance", meta, Column("learner_id", String(120)), Column("module_id", String(60)), Column("date", Date)
    )
    meta.create_all(store.engine)
    with store.engine.begin() as conn:
        conn.execute(table.insert(), [{"learner_id": a, "module_id": b, "date": c} for a, b, c in rows])


def test_people_table(result):
    table = people_table(result)
    assert list(table.columns) == [
        "staff number",
        "name",
        "team",
        "role",
        "status",
        "modules passed",
        "completed on",
        "due on",
        "score",
        "score %",
        "identity",
    ]
    assert len(table) == 14
    s01 = table.set_index("staff number").loc["S01"]
    assert s01[["status", "modules passed", "completed on", "due on", "score"]].tolist() == [
        "completed",
        "5/5",
        date(2025, 12, 5),
        date(2026, 12, 5),
        "45/50 (90%)",
    ]
    assert table.set_index("staff number").loc["S02", "score"] == "5 attended"
    assert s01["score %"] == 90.0  # the same score as a number (sortable; a real number in XLSX)
    assert pd.isna(table.set_index("staff number").loc["S02", "score %"])  # attended only: no marks
    assert table["team"].iloc[0] == "(not on the roster)"  # sorted by team, then name
    only_failed = people_table(result, statuses=["failed"])
    assert only_failed["staff number"].tolist() == ["S06"]
    one_team = people_table(result, team="home care NORTH")
    assert one_team["staff number"].tolist() == ["S06", "S07", "S08", "S09"]


def test_team_table(result):
    table = team_table(result).set_index("team")
    assert table.loc[
        "All staff", ["staff", "completed", "due soon", "overdue", "failed", "in progress", "not started"]
    ].tolist() == [14, 2, 1, 3, 1, 5, 2]
    assert table.loc["All staff", "completed %"] == round(300 / 14, 1)
    assert table.loc["Riverside care home", "completed %"] == 60.0
    assert table.loc["Home care north", "completed %"] == 0.0


def test_due_table(result):
    table = due_table(result)
    assert table["staff number"].tolist() == ["S12", "S05", "S04", "S03"]  # soonest due first
    assert table["days left"].tolist() == [-471, -379, -10, 10]
    assert due_table(result, within_days=90)["staff number"].tolist() == ["S12", "S05", "S04", "S03", "S01"]
    report = due_report(result)
    assert report.sections[0].title == "Due within 30 days, or overdue"


def test_formula_injection_is_neutralised_in_csv_and_xlsx(tmp_path):
    from openpyxl import load_workbook

    risky = ['=HYPERLINK("http://x")', "+44 1234", "-2+3", "@SUM(A1)", "\tTab", "\rReturn", "Plain", "O'Neil"]
    frame = pd.DataFrame({"name": risky, "number": range(len(risky)), "minus": [-1.5] * len(risky)})
    assert [safe_cell(v) for v in risky] == [
        '\'=HYPERLINK("http://x")',
        "'+44 1234",
        "'-2+3",
        "'@SUM(A1)",
        "'\tTab",
        "'\rReturn",
        "Plain",
        "O'Neil",
    ]
    rows = list(csv.reader(io.StringIO(to_csv(frame), newline="")))
    assert [r[0] for r in rows[1:]] == [safe_cell(v) for v in risky]
    assert rows[1][2] == "-1.5"  # numbers stay numbers
    path = tmp_path / "out.xlsx"
    write_xlsx(Report("t", [Section("People", frame)]), path)
    sheet = load_workbook(path)["People"]
    values = list(sheet.iter_rows(values_only=True))
    assert values[0][0] == "t" and values[1][0].startswith("As of ")  # the header block, then a blank row
    values = values[values.index((None, None, None)) + 1 :]
    assert values[0] == ("name", "number", "minus")
    # (XML keeps a carriage return as a line feed)
    assert [v[0] for v in values[1:]] == [safe_cell(v).replace("\r", "\n") for v in risky]
    assert values[1][2] == -1.5
    assert all(not str(v[0]).startswith(("=", "+", "-", "@")) for v in values[1:])


def test_html_is_escaped_and_printable(result):
    frame = pd.DataFrame({"name": ["<script>alert(1)</script>"], "n": [1]})
    out = frame_to_html(frame, caption="People & teams")
    assert "<script>" not in out and "&lt;script&gt;" in out
    assert "<caption>People &amp; teams</caption>" in out and '<th scope="col">name</th>' in out
    page = to_html(completions_report(result))
    assert page.startswith("<!DOCTYPE html>") and '<html lang="en-GB">' in page and "@media print" in page
    assert page.count("<table>") == 2


def test_hardest_scenarios_use_first_choices(store, course):
    module = course.modules["sharing"]
    first, second = module.graded_scenarios[:2]
    best = max(first.choices, key=lambda c: c.score)
    worst = min(first.choices, key=lambda c: c.score)
    for learner, choice, attempt in [("a", worst, 1), ("a", best, 2), ("b", best, 1), ("c", worst, 1), ("d", worst, 1)]:
        store.record_decision(learner, "sharing", attempt, first.id, choice.id, choice.score)
    best2 = max(second.choices, key=lambda c: c.score)
    for learner in ("a", "b", "c", "d"):
        store.record_decision(learner, "sharing", 1, second.id, best2.id, best2.score)
    frame = hardest(first_choices(store), course, min_learners=4)
    assert frame["scenario"].tolist() == [first.title]  # the second: nobody missed it, so no row
    top = frame.iloc[0]
    assert (top["learners"], top["missed"], top["chose the best answer"]) == (4, 3, 0.25)  # a's retry: not counted
    assert top["most chosen miss"] == worst.text and top["its share of the misses"] == 1.0
    assert hardest(first_choices(store), course).empty  # 4 learners: fewer than the 5 it takes to rank


def test_cli_reports(manager_env, tmp_path):
    from course.cli import main
    from course.records.roster import import_csv
    from course.records.store import Store

    store = Store()
    (tmp_path / "staff.csv").write_text(
        "staff number,name,team,role\n40001,Amy Reid,Riverside,Carer\n"
        "40002,Ben Ali,Riverside,Carer\n40003,=cmd|' /C calc'!A0,Home care,Carer\n"
        "40004,Dan Moss,Home care,Carer\n"
    )
    import_csv(store, tmp_path / "staff.csv")
    today = date.today()
    add_attendance(store, [("40001", "all", today - timedelta(days=40)), ("40002", "all", today - timedelta(days=350))])
    store.record_decision("40003", "why", store.current_attempt("40003", "why", "2025-09"), "why-x", "a", 1.0)
    runner = CliRunner()

    out = runner.invoke(main, ["report", "completions", "--format", "csv"])
    assert out.exit_code == 0, out.output
    rows = {r["staff number"]: r for r in csv.DictReader(io.StringIO(out.output))}
    assert {k: v["status"] for k, v in rows.items()} == {
        "40001": "completed",
        "40002": "due soon",
        "40003": "in progress",
        "40004": "not started",
    }
    assert rows["40003"]["name"] == "'=cmd|' /C calc'!A0"
    assert rows["40001"]["score"] == "6 attended"

    xlsx = tmp_path / "c.xlsx"
    out = runner.invoke(main, ["report", "completions", "--format", "xlsx", "--out", str(xlsx)])
    assert out.exit_code == 0, out.output
    from openpyxl import load_workbook

    book = load_workbook(xlsx)
    assert book.sheetnames == ["By team", "People"]
    totals = next(r for r in book["By team"].iter_rows(values_only=True) if r[0] == "All staff")
    assert totals[1:8] == (4, 1, 1, 0, 0, 1, 1)

    out = runner.invoke(main, ["report", "due", "--format", "csv"])
    assert [r["staff number"] for r in csv.DictReader(io.StringIO(out.output))] == ["40002"]
    out = runner.invoke(main, ["report", "due", "--format", "html", "--out", str(tmp_path / "due.html")])
    assert out.exit_code == 0 and "Ben Ali" in (tmp_path / "due.html").read_text()
    out = runner.invoke(main, ["report", "scenarios", "--format", "table"])
    assert out.exit_code == 0 and "hardest scenarios" in out.output
    out = runner.invoke(main, ["report", "completions", "--format", "table", "--status", "not started"])
    assert out.exit_code == 0 and "40004" in out.output and "40001" not in out.output

    # the register keeps each completion seen (with its certificate id)
    from course.manager.certificates import register_frame

    assert sorted(register_frame(store)["learner_id"]) == ["40001", "40002"]

    bad = runner.invoke(main, ["report", "completions", "--as-of", "yesterday"])
    assert bad.exit_code == 2 and "--as-of 'yesterday' is not a date" in bad.output and "Traceback" not in bad.output
    bad = runner.invoke(main, ["report", "completions", "--out", "x.txt"])
    assert bad.exit_code == 2 and "--out needs --format csv, xlsx or html" in bad.output
    past = runner.invoke(
        main, ["report", "completions", "--format", "csv", "--as-of", (today - timedelta(days=100)).isoformat()]
    )
    statuses = {r["staff number"]: r["status"] for r in csv.DictReader(io.StringIO(past.output))}
    assert statuses == {"40001": "not started", "40002": "completed", "40003": "not started", "40004": "not started"}
