"""A group session as a room has it: a real `course serve` (Voila on 127.0.0.1)
serving the trainer and join notebooks, and three real headless Chromium pages: the trainer on a
wide screen and two learners on phones. Join (by the QR address and by typing the code), vote,
change a vote (by keyboard), the live tally on the trainer's screen, the reveal on the learners'
phones, the end, the summary and its CSV.

Every wait is on a condition (playwright's expect / wait_for) with generous timeouts: the
machine is small and shared. Screenshots go to test-artifacts/ (git-ignored).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from sqlalchemy import select

from course.live import core
from course.records.store import Store
from course.records.tables import live_attendance, live_votes

from .support.servers import ARTIFACTS, AXE, CHROMIUM, axe_violations, course_server

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.skipif(
        not os.path.exists(CHROMIUM), reason="Debian chromium is not installed (scripts/test.sh installs it)"
    ),
]

TIMEOUT = 90_000  # ms: a kernel may take a while to start on a busy 2-core machine
LIVE = 20_000  # ms: a vote or a reveal shows within a second; allow for a loaded machine


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """`course serve` as a trainer starts it (no marking: a group session grades nothing)."""
    base = tmp_path_factory.mktemp("live")
    log = base / "voila.log"
    env = {"COURSE_DATA_DIR": str(base / "var"), "COURSE_DB_URL": ""}
    with course_server(env, log, "--pool-size=1", "--cull-idle=600", "--no-grading") as url:
        yield {"base": url, "db": f"sqlite:///{base / 'var' / 'records.db'}", "log": log}


def trainer_url(server) -> str:
    """The trainer page as a granted trainer opens it: signed in (course roster grant-trainer)."""
    from course.records import trainers

    from .support.servers import signed_in

    store = Store(server["db"])
    token = signed_in(store, "T-0001", "Tess Trainer")
    trainers.grant(store, "T-0001")
    return f"{server['base']}/voila/render/trainer.ipynb?token={token}"


def open_page(browser, url: str, width: int, height: int = 900):
    page = browser.new_page(viewport={"width": width, "height": height})
    page.set_default_timeout(TIMEOUT)
    page.goto(url, wait_until="domcontentloaded")
    return page


def shown_or_reload(page, heading: str) -> None:
    """Wait for the page's heading; reload once if it never comes (nbclient waits only 4 s for a
    cell's output, and a loaded machine can miss that, leaving the first render empty)."""
    try:
        page.get_by_role("heading", name=heading).wait_for(timeout=45_000)
    except Exception:  # noqa: BLE001 - the reload below waits with the full timeout
        page.reload(wait_until="domcontentloaded")
        page.get_by_role("heading", name=heading).wait_for()


def shot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def tally_row(page, letter: str):
    return page.locator(".cm-tally__row").filter(has=page.locator(".cm-tally__letter", has_text=f"{letter}."))


