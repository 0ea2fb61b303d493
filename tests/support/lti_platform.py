"""A small LTI 1.3 platform (an LMS) on 127.0.0.1, written to the IMS specifications, for tests.

What a real platform such as Moodle does, and no more:
- its own RSA key, published at `/jwks` (IMS Security Framework 1.0, 6.3);
- the OIDC authorisation endpoint `/auth` (LTI 1.3 Core 5.1.1.2): checks the client id, the
  registered redirect URI, `response_type=id_token`, `scope=openid`, `prompt=none` and a nonce,
  then answers with a self-submitting form posting a signed `id_token` and the `state`;
- the token endpoint `/token` (Security Framework 4.1): a client-credentials grant whose
  client assertion must be signed by the tool's key (checked against the tool's JWKS), for the
  tool's client id, with this endpoint as audience and a jti used once;
- AGS line items `/lineitems/<id>/scores` (AGS 2.0, Score publish service): a bearer token from
  `/token` with the score scope, the score media type; every score received is recorded.
`down = True` makes the score endpoint answer 503 (an LMS being upgraded).
"""

from __future__ import annotations

import json
import re
import secrets
import threading
import time
from dataclasses import dataclass, field
from html import escape
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

CLAIM = "https://purl.imsglobal.org/spec/lti/claim/"
AGS_CLAIM = "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint"
SCORE_SCOPE = "https://purl.imsglobal.org/spec/lti-ags/scope/score"
LEARNER = "http://purl.imsglobal.org/vocab/lis/v2/membership#Learner"
INSTRUCTOR = "http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor"


@dataclass
class User:
    sub: str
    name: str
    roles: list[str]
    email: str = ""
    custom: dict = field(default_factory=dict)


@dataclass
class Platform:
    client_id: str = "course-tool"
    deployment_id: str = "1"
    redirect_uris: list[str] = field(default_factory=list)
    tool_jwks_url: str = ""
    users: dict[str, User] = field(default_factory=dict)
    scores: list[dict] = field(default_factory=list)
    down: bool = False
    token_overrides: dict = field(default_factory=dict)  # claims to change in the next id_tokens
    port: int = 0
    # the name the browser and the tool reach it by: "localhost" makes the LMS another site than a
    # tool on 127.0.0.1, as a real LMS is (so SameSite cookies meet a real cross-site launch)
    host: str = "127.0.0.1"

    def __post_init__(self):
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.kid = secrets.token_hex(8)
        self._tokens: set[str] = set()
        self._jtis: set[str] = set()

    @property
    def issuer(self) -> str:
        return f"http://{self.host}:{self.port}"

    def registration(self) -> dict:
        """What the tool is told about this platform (its registrations file entry)."""
        return {
            "issuer": self.issuer,
            "client_id": self.client_id,
            "deployment_ids": [self.deployment_id],
            "auth_url": f"{self.issuer}/auth",
            "token_url": f"{self.issuer}/token",
            "jwks_url": f"{self.issuer}/jwks",
        }

    def lineitem(self, resource: str) -> str:
        return f"{self.issuer}/lineitems/{resource}"

    def jwks(self) -> dict:
        jwk = json.loads(RSAAlgorithm.to_jwk(self.key.public_key()))
        jwk.update({"kid": self.kid, "alg": "RS256", "use": "sig"})
        return {"keys": [jwk]}

    def id_token(self, user: User, nonce: str, resource: str = "res-1", target: str = "", **changes) -> str:
        now = int(time.time())
        claims = {
            "iss": self.issuer,
            "aud": self.client_id,
            "sub": user.sub,
            "exp": now + 300,
            "iat": now,
            "nonce": nonce,
            "name": user.name,
            CLAIM + "message_type": "LtiResourceLinkRequest",
            CLAIM + "version": "1.3.0",
            CLAIM + "deployment_id": self.deployment_id,
            CLAIM + "target_link_uri": target,
            CLAIM + "resource_link": {"id": resource, "title": "Social media training"},
            CLAIM + "roles": user.roles,
            CLAIM + "custom": dict(user.custom),
            AGS_CLAIM: {"scope": [SCORE_SCOPE], "lineitem": self.lineitem(resource)},
        }
        if user.email:
            claims["email"] = user.email
        claims.update(self.token_overrides)
        claims.update(changes)
        return jwt.encode(claims, self.key, algorithm="RS256", headers={"kid": self.kid})

    # --- the token endpoint --------------------------------------------------------------
    def grant(self, form: dict[str, str]) -> dict:
        if form.get("grant_type") != "client_credentials":
            raise PermissionError("unsupported_grant_type")
        if form.get("client_assertion_type") != "urn:ietf:params:oauth:client-assertion-type:jwt-bearer":
            raise PermissionError("invalid_client")
        assertion = form.get("client_assertion", "")
        key = jwt.PyJWKClient(self.tool_jwks_url).get_signing_key_from_jwt(assertion).key
        claims = jwt.decode(assertion, key, algorithms=["RS256"], audience=f"{self.issuer}/token")
        if claims["iss"] != self.client_id or claims["sub"] != self.client_id or claims["jti"] in self._jtis:
            raise PermissionError("invalid_client")
        self._jtis.add(claims["jti"])
        if SCORE_SCOPE not in form.get("scope", "").split():
            raise PermissionError("invalid_scope")
        token = secrets.token_urlsafe(24)
        self._tokens.add(token)
        return {"access_token": token, "token_type": "Bearer", "expires_in": 3600, "scope": SCORE_SCOPE}


