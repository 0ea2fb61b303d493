"""The downloads on a hub user's server (issue 17): the same route as a Jupyter server extension
(course.hub.start loads it), the learner being the server's hub user, never a ticket's: a
request the server has not signed in gets nothing, and a ticket for someone else changes nothing.

A real `jupyter-server` with the extension stands in for jupyterhub-singleuser (the same
server class; the hub's part, signing the request in, is the server's token here).
"""

from __future__ import annotations

import os
import subprocess
import urllib.error
import urllib.request
from datetime import date

import pytest

from course.app import downloads
from course.hub import start
from course.records.store import Store

from .support.servers import BIN, free_port, signed_in, stop, wait_for

pytestmark = pytest.mark.slow

KEY = "downloads-hub-test-key-0123456789abcdef"
HUB_USER, OTHER = "HUB-3003", "HUB-4004"
TOKEN = "hub-test-server-token-0123456789"


def fetch(url: str, token: str | None = None):
    request = urllib.request.Request(url, headers={"Authorization": f"token {token}"} if token else {})
    opener = urllib.request.build_opener(
        type("NoRedirect", (urllib.request.HTTPRedirectHandler,), {"redirect_request": lambda *a, **k: None})
    )
    try:
        with opener.open(request, timeout=60) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers, exc.read()


@pytest.fixture(scope="module")
def hub_server(tmp_path_factory):
    data = tmp_path_factory.mktemp("downloads-hub")
    env = {
        **os.environ,
        "COURSE_DATA_DIR": str(data / "var"),
        "COURSE_DB_URL": "",
        "COURSE_SECRET_KEY": KEY,
        "JUPYTERHUB_USER": HUB_USER,
        "JUPYTER_CONFIG_DIR": str(data / "jupyter-config"),
    }
    (data / "var").mkdir()
    store = Store(f"sqlite:///{data / 'var' / 'records.db'}")  # the server's store (COURSE_DATA_DIR)
    signed_in(store, HUB_USER, "Hana Hub")
    signed_in(store, OTHER, "Olu Other")
    port = free_port()
    assert "--ServerApp.jpserver_extensions=course.server.downloads=True" in start.command(staff=False, extra=[])
    with open(data / "server.log", "w") as log:
        process = subprocess.Popen(
            # the hub server's own arguments (course.hub.start.command), on a plain jupyter-server
            [
                str(BIN / "jupyter-server"),
                *start.command(
                    staff=False,
                    extra=[
                        f"--port={port}",
                        "--ip=127.0.0.1",
                        "--no-browser",
                        f"--ServerApp.token={TOKEN}",
                        f"--ServerApp.root_dir={data}",
                    ],
                )[1:],
            ],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            wait_for(f"http://127.0.0.1:{port}/api", timeout=120, process=process)
            yield {"base": f"http://127.0.0.1:{port}", "data": data}
        finally:
            stop(process)


def test_the_hub_user_downloads_their_own_record_without_a_ticket(hub_server, monkeypatch):
    monkeypatch.setenv("COURSE_DATA_DIR", str(hub_server["data"] / "var"))
    monkeypatch.setenv("COURSE_SECRET_KEY", KEY)
    status, headers, body = fetch(f"{hub_server['base']}/download/learning-record.csv", TOKEN)
    assert status == 200, body[:500]
    assert headers["Content-Disposition"] == (
        f'attachment; filename="learning-record-{HUB_USER}-{date.today().isoformat()}.csv"'
    )
    assert headers["Cache-Control"] == "no-store" and "Hana Hub" in body.decode("utf-8-sig")
    # another learner's ticket does not make this server serve another learner's record
    other = downloads.issue_ticket(OTHER, "a-session-the-hub-never-reads")
    status, _headers, body = fetch(f"{hub_server['base']}/download/learning-record.csv?ticket={other}", TOKEN)
    assert status == 200 and "Olu Other" not in body.decode("utf-8-sig")
    status, _headers, _body = fetch(f"{hub_server['base']}/download/certificate.pdf", TOKEN)
    assert status == 404  # not completed: no certificate


def test_a_request_the_server_has_not_signed_in_gets_nothing(hub_server, monkeypatch):
    monkeypatch.setenv("COURSE_SECRET_KEY", KEY)
    for ticket in ("", f"?ticket={downloads.issue_ticket(HUB_USER, 'a-session-the-hub-never-reads')}"):
        status, headers, body = fetch(f"{hub_server['base']}/download/learning-record.csv{ticket}")
        assert status in (302, 403), status
        assert "Content-Disposition" not in headers and b"Hana Hub" not in body
