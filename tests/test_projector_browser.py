"""Issue 17, the projector view as the room sees it: a real `course serve` (Voila on 127.0.0.1), a
trainer signed in on a 1280x800 projector (then the same page at 1920x1080) and a learner on a
375x740 phone, in real headless Chromium.

During a scenario the scenario's title and question, every choice (lettered as the room sees
them, with its share of the votes) and the total are inside the window, and neither the page nor
any of its columns scrolls; after "Show the answer" the answer is on screen and the scenario has
not moved; the trainer key, opened in the lobby, is gone once a scenario is on and after Next.
The module picker is a <select>, "Scenarios I choose" lists one module's scenarios at a time and
fits on one screen. On the phone the choices and the vote button are on the first screen. axe
finds nothing serious or critical on any of them. Screenshots: test-artifacts/screens/.
"""

from __future__ import annotations

import os
import time

import pytest

from course.content.model import load_course
from course.records.store import Store

from .support.screens import DESKTOP, LARGE, PHONE, keep_screenshot
from .support.servers import AXE, CHROMIUM, axe_violations, course_server, signed_in, wait_until

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="Debian chromium is not installed"),
]

TIMEOUT = 90_000  # ms: a kernel may take a while to start on a busy 2-core machine
LIVE = 20_000  # ms: a vote or a reveal shows within a second; allow for a loaded machine
TOLERANCE = 2  # px: rounding


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    base = tmp_path_factory.mktemp("projector")
    env = {"COURSE_DATA_DIR": str(base / "var"), "COURSE_DB_URL": ""}
    log = base / "voila.log"
    # ready: the verification page needs no kernel (the home page, "/", does: a busy machine times it out)
    with course_server(env, log, "--pool-size=1", "--cull-idle=600", "--no-grading", ready="/verify") as url:
        # the trainer page has one ready kernel: wait for it (and its imports) before the first visit
        wait_until(lambda: "Kernel pool of trainer.ipynb is filled" in log.read_text(), timeout=240)
        time.sleep(30)
        yield {"base": url, "db": f"sqlite:///{base / 'var' / 'records.db'}"}


def trainer_url(server) -> str:
    from course.records import trainers

    store = Store(server["db"])
    token = signed_in(store, "T-0002", "Tess Trainer")
    trainers.grant(store, "T-0002")
    return f"{server['base']}/voila/render/trainer.ipynb?token={token}"


def open_page(browser, url: str, viewport: dict):
    page = browser.new_page(viewport=viewport)
    page.set_default_timeout(TIMEOUT)
    page.goto(url, wait_until="domcontentloaded")
    return page


def shown_or_reload(page, heading: str, tries: int = 6) -> None:
    """Wait for the heading; reload if the render came up empty (nbclient waits only 4 s for a
    cell's output: a kernel still starting on a busy 2-core machine misses it)."""
    for _ in range(tries - 1):
        try:
            page.get_by_role("heading", name=heading).wait_for(timeout=75_000)
            return
        except Exception:  # noqa: BLE001 - a timeout: reload and wait again
            page.reload(wait_until="domcontentloaded")
    page.get_by_role("heading", name=heading).wait_for()


def outside(page, selector: str) -> list[str]:
    """Every element matching `selector` that is not wholly inside the window (or not shown)."""
    return page.evaluate(
        """(sel) => [...document.querySelectorAll(sel)].map(el => {
            const r = el.getBoundingClientRect();
            const ok = r.height > 0 && r.top >= -2 && r.bottom <= innerHeight + 2 && r.right <= innerWidth + 2;
            return ok ? null : `${sel} "${el.textContent.trim().slice(0, 30)}" ${Math.round(r.top)}-${Math.round(r.bottom)}`;
        }).filter(Boolean).concat(document.querySelector(sel) ? [] : [`${sel}: none on the page`])""",
        selector,
    )


def page_scroll(page) -> int:
    """How far the page could scroll (0: it fits)."""
    return page.evaluate("document.scrollingElement.scrollHeight - innerHeight")


def column_overflow(page) -> dict:
    """The columns whose content is taller than the column (each would scroll inside itself)."""
    return page.evaluate("""() => Object.fromEntries([...document.querySelectorAll(
            '.cm-live-main, .cm-live-side')].filter(el => el.offsetParent !== null)
        .map(el => [el.className.match(/cm-live-(main|side)/)[0], el.scrollHeight - el.clientHeight])
        .filter(([_, over]) => over > 2))""")


def no_serious_axe(page) -> None:
    if AXE.exists():
        assert axe_violations(page) == []