def _handler(platform: Platform):
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):  # quiet
            pass

        def _send(self, code: int, body: str | bytes, kind: str = "application/json") -> None:
            raw = body.encode() if isinstance(body, str) else body
            self.send_response(code)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(raw)))
            self.end_headers()
            self.wfile.write(raw)

        def do_GET(self):
            url = urlsplit(self.path)
            if url.path == "/jwks":
                return self._send(200, json.dumps(platform.jwks()))
            if url.path == "/auth":
                q = {k: v[0] for k, v in parse_qs(url.query).items()}
                problems = [
                    q.get("client_id") != platform.client_id and "client_id",
                    q.get("redirect_uri") not in platform.redirect_uris and "redirect_uri",
                    q.get("response_type") != "id_token" and "response_type",
                    q.get("scope") != "openid" and "scope",
                    q.get("prompt") != "none" and "prompt",
                    not q.get("nonce") and "nonce",
                    q.get("login_hint") not in platform.users and "login_hint",
                ]
                problems = [p for p in problems if p]
                if problems:
                    return self._send(400, json.dumps({"error": "invalid_request", "fields": problems}))
                user = platform.users[q["login_hint"]]
                hint = json.loads(q.get("lti_message_hint") or "{}")
                token = platform.id_token(user, q["nonce"], hint.get("resource", "res-1"), hint.get("target", ""))
                form = (
                    f'<!DOCTYPE html><html lang="en"><body onload="document.forms[0].submit()">'
                    f'<form method="post" action="{escape(q["redirect_uri"])}">'
                    f'<input type="hidden" name="id_token" value="{escape(token)}">'
                    f'<input type="hidden" name="state" value="{escape(q.get("state", ""))}">'
                    f"<noscript><button>Continue</button></noscript></form></body></html>"
                )
                return self._send(200, form, "text/html; charset=utf-8")
            return self._send(404, "{}")

        def do_POST(self):
            url = urlsplit(self.path)
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            if url.path == "/token":
                form = {k: v[0] for k, v in parse_qs(body.decode()).items()}
                try:
                    return self._send(200, json.dumps(platform.grant(form)))
                except (PermissionError, jwt.PyJWTError) as exc:
                    return self._send(401, json.dumps({"error": str(exc) or "invalid_client"}))
            match = re.fullmatch(r"/lineitems/([^/]+)/scores", url.path)
            if match:
                auth = self.headers.get("Authorization", "")
                if not auth.startswith("Bearer ") or auth[7:] not in platform._tokens:
                    return self._send(401, json.dumps({"error": "invalid_token"}))
                if self.headers.get("Content-Type") != "application/vnd.ims.lis.v1.score+json":
                    return self._send(415, "{}")
                if platform.down:
                    return self._send(503, "{}")
                platform.scores.append({"lineitem": match.group(1), **json.loads(body)})
                return self._send(200, "{}")
            return self._send(404, "{}")

    return Handler


class RunningPlatform:
    """`with RunningPlatform() as lms:` a platform on a free port of 127.0.0.1."""

    def __init__(self, **kwargs):
        self.platform = Platform(**kwargs)

    def __enter__(self) -> Platform:
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self.platform))
        self.platform.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        return self.platform

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()
