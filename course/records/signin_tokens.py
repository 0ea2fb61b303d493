"""Sign-in sessions for the Voila app: an unguessable token in the page address, checked here.

The course home issues a token when a learner signs in and puts it in the links to each
module. A module app accepts a learner only through a valid token, so editing a name or a
number in the address borrows nobody's identity. Only a hash of each token is stored: a
copy of the database does not let anyone sign in as anyone.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, select, update

from course.records.store import Store, now
from course.records.tables import sessions

LIFETIME = timedelta(hours=12)  # one working day: a shared computer does not stay signed in for ever
TOKEN_BYTES = 32
# what a session is for: one kind never passes for the other (migration 0010)
SIGNIN = "signin"  # a learner's pages (the token in the page address)
DASHBOARD = "dashboard"  # the manager dashboard, after an LMS Administrator's launch (course.server.manager_session)
PURPOSES = (SIGNIN, DASHBOARD)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _aware(value: datetime) -> datetime:
    # SQLite returns naive datetimes even for timezone-aware columns: they were stored in UTC
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def issue(store: Store, learner_id: str, lifetime: timedelta = LIFETIME, purpose: str = SIGNIN) -> str:
    """A new session for this learner; returns the token (shown once, never stored)."""
    if purpose not in PURPOSES:
        raise ValueError(f"unknown session purpose {purpose!r}: one of {', '.join(PURPOSES)}")
    token = secrets.token_urlsafe(TOKEN_BYTES)
    created = now()
    store._write(
        sessions.insert().values(
            token_hash=token_hash(token),
            learner_id=learner_id,
            created_at=created,
            expires_at=created + lifetime,
            purpose=purpose,
        )
    )
    return token


def learner_for(store: Store, token: str | None, at: datetime | None = None, purpose: str = SIGNIN) -> str | None:
    """The learner a token belongs to, or None when it is missing, unknown, expired, revoked or
    a session for something else (`purpose`)."""
    if not token or len(token) > 200:
        return None
    return learner_for_hash(store, token_hash(token), at, purpose)


def learner_for_hash(store: Store, hashed: str, at: datetime | None = None, purpose: str = SIGNIN) -> str | None:
    """The same, from the token's hash: what a download ticket carries (course.app.downloads), so
    signing out ends the downloads a page offered too. The hash signs no one in by itself."""
    rows = store._read(
        select(sessions.c.learner_id, sessions.c.expires_at, sessions.c.revoked_at).where(
            sessions.c.token_hash == hashed, sessions.c.purpose == purpose
        )
    )
    if not rows:
        return None
    row = rows[0]
    if row.revoked_at is not None or _aware(row.expires_at) <= (at or now()):
        return None
    return row.learner_id


def revoke(store: Store, token: str) -> None:
    """Sign out: the token stops working at once."""
    store._write(
        update(sessions)
        .where(sessions.c.token_hash == token_hash(token), sessions.c.revoked_at.is_(None))
        .values(revoked_at=now())
    )


def purge_expired(store: Store, before: datetime | None = None) -> int:
    """Delete sessions that ended more than a day ago; returns how many (run at server start)."""
    cutoff = (before or now()) - timedelta(days=1)
    result = store._write(delete(sessions).where(sessions.c.expires_at < cutoff))
    return result.rowcount or 0
