"""Open Badges 3.0 (issue 18, the badge): the certificate as a signed credential the learner keeps.

The badge validates against the vendored 1EdTech schema; its signature checks with the public key
a real `course serve` publishes over HTTP; a changed claim, another key or a broken schema fails;
a revoked certificate's badge fails; the download is the signed-in learner's own only; nothing
personal is in the badge in clear or in the server's log.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import urllib.error
import urllib.parse
import urllib.request
import uuid

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from course import badges
from course.app import downloads
from course.badges import credential as cred
from course.badges import sign
from course.manager import certificates
from course.records import certificate_revocations, identity
from course.records.store import Store

from .support.servers import CHROMIUM, axe_violations, chromium, course_server, http_get

KEY = "badge-test-key-0123456789abcdef"
PUBLIC = "https://learning.example.org/"


def facts(learner: str, name: str, day: str = "2026-11-20") -> dict:
    return {
        "learner_id": learner,
        "staff_number": learner,
        "name": name,
        "completed_on": day,
        "policy_version": "2025-09",
        "modules": [
            {
                "id": "why",
                "title": "Why it matters",
                "passed_on": "2026-11-18",
                "score": 3.0,
                "max_score": 3.0,
                "attended": False,
            },
            {
                "id": "privacy",
                "title": "Keeping information private",
                "passed_on": day,
                "score": 4.0,
                "max_score": 5.0,
                "attended": True,
            },
        ],
        "score": 7.0,
        "max_score": 8.0,
        "minutes": 40,
        "identity": identity.SELF_DECLARED,
    }


def payload_of(token: str) -> dict:
    return jwt.decode(token, options={"verify_signature": False})


def reencode(token: str, change) -> str:
    """The same header and signature over a changed payload: what a forger who edits one claim gets."""
    head, body, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    change(claims)
    raw = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    return f"{head}.{raw}.{signature}"


@pytest.fixture
def env(tmp_path, monkeypatch):
    monkeypatch.setenv("COURSE_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("COURSE_DB_URL", f"sqlite:///{tmp_path / 'var' / 'records.db'}")
    monkeypatch.setenv("COURSE_SECRET_KEY", KEY)
    monkeypatch.setenv("COURSE_PUBLIC_URL", PUBLIC)
    (tmp_path / "var").mkdir()
    store = Store()
    amy = certificates.record(store, [facts("40123", "Amy Reid")])[0]["certificate_id"]
    ben = certificates.record(store, [facts("40456", "Ben Okafor")])[0]["certificate_id"]
    return {"store": store, "amy": amy, "ben": ben, "var": tmp_path / "var"}


# --- the credential -----------------------------------------------------------------------------------
def test_the_badge_validates_against_the_vendored_1edtech_schema(env):
    token = badges.badge_for(env["store"], "40123").token
    credential = {k: v for k, v in payload_of(token).items() if k not in sign.JWT_CLAIMS}
    assert cred.schema_problems(credential) == []
    # the vendored file really is 1EdTech's AchievementCredential schema, and it is really applied
    schema = json.loads((cred.SCHEMA_DIR / cred.CREDENTIAL_SCHEMA).read_text())
    assert schema["$id"] == cred.SCHEMA_ID and "AchievementSubject" in schema["$defs"]
    broken = {**credential, "type": ["VerifiableCredential"]}
    assert cred.schema_problems(broken)
    no_criteria = json.loads(json.dumps(credential))
    del no_criteria["credentialSubject"]["achievement"]["criteria"]
    assert any("criteria" in p for p in cred.schema_problems(no_criteria))


def test_the_badge_carries_the_achievement_criteria_modules_dates_and_certificate_id(env):
    p = payload_of(badges.badge_for(env["store"], "40123").token)
    assert p["type"] == ["VerifiableCredential", "OpenBadgeCredential"]
    assert p["@context"][0] == "https://www.w3.org/ns/credentials/v2"
    assert p["issuer"]["id"] == PUBLIC + "badges/issuer.json" and p["issuer"]["name"] == "Your employer"
    achievement = p["credentialSubject"]["achievement"]
    assert achievement["version"] == "2025-09" and "2025-09" in achievement["criteria"]["narrative"]
    assert "Why it matters" in achievement["criteria"]["narrative"]
    evidence = " ".join(json.dumps(e) for e in p["evidence"])
    assert "Passed on 2026-11-18" in evidence and "Keeping information private" in evidence
    assert p["evidence"][0]["id"] == f"{PUBLIC}verify?id={env['amy']}"
    assert cred.certificate_id(p) == env["amy"]
    issued = certificates.get(env["store"], env["amy"])["issued_at"]
    assert p["validFrom"].startswith(str(issued)[:10]) and p["credentialSubject"]["activityEndDate"].startswith(
        "2026-11-20"
    )
    # the JWT claims OB 3.0 requires, matching the credential
    assert p["iss"] == p["issuer"]["id"] and p["jti"] == p["id"] and p["sub"] == p["credentialSubject"]["id"]


def test_no_staff_number_or_name_in_clear_unless_the_learner_chooses(env):
    token = badges.badge_for(env["store"], "40123").token
    text = json.dumps(payload_of(token))
    assert "40123" not in text and "Amy" not in text and "Reid" not in text
    (who,) = payload_of(token)["credentialSubject"]["identifier"]
    assert who["hashed"] is True and who["identityType"] == "name"
    # anyone the learner tells their name can confirm it is theirs
    assert who["identityHash"] == "sha256$" + hashlib.sha256(("Amy Reid" + who["salt"]).encode()).hexdigest()
    assert who["identityHash"] != cred.name_hash("Ben Okafor", who["salt"])
    # the subject id is a pseudonym: the same for the learner's badges, not derivable without the key
    assert payload_of(token)["credentialSubject"]["id"] != f"urn:uuid:{uuid.uuid5(cred.BADGE_NAMESPACE, '40123')}"
    shown = payload_of(badges.badge_for(env["store"], "40123", show_name=True).token)
    assert shown["credentialSubject"]["identifier"][0] == {
        "type": "IdentityObject",
        "hashed": False,
        "identityHash": "Amy Reid",
        "identityType": "name",
    }
    assert "40123" not in json.dumps(shown)


def test_the_same_certificate_gives_the_same_badge(env):
    assert badges.badge_for(env["store"], "40123").token == badges.badge_for(env["store"], "40123", env["amy"]).token


# --- signature and tampering --------------------------------------------------------------------------
def test_a_badge_checks_with_the_public_key_and_an_altered_one_fails(env):
    token = badges.badge_for(env["store"], "40123").token
    keys = badges.jwks()
    assert all("d" not in k for k in keys["keys"])  # public halves only
    assert sign.check(token, keys).ok
    assert badges.check_online(env["store"], token).ok

    def later_policy(c):
        c["credentialSubject"]["achievement"]["version"] = "2099-01"

    def other_cert(c):
        c["evidence"][0]["id"] = f"{PUBLIC}verify?id={env['ben']}"

    for change in (later_policy, other_cert):
        altered = reencode(token, change)
        assert sign.check(altered, keys).status == "bad-signature"
        assert badges.check_online(env["store"], altered).status == "bad-signature"


def test_a_badge_re_signed_with_another_key_fails(env):
    token = badges.badge_for(env["store"], "40123").token
    header = jwt.get_unverified_header(token)
    claims = payload_of(token)
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    same_kid = jwt.encode(claims, other, algorithm="RS256", headers={"kid": header["kid"], "typ": "JWT"})
    assert sign.check(same_kid, badges.jwks()).status == "bad-signature"
    own_kid = jwt.encode(
        claims, other, algorithm="RS256", headers={"kid": PUBLIC + "badges/jwks.json#mine", "typ": "JWT"}
    )
    assert sign.check(own_kid, badges.jwks()).status == "unknown-key"
    # "none" and HMAC with the public key as secret: the classic JWT forgeries
    unsigned = jwt.encode(claims, None, algorithm="none", headers={"kid": header["kid"]})
    assert sign.check(unsigned, badges.jwks()).status == "malformed"
    assert sign.check("not.a.badge", badges.jwks()).status == "malformed"


def test_a_signed_badge_that_breaks_the_schema_or_its_claims_fails(env):
    """The schema and the claim checks are live: a correctly signed but non-conformant credential fails."""
    token = badges.badge_for(env["store"], "40123").token
    claims = payload_of(token)
    key = sign.badge_key()
    kid = jwt.get_unverified_header(token)["kid"]
    no_subject_type = {**claims, "credentialSubject": {**claims["credentialSubject"], "type": ["Person"]}}
    bad = jwt.encode(no_subject_type, key.private_key, algorithm="RS256", headers={"kid": kid, "typ": "JWT"})
    assert sign.check(bad, badges.jwks()).status == "not-conformant"
    wrong_sub = jwt.encode(
        {**claims, "sub": "urn:uuid:someone-else"}, key.private_key, algorithm="RS256", headers={"kid": kid}
    )
    assert sign.check(wrong_sub, badges.jwks()).status == "mismatch"


# --- revocation and who gets a badge ---------------------------------------------------------------------
def test_a_revoked_certificate_s_badge_fails_and_no_new_one_is_issued(env):
    store = env["store"]
    token = badges.badge_for(store, "40123").token
    assert certificate_revocations.revoke(store, env["amy"], "40123", "issued in error")
    assert not certificate_revocations.revoke(store, env["amy"], "40123", "again")  # the first stands
    assert badges.check_online(store, token).status == "revoked"
    assert certificates.verify(store, env["amy"]).status == "revoked"  # /verify and `course verify` agree
    assert sign.check(token, badges.jwks()).ok  # offline: the signature is still the organisation's
    with pytest.raises(badges.BadgeError):
        badges.badge_for(store, "40123")
    assert badges.check_online(store, badges.badge_for(store, "40456").token).ok  # others unaffected
    assert certificate_revocations.restore(store, env["amy"])
    assert badges.check_online(store, token).ok


def test_the_badge_names_the_revocation_list_and_the_list_names_revoked_badges_only(env):
    """OB 3.0 credentialStatus (1EdTech Revocation List): a verifier elsewhere learns of a revocation."""
    store = env["store"]
    amy, ben = badges.badge_for(store, "40123").token, badges.badge_for(store, "40456").token
    status = payload_of(amy)["credentialStatus"]
    assert status == {"id": PUBLIC + "badges/revocations.json", "type": "1EdTechRevocationList"}
    assert badges.revocation_list(store) == {
        "id": PUBLIC + "badges/revocations.json",
        "issuer": PUBLIC + "badges/issuer.json",
        "revokedCredentials": [],
    }
    certificate_revocations.revoke(store, env["amy"], "40123", "issued in error")
    listing = badges.revocation_list(store)
    assert listing["revokedCredentials"] == [{"id": payload_of(amy)["id"]}]  # the id only: no reason, no name
    assert "issued in error" not in json.dumps(listing) and "Amy" not in json.dumps(listing)
    offline = sign.check(amy, badges.jwks())
    assert offline.ok and badges.listed_as_revoked(offline, listing).status == "revoked"
    assert badges.listed_as_revoked(sign.check(ben, badges.jwks()), listing).ok


def test_after_a_key_rotation_old_badges_verify_and_new_ones_use_the_new_key(env):
    store = env["store"]
    before = badges.badge_for(store, "40123").token
    old_kid, new_kid = sign.rotate_key()
    assert old_kid != new_kid and sign.badge_key().kid == new_kid
    published = badges.jwks()["keys"]
    assert [k["kid"] for k in published] == [new_kid, old_kid]
    assert all("d" not in k and "p" not in k and "q" not in k for k in published)  # public halves only
    retired = env["var"] / sign.RETIRED_DIR / f"{old_kid}.pem"
    assert b"PRIVATE" not in retired.read_bytes()  # the old private half is gone: it signs nothing again
    assert (env["var"] / sign.KEY_FILE).stat().st_mode & 0o077 == 0
    after = badges.badge_for(store, "40123").token
    assert jwt.get_unverified_header(after)["kid"].endswith("#" + new_kid)
    assert badges.check_online(store, before).ok and badges.check_online(store, after).ok
    # a leaked retired key is withdrawn: what it signed fails, what the new key signed stands
    with pytest.raises(ValueError, match="rotate-key"):
        sign.withdraw_key(new_kid)
    assert sign.withdraw_key(old_kid) and not sign.withdraw_key(old_kid)
    assert not sign.withdraw_key("../" + sign.KEY_FILE)  # names a key, never a path
    assert (env["var"] / sign.KEY_FILE).exists()
    assert badges.check_online(store, before).status == "unknown-key"
    assert badges.check_online(store, after).ok
    (env["var"] / sign.RETIRED_DIR / "damaged.pem").write_text("not a key")
    assert [k["kid"] for k in badges.jwks()["keys"]] == [new_kid]  # a damaged file is skipped, not fatal


def test_a_revocation_is_the_learner_s_data_exported_and_purged_with_age(env, tmp_path):
    from datetime import date

    from course.manager import privacy

    certificate_revocations.revoke(env["store"], env["amy"], "40123", "issued in error")
    exported = privacy.export_learner(env["store"], "40123", root=tmp_path)["records_store"]
    assert [r["reason"] for r in exported["certificate_revocations"]] == ["issued in error"]
    assert (
        "certificate_revocations" not in privacy.export_learner(env["store"], "40456", root=tmp_path)["records_store"]
    )
    assert privacy.purge(env["store"], date(2000, 1, 1), root=tmp_path).removed.get("certificate revocations") == 0
    removed = privacy.purge(env["store"], date(2999, 1, 1), root=tmp_path).removed
    assert removed["certificate revocations"] == 1
    assert certificate_revocations.revocation(env["store"], env["amy"]) is None


def test_a_badge_only_for_the_learner_s_own_certificate(env):
    with pytest.raises(badges.BadgeError):
        badges.badge_for(env["store"], "40456", env["amy"])
    with pytest.raises(badges.BadgeError):
        badges.badge_for(env["store"], "40999")


def test_no_badge_without_a_public_address(env, monkeypatch):
    monkeypatch.delenv("COURSE_PUBLIC_URL")
    with pytest.raises(badges.BadgeError, match="COURSE_PUBLIC_URL"):
        badges.badge_for(env["store"], "40123")


def test_the_badge_key_is_private_and_not_the_lti_key(env):
    from course.lti.keys import tool_key

    key = sign.badge_key()
    assert (env["var"] / sign.KEY_FILE).stat().st_mode & 0o777 == 0o600
    assert key.kid != tool_key().kid and key.jwks()["keys"][0]["n"] != tool_key().jwks()["keys"][0]["n"]
    assert sign.badge_key().kid == key.kid  # made once


# --- a real course server --------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def server(tmp_path_factory):
    data = tmp_path_factory.mktemp("badge-server")
    var = data / "var"
    env = {
        "COURSE_DATA_DIR": str(var),
        "COURSE_DB_URL": "",
        "COURSE_SECRET_KEY": KEY,
        "COURSE_PUBLIC_URL": PUBLIC,
    }
    with course_server(env, data / "voila.log", "--pool-size=1", ready="/verify") as base:
        here = {**env, "COURSE_DB_URL": f"sqlite:///{var / 'records.db'}"}
        saved = {k: os.environ.get(k) for k in here}
        os.environ.update(here)  # this process issues certificates and sign-ins in the server's store
        try:
            store = Store()
            amy = certificates.record(store, [facts("40123", "Amy Reid")])[0]["certificate_id"]
            ben = certificates.record(store, [facts("40456", "Ben Okafor")])[0]["certificate_id"]
            from course.records import signin_tokens

            yield {
                "base": base,
                "store": store,
                "amy": amy,
                "ben": ben,
                "amy_token": signin_tokens.issue(store, "40123"),
                "ben_token": signin_tokens.issue(store, "40456"),
                "log": data / "voila.log",
                "env": here,
            }
        finally:
            for k, v in saved.items():
                if v is None:
                    os.environ.pop(k, None)
                else:
                    os.environ[k] = v


@pytest.fixture
def srv(server, monkeypatch):
    """The server, with this test's environment pointing at its store and key (conftest resets it per test)."""
    for name, value in server["env"].items():
        monkeypatch.setenv(name, value)
    return server


