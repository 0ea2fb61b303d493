"""Who is the learner, and where is this notebook running?

One identity, in this order:
1. the JupyterHub user, when there is a hub: the owner of a learner's own server
   (`JUPYTERHUB_USER`), or on the shared course service the user the hub signed the page's
   request in as (`hub_user()`);
2. inside Voila: the learner whose sign-in session token is in the page's address
   (`?token=...`, issued by the course home, checked against the store). Nothing else is
   trusted there: an address can be edited, and Voila's kernels run as the server's
   operating-system user, so with no valid token we refuse (`SignInRequired`);
3. in a learner's own JupyterLab: `COURSE_LEARNER` or the operating-system user.

And the rules for what people type, in one place: a learner id, a staff number (the
learner id of someone who signs in on the course home, or imported from the staff list),
and a person's name. The sign-in form, the group-session join form, the roster import and
the managers' commands all call these, so a staff number accepted by one is accepted, and
spelled the same, by all of them.
"""

from __future__ import annotations

import getpass
import os
import re
import unicodedata
from urllib.parse import parse_qs

from course import settings

LEARNER_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,119}$")
# A staff number as HR writes it: ASCII letters and digits, hyphens inside; 2 to 30 characters.
# It becomes a learner id (upper case), so it must also be one: it is a strict subset.
STAFF_NUMBER = re.compile(r"^[A-Za-z0-9][A-Za-z0-9-]{1,29}$")
STAFF_NUMBER_RULE = "2 to 30 letters, digits and hyphens"
NAME_MAX = 100  # the sign-in form's limit, and so the roster's: a name on the list must be one a person can type


# How the course knew who a learner is (learners.identity, certificates.identity), and what a
# certificate, the verification page and the reports say about it.
ROSTER, HUB, SELF_DECLARED = "roster", "hub", "self-declared"
LTI = "lti"  # launched from the organisation's learning system (LTI 1.3: course.server.lti)
IDENTITY_LABELS = {
    ROSTER: "Identity: on the staff list, signed in with a sign-in code and PIN or passphrase",
    HUB: "Identity: the organisation's sign-in (JupyterHub)",
    SELF_DECLARED: "Identity: self-declared (no staff list)",
    LTI: "Identity: the organisation's learning system (LTI launch)",
}
PIN_DIGITS = 6  # a PIN is at least this many digits
PASSPHRASE_MIN = 10  # anything else is a passphrase of at least this many characters
SECRET_MAX = 200
RUNS = ("01234567890", "09876543210")  # a PIN inside one of these is a run (123456, 987654): refused
# the header the course's server sets on every page request to the client's address (never the
# client's own header of that name: it is overwritten); Voila hands it to the page's kernel as
# HTTP_X_COURSE_CLIENT (course.server.voila)
CLIENT_HEADER = "X-Course-Client"
CLIENT_ENV = "HTTP_X_COURSE_CLIENT"
# on the shared course server of a hub (COURSE_HUB_MODE=shared), the hub user the server signed
# the page request in as, written by the server the same way ("" when none; see hub_user())
HUB_USER_HEADER = "X-Course-Hub-User"
HUB_USER_ENV = "HTTP_X_COURSE_HUB_USER"
# on `course serve`'s `/dashboard/`: the manager an LMS launch signed in (course.server.manager_session
# checks the dashboard session's cookie), written by the server the same way ("" for anyone else)
MANAGER_HEADER = "X-Course-Manager"
MANAGER_ENV = "HTTP_X_COURSE_MANAGER"


def identity_label(kind: str | None) -> str:
    """The line a certificate or report shows for an identity kind ("" when unknown: before 0004)."""
    return IDENTITY_LABELS.get(kind or "", "")


def client_address(env=None) -> str:
    """The address of whoever asked for this page, as the server saw it ("" when not in a page)."""
    return ((os.environ if env is None else env).get(CLIENT_ENV) or "").strip()[:64]


class IdentityError(Exception):
    """No usable learner identity; says what was tried."""


class SignInRequired(IdentityError):
    """Inside Voila without a valid session token: the learner must sign in on the course home."""


class DetailsError(IdentityError, ValueError):
    """A name or staff number that breaks the rules; the message is plain English for the person who typed it.

    `field` says which of the typed things it is about (STAFF_NUMBER_FIELD, NAME_FIELD,
    SECRET_FIELD, SECRET_AGAIN_FIELD), so a form can show it beside that field."""

    def __init__(self, message: str, *, field: str = ""):
        super().__init__(message)
        self.field = field


