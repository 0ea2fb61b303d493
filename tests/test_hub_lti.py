"""An LMS launches learners into the real JupyterHub (LTI 1.3), and the hub's marker sends the mark back (issue 18).

One hub for the file (tests/support/hub.py: deploy/jupyterhub_config.py with PostgreSQL and
COURSE_HUB_AUTHENTICATOR=lti13, its course-grader service running) and one test LMS
(tests/support/lti_platform.py, to the LTI 1.3 specification) whose registration names the
learner by a custom `staff_number` claim. The learner is launched in Chromium from the LMS's
login initiation, lands on the module the resource link names in their own server (hub user =
the staff number, upper case as the records keep it), finishes it, and the hub's marker grades
it and sends exactly one score to the LMS's AGS line item. Refusals over plain HTTP (with the
cookies a browser would keep): a tampered, expired or wrongly addressed id_token, a replayed
nonce, another LMS's login. An LMS Administrator is put in the hub's `managers` group.

Skipped, with the reason, only when PostgreSQL, configurable-http-proxy or Chromium cannot run here.
"""

from __future__ import annotations

import base64
import http.cookiejar
import json
import re
import time
import urllib.error
import urllib.parse
import urllib.request
from html import unescape

import pytest

from course.content.model import load_course
from course.records import grading_log, identity
from course.records import lti as lti_records
from course.records.store import Store

from .support.hub import hub_databases, hub_server
from .support.lti_platform import LEARNER, RunningPlatform, User
from .support.servers import ARTIFACTS, axe_violations, wait_until

pytestmark = [
    pytest.mark.hub,
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.timeout(900),
]

MODULE = "why"
ADMIN = "http://purl.imsglobal.org/vocab/lis/v2/institution/person#Administrator"
NAME, STAFF = "Mhairi Campbell", "MC-4417"  # invented (course/data/cast.yaml's style)
TIMEOUT = 180_000  # ms: a server spawn and a fresh Voila kernel on a busy 2-core machine


def test_only_staff_servers_and_the_marker_get_the_lms_registrations(tmp_path):
    from course.hub.spawn import environment

    shared, reg = tmp_path / "shared", str(tmp_path / "lti.json")
    learner = environment(tmp_path / "ann", shared, "postgresql://r", "postgresql://g", None, [], reg)
    staff = environment(None, shared, "postgresql://r", "postgresql://g", "managers", ["managers"], reg)
    assert "COURSE_LTI_PLATFORMS" not in learner and staff["COURSE_LTI_PLATFORMS"] == reg
    # the marker signs with the key in the staff's data folder, which the hub publishes
    assert staff["COURSE_DATA_DIR"] == str(shared / "var")


@pytest.fixture(scope="module")
def site(tmp_path_factory, request):
    records, gradebook = hub_databases(request, "hub_lti")
    work = tmp_path_factory.mktemp("hub-lti")
    registrations = work / "lti.json"
    with RunningPlatform() as lms:
        entry = {**lms.registration(), "user_claim": "custom.staff_number"}
        registrations.write_text(json.dumps({"platforms": [entry]}))
        env = {"COURSE_HUB_AUTHENTICATOR": "lti13", "COURSE_LTI_PLATFORMS": str(registrations)}
        with hub_server(work, records, gradebook, modules=[MODULE], grader=True, extra_env=env) as hub:
            lms.redirect_uris = [f"{hub.url}/hub/lti13/oauth_callback"]
            lms.tool_jwks_url = f"{hub.url}/hub/lti13/jwks"
            lms.users = {
                "u-17": User("moodle-user-17", NAME, [LEARNER], custom={"staff_number": STAFF.lower()}),
                "u-1": User("moodle-user-1", "Ailsa Grant", [ADMIN], custom={"staff_number": "ad-1111"}),
            }
            yield {"hub": hub, "lms": lms, "store": Store(records)}


