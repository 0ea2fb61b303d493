"""Issue 17, managers: `course serve` alone serves the dashboard, at /dashboard/, behind its password.

One real `course serve` on 127.0.0.1 and headless Debian Chromium, as a manager uses it on a desktop
or projector (1280x800), a large projector (1920x1080) and a phone (375x740): the password page and the dashboard wear the
course's look and show no Python object's text, Enter submits the password, a wrong one is
refused (and, past the free tries, rate limited), and axe finds nothing serious or critical on
either page. The dashboard page keeps every protection of a learner page: the security headers,
the page's secret cookie and a websocket that runs no code. The learners' addresses are unchanged.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from course.server.launch_config import HOME

from .support.screens import DESKTOP, LARGE, PHONE, code_on_page, keep_screenshot
from .support.servers import CHROMIUM, axe_violations, chromium, course_server, http_get, page_kernel_id, wait_until
from .test_manager_dashboard import PASSWORD, records, set_password_cli  # noqa: F401 - records: a fixture
from .test_security_voila import FORBIDDEN_REPLIES, PROBE_JS

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="needs Debian chromium at /usr/bin/chromium"),
]

OBJECT_TEXT = "<course.manager"  # a notebook printing the Dashboard object's repr


def _open(browser, base: str, viewport: dict):
    page = browser.new_page(viewport=viewport)
    page.set_default_timeout(90_000)
    page.goto(base + "/dashboard/", wait_until="domcontentloaded")
    page.get_by_text("Enter the manager password").wait_for()
    return page


def _enter(page, text: str) -> None:
    """Type into the password box and press Enter, as a manager would (no click)."""
    box = page.get_by_label("Manager password")
    box.click()
    box.press_sequentially(text, delay=5)
    box.press("Enter")


def _serious(page) -> list[dict]:
    return axe_violations(page)


def _hard_scenario(store, course):
    """Six learners' first choices on one graded scenario, four of them missing the best answer
    (learners not on the four-person roster: the dashboard counts 10 people)."""
    scenario = course.modules["sharing"].graded_scenarios[0]
    best = max(scenario.choices, key=lambda c: c.score)
    worst = min(scenario.choices, key=lambda c: c.score)
    for n, choice in enumerate([best, best, worst, worst, worst, worst]):
        store.record_decision(f"4010{n}", "sharing", 1, scenario.id, choice.id, choice.score)
    return scenario


def test_course_serve_serves_the_dashboard_behind_its_password(records, course, tmp_path):
    assert set_password_cli().exit_code == 0
    hard = _hard_scenario(records, course)
    timings: dict[str, float] = {}
    env = {
        "COURSE_DATA_DIR": str(tmp_path / "var"),
        "COURSE_SECRET_KEY": "dashboard-test-key-0123456789",
        "COURSE_GRADING_DIR": str(tmp_path / "grading"),
    }
    log_path = tmp_path / "serve.log"
    with course_server(env, log_path, "--no-grading", "--pool-size=1", ready="/verify") as base:
        # the learners' addresses are what they were; the dashboard is its own path, on this server
        status, headers, _body = http_get(base + "/")
        assert status == 302 and headers["Location"].endswith(HOME)
        for path in ("/voila/render/dashboard.ipynb", "/voila/render/manager/dashboard.ipynb"):
            status, _headers, body = http_get(base + path)
            assert status == 404 and "Traceback" not in body, path  # only /dashboard/ reaches it
        status, headers, body = http_get(base + "/dashboard/")
        assert status == 200 and "default-src 'self'" in headers["Content-Security-Policy"]
        assert headers["X-Frame-Options"] == "SAMEORIGIN" and headers["Referrer-Policy"] == "no-referrer"
        assert any(c.startswith("course-page-") for c in headers.get_all("Set-Cookie") or [])  # the page secret
        assert "voila/templates/course/static/theme.css" in body and "Amy Reid" not in body

        with chromium() as browser:
            for name, viewport in (("desktop", DESKTOP), ("large", LARGE), ("phone", PHONE)):
                started = time.monotonic()
                page = _open(browser, base, viewport)
                timings[f"{name}: password page"] = time.monotonic() - started
                assert OBJECT_TEXT not in page.inner_text("body")
                # the course's look: its field, its buttons, inside the course's app box
                assert page.locator(".cm-root.cm-app .cm-field input[type=password]").count() == 1
                assert page.locator(".cm-root .cm-btn", has_text="Open the dashboard").count() == 1
                assert _serious(page) == [], name
                keep_screenshot(page, f"dashboard-password-{name}")

                _enter(page, "a wrong guess")
                page.get_by_text("That password is not right").wait_for()
                assert page.get_by_text("Staff by status").count() == 0 and page.get_by_text("Amy Reid").count() == 0
                assert page.get_by_label("Manager password").input_value() == ""  # not kept in the page
                assert _serious(page) == [], name
                keep_screenshot(page, f"dashboard-wrong-password-{name}")

                started = time.monotonic()
                _enter(page, PASSWORD)  # Enter alone opens it
                page.get_by_text("Staff by status (10 people)").wait_for()
                timings[f"{name}: Enter to the dashboard"] = time.monotonic() - started
                page.locator("table", has_text="Status per person").get_by_text("Amy Reid").wait_for()
                assert OBJECT_TEXT not in page.inner_text("body") and code_on_page(page) == []
                # what a manager opens the dashboard for is on the first screen, without scrolling
                first_screen = page.evaluate(
                    """() => { const h = [...document.querySelectorAll('h2, h3, caption, th, td, p')]
                        .find(el => el.textContent.includes('Staff by status'));
                        if (!h) return false; const r = h.getBoundingClientRect();
                        return r.height > 0 && r.top >= 0 && r.top < window.innerHeight; }"""
                )
                assert first_screen, f"{name}: 'Staff by status' is below the first screen"
                assert page.locator(".cm-root .cm-btn", has_text="Refresh").count() == 1
                # the hardest scenarios: its title and module, a percentage, no internal id
                hardest = page.locator("table", has_text="Hardest scenarios")
                assert hardest.get_by_text(hard.title).count() == 1 and hardest.get_by_text("33%").count() == 1
                assert hard.id not in hardest.inner_text()
                assert page.get_by_text(f"{hard.title}").first.is_visible()
                assert PASSWORD not in page.url and PASSWORD not in page.content()
                assert _serious(page) == [], name
                fits = page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
                assert fits, f"{name}: the page scrolls sideways (wide tables scroll in their own box)"
                keep_screenshot(page, f"dashboard-{name}")
                page.get_by_role("button", name="Refresh").click()
                page.get_by_text("Staff by status (10 people)").wait_for()

                if name == "desktop":  # the dashboard's websocket runs no code, like a learner page's
                    target = tmp_path / "written-by-the-browser.txt"
                    seen = page.evaluate(PROBE_JS, {"kernelId": page_kernel_id(page), "target": str(target)})
                    types = {msg_type for _c, msg_type, _p in seen}
                    assert "kernel_info_reply" in types and types.isdisjoint(FORBIDDEN_REPLIES), types
                    assert not target.exists()
                page.close()

            # wrong passwords from one address: past the free tries, refused without a check
            page = _open(browser, base, DESKTOP)
            box = page.get_by_label("Manager password")
            for _ in range(8):
                _enter(page, "another wrong guess")
                wait_until(lambda: box.input_value() == "", timeout=30, every=0.1)  # the kernel took it
                if page.get_by_text("Too many wrong passwords from this computer").count():
                    break
            page.get_by_text("Too many wrong passwords from this computer").wait_for(timeout=30_000)
            _enter(page, PASSWORD)  # even the right one waits now, at this address
            page.get_by_text("Too many wrong passwords").wait_for()
            assert page.get_by_text("Staff by status").count() == 0
            page.close()

    print("timings (s):", {k: round(v, 2) for k, v in timings.items()})
    log = Path(log_path).read_text()
    assert PASSWORD not in log and "another wrong guess" not in log
    for name in ("Amy Reid", "Ben Ali"):
        assert name not in log