def fetch_json(url: str) -> dict:
    with urllib.request.urlopen(url, timeout=30) as response:
        assert response.headers["Content-Type"].startswith("application/json")
        return json.loads(response.read())


def post_form(url: str, fields: dict) -> tuple[int, str]:
    data = urllib.parse.urlencode(fields).encode()
    try:
        with urllib.request.urlopen(urllib.request.Request(url, data=data), timeout=30) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def badge_link(srv, learner_id: str, name: str = "badge.jwt") -> str:
    """The learner's badge download as their certificate page links it (with a download ticket)."""
    from course.records import signin_tokens
    from course.records.store import Store

    ticket = downloads.issue_ticket(learner_id, signin_tokens.issue(Store(), learner_id))  # the page's session
    return f"{srv['base']}/download/{name}?{urllib.parse.urlencode({'ticket': ticket})}"


def test_the_downloaded_badge_verifies_with_the_key_the_server_publishes(srv):
    keys = fetch_json(f"{srv['base']}/badges/jwks.json")  # first: the server makes the key
    assert keys["keys"] and all("d" not in k and "p" not in k for k in keys["keys"])
    status, headers, body = http_get(badge_link(srv, "40123"))
    assert status == 200 and headers["Content-Type"] == "application/jwt"
    assert f"badge-{srv['amy']}.jwt" in headers["Content-Disposition"]
    assert headers["Cache-Control"] == "no-store"
    found = sign.check(body, keys)  # offline, with the published key only
    assert found.ok, found.reason
    assert cred.certificate_id(found.credential) == srv["amy"]
    assert jwt.get_unverified_header(body)["kid"] == f"{PUBLIC}badges/jwks.json#{keys['keys'][0]['kid']}"
    # the same key the course signs with in this process: one key store
    assert sign.check(badges.badge_for(srv["store"], "40456").token, keys).ok
    assert sign.check(reencode(body, lambda c: c.update(name="Something else")), keys).status == "bad-signature"


