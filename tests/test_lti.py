"""LTI 1.3 launch and grade passback (course.lti) against a platform on 127.0.0.1 (tests/support/lti_platform.py).

| case                            | what the platform does                         | proves                                  |
|---------------------------------|------------------------------------------------|-----------------------------------------|
| a learner launches              | OIDC login, signed id_token, form post         | user, role, module and line item mapped |
| an instructor / administrator   | roles claim                                    | trainer / manager roles                 |
| tampered, expired, wrong aud    | a changed payload; exp in the past; aud other  | each refused with a plain message       |
| replay                          | the same id_token posted again                 | the used state and the nonce refuse it  |
| a score                         | token by signed client assertion, AGS score    | exactly one score, the right fields     |
| the LMS down                    | 503 on the score endpoint                      | ScoreError says retry                   |
"""

from __future__ import annotations

import base64
import json
import re
import threading
import time
import urllib.request
from datetime import UTC, datetime
from html import unescape
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from course.lti import ags, launch, platforms
from course.lti.keys import tool_key
from tests.support.lti_platform import INSTRUCTOR, LEARNER, RunningPlatform, User

REDIRECT = "http://127.0.0.1:1/lti/launch"  # the tool's redirect URI: registered, never called here
ADMIN = "http://purl.imsglobal.org/vocab/lis/v2/institution/person#Administrator"


@pytest.fixture
def key(tmp_path):
    return tool_key(tmp_path)


@pytest.fixture
def tool_jwks(key):
    """The tool's JWKS on 127.0.0.1, as the course server would publish it."""
    body = json.dumps(key.jwks()).encode()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_GET(self):
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(body)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/jwks"
    server.shutdown()


@pytest.fixture
def lms(tool_jwks, tmp_path):
    with RunningPlatform(redirect_uris=[REDIRECT], tool_jwks_url=tool_jwks) as platform:
        platform.users = {
            "u-mhairi": User("moodle-user-17", "Mhairi", [LEARNER], custom={"staff_number": "ab-1234"}),
            "u-tutor": User("moodle-user-2", "Tutor", [INSTRUCTOR]),
            "u-admin": User("moodle-user-1", "Admin", [ADMIN]),
        }
        (tmp_path / "lti.json").write_text(json.dumps({"platforms": [platform.registration()]}))
        yield platform


class Sessions:
    """What the course server keeps between the two steps (one use per state)."""

    def __init__(self):
        self.kept = {}

    def remember(self, state, nonce, platform):
        self.kept[state] = (nonce, platform)

    def recall(self, state):
        return self.kept.pop(state, None)


def browser_launch(lms, registrations, sessions, login_hint, module="sharing"):
    """What a browser does: follow the login redirect, read the platform's auto-posting form."""
    target = f"http://127.0.0.1:1/voila/render/module.ipynb?module={module}"
    params = {
        "iss": lms.issuer,
        "login_hint": login_hint,
        "target_link_uri": target,
        "lti_message_hint": json.dumps({"resource": f"res-{module}", "target": target}),
        "client_id": lms.client_id,
    }
    url = launch.login_redirect(registrations, params, REDIRECT, sessions.remember)
    assert url.startswith(f"{lms.issuer}/auth?")
    page = urllib.request.urlopen(url, timeout=10).read().decode()
    fields = dict(re.findall(r'name="(id_token|state)" value="([^"]*)"', page))
    return unescape(fields["id_token"]), unescape(fields["state"])


@pytest.fixture
def registrations(lms, tmp_path):
    return platforms.load(tmp_path / "lti.json")


def test_a_learner_launch_maps_the_person_role_module_and_line_item(lms, registrations):
    sessions = Sessions()
    token, state = browser_launch(lms, registrations, sessions, "u-mhairi")
    got = launch.validate(token, state, registrations, sessions.recall)
    assert got.role == "learner" and got.name == "Mhairi" and got.subject == "moodle-user-17"
    assert got.module_id == "sharing" and got.lineitem == lms.lineitem("res-sharing")
    assert got.user_id.startswith("lti-") and len(got.user_id) == 24  # pseudonymous, stable
    again = Sessions()
    token2, state2 = browser_launch(lms, registrations, again, "u-mhairi")
    assert launch.validate(token2, state2, registrations, again.recall).user_id == got.user_id


