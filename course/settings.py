"""Where things live, and every setting the course takes from its environment.

This is the one module in `course/` that reads a `COURSE_*` or `NBGRADER_*` variable (a test
greps for reads anywhere else): a newcomer finds every knob here, with what it does and its
default. Building a child process's environment (`env["COURSE_DATA_DIR"] = ...`) is not a
read and happens where the child is started. An empty variable counts as unset.

Each function reads the variable when called, never at import: tests and `course serve`
change the environment of a running process.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
CONTENT_DIR = PACKAGE_DIR / "data"

# Every variable the course reads (or hands to nbgrader), and what it is for. docs and the
# test that greps for stray reads use this table; add a variable here first.
VARIABLES: dict[str, str] = {
    "COURSE_CONTENT_DIR": "the YAML content folder (default: the package's course/data), to try edits in a copy",
    "COURSE_DATA_DIR": "the records folder when no database URL is given (default: var/ in the checkout)",
    "COURSE_NOTEBOOKS_DIR": "the notebooks folder (default: notebooks/ in the checkout)",
    "COURSE_ASSETS_DIR": "the assets folder with the Voila template (default: assets/ in the checkout)",
    "COURSE_DB_URL": "the records store's SQLAlchemy URL (default: SQLite records.db in the data folder)",
    "COURSE_APP_SNAPSHOT": "the content snapshot app kernels load (default: course-content.pickle in the data folder)",
    "COURSE_GRADING_DIR": "the nbgrader course root (default: grading/ in the checkout)",
    "COURSE_GRADE_ON_FINISH": "'1' when a marker runs beside the app: the page waits for the mark after Finish",
    "COURSE_PUBLIC_URL": "the address learners use when it is not this machine's (a proxy); the join QR code, "
    "sign-in letters and certificates' verification QR codes use it",
    "COURSE_INVITE_DAYS": "how many days a sign-in code from `course roster invite` stays valid (default 14)",
    "COURSE_LEARNER": "in a learner's own JupyterLab: their learner id (default: the operating-system user)",
    "COURSE_SECRET_KEY": "the key that signs certificate ids (default: a random key kept in the data folder)",
    "COURSE_MANAGER_PASSWORD": "`course manager set-password` takes the password from here instead of asking",
    "COURSE_MANAGER_GROUP": "on a hub: the group whose members open the manager dashboard without the password",
    "COURSE_TRAINER_GROUP": "on a hub: the group whose members may start trainer-led sessions (besides granted trainers)",
    "COURSE_HUB_SHARED": "on a hub: the shared folder (course root, exchange, content snapshot) a user's server uses",
    "COURSE_HUB_MODE": "on a hub: 'per-user' (default: each learner's own single-user server) or 'shared' "
    "(the hub signs learners in to one course server, a hub service at /services/course/)",
    "COURSE_HUB_POOL_SIZE": "on a hub in shared mode: ready (preheated) kernels the course service keeps per page type "
    "(default 2; 0 starts each page's kernel when asked)",
    "COURSE_XAPI_BASE": "the start of xAPI activity ids (default: the course's own namespace)",
    "COURSE_XAPI_HOMEPAGE": "the staff system's address in xAPI actors (`course xapi --homepage` overrides it)",
    "COURSE_MARKER_USER": "when the marker runs as root: the unprivileged user nbgrader's kernels run as (default nobody)",
    "COURSE_MAX_KERNELS": "the most page kernels one server runs at once (default 60); beyond it a 'busy' page, HTTP 503",
    "COURSE_MAX_KERNELS_PER_CLIENT": "the most page kernels one client address may hold at once (default 20: a room behind one router)",
    "COURSE_FORK_KERNELS": "'0' starts every page kernel as a new Python; by default they are forked from one process "
    "that has already imported the course (course.kernel.zygote): faster to start, memory shared",
    "COURSE_LTI_PLATFORMS": "the JSON file of LMS registrations an LTI 1.3 launch is checked against (course.lti.platforms)",
    "COURSE_ID": "nbgrader's course id (read by grading/nbgrader_config.py; default social-media-course)",
    "NBGRADER_DB_URL": "nbgrader's gradebook URL (default: nbgrader_config.py's, SQLite gradebook.db in the course root)",
    "NBGRADER_EXCHANGE": "nbgrader's exchange folder (read by grading/nbgrader_config.py; a shared volume on a hub)",
    "NBGRADER_EXECUTION": "set by nbgrader while it runs a notebook to grade or validate it",
}


def _get(name: str, env: Mapping[str, str] | None = None) -> str | None:
    assert name in VARIABLES, f"{name} is not documented in course.settings.VARIABLES"
    value = (os.environ if env is None else env).get(name)
    return value or None


# --- where things live ----------------------------------------------------------------------------


def content_dir() -> Path:
    """The YAML content: `COURSE_CONTENT_DIR` lets a trainer try edits in a copy."""
    return Path(_get("COURSE_CONTENT_DIR") or CONTENT_DIR)


def project_root() -> Path:
    """The checkout the package was installed from (editable install), or the cwd."""
    root = PACKAGE_DIR.parent
    return root if (root / "pyproject.toml").exists() else Path.cwd()


def data_dir() -> Path:
    """Where records live when no database URL is given (git-ignored `var/` in a checkout)."""
    env = _get("COURSE_DATA_DIR")
    path = Path(env) if env else project_root() / "var"
    path.mkdir(parents=True, exist_ok=True)
    return path


def notebooks_dir() -> Path:
    return Path(_get("COURSE_NOTEBOOKS_DIR") or project_root() / "notebooks")


def assets_dir() -> Path:
    return Path(_get("COURSE_ASSETS_DIR") or project_root() / "assets")


def app_snapshot() -> Path | None:
    """Where the content snapshot is, when it is not the default (the hub shares one)."""
    value = _get("COURSE_APP_SNAPSHOT")
    return Path(value) if value else None


def grading_dir() -> Path:
    """The nbgrader course root."""
    return Path(_get("COURSE_GRADING_DIR") or project_root() / "grading").resolve()


def hub_shared() -> Path:
    """On a hub, the shared folder; a clear error when the spawner did not say."""
    value = _get("COURSE_HUB_SHARED")
    if not value:
        raise RuntimeError("COURSE_HUB_SHARED is not set: the hub's spawner must give each server the shared folder")
    return Path(value)


# --- databases ------------------------------------------------------------------------------------


def records_db_url(env: Mapping[str, str] | None = None) -> str | None:
    """The records store's URL, or None for the SQLite file in the data folder. `env`: the
    environment a child process will get (the hub's set-up makes the tables its servers use)."""
    return _get("COURSE_DB_URL", env)


def gradebook_db_url() -> str | None:
    """nbgrader's gradebook URL when given here; course.grading.coursedir.gradebook_url is the one answer."""
    return _get("NBGRADER_DB_URL")


# --- how this process runs ------------------------------------------------------------------------


def grade_on_finish() -> bool:
    return _get("COURSE_GRADE_ON_FINISH") == "1"


def being_graded() -> bool:
    return bool(_get("NBGRADER_EXECUTION"))


def learner() -> str | None:
    return _get("COURSE_LEARNER")


def public_url(env: Mapping[str, str] | None = None) -> str:
    """`env`: a page request's environment (a Voila kernel copies it in), else this process's."""
    return (_get("COURSE_PUBLIC_URL", env) or "").strip()


def invite_days() -> int:
    """Days a one-time sign-in code stays valid: a letter that sits in a tray for a month is void."""
    value = _get("COURSE_INVITE_DAYS")
    if value is None:
        return 14
    try:
        days = int(value)
    except ValueError:
        raise ValueError(f"COURSE_INVITE_DAYS must be a whole number of days, not '{value}'") from None
    if not 1 <= days <= 365:
        raise ValueError(f"COURSE_INVITE_DAYS must be between 1 and 365 (got {days})")
    return days


HUB_MODES = ("per-user", "shared")


def hub_mode(env: Mapping[str, str] | None = None) -> str:
    """How learners reach the course on a hub: 'per-user' (their own server) or 'shared' (the course service)."""
    mode = _get("COURSE_HUB_MODE", env) or HUB_MODES[0]
    if mode not in HUB_MODES:
        raise ValueError(f"COURSE_HUB_MODE must be 'per-user' or 'shared', not '{mode}'")
    return mode


def hub_pool_size() -> int:
    """Preheated kernels per page type on the shared course service (course.hub.service)."""
    value = _get("COURSE_HUB_POOL_SIZE")
    if value is None:
        return 2
    if not value.isdigit():
        raise ValueError(f"COURSE_HUB_POOL_SIZE={value!r}: must be a whole number of kernels (0 or more)")
    return int(value)


def manager_group() -> str | None:
    return _get("COURSE_MANAGER_GROUP")


def trainer_group() -> str | None:
    return _get("COURSE_TRAINER_GROUP")


def manager_password() -> str | None:
    return _get("COURSE_MANAGER_PASSWORD")


def secret_key() -> str | None:
    return _get("COURSE_SECRET_KEY")


def xapi_base() -> str | None:
    return _get("COURSE_XAPI_BASE")


def xapi_homepage() -> str | None:
    return _get("COURSE_XAPI_HOMEPAGE")


def marker_user() -> str:
    """The user nbgrader's kernels run as when the marker is root (course.grading.sandbox)."""
    return _get("COURSE_MARKER_USER") or "nobody"


def _positive_int(name: str, default: int) -> int:
    value = _get(name)
    if value is None:
        return default
    try:
        number = int(value)
    except ValueError:
        raise ValueError(f"{name}={value!r}: must be a whole number of kernels") from None
    if number < 1:
        raise ValueError(f"{name}={value!r}: must be at least 1")
    return number


def max_kernels() -> int:
    """The cap on page kernels per server (course.server.kernel_limits)."""
    return _positive_int("COURSE_MAX_KERNELS", 60)


def max_kernels_per_client() -> int:
    """The cap on page kernels per client address (course.server.kernel_limits)."""
    return _positive_int("COURSE_MAX_KERNELS_PER_CLIENT", 20)


def fork_kernels() -> bool:
    """Page kernels forked from the kernel zygote (course.server.fork_provisioner): on unless '0'."""
    return (_get("COURSE_FORK_KERNELS") or "1").strip() != "0"


def lti_platforms() -> Path | None:
    value = _get("COURSE_LTI_PLATFORMS")
    return Path(value) if value else None