def test_the_issuer_profile_is_served_and_follows_the_schema(srv):
    profile = fetch_json(f"{srv['base']}/badges/issuer.json")
    assert cred.schema_problems(profile, cred.PROFILE_SCHEMA) == []
    assert profile["id"] == PUBLIC + "badges/issuer.json" and profile["type"] == ["Profile"]
    token = badges.badge_for(srv["store"], "40123").token
    assert payload_of(token)["issuer"]["id"] == profile["id"]


def test_the_download_is_only_ever_the_ticket_holder_s_own_badge(srv):
    # a download ticket names one learner (course.app.downloads): Ben's gets Ben's badge, never Amy's
    status, _headers, body = http_get(badge_link(srv, "40456"))
    assert status == 200 and cred.certificate_id(payload_of(body)) == srv["ben"]
    for query in (f"token={srv['amy_token']}", "ticket=forged", ""):  # a sign-in token is not a ticket
        status, _headers, body = http_get(f"{srv['base']}/download/badge.jwt?{query}")
        assert status == 403 and "eyJ" not in body
    status, _headers, body = http_get(badge_link(srv, "40123", name="badge-with-name.jwt"))
    assert status == 200 and payload_of(body)["credentialSubject"]["identifier"][0]["identityHash"] == "Amy Reid"