def test_the_roster_claim_can_be_the_staff_number(lms, tmp_path):
    entry = dict(lms.registration(), user_claim="custom.staff_number")
    (tmp_path / "lti.json").write_text(json.dumps({"platforms": [entry]}))
    registrations = platforms.load(tmp_path / "lti.json")
    sessions = Sessions()
    token, state = browser_launch(lms, registrations, sessions, "u-mhairi")
    assert launch.validate(token, state, registrations, sessions.recall).user_id == "AB-1234"


@pytest.mark.parametrize(("hint", "role"), [("u-tutor", "trainer"), ("u-admin", "manager")])
def test_instructors_and_administrators_get_the_trainer_and_manager_roles(lms, registrations, hint, role):
    sessions = Sessions()
    token, state = browser_launch(lms, registrations, sessions, hint)
    assert launch.validate(token, state, registrations, sessions.recall).role == role


def _tamper(token: str) -> str:
    head, body, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    claims["https://purl.imsglobal.org/spec/lti/claim/roles"] = [ADMIN]
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    return f"{head}.{forged}.{signature}"


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ("tampered", "InvalidSignatureError"),
        ("expired", "expired id_token"),
        ("audience", "InvalidAudienceError"),
        ("deployment", "unknown deployment"),
    ],
)
def test_a_bad_id_token_is_refused_with_a_plain_message(lms, registrations, change, reason):
    sessions = Sessions()
    if change == "expired":
        lms.token_overrides = {"exp": int(time.time()) - 3600, "iat": int(time.time()) - 4000}
    elif change == "audience":
        lms.token_overrides = {"aud": "another-tool"}
    elif change == "deployment":
        lms.token_overrides = {"https://purl.imsglobal.org/spec/lti/claim/deployment_id": "99"}
    token, state = browser_launch(lms, registrations, sessions, "u-mhairi")
    if change == "tampered":
        token = _tamper(token)
    with pytest.raises(launch.LaunchError) as refused:
        launch.validate(token, state, registrations, sessions.recall)
    assert reason in refused.value.reason
    assert "Traceback" not in str(refused.value) and "open the course again" in str(refused.value)


def test_a_replayed_id_token_is_refused(lms, registrations):
    sessions = Sessions()
    token, state = browser_launch(lms, registrations, sessions, "u-mhairi")
    launch.validate(token, state, registrations, sessions.recall)
    with pytest.raises(launch.LaunchError) as used:
        launch.validate(token, state, registrations, sessions.recall)
    assert "already used state" in used.value.reason
    # with a fresh login's state, the old token's nonce is not that login's
    fresh = Sessions()
    _token, new_state = browser_launch(lms, registrations, fresh, "u-mhairi")
    with pytest.raises(launch.LaunchError) as replayed:
        launch.validate(token, new_state, registrations, fresh.recall)
    assert "nonce" in replayed.value.reason


def test_a_score_reaches_the_line_item_once_with_the_fields_ags_names(lms, registrations, key):
    platform = next(iter(registrations.values()))
    when = datetime(2026, 12, 2, 10, 30, tzinfo=UTC)
    ags.send_score(platform, key, lms.lineitem("res-final"), ags.Score("moodle-user-17", 14.0, 15.0, when))
    assert lms.scores == [
        {
            "lineitem": "res-final",
            "userId": "moodle-user-17",
            "scoreGiven": 14.0,
            "scoreMaximum": 15.0,
            "activityProgress": "Completed",
            "gradingProgress": "FullyGraded",
            "timestamp": "2026-12-02T10:30:00.000+00:00",
        }
    ]


def test_a_token_request_signed_by_another_key_is_refused(lms, registrations, tmp_path):
    platform = next(iter(registrations.values()))
    stranger = tool_key(tmp_path / "other")
    with pytest.raises(ags.ScoreError) as refused:
        ags.send_score(platform, stranger, lms.lineitem("res-final"), ags.Score("x", 1, 1, datetime.now(UTC)))
    assert not refused.value.retry and lms.scores == []


def test_the_lms_being_down_is_a_retry(lms, registrations, key):
    lms.down = True
    platform = next(iter(registrations.values()))
    with pytest.raises(ags.ScoreError) as down:
        ags.send_score(platform, key, lms.lineitem("res-final"), ags.Score("x", 1, 1, datetime.now(UTC)))
    assert down.value.retry and lms.scores == []


def test_the_tool_key_is_private_on_disk_and_stable(tmp_path):
    first, second = tool_key(tmp_path), tool_key(tmp_path)
    assert first.kid == second.kid
    assert (tmp_path / "lti-tool-key.pem").stat().st_mode & 0o077 == 0
    assert set(first.jwks()["keys"][0]) >= {"kty", "n", "e", "kid", "alg", "use"}
