"""LTI 1.3 wired into the real course server, and the AGS outbox (issue 18).

A test LMS (tests/support/lti_platform.py, to the LTI 1.3 specification) launches people into a
real `course serve` on 127.0.0.1 over HTTP: login initiation -> its auth endpoint -> the form
post of the signed id_token to /lti/launch. No browser is needed for these; the whole journey in
Chromium, with the marker sending the mark back, is in tests/test_lti_browser.py.

| case                                        | proves                                                   |
|---------------------------------------------|----------------------------------------------------------|
| a learner launches into a module            | 303 to module.ipynb with a real session token; "lti"     |
| the staff number claim and a staff list     | the roster's person; someone not on it is refused (403)  |
| an instructor                               | trainer granted                                          |
| an administrator                            | 303 to /dashboard/ with a dashboard session cookie       |
|                                             | (HttpOnly, Lax, /dashboard), which is no learner sign-in |
| tampered, expired, wrong audience, unknown  | each a plain page, 400/403, one log line, no person      |
|   deployment, replayed state, replayed nonce|                                                          |
| the outbox: a mark of record                | one row per attempt; LMS down -> retry with backoff;     |
|                                             | up -> delivered once; 4xx -> failed, not retried         |
"""

from __future__ import annotations

import base64
import json
import logging
import re
import time
import urllib.error
import urllib.parse
import urllib.request
from datetime import timedelta
from html import unescape

import pytest

from course.lti import outbox, platforms
from course.lti.keys import tool_key
from course.records import grading_log, identity, roster, signin_tokens, trainers
from course.records import lti as lti_records
from course.records.store import Store, now
from course.records.tables import lti_logins

from .support.lti_platform import INSTRUCTOR, LEARNER, RunningPlatform, User
from .support.servers import course_server

ADMIN = "http://purl.imsglobal.org/vocab/lis/v2/institution/person#Administrator"
CLAIM = "https://purl.imsglobal.org/spec/lti/claim/"
NAMES = ("Mhairi Campbell", "Tam Reid", "Ailsa Grant")  # invented people (course/data/cast.yaml's style)


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


OPENER = urllib.request.build_opener(NoRedirect)


def call(url: str, form: dict | None = None):
    """(status, headers, body), never following a redirect."""
    data = urllib.parse.urlencode(form).encode() if form is not None else None
    try:
        with OPENER.open(urllib.request.Request(url, data=data), timeout=60) as response:
            return response.status, response.headers, response.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers, exc.read().decode("utf-8", "replace")


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    data = tmp_path_factory.mktemp("lti-server")
    registrations = data / "lti.json"
    with RunningPlatform() as lms:
        registrations.write_text(json.dumps({"platforms": [lms.registration()]}))
        env = {
            "COURSE_DATA_DIR": str(data / "var"),
            "COURSE_DB_URL": "",
            "COURSE_LTI_PLATFORMS": str(registrations),
        }
        log = data / "voila.log"
        with course_server(env, log, ready="/lti/jwks") as base:
            lms.redirect_uris = [f"{base}/lti/launch"]
            lms.tool_jwks_url = f"{base}/lti/jwks"
            lms.users = {
                "u-learner": User("moodle-17", NAMES[0], [LEARNER], custom={"staff_number": "ab-1234"}),
                "u-tutor": User("moodle-2", NAMES[1], [INSTRUCTOR], custom={"staff_number": "tu-2222"}),
                "u-admin": User("moodle-1", NAMES[2], [ADMIN], custom={"staff_number": "ad-1111"}),
            }
            yield {
                "base": base,
                "lms": lms,
                "log": log,
                "registrations": registrations,
                "db": f"sqlite:///{data / 'var' / 'records.db'}",
                "var": data / "var",
            }


@pytest.fixture
def lms(site):
    platform = site["lms"]
    platform.token_overrides = {}
    yield platform
    platform.token_overrides = {}
    site["registrations"].write_text(json.dumps({"platforms": [platform.registration()]}))


@pytest.fixture
def store(site):
    return Store(site["db"])