def test_the_verification_page_checks_a_pasted_badge_and_an_id(srv):
    url = f"{srv['base']}/badges/verify"
    token = badges.badge_for(srv["store"], "40123").token
    status, page = post_form(url, {"badge": token[:50] + "\n" + token[50:] + "\n"})  # wrapped, as pasted
    assert status == 200 and "Valid badge" in page and "Not valid" not in page
    status, page = post_form(url, {"badge": reencode(token, lambda c: c["credentialSubject"].update(id="urn:x"))})
    assert status == 200 and "Not valid" in page and "Valid badge" not in page
    status, _headers, page = http_get(f"{url}?id={urllib.parse.quote(srv['amy'])}")
    assert status == 200 and "Valid badge" in page
    status, _headers, page = http_get(f"{url}")
    assert status == 200 and '<label for="cm-badge">' in page


def test_a_revoked_certificate_s_badge_fails_on_the_server(srv):
    store = srv["store"]
    token = badges.badge_for(store, "40456").token
    certificate_revocations.revoke(store, srv["ben"], "40456", "withdrawn")
    try:
        status, page = post_form(f"{srv['base']}/badges/verify", {"badge": token})
        assert status == 200 and "Not valid" in page and "revoked" in page
        status, _headers, page = http_get(f"{srv['base']}/badges/verify?id={srv['ben']}")
        assert "Not valid" in page and "revoked" in page
        status, _headers, page = http_get(f"{srv['base']}/verify?id={srv['ben']}")
        assert "Not valid" in page  # the certificate page agrees
        status, _headers, _body = http_get(badge_link(srv, "40456"))
        assert status == 404
        listing = fetch_json(f"{srv['base']}/badges/revocations.json")
        assert listing["revokedCredentials"] == [{"id": payload_of(token)["id"]}]
    finally:
        certificate_revocations.restore(store, srv["ben"])


