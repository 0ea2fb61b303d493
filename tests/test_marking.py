"""Marking exactly what an attempt showed (issue 14): a bank module's drawn slots, recomputed on the
server; critical items; the mark of record and every view.

The pure marker (course.assessment.marker) on a small bank (tests/support/bank.py: the real final
with `draw: 5` and one critical item), then real nbgrader: a drawn, shuffled attempt's nbgrader
score is the sum of the choices picked for the drawn items, and an answer for an item not drawn
earns nothing and flags the mark for review.
"""

from __future__ import annotations

import pytest

from course.assessment.layout import attempt_layout
from course.assessment.marker import mark_responses
from course.content.build import build_notebook, notebook_path, render, slot_grade_id
from course.content.model import load_course
from course.records import responses

from .support.bank import CRITICAL, DRAW, use_bank_content


@pytest.fixture
def bank(tmp_path, monkeypatch):
    use_bank_content(tmp_path, monkeypatch)
    return load_course()


def answers(course, learner, attempt, pick, *, extra=None, layout=None):
    """responses.json for `learner`'s attempt, answering each drawn item with `pick(scenario)`."""
    module = course.module("final")
    shown = attempt_layout(module, course.policy, learner, attempt)
    data = responses.empty(learner, "final", attempt)
    for sid in shown.items:
        choice = pick(module.scenario(sid))
        if choice is not None:
            data["decisions"][sid] = {"choice": choice.id, "score": 1.0, "at": None}  # the file's score is a lie
    for sid, choice_id in (extra or {}).items():
        data["decisions"][sid] = {"choice": choice_id, "score": 1.0, "at": None}
    if layout is not None:
        data["layout"] = layout
    return data, shown


def best(s):
    return max(s.choices, key=lambda c: c.score)


def partly_or_best(s):
    return next((c for c in s.choices if c.score == 0.5), best(s))


def zero_on_critical(s):
    return next(c for c in s.choices if c.score == 0) if s.critical else best(s)


def undrawn(course, shown):
    return next(s for s in course.module("final").graded_scenarios if s.id not in shown.items)


# --- the pure marker ---------------------------------------------------------------------------


def test_a_drawn_attempt_scores_the_choices_of_the_drawn_items(bank):
    module = bank.module("final")
    assert module.is_bank and module.max_score == DRAW
    data, shown = answers(bank, "ana", 1, partly_or_best)
    marked = mark_responses(module, bank.policy, data, submitted_by="ana")
    assert [i.scenario_id for i in marked.items] == list(shown.items)
    assert marked.score == pytest.approx(sum(partly_or_best(module.scenario(s)).score for s in shown.items))
    assert marked.problems == () and marked.critical_missed == ()


def test_an_answer_for_an_item_not_drawn_earns_nothing_and_needs_review(bank):
    module = bank.module("final")
    data, shown = answers(bank, "ana", 1, lambda s: None)  # nothing answered but one item not drawn
    other = undrawn(bank, shown)
    data["decisions"][other.id] = {"choice": best(other).id, "score": 1.0, "at": None}
    marked = mark_responses(module, bank.policy, data, submitted_by="ana")
    assert marked.score == 0
    assert any(other.id in p and "did not show" in p for p in marked.problems)


def test_the_draw_is_the_servers_not_the_files(bank):
    module = bank.module("final")
    data, shown = answers(bank, "ana", 1, best)
    other = undrawn(bank, shown)
    forged = shown.as_json() | {"items": [other.id, *list(shown.items)[1:]]}
    data["layout"] = forged
    marked = mark_responses(module, bank.policy, data, submitted_by="ana")
    assert [i.scenario_id for i in marked.items] == list(shown.items)  # the forged layout is ignored
    assert any("differs from the one the server draws" in p for p in marked.problems)
    data["layout"] = shown.as_json()  # the true layout is no problem
    assert mark_responses(module, bank.policy, data, submitted_by="ana").problems == ()


def test_another_learners_file_is_flagged(bank):
    module = bank.module("final")
    data, _ = answers(bank, "ana", 1, best)
    marked = mark_responses(module, bank.policy, data, submitted_by="ben")
    assert any("names learner 'ana', but was submitted by 'ben'" in p for p in marked.problems)
    # the draw marked is ana's, the one her page showed and the notebook's cells recompute
    assert [i.scenario_id for i in marked.items] == list(attempt_layout(module, bank.policy, "ana", 1).items)
    # a formative module shows everyone the same items: nbgrader's student id may differ, unflagged
    data = responses.empty("ana", "sharing", 1)
    assert mark_responses(bank.module("sharing"), bank.policy, data, submitted_by="root").problems == ()