STAFF_NUMBER_FIELD, NAME_FIELD, SECRET_FIELD, SECRET_AGAIN_FIELD = "staff_number", "name", "secret", "secret_again"
STAFF_NUMBER_MIN, STAFF_NUMBER_MAX = 2, 30  # the lengths in STAFF_NUMBER
STAFF_NUMBER_EXAMPLE = "for example 40123 or SC-40123"
STAFF_NUMBER_CHARACTER = re.compile(r"[A-Za-z0-9-]")


# --- what people type -----------------------------------------------------------------------------


def valid_learner_id(value: str) -> bool:
    return bool(LEARNER_ID.match(value or ""))


def staff_number(value: str | None, *, required: bool = True) -> str:
    """The learner-id form of a staff number: white space removed anywhere, upper case.

    The pattern is checked before upper-casing: `str.upper()` turns a few non-ASCII letters into
    ASCII ones (the long s "ſ" into "S", the dotless "ı" into "I"), which would let two different
    inputs become one learner. `required=False` (the join form) lets an empty value through as "".
    """
    number = "".join((value or "").split())
    if not number:
        if required:
            raise DetailsError("Please enter your staff number.", field=STAFF_NUMBER_FIELD)
        return ""
    if not STAFF_NUMBER.match(number):
        raise DetailsError(staff_number_problem(number), field=STAFF_NUMBER_FIELD)
    return number.upper()


def staff_number_problem(number: str) -> str:
    """What is wrong with a staff number STAFF_NUMBER refuses, in words that say what to change
    (the one pattern decides; this only explains it)."""
    others = sorted({ch for ch in number if not STAFF_NUMBER_CHARACTER.fullmatch(ch)}, key=number.index)
    if others:
        shown = " ".join(f"\u201c{ch}\u201d" for ch in others[:5])
        return (
            "A staff number has only the letters A to Z, the digits 0 to 9 and hyphens (-). "
            f"Please take out or replace: {shown}."
        )
    if number.startswith("-"):
        return f"A staff number starts with a letter or a digit, {STAFF_NUMBER_EXAMPLE}."
    if len(number) < STAFF_NUMBER_MIN:
        return (
            f"A staff number is at least {STAFF_NUMBER_MIN} characters long ({STAFF_NUMBER_EXAMPLE}); "
            f"you typed {len(number)}."
        )
    return f"A staff number is at most {STAFF_NUMBER_MAX} characters long; you typed {len(number)}."


def person_name(value: str | None, *, required: bool = True) -> str:
    """A person's name as shown and compared: runs of white space made one space, ends trimmed.

    At least one letter, no control or format characters (they hide text and break CSV and logs),
    at most NAME_MAX characters. `required=False` lets an empty value through as "".
    """
    name = " ".join((value or "").split())
    if not name:
        if required:
            raise DetailsError("Please enter your name.", field=NAME_FIELD)
        return ""
    if len(name) > NAME_MAX:
        raise DetailsError(f"Please enter a shorter name (up to {NAME_MAX} characters).", field=NAME_FIELD)
    if any(unicodedata.category(ch) == "So" for ch in name):  # emoji and other pictures: not on a certificate
        raise DetailsError("Please type your name without emoji or symbols.", field=NAME_FIELD)
    if any(unicodedata.category(ch).startswith("C") for ch in name):
        raise DetailsError(
            "Your name has a hidden character in it (this can happen when it is copied and pasted). "
            "Please type your name again.",
            field=NAME_FIELD,
        )
    if not any(ch.isalpha() for ch in name):
        raise DetailsError("Please enter your name using letters.", field=NAME_FIELD)
    return name


def new_secret(value: str | None, again: str | None) -> str:
    """A PIN (at least PIN_DIGITS digits) or a passphrase (at least PASSPHRASE_MIN characters),
    typed the same twice; DetailsError saying what to change."""
    secret = value or ""
    if secret != (again or ""):
        raise DetailsError(
            "The two entries are not the same. Please type it again in both boxes.", field=SECRET_AGAIN_FIELD
        )
    if secret != secret.strip():
        raise DetailsError("Please do not start or end it with a space.", field=SECRET_FIELD)
    if len(secret) > SECRET_MAX:
        raise DetailsError(f"Please use at most {SECRET_MAX} characters.", field=SECRET_FIELD)
    if secret.isdigit() and secret.isascii():
        if len(secret) < PIN_DIGITS:
            raise DetailsError(f"A PIN needs at least {PIN_DIGITS} digits.", field=SECRET_FIELD)
        if len(set(secret)) == 1 or secret in RUNS[0] or secret in RUNS[1]:
            raise DetailsError(
                "That PIN is too easy to guess (all the same digit, or in a row). Choose another.", field=SECRET_FIELD
            )
        return secret
    if len(secret) < PASSPHRASE_MIN:
        raise DetailsError(
            f"Use a PIN of at least {PIN_DIGITS} digits, or a passphrase of at least {PASSPHRASE_MIN} characters.",
            field=SECRET_FIELD,
        )
    return secret