def login(site, hint: str, module: str = "why", resource: str | None = None) -> tuple[str, str]:
    """The LMS's login initiation, then its auth endpoint: the (id_token, state) its form would post."""
    lms = site["lms"]
    target = f"{site['base']}/voila/render/module.ipynb?module={module}"
    params = {
        "iss": lms.issuer,
        "login_hint": hint,
        "target_link_uri": target,
        "lti_message_hint": json.dumps({"resource": resource or f"res-{module}", "target": target}),
        "client_id": lms.client_id,
    }
    status, headers, _body = call(f"{site['base']}/lti/login?{urllib.parse.urlencode(params)}")
    assert status == 302, status
    where = headers["Location"]
    assert where.startswith(f"{lms.issuer}/auth?")
    sent = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(where).query))
    assert sent["redirect_uri"] == f"{site['base']}/lti/launch" and sent["response_mode"] == "form_post"
    status, _headers, page = call(where)
    assert status == 200, page
    fields = dict(re.findall(r'name="(id_token|state)" value="([^"]*)"', page))
    return unescape(fields["id_token"]), unescape(fields["state"])


def post_launch(site, token: str, state: str):
    return call(f"{site['base']}/lti/launch", {"id_token": token, "state": state})


def use_claim(site, claim: str) -> None:
    entry = dict(site["lms"].registration(), user_claim=claim)
    site["registrations"].write_text(json.dumps({"platforms": [entry]}))


# --- launches ---------------------------------------------------------------------------------------


def test_a_learner_launch_opens_the_module_signed_in_as_the_lms_user(site, lms, store):
    token, state = login(site, "u-learner", "why")
    status, headers, _body = post_launch(site, token, state)
    assert status == 303
    where = urllib.parse.urlsplit(headers["Location"])
    assert where.path == "/voila/render/module.ipynb"
    query = dict(urllib.parse.parse_qsl(where.query))
    assert query["module"] == "why"
    learner = signin_tokens.learner_for(store, query["token"])  # a real session, as the home's sign-in gives
    assert learner is not None and learner.startswith("lti-")  # the default claim: the LMS's sub, pseudonymised
    row = store.learner(learner)
    assert row["identity"] == identity.LTI and row["name"] == NAMES[0]
    link = lti_records.link(store, learner, "why")
    assert link.subject == "moodle-17" and link.lineitem == lms.lineitem("res-why") and link.role == "learner"
    # the module page opens with that address (the page itself is Chromium's, in test_lti_browser.py)
    assert call(headers["Location"] if "://" in headers["Location"] else site["base"] + headers["Location"])[0] == 200


def test_a_link_without_a_known_module_opens_the_home(site, lms, store):
    token, state = login(site, "u-learner", "no-such-module")
    status, headers, _body = post_launch(site, token, state)
    assert status == 303 and urllib.parse.urlsplit(headers["Location"]).path == "/voila/render/home.ipynb"


def test_the_staff_number_claim_maps_to_the_staff_list(site, lms, store, tmp_path):
    use_claim(site, "custom.staff_number")
    roster_file = tmp_path / "staff.csv"
    roster_file.write_text("staff_number,name,team\nAB-1234,Mhairi Campbell,Home care north\n")
    roster.import_csv(store, roster_file)
    try:
        token, state = login(site, "u-learner", "why")
        status, headers, _body = post_launch(site, token, state)
        assert status == 303
        token_in_url = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(headers["Location"]).query))["token"]
        learner = signin_tokens.learner_for(store, token_in_url)
        assert learner == roster.person(store, "AB-1234")["learner_id"]
        assert store.learner(learner)["identity"] == identity.LTI
        # someone the LMS knows but the staff list does not: a plain refusal
        token, state = login(site, "u-tutor", "why")
        status, _headers, page = post_launch(site, token, state)
        assert status == 403 and "staff list" in page and "Traceback" not in page
    finally:
        from course.records.tables import staff

        store._write(staff.delete())


def test_an_instructor_becomes_a_trainer(site, lms, store):
    token, state = login(site, "u-tutor", "why")
    status, headers, _body = post_launch(site, token, state)
    assert status == 303
    learner = signin_tokens.learner_for(
        store, dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(headers["Location"]).query))["token"]
    )
    assert lti_records.link(store, learner, "why").role == "trainer"
    assert trainers.is_trainer(store, learner)


