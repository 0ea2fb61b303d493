"""An LMS launches a learner into the real course server, the learner finishes the module in Chromium,
and the marker sends the mark back with AGS (issue 18).

The test LMS (tests/support/lti_platform.py) is down when the mark is first sent (503), then up:
the marker's own loop (course.grading.worker -> course.lti.outbox) retries after its backoff and
the platform receives exactly one score, with the fields AGS names, for the LMS's `sub`.
"""

from __future__ import annotations

import json
import os
import subprocess
import time
from urllib.parse import urlencode

import pytest

from course.content.model import load_course
from course.records import grading_log, identity
from course.records import lti as lti_records
from course.records.store import Store
from course.records.tables import lti_links

from .support.grading_helpers import copy_course_root
from .support.lti_platform import LEARNER, RunningPlatform, User
from .support.servers import ARTIFACTS, BIN, CHROMIUM, axe_violations, course_server, tab_to, wait_until

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="Debian chromium is not installed"),
]

PAGE_TIMEOUT = 120_000
NAME, STAFF = "Mhairi Campbell", "MC-4417"


def button(text: str) -> str:
    return f"el.tagName === 'BUTTON' && el.textContent.trim() === {text!r} && !el.disabled"


def wait_enabled(page, name: str) -> None:
    page.get_by_role("button", name=name, exact=True).last.wait_for(state="visible")
    page.wait_for_function(f"""() => [...document.querySelectorAll('button')].some(
        b => b.textContent.trim() === {name!r} && !b.disabled && b.offsetParent !== null)""")


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    data = tmp_path_factory.mktemp("lti-browser")
    grading = copy_course_root(data)  # `course serve` releases every module into it and runs the marker
    registrations = data / "lti.json"
    with RunningPlatform() as lms:
        registrations.write_text(json.dumps({"platforms": [lms.registration()]}))
        env = {
            "COURSE_DATA_DIR": str(data / "var"),
            "COURSE_DB_URL": "",
            "COURSE_LEARNER": "server-os-user",
            "COURSE_GRADING_DIR": str(grading),
            "NBGRADER_EXCHANGE": str(data / "exchange"),
            "COURSE_LTI_PLATFORMS": str(registrations),
        }
        log = data / "voila.log"
        # nbgrader's release of every module, done before the server starts (not within its start-up wait:
        # on a busy machine it takes minutes)
        subprocess.run([str(BIN / "course"), "release"], env={**os.environ, **env}, check=True, timeout=1500)
        with course_server(env, log, "--pool-size=1", ready="/lti/jwks") as base:
            lms.redirect_uris = [f"{base}/lti/launch"]
            lms.tool_jwks_url = f"{base}/lti/jwks"
            lms.users = {"u-17": User("moodle-user-17", NAME, [LEARNER], custom={"staff_number": STAFF})}
            yield {"base": base, "lms": lms, "log": log, "store": Store(f"sqlite:///{data / 'var' / 'records.db'}")}


def test_an_lms_launch_finished_in_chromium_sends_exactly_one_score(site, browser):
    lms, store, base = site["lms"], site["store"], site["base"]
    course = load_course()
    module = course.module("why")
    target = f"{base}/voila/render/module.ipynb?module=why"
    params = {
        "iss": lms.issuer,
        "login_hint": "u-17",
        "target_link_uri": target,
        "lti_message_hint": json.dumps({"resource": "res-why", "target": target}),
        "client_id": lms.client_id,
    }
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.set_default_timeout(PAGE_TIMEOUT)
    # the LMS's login initiation -> its auth endpoint -> its auto-posting form -> the module
    page.goto(f"{base}/lti/login?{urlencode(params)}", wait_until="domcontentloaded")
    page.get_by_role("heading", name=module.title, level=1).wait_for()
    assert page.url.startswith(f"{base}/voila/render/module.ipynb?") and "token=" in page.url
    [launched] = store._read(lti_links.select())
    learner = launched.learner_id
    link = lti_records.link(store, learner, "why")
    assert store.learner(learner)["identity"] == identity.LTI and link.subject == "moodle-user-17"

    lms.down = True  # the LMS is being upgraded when the mark is first sent
    wait_enabled(page, "Start")
    tab_to(page, "Start", button("Start"))
    page.keyboard.press("Enter")
    for _ in range(len(module.scenarios) + 1):
        heading = page.locator(".cm-card__title").first
        heading.wait_for()
        page.wait_for_function("document.activeElement && document.activeElement.classList.contains('cm-card__title')")
        assert any(s.title == heading.text_content().strip() for s in module.scenarios)
        # the first choice shown, whatever the attempt's order: any mark will do, it is the one sent
        page.keyboard.press("Tab")
        page.keyboard.press("Space")
        wait_enabled(page, "Check my answer")
        tab_to(page, "Check my answer", button("Check my answer"))
        page.keyboard.press("Enter")
        page.wait_for_function("document.activeElement && document.activeElement.classList.contains('cm-focus-target')")
        label = "See your result" if page.get_by_role("button", name="See your result").is_visible() else "Next"
        wait_enabled(page, label)
        tab_to(page, label, button(label))
        page.keyboard.press("Enter")
        if label == "See your result":
            break
    page.get_by_role("heading", name="Your result").wait_for()
    tab_to(page, "the reflection box", "el.tagName === 'TEXTAREA'")
    page.keyboard.type("I will check who can see a post before I share anything from work.")
    wait_enabled(page, "Finish")
    tab_to(page, "Finish", button("Finish"))
    page.keyboard.press("Enter")
    page.get_by_text("Your result is saved.").wait_for()
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "lti-module-finished-1280.png"), full_page=True)
    assert axe_violations(page) == []
    page.close()

    # the marker marks it, queues it for the LMS, and finds the LMS down: a retry is set
    row = wait_until(lambda: next((r for r in lti_records.rows(store) if r.tries >= 1), None), timeout=400)
    assert row.status == "pending" and "503" in row.message and lms.scores == []
    lms.down = False
    wait_until(lambda: lms.scores, timeout=240)  # the marker's next look after the backoff (1 minute)
    time.sleep(15)  # more than one more look at the outbox: nothing is sent twice
    marked = grading_log.graded(store, learner, "why")
    assert marked.status == "graded"
    assert lms.scores == [
        {
            "lineitem": "res-why",
            "userId": "moodle-user-17",
            "scoreGiven": marked.score,
            "scoreMaximum": marked.max_score,
            "activityProgress": "Completed",
            "gradingProgress": "FullyGraded",
            "timestamp": lms.scores[0]["timestamp"],
            "comment": lms.scores[0]["comment"],
        }
    ]
    assert lms.scores[0]["timestamp"].endswith("+00:00") and lms.scores[0]["comment"].startswith(("Passed", "Not"))
    assert [r.status for r in lti_records.rows(store)] == ["sent"]
    text = site["log"].read_text()
    for secret in (NAME, STAFF, STAFF.lower(), "moodle-user-17", learner):
        assert secret not in text, secret
    assert "LTI mark" in text and "delivered" in text