def test_a_zero_on_a_critical_item_is_listed(bank):
    module = bank.module("final")
    learner = next(f"l{i}" for i in range(500) if CRITICAL in attempt_layout(module, bank.policy, f"l{i}", 1).items)
    data, _ = answers(bank, learner, 1, zero_on_critical)
    marked = mark_responses(module, bank.policy, data, submitted_by=learner)
    assert marked.critical_missed == (CRITICAL,)
    assert marked.score == DRAW - 1  # 80%: the mean alone would pass


def test_a_bank_that_cannot_be_drawn_marks_nothing_and_says_why(tmp_path, monkeypatch):
    use_bank_content(tmp_path, monkeypatch, draw=50)  # more than the bank holds (course validate says so too)
    course = load_course()
    data = responses.empty("ana", "final", 1)
    marked = mark_responses(course.module("final"), course.policy, data, submitted_by="ana")
    assert marked.items == () and marked.score == 0
    assert any("cannot work out what this attempt showed" in p for p in marked.problems)


def test_a_formative_module_marks_every_graded_scenario(bank):
    module = bank.module("sharing")
    data = responses.empty("ana", "sharing", 1)
    for s in module.graded_scenarios:
        data["decisions"][s.id] = {"choice": best(s).id, "score": 0, "at": None}
    marked = mark_responses(module, bank.policy, data, submitted_by="ana")
    assert [i.scenario_id for i in marked.items] == [s.id for s in module.graded_scenarios]
    assert marked.score == module.max_score and marked.problems == ()


# --- the notebook --------------------------------------------------------------------------------


def test_a_bank_notebook_has_one_graded_slot_per_drawn_item(bank):
    module = bank.module("final")
    nb = build_notebook(module, bank)
    graded = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade")]
    assert [c.metadata["nbgrader"]["grade_id"] for c in graded] == [
        slot_grade_id(module, k) for k in range(1, DRAW + 1)
    ]
    assert slot_grade_id(module, 1) == "final-item-01"
    assert all(c.metadata["nbgrader"]["points"] == 1 for c in graded)
    assert f'slot_points("final", {DRAW})' in graded[-1].source
    # a formative module stays one graded cell per scenario
    sharing = bank.module("sharing")
    cells = [c for c in build_notebook(sharing, bank).cells if c.metadata.get("nbgrader", {}).get("grade")]
    assert len(cells) == len(sharing.graded_scenarios)


# --- real nbgrader ---------------------------------------------------------------------------------


@pytest.fixture
def bank_root(tmp_path, monkeypatch):
    """A private nbgrader course root whose final notebook is built from the bank content, released."""
    from course.grading.release import release

    from .support.grading_helpers import make_course_root

    use_bank_content(tmp_path, monkeypatch)
    root = make_course_root(tmp_path, monkeypatch)
    course = load_course()
    path = notebook_path(tmp_path / "notebooks", "final")
    path.write_text(render(build_notebook(course.module("final"), course)), encoding="utf-8")
    assert release(root, modules=["final"], to_exchange=False)[0].generated
    return root


def gradebook_cells(root, learner):
    from nbgrader.api import Gradebook

    from course.grading.coursedir import gradebook_url

    with Gradebook(gradebook_url(root)) as gb:
        notebook = gb.find_submission_notebook("final", "final", learner)
        return {g.name: float(g.score) for g in notebook.grades}


