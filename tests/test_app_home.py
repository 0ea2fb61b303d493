"""The course home: sessions and identity, sign-in, module status, continue, certificate."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from course.app import status as st
from course.app.home import HomeApp
from course.app.signin import SignInError, sign_in
from course.kernel.launch import Launcher
from course.records import signin_tokens as sessions
from course.records import tables
from course.records.identity import SignInRequired, current_learner, forget_page_query
from course.records.store import attempts, now

from .support.grading_helpers import mark_attempt


def best(scenario):
    return max(scenario.choices, key=lambda c: c.score)


def worst(scenario):
    return min(scenario.choices, key=lambda c: c.score)


def take(store, course, learner, module_id, pick=best, finish=True, attempt=None, marked=True):
    """Answer a module; Finish it; and (`marked`) record its mark of record as the marker does."""
    module = course.module(module_id)
    attempt = attempt or store.current_attempt(learner, module_id, course.policy.version)
    for scenario in module.graded_scenarios:
        store.record_decision(learner, module_id, attempt, scenario.id, pick(scenario).id, pick(scenario).score)
    if finish:
        store.finish_attempt(learner, module_id, attempt)
        if marked:
            mark_attempt(store, course, learner, module_id, attempt)
    return attempt


# --- sessions and identity -------------------------------------------------------------


def test_session_token_is_unguessable_and_only_its_hash_is_stored(store):
    token = sessions.issue(store, "40123")
    assert len(token) >= 43 and sessions.learner_for(store, token) == "40123"
    rows = store._read(select(tables.sessions))
    assert [r.token_hash for r in rows] == [sessions.token_hash(token)] and token not in str(rows)
    assert sessions.learner_for(store, token[:-1] + ("A" if token[-1] != "A" else "B")) is None
    assert sessions.learner_for(store, "") is None and sessions.learner_for(store, None) is None


def test_session_expires_and_can_be_revoked(store):
    token = sessions.issue(store, "40123")
    assert sessions.learner_for(store, token, at=now() + sessions.LIFETIME + timedelta(seconds=1)) is None
    sessions.revoke(store, token)
    assert sessions.learner_for(store, token) is None


def test_a_dashboard_session_is_no_sign_in_and_a_sign_in_opens_no_dashboard(store):
    dashboard = sessions.issue(store, "40123", purpose=sessions.DASHBOARD)
    signin = sessions.issue(store, "40123")
    assert sessions.learner_for(store, dashboard) is None  # a learner page's check
    assert sessions.learner_for(store, dashboard, purpose=sessions.DASHBOARD) == "40123"
    assert sessions.learner_for(store, signin, purpose=sessions.DASHBOARD) is None
    assert sessions.learner_for_hash(store, sessions.token_hash(dashboard)) is None  # a download ticket's
    sessions.revoke(store, dashboard)
    assert sessions.learner_for(store, dashboard, purpose=sessions.DASHBOARD) is None
    with pytest.raises(ValueError, match="unknown session purpose 'admin'"):
        sessions.issue(store, "40123", purpose="admin")


def test_the_dashboard_takes_its_lms_manager_from_the_server_written_header_only(monkeypatch):
    from course.manager.auth import lms_manager
    from course.records.identity import MANAGER_ENV

    monkeypatch.setenv(MANAGER_ENV, "40123")
    assert lms_manager() is None  # outside Voila: nobody, whatever the environment says
    voila_env(monkeypatch, "")
    assert lms_manager() == "40123"
    monkeypatch.setenv(MANAGER_ENV, "  ")
    assert lms_manager() is None


def test_the_hub_home_keeps_an_lms_launch_as_the_identity(store, monkeypatch):
    from course.records import identity

    monkeypatch.delenv("COURSE_HUB_MODE", raising=False)
    launcher = Launcher("home")
    launcher.store = store
    store.ensure_learner("40123", identity=identity.LTI)  # the LMS launched them into the hub (course.hub.lti)
    monkeypatch.setenv("JUPYTERHUB_USER", "40123")
    launcher.build_view("home", {})
    assert store.learner("40123")["identity"] == identity.LTI
    monkeypatch.setenv("JUPYTERHUB_USER", "40124")  # signed in to the hub some other way
    launcher.build_view("home", {})
    assert store.learner("40124")["identity"] == identity.HUB


def voila_env(monkeypatch, query: str):
    monkeypatch.setenv("VOILA_KERNEL_ID", "test-kernel")
    monkeypatch.setenv("QUERY_STRING", query)
    forget_page_query()


def test_inside_voila_the_learner_comes_from_the_token_only(store, monkeypatch, db_url):
    monkeypatch.setenv("COURSE_DB_URL", db_url)
    token = sessions.issue(store, "40123")
    voila_env(monkeypatch, f"module=sharing&token={token}")
    assert current_learner() == "40123"
    voila_env(monkeypatch, "module=sharing&learner=40123")  # a name in the address is not a sign-in
    with pytest.raises(SignInRequired):
        current_learner()  # and never COURSE_LEARNER or the server's own user
    monkeypatch.setenv("JUPYTERHUB_USER", "hub-amy")
    assert current_learner() == "hub-amy"  # the hub wins
    forget_page_query()


def test_outside_voila_jupyterlab_keeps_its_fallback(monkeypatch):
    assert current_learner() == "learner-test"  # COURSE_LEARNER, set by conftest


# --- sign-in -----------------------------------------------------------------------------


def test_sign_in_checks_name_and_staff_number(store):
    for name, number, words in [
        ("", "40123", "your name"),
        ("Sam", "", "staff number"),
        ("Sam", "40 12/3", "only the letters A to Z, the digits"),
        ("1234", "40123", "letters"),
    ]:
        with pytest.raises(SignInError, match=words):
            sign_in(store, name, number)
    signed = sign_in(store, "  Sam   Taylor ", "sc-40123")
    assert signed.learner_id == "SC-40123" and store.learner("SC-40123")["name"] == "Sam Taylor"
    assert sign_in(store, "sam taylor", "SC-40123").learner_id == "SC-40123"  # the same person again
    with pytest.raises(SignInError, match="different name"):
        sign_in(store, "Alex Brown", "SC-40123")


def test_home_signs_in_and_puts_the_token_in_the_address(course, store):
    home = HomeApp(course, store)
    assert "Sign in" in home.body.children[0].children[0].value
    home.name.value, home.staff_number.value = "Sam Taylor", "40123"
    assert home.submit()
    html = home.course_html.value
    assert f'data-cm-url="home.ipynb?token={home.token}"' in html
    assert sessions.learner_for(store, home.token) == "40123"
    assert html.count(f"token={home.token}") >= len(course.modules) + 1  # every module link and continue
    assert "Hello, Sam Taylor" in html and "Start the course" in html


def test_home_refuses_a_bad_sign_in_with_a_message(course, store):
    home = HomeApp(course, store)
    assert not home.submit("Sam Taylor", "")
    assert (
        "Please enter your staff number." in home.sign_in_message.value and 'role="alert"' in home.sign_in_message.value
    )


def test_sign_out_ends_the_session(course, store):
    home = HomeApp(course, store)
    home.submit("Sam Taylor", "40123")
    token = home.token
    home.sign_out()
    assert (
        sessions.learner_for(store, token) is None and "You have signed out." in home.body.children[0].children[0].value
    )


def test_an_ended_session_asks_to_sign_in_again(course, store):
    launcher = Launcher.__new__(Launcher)
    launcher.kind, launcher.course, launcher.store, launcher.failed = "home", course, store, False
    home = launcher.build({"token": "not-a-real-token"})
    assert home.learner_id is None and "Your sign-in has ended" in home.body.children[0].children[0].value
    module_launcher = Launcher.__new__(Launcher)
    module_launcher.kind, module_launcher.course, module_launcher.store, module_launcher.failed = (
        "module",
        course,
        store,
        False,
    )
    with pytest.raises(SignInRequired):
        module_launcher.build({"module": "sharing", "token": "not-a-real-token"})


# --- status ------------------------------------------------------------------------------


def states(store, course, learner, at=None):
    return {s.module.id: s.state for s in st.course_status(store, course, learner, at)}


def test_status_not_started_in_progress_passed_failed(course, store):
    store.ensure_learner("40123", name="Sam")
    assert set(states(store, course, "40123").values()) == {st.NOT_STARTED}
    store.current_attempt("40123", "why", course.policy.version)  # opening a module is not starting it
    assert states(store, course, "40123")["why"] == st.NOT_STARTED
    first = course.module("sharing").graded_scenarios[0]
    store.record_decision(
        "40123",
        "sharing",
        store.current_attempt("40123", "sharing", course.policy.version),
        first.id,
        best(first).id,
        1.0,
    )
    take(store, course, "40123", "boundaries", best, marked=False)
    take(store, course, "40123", "protect", worst, marked=False)
    # Finish pressed, no mark of record yet: being marked, neither passed nor failed
    waiting = {s.module.id: s for s in st.course_status(store, course, "40123")}
    assert waiting["boundaries"].state == st.BEING_MARKED and waiting["protect"].state == st.BEING_MARKED
    assert waiting["boundaries"].percent is None
    for module_id in ("boundaries", "protect"):
        mark_attempt(store, course, "40123", module_id, 1)
    result = {s.module.id: s for s in st.course_status(store, course, "40123")}
    assert result["sharing"].state == st.IN_PROGRESS and result["sharing"].answered == 1
    assert result["boundaries"].state == st.PASSED and result["boundaries"].percent == 100
    assert result["boundaries"].renew_by is not None
    assert result["protect"].state == st.FAILED and result["protect"].percent < 80
    assert st.next_step(list(result.values())).module.id == "sharing"  # continue where you left off


def test_due_again_after_the_renewal_period(course, store):
    take(store, course, "40123", "why")
    later = now() + timedelta(days=31 * course.policy.completion["renew_after_months"])
    status = st.module_status(store, course, "40123", course.module("why"), at=later)
    assert status.state == st.DUE_AGAIN and "months old" in status.reason


def test_due_again_when_the_policy_changes(course, store):
    take(store, course, "40123", "why")
    store._write(update(attempts).values(policy_version="2000-01"))
    assert st.module_status(store, course, "40123", course.module("why")).state == st.DUE_AGAIN
    no_renewal = replace(
        course, policy=replace(course.policy, completion={**course.policy.completion, "renew_on_policy_change": False})
    )
    assert st.module_status(store, no_renewal, "40123", course.module("why")).state == st.PASSED


def test_a_new_pass_clears_due_again_and_a_failed_retake_is_the_mark_of_record(course, store):
    take(store, course, "40123", "why")
    store._write(update(attempts).values(policy_version="2000-01"))
    attempt = store.start_new_attempt("40123", "why", course.policy.version)
    take(store, course, "40123", "why", attempt=attempt)
    assert st.module_status(store, course, "40123", course.module("why")).state == st.PASSED
    attempt = store.start_new_attempt("40123", "why", course.policy.version)
    take(store, course, "40123", "why", worst, attempt=attempt)
    # the grading log keeps the latest mark: the retake's fail is the mark of record (the reports
    # said "failed" here while the home said "passed"; a completion already in the register stands)
    assert st.module_status(store, course, "40123", course.module("why")).state == st.FAILED


def test_certificate_link_once_every_module_is_passed(course, store):
    store.ensure_learner("40123", name="Sam Taylor")
    for module_id in course.modules:
        take(store, course, "40123", module_id)
    home = HomeApp(course, store, learner_id="40123", token="tok")
    html = home.course_html.value
    assert "You have passed every module" in html and "Your certificate" in html
    assert 'href="certificate.ipynb?token=tok"' in html
    assert html.count("✓</span> Passed") == len(course.modules)


def test_home_lists_every_module_with_its_status(course, store):
    store.ensure_learner("40123", name="Sam Taylor")
    take(store, course, "40123", "protect", worst)
    home = HomeApp(course, store, learner_id="40123", token="tok")
    html = home.course_html.value
    for module in course.modules.values():
        if module.id == "final":  # not open until the others are passed (tests/test_final_gate.py)
            assert "module=final" not in html and "Not open yet" in html
            continue
        assert f'href="module.ipynb?module={module.id}&amp;token=tok"' in html
    assert "Not passed yet" in html and "pass mark 80%" in html
    assert "Certificate" not in html
    assert "Start: Why it matters" in html
