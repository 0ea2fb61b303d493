"""A queue of Finish requests in the records store (the `grading_queue` table), so a learner's
kernel and the grader can be different processes (or machines) and many learners can finish
at once. Every change is one statement; `claim` is a compare-and-swap on the status, so of
two markers racing for a request exactly one gets it."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select

from course.records.store import Store, now
from course.records.tables import grading_queue as requests


@dataclass(frozen=True)
class Request:
    id: int
    learner_id: str
    module_id: str
    status: str
    requested_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    message: str


def enqueue(store: Store, learner_id: str, module_id: str) -> int:
    """Add a Finish request for the marker; returns its id (one INSERT)."""
    result = store._write(
        requests.insert().values(
            learner_id=learner_id, module_id=module_id, status="queued", requested_at=now(), message=""
        )
    )
    return int(result.inserted_primary_key[0])


def get(store: Store, request_id: int) -> Request | None:
    """The request as it is now, or None when there is no such request."""
    rows = store._read(select(requests).where(requests.c.id == request_id))
    return Request(**rows[0]._mapping) if rows else None


def waiting(store: Store) -> int:
    """How many Finish requests wait for the marker."""
    return int(store._read(select(func.count()).select_from(requests).where(requests.c.status == "queued"))[0][0])


def claim(store: Store) -> Request | None:
    """Take the oldest queued request; of two graders racing for it, exactly one wins."""
    while True:
        rows = store._read(select(requests.c.id).where(requests.c.status == "queued").order_by(requests.c.id).limit(1))
        if not rows:
            return None
        request_id = rows[0].id
        won = store._write(
            requests.update()
            .where(requests.c.id == request_id, requests.c.status == "queued")
            .values(status="running", started_at=now())
        )
        if won.rowcount == 1:
            return get(store, request_id)


def requeue_abandoned(store: Store, older_than: timedelta = timedelta(minutes=10)) -> int:
    """Requests a marker started long ago and never completed (it was stopped mid-grade) go back
    in the queue; a marker grading now is never robbed (grading one takes seconds)."""
    result = store._write(
        requests.update()
        .where(requests.c.status == "running", requests.c.started_at < now() - older_than)
        .values(status="queued", started_at=None)
    )
    return result.rowcount


def complete(store: Store, request_id: int, ok: bool, message: str = "") -> None:
    """Mark a request done or failed (one UPDATE)."""
    store._write(
        requests.update()
        .where(requests.c.id == request_id)
        .values(status="done" if ok else "failed", finished_at=now(), message=message)
    )


def wait_for(store: Store, request_id: int, timeout: float, interval: float = 0.2) -> Request | None:
    """The request once it is done or failed, or None if `timeout` seconds pass first."""
    deadline = time.monotonic() + timeout
    while True:
        request = get(store, request_id)
        if request and request.status in ("done", "failed"):
            return request
        if time.monotonic() >= deadline:
            return None
        time.sleep(interval)
