"""`/download/<name>` on a real `course serve` (issue 17): a learner's own certificate and learning
record as real files, with Content-Disposition and no-store, for the holder of a valid download
ticket only; a forged, expired, missing or someone else's ticket never gets the owner's file.
"""

from __future__ import annotations

import csv
import io
import shutil
import subprocess
import time
from datetime import date, timedelta
from pathlib import Path

import pytest

from course.app import downloads
from course.content.help import organisation_name
from course.content.model import load_course
from course.manager import certificates
from course.records import attendance
from course.records.store import Store

from .conftest import CONTENT
from .support.servers import course_server, http_get, signed_in

KEY = "downloads-test-key-0123456789abcdef"
OWNER, OTHER = "DL-1001", "DL-2002"

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    data = tmp_path_factory.mktemp("downloads")
    env = {"COURSE_DATA_DIR": str(data / "var"), "COURSE_DB_URL": "", "COURSE_SECRET_KEY": KEY}
    log = data / "voila.log"
    with course_server(env, log, "--pool-size=1", ready="/verify") as base:
        yield {"base": base, "db": f"sqlite:///{data / 'var' / 'records.db'}", "log": log}


@pytest.fixture
def world(server, monkeypatch):
    """OWNER completed (trainer-led, in the register); OTHER signed in, nothing passed."""
    monkeypatch.setenv("COURSE_SECRET_KEY", KEY)  # this process signs tickets and certificates as the server does
    store = Store(server["db"])
    sessions = {OWNER: signed_in(store, OWNER, "Amy Reid"), OTHER: signed_in(store, OTHER, "Ben Ali")}
    attendance.record(store, [(OWNER, "all", date.today() - timedelta(days=2))])
    [cert] = certificates.issue(store, load_course(), [OWNER])
    return {"store": store, "cert": cert["certificate_id"], "sessions": sessions}


def ticket_for(world, learner: str, **kwargs) -> str:
    """A ticket as the learner's certificate page issues it: bound to their sign-in session."""
    return downloads.issue_ticket(learner, world["sessions"][learner], **kwargs)


def get(server, name: str, ticket: str | None):
    query = f"?ticket={ticket}" if ticket is not None else ""
    return http_get(f"{server['base']}/download/{name}{query}")


def test_the_owner_downloads_the_certificate_pdf(server, world):
    status, headers, _text = get(server, "certificate.pdf", ticket_for(world, OWNER))
    assert status == 200
    assert headers["Content-Type"] == "application/pdf"
    assert headers["Content-Disposition"] == f'attachment; filename="certificate-{world["cert"]}.pdf"'
    assert headers["Cache-Control"] == "no-store"
    # the raw bytes (http_get decodes text): fetched again, as a browser would save them
    import urllib.request

    url = f"{server['base']}/download/certificate.pdf?ticket={ticket_for(world, OWNER)}"
    with urllib.request.urlopen(url, timeout=30) as response:
        pdf = response.read()
    assert pdf.startswith(b"%PDF-")
    if shutil.which("pdftotext"):
        path = Path(server["log"]).with_name("certificate.pdf")
        path.write_bytes(pdf)
        text = " ".join(subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True).stdout.split())
        assert "Amy Reid" in text and world["cert"] in text
        assert f"Issued by {organisation_name(CONTENT)}." in text
        assert f"{server['base']}/verify?id={world['cert']}" in text  # the inspector's address
        assert "course verify" not in text and "The employer (" not in text


def test_the_owner_downloads_the_printable_certificate(server, world):
    status, headers, page = get(server, "certificate.html", ticket_for(world, OWNER))
    assert status == 200 and headers["Content-Type"].startswith("text/html")
    assert headers["Content-Disposition"] == f'attachment; filename="certificate-{world["cert"]}.html"'
    assert headers["Cache-Control"] == "no-store"
    assert "Amy Reid" in page and f"Issued by {organisation_name(CONTENT)}." in page
    assert f'href="{server["base"]}/verify?id={world["cert"]}"' in page
    assert "course verify" not in page


