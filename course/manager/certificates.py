"""Certificates of completion and their register.

Each completion gets one certificate: a row in the `certificates` table (the register of
completions, kept even after a learner's grades are replaced by a later attempt), a
printable HTML page and a PDF. The certificate id is an HMAC-SHA256 of the certificate's
facts (who, when, which modules, scores, policy version, learning time) under a secret key,
so nobody without the key can make an id that verifies, and a changed fact no longer matches.

The key is `COURSE_SECRET_KEY`, or a random one created on first use in the data folder
(`var/secret.key`, readable by its owner only). Back it up with the records: without it no
certificate verifies. `verify` recomputes the id from the stored facts and checks that the
record exists.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import html
import json
import os
import re
import secrets
import string
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

from course import settings
from course.records import certificate_register as register
from course.records import certificate_revocations as revocations
from course.records.identity import identity_label
from course.records.store import Store, now
from course.settings import assets_dir, data_dir

PREFIX = "SMC"
ID_CHARS = 20  # base32 characters: 100 bits
KEY_FILE = "secret.key"

FACTS = (
    "learner_id",
    "staff_number",
    "name",
    "completed_on",
    "policy_version",
    "modules",
    "score",
    "max_score",
    "minutes",
)


class CertificateError(Exception):
    """A certificate that cannot be made or found; the message says which and why."""


# --- the key and the id ---------------------------------------------------------------
def secret_key() -> bytes:
    env = settings.secret_key()
    if env:
        if len(env) < 16:
            raise CertificateError("COURSE_SECRET_KEY is too short (use at least 16 random characters)")
        return env.encode("utf-8")
    path = data_dir() / KEY_FILE
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        if path.stat().st_mode & 0o077:
            os.chmod(path, 0o600)
        key = path.read_text(encoding="ascii").strip()
        if len(key) < 32:
            raise CertificateError(f"the certificate key in {path} is damaged (too short)") from None
        return key.encode("ascii")
    key = secrets.token_hex(32)
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(key + "\n")
    return key.encode("ascii")


def canonical(facts: dict) -> bytes:
    # the identity kind is signed too when known (a register row from before migration 0004 has
    # none, and its id must still verify)
    signed = {k: facts[k] for k in FACTS}
    if facts.get("identity"):
        signed["identity"] = facts["identity"]
    return json.dumps(signed, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str).encode("utf-8")


def certificate_id(facts: dict, key: bytes | None = None) -> str:
    digest = hmac.new(key or secret_key(), canonical(facts), hashlib.sha256).digest()
    code = base64.b32encode(digest).decode("ascii")[:ID_CHARS]
    return PREFIX + "-" + "-".join(code[i : i + 5] for i in range(0, ID_CHARS, 5))


def normalise_id(text: str) -> str | None:
    """'smc abcde-fghij...' -> 'SMC-ABCDE-FGHIJ-...'; None when it cannot be an id.
    Base32 has no 0, 1 or 8, so those are read as O, I and B."""
    raw = re.sub(r"[\s-]", "", (text or "").upper())
    if raw.startswith(PREFIX):
        raw = raw[len(PREFIX) :]
    raw = raw.translate(str.maketrans("018", "OIB"))  # digits misread for the letters they look like
    if len(raw) != ID_CHARS or not re.fullmatch(r"[A-Z2-7]+", raw):
        return None
    return PREFIX + "-" + "-".join(raw[i : i + 5] for i in range(0, ID_CHARS, 5))


# --- the register -----------------------------------------------------------------------
def _num(value):
    if value is None:
        return None
    value = float(value)
    return None if value != value else value  # NaN -> None


def facts_from(result, learner_ids=None, *, store: Store) -> list[dict]:
    """The facts of each current completion in an Evaluation (course.manager.completion).

    The learning time is what the learner spent, from the records (course.learning_time), per
    module up to when it was passed (so the facts, and the id, do not change with later visits)."""
    import numpy as np

    from course.learning_time import minutes_spent

    people = result.people
    done = people["current_completion"].to_numpy()
    if learner_ids is not None:
        done = done & people["learner_id"].isin(list(learner_ids)).to_numpy()
    rows = np.flatnonzero(done)
    if not len(rows):
        return []
    rule = result.rule
    cells = result._cells
    passed = cells["passed_on"][rows].view("datetime64[ns]").astype("datetime64[D]").astype(str)
    scores, maxes, attended = cells["score"][rows], cells["max_score"][rows], cells["attended"][rows]
    completed = people["completed_on"].to_numpy()[rows].astype("datetime64[D]").astype(str)
    ids = people["learner_id"].to_numpy()[rows]
    numbers = people["staff_number"].to_numpy()[rows]
    names = people["name"].to_numpy()[rows]
    kinds = people["identity"].to_numpy()[rows] if "identity" in people else [""] * len(rows)
    titles = [rule.titles.get(m, m) for m in rule.modules]
    passed_ns = cells["passed_on"][rows]
    until = {
        (str(ids[k]), m): datetime.fromtimestamp(int(passed_ns[k, j]) / 1e9, UTC)
        for k in range(len(rows))
        for j, m in enumerate(rule.modules)
        if int(passed_ns[k, j]) != np.iinfo(np.int64).min  # NaT: no pass time, count every moment
    }
    spent = minutes_spent(store, [str(i) for i in ids], until)
    out = []
    for k in range(len(rows)):
        modules = [
            {
                "id": m,
                "title": titles[j],
                "passed_on": str(passed[k, j]),
                "score": _num(scores[k, j]),
                "max_score": _num(maxes[k, j]),
                "attended": bool(attended[k, j]),
                "minutes": spent.get((str(ids[k]), m), 0),
            }
            for j, m in enumerate(rule.modules)
        ]
        scored = [m for m in modules if m["max_score"]]
        out.append(
            {
                "learner_id": str(ids[k]),
                "staff_number": str(numbers[k] or ids[k]),
                "name": str(names[k] or ids[k]),
                "completed_on": str(completed[k]),
                "policy_version": rule.policy_version,
                "modules": modules,
                "score": sum(m["score"] for m in scored) if scored else None,
                "max_score": sum(m["max_score"] for m in scored) if scored else None,
                "minutes": sum(m["minutes"] for m in modules),
                "identity": str(kinds[k] or "") or None,
            }
        )
    return out


def record(store: Store, facts_list: list[dict]) -> list[dict]:
    """Add each completion to the register (once: the same facts give the same id). Returns
    every record, new or already there, with its certificate_id."""
    if not facts_list:
        return []
    key = secret_key()
    stamped = []
    for facts in facts_list:
        stamped.append({**facts, "certificate_id": certificate_id(facts, key)})
    stamped = _keep_estimated(store, stamped)
    ids = [f["certificate_id"] for f in stamped]
    known = register.known_ids(store, ids)
    issued = now()
    register.add(store, [_row(f, issued) for f in stamped if f["certificate_id"] not in known])
    return stamped


def _without_time(facts: dict) -> dict:
    return {
        **{k: facts[k] for k in FACTS if k != "minutes"},
        "modules": [{k: v for k, v in m.items() if k != "minutes"} for m in facts["modules"]],
    }


def _keep_estimated(store: Store, stamped: list[dict]) -> list[dict]:
    """A completion registered before learning time was measured (its time an estimate) stays
    that certificate: the same facts but the time would otherwise be issued again, under a new id."""
    new = {(f["learner_id"], f["completed_on"]) for f in stamped}
    older = {
        (learner, str(day)): cert
        for learner, day, _version, cert in register.completions(store, sorted({f["learner_id"] for f in stamped}))
        if (learner, str(day)) in new
    }
    if not older:
        return stamped
    out = []
    for facts in stamped:
        cert = older.get((facts["learner_id"], facts["completed_on"]))
        earlier = get(store, cert) if cert and cert != facts["certificate_id"] else None
        keep = earlier is not None and not measured(earlier) and _without_time(earlier) == _without_time(facts)
        out.append(earlier if keep and earlier is not None else facts)
    return out


def _row(facts: dict, issued) -> dict:
    return {
        "certificate_id": facts["certificate_id"],
        "learner_id": facts["learner_id"],
        "staff_number": facts["staff_number"],
        "name": facts["name"],
        "completed_on": date.fromisoformat(facts["completed_on"]),
        "policy_version": facts["policy_version"],
        "modules": json.dumps(facts["modules"], ensure_ascii=False),
        "score": facts["score"],
        "max_score": facts["max_score"],
        "minutes": facts["minutes"],
        "issued_at": issued,
        "identity": facts.get("identity"),
    }


def _facts(row) -> dict:
    r = dict(row._mapping)
    return {
        "certificate_id": r["certificate_id"],
        "learner_id": r["learner_id"],
        "staff_number": r["staff_number"],
        "name": r["name"],
        "completed_on": r["completed_on"].isoformat(),
        "policy_version": r["policy_version"],
        "modules": json.loads(r["modules"]),
        "score": r["score"],
        "max_score": r["max_score"],
        "minutes": r["minutes"],
        "issued_at": r["issued_at"],
        "identity": r.get("identity"),
    }


def get(store: Store, cert_id: str) -> dict | None:
    row = register.get(store, cert_id)
    return _facts(row) if row is not None else None


def of_completion(store: Store, learner_id: str, completed_on: str) -> dict | None:
    """The register's certificate of one learner's completion on a day (the latest issued), or None.
    A read only: what a learner's page asks (it never writes the register)."""
    return next((c for c in for_learner(store, learner_id) if c["completed_on"] == completed_on), None)


