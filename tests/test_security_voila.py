"""What a browser can and cannot do to a running course (`course serve`, a real Voila on 127.0.0.1).

- no way to run code: the kernel websocket a page holds carries widget messages only, in every
  form a client can send them (JSON from a real Chromium page, Jupyter's v1 binary protocol
  from a Python client), and not from another site at all;
- no way to read files or list notebooks: every Jupyter/Voila route that could is gone or refuses,
  including `..` in the address and notebooks outside the app folder (the manager's dashboard);
- no way to change the template or theme from the address;
- tracebacks never reach the page: a real exception in a page, and one in the server, both show
  the course's friendly page and leave the details in the server's log.

One server for the whole file. Assertions are about outcomes (status codes, what was written,
what came back), never about timing: the websocket tests wait for the kernel's reply to a harmless
request sent *after* the forbidden ones, which the kernel could only send after handling them.
"""

from __future__ import annotations

import asyncio
import http.client
import json
import os
import re
import uuid
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urljoin, urlparse

import pytest

from course.records.store import Store

from .support.servers import CHROMIUM, ROOT, course_server, http_get, page_kernel_id, signed_in

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not os.path.exists(CHROMIUM), reason="Debian chromium is not installed (scripts/test.sh installs it)"
    ),
]

PAGE_TIMEOUT = 120_000
FORBIDDEN_REPLIES = {
    "execute_input",
    "execute_reply",
    "execute_result",
    "stream",
    "error",
    "display_data",
    "inspect_reply",
    "complete_reply",
    "history_reply",
    "debug_reply",
    "shutdown_reply",
    "is_complete_reply",
    "input_request",
}


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    data = tmp_path_factory.mktemp("security")
    env = {"COURSE_DATA_DIR": str(data / "var"), "COURSE_DB_URL": "", "COURSE_LEARNER": "server-os-user"}
    log = data / "voila.log"
    with course_server(env, log, "--pool-size=1") as base:
        yield {"base": base, "db": f"sqlite:///{data / 'var' / 'records.db'}", "log": log, "dir": data}


@pytest.fixture
def store(server):
    return Store(server["db"])


def raw_request(base: str, path: str, method: str = "GET", headers: dict | None = None, follow: int = 3):
    """(status, headers, body) for `path` sent exactly as written (`..` and all), following redirects on this host."""
    host = urlparse(base)
    for _ in range(follow + 1):
        conn = http.client.HTTPConnection(host.hostname, host.port, timeout=30)
        try:
            conn.request(method, path, headers=headers or {}, body=b"" if method != "GET" else None)
            response = conn.getresponse()
            body = response.read().decode("utf-8", "replace")
        finally:
            conn.close()
        location = response.getheader("Location")
        if response.status in (301, 302, 303, 307, 308) and location:
            target = urlparse(urljoin(base + "/", location))
            assert target.hostname in (None, host.hostname) and target.port in (None, host.port), location
            path = target.path + (f"?{target.query}" if target.query else "")
            method = "GET"
            continue
        return response.status, response.headers, body
    raise AssertionError(f"{path}: more than {follow} redirects")


def assert_friendly(body: str, what: str) -> None:
    """The course's own error page: no traceback, no server paths, no file contents."""
    assert "course/static/theme.css" in body and 'role="banner"' in body, what
    for leak in (
        "Traceback",
        'File "',
        str(ROOT),
        "site-packages",
        "/etc/",
        "root:x:0:0",
        "jupyter_server",
        "Social media training: manager dashboard",
        "nbformat",
    ):
        assert leak not in body, (what, leak)


def page_xsrf(base: str) -> tuple[str, str]:
    """A course page's kernel id and its cookies (`_xsrf`, the page's secret), as a browser gets them."""
    status, headers, body = http_get(f"{base}/voila/render/home.ipynb")
    assert status == 200
    cookie = "; ".join(c.split(";")[0] for c in headers.get_all("Set-Cookie"))
    config = re.search(r'<script id="jupyter-config-data" type="application/json">(.*?)</script>', body, re.S)
    return json.loads(config.group(1))["kernelId"], cookie


# --- nothing to list, nothing to read -------------------------------------------------------------------

