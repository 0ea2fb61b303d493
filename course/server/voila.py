"""The course's Voila server: Voila, with the routes, headers and error pages a learner site needs.

`course serve` runs `python -m course.server.voila APP_DIR --Voila.config_file_paths=DIR`, DIR holding the
voila.json course.server.launch_config wrote (the dashboard likewise). Compared with plain
`voila APP_DIR` this server:
- serves `/verify?id=...`, where anyone checks a certificate (course.server.verify);
- serves the manager dashboard at `/dashboard/`, behind its password (DashboardPageHandler);
- sends `/` to the course home (or, for the manager's server, to its dashboard: `--CourseVoila.home_page`),
  and lists no notebooks (no `/voila/tree`, no contents API, no login or logout pages);
- lets a page's kernel websocket carry only widget messages (course.server.kernel_guard): nothing
  sent from a browser runs code;
- enforces what must not be changed by a stray config file: no template or theme from the
  address, no tracebacks, the course template;
- sends security headers on every page (a Content-Security-Policy that allows nothing from
  outside this server, no Referer, no sniffing) and SameSite cookies;
- shows the course's own friendly page for every error, never server details;
- keeps session tokens out of its log (it logs paths, not query strings) and kernel ids too;
- binds each page's kernel to the browser it was rendered for (course.server.page_secret);
- caps page kernels per server and per client address (course.server.kernel_limits: a "busy"
  page with 503 beyond it) and replaces Voila's `/voila/query/<id>` socket
  (course.server.query_socket).
"""

from __future__ import annotations

import asyncio
import logging
import re
import sys
from typing import Any

import tornado.web
from jupyter_server.base.handlers import JupyterHandler
from jupyter_server.utils import url_path_join
from traitlets import Unicode
from voila.app import Voila
from voila.request_info_handler import RequestInfoSocketHandler
from voila.static_file_handler import TemplateStaticFileHandler
from voila.tornado.handler import TornadoVoilaHandler
from voila.tornado.kernel_websocket_handler import VoilaKernelWebsocketHandler

from course import settings
from course.app.pages import busy_page, error_page
from course.records.identity import CLIENT_HEADER, HUB_USER_HEADER, MANAGER_HEADER, request_hub_user
from course.server import badge_handlers, downloads, join, lti, page_secret, query_socket
from course.server.kernel_guard import ALLOWED_MSG_TYPES, GuardedKernelWebsocketHandler
from course.server.kernel_limits import KernelLimits
from course.server.launch_config import DASHBOARD, ENFORCED, HOME, TEMPLATE
from course.server.static_files import CompressedStatic, compressed_handler
from course.server.verify import VerifyHandler

CSP = "; ".join(
    [
        "default-src 'self'",
        # Voila's page and JupyterLab's widget renderers use inline scripts and styles
        "script-src 'self' 'unsafe-inline' 'unsafe-eval'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data: blob:",
        "font-src 'self' data:",
        "connect-src 'self'",  # 'self' covers the kernel's websocket on this host and port
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'self'",
    ]
)

SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    # session tokens are in page addresses: never send them to another site
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "SAMEORIGIN",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
}

access_log = logging.getLogger("tornado.access")


def log_request(handler: tornado.web.RequestHandler) -> None:
    """One line per request, with the path only (a query string may hold a session token) and
    no kernel id in it (`/api/kernels/<kernel>/channels`): a kernel id must not lead to a page."""
    status = handler.get_status()
    level = logging.INFO if status < 400 else logging.WARNING if status < 500 else logging.ERROR
    if status in (200, 101, 204, 301, 302, 304) and handler.request.path.startswith(
        ("/voila/static", "/voila/labextensions", "/voila/templates")
    ):
        level = logging.DEBUG  # static files: noise
    logger = getattr(handler, "log", None) or access_log  # Jupyter's handlers log where the server logs
    logger.log(
        level,
        "%d %s %s %.2fms",
        status,
        handler.request.method,
        page_secret.redact(handler.request.path),
        1000.0 * handler.request.request_time(),
    )


