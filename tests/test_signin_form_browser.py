"""A learner's first screens in a real browser (`course serve` on 127.0.0.1, headless Chromium) at
375x740, 1280x800 and 1920x1080 (tests/support/screens.py): Enter submits the sign-in form from
any field, a wrong staff number shows its own words tied to its field (aria-describedby), a
module's Start is in the first screen, a wrong answer's feedback names the best choice, and the
final assessment opened by its address says "not yet". axe finds nothing serious or critical on
any of them; no page shows code; screenshots are kept in test-artifacts/screens/.

No marking (--no-grading) and one ready kernel a page: the machine is small and shared.
"""

from __future__ import annotations

import os
import re

import pytest

from course.content.model import load_course
from course.records.identity import STAFF_NUMBER_FIELD
from course.records.store import Store

from .support.screens import VIEWPORTS, above_the_fold, code_on_page, keep_screenshot
from .support.servers import AXE, CHROMIUM, axe_violations, course_server, signed_in

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="Debian chromium is not installed"),
    pytest.mark.skipif(not AXE.exists(), reason="axe-core is not installed (npm ci in tests/js)"),
]

TIMEOUT = 180_000  # ms: a kernel may take a while to start on a busy 2-core machine
SCREENS = list(VIEWPORTS.items())
IDS = [name for name, _ in SCREENS]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    base = tmp_path_factory.mktemp("learner")
    env = {"COURSE_DATA_DIR": str(base / "var"), "COURSE_DB_URL": ""}
    with course_server(env, base / "voila.log", "--pool-size=1", "--join-pool-size=1", "--no-grading") as url:
        yield {"base": url, "db": f"sqlite:///{base / 'var' / 'records.db'}"}


@pytest.fixture
def store(server):
    return Store(server["db"])


def open_page(browser, url: str, viewport: dict):
    page = browser.new_page(viewport=viewport)
    page.set_default_timeout(TIMEOUT)
    page.goto(url, wait_until="domcontentloaded")
    return page


def clean(page, name: str) -> None:
    keep_screenshot(page, name)
    assert axe_violations(page) == [], name
    assert code_on_page(page) == [], name


@pytest.mark.parametrize(("screen", "viewport"), SCREENS, ids=IDS)
def test_sign_in_with_enter_and_a_wrong_staff_number_tied_to_its_field(server, browser, screen, viewport):
    page = open_page(browser, server["base"] + "/", viewport)
    name = page.get_by_role("textbox", name="Your name")
    number = page.get_by_role("textbox", name="Staff number")
    name.fill("Sam Taylor")
    number.fill("7")
    number.press("Enter")  # no click: Enter in the field submits
    error = page.locator(f"#cm-error-{STAFF_NUMBER_FIELD}")
    error.wait_for()
    assert "at least 2 characters long" in error.inner_text() and "only letters" not in error.inner_text()
    page.wait_for_function(
        f"() => document.querySelector('.cm-field--{STAFF_NUMBER_FIELD} input')"
        f".getAttribute('aria-describedby') === 'cm-error-{STAFF_NUMBER_FIELD}'"
    )
    assert number.get_attribute("aria-invalid") == "true"
    assert number.get_attribute("enterkeyhint") == "go"  # a phone keyboard shows Go
    assert page.get_by_role("alert").first.is_visible()
    # the field's error sits beside it: below the field, above the button
    field_box, error_box = number.bounding_box(), error.bounding_box()
    button_box = page.get_by_role("button", name="Sign in").bounding_box()
    assert field_box and error_box and button_box
    assert field_box["y"] < error_box["y"] < button_box["y"]
    clean(page, f"signin-error-{screen}")
    # put right, and Enter from the other field signs in
    number.fill(f"40{viewport['width']}")
    name.press("Enter")
    page.get_by_role("heading", name="Hello, Sam Taylor").wait_for()
    assert number.count() == 0
    page.close()


@pytest.mark.parametrize(("screen", "viewport"), SCREENS, ids=IDS)
def test_the_overview_shows_start_and_a_wrong_answer_names_the_best(server, browser, store, screen, viewport):
    course = load_course()
    module = course.modules["why"]
    token = signed_in(store, f"OV-{viewport['width']}", "Ola Varga")
    page = open_page(browser, f"{server['base']}/voila/render/module.ipynb?module=why&token={token}", viewport)
    start = page.get_by_role("button", name="Start")
    start.wait_for()
    height = page.evaluate("document.documentElement.scrollHeight")
    print(f"overview {screen}: page {height} px, Start at {start.bounding_box()}")
    assert above_the_fold(page, ".cm-nav button.mod-primary"), screen
    box = start.bounding_box()
    assert box is not None and box["y"] + box["height"] <= viewport["height"], (screen, box)
    clean(page, f"overview-why-{screen}")
    start.click()
    title = page.locator(".cm-card__title").first
    title.wait_for()
    scenario = next(s for s in module.graded_scenarios if s.title == title.inner_text().strip())
    wrong = min(scenario.choices, key=lambda c: c.score)
    top = max(scenario.choices, key=lambda c: c.score)
    page.get_by_role("radio", name=re.compile(re.escape(wrong.text))).check()
    page.get_by_role("button", name="Check my answer").click()
    best = page.locator(".cm-feedback__best")
    best.wait_for()
    text = best.inner_text()
    assert "The best choice was" in text and top.text in text and "Why:" in text
    for pid in top.cites:
        assert course.policy.points[pid].plain in text
    clean(page, f"feedback-wrong-{screen}")
    page.close()


@pytest.mark.parametrize(("screen", "viewport"), SCREENS, ids=IDS)
def test_the_final_by_its_address_says_not_yet(server, browser, store, screen, viewport):
    token = signed_in(store, f"FG-{viewport['width']}", "Fay Grant")
    page = open_page(browser, f"{server['base']}/voila/render/module.ipynb?module=final&token={token}", viewport)
    page.get_by_role("heading", name="Not open yet").wait_for()
    assert "It opens once you have passed" in page.inner_text("main")
    assert page.get_by_role("button", name="Start").count() == 0
    assert above_the_fold(page, ".cm-not-yet a.cm-button")
    assert page.title().startswith("Not open yet")
    clean(page, f"final-not-yet-{screen}")
    page.close()
    # and the home says so, without a link to it
    page = open_page(browser, f"{server['base']}/voila/render/home.ipynb?token={token}", viewport)
    page.get_by_role("heading", name="Hello, Fay Grant").wait_for()
    final = page.locator(".cm-module--locked")
    assert "Not open yet" in final.inner_text() and final.get_by_role("link").count() == 0
    clean(page, f"home-final-locked-{screen}")
    page.close()