def same_name(a: str, b: str) -> bool:
    """Two spellings of one name: case and spacing do not count."""
    return " ".join(a.casefold().split()) == " ".join(b.casefold().split())


def in_voila() -> bool:
    env = os.environ
    return (
        env.get("SERVER_SOFTWARE", "").startswith("voila")
        or "VOILA_KERNEL_ID" in env
        or "VOILA_BASE_URL" in env
        or env.get("VOILA_PREHEAT") == "True"
    )


def being_graded() -> bool:
    """nbgrader sets NBGRADER_EXECUTION while it runs a notebook to grade or validate it."""
    return settings.being_graded()


def check_learner_id(learner_id: str) -> str:
    learner_id = (learner_id or "").strip()
    if not LEARNER_ID.match(learner_id):
        # the id itself stays out of the message: it may end up in a log (names and staff numbers never do)
        raise IdentityError(
            f"not a valid learner id ({len(learner_id)} characters given; a learner id is letters, "
            "digits, . _ @ -, up to 120, starting with a letter or digit)"
        )
    return learner_id


_query_string: str | None = None


def page_query() -> dict[str, str]:
    """The Voila page's query parameters (the first value of each).

    A preheated kernel runs before anyone asks for the page; `get_query_string()` waits for
    the request (course.kernel.query: Voila's own helper, without importing Voila), and the
    answer is kept: one kernel serves one page.
    """
    global _query_string
    if _query_string is None:
        from course.kernel.query import get_query_string

        _query_string = get_query_string() or ""
    return {key: values[0] for key, values in parse_qs(_query_string).items()}


def page_requested() -> bool:
    """False when a preheated kernel's server stopped before anyone asked for its page."""
    from course.kernel.query import get_query_string

    return get_query_string() is not None


def request_query() -> dict[str, str] | None:
    """What an app page's second cell reads: the page's query inside Voila ({} elsewhere), or None
    when the server stopped before anyone asked for this preheated kernel's page."""
    if not in_voila():
        return {}
    return page_query() if page_requested() else None


def forget_page_query() -> None:
    """For tests: read the query string again."""
    global _query_string
    _query_string = None


def session_learner(token: str | None, store=None) -> str:
    """The learner a sign-in session token belongs to; SignInRequired if it is not valid now."""
    from course.records.signin_tokens import learner_for
    from course.records.store import Store

    learner = learner_for(store or Store(), token)
    if learner is None:
        raise SignInRequired("this page has no valid sign-in: please sign in on the course home")
    return check_learner_id(learner)


def voila_learner(store=None) -> str:
    """The learner signed in to this Voila page, from the session token in its address."""
    return session_learner(page_query().get("token"), store)


def hub_user() -> str | None:
    """The JupyterHub user of this page, when there is a hub; the one rule for both hub modes.

    Per-user mode (the default): the user this single-user server belongs to (`JUPYTERHUB_USER`,
    set by the hub's spawner). Shared mode (`COURSE_HUB_MODE=shared`, the course service): the hub
    user the server signed this page's request in as, through the hub's OAuth. The server writes
    HUB_USER_HEADER itself on every page request, over whatever a browser sent (course.server.voila),
    and Voila hands it to the page's kernel as HUB_USER_ENV. A preheated kernel has it only once its
    page's request has come, so this waits for it (as the page query does).
    """
    if settings.hub_mode() != "shared":
        return os.environ.get("JUPYTERHUB_USER") or None
    if not in_voila() or not page_requested():
        return None  # the shared server's own process, or a kernel no page ever asked for: nobody
    return os.environ.get(HUB_USER_ENV, "").strip() or None


def request_hub_user(handler) -> str:
    """Server side, on the shared course service: the hub user the hub's OAuth signed this request
    in as (course.hub.service's identity provider sets it on the handler); "" anywhere else. The
    page handler writes it into HUB_USER_HEADER for the page's kernel; a download checks it."""
    return (getattr(handler.current_user, "hub_user", None) or {}).get("name", "")


def current_learner(store=None) -> str:
    user = hub_user()
    if user:
        return check_learner_id(user)
    if in_voila():
        return voila_learner(store)
    value = settings.learner()
    if value:
        return check_learner_id(value)
    try:
        return check_learner_id(getpass.getuser())
    except (KeyError, OSError) as exc:
        raise IdentityError(
            f"no learner identity: JUPYTERHUB_USER and COURSE_LEARNER are unset and the system user is unknown ({exc})"
        ) from None
