"""The learner's review of a marked attempt (issue 17): built from nbgrader's per-scenario grades of
a real nbgrader-marked submission, in the order the attempt showed, no code, no frame; the best
choice of a bank item only after a pass; nbgrader's own page still there for managers.
"""

from __future__ import annotations

import re
import subprocess
import sys
from html import unescape
from pathlib import Path

import pytest

from course.app import marking
from course.app.review import review_html, shows_best_choice
from course.assessment.layout import attempt_layout
from course.content.build import build_notebook, notebook_path, render
from course.content.model import load_course
from course.grading.coursedir import gradebook_url
from course.grading.finish import result_for
from course.grading.scenario_grades import grade_id
from course.widgets import open_module

from .support.bank import use_bank_content
from .support.grading_helpers import make_course_root, pick
from .support.screens import CODE_TEXT

BIN = Path(sys.executable).parent


def items_of(html: str) -> list[str]:
    return re.findall(r'<li class="cm-review__item.*?</li>', html, re.S)


def text_of(html: str) -> str:
    return unescape(re.sub(r"<[^>]+>", " ", html))


def nbgrader_cells(root: Path, module_id: str, learner: str) -> dict[str, float]:
    """The grades straight from nbgrader's own API (the reference the review must equal)."""
    from nbgrader.api import Gradebook

    with Gradebook(gradebook_url(root)) as gb:
        notebook = gb.find_submission_notebook(module_id, module_id, learner)
        return {g.name: float(g.score) for g in notebook.grades}


def answer_and_mark(root: Path, store, learner: str, module_id: str, plan) -> tuple:
    """Answer every graded scenario the attempt shows (`plan(k, scenario)` -> best/worst/partly/None),
    press Finish (the store's record), submit the store's answers and mark them with real nbgrader."""
    from course.grading.autograde import grade
    from course.grading.submissions import write_submission

    view = open_module(module_id, learner_id=learner, store=store, responses_dir=Path("/nonexistent"))
    records = view.records
    records.responses_path = None  # a Voila learner: the store only
    chosen = {}
    for k, sid in enumerate(records.shown_graded, start=1):
        how = plan(k, records.shown(sid))
        if how is None:
            continue
        choice = pick(records.shown(sid), how)
        records.record_decision(sid, choice.id)
        chosen[sid] = choice.id
    records.finish()
    write_submission(root, learner, module_id, records.as_responses())
    results = grade(root, store=store, learners=[learner], modules=[module_id])
    assert results and results[0].score is not None, results
    return records, chosen


@pytest.fixture
def root(tmp_path, monkeypatch):
    from course.grading.release import release

    root = make_course_root(tmp_path, monkeypatch)
    assert release(root, modules=["sharing"], to_exchange=False)[0].generated
    return root


def test_the_grade_cells_are_the_ones_the_notebooks_have(tmp_path, monkeypatch):
    """The review names each scenario's grade cell as course.content.build does, for a practice
    module (one per scenario) and a bank (one per drawn slot)."""
    use_bank_content(tmp_path, monkeypatch)
    course = load_course()
    for module in (course.module("sharing"), course.module("final")):
        cells = {
            c.metadata["nbgrader"]["grade_id"]
            for c in build_notebook(module, course).cells
            if c.metadata.get("nbgrader", {}).get("grade")
        }
        shown = module.draw or len(module.graded_scenarios)
        ids = [s.id for s in module.graded_scenarios][:shown]
        assert {grade_id(module, k, sid) for k, sid in enumerate(ids, start=1)} == cells, module.id