def test_an_administrator_goes_to_the_dashboard_with_a_dashboard_session_only(site, lms, store):
    token, state = login(site, "u-admin", "why")
    status, headers, _body = post_launch(site, token, state)
    assert status == 303 and headers["Location"] == "/dashboard/"  # no token in the address
    cookie = next(c for c in headers.get_all("Set-Cookie") if c.startswith("course-manager="))
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Path=/dashboard;" in cookie + ";"
    session = cookie.split(";")[0].split("=", 1)[1]
    manager = signin_tokens.learner_for(store, session, purpose=signin_tokens.DASHBOARD)
    assert manager and lti_records.link(store, manager, "why").role == "manager"
    assert not trainers.is_trainer(store, manager)
    # the dashboard session signs nobody in to the learner pages
    assert signin_tokens.learner_for(store, session) is None


def test_the_jwks_is_the_tools_public_key_only(site):
    status, headers, body = call(f"{site['base']}/lti/jwks")
    keys = json.loads(body)["keys"]
    assert status == 200 and headers["Content-Type"].startswith("application/json")
    assert keys == tool_key(site["var"]).jwks()["keys"]
    assert not {"d", "p", "q", "dp", "dq", "qi"} & set(keys[0])  # no private part


# --- refusals ------------------------------------------------------------------------------------------


def _tamper(token: str) -> str:
    head, body, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    claims[CLAIM + "roles"] = [ADMIN]
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    return f"{head}.{forged}.{signature}"


@pytest.mark.parametrize(
    ("change", "status", "reason"),
    [
        ("tampered", 400, "InvalidSignatureError"),
        ("expired", 400, "expired id_token"),
        ("audience", 400, "InvalidAudienceError"),
        ("deployment", 403, "unknown deployment"),
        ("state", 400, "unknown or already used state"),
        ("nonce", 400, "nonce does not match"),
    ],
)
def test_a_bad_launch_gets_a_plain_page_and_one_log_line(site, lms, store, change, status, reason):
    if change == "expired":
        lms.token_overrides = {"exp": int(time.time()) - 3600, "iat": int(time.time()) - 4000}
    elif change == "audience":
        lms.token_overrides = {"aud": "another-tool"}
    elif change == "deployment":
        lms.token_overrides = {CLAIM + "deployment_id": "99"}
    token, state = login(site, "u-learner", "why")
    if change == "tampered":
        token = _tamper(token)
    if change == "state":  # the same form posted twice: the state was used up by the first
        assert post_launch(site, token, state)[0] == 303
    if change == "nonce":  # an old id_token with a fresh login's state
        assert post_launch(site, token, state)[0] == 303
        _fresh_token, state = login(site, "u-learner", "why")
    before = site["log"].read_text()
    got, headers, page = post_launch(site, token, state)
    assert got == status
    assert "Location" not in headers and "token=" not in page
    assert "The course could not be opened" in page and "open the course again" in page
    assert "Traceback" not in page and "Error" not in page.split("<body", 1)[1].replace("Error code", "")
    new_lines = site["log"].read_text()[len(before) :]
    [line] = [n for n in new_lines.splitlines() if "LTI launch refused" in n]
    assert f"LTI launch refused ({status}): " in line and reason in line


def test_a_used_state_row_is_gone_and_an_old_one_expires(site, lms, store):
    _token, state = login(site, "u-learner", "why")
    assert lti_records.recall(store, state, at=now() + timedelta(minutes=11)) is None  # too late (and used up)
    assert lti_records.recall(store, state) is None  # used up
    assert not [r for r in store._read(lti_logins.select()) if r.expires_at is None]


def test_the_server_log_names_nobody(site):
    text = site["log"].read_text()
    assert "LTI launch accepted" in text and "LTI launch refused" in text
    for secret in (*NAMES, "AB-1234", "ab-1234", "moodle-17", "moodle-2", "u-learner", "token="):
        assert secret not in text, secret


def test_without_registrations_the_routes_say_so(site, lms):
    site["registrations"].write_text(json.dumps({"platforms": []}))
    status, _headers, page = call(f"{site['base']}/lti/login?iss=x&login_hint=y&target_link_uri=z")
    assert status == 404 and "not set up for your learning system" in page


# --- the outbox (a store and the platform; no course server needed) -----------------------------------


