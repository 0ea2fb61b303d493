"""The hub's shared mode, for real, on 127.0.0.1: no server per learner, one course service.

deploy/jupyterhub_config.py with COURSE_HUB_MODE=shared (tests/support/hub.py, as
tests/test_hub.py starts it: PostgreSQL, configurable-http-proxy, DummyAuthenticator). Two
learners log in through the hub's login form in headless Chromium and land on the course home
of the course service (`/services/course/`, course.hub.service) as themselves, with the hub's
OAuth and no course sign-in; each answers a scenario. The hub has spawned no single-user server
(its REST API). A browser that sends the identity header itself still sees its own name (the
server overwrites it), and one learner cannot open the other's kernel websocket (the page
secret binds it). Prints the memory of the service and its kernels beside issue 19's per-user
figure; asserts nothing timed.

Skipped, with the reason, when PostgreSQL, configurable-http-proxy or Chromium cannot run here.
Select with `-m hub`.
"""

from __future__ import annotations

import json
import os
import time
import urllib.error
import urllib.request

import pytest

from course.content.model import load_course
from course.records.identity import HUB_USER_HEADER

from .support.hub import hub_databases, hub_server, log_in, service_memory
from .support.servers import ARTIFACTS, chromium, http_get, page_kernel_id, wait_until

pytestmark = [pytest.mark.hub, pytest.mark.browser, pytest.mark.slow, pytest.mark.timeout(600)]

MODULE = "why"
LEARNERS = ("learner-ann", "learner-bo")
TIMEOUT = 180_000  # ms: a fresh Voila kernel on a busy 2-core machine
TOKEN = "test-" + os.urandom(16).hex()
# the test's own hub service: reads users and their servers through the hub's REST API
SITE_CONFIG = f"""c = get_config()  # noqa: F821
c.JupyterHub.services.append({{"name": "shared-test", "api_token": {TOKEN!r}}})
c.JupyterHub.load_roles.append({{"name": "shared-test", "services": ["shared-test"],
                                "scopes": ["list:users", "read:users", "read:servers", "servers", "list:services", "read:services"]}})
"""
BASELINE: list = []  # (service MB, ready kernels, their MB) before anyone logs in: the hub fixture
PER_USER_MB = 333  # issue 19, measured with benchmarks/hub.py: single-user server 176 MB + kernel 158 MB


def hub_api(hub, path: str, method: str = "GET"):
    request = urllib.request.Request(
        f"{hub.url}/hub/api{path}", method=method, headers={"Authorization": f"token {TOKEN}"}
    )
    with urllib.request.urlopen(request, timeout=60) as response:
        text = response.read().decode()
        return json.loads(text) if text else None


@pytest.fixture(scope="module")
def hub(tmp_path_factory, request):
    records, gradebook = hub_databases(request, "shared")
    work = tmp_path_factory.mktemp("hub-shared")
    site = work / "site_config.py"
    site.write_text(SITE_CONFIG)
    # one ready kernel per page type: enough for two learners, and the memory figure stays small
    extra = {"COURSE_HUB_SITE_CONFIG": str(site), "COURSE_HUB_POOL_SIZE": "1"}
    with hub_server(work, records, gradebook, modules=[MODULE], mode="shared", extra_env=extra) as running:
        # the hub answers /hub/health before the proxy routes to it: it first waits for the service
        try:
            wait_until(lambda: http_get(f"{running.url}/hub/login")[0] == 200, timeout=180)
        except AssertionError as exc:
            raise AssertionError(f"the hub never routed its login page; log:\n{running.log_text()[-6000:]}") from exc
        time.sleep(5)  # the ready kernels have started
        BASELINE[:] = service_memory(running)
        yield running


@pytest.fixture(scope="module")
def browser(hub):
    with chromium() as b:
        yield b