def issue(store: Store, course, learner_ids) -> list[dict]:
    """Add the current completions of these learners to the register, by the progress rule
    (course.progress); returns their records. The marker calls this after each mark, so a
    certificate exists as soon as the mark that completes the course is made."""
    from course.manager.reports import evaluate_inputs
    from course.manager.reports.data import load_inputs

    ids = sorted(set(learner_ids))
    if not ids:
        return []
    result = evaluate_inputs(load_inputs(store, course=course, learner_ids=ids))
    return record(store, facts_from(result, ids, store=store))


def for_learner(store: Store, learner_id: str) -> list[dict]:
    """Every certificate of one learner, newest completion first."""
    return [_facts(r) for r in register.for_learner(store, learner_id)]


def register_frame(store: Store, learner_ids=None):
    """learner_id, completed_on, policy_version, certificate_id: every recorded completion (of
    `learner_ids` only, when given)."""
    import pandas as pd

    frame = pd.DataFrame(
        register.completions(store, learner_ids),
        columns=["learner_id", "completed_on", "policy_version", "certificate_id"],
    )
    frame["completed_on"] = pd.to_datetime(frame["completed_on"])
    return frame


@dataclass(frozen=True)
class Verification:
    status: str  # valid | unknown | altered | revoked | malformed
    certificate_id: str
    record: dict | None = None

    @property
    def ok(self) -> bool:
        return self.status == "valid"

    def message(self) -> str:
        if self.status == "valid":
            r = self.record
            assert r is not None  # verify() gives a valid Verification the register's record
            kind = identity_label(r.get("identity"))
            return (
                f"VALID: {self.certificate_id}: {r['name']} (staff number {r['staff_number']}) completed the course "
                f"on {r['completed_on']} under policy version {r['policy_version']}." + (f" {kind}." if kind else "")
            )
        if self.status == "malformed":
            return f"NOT VALID: '{self.certificate_id}' is not a certificate id (expected {PREFIX}- and 20 letters and digits)."
        if self.status == "revoked":
            return f"NOT VALID: {self.certificate_id}: the organisation revoked this certificate."
        if self.status == "altered":
            return f"NOT VALID: {self.certificate_id}: the record does not match its id (it was changed, or the key is not this course's)."
        return f"NOT VALID: {self.certificate_id}: no such certificate in this course's register."