def _request_summary(self) -> str:
    # tornado puts the full URI (with any ?token=) in its error log lines; the path is enough
    return f"{self.request.method} {page_secret.redact(self.request.path)} ({self.request.remote_ip})"


class RedactKernelIds(logging.Filter):
    """Jupyter's own lines name kernels ("Kernel started: <id>"): the id is replaced, the line kept."""

    def filter(self, record: logging.LogRecord) -> bool:
        text = record.getMessage()
        if page_secret.KERNEL_ID.search(text):
            record.msg, record.args = page_secret.redact(text), None
        return True


def _friendly_write_error(self, status_code: int, **kwargs) -> None:
    """Every HTML error page: the course's friendly page (tornado has already logged the error)."""
    self.set_header("Content-Type", "text/html; charset=UTF-8")
    for name, value in SECURITY_HEADERS.items():
        self.set_header(name, value)
    base_url = self.settings.get("base_url", "/")
    self.finish(error_page(status_code, base_url))


def _static_headers(self) -> None:
    # tornado's own handlers (static files, unknown addresses) do not read settings["headers"]
    self.set_header("Server", "course")
    self.set_header("X-Content-Type-Options", "nosniff")
    self.set_header("Referrer-Policy", "no-referrer")


def install_friendly_errors() -> None:
    """Patch, in this server process only, how tornado and Jupyter write errors and log requests."""
    # each assignment replaces a method on the handler class on purpose (the patch this function is for)
    tornado.web.RequestHandler.write_error = _friendly_write_error  # type: ignore[method-assign]  # deliberate patch
    # Jupyter's own error template links a CDN
    JupyterHandler.write_error = _friendly_write_error  # type: ignore[method-assign]  # deliberate patch
    tornado.web.RequestHandler._request_summary = _request_summary  # type: ignore[method-assign]  # deliberate patch
    tornado.web.RequestHandler.set_default_headers = _static_headers  # type: ignore[method-assign]  # deliberate patch


class HomeRedirect(JupyterHandler):
    """`/` opens the course home (instead of a list of notebooks)."""

    def initialize(self, home: str = HOME):
        self.home = home

    def get(self):
        self.redirect(url_path_join(self.base_url, self.home))


TEMPLATE_NAME = re.compile(r"[A-Za-z0-9_-]+")


class TemplateStatic(CompressedStatic, TemplateStaticFileHandler):
    """Voila's template files (`/voila/templates/<template>/static/<file>`), with a 404 for any
    other address: Voila's handler asserts the shape, so `..` in the address was a 500. Compressed
    and cached as the other static files (course.server.static_files), after this check."""

    def get(self, path, include_body=True):
        parts = path.split("/")
        if (
            len(parts) < 3
            or parts[1] != "static"
            or not TEMPLATE_NAME.fullmatch(parts[0])
            or any(part in ("", ".", "..") for part in parts[2:])
        ):
            raise tornado.web.HTTPError(404)
        return super().get(path, include_body)


