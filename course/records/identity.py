"""Who is the learner, and where is this notebook running?

One identity, in this order:
1. the JupyterHub user, when there is a hub (`JUPYTERHUB_USER`);
2. inside Voila: the learner whose sign-in session token is in the page's address
   (`?token=...`, issued by the course home, checked against the store). Nothing else is
   trusted there: an address can be edited, and Voila's kernels run as the server's
   operating-system user, so with no valid token we refuse (`SignInRequired`);
3. in a learner's own JupyterLab: `COURSE_LEARNER` or the operating-system user.
"""

from __future__ import annotations

import getpass
import os
import re
from urllib.parse import parse_qs

LEARNER_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,119}$")


class IdentityError(Exception):
    """No usable learner identity; says what was tried."""


class SignInRequired(IdentityError):
    """Inside Voila without a valid session token: the learner must sign in on the course home."""


def in_voila() -> bool:
    env = os.environ
    return (env.get("SERVER_SOFTWARE", "").startswith("voila") or "VOILA_KERNEL_ID" in env
            or "VOILA_BASE_URL" in env or env.get("VOILA_PREHEAT") == "True")


def being_graded() -> bool:
    """nbgrader sets NBGRADER_EXECUTION while it runs a notebook to grade or validate it."""
    return bool(os.environ.get("NBGRADER_EXECUTION"))


def check_learner_id(learner_id: str) -> str:
    learner_id = (learner_id or "").strip()
    if not LEARNER_ID.match(learner_id):
        # the id itself stays out of the message: it may end up in a log (names and staff numbers never do)
        raise IdentityError(f"not a valid learner id ({len(learner_id)} characters given; a learner id is letters, "
                            "digits, . _ @ -, up to 120, starting with a letter or digit)")
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


def current_learner(store=None) -> str:
    hub_user = os.environ.get("JUPYTERHUB_USER")
    if hub_user:
        return check_learner_id(hub_user)
    if in_voila():
        return voila_learner(store)
    value = os.environ.get("COURSE_LEARNER")
    if value:
        return check_learner_id(value)
    try:
        return check_learner_id(getpass.getuser())
    except (KeyError, OSError) as exc:
        raise IdentityError(f"no learner identity: JUPYTERHUB_USER and COURSE_LEARNER are unset and the system user is unknown ({exc})") from None
