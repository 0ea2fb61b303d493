"""Start the trainer or join app in a Voila kernel: warm up first, then build the page for one request.

Each app notebook has two cells, like the learner app's:

    app = prepare("trainer")   # imports, content, records store (while a preheated kernel waits)
    app.run()                  # waits for the page's address, then shows the page

Neither ever raises: a problem is logged and shown as a friendly message.
"""

from __future__ import annotations

import os
from html import escape

from course.kernel.live_runtime import log

SOMETHING_WRONG = ("Something went wrong", "This page could not be shown. Please reload it. If it happens again, "
                   "tell whoever runs the course.")


class Launcher:
    def __init__(self, kind: str):
        if kind not in ("trainer", "join"):
            raise ValueError(f"unknown live app '{kind}'")
        self.kind = kind
        self.widget = None
        self.failed = False
        try:
            # everything that costs time happens here, while the kernel waits in the pool
            import ipywidgets  # noqa: F401

            from course.live import core, join_app, trainer_app  # noqa: F401 - import now, not when someone is waiting
            from course.kernel.live_runtime import live_course

            self.course = live_course()
            self.store = core.open_store()
            if kind == "trainer":
                from course.live import address  # noqa: F401
                import qrcode  # noqa: F401
        except Exception:  # noqa: BLE001 - shown as a friendly message in run()
            log.exception("the %s app could not start", kind)
            self.failed = True

    def run(self, query: dict[str, str] | None = None, env: dict | None = None) -> None:
        """Show the page. `query` and `env` are for tests; inside Voila they come from the request."""
        from IPython.display import HTML, display

        from course.records.identity import request_query

        try:
            if self.failed:
                raise RuntimeError("the app did not start")
            query = request_query() if query is None else query
            if query is None:
                return  # the server stopped before anyone asked for this preheated page
            self.widget = self.build(query, os.environ if env is None else env)
        except Exception:  # noqa: BLE001 - never a traceback on the page
            log.exception("the %s page failed", self.kind)
            title, text = SOMETHING_WRONG
            display(HTML(f'<div class="cm-root cm-app"><section class="cm-message" role="alert">'
                         f'<h1 class="cm-message__title">{escape(title)}</h1><p>{escape(text)}</p></section></div>'))
            return
        display(self.widget)

    def build(self, query: dict[str, str], env: dict):
        if self.kind == "trainer":
            from course.live.trainer_app import TrainerApp

            return TrainerApp(self.course, self.store, env=env)
        from course.live.join_app import JoinApp

        return JoinApp(self.course, self.store, code=query.get("code", ""), voter=query.get("voter") or None)


def prepare(kind: str) -> Launcher:
    return Launcher(kind)