@pytest.mark.slow
def test_the_review_shows_nbgraders_mark_for_each_scenario_in_the_order_shown(root, store):
    course = load_course()
    module = course.module("sharing")
    plans = ["best", "worst", "partly"]
    records, chosen = answer_and_mark(root, store, "rv-1", "sharing", lambda k, s: plans[k % 3])
    result = result_for(store, "rv-1", "sharing", module.pass_mark, root)
    assert result is not None and result.status == "graded"
    assert result.feedback_path is not None  # nbgrader wrote its own page: the review must not show it

    html = marking.result_html(result, records)
    cells = nbgrader_cells(root, "sharing", "rv-1")
    shown = records.shown_graded
    items = items_of(html)
    assert len(items) == len(shown) == len(module.graded_scenarios)
    for k, (sid, item) in enumerate(zip(shown, items, strict=True), start=1):
        scenario = records.shown(sid)
        assert f">{scenario.title}</h4>" in unescape(item)  # in the order the attempt showed
        assert f"Mark: {cells[grade_id(module, k, sid)]:g} out of 1" in item  # nbgrader's grade
        choice = scenario.choice(chosen[sid])
        letter = "ABCD"[[c.id for c in scenario.choices].index(choice.id)]
        assert f"Your choice</dt><dd><strong>{letter}.</strong> {choice.text}" in unescape(item)
        assert choice.feedback in unescape(item)  # why, with the points it cites
        top = max(scenario.choices, key=lambda c: c.score)
        if choice.score < 1:  # a practice module always names the best choice
            assert "The best choice</dt><dd><strong>" in item and top.text in unescape(item)
    assert sum(cells.values()) == pytest.approx(result.score)

    # no code, no nbgrader labels, no frame: the old iframe must not come back
    assert not CODE_TEXT.search(text_of(html)), CODE_TEXT.search(text_of(html))
    assert "<iframe" not in html and "srcdoc" not in html
    assert "Mark of record:" in html


@pytest.mark.slow
def test_the_marks_are_the_grading_logs_not_the_pages(root, store):
    """The review reads the marks the marker kept from nbgrader's gradebook (the mark of record),
    never the choices' own points: a mark of record that differs (as a trainer's regrade would)
    is the one shown."""
    from course.grading.scenario_grades import from_record
    from course.records import grading_log

    module = load_course().module("sharing")
    records, _chosen = answer_and_mark(root, store, "rv-2", "sharing", lambda k, s: "worst")
    record = grading_log.graded(store, "rv-2", "sharing")
    marked = from_record(record.scenario_marks)
    assert marked is not None and [g.scenario_id for g in marked.grades] == list(records.shown_graded)
    cells = nbgrader_cells(root, "sharing", "rv-2")
    assert {grade_id(module, g.number, g.scenario_id): g.score for g in marked.grades} == cells

    first = marked.grades[0]
    regraded = marked.as_json().replace(
        f'["{first.scenario_id}", "{first.choice_id}", 0.0', f'["{first.scenario_id}", "{first.choice_id}", 1.0', 1
    )
    assert regraded != marked.as_json()
    grading_log.record(
        store,
        "rv-2",
        "sharing",
        record.fingerprint,
        "graded",
        score=1.0,
        max_score=record.max_score,
        scenario_marks=regraded,
    )
    result = result_for(store, "rv-2", "sharing", module.pass_mark, root)
    items = items_of(marking.result_html(result, records))
    assert "Mark: 1 out of 1" in items[0]
    assert all("Mark: 0 out of 1" in item for item in items[1:])


@pytest.mark.slow
def test_another_attempts_mark_or_a_mark_without_scenario_marks_shows_the_mark_alone(root, store):
    from course.grading.scenario_grades import from_record
    from course.records import grading_log

    module = load_course().module("sharing")
    records, _ = answer_and_mark(root, store, "rv-3", "sharing", lambda k, s: "best")
    record = grading_log.graded(store, "rv-3", "sharing")
    marked = from_record(record.scenario_marks)
    assert marked is not None and marked.attempt == 1
    records.attempt = 2  # the page's attempt is not the one marked: its letters would not be this one's
    assert review_html(records, marked, True) == ""
    records.attempt = 1

    # a mark made before the grading log kept scenario marks (migration 0007): the mark alone
    grading_log.record(store, "rv-3", "sharing", record.fingerprint, "graded", score=9.0, max_score=9.0)
    html = marking.result_html(result_for(store, "rv-3", "sharing", module.pass_mark, root), records)
    assert "Mark of record: 9 out of 9" in html and "cm-review" not in html
    assert from_record("not json") is None and from_record('{"attempt": 1, "items": [["x"]]}') is None