REFUSED = [
    # Jupyter Server's APIs and UIs: not routed in the course server
    "/api/kernels",
    "/api/kernelspecs",
    "/api/sessions",
    "/api/terminals",
    "/api/contents",
    "/api/contents/home.ipynb",
    "/api/me",
    "/api/status",
    "/api/config/notebook",
    "/lab",
    "/tree",
    "/notebooks/home.ipynb",
    "/files/home.ipynb",
    "/edit/home.ipynb",
    "/terminals/1",
    "/login",
    "/logout",
    # Voila's listings and files
    "/voila/tree",
    "/voila/tree/",
    "/voila/api/contents",
    "/voila/api/contents/home.ipynb",
    "/voila/files/home.ipynb",
    "/voila/files/module.ipynb",
    "/voila/files/../../README.md",
    "/voila/files/%2e%2e/%2e%2e/pyproject.toml",
    # path traversal through every static route
    "/voila/static/../../../../etc/passwd",
    "/voila/static/%2e%2e/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
    "/voila/templates/../../../README.md",
    "/voila/templates/course/static/..%2f..%2f..%2f..%2fREADME.md",
    "/voila/templates/%2e%2e/static/voila.js",
    "/voila/templates/course/oops",
    "/voila/labextensions/..%2f..%2f..%2f..%2fetc/passwd",
    "/voila/api/themes/..%2f..%2f..%2fetc/passwd",
    # notebooks and files outside the app folder, through the page route (a redirect to /voila/files is refused)
    "/voila/render/../manager/dashboard.ipynb",
    "/voila/render/%2e%2e/manager/dashboard.ipynb",
    "/voila/render/..%2fmanager%2fdashboard.ipynb",
    "/voila/render//etc/passwd",
    "/voila/render/%2Fetc%2Fpasswd",
    "/voila/render/../../README.md",
    "/voila/render/..%2f..%2fpyproject.toml",
    "/voila/render/dashboard.ipynb",
    "/voila/render/../../notebooks/why/why.ipynb",
    "/voila/render/records.db",
    "/voila/render/../var/records.db",
]


@pytest.mark.parametrize("path", REFUSED)
def test_no_listing_no_file_and_no_notebook_outside_the_app(server, path):
    status, _headers, body = raw_request(server["base"], path)
    assert status in (403, 404), (path, status)
    assert_friendly(body, path)


def test_no_kernel_can_be_listed_started_or_controlled(server):
    base = server["base"]
    kernel_id, cookie = page_xsrf(base)
    token = re.search(r"_xsrf=([^;]+)", cookie).group(1)
    post = {"Cookie": cookie, "X-XSRFToken": token, "Content-Type": "application/json"}
    for method, path in [
        ("GET", "/api/kernels"),
        ("POST", "/api/kernels"),
        ("POST", "/api/sessions"),
        ("POST", "/api/terminals"),
        ("POST", f"/api/kernels/{kernel_id}/interrupt"),
        ("POST", f"/api/kernels/{kernel_id}/restart"),
        ("POST", "/api/contents/home.ipynb"),
        ("PUT", "/api/contents/home.ipynb"),
        ("PATCH", "/api/contents/home.ipynb"),
    ]:
        status, _headers, body = raw_request(base, path, method, headers=post)
        assert status in (403, 404, 405), (method, path, status)
        assert "Traceback" not in body and kernel_id not in body, (method, path)
    # a page's own kernel can be asked about (its script does) but only by its id; no other kernel is named
    status, _headers, body = http_get(f"{base}/api/kernels/{kernel_id}")
    assert status == 200 and set(json.loads(body)) >= {"id", "execution_state"}
    assert http_get(f"{base}/api/kernels/{uuid.uuid4()}")[0] == 404


def test_template_and_theme_cannot_be_chosen_from_the_address(server):
    for query in [
        "template=lab&theme=dark",
        "voila-template=lab&voila-theme=dark",
        "template=../../etc",
        "template=classic",
        "theme=../../../etc/passwd",
    ]:
        status, headers, body = http_get(f"{server['base']}/voila/render/home.ipynb?{query}")
        assert status == 200, query
        assert "voila/templates/course/static/theme.css" in body and "theme-light" in body, query
        assert "theme-dark" not in body and "JupyterLab Dark" not in body and "cdn." not in body, query
        assert "default-src 'self'" in headers["Content-Security-Policy"]


# --- no code from the browser -------------------------------------------------------------------------------