def login_params(site, hint: str, module: str = MODULE) -> dict[str, str]:
    lms, hub = site["lms"], site["hub"]
    target = f"{hub.url}/hub/lti13/oauth_login?module={module}"
    return {
        "iss": lms.issuer,
        "login_hint": hint,
        "target_link_uri": target,
        "lti_message_hint": json.dumps({"resource": f"res-{module}", "target": target}),
        "client_id": lms.client_id,
    }


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def browser_like():
    """An opener with a cookie jar (the state cookies), that never follows a redirect; `.jar` is the jar."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar), NoRedirect)
    opener.jar = jar  # type: ignore[attr-defined]
    return opener


def call(opener, url: str, form: dict | None = None):
    data = urllib.parse.urlencode(form).encode() if form is not None else None
    try:
        with opener.open(urllib.request.Request(url, data=data), timeout=60) as response:
            return response.status, response.headers, response.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers, exc.read().decode("utf-8", "replace")


def lms_form(site, opener, hint: str) -> tuple[str, str]:
    """The hub's login initiation, then the LMS's auth endpoint: the (id_token, state) its form posts."""
    hub = site["hub"]
    status, headers, body = call(
        opener, f"{hub.url}/hub/lti13/oauth_login?{urllib.parse.urlencode(login_params(site, hint))}"
    )
    assert status == 302, (status, body)
    status, _headers, page = call(opener, headers["Location"])
    assert status == 200, page
    fields = dict(re.findall(r'name="(id_token|state)" value="([^"]*)"', page))
    return unescape(fields["id_token"]), unescape(fields["state"])


def post_launch(site, opener, token: str, state: str):
    return call(opener, f"{site['hub'].url}/hub/lti13/oauth_callback", {"id_token": token, "state": state})


def wait_enabled(page, name: str) -> None:
    page.wait_for_function(
        """name => [...document.querySelectorAll('button')].some(
        b => b.textContent.trim() === name && !b.disabled && b.offsetParent !== null)""",
        arg=name,
    )


def test_a_launch_into_the_hub_finished_in_chromium_sends_exactly_one_score(site, browser):
    hub, lms, store = site["hub"], site["lms"], site["store"]
    module = load_course().module(MODULE)
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(TIMEOUT)
    # the LMS's login initiation -> its auth endpoint -> its auto-posting form -> the hub spawns the
    # learner's server -> the module the resource link names
    page.goto(
        f"{hub.url}/hub/lti13/oauth_login?{urllib.parse.urlencode(login_params(site, 'u-17'))}",
        wait_until="domcontentloaded",
    )
    try:
        page.get_by_role("heading", name=module.title, level=1).wait_for()
    except Exception as exc:
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "hub-lti-launch.png"))
        raise AssertionError(f"never reached the module ({page.url}); hub log:\n{hub.log_text()[-4000:]}") from exc
    assert page.url.startswith(f"{hub.url}/user/{STAFF}/voila/render/module.ipynb?module={MODULE}")
    assert store.learner(STAFF)["identity"] == identity.LTI  # the hub user is the learner the records know
    link = lti_records.link(store, STAFF, MODULE)
    assert link.subject == "moodle-user-17" and link.lineitem == lms.lineitem(f"res-{MODULE}")

    wait_enabled(page, "Start")
    page.get_by_role("button", name="Start", exact=True).click()
    seen = ""
    for _ in range(len(module.scenarios) + 1):
        page.wait_for_function(
            "seen => { const h = document.querySelector('.cm-card__title'); return h && h.textContent.trim() !== seen; }",
            arg=seen,
        )
        seen = page.locator(".cm-card__title").first.text_content().strip()
        scenario = next(s for s in module.scenarios if s.title == seen)
        page.get_by_role("radio", name=max(scenario.choices, key=lambda c: c.score).text).check()
        wait_enabled(page, "Check my answer")
        page.get_by_role("button", name="Check my answer").click()
        page.locator(".cm-feedback").first.wait_for()
        if page.get_by_role("button", name="See your result").is_visible():
            page.get_by_role("button", name="See your result").click()
            break
        page.get_by_role("button", name="Next").click()
    page.get_by_role("heading", name="Your result").wait_for()
    page.locator("textarea").first.fill("I will check who can see a post before I share anything from work.")
    wait_enabled(page, "Finish")
    page.get_by_role("button", name="Finish").click()
    page.get_by_text("Your result is saved.").wait_for()
    assert axe_violations(page) == []
    context.close()

    # the hub's marker (its course-grader service) grades the Finish and sends the mark with AGS
    wait_until(lambda: lms.scores, timeout=600)
    time.sleep(25)  # two more looks at the outbox: nothing is sent twice
    marked = grading_log.graded(store, STAFF, MODULE)
    assert marked.status == "graded" and marked.score > 0
    assert lms.scores == [
        {
            "lineitem": f"res-{MODULE}",
            "userId": "moodle-user-17",
            "scoreGiven": marked.score,
            "scoreMaximum": marked.max_score,
            "activityProgress": "Completed",
            "gradingProgress": "FullyGraded",
            "timestamp": lms.scores[0]["timestamp"],
            "comment": lms.scores[0]["comment"],
        }
    ]
    assert lms.scores[0]["timestamp"].endswith("+00:00")
    assert [r.status for r in lti_records.rows(store)] == ["sent"]
    for secret in (NAME, "moodle-user-17"):
        assert secret not in hub.log_text(), secret


def refused(body: str, status: int, expected: int, words: str) -> None:
    assert status == expected, (status, body[-2000:])
    assert "The course could not be opened" in body and words in body
    assert "Traceback" not in body and "id_token" not in body


@pytest.mark.parametrize(
    ("change", "status", "words", "reason"),
    [
        ("tampered", 400, "could not be checked", "id_token refused: Signature verification failed"),
        ("expired", 400, "has expired", "expired id_token"),
        ("audience", 400, "could not be checked", "wrong audience"),
        ("nonce", 400, "could not be checked", "nonce"),
    ],
)
def test_a_bad_launch_gets_a_plain_page(site, change, status, words, reason):
    lms, hub = site["lms"], site["hub"]
    opener = browser_like()
    try:
        if change == "expired":
            lms.token_overrides = {"exp": int(time.time()) - 600, "iat": int(time.time()) - 900}
        if change == "audience":
            lms.token_overrides = {"aud": "another-tool"}
        token, state = lms_form(site, opener, "u-17")
    finally:
        lms.token_overrides = {}
    if change == "tampered":  # the payload changed (another person), the LMS's signature kept
        head, body, signature = token.split(".")
        claims = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
        claims["sub"] = "moodle-user-1"
        body = base64.urlsafe_b64encode(json.dumps(claims).encode()).decode().rstrip("=")
        token = f"{head}.{body}.{signature}"
    if change == "nonce":  # an old id_token (a launch's own) with a fresh login's state and cookies
        _fresh_token, state = lms_form(site, opener, "u-17")
    before = hub.log_text().count("LTI launch refused")
    code, _headers, page = post_launch(site, opener, token, state)
    refused(page, code, status, words)
    log = wait_until(lambda: hub.log_text() if hub.log_text().count("LTI launch refused") > before else None, 30)
    assert reason in log.split("LTI launch refused")[-1].splitlines()[0]


def test_a_used_state_and_another_lms_are_refused_and_an_administrator_is_a_manager(site):
    hub, store = site["hub"], site["store"]
    opener = browser_like()
    token, state = lms_form(site, opener, "u-1")
    kept_cookies = list(opener.jar)  # what an onlooker on the learner's machine could copy
    status, headers, body = post_launch(site, opener, token, state)
    assert status == 303, body[-2000:]
    where = urllib.parse.urlsplit(headers["Location"])
    assert where.path == "/hub/spawn/AD-1111"
    assert urllib.parse.parse_qs(where.query)["next"] == [f"/user/AD-1111/voila/render/module.ipynb?module={MODULE}"]
    assert lti_records.link(store, "AD-1111", MODULE).role == "manager"
    assert "Adding user AD-1111 to group(s): {'managers'}" in hub.log_text()
    # the same post again, with the state and nonce cookies that came with it: the state is used
    # up on the server (ltiauthenticator's cookies alone would let it through)
    replay = browser_like()
    for cookie in kept_cookies:
        replay.jar.set_cookie(cookie)
    before = hub.log_text().count("LTI launch refused")
    status, _headers, body = post_launch(site, replay, token, state)
    refused(body, status, 400, "could not be checked")
    log = wait_until(lambda: hub.log_text() if hub.log_text().count("LTI launch refused") > before else None, 30)
    assert "unknown or already used state" in log.split("LTI launch refused")[-1].splitlines()[0]
    # a login initiation from an LMS the hub does not know
    params = {**login_params(site, "u-1"), "iss": "https://elsewhere.example"}
    status, _headers, body = call(opener, f"{hub.url}/hub/lti13/oauth_login?{urllib.parse.urlencode(params)}")
    refused(body, status, 403, "could not be checked")
