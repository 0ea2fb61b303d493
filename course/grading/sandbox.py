"""Least privilege for the marker: nbgrader's kernels run as an unprivileged user.

`rebuild` (course.grading.submissions) already makes sure only the release's cells run; this is
the second wall, for a cell that slipped through anyway. When the marker runs as root,
nbgrader executes each notebook in the `course-marker` kernel (`kernel_spec`), whose launcher
(`main`, below) copies the two files the kernel needs (its connection file and the
submission's responses.json) into a fresh 0700 folder owned by COURSE_MARKER_USER (default
`nobody`), drops every group and the root user for that user, removes database URLs and
secrets from the environment, and only then starts ipykernel there. So a grading kernel cannot
read records.db, gradebook.db, the certificate key or other learners' submissions (all 0700/0600
root: course.private), nor write in the course root. Not root: nothing to drop, and the
ordinary kernel is used.
"""

from __future__ import annotations

import json
import os
import pwd
import shutil
import sys
import tempfile
from pathlib import Path

KERNEL_NAME = "course-marker"
CARRIED = ("responses.json",)  # what the release's cells read from the submission folder
SECRET_WORDS = ("DB_URL", "SECRET", "PASSWORD", "TOKEN", "KEY", "CREDENTIAL")


def needed() -> bool:
    """Only root has privilege to drop."""
    return hasattr(os, "geteuid") and os.geteuid() == 0


def kernel_spec(folder: Path) -> Path:
    """Write the `course-marker` kernelspec under `folder` (a JUPYTER_PATH entry); returns `folder`."""
    spec = Path(folder) / "kernels" / KERNEL_NAME
    spec.mkdir(parents=True, exist_ok=True)
    text = json.dumps(
        {
            # -I: the launcher runs as root in the submission's folder; never import from it
            "argv": [sys.executable, "-I", "-m", "course.grading.sandbox", "-f", "{connection_file}"],
            "display_name": "Python 3 (course marker, unprivileged)",
            "language": "python",
        },
        indent=1,
    )
    target = spec / "kernel.json"
    if not target.exists() or target.read_text() != text:
        target.write_text(text)
    return Path(folder)


def configure(config, folder: Path) -> None:
    """Point nbgrader's Execute at the unprivileged kernel (when the marker is root)."""
    if not needed():
        return
    kernel_spec(folder)
    paths = os.environ.get("JUPYTER_PATH", "").split(os.pathsep)
    if str(folder) not in paths:
        os.environ["JUPYTER_PATH"] = os.pathsep.join(p for p in [str(folder), *paths] if p)
    config.Execute.kernel_name = KERNEL_NAME


def clean_env(env: dict, home: Path) -> dict:
    """The kernel's environment: no database URL or secret, a home of its own."""
    kept = {k: v for k, v in env.items() if not any(word in k.upper() for word in SECRET_WORDS)}
    kept.update(HOME=str(home), IPYTHONDIR=str(home / ".ipython"), COURSE_DATA_DIR=str(home / "var"))
    kept.pop("COURSE_APP_SNAPSHOT", None)
    return kept


def main(argv: list[str]) -> int:
    args = list(argv)
    if not needed():
        return _kernel(args)
    user = _user()
    _preload()
    work = Path(tempfile.mkdtemp(prefix="course-marker-"))
    try:
        connection = Path(args[args.index("-f") + 1])
        args[args.index("-f") + 1] = str(shutil.copy(connection, work / "kernel.json"))
        for name in CARRIED:
            if Path(name).is_file():
                shutil.copy(name, work / name)
        for path in [work, *work.iterdir()]:
            os.chown(path, user.pw_uid, user.pw_gid)
        env = clean_env(dict(os.environ), work)
        os.environ.clear()
        os.environ.update(env)
        os.chdir(work)
        os.setgroups([])
        os.setgid(user.pw_gid)
        os.setuid(user.pw_uid)  # from here on the kernel cannot become root again
        return _kernel(args)
    finally:
        shutil.rmtree(work, ignore_errors=True)  # as the user who owns it now


def _user() -> pwd.struct_passwd:
    from course import settings

    name = settings.marker_user()
    try:
        user = pwd.getpwnam(name)
    except KeyError:
        raise SystemExit(f"COURSE_MARKER_USER={name!r}: no such user on this machine") from None
    if user.pw_uid == 0:
        raise SystemExit(f"COURSE_MARKER_USER={name!r} is root: choose an unprivileged user")
    return user


# Standard-library modules a kernel imports late (found by diffing sys.modules after a real run).
LATE_STDLIB = [
    "bdb",
    "cmd",
    "code",
    "email.feedparser",
    "email.parser",
    "encodings.ascii",
    "encodings.idna",
    "encodings.latin_1",
    "faulthandler",
    "gzip",
    "http.client",
    "http.server",
    "pdb",
    "pydoc",
    "pyexpat",
    "resource",
    "runpy",
    "sqlite3",
    "stringprep",
    "xml.parsers.expat",
    "xmlrpc.client",
    "xmlrpc.server",
]


def _preload() -> None:
    """Import, while still able to, what the kernel and the release's cells use: the unprivileged
    user may not be able to read this interpreter's standard library (a Python under /root)."""
    import asyncio  # noqa: F401
    import importlib
    import subprocess  # noqa: F401

    for name in LATE_STDLIB:
        try:
            importlib.import_module(name)
        except ImportError:  # not built into this Python: the kernel does without it too
            continue

    import ipykernel.ipkernel
    import ipykernel.kernelapp
    import ipykernel.zmqshell  # noqa: F401

    from course.content.model import load_course
    from course.grading import cells  # noqa: F401
    from course.widgets import open_module  # noqa: F401

    load_course()  # the content, parsed and cached in this process


def _kernel(args: list[str]) -> int:
    from ipykernel.kernelapp import launch_new_instance

    launch_new_instance(argv=args)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