class CoursePageHandler(TornadoVoilaHandler):
    """Voila's page handler, plus the `_xsrf` cookie, the page's secret and the kernel caps.

    Beyond a cap (course.server.kernel_limits) the answer is the course's "busy" page with 503
    and Retry-After, before any kernel starts. Otherwise the page's secret cookie goes out with
    the headers and is bound to the kernel once the page names it (course.server.page_secret).

    When a page closes, Voila's script posts to `/voila/api/shutdown/<kernel>` with the
    `_xsrf` cookie's value, but Voila's page never sets that cookie, so the post is refused
    and the kernel lives on until culled (voila issue 1458). Setting the cookie here lets
    closing a page free its kernel at once; culling still catches pages that close without
    saying so (a phone that drops the tab, a crash).
    """

    @tornado.web.authenticated
    async def get(self, path=None):
        self.xsrf_token  # noqa: B018 - reading it sets the cookie
        # the client's address, for the page's rate limits (course.records.rate_limit): Voila hands
        # the kernel only the headers named in http_header_envs, so the server writes this one
        # itself, over any value the client sent
        self.request.headers[CLIENT_HEADER] = self.request.remote_ip or ""
        # who the hub signed this request in as, on the shared course service (course.hub.service):
        # likewise written here over any browser's header ("" off the hub; course.records.identity.hub_user)
        hub_name = request_hub_user(self)
        self.request.headers[HUB_USER_HEADER] = hub_name
        # the manager an LMS launch signed in to the dashboard (DashboardPageHandler); "" on other pages
        self.request.headers[MANAGER_HEADER] = await self.signed_in_manager()
        limits: KernelLimits = self.settings["course_kernel_limits"]
        # behind the hub's proxy every request comes from the proxy's address: the cap is then per hub user
        address = f"hub:{hub_name}" if hub_name else self.request.remote_ip or "unknown"
        if not limits.admit(address, self.kernel_manager.list_kernel_ids):
            self.log.warning(
                "busy: page refused (%d page kernels, %d from this address)", limits.held(), limits.held(address)
            )
            wait = limits.retry_after(address)
            self.set_status(503)
            self.set_header("Retry-After", str(wait))
            self.set_header("Cache-Control", "no-store")
            self.set_header("Content-Type", "text/html; charset=UTF-8")
            self.finish(busy_page(self.base_url, wait, self.request.uri or self.base_url))
            return
        page_secret.forget(self.kernel_manager.list_kernel_ids())
        secret, kernel_id = page_secret.issue(self), None
        try:
            async for html in self.get_generator(path=path):
                if kernel_id is None:
                    kernel_id = page_secret.page_kernel(html)
                    if kernel_id is not None:
                        page_secret.bind(kernel_id, secret)
                self.write(html)
                self.flush()
        finally:
            limits.rendered(address, kernel_id)

    async def signed_in_manager(self) -> str:
        """Nobody on a learner's page: only the dashboard's handler looks for a manager."""
        return ""


class DashboardPageHandler(CoursePageHandler):
    """`/dashboard/`: the manager dashboard's notebook (course.server.dashboard), rendered like any
    page here (kernel caps, page secret, widget-only websocket, headers), from its own folder:
    the learners' folder holds no dashboard, so no other address reaches it."""

    def initialize(self, **kwargs):
        self._contents = kwargs.pop("contents_manager")
        super().initialize(**kwargs)

    @property
    def contents_manager(self):
        return self._contents

    async def signed_in_manager(self) -> str:
        """The manager whose dashboard session (an LMS launch's cookie) this request carries, checked
        in the records store (course.server.manager_session); "" when none: the password is asked."""
        from course.records.store import Store
        from course.server.manager_session import request_manager

        return await asyncio.to_thread(lambda: request_manager(self, Store()))


class NotFound(JupyterHandler):
    def prepare(self):
        raise tornado.web.HTTPError(404)


