"""Issue 17's second tab: "A second tab of the same module stays editable after the first has
finished: saving there overwrote the first tab's reflection, Finish there sent a second
submission, and choosing "a" there showed "You chose: <the other tab's answer>" without a word."

Two tabs are two module apps on one records store (what two browser tabs are: two kernels), driven
through the widget API, which is what a click or a forged comm message over the websocket does.
The records store is the truth: every write is checked against the attempt as the writing page
last read it (course.records.attempt.LearnerRecords.check_unchanged), and the store closes the
race behind that check. tests/test_stale_tab_browser.py does the same in two Chromium tabs.
"""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from course.app.module import SUMMARY, open_module_app
from course.grading.finish import submit
from course.records import signin_tokens
from course.records.store import CHANGED_ELSEWHERE, AttemptFinished, ChangedElsewhere, RecordRefused
from course.records.tables import grading_queue

MODULE = "sharing"
LEARNER = "40001"


def best(scenario):
    return max(scenario.choices, key=lambda c: c.score)


def worst(scenario):
    return min((c for c in scenario.choices if not c.next), key=lambda c: c.score)


@pytest.fixture
def token(store):
    store.ensure_learner(LEARNER, name="Amy Reid", staff_number=LEARNER)
    return signin_tokens.issue(store, LEARNER)


def tab(course, store, token):
    """A module page as a browser tab opens it (its own kernel, its own view of the attempt)."""
    return open_module_app(course, store, LEARNER, MODULE, token=token)


def answer_all(app, pick=best) -> None:
    for scenario in map(app.module.scenario, app.records.shown_graded):
        app.go(scenario.id)
        widget = app.stage.children[0]
        widget.choose(pick(scenario).id)
        widget.check_button.click()


def queued(store) -> int:
    return int(store._read(select(func.count()).select_from(grading_queue))[0][0])


def shows_notice(app) -> bool:
    return CHANGED_ELSEWHERE in app.notice.value and 'role="alert"' in app.notice.value


def test_choosing_in_a_second_tab_never_shows_the_other_tabs_answer_without_a_word(course, store, token):
    a, b = tab(course, store, token), tab(course, store, token)
    first = a.module.scenario(a.records.shown_graded[0])
    a.go(first.id)
    a.stage.children[0].choose(best(first).id)
    a.stage.children[0].check_button.click()

    b.go(first.id)  # B's page still thinks nothing is answered
    b.stage.children[0].choose(worst(first).id)
    b.stage.children[0].check_button.click()

    assert store.decisions(LEARNER, MODULE, 1)[first.id].choice_id == best(first).id  # A's stands
    assert shows_notice(b)  # said in words, above the page
    shown = b.stage.children[0]
    assert shown.decided_choice.id == best(first).id and shown.locked  # the store's answer, as it is
    assert b.records.decision(first.id).choice_id == best(first).id


def test_a_reflection_from_a_second_tab_never_writes_over_the_first(course, store, token):
    a = tab(course, store, token)
    answer_all(a)
    b = tab(course, store, token)  # opened once every answer is in, as a learner would on a phone
    a.go(SUMMARY)
    b.go(SUMMARY)
    a.reflection.text.value = "I will ask before I post."
    b.reflection.text.value = "Something else, typed on the phone."

    assert store.reflections(LEARNER, MODULE, 1) == {"module": "I will ask before I post."}
    assert shows_notice(b)
    assert "Something else, typed on the phone." in b.notice.value  # B's words are kept on its page, to copy
    assert b.reflection.text.value == "I will ask before I post."  # the box shows what the store holds
    # B may now carry on from what it sees: its next save replaces only the words it has seen
    b.reflection.text.value = "I will ask before I post. And check the settings."
    assert store.reflections(LEARNER, MODULE, 1) == {"module": "I will ask before I post. And check the settings."}
    assert "Saved" in b.reflection.status.value


def test_finish_in_a_second_tab_sends_no_second_submission_and_shows_the_result(course, store, token):
    a = tab(course, store, token)
    answer_all(a)
    b = tab(course, store, token)
    a.go(SUMMARY)
    b.go(SUMMARY)
    a.reflection.text.value = "Tab A's reflection."
    a.finish()
    assert queued(store) == 1 and store.finished_at(LEARNER, MODULE, 1) is not None

    assert b.finish_button.layout.display != "none"  # B still offers Finish: its page is stale
    b.finish_button.click()
    assert queued(store) == 1  # exactly one submission
    assert shows_notice(b)
    assert b.finished_at is not None and b.finish_button.layout.display == "none"
    assert "Your result is saved" in b.finish_status.value
    assert b.reflection.text.value == "Tab A's reflection." and b.reflection.text.disabled

    # the hidden Finish and the disabled box, used anyway (a forged message): nothing changes
    b.finish()
    b.reflection.text.value = "Overwritten?"
    b.reflection.save_button.click()
    assert queued(store) == 1
    assert store.reflections(LEARNER, MODULE, 1) == {"module": "Tab A's reflection."}


