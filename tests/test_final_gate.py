"""The final assessment opens only once the other modules are passed: one rule
(course.progress.waiting_for over policy.yaml `completion.prerequisites`), shown on the home,
and checked in the module page's kernel whatever address is typed."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from html import escape

import pytest

from course.app import status as st
from course.app.home import HomeApp, continue_html, modules_html
from course.app.module import NOT_YET, ModuleApp, open_module_app
from course.content.rules import check_prerequisites
from course.progress import (
    BEING_MARKED,
    DUE_AGAIN,
    FAILED,
    IN_PROGRESS,
    NEEDS_REVIEW,
    NOT_STARTED,
    PASSED,
    prerequisites,
    waiting_for,
)
from course.records import attendance, signin_tokens

from .support.gate import pass_prerequisites
from .support.grading_helpers import mark_attempt

BEFORE_FINAL = ("why", "sharing", "boundaries", "protect", "safety")


def attend(store, modules, learner="GATE-1"):
    attendance.record(store, [(learner, m, date.today()) for m in modules])


def signed_in(store, learner="GATE-1"):
    store.ensure_learner(learner, name="Gail Tate", staff_number=learner)
    return signin_tokens.issue(store, learner)


def test_the_prerequisites_are_data_in_policy_yaml(course):
    assert prerequisites(course) == {"final": BEFORE_FINAL}
    assert set(BEFORE_FINAL) | {"final"} == set(course.policy.completion["modules"])


@pytest.mark.parametrize(
    ("own", "states", "waiting"),
    [
        (NOT_STARTED, {}, ("a", "b")),
        (NOT_STARTED, {"a": PASSED}, ("b",)),
        (NOT_STARTED, {"a": PASSED, "b": PASSED}, ()),
        (NOT_STARTED, {"a": PASSED, "b": BEING_MARKED}, ("b",)),  # not passed until it is marked
        (NOT_STARTED, {"a": PASSED, "b": NEEDS_REVIEW}, ("b",)),
        (NOT_STARTED, {"a": PASSED, "b": DUE_AGAIN}, ("b",)),
        (IN_PROGRESS, {}, ()),  # the gate is for a first start: an attempt under way is never taken away
        (BEING_MARKED, {}, ()),  # nor a result to see
        (FAILED, {}, ()),  # nor a retake the rule allows
        (DUE_AGAIN, {}, ()),
        (PASSED, {}, ()),
    ],
)
def test_the_one_gate_rule(own, states, waiting):
    assert waiting_for(("a", "b"), own, states) == waiting


def test_course_validate_checks_the_prerequisites(course):
    assert check_prerequisites(course) == []

    def broken(value):
        policy = replace(course.policy, completion={**course.policy.completion, "prerequisites": value})
        return [e.message for e in check_prerequisites(replace(course, policy=policy))]

    assert any("'nope'" in m for m in broken({"final": ["why", "nope"]}))
    assert any("its own prerequisite" in m for m in broken({"final": ["final"]}))
    assert any("loop" in m for m in broken({"final": ["why"], "why": ["final"]}))


def test_the_schema_refuses_a_prerequisites_list_that_is_not_one(content_copy):
    from course.content.model import ContentErrors, load_course

    policy = content_copy / "policy.yaml"
    policy.write_text(policy.read_text().replace("final: [why, sharing", "final: why-sharing #"), encoding="utf-8")
    with pytest.raises(ContentErrors):
        load_course(content_copy)


def test_the_home_shows_the_final_locked_and_why(course, store):
    token = signed_in(store)
    home = HomeApp(course, store, learner_id="GATE-1", token=token)
    html = home.course_html.value
    final = next(s for s in home.statuses if s.module.id == "final")
    assert final.locked and [m.id for m in final.waiting_for] == list(BEFORE_FINAL)
    assert "module=final" not in html  # no link to a page that would only say "not yet"
    assert "Not open yet" in html and "It opens once you have passed Why it matters" in html.replace("&#x27;", "'")
    # the next step is never the locked final, even when every other module waits for its mark
    waiting = [replace(s, state=BEING_MARKED) if s.module.id != "final" else s for s in home.statuses]
    assert st.next_step(waiting) is None and continue_html(waiting, token) == ""
    assert "cm-module--locked" in modules_html(home.statuses, token)


def test_opening_the_final_by_its_address_shows_not_yet_and_starts_nothing(course, store):
    token = signed_in(store)
    page = open_module_app(course, store, "GATE-1", "final", token=token)
    assert not isinstance(page, ModuleApp)
    assert NOT_YET in page.value and "It opens once you have passed" in page.value
    assert f"home.ipynb?token={token}" in page.value
    attempts, decisions, _reflections = store.history("GATE-1", "final")
    assert list(attempts) == [] and list(decisions) == []  # nothing started


def test_the_final_opens_once_the_others_are_passed(course, store):
    token = signed_in(store)
    pass_prerequisites(store, course, "GATE-1")
    assert isinstance(open_module_app(course, store, "GATE-1", "final", token=token), ModuleApp)
    home = HomeApp(course, store, learner_id="GATE-1", token=token)
    assert "module=final" in home.course_html.value


def test_one_module_short_keeps_it_closed_and_says_which(course, store):
    token = signed_in(store)
    attend(store, BEFORE_FINAL[:-1])
    page = open_module_app(course, store, "GATE-1", "final", token=token)
    assert (
        NOT_YET in page.value
        and f"It opens once you have passed {escape(course.modules['safety'].title)}." in page.value
    )
    final = st.module_status(store, course, "GATE-1", course.modules["final"])
    assert [m.id for m in final.waiting_for] == ["safety"]


def test_a_failed_mark_does_not_open_it(course, store):
    token = signed_in(store)
    attend(store, BEFORE_FINAL[:-1])
    app = open_module_app(course, store, "GATE-1", "safety", token=token)
    assert isinstance(app, ModuleApp)
    for sid in app.records.shown_graded:
        scenario = app.records.shown(sid)
        app.records.record_decision(sid, min(scenario.choices, key=lambda c: c.score).id)
    app.records.finish()
    mark_attempt(store, course, "GATE-1", "safety", app.records.attempt)
    assert st.module_status(store, course, "GATE-1", course.modules["safety"]).state == FAILED
    assert open_module_app(course, store, "GATE-1", "final", token=token).value.count(NOT_YET) >= 1


def test_a_final_already_begun_stays_open(course, store):
    """Begun before the gate (or before a prerequisite fell due): its answers stay reachable."""
    token = signed_in(store)
    pass_prerequisites(store, course, "GATE-1")
    app = open_module_app(course, store, "GATE-1", "final", token=token)
    first = app.records.shown(app.records.shown_graded[0])
    app.records.record_decision(first.id, first.choices[0].id)
    store.engine.dispose()
    from sqlalchemy import delete

    from course.records.tables import attendance as attendance_table

    with store.engine.begin() as conn:
        conn.execute(delete(attendance_table))  # the prerequisites no longer count
    assert st.module_status(store, course, "GATE-1", course.modules["final"]).state == IN_PROGRESS
    assert isinstance(open_module_app(course, store, "GATE-1", "final", token=token), ModuleApp)