def verify(store: Store, text: str) -> Verification:
    cert_id = normalise_id(text)
    if cert_id is None:
        return Verification("malformed", (text or "").strip()[:60])
    found = get(store, cert_id)
    if found is None:
        return Verification("unknown", cert_id)
    if not hmac.compare_digest(certificate_id(found), cert_id):
        return Verification("altered", cert_id)
    if revocations.revocation(store, cert_id) is not None:  # withdrawn by the organisation: its badge fails too
        return Verification("revoked", cert_id)
    return Verification("valid", cert_id, found)


# --- rendering --------------------------------------------------------------------------
VERIFY_PATH = "verify"  # the verification page on the course server (course.server.verify)


def verify_url(cert_id: str, env=None, public_url: str | None = None) -> str | None:
    """The verification page's address for this certificate: under `public_url` (the address the
    course server was asked on, when it renders a download) or COURSE_PUBLIC_URL. None when
    neither is known (a file written by `course certificate` without COURSE_PUBLIC_URL): the
    certificate then sends the reader to the course's "Check a certificate" page by name."""
    from urllib.parse import urlencode

    public = (public_url or settings.public_url(env)).strip()
    if not public.startswith(("https://", "http://")):
        return None
    return f"{public if public.endswith('/') else public + '/'}{VERIFY_PATH}?{urlencode({'id': cert_id})}"


def qr_png(text: str) -> bytes:
    """A QR code of `text` as PNG bytes (qrcode, error correction M)."""
    import io

    import qrcode

    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, box_size=8, border=4)
    code.add_data(text)
    code.make(fit=True)
    buffer = io.BytesIO()
    code.make_image(fill_color="black", back_color="white").get_image().save(buffer, format="PNG")
    return buffer.getvalue()


