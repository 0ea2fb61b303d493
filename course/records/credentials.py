"""Sign-in secrets of people on the staff list: one-time codes, and the PIN or passphrase each
person chooses with one.

The manager issues a code (`course roster invite`); issuing a new one voids the old one, and
that is also the reset for a forgotten PIN: the next sign-in with the new code replaces the
secret. Codes and secrets are kept only as argon2 hashes (argon2-cffi), so a copy of the
database signs nobody in. A code is ten letters from an alphabet with no look-alikes (no I,
L, O, no digits), shown as two groups of five: about 45 bits, typed from a letter in under a
minute, and guessed only a few times an hour under the rate limit (course.records.rate_limit).

Whether the secret a person typed is right is decided here; what a secret may be (its length)
is course.records.identity's rule.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select, update

from course.records.rate_limit import LONG_AGO
from course.records.store import Store, _insert, aware, now
from course.records.tables import credentials

ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ"  # no I, L or O: nothing to misread for 1 or 0
CODE_LETTERS = 10
_hasher = PasswordHasher()  # argon2id with the library's current defaults (RFC 9106's second choice)
# verified against when there is no row, so an unknown staff number costs the same time as a known one
_DUMMY = _hasher.hash("no such person: the same work as a real check")


def new_code() -> str:
    letters = "".join(secrets.choice(ALPHABET) for _ in range(CODE_LETTERS))
    return f"{letters[:5]}-{letters[5:]}"


def normalise_code(text: str) -> str | None:
    """'abcde fghjk' -> 'ABCDE-FGHJK'; None when it cannot be a code (so it may be a PIN)."""
    raw = "".join(ch for ch in (text or "").upper() if ch not in " -")
    if len(raw) != CODE_LETTERS or any(ch not in ALPHABET for ch in raw):
        return None
    return f"{raw[:5]}-{raw[5:]}"


def _verify(hashed: str | None, value: str) -> bool:
    try:
        return _hasher.verify(hashed or _DUMMY, value) and hashed is not None
    except (VerificationError, InvalidHashError):
        return False


def issue_code(store: Store, learner_id: str, days: int, at: datetime | None = None) -> str:
    """A new one-time code for this person (the old one stops working); returns it, once."""
    return issue_codes(store, [learner_id], days, at)[learner_id]


def new_codes(learner_ids: list[str]) -> dict[str, str]:
    """Fresh codes, not yet stored (`store_codes`): a letter can be made before any old code is voided."""
    return {learner_id: new_code() for learner_id in learner_ids}


def store_codes(store: Store, codes: dict[str, str], days: int, at: datetime | None = None) -> datetime:
    """Store these codes' hashes in one transaction (each replaces the person's old code); returns
    when they expire."""
    moment = at or now()
    expires = moment + timedelta(days=days)
    statements = []
    for learner_id, code in codes.items():
        values = {"code_hash": _hasher.hash(code), "code_expires_at": expires, "code_issued_at": moment}
        statements.append(
            _insert(store.engine, credentials)
            .values(learner_id=learner_id, **values)
            .on_conflict_do_update(index_elements=["learner_id"], set_=values)
        )
    store._write_all(statements)
    return expires


def issue_codes(store: Store, learner_ids: list[str], days: int, at: datetime | None = None) -> dict[str, str]:
    codes = new_codes(learner_ids)
    store_codes(store, codes, days, at)
    return codes


@dataclass(frozen=True)
class Match:
    kind: str  # "code" (first sign-in, or a reset: a secret must be chosen) | "secret"
    code_hash: str | None = None  # the code this match used, for choose_secret's compare-and-swap


def check(store: Store, learner_id: str | None, typed: str, at: datetime | None = None) -> Match | None:
    """What `typed` is for this person: their current code, their secret, or nothing (None).

    Always exactly two argon2 checks (the code's and the secret's, against a stand-in hash where
    there is none), whoever `learner_id` is (None: not on the list) and whatever was typed, so
    the time taken says nothing about who exists or has a code."""
    row = None
    if learner_id is not None:
        rows = store._read(select(credentials).where(credentials.c.learner_id == learner_id))
        row = rows[0] if rows else None
    code = normalise_code(typed)
    code_hash = row.code_hash if row is not None and aware(row.code_expires_at or LONG_AGO) > (at or now()) else None
    code_ok = _verify(code_hash if code else None, code or typed or "")
    secret_ok = _verify(row.secret_hash if row is not None else None, typed or "")
    if code_ok and code_hash:
        return Match("code", code_hash)
    return Match("secret") if secret_ok else None


def choose_secret(store: Store, learner_id: str, match: Match, secret: str) -> bool:
    """Set the person's PIN or passphrase and use up the code that allowed it, in one statement
    that happens only if that code is still the current one (a second tab, or a new code issued
    meanwhile, makes it False)."""
    assert match.kind == "code" and match.code_hash
    result = store._write(
        update(credentials)
        .where(credentials.c.learner_id == learner_id, credentials.c.code_hash == match.code_hash)
        .values(secret_hash=_hasher.hash(secret), secret_set_at=now(), code_hash=None, code_expires_at=None)
    )
    return bool(result.rowcount)


def has_secret(store: Store, learner_id: str) -> bool:
    rows = store._read(select(credentials.c.secret_hash).where(credentials.c.learner_id == learner_id))
    return bool(rows and rows[0][0])
