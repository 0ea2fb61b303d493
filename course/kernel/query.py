"""The Voila page's query string, read inside its kernel, without importing Voila.

This does what `voila.utils.get_query_string()` does (voila 0.5, pinned): a kernel started
for a request finds the query in its environment; a preheated kernel, started before anyone
asked, waits on Voila's `/voila/query/<kernel id>` websocket until the request arrives and
takes the request's environment from it. Importing `voila.utils` pulls in the whole Jupyter
server: about 48 MB and 4 s in every learner's kernel, for these few lines.
"""

from __future__ import annotations

import json
import os


def _query_url() -> str:
    # the same environment variables, and the same defaults, as voila.utils.wait_for_request
    protocol = os.getenv("VOILA_WS_PROTOCOL", "ws")
    host = os.getenv("VOILA_APP_IP", "127.0.0.1")
    port = os.getenv("VOILA_APP_PORT", "8866")
    base = os.getenv("VOILA_WS_BASE_URL", os.getenv("VOILA_SERVER_URL", "/"))
    return f"{protocol}://{host}:{port}{base}voila/query/{os.getenv('VOILA_KERNEL_ID')}"


def wait_for_request(open_timeout: float = 5.0) -> None:
    """In a preheated kernel: wait for the page request and copy its environment (QUERY_STRING...)."""
    if os.getenv("VOILA_PREHEAT", "False") == "False":
        return
    from websockets.sync.client import connect

    try:
        with connect(_query_url(), open_timeout=open_timeout, max_size=2**20) as websocket:
            message = websocket.recv()
    except Exception:  # noqa: BLE001 - the server went away: there is no request
        return
    for key, value in json.loads(message).items():
        os.environ[key] = str(value)
    os.environ["VOILA_PREHEAT"] = "False"  # the request has come: never wait again in this kernel


def get_query_string() -> str | None:
    """The page's query string, or None when no request ever came (the server stopped)."""
    wait_for_request()
    return os.getenv("QUERY_STRING")