@pytest.fixture(scope="module")
def sessions(hub, browser):
    """Both learners log in through the hub; yields their pages, on the course service's home."""
    pages = {}
    for user in LEARNERS:
        pages[user] = log_in(browser.new_context(viewport={"width": 1280, "height": 800}), hub.url, user, TIMEOUT)
    for user, page in pages.items():
        try:
            page.get_by_role("heading", name=f"Hello, {user}").wait_for()
        except Exception as exc:
            ARTIFACTS.mkdir(exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / f"hub-shared-{user}-home.png"))
            raise AssertionError(
                f"{user} never reached the course home ({page.url}); hub log:\n{hub.log_text()[-6000:]}"
            ) from exc
    yield pages
    for page in pages.values():
        page.context.close()


def answer_first_scenario(page, module) -> None:
    page.get_by_role("link", name=f"Start: {module.title}").click()
    page.get_by_role("heading", name=module.title, level=1).wait_for()
    page.wait_for_function("""() => [...document.querySelectorAll('button')].some(
        b => b.textContent.trim() === 'Start' && !b.disabled)""")
    page.get_by_role("button", name="Start", exact=True).click()
    page.locator(".cm-card__title").first.wait_for()
    title = page.locator(".cm-card__title").first.text_content().strip()
    scenario = next(s for s in module.scenarios if s.title == title)
    best = max(scenario.choices, key=lambda c: c.score)
    page.get_by_role("radio", name=best.text).check()
    page.wait_for_function("""() => [...document.querySelectorAll('button')].some(
        b => b.textContent.trim() === 'Check my answer' && !b.disabled && b.offsetParent !== null)""")
    page.get_by_role("button", name="Check my answer").click()
    page.locator(".cm-feedback").first.wait_for()


def test_each_learner_lands_on_the_course_service_as_themselves(hub, sessions):
    for user, page in sessions.items():
        assert page.url.startswith(f"{hub.url}/services/course/voila/render/home.ipynb"), page.url
        other = next(u for u in LEARNERS if u != user)
        assert page.get_by_text(other).count() == 0  # nobody else's name on the page
        assert page.get_by_text("Sign in").count() == 0  # the hub signed them in: no course sign-in


def test_each_learner_answers_a_scenario_on_the_shared_server(hub, sessions):
    module = load_course().module(MODULE)
    for user, page in sessions.items():
        try:
            answer_first_scenario(page, module)
        except Exception:
            ARTIFACTS.mkdir(exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / f"hub-shared-{user}-answer.png"), full_page=True)
            raise
    # the answers are in the records store under each hub user
    from sqlalchemy import create_engine, text

    engine = create_engine(hub.env["COURSE_DB_URL"])
    with engine.connect() as conn:
        learners = {row[0] for row in conn.execute(text("SELECT learner_id FROM decisions"))}
    engine.dispose()
    assert set(LEARNERS) <= learners


def test_a_learner_downloads_their_own_record_with_the_hubs_sign_in(hub, sessions, browser):
    # the shared server's pages give no download ticket: the hub's sign-in of the request says who
    response = sessions["learner-ann"].request.get(f"{hub.url}/services/course/download/learning-record.csv")
    assert response.status == 200, response.text()[:300]
    assert "learner-ann" in response.text() and "learner-bo" not in response.text()
    # without the hub's sign-in (a fresh browser): sent to the hub, never a file
    stranger = browser.new_context()
    try:
        response = stranger.request.get(f"{hub.url}/services/course/download/learning-record.csv", max_redirects=0)
        assert response.status in (302, 303) and "/hub/" in response.headers["location"]
    finally:
        stranger.close()


def test_the_hub_spawned_no_single_user_server(hub, sessions):
    users = {u["name"]: u for u in hub_api(hub, "/users")}
    assert set(LEARNERS) <= set(users)  # they are the hub's users...
    for user in LEARNERS:
        assert users[user]["servers"] == {}, users[user]  # ...with no server of their own
    services = hub_api(hub, "/services")
    assert "course" in services