@pytest.mark.slow
def test_managers_still_have_nbgraders_own_page(root, store, db_url, monkeypatch):
    answer_and_mark(root, store, "rv-4", "sharing", lambda k, s: "partly")
    monkeypatch.setenv("COURSE_DB_URL", db_url)
    done = subprocess.run(
        [str(BIN / "course"), "feedback", "rv-4", "sharing"], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert "<script" not in done.stdout and "Test cell" in done.stdout  # nbgrader's page, offline
    missing = subprocess.run(
        [str(BIN / "course"), "feedback", "rv-9", "sharing"], capture_output=True, text=True, timeout=120
    )
    assert missing.returncode != 0 and "no marker's feedback" in missing.stderr


# --- a bank: the best choice only after a pass ------------------------------------------------------


@pytest.fixture
def bank_root(tmp_path, monkeypatch):
    from course.grading.release import release

    use_bank_content(tmp_path, monkeypatch)
    root = make_course_root(tmp_path, monkeypatch)
    course = load_course()
    path = notebook_path(tmp_path / "notebooks", "final")
    path.write_text(render(build_notebook(course.module("final"), course)), encoding="utf-8")
    assert release(root, modules=["final"], to_exchange=False)[0].generated
    return root


def test_the_rule_for_the_best_choice():
    course = load_course()
    assert shows_best_choice(course.module("sharing"), False) and shows_best_choice(course.module("sharing"), None)


@pytest.mark.slow
def test_a_failed_bank_attempt_hides_the_best_choice_and_a_pass_shows_it(bank_root, store):
    course = load_course()
    module = course.module("final")
    assert module.is_bank and not shows_best_choice(module, False) and shows_best_choice(module, True)

    failed, chosen = answer_and_mark(bank_root, store, "bk-1", "final", lambda k, s: "worst")
    result = result_for(store, "bk-1", "final", module.pass_mark, bank_root)
    assert result is not None and result.passed is False
    html = marking.result_html(result, failed)
    cells = nbgrader_cells(bank_root, "final", "bk-1")
    items = items_of(html)
    assert len(items) == module.draw == len(cells)
    for k, (sid, item) in enumerate(zip(failed.shown_graded, items, strict=True), start=1):
        scenario = failed.shown(sid)
        assert f">{scenario.title}</h4>" in unescape(item)
        assert f"Mark: {cells[grade_id(module, k, sid)]:g} out of 1" in item
        assert scenario.choice(chosen[sid]).text in unescape(item)
        top = max(scenario.choices, key=lambda c: c.score)
        assert "The best choice" not in item and top.text not in unescape(item)  # not leaked to a retaker
    assert "You will see them once you pass" in html
    assert not CODE_TEXT.search(text_of(html))

    # one wrong answer of five (80%), on an item that is not critical: a pass
    learner = next(
        f"bk-{n}"
        for n in range(2, 200)
        if not module.scenario(attempt_layout(module, course.policy, f"bk-{n}", 1).items[0]).critical
    )
    passed, _ = answer_and_mark(bank_root, store, learner, "final", lambda k, s: "best" if k > 1 else "worst")
    result = result_for(store, learner, "final", module.pass_mark, bank_root)
    assert result is not None and result.passed is True, result
    items = items_of(marking.result_html(result, passed))
    first = passed.shown(passed.shown_graded[0])
    top = max(first.choices, key=lambda c: c.score)
    assert "The best choice</dt>" in items[0] and top.text in unescape(items[0])
    assert "Mark: 0 out of 1" in items[0] and all("Mark: 1 out of 1" in i for i in items[1:])
