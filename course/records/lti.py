"""What an LTI launch leaves in the records store, and the outbox of marks for the LMS.

- `remember` / `recall`: a login initiation's state and nonce (`lti_logins`), kept on the server
  between the two steps of the launch; the state is stored hashed, `recall` deletes the row as it
  reads it (one statement), so a state works once, and not after LOGIN_LIFETIME;
- `record_launch` / `link`: per learner and module (`lti_links`), whom the LMS knows the learner
  as (`sub`), the line item their mark goes to (the launch's AGS claim) and the role it gave;
- `queue_mark`: called where the mark of record is written (course.records.grading_log.record):
  for a learner launched from an LMS into that module, one `lti_outbox` row per (learner,
  module, attempt), unique in the table, so a second grading of the same attempt queues nothing;
- `due`, `sent`, `retry_later`, `refused`: what the sender (course.lti.outbox) does with a row.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select, update

from course.records.store import Store, _insert, aware, now
from course.records.tables import lti_links, lti_logins, lti_outbox

LOGIN_LIFETIME = timedelta(minutes=10)  # from the LMS's login initiation to its form post: seconds, normally
FIRST_RETRY = timedelta(minutes=1)
LAST_RETRY = timedelta(hours=6)  # the longest wait between two tries of one mark
COMPLETED, FULLY_GRADED = "Completed", "FullyGraded"


def _hash(state: str) -> str:
    return hashlib.sha256(state.encode("utf-8")).hexdigest()


# --- the login's state and nonce --------------------------------------------------------------------
def remember(store: Store, state: str, nonce: str, issuer: str, client_id: str, at: datetime | None = None) -> None:
    moment = at or now()
    store._write_all(
        [
            delete(lti_logins).where(lti_logins.c.expires_at < moment),  # logins never finished
            lti_logins.insert().values(
                state_hash=_hash(state),
                nonce=nonce,
                issuer=issuer,
                client_id=client_id,
                expires_at=moment + LOGIN_LIFETIME,
            ),
        ]
    )


def recall(store: Store, state: str, at: datetime | None = None) -> tuple[str, str, str] | None:
    """(nonce, issuer, client_id) of this state, used up as it is read; None if unknown, used or expired."""
    if not state or len(state) > 200:
        return None
    rows = store._write_returning(
        delete(lti_logins)
        .where(lti_logins.c.state_hash == _hash(state))
        .returning(lti_logins.c.nonce, lti_logins.c.issuer, lti_logins.c.client_id, lti_logins.c.expires_at)
    )
    if not rows or aware(rows[0].expires_at) <= (at or now()):
        return None
    return rows[0].nonce, rows[0].issuer, rows[0].client_id


# --- launches -----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Link:
    learner_id: str
    module_id: str
    issuer: str
    client_id: str
    subject: str
    lineitem: str | None
    role: str
    launched_at: datetime


def record_launch(
    store: Store,
    learner_id: str,
    module_id: str,
    *,
    issuer: str,
    client_id: str,
    subject: str,
    lineitem: str | None,
    role: str,
) -> None:
    """The learner's latest launch into this module (module "" for a link to the course home)."""
    values = {
        "issuer": issuer,
        "client_id": client_id,
        "subject": subject,
        "lineitem": lineitem,
        "role": role,
        "launched_at": now(),
    }
    stmt = _insert(store.engine, lti_links).values(learner_id=learner_id, module_id=module_id, **values)
    store._write(stmt.on_conflict_do_update(index_elements=["learner_id", "module_id"], set_=values))


def link(store: Store, learner_id: str, module_id: str) -> Link | None:
    rows = store._read(
        select(lti_links).where(lti_links.c.learner_id == learner_id, lti_links.c.module_id == module_id)
    )
    return Link(**rows[0]._mapping) if rows else None


# --- the outbox ----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Outgoing:
    id: int
    learner_id: str
    module_id: str
    attempt: int
    issuer: str
    client_id: str
    subject: str
    lineitem: str
    score_given: float
    score_maximum: float
    activity_progress: str
    grading_progress: str
    comment: str
    timestamp: datetime
    status: str
    tries: int
    next_try_at: datetime
    sent_at: datetime | None
    message: str


def queue_mark(
    store: Store, learner_id: str, module_id: str, score: float, max_score: float, comment: str = ""
) -> int | None:
    """Queue this mark of record for the LMS the learner came from; the new row's id, or None when
    the learner was not launched into this module with a line item, or this attempt is queued already."""
    found = link(store, learner_id, module_id)
    if found is None or not found.lineitem:
        return None
    attempt = store.last_finished_attempt(learner_id, module_id)
    if attempt is None:
        return None
    moment = now()
    stmt = (
        _insert(store.engine, lti_outbox)
        .values(
            learner_id=learner_id,
            module_id=module_id,
            attempt=attempt,
            issuer=found.issuer,
            client_id=found.client_id,
            subject=found.subject,
            lineitem=found.lineitem,
            score_given=float(score),
            score_maximum=float(max_score),
            activity_progress=COMPLETED,
            grading_progress=FULLY_GRADED,
            comment=comment,
            timestamp=moment,
            status="pending",
            tries=0,
            next_try_at=moment,
            message="",
        )
        .on_conflict_do_nothing(index_elements=["learner_id", "module_id", "attempt"])
        .returning(lti_outbox.c.id)
    )
    rows = store._write_returning(stmt)
    return int(rows[0][0]) if rows else None


def rows(store: Store, status: str | None = None) -> list[Outgoing]:
    query = select(lti_outbox).order_by(lti_outbox.c.id)
    if status:
        query = query.where(lti_outbox.c.status == status)
    return [Outgoing(**r._mapping) for r in store._read(query)]


def due(store: Store, at: datetime | None = None, limit: int = 50) -> list[Outgoing]:
    """Pending rows whose next try has come, oldest first."""
    query = (
        select(lti_outbox)
        .where(lti_outbox.c.status == "pending", lti_outbox.c.next_try_at <= (at or now()))
        .order_by(lti_outbox.c.id)
        .limit(limit)
    )
    return [Outgoing(**r._mapping) for r in store._read(query)]


def sent(store: Store, row_id: int) -> bool:
    """Mark a row sent (only a pending one: two senders never both count it)."""
    result = store._write(
        update(lti_outbox)
        .where(lti_outbox.c.id == row_id, lti_outbox.c.status == "pending")
        .values(status="sent", sent_at=now(), tries=lti_outbox.c.tries + 1, message="")
    )
    return bool(result.rowcount)


def backoff(tries: int) -> timedelta:
    """The wait after `tries` failed tries: 1, 2, 4 ... minutes, at most LAST_RETRY."""
    return min(FIRST_RETRY * (2 ** max(0, tries - 1)), LAST_RETRY)


def retry_later(store: Store, row: Outgoing, message: str, at: datetime | None = None) -> datetime:
    tries = row.tries + 1
    when = (at or now()) + backoff(tries)
    store._write(
        update(lti_outbox)
        .where(lti_outbox.c.id == row.id, lti_outbox.c.status == "pending")
        .values(tries=tries, next_try_at=when, message=message[:500])
    )
    return when


def refused(store: Store, row: Outgoing, message: str) -> None:
    """The LMS said no (a 4xx): trying again will not help; the row stays, failed, for a person to see."""
    store._write(
        update(lti_outbox)
        .where(lti_outbox.c.id == row.id, lti_outbox.c.status == "pending")
        .values(status="failed", tries=row.tries + 1, message=message[:500])
    )