def _score_text(score, max_score) -> str:
    if not max_score:
        return "trainer-led session attended"
    return f"{score:g} out of {max_score:g} ({score / max_score:.0%})"


def hours_text(minutes: int) -> str:
    hours, rest = divmod(int(minutes), 60)
    parts = ([f"{hours} hour{'s' if hours != 1 else ''}"] if hours else []) + ([f"{rest} minutes"] if rest else [])
    return " ".join(parts) or "0 minutes"


def issuer(course) -> str:
    """Who issues the certificate: the employer's name from organisation.yaml, the same name the
    help page shows (course.content.help.organisation_name)."""
    from course.content.help import organisation_name

    return organisation_name(Path(course.policy.path).parent)


CHECK_WITHOUT_ADDRESS = 'Anyone can check this certificate, with its id, on the course\'s "Check a certificate" page'


def check_sentence(url: str) -> str:
    """What the certificate tells an inspector (no command line: the verification page)."""
    return f"Anyone can check this certificate at {url}" if url else CHECK_WITHOUT_ADDRESS


def _fields(record: dict, course, public_url: str | None = None) -> dict:
    import pandas as pd

    rule = course.policy.completion
    completed = date.fromisoformat(record["completed_on"])
    renewal = (pd.Timestamp(completed) + pd.DateOffset(months=int(rule.get("renew_after_months", 12)))).date()
    return {
        "name": record["name"],
        "staff_number": record["staff_number"],
        "certificate_id": record["certificate_id"],
        "course_title": "Social media, confidentiality and boundaries",
        "policy_title": course.policy.title,
        "policy_version": record["policy_version"],
        "completed_on": completed.strftime("%-d %B %Y"),
        "score": _score_text(record["score"], record["max_score"])
        if record["max_score"]
        else "trainer-led session attended",
        "hours": hours_text(record["minutes"]),
        "hours_note": hours_note(record),
        "issuer": issuer(course),
        "renewal": f"by {renewal.strftime('%-d %B %Y')}"
        + (", or sooner if the policy changes" if rule.get("renew_on_policy_change", True) else ""),
        "identity": identity_label(record.get("identity")),
        "verify_url": verify_url(record["certificate_id"], public_url=public_url) or "",
    }


def measured(record: dict) -> bool:
    """The record's learning time is time spent, from the records (each module says its minutes);
    certificates issued before that state the modules' estimate."""
    return all("minutes" in m for m in record["modules"])


def hours_note(record: dict) -> str:
    return "(time spent, from the course records)" if measured(record) else "(estimated)"


def module_lines(record: dict) -> list[tuple[str, str, str, str]]:
    """(title, passed on, result, time spent) of each module ("" for the time of an old record)."""
    lines = []
    for m in record["modules"]:
        result = "attended (trainer-led)" if m.get("attended") else _score_text(m["score"], m["max_score"])
        spent = hours_text(m["minutes"]) if "minutes" in m else ""
        lines.append((m["title"], date.fromisoformat(m["passed_on"]).strftime("%-d %B %Y"), result, spent))
    return lines


def render_html(record: dict, course, public_url: str | None = None) -> str:
    template = string.Template((assets_dir() / "certificate" / "certificate.html").read_text(encoding="utf-8"))
    fields = _fields(record, course, public_url)
    values = {k: html.escape(str(v)) for k, v in fields.items()}
    kind, url = fields["identity"].removeprefix("Identity: "), fields["verify_url"]
    values["identity_row"] = f"<dt>Identity</dt><dd>{html.escape(kind)}</dd>" if kind else ""
    values["verify_block"] = (
        f'<p class="small verify"><img src="data:image/png;base64,{base64.b64encode(qr_png(url)).decode("ascii")}" '
        f'width="96" height="96" alt="QR code of the verification page for this certificate"> Anyone can check this '
        f'certificate at <a href="{html.escape(url)}">{html.escape(url)}</a>.</p>'
        if url
        else f'<p class="small verify">{html.escape(CHECK_WITHOUT_ADDRESS)}.</p>'
    )
    values["module_rows"] = "\n".join(
        f'      <tr><td data-label="Module">{html.escape(t)}</td><td data-label="Passed on">{html.escape(d)}</td>'
        f'<td data-label="Result">{html.escape(r)}</td><td data-label="Time spent">{html.escape(m)}</td></tr>'
        for t, d, r, m in module_lines(record)
    )
    return template.substitute(values)


def _font_dir() -> Path:
    import matplotlib

    return Path(matplotlib.get_data_path()) / "fonts" / "ttf"  # DejaVu: every Latin, Greek, Cyrillic name


