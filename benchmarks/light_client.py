"""A light learner: what a learner's page does over HTTP and the kernel websocket, without a browser.

One `LightPage` is one open page. `open()` asks for the page as a browser would (keeping the
cookies it sets, the page's secret among them), reads the page's kernel id from Voila's config,
opens the kernel websocket and asks the widget manager's control channel for every widget's
state (`request_states`, what ipywidgets 8's page script sends). From then on it follows the
kernel's widget messages (new widgets, state updates) in `models`, and can click a button or
set a value as the page would (`click`, `set_state`). Jupyter's JSON websocket protocol; no
code is ever sent (the course's server would refuse it anyway).

Used by benchmarks.load to put many learners on a server from one process; a handful of real
Chromium pages in the same run check that its figures match a browser's.
"""

from __future__ import annotations

import asyncio
import json
import re
import time
import uuid
from collections.abc import Callable
from http.cookies import SimpleCookie
from typing import Any

from tornado.httpclient import AsyncHTTPClient, HTTPRequest
from tornado.websocket import websocket_connect

CONFIG = re.compile(r'<script id="jupyter-config-data" type="application/json">\s*(\{.*?\})\s*</script>', re.S)
Model = dict[str, Any]


class PageError(Exception):
    """The page did not open or did not answer (counted as an error by the benchmark)."""


class LightPage:
    def __init__(self, base: str, timeout: float = 60.0):
        self.base = base
        self.timeout = timeout
        self.cookies: dict[str, str] = {}
        self.models: dict[str, Model] = {}  # comm id -> widget state
        self.created: list[str] = []  # comm ids in the order the kernel made them
        self.changed = asyncio.Event()
        self.session = uuid.uuid4().hex
        self.ws = None
        self.kernel_id = ""
        self._reader: asyncio.Task | None = None

    # --- opening -------------------------------------------------------------------------------------------

    async def get(self, path: str) -> str:
        request = HTTPRequest(
            self.base + path,
            headers={"Cookie": self._cookie_header(), "Accept-Encoding": "gzip"},
            follow_redirects=False,
            request_timeout=self.timeout,
            decompress_response=True,
        )
        response = await AsyncHTTPClient().fetch(request, raise_error=False)
        for header in response.headers.get_list("Set-Cookie"):
            for name, morsel in SimpleCookie(header).items():
                self.cookies[name] = morsel.value
        if response.code in (301, 302):
            return await self.get(response.headers["Location"])
        if response.code != 200:
            raise PageError(f"{path.split('?')[0]}: HTTP {response.code}")
        return response.body.decode("utf-8", "replace")

    async def open(self, path: str) -> None:
        html = await self.get(path)
        found = CONFIG.search(html)
        if not found:
            raise PageError(f"{path.split('?')[0]}: no kernel in the page")
        self.kernel_id = json.loads(found.group(1))["kernelId"]
        url = (
            self.base.replace("http://", "ws://") + f"/api/kernels/{self.kernel_id}/channels?session_id={self.session}"
        )
        self.ws = await websocket_connect(
            HTTPRequest(url, headers={"Cookie": self._cookie_header()}, request_timeout=self.timeout)
        )
        self._reader = asyncio.ensure_future(self._read())
        control = uuid.uuid4().hex
        # the widget control protocol's version goes in the metadata (ipywidgets refuses the comm without it)
        await self._send(
            "comm_open",
            {"comm_id": control, "target_name": "jupyter.widget.control", "data": {}},
            metadata={"version": "1.0.0"},
        )
        await self._send("comm_msg", {"comm_id": control, "data": {"method": "request_states"}})

    def _cookie_header(self) -> str:
        return "; ".join(f"{name}={value}" for name, value in self.cookies.items())

    # --- following the kernel --------------------------------------------------------------------------------

    async def _read(self) -> None:
        assert self.ws is not None
        while True:
            message = await self.ws.read_message()
            if message is None:
                return
            if isinstance(message, bytes):
                continue  # binary frames carry widget buffers (images): not needed here
            self._handle(json.loads(message))

    def _handle(self, msg: dict) -> None:
        kind, content = msg["header"]["msg_type"], msg.get("content", {})
        data = content.get("data", {})
        if kind == "comm_open" and content.get("target_name") == "jupyter.widget":
            self.models[content["comm_id"]] = dict(data.get("state", {}))
            self.created.append(content["comm_id"])
        elif kind == "comm_msg" and data.get("method") == "update_states":
            for comm_id, model in data.get("states", {}).items():
                if comm_id not in self.models:
                    self.created.append(comm_id)
                self.models[comm_id] = dict(model.get("state", {}))
        elif kind == "comm_msg" and data.get("method") in ("update", "echo_update"):
            self.models.setdefault(content["comm_id"], {}).update(data.get("state", {}))
        elif kind == "comm_close":
            self.models.pop(content.get("comm_id"), None)
        else:
            return
        self.changed.set()

    async def wait_for(self, find: Callable[[LightPage], str | None], what: str) -> str:
        """The comm id `find` returns once it returns one; PageError after the timeout."""
        deadline = time.monotonic() + self.timeout
        while True:
            found = find(self)
            if found:
                return found
            if self._reader is not None and self._reader.done():
                raise PageError(f"the page's socket closed while waiting for {what}")
            left = deadline - time.monotonic()
            if left <= 0:
                raise PageError(f"no {what} after {self.timeout:.0f} s")
            self.changed.clear()
            try:
                await asyncio.wait_for(self.changed.wait(), left)
            except TimeoutError:
                continue

    # --- what a learner does -------------------------------------------------------------------------------

    async def click(self, comm_id: str) -> None:
        await self._send("comm_msg", {"comm_id": comm_id, "data": {"method": "custom", "content": {"event": "click"}}})

    async def set_state(self, comm_id: str, state: dict) -> None:
        self.models[comm_id].update(state)
        await self._send(
            "comm_msg", {"comm_id": comm_id, "data": {"method": "update", "state": state, "buffer_paths": []}}
        )

    async def _send(self, kind: str, content: dict, metadata: dict | None = None) -> None:
        assert self.ws is not None
        msg = {
            "header": {
                "msg_id": uuid.uuid4().hex,
                "msg_type": kind,
                "session": self.session,
                "username": "",
                "date": "",
                "version": "5.3",
            },
            "parent_header": {},
            "metadata": metadata or {},
            "content": content,
            "channel": "shell",
            "buffers": [],
        }
        await self.ws.write_message(json.dumps(msg))

    async def close(self) -> None:
        """Leave the page as a browser does: the socket closes and Voila is asked to stop the kernel."""
        if self.ws is not None:
            self.ws.close()
        if self._reader is not None:
            self._reader.cancel()
        if self.kernel_id and "_xsrf" in self.cookies:
            request = HTTPRequest(
                f"{self.base}/voila/api/shutdown/{self.kernel_id}",
                method="POST",
                body="",
                headers={"Cookie": self._cookie_header(), "X-XSRFToken": self.cookies["_xsrf"]},
                request_timeout=self.timeout,
            )
            await AsyncHTTPClient().fetch(request, raise_error=False)