def test_the_records_layer_refuses_a_stale_write_whatever_the_page_shows(course, store, token):
    """The check is in course.records.attempt and the store, not in the page: any caller meets it."""
    a, b = tab(course, store, token), tab(course, store, token)
    answer_all(a)
    first = a.records.shown_graded[0]
    with pytest.raises(ChangedElsewhere):
        b.records.record_decision(first, worst(a.module.scenario(first)).id)
    with pytest.raises(ChangedElsewhere):
        b.records.save_reflection("module", "stale")
    with pytest.raises(ChangedElsewhere):
        b.records.finish()
    with pytest.raises(ChangedElsewhere):  # the marker's queue too: grading.finish.submit
        submit(b.records)
    assert store.finished_at(LEARNER, MODULE, 1) is None and queued(store) == 0

    request = submit(a.records)  # the page that saw it all finishes: one request
    assert request and queued(store) == 1
    with pytest.raises(RecordRefused):  # the same page's Finish again: nothing more queued
        submit(a.records)
    b.records.reload()  # a fresh look at the store: the attempt is finished
    with pytest.raises(AttemptFinished):
        submit(b.records)
    assert queued(store) == 1


def test_the_store_closes_the_race_behind_the_check(course, store, token):
    """Two tabs pass the check at the same moment: the store's own statements decide."""
    a, b = tab(course, store, token), tab(course, store, token)
    attempt = a.records.attempt
    # a reflection replaces only the text its page saw, in the same statement
    store.save_reflection(LEARNER, MODULE, attempt, "module", "A's words", expected="")
    with pytest.raises(ChangedElsewhere):
        store.save_reflection(LEARNER, MODULE, attempt, "module", "B's words", expected="")
    assert store.reflections(LEARNER, MODULE, attempt) == {"module": "A's words"}
    # of two Finishes, exactly one finished the attempt
    assert store.finish_attempt(LEARNER, MODULE, attempt) is True
    assert store.finish_attempt(LEARNER, MODULE, attempt) is False
    # a decision read back as another tab's choice is refused, not shown as this one's
    del a, b


def test_a_new_attempt_started_elsewhere_refuses_the_old_tab(course, store, token):
    a = tab(course, store, token)
    answer_all(a, worst)
    b = tab(course, store, token)
    a.go(SUMMARY)
    a.finish()
    store.start_new_attempt(LEARNER, MODULE, course.policy.version)  # Start again, in tab A
    b.go(SUMMARY)
    b.reflection.text.value = "Into the old attempt?"
    assert store.reflections(LEARNER, MODULE, 1) == {} and store.reflections(LEARNER, MODULE, 2) == {}
    assert shows_notice(b)
    assert b.records.attempt == 2 and b.finished_at is None  # B now shows the new attempt
    assert "Into the old attempt?" in b.notice.value


def test_a_tab_shown_again_looks_at_the_store(course, store, token):
    """The template's script writes "visible N" into the hidden box when the tab gets focus."""
    a, b = tab(course, store, token), tab(course, store, token)
    assert b.tab_signal.layout.display == "none"
    b.tab_signal.value = "visible 1"  # nothing changed: nothing said
    assert b.notice.value == ""
    answer_all(a)
    a.go(SUMMARY)
    a.finish()
    b.tab_signal.value = "visible 2"
    assert shows_notice(b) and b.position == SUMMARY and b.finished_at is not None
    assert "Your result is saved" in b.finish_status.value
    b.tab_signal.value = "anything at all"  # a forged value: ignored
    assert queued(store) == 1


def test_start_again_in_a_stale_tab_starts_no_third_attempt(course, store, token):
    from tests.support.grading_helpers import mark

    a = tab(course, store, token)
    answer_all(a, worst)
    a.go(SUMMARY)
    a.finish()
    mark(store, LEARNER, MODULE, 0.0, a.module.max_score)  # failed: the rule allows a retake
    b = tab(course, store, token)  # opened on the failed, finished attempt
    assert a.start_again() and a.records.attempt == 2
    assert b.again_button.layout.display != "none"  # B still offers it
    b.again_button.click()
    assert store.latest_attempt(LEARNER, MODULE) == 2  # no third attempt
    assert shows_notice(b) and b.records.attempt == 2
