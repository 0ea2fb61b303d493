"""The kernel websocket a course page holds: widget messages in, nothing that runs code.

A Voila page talks to its kernel over `/api/kernels/<id>/channels`. The page's widgets need
only a handful of message types; a person with the page's kernel id and its `_xsrf` cookie
could otherwise send an `execute_request` (or `inspect_request`, `debug_request`, ...) and run
code as the server's user, with every learner's records in reach.

Voila already asks jupyter_server to drop other types (`allowed_message_types` on its kernel
manager). This guard is the course's own lock in front of it, so a config file, a flag or a
Voila upgrade cannot open it: it reads each incoming message's channel and `msg_type` (JSON,
the legacy binary form, or the v1 websocket protocol the page uses), passes on only what the
widgets send, and drops the rest with one log line that names the type, never the content.

What a course page sends (recorded from a real session in Chromium): `kernel_info_request`,
`comm_open`, `comm_msg` and `comm_close`, all on the shell channel. `comm_info_request` is
allowed too (the widget manager asks for it when it reconnects). The page frees its kernel
through `/voila/api/shutdown/<id>`, so `shutdown_request` is not needed here.
"""

from __future__ import annotations

import json

from jupyter_server.services.kernels.connection.base import deserialize_binary_message, deserialize_msg_from_ws_v1
from tornado import web
from voila.tornado.kernel_websocket_handler import VoilaKernelWebsocketHandler

from course.server import page_secret

ALLOWED_MSG_TYPES = frozenset({"kernel_info_request", "comm_info_request", "comm_open", "comm_msg", "comm_close"})
ALLOWED_CHANNELS = frozenset({"shell", "control"})
V1 = "v1.kernel.websocket.jupyter.org"  # the protocol jupyter_server's connection reads with the same rule


def message_kind(message: str | bytes, subprotocol: str | None) -> tuple[str | None, str | None]:
    """(channel, msg_type) of one incoming websocket message; (None, None) if unreadable."""
    try:
        if subprotocol == V1:
            channel, parts = deserialize_msg_from_ws_v1(message)
            header = json.loads(parts[0])
        else:
            msg = deserialize_binary_message(message) if isinstance(message, bytes) else json.loads(message)
            channel, header = msg.get("channel"), msg.get("header")
        msg_type = header.get("msg_type") if isinstance(header, dict) else None
    except Exception:  # noqa: BLE001 - anything malformed is refused, not parsed further
        return None, None
    return (channel if isinstance(channel, str) else None), (msg_type if isinstance(msg_type, str) else None)


def allowed(channel: str | None, msg_type: str | None) -> bool:
    return channel in ALLOWED_CHANNELS and msg_type in ALLOWED_MSG_TYPES


class GuardedKernelWebsocketHandler(VoilaKernelWebsocketHandler):
    """Voila's kernel websocket, passing on only the messages a course page's widgets send, and
    only to the browser the page was rendered for (its per-page secret: course.server.page_secret)."""

    async def get(self, kernel_id):
        if not page_secret.holds(self, kernel_id):
            self.log.warning("refused a kernel websocket without its page's secret (from %s)", self.request.remote_ip)
            raise web.HTTPError(403)
        return await super().get(kernel_id)

    def on_message(self, ws_message):
        channel, msg_type = message_kind(ws_message, self.selected_subprotocol)
        if not allowed(channel, msg_type):
            self.log.warning(
                "refused a %.40r message on the %.20r channel (only widget messages are allowed)", msg_type, channel
            )
            return None
        return super().on_message(ws_message)
