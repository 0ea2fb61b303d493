"""Start real servers for tests: Voila on 127.0.0.1 (`course serve`), and headless Debian Chromium."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from contextlib import contextmanager
from pathlib import Path

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
BIN = Path(sys.executable).parent
ROOT = Path(__file__).resolve().parents[2]
AXE = ROOT / "tests" / "js" / "node_modules" / "axe-core" / "axe.min.js"
ARTIFACTS = ROOT / "test-artifacts"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(check, timeout: float = 120, every: float = 0.5):
    """Poll `check()` until it returns something true (and return it), as a user watching would."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(every)
    raise AssertionError(f"condition not met within {timeout} s")


def wait_for(url: str, timeout: float = 60, process: subprocess.Popen | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode} before {url} answered")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status < 500:
                    return
        except urllib.error.HTTPError as exc:
            if exc.code < 500:
                return
            time.sleep(0.25)
        except OSError:
            time.sleep(0.25)
    raise TimeoutError(f"{url} did not answer within {timeout} s")


def stop(process: subprocess.Popen, timeout: float = 30) -> int:
    """Ask a server to stop (SIGTERM), and kill it if it has not within `timeout` seconds."""
    process.terminate()
    try:
        return process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        return process.wait(timeout=15)


@contextmanager
def course_key(key: str):
    """This test process signs (certificates, download tickets) with `key`, the server's key, for the
    block; the variable is put back as it was after."""
    before = os.environ.get("COURSE_SECRET_KEY")
    os.environ["COURSE_SECRET_KEY"] = key
    try:
        yield key
    finally:
        if before is None:
            os.environ.pop("COURSE_SECRET_KEY", None)
        else:
            os.environ["COURSE_SECRET_KEY"] = before


@contextmanager
def course_server(env: dict, log_path: Path, *extra: str, ready: str = "/"):
    """`course serve` on a free port; yields the base URL and stops the server after. `ready`: the
    address whose answer means the server is up (`/` follows to the home page, which needs a kernel;
    a test of a page without one can wait for that page instead)."""
    port = free_port()
    # every test page comes from 127.0.0.1 and many stay open: the kernel caps are tested on their
    # own (tests/test_server_bounds.py), so here they are out of the way unless a test sets them
    env = {"COURSE_MAX_KERNELS": "1000", "COURSE_MAX_KERNELS_PER_CLIENT": "1000", **env}
    if "COURSE_GRADING_DIR" not in env and "--no-grading" not in extra:
        extra = (*extra, "--no-grading")  # a test never releases into or grades in the checkout's grading/
    with open(log_path, "w") as log:
        process = subprocess.Popen(
            [str(BIN / "course"), "serve", f"--port={port}", *extra],
            env={**os.environ, **env},
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            # a first start releases every module with nbgrader before Voila listens; on a 2-core CI
            # machine busy with other tests that has taken over four minutes (a dead server still fails at once)
            wait_for(f"http://127.0.0.1:{port}{ready}", timeout=420, process=process)
            yield f"http://127.0.0.1:{port}"
        finally:
            stop(process)


@contextmanager
def chromium():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            yield browser
        finally:
            browser.close()


def signed_in(store, learner_id: str, name: str) -> str:
    """A learner signed in as the home would do it: their session token."""
    from course.records import signin_tokens as sessions

    store.ensure_learner(learner_id, name=name, staff_number=learner_id)
    return sessions.issue(store, learner_id)


def http_get(url: str):
    """(status, headers, body) without following redirects; headers.get_all() for repeated ones."""

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    opener = urllib.request.build_opener(NoRedirect)
    try:
        with opener.open(url, timeout=30) as response:
            return response.status, response.headers, response.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers, exc.read().decode("utf-8", "replace")


def kernel_alive(base: str, kernel_id: str) -> bool:
    status, _headers, body = http_get(f"{base}/api/kernels/{kernel_id}")
    return status == 200 and json.loads(body).get("id") == kernel_id


def page_kernel_id(page) -> str:
    """The kernel a Voila page runs on (Voila writes it into the page's config)."""
    return json.loads(page.locator("#jupyter-config-data").first.text_content())["kernelId"]


def axe_violations(page, impacts=("serious", "critical")) -> list[dict]:
    """axe-core's violations on the page at or above `impacts` (axe is loaded into the page)."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE))
    result = page.evaluate("""async () => {
        const r = await axe.run(document, {resultTypes: ['violations']});
        return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                                       nodes: v.nodes.slice(0, 3).map(n => n.target.join(' ') + ': ' + n.failureSummary)}));
    }""")
    return [v for v in result if v["impact"] in impacts]


@contextmanager
def manager_dashboard_server(env: dict, log_path: Path):
    """The manager dashboard (`course manager dashboard`'s Voila) on a free port; yields the base URL."""
    from course.server.dashboard import dashboard_command, dashboard_env

    port = free_port()
    with open(log_path, "w") as log:
        process = subprocess.Popen(
            dashboard_command(port),
            env=dashboard_env({**os.environ, "COURSE_MAX_KERNELS_PER_CLIENT": "1000", **env}),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            wait_for(f"http://127.0.0.1:{port}/", timeout=90, process=process)
            yield f"http://127.0.0.1:{port}"
        finally:
            stop(process)


def tab_to(page, describe: str, check: str, limit: int = 60) -> None:
    """Press Tab until the focused element passes `check` (JS, gets `el`), as a keyboard user would."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate(f"(() => {{ const el = document.activeElement; return !!el && ({check}); }})()"):
            return
    raise AssertionError(
        f"Tab never reached {describe}; focus is on {page.evaluate('document.activeElement.outerHTML')[:200]}"
    )
