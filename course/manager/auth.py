"""Who may open the manager dashboard.

A manager password, set with `course manager set-password` (asked twice, hidden, or taken
from COURSE_MANAGER_PASSWORD for automation). Only a salted scrypt hash is kept, in
`var/manager.json` (readable by its owner only). On a JupyterHub, members of the hub group
named by COURSE_MANAGER_GROUP are let in without the password: the group list comes from
JUPYTERHUB_GROUPS (comma-separated) when the spawner sets it, else from the hub's API with
the server's own token; when neither answers, the password is asked for.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
import time
from pathlib import Path

from course import settings
from course.atomic import locked, write_atomic
from course.settings import data_dir

FILE = "manager.json"
FAILURES_FILE = "manager-failures.json"
# Wrong passwords are counted for the whole server (every dashboard page and kernel), not per
# page: after LOCK_AFTER wrong ones within LOCK_WINDOW seconds, no password is tried until
# the window has moved on, so opening many pages does not multiply the guesses.
LOCK_AFTER = 5
LOCK_WINDOW = 15 * 60
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


def _failures_path() -> Path:
    return data_dir() / FAILURES_FILE


def _recent_failures(now: float) -> list[float]:
    try:
        stamps = json.loads(_failures_path().read_text(encoding="utf-8"))
        return [float(t) for t in stamps if now - float(t) < LOCK_WINDOW]
    except (OSError, ValueError, TypeError):
        return []


def locked_for(now: float | None = None) -> int:
    """Seconds until a password may be tried again (0: now)."""
    now = time.time() if now is None else now
    recent = _recent_failures(now)
    if len(recent) < LOCK_AFTER:
        return 0
    return max(1, int(sorted(recent)[-LOCK_AFTER] + LOCK_WINDOW - now + 0.999))


def record_failure(now: float | None = None) -> int:
    """Count one wrong password for the whole server; returns how many in the window."""
    now = time.time() if now is None else now
    path = _failures_path()
    with locked(path):  # two pages failing at once both count
        recent = _recent_failures(now) + [now]
        write_atomic(path, json.dumps(recent[-50:]))
    return len(recent)


def forget_failures() -> None:
    _failures_path().unlink(missing_ok=True)
