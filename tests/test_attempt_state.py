"""Every state change of a learner's attempt is checked in the kernel and the records layer
(course.records.attempt, course.records.store), not by which buttons the page shows (issue 15:
"Hidden and disabled buttons still work over the websocket").

The pages are the real module app on the real records store, driven through the widget API:
a click on a hidden button, or a value set on a disabled box, is exactly what a forged comm
message over the page's websocket does (the widget's handler runs in the kernel either way).
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from course.app.module import SUMMARY, open_module_app
from course.records import signin_tokens
from course.records.attempt import LearnerRecords
from course.records.store import AttemptFinished, RecordRefused

from .support.gate import pass_prerequisites
from .support.grading_helpers import mark_attempt


def best(scenario):
    return max(scenario.choices, key=lambda c: c.score)


def worst(scenario):
    return min(scenario.choices, key=lambda c: c.score)


def open_page(course, store, module_id="final", learner="40001", token=None):
    store.ensure_learner(learner, name="Amy Reid", staff_number=learner)
    token = token or signin_tokens.issue(store, learner)
    pass_prerequisites(store, course, learner, module_id)  # the final opens once the others are passed
    return open_module_app(course, store, learner, module_id, token=token)


def answer_all(app, pick) -> None:
    for scenario in map(app.module.scenario, app.records.shown_graded):  # the attempt's draw
        app.go(scenario.id)
        widget = app.stage.children[0]
        widget.choose(pick(scenario).id)
        widget.check_button.click()


def test_the_final_attack_4_of_14_review_hidden_start_again_14_of_14_fails(course, store):
    """The issue: 'On the final: 4/14, read the review (it shows the best answers before Finish),
    press the hidden "Start again", answer 14/14; no fail recorded.'"""
    app = open_page(course, store)
    answer_all(app, worst)
    app.go(SUMMARY)
    # 1. the review (the best answers) is not on the page, nor in any widget, before Finish
    assert "Review of every answer" not in app.result.value and "The best answer" not in app.result.value
    # 2. the hidden Start again, clicked over the websocket: refused in the kernel, same attempt
    assert app.again_button.layout.display == "none"
    app.again_button.click()
    assert app.records.attempt == 1 and "still open" in app.error.value
    assert store.current_attempt("40001", "final", course.policy.version) == 1
    # 3. the only way on is Finish: the low score is on record, then the review shows
    app.finish_button.click()
    assert store.finished_at("40001", "final", 1) is not None
    assert "Review of every answer" in app.result.value
    # 4. before the mark: still no retake (not "before marking")
    app.again_button.click()
    assert app.records.attempt == 1
    # 5. once marked as failed, a retake is allowed and the fail stays on record
    score = mark_attempt(store, course, "40001", "final", 1)
    assert score < app.module.pass_mark * app.module.max_score
    assert app.start_again() and app.records.attempt == 2
    from course.app import status

    assert status.module_status(store, course, "40001", app.module).state == status.FAILED  # the fail is on record
    assert store.last_finished_attempt("40001", "final") == 1  # the failed Finish is kept


def test_no_start_again_after_a_pass(course, store):
    app = open_page(course, store, module_id="sharing")
    answer_all(app, best)
    app.go(SUMMARY)
    app.finish()
    mark_attempt(store, course, "40001", "sharing", 1)
    page = open_page(course, store, module_id="sharing")
    assert page.again_button.layout.display == "none"
    page.again_button.click()
    assert page.records.attempt == 1 and "only after a result that did not pass" in page.error.value
    with pytest.raises(RecordRefused):  # the records layer itself, for any caller
        page.records.start_again("passed", course.policy.version)


def test_no_edits_after_finish(course, store):
    """The issue: 'Reflections can be changed after Finish.' Also answers, through any caller."""
    app = open_page(course, store, module_id="sharing")
    answer_all(app, best)
    app.go(SUMMARY)
    app.reflection.text.value = "Before Finish."
    assert store.reflections("40001", "sharing", 1) == {"module": "Before Finish."}
    app.finish()
    assert app.reflection.text.disabled and app.reflection.save_button.layout.display == "none"
    # the disabled box and the hidden button, used anyway
    app.reflection.text.value = "Changed after Finish."
    app.reflection.save_button.click()
    assert store.reflections("40001", "sharing", 1) == {"module": "Before Finish."}
    assert "This attempt is finished" in app.reflection.status.value
    # the store API refuses too (a racing tab, a script): nothing saved into a finished attempt
    with pytest.raises(AttemptFinished):
        store.save_reflection("40001", "sharing", 1, "module", "Sneaked in.")
    with pytest.raises(AttemptFinished):
        store.record_decision("40001", "sharing", 1, "not-answered-yet", "a", 1.0)
    records = LearnerRecords.of_attempt("40001", app.module, course.policy.version, store, 1)
    assert records.reflection("module") == "Before Finish."


def test_a_signed_out_tab_saves_nothing(course, store):
    """The issue: 'sign-out does not stop an open tab from saving.'"""
    token = signin_tokens.issue(store, "40001")
    app = open_page(course, store, module_id="sharing", token=token)
    other_tab = open_page(course, store, module_id="sharing", token=token)
    first = app.module.graded_scenarios[0]
    app.go(first.id)
    app.stage.children[0].choose(best(first).id)
    signin_tokens.revoke(store, token)  # signed out in the other tab (the home's Sign out)
    app.stage.children[0].check_button.click()
    assert store.decisions("40001", "sharing", 1) == {}
    assert "You are signed out" in app.stage.children[0].status.value
    other_tab.go(SUMMARY)
    other_tab.reflection.text.value = "Written after sign-out."
    assert store.reflections("40001", "sharing", 1) == {}
    assert "You are signed out" in other_tab.reflection.status.value
    assert other_tab.finish() is None and store.finished_at("40001", "sharing", 1) is None


def test_an_expired_sign_in_saves_nothing(course, store):
    expired = signin_tokens.issue(store, "40001", lifetime=timedelta(seconds=-1))
    app = open_page(course, store, module_id="sharing", token=expired)
    first = app.module.graded_scenarios[0]
    app.go(first.id)
    app.stage.children[0].choose(best(first).id)
    app.stage.children[0].check_button.click()
    assert store.decisions("40001", "sharing", 1) == {}
    # another learner's valid token does not stand in for this page's learner either
    ben = signin_tokens.issue(store, "40002")
    borrowed = LearnerRecords.open("40001", app.module, course.policy.version, store, signin_token=ben)
    with pytest.raises(RecordRefused):
        borrowed.record_decision(first.id, best(first).id)
