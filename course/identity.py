"""Who is the learner, and where is this notebook running?

One identity: the JupyterHub user when there is a hub; otherwise the learner who signed
in on the course home (issue: Voila app); otherwise, for a learner's own JupyterLab,
`COURSE_LEARNER` or the operating-system user.
"""

from __future__ import annotations

import getpass
import os
import re

LEARNER_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,119}$")


class IdentityError(Exception):
    """No usable learner identity; says what was tried."""


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
        raise IdentityError(f"'{learner_id}' is not a valid learner id (letters, digits, . _ @ -; up to 120)")
    return learner_id


def current_learner() -> str:
    for source in ("JUPYTERHUB_USER", "COURSE_LEARNER"):
        value = os.environ.get(source)
        if value:
            return check_learner_id(value)
    try:
        return check_learner_id(getpass.getuser())
    except (KeyError, OSError) as exc:
        raise IdentityError(f"no learner identity: JUPYTERHUB_USER and COURSE_LEARNER are unset and the system user is unknown ({exc})") from None
