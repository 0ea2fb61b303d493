"""The light join page (issue 19) in real headless Chromium on a 375 x 740 phone, beside the real
trainer page (a Voila kernel) on a wide screen: follow the trainer's link, join, see the scenario
the trainer shows with every choice and the vote button on the first screen, vote by keyboard, the
trainer's tally shows it, the answer arrives; axe finds nothing serious. A phone with JavaScript
off joins and votes through the plain forms.
"""

from __future__ import annotations

import os

import pytest

from course.live import core
from course.records.store import Store

from .support.servers import ARTIFACTS, CHROMIUM, axe_violations, course_server
from .test_live_browser import LIVE, open_page, shown_or_reload, small_targets, tab_to, tally_row, trainer_url

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="Debian chromium is not installed"),
]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    base = tmp_path_factory.mktemp("light-join-browser")
    env = {"COURSE_DATA_DIR": str(base / "var"), "COURSE_DB_URL": ""}
    with course_server(env, base / "voila.log", "--pool-size=1", "--cull-idle=600", "--no-grading") as url:
        yield {"base": url, "db": f"sqlite:///{base / 'var' / 'records.db'}", "log": base / "voila.log"}


def shot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"))


def no_serious_axe(page) -> None:
    violations = axe_violations(page)
    assert violations == [], violations


def test_a_phone_joins_from_the_trainers_link_votes_by_keyboard_and_the_tally_shows_it(server, browser):
    from playwright.sync_api import expect

    trainer = open_page(browser, trainer_url(server), 1366)
    shown_or_reload(trainer, "Run a group session")
    trainer.get_by_role("button", name="Start the session").click()
    trainer.locator(".cm-live-join__code").wait_for()
    code = trainer.locator('.cm-live-join__code [aria-hidden="true"]').inner_text().replace(" ", "")
    link = trainer.locator(".cm-live-join__address a").get_attribute("href")
    assert link == f"{server['base']}/join?code={code}"  # the QR code's address: the light page

    phone = open_page(browser, link, 375, 740)
    phone.get_by_role("heading", name="Join the group session").wait_for()
    no_serious_axe(phone)
    phone.get_by_role("textbox", name="Your name (optional)").fill("Sam Taylor")
    phone.get_by_role("button", name="Join", exact=True).click()
    phone.get_by_role("heading", name="You are in").wait_for()

    trainer.get_by_role("button", name="Show the first scenario").click()
    title = trainer.locator(".cm-card__title").first
    title.wait_for()
    expect(phone.locator(".cm-card__title")).to_have_text(title.inner_text().strip(), timeout=LIVE)
    assert phone.evaluate("document.activeElement.classList.contains('cm-card__title')")  # focus follows
    # phone first: every choice and the vote button on the first screen, nothing sideways
    phone.evaluate("window.scrollTo(0, 0)")
    bottom = phone.evaluate("document.querySelector('.cm-live-ballot button').getBoundingClientRect().bottom")
    assert bottom <= 740, f"the vote button ends at {bottom}px, below the first screen"
    assert phone.evaluate("document.documentElement.scrollWidth") <= 375
    assert small_targets(phone) == []
    no_serious_axe(phone)
    shot(phone, "light-join-ballot-375")

    # by keyboard: the first choice, arrow to B, Tab to the button, Enter
    phone.get_by_role("radio").nth(0).focus()
    phone.keyboard.press("Space")
    phone.keyboard.press("ArrowDown")
    expect(phone.get_by_role("radio").nth(1)).to_be_checked()
    tab_to(phone, "Send my vote")
    phone.keyboard.press("Enter")
    expect(phone.locator(".cm-live-voted")).to_contain_text("Your vote is in: B", timeout=LIVE)
    expect(trainer.locator(".cm-tally__total")).to_have_text("1 vote so far.", timeout=LIVE)
    expect(tally_row(trainer, "B").locator(".cm-tally__count")).to_have_text("1 vote (100%)", timeout=LIVE)

    # a new pick is not sent until the button is pressed again
    phone.get_by_role("radio").nth(0).check()
    expect(phone.locator("[data-cm-vote-status]")).to_contain_text("You have picked A")
    expect(tally_row(trainer, "B").locator(".cm-tally__count")).to_have_text("1 vote (100%)")

    trainer.get_by_role("button", name="Show the answer").click()
    expect(phone.get_by_role("heading", name="The answer")).to_be_visible(timeout=LIVE)
    expect(phone.locator(".cm-feedback")).to_contain_text("You chose:", timeout=LIVE)
    no_serious_axe(phone)
    assert "Traceback" not in phone.content()
    phone.close()
    trainer.close()


def test_a_phone_without_javascript_joins_and_votes_through_the_forms(server, browser):
    from course.content.model import load_course
    from course.live import summary

    store = Store(server["db"])
    course = load_course()
    opened = summary.start_session(store, course, module_id="why")
    session = core.show(store, opened.session.id, opened.trainer_key, 0)
    scenario = summary.room_scenario(course, session.id, session.scenario_id)
    context = browser.new_context(java_script_enabled=False, viewport={"width": 375, "height": 740})
    phone = context.new_page()
    phone.goto(f"{server['base']}/join")
    phone.get_by_role("textbox", name="Session code").fill(opened.session.display_code.lower())
    phone.get_by_role("button", name="Join", exact=True).click()
    phone.get_by_role("heading", name=scenario.title).wait_for()
    phone.get_by_role("radio").nth(2).check()
    phone.get_by_role("button", name="Send my vote").click()
    phone.get_by_text("Your vote is in:").wait_for()
    assert core.tally(store, session.id, scenario.id) == {scenario.choices[2].id: 1}
    assert phone.get_by_role("link", name="See what the trainer is showing now").count() == 1
    context.close()