def render_pdf(record: dict, course, public_url: str | None = None) -> bytes:
    from fpdf import FPDF

    f = _fields(record, course, public_url)
    pdf = FPDF(orientation="landscape", format="A4")
    pdf.set_title(f"Certificate of completion: {record['name']}")
    pdf.set_author(f["issuer"])
    pdf.set_creation_date(now())
    fonts = _font_dir()
    pdf.add_font("DejaVu", "", str(fonts / "DejaVuSans.ttf"))
    pdf.add_font("DejaVu", "B", str(fonts / "DejaVuSans-Bold.ttf"))
    pdf.add_font("DejaVuMono", "", str(fonts / "DejaVuSansMono.ttf"))
    pdf.set_auto_page_break(False)
    pdf.set_margins(20, 18, 20)
    pdf.add_page()
    pdf.set_draw_color(43, 76, 111)
    pdf.set_line_width(1.2)
    pdf.rect(8, 8, 281, 194)
    pdf.set_line_width(0.4)
    pdf.rect(11, 11, 275, 188)
    pdf.set_xy(20, 18)
    pdf.set_text_color(43, 76, 111)
    pdf.set_font("DejaVu", "B", 26)
    pdf.cell(0, 12, "Certificate of completion", new_x="LMARGIN", new_y="NEXT")
    pdf.set_text_color(26, 26, 26)
    pdf.set_x(20)
    pdf.set_font("DejaVu", "", 14)
    pdf.cell(0, 8, f["course_title"], new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    pdf.set_x(20)
    pdf.set_font("DejaVu", "", 12)
    pdf.cell(0, 7, "This is to certify that", new_x="LMARGIN", new_y="NEXT")
    pdf.set_x(20)
    pdf.set_font("DejaVu", "B", 24)
    pdf.cell(0, 13, f["name"], new_x="LMARGIN", new_y="NEXT")
    pdf.set_x(20)
    pdf.set_font("DejaVu", "", 12)
    pdf.multi_cell(
        255,
        7,
        f"completed the course, based on the {f['policy_title']} (version {f['policy_version']}), "
        f"on {f['completed_on']}.",
        new_x="LMARGIN",
        new_y="NEXT",
    )
    pdf.ln(3)
    pdf.set_x(20)
    from fpdf.fonts import FontFace

    with pdf.table(
        width=255,
        col_widths=(105, 50, 65, 35),
        align="LEFT",
        line_height=7,
        headings_style=FontFace(emphasis="BOLD", fill_color=(232, 238, 244)),
    ) as table:
        heading = table.row()
        for text in ("Module", "Passed on", "Result", "Time spent"):
            heading.cell(text)
        for title, day, result, spent in module_lines(record):
            row = table.row()
            row.cell(title)
            row.cell(day)
            row.cell(result)
            row.cell(spent)
    pdf.ln(4)
    for label, value, mono in (
        ("Overall score", f["score"], False),
        ("Learning time", f["hours"] + " " + f["hours_note"], False),
        ("Staff number", f["staff_number"], False),
        *((("Identity", f["identity"].removeprefix("Identity: "), False),) if f["identity"] else ()),
        ("Certificate id", f["certificate_id"], True),
    ):
        pdf.set_x(20)
        pdf.set_font("DejaVu", "B", 11)
        pdf.cell(45, 7, label)
        pdf.set_font("DejaVuMono" if mono else "DejaVu", "", 11)
        pdf.cell(0, 7, value, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
    pdf.set_x(20)
    pdf.set_font("DejaVu", "", 9)
    check = check_sentence(f["verify_url"]) + (" (or scan the QR code)" if f["verify_url"] else "")
    pdf.multi_cell(
        225 if f["verify_url"] else 255, 5, f"Issued by {f['issuer']}. {check}. Renewal is due {f['renewal']}."
    )
    if f["verify_url"]:
        import io

        pdf.image(io.BytesIO(qr_png(f["verify_url"])), x=252, y=164, w=30, h=30)
    return bytes(pdf.output())


def write_files(record: dict, course, folder: Path, formats=("html", "pdf")) -> list[Path]:
    """certificate-<id>.html / .pdf in `folder`; returns the paths written."""
    from course.atomic import write_atomic

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    stem = f"certificate-{record['certificate_id']}"
    if "html" in formats:
        path = folder / f"{stem}.html"
        write_atomic(path, render_html(record, course))
        written.append(path)
    if "pdf" in formats:
        path = folder / f"{stem}.pdf"
        write_atomic(path, render_pdf(record, course))
        written.append(path)
    return written