def test_a_learner_is_refused_a_server_of_their_own(hub, sessions):
    # through the hub's REST API (what /hub/home's Start button asks for): the spawn is refused
    try:
        hub_api(hub, "/users/learner-bo/server", method="POST")
    except urllib.error.HTTPError as exc:
        assert exc.code >= 400
    time.sleep(5)  # a spawn that was not refused would be on its way by now
    assert hub_api(hub, "/users/learner-bo")["servers"] == {}


def test_a_forged_identity_header_does_not_change_who_the_page_is_for(hub, sessions):
    page = sessions["learner-ann"]
    page.context.set_extra_http_headers({HUB_USER_HEADER: "learner-bo"})
    try:
        page.goto(f"{hub.url}/services/course/", wait_until="domcontentloaded")
        page.get_by_role("heading", name="Hello, learner-ann").wait_for()
        assert page.get_by_text("learner-bo").count() == 0
    finally:
        page.context.set_extra_http_headers({})


def test_one_learner_cannot_open_another_learners_kernel(hub, sessions):
    ann, bo = sessions["learner-ann"], sessions["learner-bo"]
    ann.goto(f"{hub.url}/services/course/", wait_until="domcontentloaded")
    ann.get_by_role("heading", name="Hello, learner-ann").wait_for()
    kernel = page_kernel_id(ann)
    opens = """async (kernel) => {
        const url = location.origin.replace('http', 'ws') + '/services/course/api/kernels/' + kernel + '/channels';
        return await new Promise((resolve) => {
            const socket = new WebSocket(url);
            socket.onopen = () => { socket.close(); resolve(true); };
            socket.onerror = () => resolve(false);
        });
    }"""
    assert ann.evaluate(opens, kernel) is True  # her own page's kernel: the page secret is hers
    assert bo.evaluate(opens, kernel) is False  # signed in to the same server, but not her page


def test_memory_of_the_shared_service_for_two_learners(hub, sessions):
    """What two learners add to the service (its kernels and its own growth), beside issue 19's
    per-user figure; the ready kernels the service keeps before anyone comes are the baseline."""
    time.sleep(2)  # the pages have settled
    server_mb, kernels, kernels_mb = service_memory(hub)
    before_server, before_kernels, before_mb = BASELINE
    added = (server_mb + kernels_mb - before_server - before_mb) / len(LEARNERS)
    print(
        f"\nshared mode, before anyone logged in: course service {before_server:.0f} MB + {before_kernels} ready "
        f"kernels {before_mb:.0f} MB; with {len(LEARNERS)} learners on pages: {server_mb:.0f} MB + {kernels} kernels "
        f"{kernels_mb:.0f} MB; added per learner {added:.0f} MB. Per-user mode (issue 19): {PER_USER_MB} MB per learner"
    )
    assert kernels >= before_kernels  # the learners' pages run on the service's kernels (the pools refill)


# --- the one identity rule, both modes (no servers needed) ----------------------------------------


def test_the_hub_user_rule_reads_the_server_set_header_only_in_shared_mode(monkeypatch):
    from course.records import identity

    monkeypatch.setenv("SERVER_SOFTWARE", "voila/0.5.13")  # inside a Voila page's kernel
    monkeypatch.setenv("QUERY_STRING", "")  # its page's request has come
    monkeypatch.delenv("VOILA_PREHEAT", raising=False)
    monkeypatch.setenv(identity.HUB_USER_ENV, "learner-ann")
    monkeypatch.setenv("JUPYTERHUB_USER", "the-server-owner")
    monkeypatch.delenv("COURSE_HUB_MODE", raising=False)
    assert identity.hub_user() == "the-server-owner"  # per-user: the server's owner, never a header
    monkeypatch.setenv("COURSE_HUB_MODE", "shared")
    assert identity.hub_user() == "learner-ann"  # shared: the page request's hub user
    monkeypatch.setenv(identity.HUB_USER_ENV, "")
    assert identity.hub_user() is None  # no hub user on the request: nobody (the course sign-in applies)
    monkeypatch.setenv("COURSE_HUB_MODE", "one-each")
    with pytest.raises(ValueError, match="COURSE_HUB_MODE must be 'per-user' or 'shared'"):
        identity.hub_user()
