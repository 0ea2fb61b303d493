"""One kernel per learner visit (issue 19): the home, the modules, the certificate and the help
page are views of one app in one kernel, so following a link between them starts nothing.

Every learner notebook is still an entry point: a deep link, a bookmark or a reload opens its
page in a fresh kernel, as before, and that page is the visit's first view. Inside the page the
theme's script (static/visit.js) turns a plain click on a link to another learner page into a
same-document navigation: it pushes the address into the browser's history and hands it to this
kernel through a hidden text box (`route`, "<number> <address>"); Back and Forward hand over the
address they return to. The script waits for the view marked with its number
(`cm-visit-view--<number>`), then moves focus to its heading and says what it shows.

The kernel never trusts the address. `parse_route` reads it strictly (a learner page, only the
query keys that page reads, a module that exists), and the view is built by the launcher's one
rule for any learner page (course.kernel.launch.Launcher.view), the rule a fresh load runs. One
thing more than a fresh load: a sign-in token this visit never had (not in its first address,
not issued by a sign-in in this kernel) is not used, so a message forged over the websocket
cannot turn a visit into another learner's. A refused address shows the friendly "could not
find that page"; a missing sign-in, "please sign in", as a fresh load would.

Leaving a view saves first (a module's reflection still waiting for its timer) and then closes
every widget the view made (found in ipywidgets' registry, not only those on screen: a module
keeps pages it is not showing), so a long visit does not grow the kernel.
"""

from __future__ import annotations

import re
from collections.abc import Container, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING
from urllib.parse import parse_qsl, urlsplit

import ipywidgets as widgets
from ipywidgets.widgets.widget import _instances

from course.app.pages import NOT_FOUND, SOMETHING_WRONG, message_html
from course.kernel.launch import PAGES
from course.kernel.runtime import log

if TYPE_CHECKING:
    from course.kernel.launch import Launcher

ROUTE_CLASS = "cm-visit-route"  # the hidden box static/visit.js writes "<number> <address>" into
VIEW_CLASS = "cm-visit-view--"  # + the number of the navigation a view answers
VIEWS_CLASS = "cm-visit-views--"  # + each learner view's name, on the route box: the links the script hands over
VIEWS = tuple(kind for kind, page in PAGES.items() if page.visit)

MAX_ADDRESS = 2000  # our own links are a few hundred characters
MAX_TEXT = 60  # a prefilled staff number or sign-in code (the home cuts them shorter still)
TOKEN = re.compile(r"[A-Za-z0-9_-]{1,200}")  # secrets.token_urlsafe's alphabet (course.records.signin_tokens)
# a sign-in token this visit never had: no session matches it, so the page treats it as an ended sign-in
NOT_THIS_VISIT = "~not-this-visit~"


class RouteError(ValueError):
    """An address a visit will not show; the message says what is wrong (never the address itself,
    which may hold a sign-in token)."""


@dataclass(frozen=True)
class Route:
    kind: str
    query: dict[str, str] = field(default_factory=dict)


def parse_route(address: str, modules: Container[str]) -> Route:
    """The learner view and query an address names, or RouteError.

    Accepted: a path (no scheme, host or fragment) whose last part is a learner page
    (`home.ipynb`, `module.ipynb`, ...), with only the query keys that page reads, each once; a
    token in the sign-in alphabet; a module id of this course."""
    if not isinstance(address, str) or not address:
        raise RouteError("an empty address")
    if len(address) > MAX_ADDRESS:
        raise RouteError(f"an address of {len(address)} characters (at most {MAX_ADDRESS})")
    if any(ord(ch) < 32 or ch in "\\\x7f" for ch in address):
        raise RouteError("a control character or backslash in the address")
    parts = urlsplit(address)
    if parts.scheme or parts.netloc:
        raise RouteError("an address with a scheme or host: only this course's own pages are shown")
    if parts.fragment:
        raise RouteError("an address with a fragment (#...)")
    segments = parts.path.split("/")
    if any(s in (".", "..") for s in segments):
        raise RouteError("'.' or '..' in the address's path")
    name = segments[-1]
    kind = name[: -len(".ipynb")] if name.endswith(".ipynb") else ""
    if kind not in VIEWS:
        raise RouteError(f"not a learner page ({name[:40]!r})")
    keys = PAGES[kind].keys
    try:
        pairs = parse_qsl(parts.query, keep_blank_values=True, strict_parsing=bool(parts.query), max_num_fields=8)
    except ValueError as exc:
        raise RouteError(f"an unreadable query on the {kind} page ({exc})") from None
    query: dict[str, str] = {}
    for key, value in pairs:
        if key not in keys:
            raise RouteError(f"the {kind} page takes no query key {key[:20]!r} (only {', '.join(keys)})")
        if key in query:
            raise RouteError(f"the query key {key!r} twice")
        if value:  # an empty value is no value, as on a fresh load
            query[key] = value
    token = query.get("token")
    if token is not None and not TOKEN.fullmatch(token):
        raise RouteError("a token outside the sign-in alphabet")
    module = query.get("module")
    if module is not None and module not in modules:
        raise RouteError("a module this course does not have")
    if kind == "module" and module is None:
        raise RouteError("the module page without a module")
    for key in ("staff", "code"):
        if len(query.get(key, "")) > MAX_TEXT or not query.get(key, "").isprintable():
            raise RouteError(f"a {key} value longer than {MAX_TEXT} characters or not printable")
    return Route(kind, query)