PROBE_JS = """async ({kernelId, target}) => {
    const session = 'probe-' + Math.random().toString(16).slice(2);
    const ws = new WebSocket(`ws://${location.host}/api/kernels/${kernelId}/channels?session_id=${session}`);
    await new Promise((ok, fail) => { ws.onopen = ok; ws.onerror = () => fail(new Error('the websocket did not open')); });
    const seen = [];
    const waiting = new Set(['last-shell', 'last-control']);
    const finished = new Promise(ok => {
        ws.onmessage = (event) => {
            const m = JSON.parse(event.data);
            const parent = (m.parent_header || {}).msg_id || '';
            seen.push([m.channel, m.msg_type, parent]);
            if (m.msg_type === 'kernel_info_reply') { waiting.delete(parent); if (!waiting.size) ok(); }
        };
    });
    const send = (id, type, channel, content) => ws.send(JSON.stringify({
        header: {msg_id: id, username: 'probe', session, msg_type: type, version: '5.3', date: new Date().toISOString()},
        parent_header: {}, metadata: {}, channel, content, buffers: []}));
    const code = `open(${JSON.stringify(target)}, 'w').write('code ran')`;
    const run = {code, silent: false, store_history: false, user_expressions: {}, allow_stdin: false, stop_on_error: true};
    send('run-shell', 'execute_request', 'shell', run);
    send('run-control', 'execute_request', 'control', run);
    send('run-stdin', 'execute_request', 'stdin', run);
    send('run-iopub', 'execute_request', 'iopub', run);
    send('inspect', 'inspect_request', 'shell', {code: 'open', cursor_pos: 4, detail_level: 1});
    send('complete', 'complete_request', 'shell', {code: 'import o', cursor_pos: 8});
    send('history', 'history_request', 'shell', {output: true, raw: true, hist_access_type: 'tail', n: 10});
    send('debug', 'debug_request', 'control', {type: 'request', seq: 1, command: 'evaluate', arguments: {expression: code}});
    send('input', 'input_reply', 'stdin', {value: code});
    send('no-channel', 'execute_request', undefined, run);
    send('allowed', 'comm_info_request', 'shell', {});
    // sent last: the kernel answers these only after handling everything sent before them on that channel
    send('last-shell', 'kernel_info_request', 'shell', {});
    send('last-control', 'kernel_info_request', 'control', {});
    await finished;
    ws.close();
    return seen;
}"""


def test_a_page_cannot_make_its_kernel_run_code(server, browser, store):
    target = server["dir"] / "written-by-the-browser.txt"
    token = signed_in(store, "WS-7001", "Wyn Shaw")
    page = browser.new_page()
    page.set_default_timeout(PAGE_TIMEOUT)
    page.goto(f"{server['base']}/voila/render/module.ipynb?module=why&token={token}", wait_until="domcontentloaded")
    page.get_by_role("button", name="Start").wait_for()  # the page is live: its widgets talk to the kernel
    kernel_id = page_kernel_id(page)
    seen = page.evaluate(PROBE_JS, {"kernelId": kernel_id, "target": str(target)})
    # the page itself still works after the attempt
    page.get_by_role("button", name="Start").click()
    page.locator(".cm-card__title").wait_for()
    page.close()

    types = {msg_type for _channel, msg_type, _parent in seen}
    assert {"kernel_info_reply", "comm_info_reply"} <= types  # allowed messages are answered...
    assert types.isdisjoint(FORBIDDEN_REPLIES), types  # ...and nothing else is
    assert not target.exists()
    log = server["log"].read_text()
    for msg_type in (
        "execute_request",
        "inspect_request",
        "complete_request",
        "history_request",
        "debug_request",
        "input_reply",
    ):
        assert f"refused a '{msg_type}' message" in log, msg_type
    assert "code ran" not in log  # the guard logs the type, never the content