def tab_to(page, label: str, limit: int = 12) -> None:
    """Press Tab until the enabled button `label` has the focus."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if (
            page.evaluate(f"""(() => {{ const el = document.activeElement;
                return !!el && el.tagName === 'BUTTON' && !el.disabled && el.textContent.trim() === {label!r}; }})()""")
        ):
            return
    raise AssertionError(f"Tab never reached {label}")


def no_traceback(*pages) -> None:
    for page in pages:
        assert "Traceback" not in page.content()


def small_targets(page) -> list[str]:
    """Buttons, radio choices and links on the page smaller than 44 px tall."""
    return page.evaluate("""() => [...document.querySelectorAll(
            'button, .widget-radio-box label, .cm-main a, .cm-live-check label, details > summary')]
        .filter(el => el.offsetParent !== null)
        .map(el => [el.textContent.trim().slice(0, 40), el.getBoundingClientRect().height])
        .filter(([_, h]) => h < 44).map(([t, h]) => `${t} (${h}px)`)""")


def test_the_trainer_page_without_a_credential_starts_nothing(server, browser):
    """Issue 15: the trainer page opened with no trainer's sign-in is a plain refusal. First in
    this file: the trainer page keeps one ready kernel, which the next test then needs warm."""
    import time

    refused = open_page(browser, f"{server['base']}/voila/render/trainer.ipynb", 1366)
    shown_or_reload(refused, "Only trainers can start a session")
    assert refused.get_by_role("button", name="Start the session").count() == 0
    no_traceback(refused)
    refused.close()
    time.sleep(45)  # let the pool's next trainer kernel finish warming up on a busy machine


def test_trainer_and_two_learners_join_vote_change_see_the_tally_and_the_reveal(server, browser):
    from playwright.sync_api import expect

    base = server["base"]
    trainer = open_page(browser, trainer_url(server), 1366)
    shown_or_reload(trainer, "Run a group session")
    trainer.get_by_role("button", name="Start the session").click()
    code_box = trainer.locator(".cm-live-join__code")
    code_box.wait_for()
    code = code_box.locator('[aria-hidden="true"]').inner_text().replace(" ", "")
    assert core.valid_code(code)
    link = trainer.locator(".cm-live-join__address a")
    join_url = link.get_attribute("href")
    # the room's address is the light join page (tests/test_join_light_browser.py); this test keeps
    # the kernel join page, which signed-in learners still use, at its own address
    assert join_url == f"{base}/join?code={code}"
    qr_alt = trainer.locator("img.cm-live-join__qr").get_attribute("alt")
    assert "QR code" in qr_alt and join_url in qr_alt
    shot(trainer, "live-trainer-lobby-1366")

    # learner 1 opens the kernel join page with the code; learner 2 types the code on it
    sam = open_page(browser, f"{base}/voila/render/join.ipynb?code={code}", 375, 740)
    sam.get_by_role("heading", name="Join the group session").wait_for()
    sam.get_by_role("textbox", name="Your name (optional)").fill("Sam Taylor")
    sam.get_by_role("button", name="Join", exact=True).click()
    sam.get_by_role("heading", name="You are in").wait_for()
    assert "voter=" in sam.url  # a reload carries on with the same (anonymous) voter
    anon = open_page(browser, f"{base}/voila/render/join.ipynb", 375, 740)
    anon.get_by_role("textbox", name="Session code").fill(code.lower()[:3] + " " + code.lower()[3:])
    anon.get_by_role("button", name="Join", exact=True).click()
    anon.get_by_role("heading", name="You are in").wait_for()
    shot(anon, "live-join-waiting-375")

    # the trainer shows the first scenario: both phones follow by themselves
    trainer.get_by_role("button", name="Show the first scenario").click()
    title = trainer.locator(".cm-card__title").first
    title.wait_for()
    scenario_title = title.inner_text().strip()
    for learner in (sam, anon):
        expect(learner.locator(".cm-card__title")).to_have_text(scenario_title, timeout=LIVE)
    expect(trainer.locator(".cm-tally__total")).to_have_text("0 votes so far.", timeout=LIVE)

    # vote: A and B; the trainer sees 1 and 1 arrive
    sam.get_by_role("radio").nth(0).check()
    sam.get_by_role("button", name="Send my vote").click()
    expect(sam.locator(".cm-live-voted")).to_contain_text("Your vote is in: A", timeout=LIVE)
    anon.get_by_role("radio").nth(1).check()
    anon.get_by_role("button", name="Send my vote").click()
    expect(anon.locator(".cm-live-voted")).to_contain_text("Your vote is in: B", timeout=LIVE)
    expect(trainer.locator(".cm-tally__total")).to_have_text("2 votes so far.", timeout=LIVE)
    expect(tally_row(trainer, "A").locator(".cm-tally__count")).to_have_text("1 vote (50%)", timeout=LIVE)
    expect(tally_row(trainer, "B").locator(".cm-tally__count")).to_have_text("1 vote (50%)", timeout=LIVE)
    shot(trainer, "live-trainer-tally-1366")
    shot(sam, "live-join-voted-375")

    # learner 2 changes the vote to A with the keyboard alone; the trainer's tally follows
    anon.get_by_role("radio").nth(1).focus()
    anon.keyboard.press("ArrowUp")
    expect(anon.get_by_role("radio").nth(0)).to_be_checked(timeout=LIVE)
    expect(anon.locator(".cm-status").last).to_contain_text("You have picked A", timeout=LIVE)
    tab_to(anon, "Change my vote")
    anon.keyboard.press("Enter")
    expect(anon.locator(".cm-live-voted")).to_contain_text("Your vote is in: A", timeout=LIVE)
    expect(tally_row(trainer, "A").locator(".cm-tally__count")).to_have_text("2 votes (100%)", timeout=LIVE)
    expect(tally_row(trainer, "B").locator(".cm-tally__count")).to_have_text("0 votes (0%)", timeout=LIVE)
    expect(trainer.locator(".cm-tally__total")).to_have_text("2 votes so far.", timeout=LIVE)

    # phones: 375 px wide without sideways scrolling, 44 px targets
    for learner in (sam, anon):
        assert learner.evaluate("document.documentElement.scrollWidth") <= 375
        assert small_targets(learner) == []

    # the reveal: both phones show the answer and how the room voted; voting is closed
    trainer.get_by_role("button", name="Show the answer").click()
    expect(trainer.locator(".cm-live-reveal")).to_contain_text("Best answer", timeout=LIVE)
    expect(trainer.locator(".cm-live-notes")).to_contain_text("Talk about it", timeout=LIVE)
    for learner in (sam, anon):
        expect(learner.get_by_role("heading", name="The answer")).to_be_visible(timeout=LIVE)
        expect(learner.locator(".cm-feedback")).to_contain_text("You chose:", timeout=LIVE)
        expect(learner.locator(".cm-tally__total")).to_have_text("2 votes in all.", timeout=LIVE)
        expect(learner.get_by_role("button", name="Change my vote")).to_have_count(0)
    shot(trainer, "live-trainer-reveal-1366")
    shot(sam, "live-join-reveal-375")

    store = Store(server["db"])
    session = core.find_session(store, code)
    scenario_id = session.scenario_id
    from course.assessment import layout
    from course.content.model import load_course

    shown_a = layout.choice_order(load_course().scenario(scenario_id), layout.session_key(session.id))[0]
    assert core.tally(store, session.id, scenario_id) == {shown_a: 2}  # the letter A the room saw, by its id
    stray = core.join(store, code)
    with pytest.raises(core.VoteRefused):
        core.cast_vote(store, session.id, stray.voter_token, scenario_id, "b")
    from course.assessment import layout
    from course.content.model import load_course

    shown_a = layout.choice_order(load_course().scenario(scenario_id), layout.session_key(session.id))[0]
    assert core.tally(store, session.id, scenario_id) == {shown_a: 2}  # the letter A the room saw, by its id
    # no one can see who voted for what: the votes hold hashes only, attendance holds no voter
    assert [r.name for r in store._read(select(live_attendance))] == ["Sam Taylor"]
    assert all(len(r.voter_hash) == 64 and "Sam" not in str(tuple(r)) for r in store._read(select(live_votes)))
    log = server["log"].read_text()
    assert "voter=" not in log and "token=" not in log  # the server log has paths, not page addresses

    if AXE.exists():
        assert axe_violations(trainer) == []
        assert axe_violations(sam) == []

    # the next scenario reaches the phones; then the trainer ends the session
    trainer.get_by_role("button", name="Next scenario").click()
    expect(trainer.locator(".cm-live-progress")).to_contain_text("Scenario 2 of", timeout=LIVE)
    second = trainer.locator(".cm-card__title").first.inner_text().strip()
    for learner in (sam, anon):
        expect(learner.locator(".cm-card__title")).to_have_text(second, timeout=LIVE)
    trainer.get_by_role("button", name="End the session").click()
    trainer.get_by_role("button", name="Yes, end the session").click()
    trainer.get_by_role("heading", name="Session summary: Why it matters").wait_for()
    expect(trainer.locator(".cm-live-summary")).to_contain_text("Sam Taylor")
    with trainer.expect_download() as download:
        trainer.get_by_role("link", name="Download the results (CSV)").click()
    saved = Path(download.value.path()).read_text(encoding="utf-8")
    assert saved.startswith("session_code,") and scenario_id in saved and "Sam" not in saved
    for learner in (sam, anon):
        expect(learner.get_by_role("heading", name="The session has ended")).to_be_visible(timeout=LIVE)
    shot(trainer, "live-trainer-summary-1366")
    no_traceback(trainer, sam, anon)
    assert "[course-page ERROR" not in server["log"].read_text()  # no kernel hid a failure behind a kind message
    for page in (trainer, sam, anon):
        page.close()


def test_a_second_trainer_cannot_take_over_without_the_key(server, browser):
    from playwright.sync_api import expect

    store = Store(server["db"])
    from course.content.model import load_course
    from course.live.summary import start_session

    opened = start_session(store, load_course(), module_id="sharing")
    other = open_page(browser, trainer_url(server), 1280)
    shown_or_reload(other, "Carry on a session")
    other.get_by_role("textbox", name="Session code").fill(opened.session.code)
    other.get_by_label("Trainer key").fill("a-guess-at-the-key")
    other.get_by_role("button", name="Carry on").click()
    expect(other.get_by_role("alert")).to_contain_text("does not match", timeout=LIVE)
    assert core.get_session(store, opened.session.id).version == opened.session.version
    other.get_by_label("Trainer key").fill(opened.trainer_key)
    other.get_by_role("button", name="Carry on").click()
    other.get_by_role("button", name="Show the first scenario").wait_for()
    assert other.locator(".cm-live-key").count() == 0  # the key is not shown again
    no_traceback(other)
    other.close()
