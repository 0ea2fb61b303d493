"""The certificate page in a real browser (issue 17), on the three screens: a phone (375x740), a
desktop or projector (1280x800) and a large projector (1920x1080). A learner sees the issuer's
name from organisation.yaml, the verification page's address, every column of their results
with nothing cut off, and downloads real files (by mouse and by keyboard); axe finds nothing
serious. Screenshots go to test-artifacts/screens/.
"""

from __future__ import annotations

import os
from datetime import date, timedelta
from pathlib import Path

import pytest

from course.content.help import organisation_name
from course.content.model import load_course
from course.manager import certificates
from course.records import attendance
from course.records.store import Store

from .conftest import CONTENT
from .support.screens import VIEWPORTS, code_on_page, keep_screenshot
from .support.servers import CHROMIUM, axe_violations, course_key, course_server, signed_in, tab_to

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="Debian chromium is not installed"),
]

KEY = "certificate-browser-test-key-0123456789"
DONE, NOT_YET = "CB-1001", "CB-2002"
TIMEOUT = 120_000


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    data = tmp_path_factory.mktemp("certificate-page")
    env = {"COURSE_DATA_DIR": str(data / "var"), "COURSE_DB_URL": "", "COURSE_SECRET_KEY": KEY}
    # this process issues the certificate with the server's key
    with course_server(env, data / "voila.log", "--pool-size=1") as base, course_key(KEY):
        store = Store(f"sqlite:///{data / 'var' / 'records.db'}")
        tokens = {DONE: signed_in(store, DONE, "Amy Reid"), NOT_YET: signed_in(store, NOT_YET, "Ben Ali")}
        attendance.record(store, [(DONE, "all", date.today() - timedelta(days=2))])
        [cert] = certificates.issue(store, load_course(), [DONE])
        yield {"base": base, "tokens": tokens, "cert": cert["certificate_id"]}


def open_certificate(browser, server, learner: str, viewport: dict):
    page = browser.new_page(viewport=viewport, accept_downloads=True)
    page.set_default_timeout(TIMEOUT)
    page.goto(
        f"{server['base']}/voila/render/certificate.ipynb?token={server['tokens'][learner]}",
        wait_until="domcontentloaded",
    )
    return page


CUT_OFF = """() => {
    const width = document.documentElement.clientWidth;
    const cells = [...document.querySelectorAll('.cm-cert-preview td, .cm-cert-preview dd, .cm-downloads a')];
    const out = cells.filter(el => { const r = el.getBoundingClientRect();
        return r.width === 0 || r.left < 0 || r.right > width + 0.5; }).map(el => el.textContent.slice(0, 40));
    if (document.documentElement.scrollWidth > width) out.push('the page scrolls sideways');
    return out;
}"""


@pytest.mark.parametrize("screen", list(VIEWPORTS))
def test_the_certificate_page_on_each_screen(server, browser, screen, tmp_path):
    page = open_certificate(browser, server, DONE, VIEWPORTS[screen])
    page.get_by_role("heading", name="Your certificate", level=1).wait_for()
    text = page.inner_text("body")
    assert server["cert"] in text and "Amy Reid" in text
    assert f"Issued by {organisation_name(CONTENT)}." in text
    assert "The employer (" not in text and "course verify" not in text
    check = page.locator(".cm-cert-check a")
    assert check.evaluate("a => a.href") == f"{server['base']}/verify?id={server['cert']}"
    # every column of every module's row is on screen, nothing cut off or scrolled sideways
    results = page.locator(".cm-cert-preview td[data-label='Result']")
    assert results.count() == len(load_course().policy.completion["modules"])
    assert "attended (trainer-led)" in results.first.inner_text()
    assert page.evaluate(CUT_OFF) == []
    assert code_on_page(page) == []
    assert axe_violations(page) == []
    keep_screenshot(page, f"certificate-page-{screen}")

    with page.expect_download() as pdf:  # a real file from the server, by mouse
        page.get_by_role("link", name="Download the certificate (PDF)").click()
    assert pdf.value.suggested_filename == f"certificate-{server['cert']}.pdf"
    assert Path(pdf.value.path()).read_bytes().startswith(b"%PDF-")

    page.locator("h1").focus()
    tab_to(page, "the printable certificate", "el.tagName === 'A' && el.textContent.includes('printable certificate')")
    with page.expect_download() as printable:  # and by keyboard
        page.keyboard.press("Enter")
    assert printable.value.suggested_filename == f"certificate-{server['cert']}.html"
    saved = Path(printable.value.path()).read_text(encoding="utf-8")
    assert "Amy Reid" in saved and f"{server['base']}/verify?id={server['cert']}" in saved
    page.close()


def test_a_learner_not_yet_complete_downloads_the_learning_record_on_a_phone(server, browser):
    page = open_certificate(browser, server, NOT_YET, VIEWPORTS["phone"])
    page.get_by_role("heading", name="Your certificate is not ready yet").wait_for()
    assert page.get_by_role("link", name="Download the certificate (PDF)").count() == 0
    with page.expect_download() as record:
        page.get_by_role("link", name="Download your learning record as a spreadsheet (CSV)").click()
    assert record.value.suggested_filename == f"learning-record-{NOT_YET}-{date.today().isoformat()}.csv"
    assert "Ben Ali" in Path(record.value.path()).read_text(encoding="utf-8-sig")
    assert page.evaluate(CUT_OFF) == []
    assert axe_violations(page) == []
    keep_screenshot(page, "certificate-page-not-ready-phone")
    page.close()
