"""`/download/<name>`: a learner's own files (certificate, learning record) as real downloads.

A plain tornado handler in the course server (no kernel). Who is asking is decided here, on
the server, never by the page: on JupyterHub the hub user this server belongs to (the hub has
already signed the request in); otherwise the download ticket in the address
(course.app.downloads: a learner id and an expiry, signed with the course's key). A missing,
forged or expired ticket gets the course's friendly 403 page; a certificate the learner does
not have (not completed, or not yet in the register) a friendly 404; the learning record is
always there for a signed-in learner.

Files go out with `Content-Disposition: attachment` and a filename, and `Cache-Control:
no-store` (a shared computer's cache keeps no one's certificate). The server logs the path
only (course.server.voila.log_request), so a ticket never reaches the log. The file is built
in a worker thread: a PDF takes a moment and the server serves every learner's pages.
"""

from __future__ import annotations

import asyncio
import re
from functools import lru_cache

import tornado.web
from jupyter_server.base.handlers import JupyterHandler

from course.app import downloads
from course.app.pages import base_href, message_html, page_shell

ROUTE = rf"/{downloads.PATH}/([A-Za-z0-9._-]+)"
SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")

NO_ACCESS = (
    "This download link has ended",
    "Download links last an hour, work only for the person signed in and end when they sign out. "
    "Open your certificate page "
    "from the course home again, then press the download button.",
)
NOT_READY = (
    "Your certificate is not ready yet",
    "Your certificate can be downloaded once every module has been marked as passed and the certificate "
    "is in the course's register. Your learning record can always be downloaded from your certificate page.",
)
NO_RECORD = (
    "You have no learning record yet",
    "Your learning record starts when you first open the course. Go to the course home to begin.",
)


@lru_cache(maxsize=1)
def _course():
    """The course content, read once per server (`course serve` checks it before it starts)."""
    from course.kernel.runtime import app_course

    return app_course()


def page(title: str, text: str, base_url: str) -> str:
    """A whole page in the course's look, with these words (no error code: a refusal explains itself)."""
    return page_shell(
        title,
        f'<div class="cm-root">{message_html(title, text, base_href(base_url), "Go to the course home")}</div>',
        base_url,
    )


def attachment(filename: str) -> str:
    """`attachment; filename="..."` with a name any browser keeps as it is."""
    safe = SAFE_NAME.sub("-", filename).strip(".-") or "download"
    return f'attachment; filename="{safe}"'


class DownloadHandler(JupyterHandler):
    """GET /download/<name>?ticket=... (or, on the hub, no ticket): the learner's own file."""

    def check_xsrf_cookie(self):  # a GET that changes nothing
        return None

    def _learner(self, store) -> str | None:
        """Runs off the server's thread: a ticket is checked against the records store (its
        sign-in session must still be live)."""
        from course.records.identity import check_learner_id, hub_user, request_hub_user

        # this server is one hub user's, or the shared course service whose request the hub signed in
        hub = hub_user() or request_hub_user(self)
        if hub:
            return check_learner_id(hub)
        raw = (self.request.arguments.get("ticket") or [b""])[0][:400]
        return downloads.ticket_learner(raw.decode("ascii", "replace"), store)

    def _public_url(self) -> str:
        """Where the verification page is: COURSE_PUBLIC_URL, else this server's own address."""
        from course import settings

        public = settings.public_url()
        if public:
            return public
        return f"{self.request.protocol}://{self.request.host}{self.base_url}"

    def _refuse(self, status: int, words: tuple[str, str]) -> None:
        self.set_status(status)
        self.set_header("Cache-Control", "no-store")
        self.set_header("Content-Type", "text/html; charset=UTF-8")
        self.finish(page(*words, self.base_url))

    @tornado.web.authenticated
    async def get(self, name: str):
        from course.records.store import Store, StoreError

        if name not in downloads.BUILDERS:
            raise tornado.web.HTTPError(404)

        def open_and_check():  # one trip to a worker thread: opening the store and reading the ticket
            store = Store()
            return store, self._learner(store)

        try:
            store, learner_id = await asyncio.to_thread(open_and_check)
        except StoreError:
            self.log.exception("a download ticket could not be checked")
            raise tornado.web.HTTPError(503) from None
        if learner_id is None:
            self.log.warning("download refused: no valid ticket")
            self._refuse(403, NO_ACCESS)
            return
        build = downloads.BUILDERS[name]
        public_url = self._public_url()
        try:
            file = await asyncio.to_thread(lambda: build(store, _course(), learner_id, public_url))
        except downloads.NotReady:
            self._refuse(404, NOT_READY)
            return
        except KeyError:  # a hub user who has never opened the course: no record yet
            self._refuse(404, NO_RECORD)
            return
        except StoreError:
            self.log.exception("a download could not be built")
            raise tornado.web.HTTPError(503) from None
        self.set_header("Content-Type", file.mime)
        self.set_header("Content-Disposition", attachment(file.filename))
        self.set_header("Cache-Control", "no-store")
        self.set_header("X-Content-Type-Options", "nosniff")
        self.finish(file.body)


def _load_jupyter_server_extension(server_app) -> None:
    """On the hub (Voila inside jupyterhub-singleuser) the same route, as a server extension:
    `--ServerApp.jpserver_extensions=course.server.downloads=True`."""
    from jupyter_server.utils import url_path_join

    web_app = server_app.web_app
    web_app.add_handlers(".*$", [(url_path_join(web_app.settings["base_url"], ROUTE), DownloadHandler)])


def _jupyter_server_extension_points():
    return [{"module": "course.server.downloads"}]
