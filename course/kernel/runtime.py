"""What every app kernel needs, made cheap: the course content, a log, and a guard for callbacks.

Content: `course serve` checks the YAML once and leaves a snapshot (a pickle, keyed by a hash
of the content files and of the code that reads them) beside the app. A kernel loads the
snapshot in milliseconds and never imports jsonschema (about 2 s and 20 MB per kernel);
when the snapshot is missing or stale it loads and checks the YAML as usual.

Log: lines go to the kernel's own stderr, which Voila's kernels share with the server, so
an operator sees them in the `course serve` output; a learner never does.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import pickle
import sys
from pathlib import Path

from course.content.model import Course, load_course
from course import settings
from course.settings import PACKAGE_DIR, content_dir, data_dir

SNAPSHOT_NAME = "course-content.pickle"

log = logging.getLogger("course.app")


def _setup_log() -> None:
    if log.handlers:
        return
    handler = logging.StreamHandler(sys.__stderr__)  # the process's real stderr, not the notebook's
    handler.setFormatter(logging.Formatter("[course-app %(levelname)s %(asctime)s] %(message)s", "%H:%M:%S"))
    log.addHandler(handler)
    log.setLevel(logging.INFO)
    log.propagate = False


_setup_log()


def snapshot_path() -> Path:
    return settings.app_snapshot() or data_dir() / SNAPSHOT_NAME


def content_key(root: Path | None = None) -> str:
    """A hash of every content file and of the code that turns them into objects."""
    root = Path(root or content_dir())
    digest = hashlib.sha256()
    for path in [*sorted(root.rglob("*.yaml")), PACKAGE_DIR / "content" / "model.py"]:
        digest.update(str(path.relative_to(path.parent.parent)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def write_snapshot(course: Course, path: Path | None = None) -> Path:
    """Called by `course serve` after the content passed its checks."""
    from course.records.atomic import write_atomic

    path = Path(path or snapshot_path())
    path.parent.mkdir(parents=True, exist_ok=True)
    data = pickle.dumps({"key": content_key(), "course": course}, protocol=pickle.HIGHEST_PROTOCOL)
    write_atomic(path, data)
    return path


def app_course() -> Course:
    """The course content: the snapshot when it is current, else the YAML (checked)."""
    path = snapshot_path()
    try:
        with open(path, "rb") as handle:
            data = pickle.load(handle)
        if data.get("key") == content_key():
            return data["course"]
        log.info("content snapshot %s is out of date; reading the YAML", path)
    except FileNotFoundError:
        pass
    except Exception as exc:  # noqa: BLE001 - a broken snapshot only costs time
        log.warning("content snapshot %s unreadable (%s); reading the YAML", path, exc)
    return load_course()


def guarded(show_error, logger: logging.Logger = log):
    """Decorate a widget callback: an exception is logged and shown as `show_error()`, never raised.

    ipywidgets would otherwise print the traceback into the page or drop it silently.
    """
    def wrap(func):
        @functools.wraps(func)
        def inner(*args, **kwargs):
            try:
                return func(*args, **kwargs)
            except Exception:  # noqa: BLE001 - the learner sees a friendly message instead
                logger.exception("error in %s", func.__qualname__)
                try:
                    show_error()
                except Exception:  # noqa: BLE001
                    logger.exception("could not show the error message")
                return None
        return inner
    return wrap
