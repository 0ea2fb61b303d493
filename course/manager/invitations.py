"""`course roster invite`: one-time sign-in codes for people on the staff list, as printable letters.

One A4 page per person (name, team, the course address, their staff number and code, a QR code
that opens the course with both filled in, and what to do), grouped by team behind a cover
page that lists who is in the pile, so a team leader can hand them out. The letters are made
before any code is stored, then every code is stored in one transaction and the PDF written
atomically (readable by its owner only: it holds codes). A person's earlier code stops working
when their new one is stored; that is how a forgotten PIN is reset.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from urllib.parse import urlencode

from course import settings
from course.atomic import write_atomic
from course.records import credentials, identity, roster
from course.records.store import Store, now
from course.server.launch_config import HOME


class InviteError(ValueError):
    """Nobody to invite, or no address to send them to; says what to do."""


@dataclass(frozen=True)
class Letter:
    name: str
    team: str
    staff_number: str
    code: str
    link: str  # the course home with the staff number and code filled in (the QR code)


def course_address(url: str | None = None) -> str:
    """The address learners open (`--url`, else COURSE_PUBLIC_URL), ending in '/'."""
    address = (url or settings.public_url()).strip()
    if not address:
        raise InviteError(
            "no course address for the letters: set COURSE_PUBLIC_URL (the address learners use, "
            "for example https://training.example.org/course/) or give --url"
        )
    if not address.startswith(("https://", "http://")):
        raise InviteError(f"the course address must start with https:// (got '{address[:80]}')")
    return address if address.endswith("/") else address + "/"


def sign_in_link(address: str, staff_number: str, code: str) -> str:
    return f"{address}{HOME}?{urlencode({'staff': staff_number, 'code': code})}"


def choose(store: Store, team: str | None = None, staff: Sequence[str] = ()) -> list[dict]:
    """The roster rows to invite: everyone, one team, or these staff numbers (each must be on the list)."""
    if not roster.in_use(store):
        raise InviteError("there is no staff list: import one first with `course roster import staff.csv`")
    numbers = None
    if staff:
        try:
            numbers = [identity.staff_number(s) for s in staff]
        except identity.DetailsError as exc:
            raise InviteError(str(exc)) from None
    people = roster.people(store, team=team, numbers=numbers)
    if numbers is not None:
        missing = sorted(set(numbers) - {p["staff_number"] for p in people})
        if missing:
            raise InviteError(f"not on the staff list: {', '.join(missing)} (nothing issued)")
    if not people:
        teams = sorted({p["team"] for p in roster.people(store)})
        raise InviteError(f"nobody in team '{team}' on the staff list (teams: {', '.join(teams)})")
    return people


def invite(store: Store, people: list[dict], out: Path, url: str | None = None, days: int | None = None) -> datetime:
    """Issue a code to each person, write the letters to `out`; returns when the codes expire."""
    address = course_address(url)
    days = settings.invite_days() if days is None else days
    codes = credentials.new_codes([p["learner_id"] for p in people])
    letters = [
        Letter(
            p["name"],
            p["team"],
            p["staff_number"],
            codes[p["learner_id"]],
            sign_in_link(address, p["staff_number"], codes[p["learner_id"]]),
        )
        for p in people
    ]
    expires = now() + timedelta(days=days)
    pdf = render_pdf(letters, address, expires)  # before any old code is voided
    expires = credentials.store_codes(store, codes, days)

    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(out, pdf)  # a new temp file is 0600; the rename keeps it
    out.chmod(0o600)
    return expires


def qr_image(text: str):
    """The QR code of `text` as a PIL image (error correction M: a letter may get creased)."""
    import qrcode

    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, box_size=10, border=4)
    code.add_data(text)
    code.make(fit=True)
    return code.make_image(fill_color="black", back_color="white").get_image()


def _date(value: datetime) -> str:
    return f"{value.day} {value:%B %Y}"


def render_pdf(letters: list[Letter], address: str, expires: datetime) -> bytes:
    from fpdf import FPDF

    from course.manager.certificates import _font_dir

    pdf = FPDF(format="A4")
    pdf.set_title("Sign-in letters: social media course")
    fonts = _font_dir()
    pdf.add_font("DejaVu", "", str(fonts / "DejaVuSans.ttf"))
    pdf.add_font("DejaVu", "B", str(fonts / "DejaVuSans-Bold.ttf"))
    pdf.add_font("DejaVuMono", "", str(fonts / "DejaVuSansMono.ttf"))
    pdf.set_auto_page_break(False)
    pdf.set_margins(20, 20, 20)
    teams: dict[str, list[Letter]] = {}
    for letter in letters:
        teams.setdefault(letter.team, []).append(letter)
    for team, group in teams.items():
        pdf.add_page()
        pdf.set_font("DejaVu", "B", 20)
        pdf.multi_cell(170, 10, f"Sign-in letters: {team}", new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("DejaVu", "", 11)
        pdf.multi_cell(
            170,
            6,
            f"{len(group)} letter{'s' if len(group) != 1 else ''}, one per person. Each holds a private sign-in "
            f"code: hand it to that person only. The codes work until {_date(expires)}.",
            new_x="LMARGIN",
            new_y="NEXT",
        )
        pdf.ln(3)
        for letter in group:
            pdf.cell(0, 6, f"{letter.name}  (staff number {letter.staff_number})", new_x="LMARGIN", new_y="NEXT")
        for letter in group:
            _letter_page(pdf, letter, address, expires)
    return bytes(pdf.output())


def _letter_page(pdf, letter: Letter, address: str, expires: datetime) -> None:
    pdf.add_page()
    pdf.set_text_color(43, 76, 111)
    pdf.set_font("DejaVu", "B", 20)
    pdf.cell(0, 10, "Your sign-in for the social media course", new_x="LMARGIN", new_y="NEXT")
    pdf.set_text_color(26, 26, 26)
    pdf.set_font("DejaVu", "", 12)
    pdf.ln(2)
    pdf.multi_cell(170, 7, f"Private: for {letter.name} ({letter.team}) only.", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    for label, value, mono in (
        ("Course address", address, False),
        ("Staff number", letter.staff_number, True),
        ("Sign-in code", letter.code, True),
    ):
        pdf.set_font("DejaVu", "B", 12)
        pdf.cell(45, 9, label)
        pdf.set_font("DejaVuMono" if mono else "DejaVu", "", 16 if mono else 12)
        pdf.multi_cell(125, 9, value, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    top = pdf.get_y()
    pdf.image(qr_image(letter.link), x=20, y=top, w=55, h=55)
    pdf.set_xy(82, top + 2)
    pdf.set_font("DejaVu", "", 11)
    pdf.multi_cell(
        108,
        6,
        "Scan this code with a phone camera to open the course with your staff number and sign-in code "
        "already filled in. Or type the course address into a web browser.",
        new_x="LMARGIN",
        new_y="NEXT",
    )
    pdf.set_y(top + 62)
    pdf.set_font("DejaVu", "B", 13)
    pdf.cell(0, 8, "What to do", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("DejaVu", "", 11)
    steps = [
        "Open the course address (or scan the QR code).",
        "Enter your staff number and the sign-in code above, then press Sign in.",
        "Choose your own PIN (at least 6 digits) or passphrase (at least 10 characters). "
        "From then on you sign in with your staff number and that PIN or passphrase.",
        f"The code works once, until {_date(expires)}. If it has run out, or you forget your PIN, "
        "ask your manager for a new letter.",
        "Keep this letter private, and do not share your PIN or passphrase with anyone.",
    ]
    for number, step in enumerate(steps, 1):
        pdf.set_x(20)
        pdf.multi_cell(170, 6, f"{number}. {step}", new_x="LMARGIN", new_y="NEXT")
        pdf.ln(1)


def qr_matrix(text: str) -> list[list[bool]]:
    """The QR code's modules for `text`, as the letters make it (a test compares them)."""
    import qrcode

    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, box_size=10, border=4)
    code.add_data(text)
    code.make(fit=True)
    return code.get_matrix()