@pytest.mark.browser
@pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="needs Debian chromium at /usr/bin/chromium")
def test_the_badge_check_page_is_accessible_at_375_px_and_takes_an_upload(srv, tmp_path):
    token = badges.badge_for(srv["store"], "40123").token
    (tmp_path / "badge.jwt").write_text(token + "\n")
    with chromium() as browser:
        page = browser.new_page(viewport={"width": 375, "height": 800})
        page.goto(srv["base"] + "/badges/verify")
        assert axe_violations(page) == []
        page.get_by_label("Badge", exact=True).fill(token)
        page.get_by_role("button", name="Check").click()
        page.get_by_role("heading", name="Valid badge").wait_for()
        assert page.evaluate("document.documentElement.scrollWidth") <= 375  # no sideways scrolling
        assert axe_violations(page) == []
        page.get_by_label("Or a badge file (.jwt)").set_input_files(str(tmp_path / "badge.jwt"))
        page.get_by_role("button", name="Check").click()
        page.get_by_role("heading", name="Valid badge").wait_for()
        page.get_by_label("Badge", exact=True).fill(token[:-4] + "AAAA")
        page.get_by_role("button", name="Check").click()
        page.get_by_role("heading", name="Not valid").wait_for()
        assert axe_violations(page) == []
        page.set_viewport_size({"width": 1280, "height": 800})
        assert axe_violations(page) == []


