"""`/verify` on a real `course serve`: anyone checks a certificate with no sign-in and no command
line (issue 15), gets "not valid" for anything else with no server details, in the course's look,
accessible and usable at 375 px; lookups are limited per source. The certificate's QR code points
here.
"""

from __future__ import annotations

import os
from urllib.parse import quote

import pytest

from course.manager import certificates
from course.records import identity
from course.records.store import Store

from .support.servers import CHROMIUM, axe_violations, chromium, course_key, course_server, http_get

KEY = "verify-page-test-key-0123456789"
FACTS = {
    "learner_id": "40123",
    "staff_number": "40123",
    "name": "Amy Reid",
    "completed_on": "2026-11-20",
    "policy_version": "2025-09",
    "modules": [
        {
            "id": "why",
            "title": "Why it matters",
            "passed_on": "2026-11-18",
            "score": 3.0,
            "max_score": 3.0,
            "attended": False,
        },
        {
            "id": "privacy",
            "title": "Keeping information private",
            "passed_on": "2026-11-20",
            "score": 4.0,
            "max_score": 5.0,
            "attended": False,
        },
    ],
    "score": 7.0,
    "max_score": 8.0,
    "minutes": 40,
    "identity": identity.SELF_DECLARED,
}


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    data = tmp_path_factory.mktemp("verify-page")
    env = {"COURSE_DATA_DIR": str(data / "var"), "COURSE_DB_URL": "", "COURSE_SECRET_KEY": KEY}
    # this process issues the certificate with the server's key
    with course_server(env, data / "voila.log", "--pool-size=1", ready="/verify") as base, course_key(KEY):
        store = Store(f"sqlite:///{data / 'var' / 'records.db'}")
        cert = certificates.record(store, [FACTS])[0]["certificate_id"]
        yield {"base": base, "id": cert, "log": data / "voila.log"}


def test_a_valid_id_shows_the_name_modules_dates_and_identity(server):
    status, headers, body = http_get(f"{server['base']}/verify?id={quote(server['id'].lower())}")
    assert status == 200 and headers["Content-Security-Policy"].startswith("default-src 'self'")
    assert "Valid certificate" in body and "Amy Reid" in body and "20 November 2026" in body
    assert "Why it matters" in body and "18 November 2026" in body and "Keeping information private" in body
    assert "self-declared (no staff list)" in body and server["id"] in body
    assert "40123" not in body  # a stranger does not need the staff number


@pytest.mark.parametrize(
    "typed",
    [
        "SMC-AAAAA-BBBBB-CCCCC-DDDDD",  # well formed, not issued
        "not an id",
        "<script>alert(1)</script>",
        "SMC-" + "A" * 5000,
        "%00%ff%fe",
        "' OR 1=1 --",
    ],
)
def test_anything_else_is_not_valid_with_no_server_details(server, typed):
    status, _headers, body = http_get(f"{server['base']}/verify?id={quote(typed, safe='%')}")
    assert status == 200 and "Not valid" in body and "Valid certificate" not in body
    assert "<script>alert" not in body and "Traceback" not in body and "sqlalchemy" not in body.lower()


def test_a_changed_record_is_not_valid(server, tmp_path):
    from sqlalchemy import update

    from course.records.tables import certificates as table

    store = Store(f"sqlite:///{server['log'].parent / 'var' / 'records.db'}")
    forged = certificates.record(store, [{**FACTS, "learner_id": "40999", "name": "Ben Ali"}])[0]["certificate_id"]
    store._write(update(table).where(table.c.certificate_id == forged).values(name="Someone Else"))
    _status, _headers, body = http_get(f"{server['base']}/verify?id={forged}")
    assert "Not valid" in body and "Someone Else" not in body


@pytest.mark.browser
@pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="needs Debian chromium at /usr/bin/chromium")
def test_the_page_is_accessible_and_works_at_375_px(server):
    with chromium() as browser:
        page = browser.new_page(viewport={"width": 375, "height": 800})
        page.goto(server["base"] + "/verify")
        page.get_by_label("Certificate id").fill(server["id"])
        page.get_by_role("button", name="Check").click()
        page.get_by_role("heading", name="Valid certificate").wait_for()
        assert page.evaluate("document.documentElement.scrollWidth") <= 375  # no sideways scrolling
        assert axe_violations(page) == []
        page.get_by_label("Certificate id").fill("SMC-AAAAA-BBBBB-CCCCC-DDDDD")
        page.keyboard.press("Enter")
        page.get_by_role("heading", name="Not valid").wait_for()
        assert axe_violations(page) == []
        page.screenshot(path=str(server["log"].parent / "verify-375.png"), full_page=True)


def test_guessing_ids_from_one_address_is_slowed_but_real_checks_are_not(server):
    from course.server.verify import SOURCE_LIMIT

    for _ in range(3):  # real certificates never count against the address
        assert "Valid certificate" in http_get(f"{server['base']}/verify?id={server['id']}")[2]
    statuses = [
        http_get(f"{server['base']}/verify?id=SMC-AAAAA-BBBBB-CCCCC-DDDD{c}")[0] for c in "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    ]
    assert statuses.count(200) <= SOURCE_LIMIT.free and statuses[-1] == 429
    status, headers, body = http_get(f"{server['base']}/verify?id={server['id']}")
    assert status == 429 and int(headers["Retry-After"]) >= 1 and "Too many checks" in body


def test_the_certificate_carries_a_qr_code_of_this_page(server, course, monkeypatch):
    import base64
    import io
    import re

    from PIL import Image

    monkeypatch.setenv("COURSE_PUBLIC_URL", "https://training.example.org/course/")
    monkeypatch.setenv("COURSE_SECRET_KEY", KEY)
    record = {**FACTS, "certificate_id": server["id"]}
    url = certificates.verify_url(server["id"])
    assert url == f"https://training.example.org/course/verify?id={server['id']}"
    page = certificates.render_html(record, course)
    assert "self-declared (no staff list)" in page and f'href="{url}"' in page
    png = base64.b64decode(re.search(r'src="data:image/png;base64,([^"]+)"', page).group(1))
    image = Image.open(io.BytesIO(png)).convert("L")
    import qrcode

    qr = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=4)
    qr.add_data(url)
    qr.make(fit=True)
    matrix = qr.get_matrix()
    size = image.width / len(matrix)
    assert [
        [image.getpixel((int((x + 0.5) * size), int((y + 0.5) * size))) < 128 for x in range(len(matrix))]
        for y in range(len(matrix))
    ] == matrix
    pdf = certificates.render_pdf(record, course)
    assert pdf.startswith(b"%PDF") and b"/Subtype /Image" in pdf
