"""The certificate page as its kernel builds it (issue 17): one learner's rule, no PDF rendered in
the page, downloads that are links to the server's files (no `data:` URL), the issuer from
organisation.yaml, the inspector sent to the verification page, and a download ticket that
names this learner and no one else.
"""

from __future__ import annotations

import re
import time
from datetime import date, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest

from course.app import downloads
from course.app.certificate import open_certificate_page
from course.content.help import organisation_name
from course.manager import certificates
from course.records import attendance, signin_tokens

from .conftest import CONTENT


@pytest.fixture
def completed(store, course, monkeypatch):
    monkeypatch.setenv("COURSE_SECRET_KEY", "certificate-page-test-key-0123456789")
    store.ensure_learner("40001", name="Amy Reid", staff_number="40001")
    store.ensure_learner("40002", name="Ben Ali", staff_number="40002")
    attendance.record(store, [("40001", "all", date.today() - timedelta(days=3))])
    [cert] = certificates.issue(store, course, ["40001"])
    return cert["certificate_id"]


def links(html: str) -> dict[str, str]:
    return {
        m.group(2): m.group(1)
        for m in re.finditer(r'<a class="cm-button[^"]*" href="([^"]+)" download>([^<]+)</a>', html)
    }


def test_the_page_links_to_real_downloads_not_data_urls(store, course, completed, monkeypatch):
    monkeypatch.delenv("COURSE_PUBLIC_URL", raising=False)
    token = signin_tokens.issue(store, "40001")
    html = open_certificate_page(course, store, "40001", token=token).value
    # without a public address there is no issuer a badge could name: no badge is offered
    assert set(links(html)) == {d.label for d in downloads.DOWNLOADS if not d.public}
    monkeypatch.setenv("COURSE_PUBLIC_URL", "https://course.example.org/")
    html = open_certificate_page(course, store, "40001", token=token).value
    assert "data:" not in html and "base64" not in html and "<iframe" not in html
    found = links(html)
    assert set(found) == {d.label for d in downloads.DOWNLOADS}
    for d in downloads.DOWNLOADS:
        href = found[d.label].replace("&amp;", "&")
        parts = urlsplit(href)
        assert parts.path == f"../../download/{d.name}"
        [ticket] = parse_qs(parts.query)["ticket"]
        assert downloads.ticket_learner(ticket, store) == "40001"  # this learner's, and the session token is not in it
        assert token not in ticket and token not in downloads._unb64(ticket.split(".")[0]).decode()
    assert f'href="home.ipynb?token={token}"' in html


def test_the_page_names_the_issuer_and_the_verification_page(store, course, completed, monkeypatch):
    html = open_certificate_page(course, store, "40001", token="tok").value
    assert f"Issued by {organisation_name(CONTENT)}." in html
    assert "The employer (" not in html and "course verify" not in html and "a manager runs" not in html
    assert f'href="../../verify?id={completed}"' in html  # this server's verification page
    monkeypatch.setenv("COURSE_PUBLIC_URL", "https://course.example.org/")
    html = open_certificate_page(course, store, "40001", token="tok").value
    url = f"https://course.example.org/verify?id={completed}"
    assert f'href="{url}">{url}</a>' in html
    for column in ("Module", "Passed on", "Result", "Time spent"):
        assert f'<th scope="col">{column}</th>' in html and f'data-label="{column}"' in html


def test_the_issuer_is_the_organisation_yaml_name(tmp_path, store, course, completed, content_copy):
    text = (content_copy / "organisation.yaml").read_text().replace("name: Your employer", "name: Riverside Care")
    (content_copy / "organisation.yaml").write_text(text)
    assert organisation_name(content_copy) == "Riverside Care"
    from dataclasses import replace

    moved = replace(course, policy=replace(course.policy, path=content_copy / "policy.yaml"))
    record = certificates.get(store, completed)
    assert "Issued by Riverside Care." in certificates.render_html(record, moved)
    assert certificates.issuer(moved) == "Riverside Care"


def test_a_learner_not_yet_complete_can_still_download_the_learning_record(store, course, completed):
    html = open_certificate_page(course, store, "40002", token=signin_tokens.issue(store, "40002")).value
    assert "Your certificate is not ready yet" in html and "0 of 6 modules passed" in html
    found = links(html)
    assert set(found) == {d.label for d in downloads.DOWNLOADS if not d.certificate}
    assert all(
        downloads.ticket_learner(parse_qs(urlsplit(h.replace("&amp;", "&")).query)["ticket"][0], store) == "40002"
        for h in found.values()
    )


def test_on_the_hub_the_links_carry_no_ticket(store, course, completed, monkeypatch):
    monkeypatch.setenv("JUPYTERHUB_USER", "40001")
    html = open_certificate_page(course, store, "40001").value
    assert 'href="../../download/certificate.pdf" download' in html and "ticket=" not in html


def test_tickets_are_signed_learner_bound_short_lived_and_end_with_the_session(store, completed, monkeypatch):
    session, other_session = signin_tokens.issue(store, "40001"), signin_tokens.issue(store, "40002")
    ticket = downloads.issue_ticket("40001", session)
    assert downloads.ticket_learner(ticket, store) == "40001"
    assert downloads.ticket_learner(ticket, store, at=time.time() + downloads.TICKET_SECONDS + 1) is None
    body, mac = ticket.split(".")
    other_body = downloads.issue_ticket("40002", other_session).split(".")[0]
    for bad in (f"{other_body}.{mac}", f"{body}.{mac[:-1]}A", f"{body}x.{mac}", "", None, "a.b", "." * 2, "x" * 500):
        assert downloads.ticket_learner(bad, store) is None, bad
    # signed by the course, but naming another learner's session, or one that never existed
    assert downloads.ticket_learner(downloads.issue_ticket("40001", other_session), store) is None
    assert downloads.ticket_learner(downloads.issue_ticket("40001", "no-such-session"), store) is None
    monkeypatch.setenv("COURSE_SECRET_KEY", "another-course-key-0123456789abcdef")
    assert downloads.ticket_learner(ticket, store) is None  # another course's key
    monkeypatch.setenv("COURSE_SECRET_KEY", "certificate-page-test-key-0123456789")  # the course's again
    assert downloads.ticket_learner(ticket, store) == "40001"
    signin_tokens.revoke(store, session)  # signed out: the page's links end with it
    assert downloads.ticket_learner(ticket, store) is None