@pytest.fixture
def outbox_lms(tmp_path, monkeypatch):
    """A platform that knows the tool's key (served from a JWKS endpoint of its own), a store, a registration."""
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
    from threading import Thread

    monkeypatch.setenv("COURSE_DATA_DIR", str(tmp_path / "var"))
    key = tool_key(tmp_path / "var")
    body = json.dumps(key.jwks()).encode()

    class Jwks(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_GET(self):
            self.send_response(200)
            self.end_headers()
            self.wfile.write(body)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Jwks)
    Thread(target=server.serve_forever, daemon=True).start()
    with RunningPlatform(tool_jwks_url=f"http://127.0.0.1:{server.server_address[1]}/") as platform:
        (tmp_path / "lti.json").write_text(json.dumps({"platforms": [platform.registration()]}))
        monkeypatch.setenv("COURSE_LTI_PLATFORMS", str(tmp_path / "lti.json"))
        yield platform, Store(f"sqlite:///{tmp_path / 'records.db'}"), key
    server.shutdown()


def launched_and_finished(store, platform, learner="lti-0123456789abcdef0123", module="why"):
    store.ensure_learner(learner, name=NAMES[0], identity=identity.LTI)
    lti_records.record_launch(
        store,
        learner,
        module,
        issuer=platform.issuer,
        client_id=platform.client_id,
        subject="moodle-17",
        lineitem=platform.lineitem(f"res-{module}"),
        role="learner",
    )
    attempt = store.current_attempt(learner, module, "v-test")
    store.finish_attempt(learner, module, attempt)
    return learner


def test_a_mark_of_record_is_queued_once_per_attempt_and_delivered_once(outbox_lms, caplog):
    platform, store, _key = outbox_lms
    learner = launched_and_finished(store, platform)
    grading_log.record(store, learner, "why", "f1", "graded", score=4.0, max_score=5.0)
    grading_log.record(store, learner, "why", "f1", "graded", score=4.0, max_score=5.0)  # marked again
    [row] = lti_records.rows(store)
    assert (row.status, row.attempt, row.score_given, row.score_maximum) == ("pending", 1, 4.0, 5.0)
    with caplog.at_level(logging.INFO, logger="course.lti"):
        done = outbox.send_due(store)
        assert done.sent == [row.id] and outbox.send_due(store, at=now() + timedelta(days=1)).sent == []
    [score] = platform.scores
    assert score["userId"] == "moodle-17" and score["lineitem"] == "res-why"
    assert (score["scoreGiven"], score["scoreMaximum"]) == (4.0, 5.0)
    assert (score["activityProgress"], score["gradingProgress"]) == ("Completed", "FullyGraded")
    assert abs((now() - _parse(score["timestamp"])).total_seconds()) < 60
    assert score["comment"].startswith(("Passed", "Not passed"))
    assert lti_records.rows(store)[0].status == "sent"
    for secret in (learner, "moodle-17", NAMES[0]):
        assert secret not in caplog.text


def _parse(text: str):
    from datetime import datetime

    return datetime.fromisoformat(text)


def test_not_graded_or_not_launched_queues_nothing(outbox_lms):
    platform, store, _key = outbox_lms
    learner = launched_and_finished(store, platform)
    grading_log.record(store, learner, "why", "f1", "not graded", message="no submission")
    grading_log.record(store, "someone-else", "why", "f1", "graded", score=1.0, max_score=5.0)
    assert lti_records.rows(store) == []


def test_a_mark_waiting_for_review_waits_and_the_reviewed_mark_goes(outbox_lms):
    """nbgrader flags a mark for a person to review: the LMS gets the reviewed mark, once, not the first."""
    platform, store, _key = outbox_lms
    learner = launched_and_finished(store, platform)
    grading_log.record(store, learner, "why", "f1", "graded", score=1.0, max_score=5.0, needs_review=True)
    assert lti_records.rows(store) == []
    grading_log.record(store, learner, "why", "f1", "graded", score=4.0, max_score=5.0)  # reviewed
    [row] = lti_records.rows(store)
    assert (row.score_given, row.grading_progress) == (4.0, "FullyGraded")
    assert outbox.send_due(store).sent == [row.id]
    assert [s["scoreGiven"] for s in platform.scores] == [4.0]