def _message_view(title: str, text: str, *, alert: bool = False) -> widgets.HTML:
    return widgets.HTML(f'<div class="cm-root cm-app">{message_html(title, text, alert=alert)}</div>')


class VisitApp(widgets.VBox):
    """The page of a learner's visit: the view on screen, and the hidden box that changes it."""

    def __init__(self, launcher: Launcher, kind: str, query: dict[str, str], env: Mapping[str, str]):
        self.launcher, self.env = launcher, env
        # the sign-ins this visit may use: the first address's (it came with the page's request)
        # and those a sign-in in this kernel issued (gathered from the view when it is left)
        self.tokens: set[str] = {query["token"]} if query.get("token") else set()
        # never shown (display: none keeps it out of the accessibility tree and the tab order)
        self.route = widgets.Text("", layout=widgets.Layout(display="none"))
        self.route.add_class(ROUTE_CLASS)
        for name in VIEWS:
            self.route.add_class(VIEWS_CLASS + name)
        self.route.observe(self._route_changed, names="value")
        super().__init__([self.route])
        self.add_class("cm-visit")
        self.current: widgets.Widget | None = None
        self.built = None  # the current view when it was built (not a message standing in for it)
        self.shown = 0  # the number of the navigation the current view answers (0: the first address)
        self._before: set[str] = set(_instances)  # every widget made from here on is a view's
        self._show(kind, query, 0)

    # --- the script's messages --------------------------------------------------------
    def _route_changed(self, change) -> None:
        number, _, address = str(change["new"]).partition(" ")
        if not number.isdigit() or len(number) > 9:
            log.info("a visit's route without its navigation number was ignored")
            return
        try:
            self.navigate(address, int(number))
        except Exception:  # noqa: BLE001 - never a traceback on the page
            log.exception("a visit's navigation failed")
            self._leave()
            self._put(_message_view(*SOMETHING_WRONG, alert=True), int(number))

    def navigate(self, address: str, number: int) -> None:
        """Show the view `address` names (checked here: it came from the page)."""
        self._keep_token()  # before the address's token is judged: a sign-in on this view issued it
        try:
            route = parse_route(address, self.launcher.course.modules)
        except RouteError as exc:
            log.info("a visit's address was refused: %s", exc)
            self._leave()
            self._put(_message_view(*NOT_FOUND), number)
            return
        self._show(route.kind, self._trusted(route.query), number)

    def _trusted(self, query: dict[str, str]) -> dict[str, str]:
        token = query.get("token")
        if token and token not in self.tokens:
            log.warning("a visit's address carried a sign-in this visit never had: not used")
            return {**query, "token": NOT_THIS_VISIT}
        return query

    # --- views --------------------------------------------------------------------------
    def _show(self, kind: str, query: dict[str, str], number: int) -> None:
        self._leave()
        view = self.launcher.view(kind, query, self.env)
        self.built = view if self.launcher._built else None
        self.launcher.widget = self.built  # the launcher names the page on screen
        self._put(view, number)

    def _put(self, view: widgets.Widget, number: int) -> None:
        view.add_class(VIEW_CLASS + str(number))
        self.current, self.shown = view, number
        # the box first: ipywidgets keeps the views of an unchanged first child, so it is never redrawn
        self.children = (self.route, view)

    def _keep_token(self) -> None:
        """The view's sign-in is this visit's: issued by a sign-in in this kernel (the home's
        form), or already one of its own."""
        token = getattr(self.current, "token", None)
        if isinstance(token, str) and token:
            self.tokens.add(token)

    def _leave(self) -> None:
        """Save what the view on screen holds, then close every widget it made."""
        view = self.current
        self._keep_token()
        if view is not None:
            leave = getattr(view, "leave", None)
            if callable(leave):
                try:
                    leave()  # a module saves its waiting reflection
                except Exception:  # noqa: BLE001 - the page changes anyway; the log says what was lost
                    log.exception("a view could not save before it was left")
        for model_id in set(_instances) - self._before:
            widget = _instances.get(model_id)
            if widget is not None and widget is not self and widget is not self.route:
                widget.close()  # a reflection's close also cancels its timer
        self.current = self.built = self.launcher.widget = None  # no reference keeps a closed view alive
        self._before = set(_instances)  # what exists now is the visit's own: the next view's are new