def test_the_projector_view_fits_one_screen_and_the_phone_shows_its_ballot(server, browser):
    from playwright.sync_api import expect

    course = load_course()
    modules = list(course.modules.values())
    trainer = open_page(browser, trainer_url(server), DESKTOP)
    shown_or_reload(trainer, "Run a group session")

    # the module picker is a real select; "Scenarios I choose" shows one module's scenarios at a time
    picker = trainer.get_by_role("combobox", name="What to discuss")
    assert picker.evaluate("el => el.tagName") == "SELECT"
    picker.select_option(label="Scenarios I choose")
    chooser = trainer.get_by_role("combobox", name="Show the scenarios of")
    expect(chooser).to_be_visible()
    assert chooser.evaluate("el => el.tagName") == "SELECT"
    boxes = trainer.locator(".cm-live-choose-list input[type=checkbox]")
    expect(boxes).to_have_count(len(modules[0].scenarios))
    chooser.focus()
    trainer.keyboard.press("ArrowDown")  # the keyboard alone moves to the next module
    expect(boxes).to_have_count(len(modules[1].scenarios))
    expect(trainer.locator(".cm-live-choose-heading")).to_have_text(f"Scenarios in {modules[1].title}")

    def listed() -> set[str]:
        texts = trainer.locator(".cm-live-choose-list label").all_inner_texts()
        return {t.strip("\u200b \n").removesuffix(" (a follow-up)") for t in texts} - {
            ""
        }  # not ipywidgets' empty label

    titles = {s.title for s in modules[1].scenarios}
    wait_until(lambda: listed() == titles, timeout=20)  # that module's scenarios only
    boxes.first.focus()
    trainer.keyboard.press("Space")
    expect(trainer.locator(".cm-live-chosen")).to_contain_text("1 scenario chosen", timeout=LIVE)
    biggest = max(modules, key=lambda m: len(m.scenarios))
    chooser.select_option(label=biggest.title)
    expect(boxes).to_have_count(len(biggest.scenarios))
    height = trainer.locator(".cm-live-picker").bounding_box()["height"]
    assert height <= DESKTOP["height"], f"the chooser is {height} px tall"
    chooser.scroll_into_view_if_needed()
    keep_screenshot(trainer, "projector-start-chooser-1280x800", full_page=False)
    no_serious_axe(trainer)

    # a session for the first module; the key is folded away, and the trainer opens it
    picker.select_option(index=0)
    trainer.get_by_role("button", name="Start the session").click()
    code_box = trainer.locator(".cm-live-join__code")
    code_box.wait_for()
    join_url = trainer.locator(".cm-live-join__address a").get_attribute("href")
    key = trainer.locator("details.cm-live-key")
    assert key.evaluate("el => el.open") is False
    key.locator("summary").focus()
    trainer.keyboard.press("Enter")
    expect(trainer.locator(".cm-live-key__value")).to_be_visible()
    assert page_scroll(trainer) <= TOLERANCE
    keep_screenshot(trainer, "projector-lobby-key-open-1280x800")

    phone = open_page(browser, join_url, PHONE)
    phone.get_by_role("heading", name="Join the group session").wait_for()
    phone.get_by_role("button", name="Join", exact=True).click()
    phone.get_by_role("heading", name="You are in").wait_for()

    # the first scenario: the key is gone, and everything the room needs is on one screen
    trainer.get_by_role("button", name="Show the first scenario").click()
    title = trainer.locator(".cm-live-main .cm-card__title")
    title.wait_for()
    expect(trainer.locator(".cm-live-key")).to_have_count(0, timeout=LIVE)

    expect(phone.locator(".cm-card__title")).to_have_text(title.inner_text().strip(), timeout=LIVE)
    radios = phone.get_by_role("radio")
    expect(radios).to_have_count(len(course.scenario(course.module(modules[0].id).graded_scenarios[0].id).choices))
    # the room's phones use the light join page (/join, no kernel): its choices and its button
    assert outside(phone, ".cm-live-ballot label.cm-light-choice") == []
    assert outside(phone, ".cm-live-ballot button[type=submit]") == []  # Send my vote, on the first screen
    assert outside(phone, ".cm-card__question") == []
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    keep_screenshot(phone, "projector-join-ballot-375x740", full_page=False)
    no_serious_axe(phone)
    radios.nth(0).check()
    phone.get_by_role("button", name="Send my vote").click()
    expect(trainer.locator(".cm-tally__total")).to_have_text("1 vote so far.", timeout=LIVE)

    during = [".cm-live-main .cm-card__title", ".cm-card__question", ".cm-tally__row", ".cm-tally__total"]
    during += [".cm-live-join__code", ".cm-live-progress"]
    for viewport, name in ((DESKTOP, "1280x800"), (LARGE, "1920x1080")):
        trainer.set_viewport_size(viewport)
        expect(trainer.get_by_role("button", name="Show the answer")).to_be_in_viewport()
        for selector in during:
            assert outside(trainer, selector) == [], name
        assert page_scroll(trainer) <= TOLERANCE, name
        assert column_overflow(trainer) == {}, name
        join_height = trainer.locator(".cm-live-join").bounding_box()["height"]
        assert join_height <= viewport["height"] * 0.2, f"the join box is {join_height} px tall at {name}"
        keep_screenshot(trainer, f"projector-scenario-{name}")
        no_serious_axe(trainer)

    # the answer: beside the tally, the scenario where it was
    top_before = title.bounding_box()["y"]  # at 1920x1080, the last size above
    trainer.get_by_role("button", name="Show the answer").click()
    expect(trainer.locator(".cm-live-reveal")).to_contain_text("Best answer", timeout=LIVE)
    assert abs(title.bounding_box()["y"] - top_before) <= TOLERANCE  # the answer did not push the scenario
    for viewport, name in ((LARGE, "1920x1080"), (DESKTOP, "1280x800")):
        trainer.set_viewport_size(viewport)
        for selector in (".cm-live-main .cm-card__title", ".cm-live-reveal .cm-feedback__verdict"):
            assert outside(trainer, selector) == [], name
        assert page_scroll(trainer) <= TOLERANCE, name
        keep_screenshot(trainer, f"projector-answer-{name}")
        no_serious_axe(trainer)

    # Next: the next scenario fits as well, with no key and no answer left over
    trainer.get_by_role("button", name="Next scenario").click()
    expect(trainer.locator(".cm-live-progress")).to_contain_text("Scenario 2 of", timeout=LIVE)
    expect(trainer.locator(".cm-live-reveal")).to_have_count(0, timeout=LIVE)
    assert trainer.locator(".cm-live-key").count() == 0
    for selector in during:
        assert outside(trainer, selector) == []
    assert page_scroll(trainer) <= TOLERANCE
    keep_screenshot(trainer, "projector-next-1280x800")
    assert "Traceback" not in trainer.content() and "Traceback" not in phone.content()
    for page in (trainer, phone):
        page.close()