def test_the_learning_record_downloads_for_anyone_signed_in(server, world):
    for learner, name in ((OWNER, "Amy Reid"), (OTHER, "Ben Ali")):
        status, headers, text = get(server, "learning-record.csv", ticket_for(world, learner))
        assert status == 200 and headers["Content-Type"].startswith("text/csv")
        assert headers["Content-Disposition"] == (
            f'attachment; filename="learning-record-{learner}-{date.today().isoformat()}.csv"'
        )
        assert headers["Cache-Control"] == "no-store"
        rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
        assert ["Name", name] in rows and "module" in [r[0] for r in rows if r]
        status, headers, page = get(server, "learning-record.html", ticket_for(world, learner))
        assert status == 200 and headers["Content-Disposition"].startswith('attachment; filename="learning-record-')
        assert f"<dd>{name}</dd>" in page
    assert world["cert"] in get(server, "learning-record.csv", ticket_for(world, OWNER))[2]


def test_another_learners_ticket_never_gets_the_owners_files(server, world):
    other = ticket_for(world, OTHER)
    status, _headers, page = get(server, "certificate.pdf", other)  # OTHER has no certificate
    assert status == 404 and "Your certificate is not ready yet" in page and world["cert"] not in page
    status, _headers, page = get(server, "certificate.html", other)
    assert status == 404 and "Amy Reid" not in page
    _status, _headers, record = get(server, "learning-record.csv", other)
    assert "Ben Ali" in record and "Amy Reid" not in record and world["cert"] not in record


@pytest.mark.parametrize(
    "ticket",
    [
        None,  # no ticket
        "",
        "not-a-ticket",
        "a.b.c",
        "%00%ff.%ff",
    ],
)
def test_no_ticket_or_nonsense_gets_the_friendly_403(server, world, ticket):
    status, headers, page = get(server, "certificate.pdf", ticket)
    assert status == 403 and headers["Content-Type"].startswith("text/html")
    assert "This download link has ended" in page and "Traceback" not in page
    assert "Content-Disposition" not in headers


def test_a_forged_or_expired_ticket_gets_the_friendly_403(server, world, monkeypatch):
    good = ticket_for(world, OTHER)
    body, mac = good.split(".")
    # the same signature over another learner's id: the server's key says no
    owner_body = ticket_for(world, OWNER).split(".")[0]
    expired = ticket_for(world, OWNER, at=time.time() - 2 * downloads.TICKET_SECONDS)
    monkeypatch.setenv("COURSE_SECRET_KEY", "someone-elses-key-0123456789abcdef")
    foreign = ticket_for(world, OWNER)  # well formed, signed with a key that is not the course's
    monkeypatch.setenv("COURSE_SECRET_KEY", KEY)
    for ticket in (f"{owner_body}.{mac}", expired, foreign, f"{body}.{mac[:-2]}"):
        for name in ("certificate.pdf", "learning-record.csv"):
            status, headers, page = get(server, name, ticket)
            assert status == 403, (ticket, name)
            assert "This download link has ended" in page and "Amy Reid" not in page
            assert "Content-Disposition" not in headers


def test_an_unknown_file_is_a_404_and_no_ticket_reaches_the_log(server, world):
    ticket = ticket_for(world, OWNER)
    status, _headers, page = get(server, "secret.key", ticket)
    assert status == 404 and "We could not find that page" in page
    assert get(server, "..%2Fsecret.key", ticket)[0] == 404
    get(server, "certificate.pdf", ticket)
    log = Path(server["log"]).read_text()
    assert "/download/certificate.pdf" in log and ticket not in log and ticket.split(".")[1] not in log


def test_signing_out_ends_the_download_links(server, world):
    """A page's links stop working once its session is signed out, though the hour is not up; and a
    ticket naming someone else's live session (a learner id swapped in) is refused."""
    from course.records import signin_tokens

    token = signed_in(world["store"], OWNER, "Amy Reid")
    ticket = downloads.issue_ticket(OWNER, token)
    assert get(server, "learning-record.csv", ticket)[0] == 200
    signin_tokens.revoke(world["store"], token)
    status, headers, page = get(server, "learning-record.csv", ticket)
    assert status == 403 and "end when they sign out" in page and "Content-Disposition" not in headers
    # OWNER's id with OTHER's live session: signed by the course's key, but the session is not OWNER's
    crossed = downloads.issue_ticket(OWNER, world["sessions"][OTHER])
    status, _headers, page = get(server, "certificate.pdf", crossed)
    assert status == 403 and "Amy Reid" not in page
