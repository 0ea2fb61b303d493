"""What every page kernel needs, made cheap: the course content, a log, a guard for callbacks,
and a poller that follows the records store without blocking the page. The app pages (home,
module, certificate) and the group-session pages (trainer, join) all use this one runtime.

Content: `course serve` checks the YAML once and leaves a snapshot (a pickle, keyed by a hash
of the content files and of the code that reads them) beside the app. A kernel loads the
snapshot in milliseconds and never imports jsonschema (about 2 s and 20 MB per kernel);
when the snapshot is missing or stale it loads and checks the YAML as usual.

Log: lines go to the kernel's own stderr, which Voila's kernels share with the server, so
an operator sees them in the `course serve` output; a learner never does.

Poller: an asyncio task on the kernel's own event loop (the loop that also handles the page's
button clicks), so widget updates never race a click handler. The store is read in a worker
thread (`run_in_executor`), so a slow or busy database never freezes the page. This avoids
touching widgets from another thread: ipywidgets documents a thread for background updates,
but ipykernel 7 changed how messages from other threads are routed (ipywidgets issue 4001,
ipykernel pull request 1451), and a thread would race the click handlers.
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import logging
import pickle
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from course import settings
from course.content.model import Course, load_course
from course.settings import PACKAGE_DIR, content_dir, data_dir

SNAPSHOT_NAME = "course-content.pickle"

log = logging.getLogger("course.page")


def _setup_log() -> None:
    if log.handlers:
        return
    handler = logging.StreamHandler(sys.__stderr__)  # the process's real stderr, not the notebook's
    handler.setFormatter(logging.Formatter("[course-page %(levelname)s %(asctime)s] %(message)s", "%H:%M:%S"))
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
    from course.atomic import write_atomic

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
            data = pickle.load(handle)  # noqa: S301 - our own snapshot, written by course serve in the data folder
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
            except Exception:
                logger.exception("error in %s", func.__qualname__)
                try:
                    show_error()
                except Exception:
                    logger.exception("could not show the error message")
                return None

        return inner

    return wrap


class Poller:
    """Every `interval` seconds: `read()` in a worker thread, then `apply(result)` on the event
    loop when the result differs from the last one. `on_trouble(True/False)` says when reading
    starts or stops failing (the page can say "reconnecting")."""

    def __init__(self, read, apply, interval: float = 0.3, on_trouble=None, name: str = "poller"):
        self.read, self.apply, self.interval = read, apply, interval
        self.on_trouble = on_trouble
        self.name = name
        self.task: asyncio.Task | None = None
        self.last: object = None  # the last result applied (whatever read() returns)
        self.failing = False
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"course-poller-{name}")

    def start(self) -> bool:
        """Start polling on the running event loop; False when there is none (plain Python, tests)."""
        if self.task is not None and not self.task.done():
            return True
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return False
        self.task = loop.create_task(self._run())
        return True

    def stop(self) -> None:
        if self.task is not None:
            self.task.cancel()
            self.task = None

    def offer(self, result) -> None:
        """Apply a result read elsewhere (right after the person's own action), if it is new."""
        if result != self.last:
            self.last = result
            self.apply(result)

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            try:
                result = await loop.run_in_executor(self._executor, self.read)
            except asyncio.CancelledError:
                raise
            except Exception:
                if not self.failing:
                    log.exception("%s: could not read the records store", self.name)
                    self.failing = True
                    self._trouble(True)
                await asyncio.sleep(min(2.0, self.interval * 4))
                continue
            if self.failing:
                self.failing = False
                log.info("%s: reading the records store again", self.name)
                self._trouble(False)
            try:
                self.offer(result)
            except Exception:
                log.exception("%s: could not update the page", self.name)
            await asyncio.sleep(self.interval)

    def _trouble(self, failing: bool) -> None:
        if self.on_trouble is not None:
            try:
                self.on_trouble(failing)
            except Exception:
                log.exception("%s: could not show the connection notice", self.name)
