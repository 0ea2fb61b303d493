"""Sign-in with a staff list: one-time codes, a chosen PIN or passphrase, one refusal message.

The attacks of issue 15 on the course home: a typo that made a second learner, a first-comer
who claimed a colleague's staff number, a refusal that told which numbers exist. With a roster,
each of them now fails; without one, the trial sign-in (name and number) still works and the
record says the identity was self-declared.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from course.app.home import HomeApp
from course.app.signin import NO_MATCH, CodeAccepted, SignInError, choose_secret, sign_in, sign_in_with_secret
from course.records import credentials, identity, roster
from course.records.store import now
from course.records.tables import credentials as credentials_table
from course.records.tables import learners

ROSTER = [
    {
        "staff_number": "40123",
        "learner_id": "40123",
        "name": "Amy Reid",
        "team": "Riverside",
        "role": "",
        "start_date": None,
    },
    {
        "staff_number": "40999",
        "learner_id": "40999",
        "name": "Ben Ali",
        "team": "Home care",
        "role": "",
        "start_date": None,
    },
]


@pytest.fixture
def listed(store):
    roster.import_rows(store, [dict(r) for r in ROSTER])
    return store


def first_sign_in(store, number="40123", pin="271828", source="10.0.0.1"):
    code = credentials.issue_code(store, number, days=14)
    accepted = sign_in_with_secret(store, number, code, source=source)
    assert isinstance(accepted, CodeAccepted)
    return choose_secret(store, accepted, pin, pin)


def refusal(callable_, *args, **kwargs) -> str:
    with pytest.raises(SignInError) as info:
        callable_(*args, **kwargs)
    return str(info.value)


def test_a_code_then_a_pin_signs_in_and_the_code_works_once(listed):
    code = credentials.issue_code(listed, "40123", days=14)
    assert credentials.normalise_code(code) == code and len(code) == 11
    stored = listed._read(select(credentials_table))[0]
    assert code not in (stored.code_hash or "") and stored.code_hash.startswith("$argon2id$")  # only a hash
    accepted = sign_in_with_secret(listed, "40123", code.lower().replace("-", " "), source="a")
    assert isinstance(accepted, CodeAccepted) and accepted.name == "Amy Reid"
    assert refusal(choose_secret, listed, accepted, "12345", "12345").startswith("A PIN needs at least 6 digits")
    assert "not the same" in refusal(choose_secret, listed, accepted, "271828", "271829")
    assert "too easy" in refusal(choose_secret, listed, accepted, "123456", "123456")
    signed = choose_secret(listed, accepted, "271828", "271828")
    assert signed.learner_id == "40123" and signed.token
    row = listed.learner("40123")
    assert row["name"] == "Amy Reid" and row["identity"] == identity.ROSTER
    assert refusal(sign_in_with_secret, listed, "40123", code, source="a") == NO_MATCH  # used up
    assert refusal(choose_secret, listed, accepted, "314159", "314159") == NO_MATCH  # and cannot be replayed
    again = sign_in_with_secret(listed, "40123", "271828", source="a")
    assert again.learner_id == "40123" and not isinstance(again, CodeAccepted)


def test_a_passphrase_works_too_and_a_new_code_resets_a_forgotten_one(listed):
    first_sign_in(listed, pin="blue kettle on the hill")
    assert sign_in_with_secret(listed, "40123", "blue kettle on the hill", source="a").learner_id == "40123"
    old = credentials.issue_code(listed, "40123", days=14)
    new = credentials.issue_code(listed, "40123", days=14)  # a second letter voids the first
    assert refusal(sign_in_with_secret, listed, "40123", old, source="a") == NO_MATCH
    # the old passphrase still works until the new code is used...
    assert sign_in_with_secret(listed, "40123", "blue kettle on the hill", source="a").learner_id == "40123"
    accepted = sign_in_with_secret(listed, "40123", new, source="a")
    choose_secret(listed, accepted, "green door 2026", "green door 2026")
    # ...and then only the new one does
    assert refusal(sign_in_with_secret, listed, "40123", "blue kettle on the hill", source="a") == NO_MATCH
    assert sign_in_with_secret(listed, "40123", "green door 2026", source="a").learner_id == "40123"


def test_an_expired_code_is_refused_with_the_same_words(listed):
    code = credentials.issue_code(listed, "40123", days=14, at=now() - timedelta(days=15))
    assert refusal(sign_in_with_secret, listed, "40123", code, source="a") == NO_MATCH


def test_unknown_numbers_wrong_secrets_and_unused_accounts_get_one_message(listed):
    first_sign_in(listed)
    credentials.issue_code(listed, "40999", days=14)  # Ben has a letter but has not used it
    messages = {
        refusal(sign_in_with_secret, listed, "40123", "000000", source="a"),  # wrong PIN
        refusal(sign_in_with_secret, listed, "40999", "271828", source="b"),  # a PIN for someone with none yet
        refusal(sign_in_with_secret, listed, "55555", "271828", source="c"),  # not on the list
        refusal(sign_in_with_secret, listed, "55555", "ABCDE-FGHJK", source="d"),  # a code for nobody
    }
    assert messages == {NO_MATCH}


def test_a_typo_creates_no_second_learner_and_a_colleagues_number_cannot_be_claimed(listed):
    first_sign_in(listed)
    before = listed._read(select(learners.c.learner_id))
    # the trial form is refused outright while there is a staff list
    assert refusal(sign_in, listed, "Amy Reid", "40132") == NO_MATCH
    # a first-comer typing Ben's number (with any name, any secret) gets nothing, and Ben keeps his letter
    ben = credentials.issue_code(listed, "40999", days=14)
    assert refusal(sign_in, listed, "Ben Ali", "40999") == NO_MATCH
    assert refusal(sign_in_with_secret, listed, "40999", "999999", source="x") == NO_MATCH
    assert refusal(sign_in_with_secret, listed, "40132", "271828", source="x") == NO_MATCH  # Amy's typo
    assert listed._read(select(learners.c.learner_id)) == before  # no learner made
    assert isinstance(sign_in_with_secret(listed, "40999", ben, source="y"), CodeAccepted)


def test_without_a_roster_the_trial_sign_in_is_self_declared(store):
    signed = sign_in(store, "Sam Taylor", "sc-40123")
    assert signed.learner_id == "SC-40123" and store.learner("SC-40123")["identity"] == identity.SELF_DECLARED
    assert identity.identity_label(identity.SELF_DECLARED) == "Identity: self-declared (no staff list)"


def test_the_home_page_asks_for_a_code_then_a_pin(course, listed):
    code = credentials.issue_code(listed, "40123", days=14)
    home = HomeApp(course, listed, source="10.1.2.3", prefill={"staff": "40123", "code": code})
    assert home.roster and home.staff_number.value == "40123" and home.secret.value == code
    assert not hasattr(home, "name")  # no name box: the name is the staff list's
    assert not home.save_secret("271828", "271828")  # no PIN can be set before a right code
    assert home.submit()
    assert home.secret.value == "" and home.accepted is not None
    assert "Choose your PIN or passphrase" in home.body.children[0].children[0].value
    assert not home.save_secret("1234", "1234") and "at least 6 digits" in home.sign_in_message.value
    assert home.save_secret("271828", "271828")
    assert home.learner_id == "40123" and "Hello, Amy Reid" in home.course_html.value
    home.sign_out()
    assert home.staff_number.value == "" and home.secret.value == ""  # the letter's code is not put back
    assert not home.submit(staff_number="40123", secret="000000") and NO_MATCH in home.sign_in_message.value
    assert home.submit(staff_number="40123", secret="271828") and home.learner_id == "40123"


# --- the letters: `course roster invite` ----------------------------------------------------------


def test_invite_writes_private_letters_by_team_with_codes_that_work(tmp_path, monkeypatch):
    import shutil
    import stat
    import subprocess

    from click.testing import CliRunner
    from PIL import Image

    from course.cli import main
    from course.manager.invitations import qr_matrix, sign_in_link
    from course.records.store import Store

    staff_csv = tmp_path / "staff.csv"
    staff_csv.write_text(
        "staff number,name,team\n40123,Amy Reid,Riverside\n40999,Ben Ali,Home care\n41000,Cal Moss,Riverside\n"
    )
    runner = CliRunner()
    assert runner.invoke(main, ["roster", "import", str(staff_csv)]).exit_code == 0
    nowhere = runner.invoke(main, ["roster", "invite", "--out", str(tmp_path / "x.pdf")])
    assert nowhere.exit_code == 2 and "COURSE_PUBLIC_URL" in nowhere.output  # a letter needs a real address
    monkeypatch.setenv("COURSE_PUBLIC_URL", "https://training.example.org/course")
    unknown = runner.invoke(
        main, ["roster", "invite", "--staff", "40123", "--staff", "77777", "--out", str(tmp_path / "x.pdf")]
    )
    assert unknown.exit_code == 2 and "not on the staff list: 77777" in unknown.output
    assert not (tmp_path / "x.pdf").exists()

    out = tmp_path / "letters.pdf"
    result = runner.invoke(main, ["roster", "invite", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "Issued 3 sign-in codes" in result.output
    assert stat.S_IMODE(out.stat().st_mode) == 0o600  # it holds the codes
    if not shutil.which("pdftotext"):
        pytest.skip("needs pdftotext (poppler-utils)")
    text = subprocess.run(["pdftotext", "-layout", str(out), "-"], capture_output=True, text=True, check=True).stdout
    pages = text.split("\f")
    # grouped by team: Home care's cover and letter, then Riverside's cover and two letters
    assert pages[0].startswith("Sign-in letters: Home care") and "Ben Ali" in pages[1]
    assert pages[2].startswith("Sign-in letters: Riverside") and "Amy Reid" in pages[3] and "Cal Moss" in pages[4]
    codes = {}
    for page, number in ((pages[1], "40999"), (pages[3], "40123"), (pages[4], "41000")):
        assert "https://training.example.org/course/" in page and number in page
        found = [line.split()[-1] for line in page.splitlines() if line.startswith("Sign-in code")]
        assert len(found) == 1 and credentials.normalise_code(found[0]) == found[0]
        codes[number] = found[0]
    store = Store()
    for number, code in codes.items():  # each printed code signs its person in
        assert isinstance(sign_in_with_secret(store, number, code, source="t"), CodeAccepted)
    # each letter's QR code is the sign-in link with that person's number and code: the image in
    # the PDF, read module by module, is the matrix qrcode makes for that link (no decoder installed)
    if not shutil.which("pdfimages"):
        pytest.skip("needs pdfimages (poppler-utils)")
    subprocess.run(["pdfimages", "-png", str(out), str(tmp_path / "qr")], check=True)
    images = sorted(tmp_path.glob("qr-*.png"))
    assert len(images) == 3
    for image_path, number in zip(images, ("40999", "40123", "41000"), strict=True):
        link = sign_in_link("https://training.example.org/course/", number, codes[number])
        assert link.endswith(f"voila/render/home.ipynb?staff={number}&code={codes[number]}")
        matrix = qr_matrix(link)
        image = Image.open(image_path).convert("L")
        size = image.width / len(matrix)
        read = [
            [image.getpixel((int((x + 0.5) * size), int((y + 0.5) * size))) < 128 for x in range(len(matrix))]
            for y in range(len(matrix))
        ]
        assert read == matrix
    # a new letter for one person voids their old code (the reset)
    again = runner.invoke(main, ["roster", "invite", "--staff", "40123", "--out", str(tmp_path / "amy.pdf")])
    assert again.exit_code == 0 and "Issued 1 sign-in code" in again.output
    assert refusal(sign_in_with_secret, store, "40123", codes["40123"], source="t") == NO_MATCH


# --- in a real browser on `course serve` ------------------------------------------------------------


@pytest.mark.browser
@pytest.mark.slow
def test_browser_sign_in_with_a_code_then_a_pin_on_course_serve(tmp_path):
    import os

    from course.records import rate_limit
    from course.records.store import Store

    from .support.servers import CHROMIUM, axe_violations, chromium, course_server

    if not os.path.exists(CHROMIUM):
        pytest.skip("needs Debian chromium at /usr/bin/chromium")
    env = {"COURSE_DATA_DIR": str(tmp_path / "var"), "COURSE_DB_URL": "", "COURSE_LEARNER": "server-os-user"}
    url = f"sqlite:///{tmp_path / 'var' / 'records.db'}"
    with course_server(env, tmp_path / "voila.log", "--pool-size=1") as base, chromium() as browser:
        store = Store(url)
        roster.import_rows(store, [dict(r) for r in ROSTER])
        code = credentials.issue_code(store, "40123", days=14)
        page = browser.new_page(viewport={"width": 375, "height": 900})
        page.set_default_timeout(120_000)
        # a client's own X-Course-Client header is overwritten by the server with the real address
        page.set_extra_http_headers({"X-Course-Client": "203.0.113.9"})
        # the letter's QR code: the home with the staff number and code filled in
        page.goto(f"{base}/voila/render/home.ipynb?staff=40123&code={code}")
        page.get_by_role("heading", name="Welcome to the course").wait_for()
        assert page.get_by_role("textbox", name="Your name").count() == 0  # no name box with a staff list
        page.wait_for_function("!location.search.includes('code=')")  # the code leaves the address at once
        assert axe_violations(page) == []
        page.get_by_role("button", name="Sign in").click()
        page.get_by_role("heading", name="Choose your PIN or passphrase").wait_for()
        page.get_by_label("New PIN or passphrase").fill("27182")
        page.get_by_label("Type it again").fill("27182")
        page.get_by_role("button", name="Save and sign in").click()
        page.get_by_role("alert").filter(has_text="A PIN needs at least 6 digits.").wait_for()  # and by its field
        page.get_by_label("New PIN or passphrase").fill("271828")
        page.get_by_label("Type it again").fill("271828")
        page.get_by_role("button", name="Save and sign in").click()
        page.get_by_role("heading", name="Hello, Amy Reid").wait_for()
        assert "token=" in page.url and code not in page.url
        page.get_by_role("button", name="Sign out").click()
        page.get_by_text("You have signed out.").wait_for()
        # the used code, then a wrong PIN: the same words; then the PIN
        for secret in (code, "000000"):
            page.get_by_label("Staff number").fill("40123")
            page.get_by_label("Sign-in code, PIN or passphrase").fill(secret)
            page.get_by_role("button", name="Sign in").click()
            # the kernel empties the box when it has the try; the message (the same both times) is there
            page.wait_for_function("[...document.querySelectorAll('input[type=password]')].every(i => i.value === '')")
            page.get_by_text(NO_MATCH).wait_for()
        page.get_by_label("Staff number").fill("40123")
        page.get_by_label("Sign-in code, PIN or passphrase").fill("271828")
        page.get_by_role("button", name="Sign in").click()
        page.get_by_role("heading", name="Hello, Amy Reid").wait_for()
        assert store.learner("40123")["identity"] == identity.ROSTER
        # the kernel limited by the address the server saw, not the one the client claimed
        assert rate_limit.failures(store, rate_limit.key("signin-source", "127.0.0.1")) >= 1
        assert rate_limit.failures(store, rate_limit.key("signin-source", "203.0.113.9")) == 0
        assert rate_limit.failures(store, rate_limit.key("signin-source", "unknown")) == 0


def test_the_hub_identity_stands_and_reports_say_who_was_self_declared(monkeypatch, course):
    from course.kernel.launch import Launcher
    from course.manager.reports import _notes, evaluate_inputs, load_inputs, people_table
    from course.records.store import Store

    store = Store()  # the one the page's launcher opens
    sign_in(store, "Sam Taylor", "40555")  # a trial sign-in, and an answer so the reports list Sam
    module = next(iter(course.modules.values()))
    attempt = store.current_attempt("40555", module.id, course.policy.version)
    store.record_decision("40555", module.id, attempt, module.scenarios[0].id, module.scenarios[0].choices[0].id, 0.0)
    monkeypatch.setenv("JUPYTERHUB_USER", "hub-user-1")
    launcher = Launcher("home")
    launcher.build({})
    assert launcher.store.learner("hub-user-1")["identity"] == identity.HUB
    result = evaluate_inputs(load_inputs(store, course=course))
    table = people_table(result).set_index("staff number")
    assert table.loc["40555", "identity"] == "self-declared (no staff list)"
    assert any(note.startswith("Identity: self-declared (no staff list) for 1 learner(s)") for note in _notes(result))
