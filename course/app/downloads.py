"""What a learner can download from the course as a file, and the ticket that lets them.

The files (`DOWNLOADS`) are served by the course server (course.server.downloads, at
`/download/<name>`), not put into the page as `data:` links: a phone browser saves a real
file with a name, and the page no longer carries a PDF it may never be asked for.

A learner's page proves who they are with the session token in its address
(course.records.signin_tokens). That token is not put into the download links: an address
lands in browser histories and proxy logs, and the token signs a learner in for a working
day. The page puts a *download ticket* there instead: the learner id and an expiry, signed with
the course's key (course.manager.certificates.secret_key), good for downloading this learner's
own files for an hour and for nothing else. The ticket also names the page's sign-in session
(by the token's hash, never the token), and the server checks that session is still live: signing
out, or the session ending, ends the links at once. On JupyterHub the hub signs the request in,
and the links carry no ticket.

Each download is built from the records when it is asked for, for the learner the ticket (or
the hub) names, so it is always the learner's own and always current. Another kind of file
is one more `Download` and one more builder in `BUILDERS`, as the Open Badges credential is.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import time
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlencode

TICKET_SECONDS = 3600  # long enough to read the page and press a button; a leaked link soon dies
PURPOSE = b"course-download-ticket-v1\0"  # keeps these signatures apart from the certificate ids'
MAC_BYTES = 18
PATH = "download"  # below the server's base URL


@dataclass(frozen=True)
class Download:
    name: str  # the file's name in the address: /download/<name>
    label: str  # the link's words
    certificate: bool  # needs a current certificate (else: always there, e.g. the learning record)
    public: bool = False  # needs the course's public address (COURSE_PUBLIC_URL): an Open Badge names it


DOWNLOADS = (
    Download("certificate.pdf", "Download the certificate (PDF)", True),
    Download("certificate.html", "Download the printable certificate", True),
    # the Open Badges credential (course.badges): the learner's name only hashed, or in clear if they choose
    Download("badge.jwt", "Download your Open Badge (for a badge backpack)", True, public=True),
    Download("badge-with-name.jwt", "Download your Open Badge with your name in it", True, public=True),
    Download("learning-record.html", "Download your learning record", False),
    Download("learning-record.csv", "Download your learning record as a spreadsheet (CSV)", False),
)
BY_NAME = {d.name: d for d in DOWNLOADS}


# --- the ticket --------------------------------------------------------------------------
def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _mac(body: str, key: bytes) -> bytes:
    return hmac.new(key, PURPOSE + body.encode("ascii"), hashlib.sha256).digest()[:MAC_BYTES]


def _key() -> bytes:
    from course.manager.certificates import secret_key  # the one course key (COURSE_SECRET_KEY or var/)

    return secret_key()


def issue_ticket(learner_id: str, session_token: str, *, seconds: int = TICKET_SECONDS, at: float | None = None) -> str:
    """A ticket for this learner's own downloads, valid for `seconds` while the sign-in session
    `session_token` (the page's own) lasts."""
    from course.records.signin_tokens import token_hash

    expires = int((time.time() if at is None else at) + seconds)
    body = _b64(f"{learner_id}\n{expires}\n{token_hash(session_token)}".encode())
    return f"{body}.{_b64(_mac(body, _key()))}"


def ticket_learner(ticket: str | None, store, *, at: float | None = None) -> str | None:
    """The learner a ticket was issued to, or None when it is missing, forged, damaged or expired,
    or when its sign-in session has ended (signed out, expired) or is not that learner's."""
    from course.records.identity import valid_learner_id
    from course.records.signin_tokens import learner_for_hash

    if not ticket or len(ticket) > 400 or ticket.count(".") != 1:
        return None
    body, mac = ticket.split(".")
    try:
        if not hmac.compare_digest(_unb64(mac), _mac(body, _key())):
            return None
        learner_id, expires, session = _unb64(body).decode("utf-8").split("\n")
        if int(expires) <= (time.time() if at is None else at):
            return None
    except (ValueError, binascii.Error, UnicodeDecodeError):
        return None
    if not valid_learner_id(learner_id):
        return None
    return learner_id if learner_for_hash(store, session) == learner_id else None


def link(download: Download, ticket: str | None) -> str:
    """The download's address, relative to a page in `voila/render/` (so it works under any base
    URL: `course serve`'s `/` and the hub's `/user/<name>/`)."""
    return f"../../{PATH}/{download.name}" + (f"?{urlencode({'ticket': ticket})}" if ticket else "")


# --- the files ---------------------------------------------------------------------------
@dataclass(frozen=True)
class File:
    body: bytes
    mime: str
    filename: str


class NotReady(Exception):
    """The learner has no such file (yet): no current certificate."""


def _certificate(store, course, learner_id: str):
    from course.app.certificate import learner_certificate

    record, _words = learner_certificate(store, course, learner_id)
    if record is None:
        raise NotReady("no current certificate")
    return record


def certificate_pdf(store, course, learner_id: str, public_url: str | None = None) -> File:
    from course.manager import certificates

    record = _certificate(store, course, learner_id)
    return File(
        certificates.render_pdf(record, course, public_url=public_url),
        "application/pdf",
        f"certificate-{record['certificate_id']}.pdf",
    )


def certificate_html(store, course, learner_id: str, public_url: str | None = None) -> File:
    from course.manager import certificates

    record = _certificate(store, course, learner_id)
    return File(
        certificates.render_html(record, course, public_url=public_url).encode("utf-8"),
        "text/html; charset=utf-8",
        f"certificate-{record['certificate_id']}.html",
    )


def _record_stem(record: dict) -> str:
    return f"learning-record-{record['staff_number']}-{record['generated_on']}"


def learning_record_html(store, course, learner_id: str, public_url: str | None = None) -> File:
    from course.manager import learning_record

    record = learning_record.learning_record(store, learner_id, course)
    return File(
        learning_record.to_html(record).encode("utf-8"), "text/html; charset=utf-8", _record_stem(record) + ".html"
    )


def learning_record_csv(store, course, learner_id: str, public_url: str | None = None) -> File:
    from course.manager import learning_record

    record = learning_record.learning_record(store, learner_id, course)
    # with a byte-order mark: Excel then reads the file as UTF-8 (names with accents stay right)
    return File(
        learning_record.to_csv(record).encode("utf-8-sig"), "text/csv; charset=utf-8", _record_stem(record) + ".csv"
    )


def _badge(store, learner_id: str, show_name: bool) -> File:
    from course.badges import BadgeError, badge_for

    try:
        badge = badge_for(store, learner_id, show_name=show_name)  # the newest certificate's
    except BadgeError as exc:  # no certificate, revoked, or no public address: not this learner's to have
        raise NotReady(str(exc)) from None
    return File(badge.token.encode("ascii"), "application/jwt", badge.filename)


def badge_jwt(store, course, learner_id: str, public_url: str | None = None) -> File:
    return _badge(store, learner_id, show_name=False)


def badge_with_name_jwt(store, course, learner_id: str, public_url: str | None = None) -> File:
    return _badge(store, learner_id, show_name=True)


def offered(*, certificate: bool) -> list[Download]:
    """The downloads a learner's page offers: the certificate's only with a certificate, a badge only
    where the course has a public address to name as its issuer."""
    from course import settings

    public = bool(settings.public_url())
    return [d for d in DOWNLOADS if (certificate or not d.certificate) and (public or not d.public)]


Builder = Callable[..., File]
BUILDERS: dict[str, Builder] = {
    "certificate.pdf": certificate_pdf,
    "certificate.html": certificate_html,
    "badge.jwt": badge_jwt,
    "badge-with-name.jwt": badge_with_name_jwt,
    "learning-record.html": learning_record_html,
    "learning-record.csv": learning_record_csv,
}
