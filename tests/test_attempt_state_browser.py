"""Issue 15's "hidden buttons still work over the websocket", on a real `course serve` and a
real headless Chromium: the page's own widget script sends the click of a button the page
hides (display: none), over the page's real kernel websocket, exactly as a tester's console
would. The kernel refuses it; the records store shows nothing changed.

The final: every answer saved (4 of 14 right, as in the issue), the review of best answers not
on the page before Finish, the hidden "Start the module again" clicked: the attempt stays
open, the same attempt; a reflection typed after sign-out is not saved.
"""

from __future__ import annotations

import os

import pytest

from course.content.model import load_course
from course.records import signin_tokens
from course.records.store import Store

from .support.gate import pass_prerequisites
from .support.servers import CHROMIUM, course_server, signed_in

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.skipif(
        not os.path.exists(CHROMIUM), reason="Debian chromium is not installed (scripts/test.sh installs it)"
    ),
]

TIMEOUT = 120_000


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    data = tmp_path_factory.mktemp("attempt-state")
    env = {"COURSE_DATA_DIR": str(data / "var"), "COURSE_DB_URL": ""}
    log = data / "voila.log"
    with course_server(env, log, "--pool-size=1", "--no-grading") as base:
        yield {"base": base, "db": f"sqlite:///{data / 'var' / 'records.db'}", "log": log}


def force_click(page, label: str) -> None:
    """Click a button the page hides, through its widget view: a comm message over the websocket."""
    page.locator("button", has_text=label).first.evaluate("b => b.click()")


def test_hidden_start_again_and_a_signed_out_tab_change_nothing_over_the_websocket(server, browser):
    from playwright.sync_api import expect

    store = Store(server["db"])
    course = load_course()
    final = course.module("final")
    token = signed_in(store, "WS-8001", "Wyn Shaw")
    pass_prerequisites(store, course, "WS-8001")  # the final opens once the others are passed
    attempt = store.current_attempt("WS-8001", "final", course.policy.version)
    for i, scenario in enumerate(final.graded_scenarios):  # every answer in: 4 right, as in the issue
        best = max(scenario.choices, key=lambda c: c.score)
        worst = min((c for c in scenario.choices if not c.next), key=lambda c: c.score)  # no follow-up to answer
        choice = best if i < 4 else worst
        store.record_decision("WS-8001", "final", attempt, scenario.id, choice.id, choice.score)

    page = browser.new_page()
    page.set_default_timeout(TIMEOUT)
    address = f"{server['base']}/voila/render/module.ipynb?module=final&token={token}"
    page.goto(address, wait_until="domcontentloaded")
    try:
        page.get_by_role("heading", name="Your result").wait_for(timeout=60_000)
    except Exception:  # noqa: BLE001 - nbclient's 4 s IOPub wait can drop a first render on a loaded machine
        page.goto(address, wait_until="domcontentloaded")  # what a learner does: reload
        page.get_by_role("heading", name="Your result").wait_for()
    page.get_by_role("button", name="Finish").wait_for()
    assert "Review of every answer" not in page.content() and "The best answer" not in page.content()
    again = page.locator("button", has_text="Start the module again")
    assert again.count() == 1 and not again.is_visible()  # in the page, hidden
    force_click(page, "Start the module again")
    expect(page.get_by_role("alert")).to_contain_text("still open", timeout=TIMEOUT)
    assert store.current_attempt("WS-8001", "final", course.policy.version) == attempt
    assert store.finished_at("WS-8001", "final", attempt) is None

    # signed out in another tab: this tab's reflection is not saved
    signin_tokens.revoke(store, token)
    box = page.get_by_role("textbox", name="Your reflection")
    box.fill("Written after signing out.")
    box.press("Tab")  # leaving the box sends its text to the kernel, which tries to save it
    page.get_by_role("button", name="Save my reflection").click()
    expect(page.locator(".cm-reflection")).to_contain_text("You are signed out", timeout=TIMEOUT)
    assert store.reflections("WS-8001", "final", attempt) == {}
    assert "Traceback" not in page.content()
    page.close()
