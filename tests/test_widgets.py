"""Widgets driven through their API, as a learner's clicks would: choose, check, feedback, saved, reloaded."""

from __future__ import annotations

import json

import pytest

from course.records.store import Store
from course.widgets import open_module


def best_choice(scenario):
    return max(scenario.choices, key=lambda c: c.score)


def worst_choice(scenario):
    return min(scenario.choices, key=lambda c: c.score)


@pytest.fixture
def view(tmp_path, db_url):
    return open_module("sharing", learner_id="amy", store=Store(db_url), responses_dir=tmp_path)


def test_choose_check_feedback_saved_and_locked(view, tmp_path, db_url, course):
    scenario = view.module.graded_scenarios[0]
    widget = view.show(scenario.id)
    assert widget.check_button.disabled  # nothing chosen yet
    wrong = worst_choice(scenario)
    widget.choose(wrong.id)
    assert not widget.check_button.disabled
    assert widget.check().id == wrong.id
    # feedback: the verdict, the choice's own words and the policy it rests on
    assert "Not the best choice" in widget.feedback.value
    assert wrong.feedback.split(".")[0].replace("'", "&#x27;") in widget.feedback.value
    for pid in wrong.cites:
        assert course.policy.points[pid].plain.split(",")[0].replace("'", "&#x27;") in widget.feedback.value
    # locked: another choice cannot replace it
    assert widget.locked
    widget.choose(best_choice(scenario).id)
    assert widget.check() is None
    # saved to the store and to responses.json
    assert Store(db_url).decisions("amy", "sharing", 1)[scenario.id].choice_id == wrong.id
    data = json.loads((tmp_path / "responses.json").read_text())
    assert data["decisions"][scenario.id]["choice"] == wrong.id
    assert data["learner"] == "amy" and data["module"] == "sharing"


def test_reopening_restores_answers(view, tmp_path, db_url):
    first, second = view.module.graded_scenarios[:2]
    w = view.show(first.id)
    w.choose(best_choice(first).id)
    w.check()
    reflection = view.reflection()
    reflection.text.value = "I will ask before I post."  # leaving the box saves it
    reopened = open_module("sharing", learner_id="amy", store=Store(db_url), responses_dir=tmp_path)
    again = reopened.show(first.id)
    assert again.locked and again.choices.value == best_choice(first).id
    assert "Best answer" in again.feedback.value
    assert not reopened.show(second.id).locked
    assert reopened.reflection().text.value == "I will ask before I post."
    assert reopened.progress.answered == 1
    assert "1 of" in reopened.progress.value


def test_answers_are_per_learner(view, tmp_path, db_url):
    scenario = view.module.graded_scenarios[0]
    w = view.show(scenario.id)
    w.choose(best_choice(scenario).id)
    w.check()
    other = open_module("sharing", learner_id="ben", store=Store(db_url), responses_dir=tmp_path / "ben")
    assert not other.show(scenario.id).locked


def test_nothing_is_written_on_start(tmp_path, db_url):
    view = open_module("sharing", learner_id="amy", store=Store(db_url), responses_dir=tmp_path)
    view.header(), view.show(view.module.graded_scenarios[0].id), view.reflection(), view.summary()
    assert not (tmp_path / "responses.json").exists()
    assert Store(db_url).decisions("amy", "sharing", 1) == {}


def test_branch_revealed_by_its_choice(view):
    parent = next(s for s in view.module.scenarios if any(c.next for c in s.choices))
    leading = next(c for c in parent.choices if c.next)
    parent_widget = view.show(parent.id)
    branch_box = view.show(leading.next)
    assert branch_box.layout.display == "none"
    parent_widget.choose(leading.id)
    parent_widget.check()
    assert branch_box.layout.display == ""


def test_branch_not_revealed_by_other_choices(view):
    parent = next(s for s in view.module.scenarios if any(c.next for c in s.choices))
    other = next(c for c in parent.choices if not c.next)
    target = next(c.next for c in parent.choices if c.next)
    parent_widget = view.show(parent.id)
    branch_box = view.show(target)
    parent_widget.choose(other.id)
    parent_widget.check()
    assert branch_box.layout.display == "none"


def test_progress_and_summary_follow_decisions(view):
    summary = view.summary()
    total = len(view.module.graded_scenarios)
    for scenario in view.module.graded_scenarios:
        w = view.show(scenario.id)
        w.choose(best_choice(scenario).id)
        w.check()
    assert view.progress.answered == total
    assert f"{total} out of {total} (100%)" in summary.children[0].value
    # the notebook's score is only "so far": the mark of record decides (course.progress)
    assert "So far this reaches the pass mark (80%)" in summary.children[0].value
    assert "You passed." not in summary.children[0].value


def test_final_assessment_holds_feedback_until_the_end(tmp_path, db_url):
    view = open_module("final", learner_id="amy", store=Store(db_url), responses_dir=tmp_path)
    summary = view.summary()
    scenarios = [view.module.scenario(sid) for sid in view.records.shown_graded]  # the attempt's draw
    assert len(scenarios) == view.module.draw
    for scenario in scenarios[:-1]:
        w = view.show(scenario.id)
        w.choose(worst_choice(scenario).id)
        w.check()
        assert w.feedback.value == ""  # no feedback yet
        assert "saved" in w.status.value
    assert "Answer them all" in summary.children[0].value
    last = view.show(scenarios[-1].id)
    last.choose(best_choice(scenarios[-1]).id)
    last.check()
    html = summary.children[0].value
    # below the pass mark, or (a 0 on a critical item drawn) failed whatever the score: both say so
    assert "1 out of" in html and ("You need 80% to pass" in html or "whatever your score" in html)
    # every answer's feedback; a bank's best choices wait for a pass (course.app.review.shows_best_choice)
    assert "Review of every answer" in html and "The best choice was " not in html


def test_being_graded_reads_responses_and_writes_nothing(tmp_path, monkeypatch, db_url):
    view = open_module("sharing", learner_id="amy", store=Store(db_url), responses_dir=tmp_path)
    scenario = view.module.graded_scenarios[0]
    w = view.show(scenario.id)
    w.choose(best_choice(scenario).id)
    w.check()
    before = (tmp_path / "responses.json").read_bytes()
    monkeypatch.setenv("NBGRADER_EXECUTION", "autograde")
    monkeypatch.chdir(tmp_path)
    graded_view = open_module("sharing")
    assert graded_view.records.store is None and graded_view.records.learner_id == "amy"
    shown = graded_view.show(scenario.id).data  # static HTML for nbgrader's feedback page
    assert "You chose:" in shown and "Best answer" in shown
    assert (tmp_path / "responses.json").read_bytes() == before