def test_the_binary_websocket_protocol_is_guarded_too(server):
    """Jupyter's v1 protocol (what Voila's own script speaks), from a client that is not a browser."""
    from jupyter_client.session import Session
    from jupyter_server.services.kernels.connection.base import deserialize_msg_from_ws_v1, serialize_msg_to_ws_v1
    from tornado.httpclient import HTTPClientError, HTTPRequest
    from tornado.websocket import websocket_connect

    base = server["base"]
    target = server["dir"] / "written-over-v1.txt"
    kernel_id, cookie = page_xsrf(base)
    url = base.replace("http://", "ws://") + f"/api/kernels/{kernel_id}/channels?session_id={uuid.uuid4().hex}"
    session = Session(key=b"", username="probe")

    def frame(msg_type: str, channel: str, content: dict, msg_id: str) -> bytes:
        msg = session.msg(msg_type, content)
        msg["header"]["msg_id"] = msg_id
        parts = [json.dumps(msg[k], default=str).encode() for k in ("header", "parent_header", "metadata", "content")]
        return serialize_msg_to_ws_v1(parts, channel)

    async def probe():
        request = HTTPRequest(url, headers={"Cookie": cookie, "Origin": base})
        ws = await websocket_connect(request, subprotocols=["v1.kernel.websocket.jupyter.org"])
        assert ws.selected_subprotocol == "v1.kernel.websocket.jupyter.org"
        run = {
            "code": f"open({str(target)!r}, 'w').write('code ran')",
            "silent": False,
            "store_history": False,
            "user_expressions": {},
            "allow_stdin": False,
            "stop_on_error": True,
        }
        await ws.write_message(frame("execute_request", "shell", run, "run"), binary=True)
        await ws.write_message(b"\x00" * 7, binary=True)  # not a message at all: refused, the socket lives on
        await ws.write_message(frame("kernel_info_request", "shell", {}, "last"), binary=True)
        seen = []
        while True:
            data = await ws.read_message()
            assert data is not None, f"the socket closed before the kernel answered; saw {seen}"
            _channel, parts = deserialize_msg_from_ws_v1(data)
            header, parent = json.loads(parts[0]), json.loads(parts[1])
            seen.append(header["msg_type"])
            if header["msg_type"] == "kernel_info_reply" and parent.get("msg_id") == "last":
                break
        ws.close()

        # another site's page cannot open the socket at all (a visitor's browser would send its Origin)
        with pytest.raises(HTTPClientError) as refused:
            await websocket_connect(HTTPRequest(url, headers={"Cookie": cookie, "Origin": "http://evil.example"}))
        return seen, refused.value.code

    with ThreadPoolExecutor(1) as pool:  # Playwright's event loop owns this thread
        seen, cross_site = pool.submit(asyncio.run, probe()).result()
    assert set(seen).isdisjoint(FORBIDDEN_REPLIES), seen
    assert not target.exists()
    assert cross_site == 403


# --- errors stay on the server ------------------------------------------------------------------------------


def test_a_failing_page_shows_a_friendly_message_and_the_log_keeps_the_details(server, browser, store):
    # a session whose learner id the app refuses: a real exception inside the page's kernel
    broken = signed_in(store, "not a valid id/..", "Bea Broken")
    good = signed_in(store, "TB-7002", "Tam Bell")
    cases = {
        "broken learner": (f"module.ipynb?module=why&token={broken}", "Something went wrong"),
        "broken learner, home": (f"home.ipynb?token={broken}", "Something went wrong"),
        "unknown module": (f"module.ipynb?module=../../etc/passwd&token={good}", "We could not find that page"),
        "garbage token": (
            "module.ipynb?module=why&token=%00%ff'\"<script>alert(1)</script>" + "x" * 300,
            "Please sign in",
        ),
        "two tokens": (f"module.ipynb?module=why&token=nope&token={good}", "Please sign in"),
    }
    for what, (query, heading) in cases.items():
        page = browser.new_page()
        page.set_default_timeout(PAGE_TIMEOUT)
        dialogs = []
        page.on("dialog", lambda d, dialogs=dialogs: (dialogs.append(d.message), d.dismiss()))
        page.goto(f"{server['base']}/voila/render/{query}", wait_until="domcontentloaded")
        page.get_by_role("heading", name=heading).wait_for()
        html = page.content()
        text = page.locator("body").inner_text()
        page.close()
        for leak in (
            "Traceback",
            "Error",
            'File "',
            str(ROOT),
            "site-packages",
            "IdentityError",
            "not a valid learner id",
        ):
            assert leak not in text, (what, leak)
        assert "Traceback" not in html and str(ROOT) not in html, what
        assert dialogs == [], what
    log = server["log"].read_text()
    assert "the module page failed" in log and "Traceback" in log  # the details are where an operator looks
    assert broken not in log and good not in log


def test_server_side_errors_show_the_friendly_page(server):
    """Requests the server cannot serve (bad encodings, unknown kernels) get a plain page or a plain JSON message."""
    base = server["base"]
    for path in [
        "/voila/render/home.ipynb?template=%ff",
        "/voila/render/%ff.ipynb",
        "/voila/static/%ff",
        "/voila/render/%00.ipynb",
    ]:
        status, headers, body = raw_request(base, path)
        assert status in (400, 404), (path, status)
        assert_friendly(body, path)
        assert headers["Content-Security-Policy"].startswith("default-src 'self'"), path
    _kernel_id, cookie = page_xsrf(base)
    headers = {"Cookie": cookie, "X-XSRFToken": re.search(r"_xsrf=([^;]+)", cookie).group(1)}
    for method, path in [("POST", f"/voila/api/shutdown/{uuid.uuid4()}"), ("DELETE", f"/api/kernels/{uuid.uuid4()}")]:
        status, _headers, body = raw_request(base, path, method, headers=headers)
        assert status == 404, (method, path, status)
        assert "Traceback" not in body and "site-packages" not in body and str(ROOT) not in body  # Jupyter's JSON error
