"""One reader of a live session per server process, however many phones wait on it.

The light join page long-polls: a phone asks "has the session moved on from what I show?" and
the answer waits until it has (or `timeout` passes). Forty phones waiting on one session are
forty idle requests on the server's event loop and ONE read of the session every `interval`
seconds (a worker thread, so a slow store never blocks the loop), where forty kernel join
pages were forty kernels each reading the store every 0.4 s. The reader stops once nobody has
waited on the session for `idle_after` seconds.

A reader that fails (the store is busy) logs once and tries again at the next interval; the
phones keep waiting and catch up when it answers.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from course.live import core
from course.live.phone import state_key
from course.records.store import StoreError

log = logging.getLogger("course.live.watch")

INTERVAL = 0.3  # seconds between reads of a watched session (the trainer page polls as often)
IDLE_AFTER = 30.0


@dataclass
class _Watched:
    session: core.LiveSession
    read_at: float
    changed: asyncio.Event = field(default_factory=asyncio.Event)
    waiting: int = 0
    last_wait: float = 0.0
    reader: asyncio.Task | None = None


class RoomWatch:
    def __init__(
        self,
        read: Callable[[str], core.LiveSession],
        *,
        interval: float = INTERVAL,
        idle_after: float = IDLE_AFTER,
    ):
        self.read, self.interval, self.idle_after = read, interval, idle_after
        self._watched: dict[str, _Watched] = {}
        self._reading: dict[str, asyncio.Future] = {}  # a read in flight: phones arriving meanwhile share it
        self.reads = 0  # how many times the store was read (for the benchmark and the tests)

    def waiting(self) -> int:
        """Phones waiting now, over every watched session."""
        return sum(w.waiting for w in self._watched.values())

    async def _read(self, session_id: str) -> core.LiveSession:
        pending = self._reading.get(session_id)
        if pending is None:
            self.reads += 1
            pending = asyncio.ensure_future(asyncio.to_thread(self.read, session_id))
            self._reading[session_id] = pending
            pending.add_done_callback(lambda _f: self._reading.pop(session_id, None))
        return await asyncio.shield(pending)

    async def current(self, session_id: str) -> core.LiveSession:
        """The session as of at most `interval` seconds ago (read now if older)."""
        watched = self._watched.get(session_id)
        if watched is None or time.monotonic() - watched.read_at > self.interval:
            session = await self._read(session_id)
            self._update(session_id, session)
            return session
        return watched.session

    def _update(self, session_id: str, session: core.LiveSession) -> None:
        watched = self._watched.get(session_id)
        if watched is None:
            self._watched[session_id] = _Watched(session, time.monotonic())
            return
        before = state_key(watched.session)
        watched.session, watched.read_at = session, time.monotonic()
        if state_key(session) != before:
            watched.changed.set()  # wakes every phone waiting on the old state
            watched.changed = asyncio.Event()

    async def wait(self, session_id: str, since: str, timeout: float) -> core.LiveSession:
        """The session once its state is no longer `since` (a phone's state key), or after `timeout`."""
        session = await self.current(session_id)
        if state_key(session) != since or not session.is_open:
            return session
        watched = self._watched[session_id]
        watched.waiting += 1
        watched.last_wait = time.monotonic()
        if watched.reader is None or watched.reader.done():
            watched.reader = asyncio.ensure_future(self._follow(session_id))
        changed = watched.changed
        try:
            await asyncio.wait_for(changed.wait(), timeout)
        except TimeoutError:
            pass
        finally:
            watched.waiting -= 1
            watched.last_wait = time.monotonic()
        return watched.session

    async def _follow(self, session_id: str) -> None:
        watched = self._watched[session_id]
        failing = False
        while watched.waiting or time.monotonic() - watched.last_wait < self.idle_after:
            await asyncio.sleep(self.interval)
            try:
                session = await self._read(session_id)
            except core.SessionNotFound:
                break  # removed (course purge): the phones' next request is told
            except StoreError:  # a busy store: the phones wait, the next read catches up
                if not failing:
                    log.exception("could not read a live session for the phones waiting on it")
                failing = True
                continue
            failing = False
            self._update(session_id, session)
            if not session.is_open:
                break
        self._watched.pop(session_id, None)
