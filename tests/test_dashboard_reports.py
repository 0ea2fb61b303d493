"""Issue 17, managers: the hardest-scenarios table and the XLSX report as a manager reads them.

The hardest scenarios: titles (with the module's) rather than ids, shares as percentages, only
graded scenarios, only rows someone missed, and no ranking on fewer than MIN_LEARNERS learners.
The XLSX: read back with openpyxl, dates are date cells, numbers are numbers (shares in percent
format), a header block says as of when and under which policy version, the table has a filter
and its header row is frozen. The CSV keeps plain ISO dates.
"""

from __future__ import annotations

import csv
import datetime as dt
import io

import pandas as pd
import pytest
from openpyxl import load_workbook

from course.manager.reports import completions_report, count, scenarios_report
from course.manager.reports.scenarios import BEST_SHARE, MIN_LEARNERS, first_choices, hardest, held_back
from course.manager.reports.writers import Report, Section, frame_to_html, to_csv, write_xlsx

from .test_reports import result  # noqa: F401 - the synthetic evaluation, a fixture


def _answer(store, learners, module_id, scenario, choice):
    for learner in learners:
        store.record_decision(learner, module_id, 1, scenario.id, choice.id, choice.score)


@pytest.fixture
def answered(store, course):
    """Six learners: one scenario most of them miss, one missed once, one nobody misses, one
    follow-up (branch) everyone misses, and one graded scenario only three learners answered."""
    module = course.modules["sharing"]
    hard, easy, perfect, few = module.graded_scenarios[:4]
    branch = next(s for m in course.modules.values() for s in m.scenarios if s.branch)
    six = [f"4000{i}" for i in range(1, 7)]

    def best(s):
        return max(s.choices, key=lambda c: c.score)

    def worst(s):
        return min(s.choices, key=lambda c: c.score)

    _answer(store, six[:2], "sharing", hard, best(hard))
    _answer(store, six[2:], "sharing", hard, worst(hard))  # 4 of 6 miss: 33% chose the best
    _answer(store, six[:5], "sharing", easy, best(easy))
    _answer(store, six[5:], "sharing", easy, worst(easy))  # 1 of 6 misses
    _answer(store, six, "sharing", perfect, best(perfect))  # nobody misses: no row
    _answer(store, six[:3], "sharing", few, worst(few))  # 3 learners: not ranked yet
    _answer(store, six, branch.module_id, branch, worst(branch))  # a follow-up: never graded
    return {"hard": hard, "easy": easy, "perfect": perfect, "few": few, "branch": branch, "module": module}


def test_hardest_scenarios_are_graded_missed_titled_and_in_percent(store, course, answered):
    frame = hardest(first_choices(store), course)
    hard, easy = answered["hard"], answered["easy"]
    assert frame["scenario"].tolist() == [hard.title, easy.title]  # titles, hardest first
    assert set(frame["module"]) == {answered["module"].title}
    ids = {s.id for m in course.modules.values() for s in m.scenarios}
    assert not ids & set(frame.astype(str).to_numpy().ravel())  # no internal id anywhere
    top = frame.iloc[0]
    assert (top["learners"], top["missed"], round(top[BEST_SHARE], 3)) == (6, 4, 0.333)
    assert top["most chosen miss"] == min(hard.choices, key=lambda c: c.score).text
    shown = frame_to_html(frame, "Hardest scenarios", percent=("chose the best answer", "its share of the misses"))
    assert ">33%<" in shown and ">83%<" in shown and ">100%<" in shown and "0.333" not in shown
    # left out: nobody missed it; a follow-up; fewer than MIN_LEARNERS learners
    for left_out in ("perfect", "branch", "few"):
        assert answered[left_out].title not in frame["scenario"].tolist(), left_out
    assert held_back(first_choices(store), course) == 1
    # the threshold: with it lowered to 3, the scenario three learners answered is ranked first
    lowered = hardest(first_choices(store), course, min_learners=3)
    assert lowered.iloc[0]["scenario"] == answered["few"].title and lowered.iloc[0][BEST_SHARE] == 0
    assert MIN_LEARNERS == 5


def test_one_learner_ranks_nothing(store, course):
    scenario = course.modules["why"].graded_scenarios[0]
    worst = min(scenario.choices, key=lambda c: c.score)
    _answer(store, ["40001"], "why", scenario, worst)
    assert hardest(first_choices(store), course).empty
    report = scenarios_report(store, course)
    assert report.notes == [
        "0 scenarios that at least 5 learners answered and someone missed.",
        "1 more scenario will be ranked once 5 learners have answered.",
    ]


def test_counts_are_singular_and_plural():
    from course.manager.dashboard import download_words, people

    assert download_words(1) == "Download this 1 row" and download_words(3) == "Download these 3 rows"
    assert download_words(0) == "Download these 0 rows"
    assert count(1, "scenario") == "1 scenario" and count(2, "scenario") == "2 scenarios"
    assert people(1) == "1 person" and people(4) == "4 people"


