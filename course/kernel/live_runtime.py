"""What the trainer and join apps need in their kernels: the content, a log, a callback guard,
and a poller that follows the records store without blocking the page.

The poller is an asyncio task on the kernel's own event loop (the loop that also handles the
page's button clicks), so widget updates never race a click handler. The store is read in a
worker thread (`run_in_executor`), so a slow or busy database never freezes the page. This
avoids touching widgets from another thread: ipywidgets documents a thread for background
updates, but ipykernel 7 changed how messages from other threads are routed (ipywidgets
issue 4001, ipykernel pull request 1451), and a thread would race the click handlers.
"""

from __future__ import annotations

import asyncio
import logging
import sys
from concurrent.futures import ThreadPoolExecutor

log = logging.getLogger("course.live")


def _setup_log() -> None:
    if log.handlers:
        return
    handler = logging.StreamHandler(sys.__stderr__)  # the kernel's real stderr: the server log, not the page
    handler.setFormatter(logging.Formatter("[course-live %(levelname)s %(asctime)s] %(message)s", "%H:%M:%S"))
    log.addHandler(handler)
    log.setLevel(logging.INFO)
    log.propagate = False


_setup_log()


def live_course():
    """The course content: the app's snapshot when `course serve` left one, else the YAML."""
    try:
        from course.kernel.runtime import app_course
    except ImportError:  # pragma: no cover - the learner app is not installed
        from course.content.model import load_course

        return load_course()
    return app_course()


def guarded(show_error):
    """Decorate a widget callback: an exception is logged here and shown as `show_error()`, never raised."""
    from course.kernel.runtime import guarded as app_guarded

    return app_guarded(show_error, log)


class Poller:
    """Every `interval` seconds: `read()` in a worker thread, then `apply(result)` on the event
    loop when the result differs from the last one. `on_trouble(True/False)` says when reading
    starts or stops failing (the page can say "reconnecting")."""

    def __init__(self, read, apply, interval: float = 0.3, on_trouble=None, name: str = "poller"):
        self.read, self.apply, self.interval = read, apply, interval
        self.on_trouble = on_trouble
        self.name = name
        self.task: asyncio.Task | None = None
        self.last = None
        self.failing = False
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"course-live-{name}")

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
            except Exception:  # noqa: BLE001 - keep polling; say so once
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
            except Exception:  # noqa: BLE001 - a page that cannot update must not stop the loop
                log.exception("%s: could not update the page", self.name)
            await asyncio.sleep(self.interval)

    def _trouble(self, failing: bool) -> None:
        if self.on_trouble is not None:
            try:
                self.on_trouble(failing)
            except Exception:  # noqa: BLE001
                log.exception("%s: could not show the connection notice", self.name)
