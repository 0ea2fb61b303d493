"""The course served by `course serve`: a real Voila on 127.0.0.1 and a real headless Chromium.

A learner answers a scenario with the keyboard alone; the answer is in the records store.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from playwright.sync_api import expect

from course.content import load_course
from course.store import Store

from .servers import CHROMIUM, chromium, course_server

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="Debian chromium is not installed (scripts/test.sh installs it)"),
]

ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"


def test_learner_answers_a_scenario_by_keyboard(tmp_path):
    data = tmp_path / "var"
    env = {"COURSE_DATA_DIR": str(data), "COURSE_LEARNER": "kb-learner"}
    module = load_course().module("sharing")
    first = module.graded_scenarios[0]
    ARTIFACTS.mkdir(exist_ok=True)
    with course_server(env, tmp_path / "voila.log") as base, chromium() as browser:
        page = browser.new_page(viewport={"width": 375, "height": 800})
        page.goto(f"{base}/voila/render/{module.order}-{module.id}.ipynb", wait_until="domcontentloaded")
        card = page.locator("section.cm-card", has_text=first.title).first
        card.wait_for(timeout=90_000)
        decision = page.locator(".cm-decision", has=card)
        radios = decision.locator("input[type=radio]")
        assert radios.count() == len(first.choices)
        # keyboard only: focus the first choice, arrow to the last, Tab to the button, Enter
        radios.first.focus()
        page.keyboard.press("Space")
        for _ in range(len(first.choices) - 1):
            page.keyboard.press("ArrowDown")
        expect(radios.last).to_be_checked(timeout=20_000)
        # the button is enabled once the kernel has the choice: Tab skips a disabled button
        expect(decision.get_by_role("button", name="Check my answer")).to_be_enabled(timeout=20_000)
        page.keyboard.press("Tab")
        focused = page.evaluate("document.activeElement.textContent")
        assert "Check my answer" in focused
        page.keyboard.press("Enter")
        decision.locator(".cm-feedback").wait_for(timeout=20_000)
        page.screenshot(path=str(ARTIFACTS / "voila-module-375.png"), full_page=False)
        assert "Traceback" not in page.content()
    saved = Store(f"sqlite:///{data / 'records.db'}").decisions("kb-learner", "sharing", 1)
    assert saved[first.id].choice_id == first.choices[-1].id