class CourseVoila(Voila):
    """Voila serving the course's app folder (home.ipynb and module.ipynb), or another folder of
    course notebooks (the manager's dashboard) with the same protections."""

    home_page = Unicode(HOME, config=True, help="Where `/` goes, relative to the base URL.")
    # Voila's own traitlets Dict (voila ships no types): an annotation only, the trait stays Voila's
    tornado_settings: dict[str, Any]

    def initialize(self, argv=None):
        super().initialize(argv)
        self.enforce()

    def enforce(self) -> None:
        """Settings that keep learners safe, whatever a config file or flag said."""
        conf = self.voila_configuration
        template = conf.template
        # the launch configuration's safety settings (course.server.launch_config), applied again
        for name, value in ENFORCED.items():
            setattr(conf, name, list(value) if isinstance(value, list) else value)
        for header in (CLIENT_HEADER, HUB_USER_HEADER, MANAGER_HEADER):  # the headers this server itself writes
            if header not in conf.http_header_envs:
                conf.http_header_envs = [*conf.http_header_envs, header]
        if template != TEMPLATE:
            self.setup_template_dirs()
        self.tornado_settings = {
            **self.tornado_settings,
            "headers": {**self.tornado_settings.get("headers", {}), **SECURITY_HEADERS},
            "log_function": log_request,
            "xsrf_cookie_kwargs": {"samesite": "Strict"},  # the page's script reads it: not HttpOnly
            "default_handler_class": NotFound,
            "serve_traceback": False,
            "course_kernel_limits": KernelLimits(settings.max_kernels(), settings.max_kernels_per_client()),
        }
        for name in ("ServerApp", "Voila", "CourseVoila", "tornado.access", "tornado.application", "tornado.general"):
            logging.getLogger(name).addFilter(RedactKernelIds())
        self.log.addFilter(RedactKernelIds())

    def init_settings(self):
        settings = super().init_settings()
        # Voila's own list of what the kernel websocket passes on, made the guard's (no shutdown_request)
        self.kernel_manager.allowed_message_types = sorted(ALLOWED_MSG_TYPES)
        return settings

    def init_handlers(self):
        """Voila's routes, less the notebook listings and login pages, plus `/` to the home page."""
        hidden = (
            self.server_url,
            url_path_join(self.server_url, "/voila/tree"),
            url_path_join(self.server_url, "/voila/api/contents"),
        )
        replaced = {
            TornadoVoilaHandler: CoursePageHandler,
            VoilaKernelWebsocketHandler: GuardedKernelWebsocketHandler,
            TemplateStaticFileHandler: TemplateStatic,
            RequestInfoSocketHandler: query_socket.QuerySocketHandler,
        }
        kept = []
        for handler in super().init_handlers():
            if handler[0] == hidden[0] or handler[0].startswith(hidden[1:]) or handler[0] in ("/login", "/logout"):
                continue  # the identity provider's login and logout pages: the course has its own sign-in
            # Voila's other static routes (its scripts, the widget code): compressed and cacheable
            handler = (handler[0], compressed_handler(replaced.get(handler[1], handler[1])), *handler[2:])
            kept.append(handler)
        return [
            (self.server_url, HomeRedirect, {"home": self.home_page}),
            # anyone checks a certificate here, no sign-in (course.server.verify)
            (url_path_join(self.server_url, "/verify"), VerifyHandler),
            # an LMS's LTI 1.3 launch, into the learner's pages (not the manager's dashboard): course.server.lti
            *(lti.handlers(self.server_url) if self.home_page == HOME else []),
            # a group session's light join page for phones, no kernel each (course.server.join)
            *(join.routes(self.server_url) if self.home_page == HOME else []),
            *self.dashboard_route(kept),
            # a learner's own certificate and learning record, as files (course.server.downloads)
            (url_path_join(self.server_url, downloads.ROUTE), downloads.DownloadHandler),
            *badge_handlers.routes(self.server_url),  # Open Badges: keys, issuer, check, the learner's download
            *kept,
        ]

    def dashboard_route(self, handlers: list) -> list:
        """`/dashboard/` (and `/dashboard`), behind the manager password (course.manager.auth):
        Voila's page route with its settings, showing the dashboard notebook."""
        from course.server.dashboard import page_settings

        page = next((h for h in handlers if h[1] is CoursePageHandler and len(h) > 2), None)
        extra = page_settings()
        if page is None or extra is None:
            return []
        return [(url_path_join(self.server_url, DASHBOARD) + "?", DashboardPageHandler, {**page[2], **extra})]


def main(argv: list[str] | None = None) -> None:
    install_friendly_errors()
    query_socket.install()
    CourseVoila.launch_instance(argv if argv is not None else sys.argv[1:])


if __name__ == "__main__":
    main()