def test_nothing_personal_in_the_server_log(srv):
    test_the_download_is_only_ever_the_ticket_holder_s_own_badge(srv)
    log = srv["log"].read_text(errors="replace")
    for secret in ("Amy Reid", "Ben Okafor", srv["amy_token"], srv["ben_token"], "40123", "40456", "eyJ"):
        assert secret not in log


# --- the command line ------------------------------------------------------------------------------------
def test_course_badge_issue_verify_revoke_restore(env, tmp_path):
    from click.testing import CliRunner

    from course.cli import main

    env["store"].ensure_learner("40123", name="Amy Reid", staff_number="40123")
    run = CliRunner()
    out, keys = tmp_path / "badge.jwt", tmp_path / "jwks.json"
    result = run.invoke(main, ["badge", "issue", "40123", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert sign.check(out.read_text(), badges.jwks()).ok
    keys.write_text(run.invoke(main, ["badge", "jwks"]).output)
    assert '"d"' not in keys.read_text()
    offline = run.invoke(main, ["badge", "verify", str(out), "--jwks", str(keys)])
    assert offline.exit_code == 0 and "VALID" in offline.output
    assert run.invoke(main, ["badge", "verify", str(out)]).exit_code == 0
    assert run.invoke(main, ["badge", "revoke", env["amy"].lower(), "--reason", "test"]).exit_code == 0
    online = run.invoke(main, ["badge", "verify", str(out)])
    assert online.exit_code == 1 and "revoked" in online.output
    # the keys alone cannot know
    assert run.invoke(main, ["badge", "verify", str(out), "--jwks", str(keys)]).exit_code == 0
    listing = tmp_path / "revocations.json"
    listing.write_text(json.dumps(badges.revocation_list(env["store"])))  # what /badges/revocations.json serves
    with_list = run.invoke(main, ["badge", "verify", str(out), "--jwks", str(keys), "--revocations", str(listing)])
    assert with_list.exit_code == 1 and "revocation list" in with_list.output
    no_keys = run.invoke(main, ["badge", "verify", str(out), "--revocations", str(listing)])
    assert no_keys.exit_code == 2 and "--jwks" in no_keys.output
    refused = run.invoke(main, ["badge", "issue", "40123"])
    assert refused.exit_code == 2 and "Traceback" not in refused.output
    assert run.invoke(main, ["badge", "restore", env["amy"]]).exit_code == 0
    assert run.invoke(main, ["badge", "verify", str(out)]).exit_code == 0
    tampered = tmp_path / "tampered.jwt"
    tampered.write_text(reencode(out.read_text().strip(), lambda c: c.update(validFrom="2020-01-01T00:00:00Z")))
    assert run.invoke(main, ["badge", "verify", str(tampered), "--jwks", str(keys)]).exit_code == 1
    assert run.invoke(main, ["badge", "revoke", "SMC-AAAAA-BBBBB-CCCCC-DDDDD"]).exit_code == 2
