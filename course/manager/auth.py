"""Who may open the manager dashboard.

A manager password, set with `course manager set-password` (asked twice, hidden, or taken
from COURSE_MANAGER_PASSWORD for automation). Only a salted scrypt hash is kept, in
`var/manager.json` (readable by its owner only). On a JupyterHub, members of the hub group
named by COURSE_MANAGER_GROUP are let in without the password: the group list comes from
JUPYTERHUB_GROUPS (comma-separated) when the spawner sets it, else from the hub's API with
the server's own token; when neither answers, the password is asked for. On `course serve`,
an LMS Administrator's launch opens it without the password (`lms_manager`).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from course import settings
from course.atomic import write_atomic
from course.records import rate_limit
from course.settings import data_dir

FILE = "manager.json"
MIN_LENGTH = 10
SCRYPT = {"n": 2**14, "r": 8, "p": 1, "dklen": 32}


class PasswordError(Exception):
    """A password that cannot be set; the message says why."""


def password_file() -> Path:
    return data_dir() / FILE


def _hash(password: str, salt: bytes, params: dict) -> bytes:
    return hashlib.scrypt(
        password.encode("utf-8"),
        salt=salt,
        n=params["n"],
        r=params["r"],
        p=params["p"],
        dklen=params["dklen"],
        maxmem=64 * 1024 * 1024,
    )


def set_password(password: str) -> Path:
    if len(password or "") < MIN_LENGTH:
        raise PasswordError(f"the manager password must have at least {MIN_LENGTH} characters")
    if password.strip() != password:
        raise PasswordError("the manager password must not start or end with a space")
    salt = secrets.token_bytes(16)
    record = {"algorithm": "scrypt", **SCRYPT, "salt": salt.hex(), "hash": _hash(password, salt, SCRYPT).hex()}
    path = password_file()
    write_atomic(path, json.dumps(record, indent=2) + "\n")  # a new temp file is 0600; the rename keeps it
    os.chmod(path, 0o600)
    return path


def password_is_set() -> bool:
    return password_file().exists()


def check_password(password: str) -> bool:
    """True only when a password is set and this is it (compared in constant time)."""
    try:
        record = json.loads(password_file().read_text(encoding="utf-8"))
        params = {k: int(record[k]) for k in ("n", "r", "p", "dklen")}
        expected = bytes.fromhex(record["hash"])
        salt = bytes.fromhex(record["salt"])
    except (OSError, ValueError, KeyError):
        return False
    if not password:
        return False
    return hmac.compare_digest(_hash(password, salt, params), expected)


def hub_groups() -> set[str] | None:
    """The hub user's groups, or None when they cannot be known."""
    if os.environ.get("JUPYTERHUB_GROUPS") is not None:
        return {g.strip() for g in os.environ["JUPYTERHUB_GROUPS"].split(",") if g.strip()}
    api, token = os.environ.get("JUPYTERHUB_API_URL"), os.environ.get("JUPYTERHUB_API_TOKEN")
    if not (api and token):
        return None
    import urllib.request

    try:
        request = urllib.request.Request(api.rstrip("/") + "/user", headers={"Authorization": f"token {token}"})  # noqa: S310 - the hub API URL the hub set
        with urllib.request.urlopen(request, timeout=3) as response:  # noqa: S310 - the hub's own API
            return set(json.loads(response.read().decode("utf-8")).get("groups") or [])
    except (OSError, ValueError):
        return None


def hub_manager() -> bool:
    """On a hub: is the signed-in user in the manager group?"""
    group = settings.manager_group()
    if not (group and os.environ.get("JUPYTERHUB_USER")):
        return False
    groups = hub_groups()
    return groups is not None and group in groups


def lms_manager() -> str | None:
    """On `course serve`'s `/dashboard/`: the manager an LMS Administrator's launch signed in, as
    the server checked it (course.server.manager_session) and wrote it into the page request's
    MANAGER_HEADER over whatever a browser sent; Voila hands it to the page's kernel. None
    anywhere else (and for a preheated kernel no page asked for), so the password is asked."""
    from course.records.identity import MANAGER_ENV, in_voila, page_requested

    if not in_voila() or not page_requested():
        return None
    return os.environ.get(MANAGER_ENV, "").strip() or None


# Wrong passwords are limited per source address and for the manager account as a whole, with
# backoff (course.records.rate_limit, shared by every dashboard page and kernel): someone
# guessing from one address makes only that address wait, so the real manager at another desk
# still gets in; a guesser spread over many addresses meets the account's (much larger) limit.
SOURCE_LIMIT = rate_limit.Limit(free=5)
ACCOUNT_LIMIT = rate_limit.Limit(free=100)


@dataclass(frozen=True)
class Attempt:
    ok: bool
    retry_after: float = 0.0  # seconds to wait before the next try, when refused without a check


def try_password(store, password: str, source: str) -> Attempt:
    """Check a dashboard password under the limits: a claim per source and for the account, then
    the check; a right password clears both for this source."""
    source_key = rate_limit.key("dashboard-source", source or "unknown")
    account_key = rate_limit.key("dashboard-account", "manager")
    claim = rate_limit.claim(store, [(source_key, SOURCE_LIMIT), (account_key, ACCOUNT_LIMIT)])
    if not claim.allowed:
        return Attempt(False, claim.retry_after)
    if not check_password(password):
        return Attempt(False)
    rate_limit.clear(store, source_key)
    rate_limit.refund(store, account_key, ACCOUNT_LIMIT)
    return Attempt(True)
