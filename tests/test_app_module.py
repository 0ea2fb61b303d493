"""The module app driven through its API, as a learner's clicks would: one scenario at a time,
Back and Next, progress, feedback, summary, reflection, Finish, coming back later."""

from __future__ import annotations

import pytest

from course.app import hooks
from course.app.module import OVERVIEW, SUMMARY, ModuleApp, open_module_app
from course.records import signin_tokens
from course.records.attempt import LearnerRecords
from course.records.store import Store

from .support.gate import pass_prerequisites
from .support.grading_helpers import mark_attempt


def best(scenario):
    return max(scenario.choices, key=lambda c: c.score)


def worst(scenario):
    return min(scenario.choices, key=lambda c: c.score)


def open_app(course, store, module_id="sharing", learner="amy", **kwargs) -> ModuleApp:
    store.ensure_learner(learner, name="Amy Reid", staff_number=learner)
    token = signin_tokens.issue(store, learner)  # a real sign-in: every write checks it
    pass_prerequisites(store, course, learner, module_id)  # the final opens once the others are passed
    return open_module_app(course, store, learner, module_id, token=token, **kwargs)


def answer_current(app: ModuleApp, pick=best):
    widget = app.stage.children[0]
    widget.choose(pick(widget.scenario).id)
    assert widget.check() is not None
    return widget


def test_one_scenario_at_a_time_with_back_and_next(course, store):
    app = open_app(course, store)
    graded = app.module.graded_scenarios
    assert app.position == OVERVIEW and app.next.description == "Start"
    assert app.back.disabled  # nothing before the overview
    app.go_next()
    assert app.position == graded[0].id
    assert len(app.stage.children) == 1 and app.stage.children[0].scenario.id == graded[0].id
    assert app.next.disabled and "check it to go on" in app.nav_note.value
    app.go_next()  # refused: not answered yet
    assert app.position == graded[0].id
    answer_current(app)
    assert not app.next.disabled and app.nav_note.value == ""
    assert "1 of" in app.progress.value
    app.go_next()
    assert app.position == app.sequence()[2]
    app.go_back()
    assert app.position == graded[0].id and app.stage.children[0].locked


def test_check_moves_focus_to_feedback_and_next_moves_it_to_the_title(course, store):
    app = open_app(course, store)
    app.go_next()
    widget = answer_current(app)
    assert 'data-cm-focus="1"' in widget.feedback.value
    app.go_next()
    assert 'data-cm-focus="1"' not in widget.feedback.value  # left behind: no longer pulls focus
    assert 'data-cm-focus="1"' in app.stage.children[0].card.value


def test_branch_scenario_follows_the_choice_that_leads_to_it(course, store):
    app = open_app(course, store)
    parent = next(s for s in app.module.graded_scenarios if any(c.next for c in s.choices))
    leading = next(c for c in parent.choices if c.next)
    assert leading.next not in app.sequence()
    app.go(parent.id)
    widget = app.stage.children[0]
    widget.choose(leading.id)
    widget.check()
    pages = app.sequence()
    assert pages[pages.index(parent.id) + 1] == leading.next
    app.go_next()
    assert app.position == leading.next


def test_summary_shows_score_key_points_and_reflection_then_finish(course, store):
    calls = []
    app = open_app(course, store, on_finish=lambda learner, module: calls.append((learner, module)) or None)
    while app.position != SUMMARY:
        if app.position != OVERVIEW and app.records.decision(app.position) is None:
            answer_current(app)
        app.go_next()
    page = app.stage.children[0]
    total = len(app.module.graded_scenarios)
    assert f"Your score: {total} out of {total} (100%)" in app.result.value
    # the click-time score is only "so far": never a pass before the mark of record
    assert "You passed." not in app.result.value and "So far this reaches the pass mark" in app.result.value
    assert "Key points" in page.children[1].value
    assert app.module.key_points[0].replace("'", "&#x27;") in page.children[1].value
    app.reflection.text.value = "I will ask first."
    assert not app.finish_button.disabled
    app.finish()
    assert calls == [("amy", "sharing")]
    assert app.finished_at is not None and "Your result is saved" in app.finish_status.value
    assert app.reflection.text.disabled  # the finished attempt is what gets marked
    assert app.again_button.layout.display == "none"  # a pass on its way: nothing to redo
    assert app.state().state == "being marked" and "You passed." not in app.result.value
    assert "being marked" in app.finish_status.value
    mark_attempt(store, course, "amy", "sharing", 1)
    marked = open_app(course, store)
    assert "You passed." in marked.result.value and "You passed this module." in marked.finish_status.value
    records = LearnerRecords.open("amy", app.module, course.policy.version, store)
    assert records.reflection("module") == "I will ask first."


