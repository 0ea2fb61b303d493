"""Where to get help, as a learner meets it: `course serve` (a real Voila on 127.0.0.1) and a real
headless Chromium. From a module page and from the home, the keyboard reaches the help page;
it names the public bodies and the employer's contacts, and axe finds nothing serious at
375 px and 1280 px. A module's overview shows Start within one phone screen (375 x 740).

No marking (--no-grading) and one ready kernel a page: the machine is small and shared.
Screenshots go to test-artifacts/ (git-ignored).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from course.content.help import load_help
from course.content.model import load_course
from course.records.store import Store

from .support.gate import pass_prerequisites
from .support.servers import ARTIFACTS, AXE, CHROMIUM, axe_violations, course_server, signed_in, tab_to

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not os.path.exists(CHROMIUM), reason="Debian chromium is not installed (scripts/test.sh installs it)"
    ),
    pytest.mark.skipif(not AXE.exists(), reason="axe-core is not installed (scripts/test.sh runs npm ci in tests/js)"),
]

TIMEOUT = 180_000  # ms: a kernel may take a while to start on a busy 2-core machine
PHONE = {"width": 375, "height": 740}
BODIES = ("SSSC", "Care Inspectorate", "ICO", "Protect", "Samaritans", "Breathing Space", "NHS 24")
HELP_LINK = "el.tagName === 'A' && el.textContent.trim() === 'Where to get help'"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    base = tmp_path_factory.mktemp("help")
    log = base / "voila.log"
    env = {"COURSE_DATA_DIR": str(base / "var"), "COURSE_DB_URL": ""}
    with course_server(env, log, "--pool-size=1", "--join-pool-size=1", "--no-grading") as url:
        yield {"base": url, "db": f"sqlite:///{base / 'var' / 'records.db'}", "log": log}


@pytest.fixture
def store(server):
    return Store(server["db"])


def open_page(browser, url: str, viewport: dict):
    page = browser.new_page(viewport=viewport)
    page.set_default_timeout(TIMEOUT)
    page.goto(url, wait_until="domcontentloaded")
    return page


def shot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def check_help_page(page, width: int) -> None:
    """The help page is open: every body, every employer contact, nothing serious for axe, no sideways scroll."""
    page.get_by_role("heading", name="Where to get help", level=1).wait_for()
    text = page.inner_text("main")
    for body in BODIES:
        assert body in text, body
    help_page = load_help(Path(load_course().policy.path).parent)
    for who in help_page.employer.values():
        assert who.title in text and who.how in text, who.key
    for number in ("999", "111", "116 123", "0800 83 85 87"):
        assert page.locator(f'a[href="tel:{number.replace(" ", "")}"]').count() == 1, number
    assert page.get_by_role("link", name="SSSC website").get_attribute("href") == "https://www.sssc.uk.com"
    assert page.evaluate("document.documentElement.scrollWidth") <= width  # no sideways scrolling
    assert axe_violations(page) == []


@pytest.mark.parametrize("viewport", [PHONE, {"width": 1280, "height": 800}], ids=["375", "1280"])
def test_from_a_module_the_keyboard_reaches_help_and_back(server, browser, store, viewport):
    width = viewport["width"]
    module = load_course().module("safety")
    token = signed_in(store, f"HP-{width}", "Hana Price")
    page = open_page(browser, f"{server['base']}/voila/render/module.ipynb?module=safety&token={token}", viewport)
    page.get_by_role("heading", name=module.title, level=1).wait_for()
    page.get_by_role("button", name="Start").wait_for()
    tab_to(page, "the help link in the module header", HELP_LINK)
    page.keyboard.press("Enter")
    check_help_page(page, width)
    shot(page, f"help-{width}")
    # the way back keeps the learner signed in, on the module they came from
    tab_to(page, "the way back to the module", f"el.tagName === 'A' && el.textContent.includes({module.title!r})")
    page.keyboard.press("Enter")
    page.get_by_role("heading", name=module.title, level=1).wait_for()
    page.get_by_text("Signed in as Hana Price").wait_for()
    page.close()


def test_from_the_signed_out_home_the_keyboard_reaches_help(server, browser):
    page = open_page(browser, server["base"] + "/", PHONE)
    page.get_by_role("textbox", name="Your name").wait_for()
    tab_to(page, "the help link on the home", HELP_LINK)
    page.keyboard.press("Enter")
    check_help_page(page, PHONE["width"])
    assert "token=" not in page.url
    page.close()


def test_the_overview_shows_start_within_one_phone_screen(server, browser, store):
    course = load_course()
    token = signed_in(store, "OV-375", "Ola Varga")
    pass_prerequisites(store, course, "OV-375")  # the final opens once the others are passed
    for module in course.modules.values():
        page = open_page(browser, f"{server['base']}/voila/render/module.ipynb?module={module.id}&token={token}", PHONE)
        start = page.get_by_role("button", name="Start")
        start.wait_for()
        shot(page, f"overview-{module.id}-375")
        box = start.bounding_box()
        assert box is not None and box["y"] + box["height"] <= PHONE["height"], (module.id, box)
        assert page.get_by_text(module.overview).is_visible()
        more = page.locator("details.cm-more")
        assert not more.evaluate("d => d.open") and not page.get_by_text(module.objectives[0]).is_visible()
        if module.id == "safety":
            assert axe_violations(page) == []
            # "More about this module" opens from the keyboard and shows the rest
            tab_to(page, "More about this module", "el.tagName === 'SUMMARY'")
            page.keyboard.press("Enter")
            page.get_by_text(module.objectives[0]).wait_for()
            assert page.get_by_text(module.key_points[0]).is_visible()
            assert axe_violations(page) == []
        page.close()
