"""`/voila/query/<kernel id>`: how a preheated kernel learns the request it was taken for.

Voila 0.5.13's handler (voila.request_info_handler) keeps one waiter per kernel id in a dict:
a second socket for the same id replaced the first, and closing either deleted whichever
waiter came first in the dict, often another kernel's, so the next learner's page hung. It
also kept every request's details (the query string, which may hold a sign-in token) in a cache
forever, and gave them to anyone who connected with that kernel id later.

This one: a second waiter for a kernel that has one is refused (closed at once, code 4409);
closing removes only the closing socket's own entry; a request's details are handed out once
and then forgotten (a socket that comes later gets nothing); details for a kernel nobody waits
for yet are kept only `CACHE_SECONDS`.
"""

from __future__ import annotations

import logging
import time
from typing import ClassVar

from tornado.websocket import WebSocketHandler

CACHE_SECONDS = 120.0
REFUSED = 4409  # a websocket close code in the application range: "already has a waiter"
log = logging.getLogger("course.server")


class QuerySocketHandler(WebSocketHandler):
    _waiters: ClassVar[dict[str, QuerySocketHandler]] = {}
    _cache: ClassVar[dict[str, tuple[float, str]]] = {}  # kernel id -> (when, payload)

    def open(self, kernel_id: str) -> None:
        self.kernel_id: str | None = None
        if kernel_id in self._waiters:
            log.warning("refused a second waiter for one kernel's request")
            self.close(REFUSED, "this kernel already has a waiter")
            return
        self.kernel_id = kernel_id
        type(self)._waiters[kernel_id] = self
        _, payload = type(self)._cache.pop(kernel_id, (0.0, None))
        if payload is not None:
            self.write_message(payload)

    def on_close(self) -> None:
        kernel_id = getattr(self, "kernel_id", None)  # None: refused, or closed before it opened
        if kernel_id is not None and type(self)._waiters.get(kernel_id) is self:
            del type(self)._waiters[kernel_id]

    @classmethod
    def send_updates(cls, msg: dict) -> None:
        """Voila's page handler calls this when a request takes a preheated kernel."""
        kernel_id, payload = msg["kernel_id"], msg["payload"]
        now = time.monotonic()
        for stale in [k for k, (when, _) in cls._cache.items() if now - when > CACHE_SECONDS]:
            del cls._cache[stale]
        waiter = cls._waiters.get(kernel_id)
        if waiter is None:
            cls._cache[kernel_id] = (now, payload)
            return
        try:
            waiter.write_message(payload)
        except Exception:
            log.exception("could not hand a request to its kernel")


def install() -> None:
    """Voila's page handler calls `RequestInfoSocketHandler.send_updates` by that name: send it here."""
    from voila import handler

    handler.RequestInfoSocketHandler = QuerySocketHandler  # deliberate patch
