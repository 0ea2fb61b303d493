"""Issue 19: beyond the server's cap a learner is queued, not turned away (course.app.pages.busy_page).

A real `course serve` with room for one page kernel (COURSE_MAX_KERNELS=1) and headless Chromium:
a second page gets the "course is busy" page (503, a short Retry-After), which says what is
happening in plain words, counts down with a Stop button (the learner controls the timing; no
meta refresh) and is axe-clean at 375 and 1280 px. Once the first page closes, the waiting page
tries again by itself and becomes the course home, with no click.
"""

from __future__ import annotations

import os

import pytest

from course.server.kernel_limits import RETRY_SPREAD_SECONDS, SERVER_FULL_RETRY_SECONDS

from .support.screens import DESKTOP, PHONE, keep_screenshot
from .support.servers import AXE, CHROMIUM, axe_violations, chromium, course_server, http_get

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="needs Debian chromium at /usr/bin/chromium"),
    pytest.mark.skipif(not AXE.exists(), reason="axe-core is not installed (npm ci in tests/js)"),
]


def test_a_full_server_queues_the_next_learner_and_lets_them_in_when_a_page_closes(tmp_path):
    env = {"COURSE_DATA_DIR": str(tmp_path / "var"), "COURSE_DB_URL": "", "COURSE_MAX_KERNELS": "1"}
    with course_server(env, tmp_path / "voila.log", "--pool-size=1", "--no-grading", ready="/verify") as base:
        home = base + "/voila/render/home.ipynb"
        with chromium() as browser:
            first = browser.new_page(viewport=DESKTOP)
            first.set_default_timeout(180_000)
            first.goto(home, wait_until="domcontentloaded")
            first.get_by_role("button", name="Sign in").wait_for()  # it holds the server's one page kernel

            status, headers, body = http_get(home)
            wait = int(headers["Retry-After"])
            assert (
                status == 503 and SERVER_FULL_RETRY_SECONDS <= wait <= SERVER_FULL_RETRY_SECONDS + RETRY_SPREAD_SECONDS
            )
            assert "The course is busy" in body and "Traceback" not in body

            for name, viewport in (("phone", PHONE), ("desktop", DESKTOP)):
                page = browser.new_page(viewport=viewport)
                page.goto(home, wait_until="domcontentloaded")
                page.get_by_role("heading", name="The course is busy").wait_for()
                status_line = page.get_by_role("status")
                page.wait_for_function(
                    "() => document.querySelector('[data-cm-retry]').textContent.includes('Next try in')"
                )
                assert "this page tries again by itself" in status_line.inner_text()
                assert page.evaluate("document.querySelectorAll('meta[http-equiv=refresh]').length") == 0
                assert axe_violations(page) == [], name
                keep_screenshot(page, f"busy-{name}")
                if name == "phone":  # the learner stops it: no reload comes
                    page.keyboard.press("Tab")  # skip link
                    page.keyboard.press("Tab")  # the banner's link
                    page.keyboard.press("Tab")  # Try again now
                    page.keyboard.press("Tab")  # Stop trying
                    page.keyboard.press("Enter")
                    page.get_by_text("Stopped. Press Try again now when you are ready.").wait_for()
                    page.close()

            # the desktop page waits on; the first learner leaves, and it comes in by itself
            first.goto("about:blank")  # leaving, Voila's page asks the server to shut its kernel down
            first.close()
            page.get_by_role("button", name="Sign in").wait_for(timeout=(wait + RETRY_SPREAD_SECONDS + 60) * 1000)
            assert page.get_by_role("heading", name="The course is busy").count() == 0
            page.close()
