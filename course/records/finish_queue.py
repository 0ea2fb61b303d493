"""A queue of Finish requests in the records store (the `grading_queue` table), so a learner's
kernel and the grader can be different processes (or machines) and many learners can finish
at once. Every change is one statement; `claim` is a compare-and-swap on the status, so of
two markers racing for a request exactly one gets it."""

from __future__ import annotations

import os
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select

from course.records.store import Store, aware, now
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


RUNNING_PREFIX = "marking: "  # a running request's message names its marker: "marking: <host> <pid>"


def marker_id() -> str:
    """This process as a marker: host and pid, so a marker starting later can tell a dead one."""
    return f"{socket.gethostname()} {os.getpid()}"


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: alive
        return True
    return True


def claim(store: Store, marker: str | None = None) -> Request | None:
    """Take the oldest queued request; of two graders racing for it, exactly one wins. The request's
    message names the marker (`marker_id()`) while it runs."""
    while True:
        rows = store._read(select(requests.c.id).where(requests.c.status == "queued").order_by(requests.c.id).limit(1))
        if not rows:
            return None
        request_id = rows[0].id
        won = store._write(
            requests.update()
            .where(requests.c.id == request_id, requests.c.status == "queued")
            .values(status="running", started_at=now(), message=RUNNING_PREFIX + (marker or marker_id()))
        )
        if won.rowcount == 1:
            return get(store, request_id)


def requeue_abandoned(
    store: Store, older_than: timedelta = timedelta(minutes=10), alive: Callable[[int], bool] = _pid_alive
) -> int:
    """Requests left "running" by a marker that is gone go back in the queue: at once when the
    marker was on this host and its pid is dead (killed mid-grade), else once started longer
    ago than `older_than` (a marker on another machine; grading one takes seconds). A marker
    grading now is never robbed. Each move is a compare-and-swap on (status, message)."""
    host = socket.gethostname()
    rows = store._read(
        select(requests.c.id, requests.c.started_at, requests.c.message).where(requests.c.status == "running")
    )
    moved = 0
    for row in rows:
        owner = (row.message or "").removeprefix(RUNNING_PREFIX).split(" ")
        dead_here = len(owner) == 2 and owner[0] == host and owner[1].isdigit() and not alive(int(owner[1]))
        started = aware(row.started_at)
        if dead_here or started is None or started < now() - older_than:
            result = store._write(
                requests.update()
                .where(requests.c.id == row.id, requests.c.status == "running", requests.c.message == row.message)
                .values(status="queued", started_at=None, message="")
            )
            moved += result.rowcount
    return moved


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
