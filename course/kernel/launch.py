"""Start an app page in a Voila kernel: warm up first, then build the page for one request."""

from __future__ import annotations

import os

from course.kernel.runtime import log


class Launcher:
    def __init__(self, kind: str):
        self.kind = kind
        self.widget = None
        self.failed = False
        try:
            # everything that costs time happens here, while the kernel waits in the pool
            import ipywidgets  # noqa: F401

            from course.records import signin_tokens as sessions
            from course.records.store import Store
            from course.app import home, module  # noqa: F401 - import now, not when the learner is waiting
            if kind == "certificate":
                from course.app import certificate  # noqa: F401
                from course.manager import certificates, reports  # noqa: F401
            from course.kernel.runtime import app_course

            self.course = app_course()
            self.store = Store()
            self._warm_up(sessions)
        except Exception:  # noqa: BLE001 - shown as a friendly message in run()
            log.exception("the %s app could not start", kind)
            self.failed = True

    def _warm_up(self, sessions) -> None:
        """Open the database and run, once, the reads a page will run (SQLAlchemy compiles each
        statement on first use): a learner's page then only pays for its own data."""
        from course.app import status
        from course.app.module import ModuleApp  # noqa: F401

        nobody = "~warm-up~"
        sessions.learner_for(self.store, nobody)
        self.store.learner(nobody)
        module = next(iter(self.course.modules.values()))
        self.store.decisions(nobody, module.id, 1)
        self.store.reflections(nobody, module.id, 1)
        status.course_status(self.store, self.course, nobody)

    def run(self, query: dict[str, str] | None = None) -> None:
        """Show the page for this request. `query` is for tests; Voila's page address otherwise.

        Returns nothing (the last line of a cell would show a returned widget a second time);
        the page is `self.widget`.
        """
        from IPython.display import HTML, display

        from course.records.identity import SignInRequired, request_query
        from course.app.pages import SIGN_IN_NEEDED, SOMETHING_WRONG, message_html

        try:
            if self.failed:
                raise RuntimeError("the app did not start")
            query = request_query() if query is None else query
            if query is None:
                return  # the server stopped before anyone asked for this preheated page
            self.widget = self.build(query)
        except SignInRequired:
            log.info("%s page opened without a valid sign-in", self.kind)
            display(HTML(f'<div class="cm-root cm-app">{message_html(*SIGN_IN_NEEDED)}</div>'))
            return
        except Exception:  # noqa: BLE001 - never a traceback for a learner
            log.exception("the %s page failed", self.kind)
            display(HTML(f'<div class="cm-root cm-app">{message_html(*SOMETHING_WRONG, alert=True)}</div>'))
            return
        display(self.widget)

    def build(self, query: dict[str, str]):
        # the same rule as identity.current_learner() inside Voila: the hub user, else the
        # session token from the address; never COURSE_LEARNER or the server's own user
        from course.records.identity import SignInRequired, check_learner_id, session_learner

        hub_user = os.environ.get("JUPYTERHUB_USER") or None
        token = None if hub_user else (query.get("token") or None)
        if self.kind == "home":
            from course.app.home import HomeApp

            learner_id = None
            if hub_user:
                learner_id = check_learner_id(hub_user)
            elif token:
                try:
                    learner_id = session_learner(token, self.store)
                except SignInRequired:
                    learner_id = None
            return HomeApp(self.course, self.store, learner_id=learner_id, token=token if learner_id else None,
                           hub=bool(hub_user), expired=bool(token and learner_id is None))
        if self.kind == "module":
            from course.app.module import open_module_app

            learner_id = check_learner_id(hub_user) if hub_user else session_learner(token, self.store)
            return open_module_app(self.course, self.store, learner_id, query.get("module", ""), token=token)
        if self.kind == "certificate":
            from course.app.certificate import open_certificate_page

            learner_id = check_learner_id(hub_user) if hub_user else session_learner(token, self.store)
            return open_certificate_page(self.course, self.store, learner_id, token=token)
        raise ValueError(f"unknown app '{self.kind}'")