def test_finish_needs_every_scenario_answered(course, store):
    app = open_app(course, store)
    app.go(SUMMARY)
    assert app.finish_button.disabled and "Answer every scenario" in app.finish_status.value
    assert app.finish() is None and app.finished_at is None


def test_default_hook_does_nothing_visible_and_a_failing_hook_is_friendly(course, store, monkeypatch):
    assert hooks.on_finish("amy", "sharing") is None

    def broken(_learner, _module):
        raise RuntimeError("grader down")

    monkeypatch.setattr(hooks, "on_finish", broken)
    app = open_app(course, store)
    for scenario in app.module.graded_scenarios:
        app.records.record_decision(scenario.id, best(scenario).id)
    app.go(SUMMARY)
    app.finish()
    assert app.finished_at is not None  # the result is recorded even so
    assert "could not be sent for marking" in app.finish_status.value
    assert "Traceback" not in app.finish_status.value and "grader down" not in app.finish_status.value


def test_failed_attempt_can_start_again_and_keeps_the_old_one(course, store):
    app = open_app(course, store)
    for scenario in app.module.graded_scenarios:
        app.records.record_decision(scenario.id, worst(scenario).id)
    app.go(SUMMARY)
    app.finish()
    # no mark yet: being marked, never "failed", and no retake before the mark (the rule, checked in the kernel)
    so_far = app.result.value
    assert "Not passed yet" not in so_far and ("below the pass mark" in so_far or "So far this does not pass" in so_far)
    assert app.again_button.layout.display == "none"
    app.again_button.click()  # the hidden button, clicked anyway (as a forged websocket message would)
    assert app.records.attempt == 1 and "only after a result that did not pass" in app.error.value
    mark_attempt(store, course, "amy", "sharing", 1)
    marked = open_app(course, store)
    assert "Not passed yet" in marked.result.value and marked.again_button.layout.display == ""
    assert app.start_again()
    assert app.records.attempt == 2 and app.position == OVERVIEW and app.records.answered() == 0
    assert len(store.decisions("amy", "sharing", 1)) == len(app.module.graded_scenarios)


def test_coming_back_restores_every_answer_and_lands_on_the_next_one(course, store):
    app = open_app(course, store)
    app.go_next()
    first = answer_current(app, pick=worst)
    app.go_next()
    second = answer_current(app)
    app.go(SUMMARY)
    app.reflection.text.value = "Half way."
    again = open_app(course, Store(store.url))
    third = again.sequence()[3]
    assert again.position == third  # the first unanswered scenario
    again.go_back()
    assert again.stage.children[0].locked and again.stage.children[0].choices.value == best(second.scenario).id
    again.go_back()
    restored = again.stage.children[0]
    assert restored.choices.value == worst(first.scenario).id and "Not the best choice" in restored.feedback.value
    again.go(SUMMARY)
    assert again.reflection.text.value == "Half way."


def test_final_assessment_keeps_feedback_for_the_summary(course, store):
    app = open_app(course, store, module_id="final")
    app.go_next()
    widget = answer_current(app, pick=worst)
    assert widget.feedback.value == "" and "saved" in widget.status.value
    for scenario in map(app.module.scenario, app.records.shown_graded[1:]):  # the attempt's draw
        app.records.record_decision(scenario.id, best(scenario).id)
    app.go(SUMMARY)
    # the review shows the best answers: only after Finish (tests/test_attempt_state.py has the attack)
    assert "Review of every answer" not in app.result.value and "The best choice was " not in app.result.value
    app.finish()
    # after Finish, each answer's feedback, but a bank's best choices wait for a pass (course.app.review)
    assert "Review of every answer" in app.result.value and "The best choice was " not in app.result.value


def test_unknown_module_is_a_friendly_page(course, store):
    page = open_module_app(course, store, "amy", "no-such-module", token="tok")
    assert "We could not find that page" in page.value and "home.ipynb?token=tok" in page.value


@pytest.mark.parametrize("module_id", ["why", "sharing", "boundaries", "protect", "safety", "final"])
def test_every_module_opens_on_its_overview(course, store, module_id):
    app = open_app(course, store, module_id=module_id)
    assert app.position == OVERVIEW and "About this module" in app.stage.children[0].value
    assert f"home.ipynb?token={app.token}" in app.header.value