def test_the_lms_down_then_up_gets_the_mark_once_after_a_backoff(outbox_lms, caplog):
    platform, store, _key = outbox_lms
    learner = launched_and_finished(store, platform)
    grading_log.record(store, learner, "why", "f1", "graded", score=5.0, max_score=5.0)
    platform.down = True
    with caplog.at_level(logging.INFO, logger="course.lti"):
        first = outbox.send_due(store)
        [row] = lti_records.rows(store)
        assert first.retrying == [row.id] and row.status == "pending" and row.tries == 1
        assert "503" in row.message and row.next_try_at is not None
        assert outbox.send_due(store).retrying == []  # not before its next try
        assert outbox.send_due(store, at=now() + timedelta(minutes=2)).retrying == [row.id]  # still down
        assert lti_records.rows(store)[0].tries == 2
        platform.down = False
        # the second failure (tried at +2 minutes) waits twice as long: 2 minutes, until +4
        assert outbox.send_due(store, at=now() + timedelta(minutes=3)).sent == []
        assert outbox.send_due(store, at=now() + timedelta(minutes=5)).sent == [row.id]
        assert outbox.send_due(store, at=now() + timedelta(days=1)).sent == []
    assert len(platform.scores) == 1
    assert f"LTI mark {row.id} not delivered" in caplog.text and f"LTI mark {row.id} delivered" in caplog.text
    for secret in (learner, "moodle-17", NAMES[0]):
        assert secret not in caplog.text


def test_a_closed_lms_port_is_a_retry_and_a_refusal_is_not(outbox_lms, tmp_path, caplog):
    platform, store, _key = outbox_lms
    learner = launched_and_finished(store, platform)
    grading_log.record(store, learner, "why", "f1", "graded", score=3.0, max_score=5.0)
    [row] = lti_records.rows(store)
    gone = {k: platforms.Platform(**{**vars(p), "token_url": "http://127.0.0.1:9/token"}) for k, p in _known().items()}
    assert outbox.send_due(store, gone).retrying == [row.id]  # connection refused: try later
    stranger = tool_key(tmp_path / "stranger")  # the LMS refuses a key it does not know: 401
    with caplog.at_level(logging.ERROR, logger="course.lti"):
        assert outbox.send_due(store, key=stranger, at=now() + timedelta(hours=1)).failed == [row.id]
    assert lti_records.rows(store)[0].status == "failed" and "401" in lti_records.rows(store)[0].message
    assert f"LTI mark {row.id} refused by the LMS" in caplog.text
    assert outbox.send_due(store, at=now() + timedelta(days=1)).sent == [] and platform.scores == []


def _known():
    return outbox.registrations()


def test_lti_status_and_send_commands(outbox_lms):
    from click.testing import CliRunner

    from course.cli import main

    platform, store, _key = outbox_lms
    learner = launched_and_finished(store, platform)
    grading_log.record(store, learner, "why", "f1", "graded", score=2.0, max_score=5.0)
    runner = CliRunner()
    env = {"COURSE_DB_URL": store.url}
    sent = runner.invoke(main, ["lti", "send"], env=env)
    assert sent.exit_code == 0 and "Sent 1" in sent.output and len(platform.scores) == 1
    shown = runner.invoke(main, ["lti", "status"], env={**env, "COLUMNS": "200"})
    assert shown.exit_code == 0 and "sent" in shown.output and learner not in shown.output


def test_the_purge_takes_old_launches_and_sent_marks_but_not_a_waiting_one(outbox_lms, tmp_path):
    from sqlalchemy import update

    from course.manager import privacy
    from course.records.tables import lti_links, lti_outbox

    platform, store, _key = outbox_lms
    learner = launched_and_finished(store, platform)
    grading_log.record(store, learner, "why", "f1", "graded", score=2.0, max_score=5.0)
    other = launched_and_finished(store, platform, learner="lti-99999999999999999999", module="sharing")
    grading_log.record(store, other, "sharing", "f2", "graded", score=2.0, max_score=5.0)
    assert outbox.send_due(store).sent  # both sent...
    sent_id = lti_records.rows(store)[0].id
    store._write(update(lti_outbox).where(lti_outbox.c.id != sent_id).values(status="pending"))  # ...one waits again
    long_ago = now() - timedelta(days=3650)
    store._write(update(lti_outbox).values(timestamp=long_ago))
    store._write(update(lti_links).values(launched_at=long_ago))
    (tmp_path / "grading").mkdir(exist_ok=True)
    removed = privacy.purge(store, (now() - timedelta(days=365)).date(), root=tmp_path / "grading").removed
    assert removed["launches from a learning system"] == 2 and removed["marks for a learning system"] == 1
    assert [r.status for r in lti_records.rows(store)] == ["pending"]  # a mark still owed to the LMS stays