# --- finding widgets as a learner sees them ----------------------------------------------------------------


def newest(page: LightPage, test: Callable[[Model], bool], after: int = 0) -> str | None:
    """The most recently made widget passing `test`, among those made after the first `after`."""
    for comm_id in reversed(page.created[after:]):
        model = page.models.get(comm_id)
        if model is not None and test(model):
            return comm_id
    return None


def button(description: str, after: int = 0) -> Callable[[LightPage], str | None]:
    def find(page: LightPage) -> str | None:
        return newest(
            page,
            lambda m: (
                m.get("_model_name") == "ButtonModel"
                and m.get("description", "").startswith(description)
                and not m.get("disabled")
            ),
            after,
        )

    return find


def radio(after: int = 0) -> Callable[[LightPage], str | None]:
    return lambda page: newest(
        page, lambda m: m.get("_model_name") == "RadioButtonsModel" and bool(m.get("_options_labels")), after
    )


def showing(page: LightPage, text: str) -> set[str]:
    """The HTML widgets whose content has `text` now."""
    return {i for i, m in page.models.items() if m.get("_model_name") == "HTMLModel" and text in (m.get("value") or "")}


def newly_showing(text: str, before: set[str]) -> Callable[[LightPage], str | None]:
    """An HTML widget that has `text` and did not have it when `before` was taken (feedback appearing)."""
    return lambda page: next(iter(showing(page, text) - before), None)


def label_equal(text: str) -> Callable[[LightPage], str | None]:
    return lambda page: newest(page, lambda m: m.get("_model_name") == "LabelModel" and m.get("value") == text)