def _table_rows(sheet):
    """The sheet's rows as values, the header block and the blank row before the table apart."""
    rows = list(sheet.iter_rows(values_only=True))
    blank = next(i for i, r in enumerate(rows) if all(v is None for v in r))
    return rows[:blank], rows[blank + 1], rows[blank + 2 :], blank + 2  # header row number (1-based)


def test_xlsx_has_real_dates_numbers_a_header_a_filter_and_a_frozen_header(result, tmp_path):
    report = completions_report(result)
    path = tmp_path / "completions.xlsx"
    write_xlsx(report, path)
    book = load_workbook(path)
    sheet = book["People"]
    block, header, rows, header_row = _table_rows(sheet)
    assert block[0][0] == "Social media training: completions"
    as_of = result.as_of.to_pydatetime()
    assert block[1][0] == f"As of {as_of.day} {as_of:%B %Y %H:%M} UTC, policy version {result.rule.policy_version}"
    assert sheet.freeze_panes == f"A{header_row + 1}"  # the block and the table's header stay in view
    last_column = sheet.cell(header_row, len(header)).column_letter
    assert sheet.auto_filter.ref == f"A{header_row}:{last_column}{header_row + len(rows)}"
    assert "completed on" in header and "due on" in header and "score %" in header
    done = [dict(zip(header, r)) for r in rows if r[header.index("completed on")] is not None]
    assert done, "the synthetic staff include completions"
    for row in done:
        assert isinstance(row["completed on"], dt.datetime)  # a date cell, not the text "2025-..."
    dated = sheet.cell(header_row + 1 + rows.index(next(r for r in rows if r[header.index("completed on")])), 1)
    date_cell = sheet.cell(dated.row, header.index("completed on") + 1)
    assert date_cell.is_date and date_cell.number_format == "yyyy-mm-dd"
    scored = [r[header.index("score %")] for r in rows if r[header.index("score %")] is not None]
    assert scored and all(isinstance(v, (int, float)) for v in scored)
    teams = book["By team"]
    _block, _header, team_rows, _n = _table_rows(teams)
    totals = next(r for r in team_rows if r[0] == "All staff")
    assert all(isinstance(v, (int, float)) for v in totals[1:])
    widths = {c: sheet.column_dimensions[c].width for c in ("A", "B", "G")}
    assert all(8 <= w <= 60 for w in widths.values()), widths
    # the CSV of the same table keeps plain ISO dates
    rows_csv = list(csv.DictReader(io.StringIO(to_csv(report.detail_section.frame))))
    completed = [r["completed on"] for r in rows_csv if r["completed on"]]
    assert completed and all(dt.date.fromisoformat(v) for v in completed)


def test_xlsx_percent_cells_and_a_past_day(tmp_path):
    frame = pd.DataFrame({"scenario": ["A photo in the group chat"], "chose the best answer": [0.45], "learners": [9]})
    report = Report(
        "t",
        [Section("Scenarios", frame, percent=("chose the best answer",))],
        as_of=dt.datetime(2026, 8, 24, 23, 59, 59, 999999),
        policy_version="2025-09",
    )
    path = tmp_path / "s.xlsx"
    write_xlsx(report, path)
    sheet = load_workbook(path)["Scenarios"]
    block, _header, rows, header_row = _table_rows(sheet)
    assert block[1][0] == "As of the end of 24 August 2026, policy version 2025-09"
    cell = sheet.cell(header_row + 1, 2)
    assert cell.value == 0.45 and cell.number_format == "0%"
    assert rows[0][2] == 9 and isinstance(rows[0][2], int)


def test_cli_scenarios_xlsx_uses_titles_and_the_threshold(store, course, answered, tmp_path, monkeypatch, db_url):
    from click.testing import CliRunner

    from course.cli import main

    (tmp_path / "grading").mkdir(exist_ok=True)
    monkeypatch.setenv("COURSE_GRADING_DIR", str(tmp_path / "grading"))
    monkeypatch.setenv("COURSE_DB_URL", db_url)
    out_path = tmp_path / "scenarios.xlsx"
    out = CliRunner().invoke(main, ["report", "scenarios", "--format", "xlsx", "--out", str(out_path)])
    assert out.exit_code == 0, out.output
    sheet = load_workbook(out_path)["Scenarios"]
    block, header, rows, header_row = _table_rows(sheet)
    assert block[1][0].endswith(f"policy version {course.policy.version}")
    assert [r[header.index("scenario")] for r in rows] == [answered["hard"].title, answered["easy"].title]
    assert sheet.cell(header_row + 1, header.index(BEST_SHARE) + 1).number_format == "0%"
    out = CliRunner().invoke(main, ["report", "scenarios", "--format", "csv", "--min-learners", "3"])
    assert out.exit_code == 0, out.output
    assert answered["few"].title in out.output