@pytest.mark.slow
def test_nbgrader_grades_exactly_what_was_drawn(bank_root, store):
    from course.grading.autograde import grade
    from course.grading.submissions import write_submission
    from course.records.grading_log import graded

    course = load_course()
    module = course.module("final")
    plans = {}
    # ana: a shuffled, drawn attempt, partly right where she can be, plus an answer for an undrawn item
    data, shown = answers(course, "ana", 1, partly_or_best)
    other = undrawn(course, shown)
    data["decisions"][other.id] = {"choice": best(other).id, "score": 1.0, "at": None}
    plans["ana"] = (data, [partly_or_best(module.scenario(s)).score for s in shown.items])
    # ben: a retake (attempt 2, another draw), all best, with his true layout in the file
    data, shown = answers(course, "ben", 2, best)
    data["layout"] = shown.as_json()
    plans["ben"] = (data, [1.0] * DRAW)

    # cai: a 0 on the critical item, the best choice everywhere else (80%: the mean would pass)
    def only_critical(items) -> bool:  # the real bank has other critical items: a draw with just this one
        return CRITICAL in items and sum(module.scenario(x).critical for x in items) == 1

    cai = next(f"c{i}" for i in range(500) if only_critical(attempt_layout(module, course.policy, f"c{i}", 1).items))
    data, shown = answers(course, cai, 1, zero_on_critical)
    plans[cai] = (data, [0.0 if s == CRITICAL else 1.0 for s in shown.items])
    for learner, (data, _) in plans.items():
        write_submission(bank_root, learner, "final", data)

    results = {r.learner: r for r in grade(bank_root, store=store)}
    for learner, (_data, points) in plans.items():
        result = results[learner]
        assert result.max_score == DRAW, learner
        assert result.score == pytest.approx(sum(points)), learner  # nbgrader's own score
        cells = gradebook_cells(bank_root, learner)
        assert cells == {slot_grade_id(module, k): p for k, p in enumerate(points, start=1)}, learner

    assert results["ana"].status == "needs review" and other.id in results["ana"].message
    assert results["ben"].status == "graded" and results["ben"].passed is True
    assert results[cai].status == "graded" and results[cai].critical_missed == (CRITICAL,)
    assert results[cai].passed is False  # 80% with a critical 0: a fail
    assert graded(store, cai, "final").critical_missed == (CRITICAL,)  # in the grading log
    assert graded(store, "ben", "final").critical_missed == ()
    feedback = (bank_root / "feedback" / "ana" / "final" / "final.html").read_text()
    assert f"Item 1 of {DRAW}" in feedback and "Needs review" in feedback


# --- the score so far on the page -----------------------------------------------------------------


def test_the_score_so_far_never_reaches_the_pass_mark_with_a_critical_zero(tmp_path, monkeypatch, store):
    """The in-page hint uses the same rule: 8 of 9 with a 0 on a critical item does not pass so far."""
    from course.app.module import open_module_app
    from course.widgets import open_module

    from .support.bank import CONTENT, make_critical

    sharing = load_course(CONTENT).module("sharing")
    item = next(s for s in sharing.graded_scenarios if any(c.score == 0 for c in s.choices))
    root = use_bank_content(tmp_path, monkeypatch)
    make_critical(root, "sharing", item.id)  # before the folder is first loaded (load_course caches)
    course = load_course()
    module = course.module("sharing")
    says = f"You chose an action that would leave someone at risk in '{item.title}'"

    def pick(s):
        return next(c for c in s.choices if c.score == 0) if s.id == item.id else best(s)

    from course.records import signin_tokens

    store.ensure_learner("amy", name="Amy Reid", staff_number="amy")
    app = open_module_app(course, store, "amy", "sharing", token=signin_tokens.issue(store, "amy"))
    for s in module.graded_scenarios:
        app.records.record_decision(s.id, pick(s).id)
    assert app.records.score() == len(module.graded_scenarios) - 1  # 89%: the mean alone would pass
    assert app.records.critical_missed() == (item.id,)
    assert not app.reaches_pass_mark_so_far()
    verdict = app._verdict_html().replace("&#x27;", "'")
    assert "So far this does not pass" in verdict and says in verdict

    view = open_module("sharing", learner_id="bo", store=store, responses_dir=tmp_path)
    summary = view.summary()
    for s in module.graded_scenarios:
        widget = view.show(s.id)
        widget.choose(pick(s).id)
        widget.check()
    assert not view.reaches_pass_mark_so_far()
    text = summary.children[0].value.replace("&#x27;", "'")
    assert says in text and "So far this reaches the pass mark" not in text


def test_the_pass_test_fails_a_critical_zero_for_one_mark_and_for_arrays():
    import numpy as np

    from course.progress import mark_verdict, missed_count, reaches_pass_mark

    assert reaches_pass_mark(9, 10, 0.8) and reaches_pass_mark(9, 10, 0.8, ())
    assert not reaches_pass_mark(10, 10, 0.8, ("final-late-message",))
    assert mark_verdict(10, 10, 0.8, critical_missed=["x"]) is False
    assert mark_verdict(10, 10, 0.8, needs_review=True, critical_missed=["x"]) is None  # review first
    missed = np.array([(), ("x",), 0, None, 2], dtype=object)
    assert list(missed_count(missed)) == [0, 1, 0, 0, 2]
    assert list(reaches_pass_mark(np.full(5, 9.0), np.full(5, 10.0), 0.8, missed)) == [True, False, True, True, False]
