"""The review of a marked attempt as a learner reads it (issue 17): a real `course serve` (Voila and
the marker, nbgrader, beside it) and a real headless Chromium. The learner finishes a module with
the mouse, waits for the mark of record, and reads the review on a phone, a desktop or projector
and a large projector: no code, no frame, no sideways scrolling, axe clean, and the choices it
shows are the ones clicked.

Screenshots: test-artifacts/screens/review-<screen>.png.
"""

from __future__ import annotations

import os
import re
import time

import pytest

from course.assessment.layout import attempt_key, shown_scenario
from course.content.model import load_course
from course.grading.release import release
from course.records.store import Store

from .support.grading_helpers import copy_course_root
from .support.screens import VIEWPORTS, code_on_page, keep_screenshot
from .support.servers import AXE, CHROMIUM, axe_violations, course_server, signed_in

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.timeout(1500),  # a whole module, nbgrader's marking and four screens on a busy machine
    pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="Debian chromium is not installed"),
    pytest.mark.skipif(not AXE.exists(), reason="axe-core is not installed (npm ci in tests/js)"),
]

PAGE_TIMEOUT = 300_000  # generous: small, busy machines start kernels slowly
MODULE = "why"
LEARNER = "RV-7001"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    data = tmp_path_factory.mktemp("review")
    grading = copy_course_root(data)  # the marker (run by `course serve`) grades into it
    # released here, without the server's start-up time limit (a busy machine takes minutes):
    # `course serve` then finds nothing to release (course.server.supervisor.prepare_grading)
    assert all(r.generated for r in release(grading, to_exchange=False))
    env = {
        "COURSE_DATA_DIR": str(data / "var"),
        "COURSE_DB_URL": "",
        "COURSE_LEARNER": "server-os-user",
        "COURSE_GRADING_DIR": str(grading),
        "NBGRADER_EXCHANGE": str(data / "exchange"),
    }
    # ready once the server answers a page without a kernel: the module page then waits its own time
    with course_server(env, data / "voila.log", "--pool-size=1", ready="/verify") as base:
        yield {"base": base, "db": f"sqlite:///{data / 'var' / 'records.db'}"}


def wait_enabled(page, name: str) -> None:
    page.wait_for_function(f"""() => [...document.querySelectorAll('button')].some(
        b => b.textContent.trim() === {name!r} && !b.disabled && b.offsetParent !== null)""")


def finish_the_module(page, module) -> dict[str, str]:
    """Answer every scenario with the mouse, a different place on screen each time, and Finish;
    returns scenario id -> the choice id clicked (the attempt's order: course.assessment.layout)."""
    page.get_by_role("button", name="Start").click()
    chosen: dict[str, str] = {}
    for _ in range(len(module.scenarios) + 1):
        page.wait_for_function(
            "seen => { const el = document.querySelector('.cm-card__title'); "
            "return !!el && !seen.includes(el.textContent.trim()); }",
            arg=[module.scenario(s).title for s in chosen],
        )
        title = page.locator(".cm-card__title").first.text_content().strip()
        scenario = next(s for s in module.scenarios if s.title == title)
        shown = shown_scenario(scenario, attempt_key(LEARNER, MODULE, 1))
        choice = shown.choices[len(chosen) % len(shown.choices)]
        page.get_by_role("radio", name=choice.text).check()
        wait_enabled(page, "Check my answer")
        page.get_by_role("button", name="Check my answer").click()
        page.locator(".cm-feedback").wait_for()
        chosen[scenario.id] = choice.id
        label = "See your result" if page.get_by_role("button", name="See your result").is_visible() else "Next"
        wait_enabled(page, label)
        page.get_by_role("button", name=label).click()
        if label == "See your result":
            break
    page.get_by_role("heading", name="Your result").wait_for()
    wait_enabled(page, "Finish")
    page.get_by_role("button", name="Finish").click()
    page.get_by_text("Your result is saved.").wait_for()
    return chosen


def wait_for_the_review(page) -> None:
    from playwright.sync_api import TimeoutError as PageTimeout

    deadline = time.monotonic() + 480  # waiting for the marker's outcome, not timing it
    while not page.locator(".cm-review").is_visible() and time.monotonic() < deadline:
        if page.get_by_text("could not be marked automatically").is_visible():
            pytest.fail("the marker could not mark the attempt (see the server's log)")
        page.wait_for_timeout(5000)  # the page may say the mark is on its way: coming back shows it
        page.reload(wait_until="domcontentloaded")
        try:
            page.get_by_role("heading", name="Your result").wait_for(timeout=120_000)
        except PageTimeout:
            continue  # a busy machine's kernel did not draw the page in time: come back again
        page.wait_for_timeout(1500)
    page.locator(".cm-review").wait_for(timeout=5_000)


def test_the_review_of_a_marked_attempt_on_every_screen(server, browser):
    course = load_course()
    module = course.module(MODULE)
    store = Store(server["db"])
    token = signed_in(store, LEARNER, "Shona Bell")
    page = browser.new_page(viewport=VIEWPORTS["desktop"])
    page.set_default_timeout(PAGE_TIMEOUT)
    page.goto(f"{server['base']}/voila/render/module.ipynb?module={MODULE}&token={token}")
    chosen = finish_the_module(page, module)
    wait_for_the_review(page)
    page.get_by_text("Mark of record").wait_for()

    # what the review says each scenario was answered with: its title, the letter and text shown
    items = page.evaluate("""() => [...document.querySelectorAll('.cm-review__item')].map(li => ({
        title: li.querySelector('h4').textContent.trim(),
        yours: li.querySelector('dt + dd').textContent.trim(),
        mark: li.querySelector('.cm-review__mark').textContent.trim()}))""")
    graded = [sid for sid in chosen if module.scenario(sid).graded]  # in the order they were seen
    assert [i["title"] for i in items] == [module.scenario(sid).title for sid in graded]
    for sid, item in zip(graded, items, strict=True):
        shown = shown_scenario(module.scenario(sid), attempt_key(LEARNER, MODULE, 1))
        choice = shown.choice(chosen[sid])
        letter = "ABCD"[[c.id for c in shown.choices].index(choice.id)]
        assert item["yours"] == f"{letter}. {choice.text}", item
        assert re.search(rf"Mark: {choice.score:g} out of 1", item["mark"]), item  # nbgrader's, as clicked

    # nbgrader's own page is gone from the learner's view: no frame, no code
    assert page.locator("iframe").count() == 0
    for name, size in VIEWPORTS.items():
        page.set_viewport_size(size)
        page.locator(".cm-review").scroll_into_view_if_needed()
        page.wait_for_timeout(300)
        keep_screenshot(page, f"review-{name}")
        assert code_on_page(page) == [], name
        sideways = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert sideways <= 0, f"{name}: {sideways}px of horizontal scroll"
        inner = page.evaluate("""() => [...document.querySelectorAll('.cm-review, .cm-review *')].filter(el => {
            const s = getComputedStyle(el);
            return /(auto|scroll)/.test(s.overflowY + s.overflowX) &&
                   (el.scrollHeight > el.clientHeight + 1 || el.scrollWidth > el.clientWidth + 1); }).length""")
        assert inner == 0, f"{name}: a scrolling box inside the review"
        beside = page.evaluate("""() => [...document.querySelectorAll('.cm-review dt')].filter(dt => {
            const dd = dt.nextElementSibling;
            return dd && dd.getBoundingClientRect().top < dt.getBoundingClientRect().bottom - 1; }).length""")
        assert beside == 0, f"{name}: a label beside its text, not above it"
        assert axe_violations(page) == [], name
    page.close()
