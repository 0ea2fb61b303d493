"""An LMS launches a learner into the real course server, the learner finishes the module in Chromium,
and the marker sends the mark back with AGS (issue 18).

The test LMS (tests/support/lti_platform.py) is down when the mark is first sent (503), then up:
the marker's own loop (course.grading.worker -> course.lti.outbox) retries after its backoff and
the platform receives exactly one score, with the fields AGS names, for the LMS's `sub`.

The LMS is at `localhost`, the course at 127.0.0.1: two sites, so each launch is the real
cross-site form post it is from Moodle, and the cookies meet SameSite as they would there.

| case                                   | proves                                                        |
|----------------------------------------|---------------------------------------------------------------|
| a learner launches, finishes in Chromium | exactly one score reaches the LMS, after it was down         |
| an Administrator launches              | the dashboard opens without the password (a dashboard session |
|                                        | cookie: HttpOnly, Lax, /dashboard only); a browser without it,|
|                                        | or with a learner's sign-in token in it, is asked for one     |

Checked with the defence off: with `lms_manager()` left out of the dashboard's gate the
Administrator meets the password box; with the purpose check removed from
`signin_tokens.learner_for_hash` the learner's token in the cookie opens the dashboard.
"""

from __future__ import annotations

import json
import os
import subprocess
import time
from urllib.parse import urlencode

import pytest

from course.content.model import load_course
from course.records import grading_log, identity, signin_tokens
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
ADMIN = "http://purl.imsglobal.org/vocab/lis/v2/institution/person#Administrator"
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
    with RunningPlatform(host="localhost") as lms:
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
            lms.users = {
                "u-17": User("moodle-user-17", NAME, [LEARNER], custom={"staff_number": STAFF}),
                "u-admin": User("moodle-admin-3", "Ailsa Grant", [ADMIN]),
            }
            yield {"base": base, "lms": lms, "log": log, "store": Store(f"sqlite:///{data / 'var' / 'records.db'}")}


def login_url(site, hint: str) -> str:
    """The LMS's OIDC login initiation for `hint`, through a resource link to the module "why"."""
    lms, base = site["lms"], site["base"]
    target = f"{base}/voila/render/module.ipynb?module=why"
    params = {
        "iss": lms.issuer,
        "login_hint": hint,
        "target_link_uri": target,
        "lti_message_hint": json.dumps({"resource": "res-why", "target": target}),
        "client_id": lms.client_id,
    }
    return f"{base}/lti/login?{urlencode(params)}"


def test_an_lms_launch_finished_in_chromium_sends_exactly_one_score(site, browser):
    lms, store, base = site["lms"], site["store"], site["base"]
    course = load_course()
    module = course.module("why")
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.set_default_timeout(PAGE_TIMEOUT)
    # the LMS's login initiation -> its auth endpoint -> its auto-posting form -> the module
    page.goto(login_url(site, "u-17"), wait_until="domcontentloaded")
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


def test_an_administrators_launch_opens_the_dashboard_without_the_password(site, browser):
    store, base = site["store"], site["base"]
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    page.set_default_timeout(PAGE_TIMEOUT)
    page.goto(login_url(site, "u-admin"), wait_until="domcontentloaded")
    page.get_by_role("table", name="Staff by status").wait_for()  # the records, read: no password asked
    assert page.url == f"{base}/dashboard/"
    assert page.get_by_label("Manager password").count() == 0
    [cookie] = [c for c in context.cookies() if c["name"] == "course-manager"]
    assert cookie["httpOnly"] and cookie["sameSite"] == "Lax" and cookie["path"] == "/dashboard"
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "lti-manager-dashboard-1280.png"))
    assert axe_violations(page) == []
    manager = store.learner(next(r.learner_id for r in store._read(lti_links.select()) if r.role == "manager"))
    context.close()

    # another browser: the password; with a learner's sign-in token as the cookie: the password too
    learner_token = signin_tokens.issue(store, manager["learner_id"])
    for value in (None, learner_token):
        other = browser.new_context(viewport={"width": 1280, "height": 800})
        if value:
            other.add_cookies([{"name": "course-manager", "value": value, "url": f"{base}/dashboard/"}])
        page = other.new_page()
        page.set_default_timeout(PAGE_TIMEOUT)
        page.goto(f"{base}/dashboard/", wait_until="domcontentloaded")
        page.get_by_label("Manager password").wait_for()
        assert page.get_by_role("table", name="Staff by status").count() == 0
        other.close()
    assert "LTI launch accepted: role manager, the dashboard" in site["log"].read_text()
