"""On a real `course serve`: the page is its owner's (a per-page secret cookie; kernel ids out of
the log), page kernels are capped per client (a "busy" page, 503, no kernel started), and
Voila's query socket refuses a second waiter and removes only its own.

Checked with the defences off: with Voila's own RequestInfoSocketHandler (query_socket.install
and the handler swap removed) the page after the double open/close hangs; without the cookie
check in kernel_guard the bare-id websocket opens (101)."""

from __future__ import annotations

import asyncio
import json
import os
import re
import stat
import subprocess
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest

from course.server.kernel_limits import KernelLimits

from .support.servers import BIN, free_port, http_get, stop, wait_until

pytestmark = pytest.mark.slow
PER_CLIENT = 3


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    data = tmp_path_factory.mktemp("bounds")
    env = {
        "COURSE_DATA_DIR": str(data / "var"),
        "COURSE_DB_URL": "",
        "COURSE_LEARNER": "bounds-os-user",
        "COURSE_MAX_KERNELS_PER_CLIENT": str(PER_CLIENT),
    }
    log = data / "voila.log"
    port = free_port()
    with open(log, "w") as out:
        # not tests.support.servers.course_server: its readiness probe follows `/` to the home page
        # and, timing out while the machine is busy, would spend this test's small kernel cap
        process = subprocess.Popen(
            [str(BIN / "course"), "serve", f"--port={port}", "--no-grading", "--pool-size=1"],
            env={**os.environ, **env},
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        base = f"http://127.0.0.1:{port}"
        try:
            wait_until(lambda: process.poll() is not None or redirects(f"{base}/"), timeout=300)
            assert process.poll() is None, log.read_text()
            wait_until(lambda: "Kernel pool of home.ipynb is filled" in log.read_text(), timeout=300)
            yield {"base": base, "log": log, "data": data / "var"}
        finally:
            stop(process)


def redirects(url: str) -> bool:
    try:
        return http_get(url)[0] == 302
    except OSError:  # not listening yet
        return False


def settled_kernel_starts(log, quiet: float = 3.0, timeout: float = 120.0) -> int:
    """The log's count of started kernels once it has not changed for `quiet` seconds."""
    deadline = time.monotonic() + timeout
    count = log.read_text().count("Kernel started")
    while time.monotonic() < deadline:
        time.sleep(quiet)
        now = log.read_text().count("Kernel started")
        if now == count:
            return count
        count = now
    raise AssertionError(f"kernels kept starting for {timeout:.0f} s: {count} so far")


def render(base: str):
    status, headers, body = http_get(f"{base}/voila/render/home.ipynb")
    config = re.search(r'<script id="jupyter-config-data" type="application/json">(.*?)</script>', body, re.S)
    kernel_id = json.loads(config.group(1))["kernelId"] if config else None
    return status, headers, body, kernel_id


def run(coro):
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coro).result()


async def ws_status(url: str, cookie: str, origin: str) -> int:
    from tornado.httpclient import HTTPClientError, HTTPRequest
    from tornado.websocket import websocket_connect

    try:
        ws = await websocket_connect(HTTPRequest(url, headers={"Cookie": cookie, "Origin": origin}))
    except HTTPClientError as exc:
        return exc.code
    ws.close()
    return 101


def test_query_socket_secret_cookie_log_and_kernel_cap(server):
    base = server["base"]
    ws_base = base.replace("http://", "ws://")

    # 1. Voila's query socket, opened twice for one id and closed: the preheated kernel's waiter stays
    async def twice() -> int | None:
        from tornado.websocket import websocket_connect

        some_id = str(uuid.uuid4())
        first = await websocket_connect(f"{ws_base}/voila/query/{some_id}")
        second = await websocket_connect(f"{ws_base}/voila/query/{some_id}")
        refused = await second.read_message()  # None: the server closed it
        code = second.close_code
        first.close()
        second.close()
        await asyncio.sleep(0.5)
        return code if refused is None else -1

    assert run(twice()) == 4409  # the second waiter is refused
    status, headers, body, kernel_id = render(base)  # the next learner's page still renders
    assert status == 200 and kernel_id
    assert "application/vnd.jupyter.widget-view+json" in body

    # 2. the page's secret: HttpOnly, SameSite=Strict, named for its kernel
    cookies = headers.get_all("Set-Cookie")
    secret = next(c for c in cookies if c.startswith("course-page-"))
    assert "HttpOnly" in secret and "SameSite=Strict" in secret
    xsrf = next(c.split(";")[0] for c in cookies if c.startswith("_xsrf="))
    url = f"{ws_base}/api/kernels/{kernel_id}/channels?session_id={uuid.uuid4().hex}"
    assert run(ws_status(url, xsrf, base)) == 403  # a fresh client with only the kernel id
    other_secret = secret.split("=")[0] + "=" + "0" * 43
    assert run(ws_status(url, f"{xsrf}; {other_secret}", base)) == 403  # a guessed secret
    assert run(ws_status(url, f"{xsrf}; {secret.split(';')[0]}", base)) == 101  # the page's own browser

    # 3. no kernel id in the server's log
    log = server["log"].read_text()
    assert kernel_id not in log
    assert "/api/kernels/<kernel>/channels" in log

    # 4. the cap per client address: pages up to it, then "busy" with 503 and no kernel started
    held = 1
    while held < PER_CLIENT:
        assert render(base)[0] == 200
        held += 1
    # the pool refills the kernel the last page took in the background: count once it has
    started = settled_kernel_starts(server["log"])
    status, headers, body, _ = render(base)
    assert status == 503 and headers["Retry-After"] == "60"  # this address holds its own cap: a long wait
    assert "The course is busy" in body and "Please try again in about 60 seconds" in body
    assert 'data-cm-retry="60"' in body and "retry.js" in body and ">Try again now</a>" in body
    assert headers["Cache-Control"] == "no-store" and "Traceback" not in body
    assert not [c for c in headers.get_all("Set-Cookie") or [] if c.startswith("course-page-")]
    time.sleep(3)  # a kernel would have started by now
    assert server["log"].read_text().count("Kernel started") == started

    # 5. `course serve` made its data folder private
    data = server["data"]
    assert stat.S_IMODE(data.stat().st_mode) == 0o700
    assert stat.S_IMODE((data / "records.db").stat().st_mode) == 0o600


def test_kernel_limits_count_pending_pages_and_forget_gone_kernels():
    limits = KernelLimits(max_total=3, max_per_client=2)
    alive = {"k1", "k2", "k3"}
    assert limits.admit("a", lambda: alive) and limits.admit("a", lambda: alive)
    assert not limits.admit("a", lambda: alive)  # two pages being rendered already count
    limits.rendered("a", "k1")
    limits.rendered("a", None)  # a render that failed holds no kernel
    assert limits.admit("b", lambda: alive) and limits.admit("b", lambda: alive)
    assert not limits.admit("c", lambda: alive)  # the server's cap: 3 pages
    limits.rendered("b", "k2")
    limits.rendered("b", "k3")
    assert limits.admit("c", lambda: {"k2", "k3"})  # k1's page closed: its place is free
