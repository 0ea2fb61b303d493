"""LTI Assignment and Grade Services: send one mark of record to the LMS's line item.

1. An access token by the OAuth 2 client-credentials grant, the tool proving who it is with a
   JWT signed by its own key (RFC 7523; IMS Security Framework 1.0, section 4.1), scope
   `.../lti-ags/scope/score`.
2. A score POSTed to `<lineitem>/scores` as `application/vnd.ims.lis.v1.score+json`:
   userId (the LMS's `sub`), scoreGiven, scoreMaximum, activityProgress Completed,
   gradingProgress FullyGraded, timestamp.
`ScoreError.retry` says whether trying later can help (the LMS down or busy) or not (refused).
Nothing personal is logged: the caller logs the outcome against its own queue row.
"""

from __future__ import annotations

import json
import secrets
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlencode, urlsplit, urlunsplit

import jwt

from course.lti.keys import ToolKey
from course.lti.platforms import Platform

SCORE_SCOPE = "https://purl.imsglobal.org/spec/lti-ags/scope/score"
SCORE_TYPE = "application/vnd.ims.lis.v1.score+json"
TIMEOUT = 15


class ScoreError(Exception):
    def __init__(self, message: str, *, retry: bool):
        super().__init__(message)
        self.retry = retry


@dataclass(frozen=True)
class Score:
    subject: str  # the LMS's id for the learner (the launch's `sub`)
    given: float
    maximum: float
    timestamp: datetime
    comment: str = ""

    def as_json(self) -> dict:
        body = {
            "userId": self.subject,
            "scoreGiven": self.given,
            "scoreMaximum": self.maximum,
            "activityProgress": "Completed",
            "gradingProgress": "FullyGraded",
            "timestamp": self.timestamp.isoformat(timespec="milliseconds"),
        }
        if self.comment:
            body["comment"] = self.comment
        return body


def client_assertion(platform: Platform, key: ToolKey) -> str:
    now = int(time.time())
    claims = {
        "iss": platform.client_id,
        "sub": platform.client_id,
        "aud": platform.token_url,
        "iat": now,
        "exp": now + 300,
        "jti": secrets.token_urlsafe(16),
    }
    return jwt.encode(claims, key.private_key, algorithm="RS256", headers={"kid": key.kid})


def _post(url: str, body: bytes, headers: dict[str, str]) -> bytes:
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")  # noqa: S310 - the LMS's https URL
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT) as response:  # noqa: S310
            return response.read()
    except urllib.error.HTTPError as exc:
        retry = exc.code >= 500 or exc.code == 429
        raise ScoreError(f"{urlsplit(url).netloc} answered {exc.code}", retry=retry) from None
    except (urllib.error.URLError, TimeoutError, ConnectionError) as exc:
        raise ScoreError(f"{urlsplit(url).netloc} not reachable ({exc.__class__.__name__})", retry=True) from None


def access_token(platform: Platform, key: ToolKey) -> str:
    body = urlencode(
        {
            "grant_type": "client_credentials",
            "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            "client_assertion": client_assertion(platform, key),
            "scope": SCORE_SCOPE,
        }
    ).encode()
    raw = _post(platform.token_url, body, {"Content-Type": "application/x-www-form-urlencoded"})
    try:
        return str(json.loads(raw)["access_token"])
    except (ValueError, KeyError):
        raise ScoreError("the LMS's token answer has no access_token", retry=False) from None


def scores_url(lineitem: str) -> str:
    """`<lineitem>/scores`, keeping any query string where it belongs (after the path)."""
    parts = urlsplit(lineitem)
    return urlunsplit(parts._replace(path=parts.path.rstrip("/") + "/scores"))


def send_score(platform: Platform, key: ToolKey, lineitem: str, score: Score) -> None:
    token = access_token(platform, key)
    _post(
        scores_url(lineitem),
        json.dumps(score.as_json()).encode(),
        {"Content-Type": SCORE_TYPE, "Authorization": f"Bearer {token}"},
    )
