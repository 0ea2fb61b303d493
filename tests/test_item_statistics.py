"""Item statistics (`course report items`) on a synthetic response set, against values worked by hand.

| fixture        | what it is                                                             | proves                           |
|----------------|------------------------------------------------------------------------|----------------------------------|
| `three_items`  | 5 learners x 3 real `sharing` scenarios, first attempts, scores below  | facility, point-biserial, flags  |
| a retake       | learner L1's second attempt, all wrong                                 | only first attempts count        |
| `reversed`     | strong learners miss item 1, weak ones get it                          | negative discrimination flagged  |

Scores per learner (items 1, 2, 3):  L1 1 1 1 · L2 1 1 0 · L3 0 1 0 · L4 0 0 0 · L5 1 0.5 1.
Item 1: best chosen by L1 L2 L5 (x = 1 1 0 0 1), rest = mean of items 2 and 3 = 1 .5 .5 0 .75:
facility 0.6; r = 0.60 / sqrt(1.20 x 0.55) = 0.7385 (sums of cross-products and squares about the means).
Item 3: best by L1 and L5 only; the same wrong choice by L2 L3 L4 (3 > 2): "check the key".
"""

from __future__ import annotations

import math

import pandas as pd
import pytest

from course.manager.reports.items import first_attempt_decisions, item_statistics, point_biserial

SCORES = {"L1": (1, 1, 1), "L2": (1, 1, 0), "L3": (0, 1, 0), "L4": (0, 0, 0), "L5": (1, 0.5, 1)}


def _pick(scenario, score):
    return next(c for c in scenario.choices if c.score == score)


@pytest.fixture
def items(course):
    module = course.module("sharing")
    graded = module.graded_scenarios
    with_half = next(s for s in graded if any(c.score == 0.5 for c in s.choices))
    others = [s for s in graded if s is not with_half]
    return others[0], with_half, others[1]


@pytest.fixture
def three_items(store, items):
    for learner, scores in SCORES.items():
        for scenario, score in zip(items, scores, strict=True):
            store.record_decision(learner, "sharing", 1, scenario.id, _pick(scenario, score).id, float(score))
    for scenario in items:  # a retake after the feedback: must not count
        store.record_decision("L1", "sharing", 2, scenario.id, _pick(scenario, 0).id, 0.0)
    return store


def test_facility_discrimination_and_pick_rates_match_the_hand_computed_values(three_items, items, course):
    table, choices = item_statistics(first_attempt_decisions(three_items), course)
    row = table.set_index("scenario").loc[items[0].id]
    assert row["learners"] == 5 and row["facility"] == 0.6
    assert row["discrimination"] == pytest.approx(0.60 / math.sqrt(1.20 * 0.55), abs=1e-3)
    assert round(0.60 / math.sqrt(1.20 * 0.55), 4) == 0.7385
    mine = choices[choices["scenario"] == items[0].id].set_index("choice")
    assert mine.loc[_pick(items[0], 1).id, "picked"] == 3 and mine.loc[_pick(items[0], 1).id, "pick_rate"] == 0.6
    assert mine["picked"].sum() == 5
    assert row["flags"] == ""


def test_a_distractor_beating_the_key_is_flagged(three_items, items, course):
    table, _ = item_statistics(first_attempt_decisions(three_items), course)
    row = table.set_index("scenario").loc[items[2].id]
    assert row["facility"] == 0.4
    assert f"choice {_pick(items[2], 0).id} picked more than the best" in row["flags"]


def test_negative_discrimination_and_easy_items_are_flagged(course, items):
    rows = []
    # strong learners (right on items 2 and 3) miss item 1; weak ones get it
    for n, (first, rest) in enumerate([(0, 1), (0, 1), (0, 1), (1, 0), (1, 0), (1, 0)]):
        for scenario, score in zip(items, (first, rest, rest), strict=True):
            rows.append((f"P{n}", "sharing", 1, scenario.id, _pick(scenario, score).id, float(score)))
    frame = pd.DataFrame(rows, columns=["learner_id", "module_id", "attempt", "scenario_id", "choice_id", "score"])
    table, _ = item_statistics(frame, course)
    first = table.set_index("scenario").loc[items[0].id]
    assert first["discrimination"] == -1.0 and "negative discrimination" in first["flags"]
    everyone = frame.assign(choice_id=_pick(items[0], 1).id, score=1.0)
    everyone = everyone[everyone["scenario_id"] == items[0].id]
    easy, _ = item_statistics(pd.concat([everyone, frame[frame["scenario_id"] != items[0].id]]), course)
    assert "nearly everyone right" in easy.set_index("scenario").loc[items[0].id, "flags"]


def test_few_answers_are_not_flagged_and_constant_items_have_no_discrimination(course, items):
    assert point_biserial(pd.Series([1, 1, 1]), pd.Series([0.2, 0.5, 1.0])) is None
    frame = pd.DataFrame(
        [("Q1", "sharing", 1, items[0].id, _pick(items[0], 0).id, 0.0)],
        columns=["learner_id", "module_id", "attempt", "scenario_id", "choice_id", "score"],
    )
    table, _ = item_statistics(frame, course)
    assert table.iloc[0]["flags"] == "fewer than 5 answers" and table.iloc[0]["discrimination"] is None


def test_cli_items_report_writes_csv_and_xlsx(three_items, items, db_url, tmp_path, monkeypatch):
    from click.testing import CliRunner
    from openpyxl import load_workbook

    from course.cli import main

    monkeypatch.setenv("COURSE_DB_URL", db_url)
    runner = CliRunner()
    out = runner.invoke(main, ["report", "items", "--format", "csv"])
    assert out.exit_code == 0, out.output
    lines = out.output.splitlines()
    assert lines[0].startswith("module,scenario,title,learners,facility,discrimination")
    assert any(items[0].id in line and ",0.6,0.739," in line for line in lines), lines
    xlsx = tmp_path / "items.xlsx"
    out = runner.invoke(main, ["report", "items", "--format", "xlsx", "--out", str(xlsx)])
    assert out.exit_code == 0, out.output
    assert {"Items", "Choices"} <= set(load_workbook(xlsx).sheetnames)


def test_the_dashboard_lists_flagged_items_first_with_a_csv(three_items, items, tmp_path, monkeypatch):
    from course.manager.dashboard import Dashboard

    (tmp_path / "grading").mkdir()
    monkeypatch.setenv("COURSE_GRADING_DIR", str(tmp_path / "grading"))
    monkeypatch.setenv("COURSE_SECRET_KEY", "a-test-key-that-is-long-enough")
    board = Dashboard(store=three_items)
    board.load()
    page = board._items_html()
    assert "How well each scenario measures" in page and 'download="item-statistics.csv"' in page
    assert page.index(items[2].title) < page.index(items[0].title)  # flagged (check the key) first
    assert "40%" in page and "check the key" in page
