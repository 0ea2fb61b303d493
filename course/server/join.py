"""`/join`: the light join page for a group session, written by the course server (no kernel per phone).

A room of forty phones used to be forty Voila kernels (about 70 MB each), each reading the live
tables every 0.4 s. Here a phone gets plain HTML (course.live.phone) and one small script
(static/join.js) that long-polls `/join/state` (course.live.watch: one reader of the session per
server, however many phones wait) and posts its vote to `/join/vote`. With no script the forms
still work: Join and the vote post and come back to the page.

Nothing from the phone is taken on trust; every check is course.live.core's, the ones the kernel
join page makes:
- the session: `find_session` (an open session with that code) on the page, `get_session` by id
  for the state and the vote; a wrong code claims a try against the source address
  (course.records.rate_limit, as certificate ids on /verify): guessing codes soon waits;
- the voter: a token `core.join` issued (only its hash is stored), kept in an HttpOnly cookie for
  this page's path, checked with `core.voter_issued` on every state request and by `cast_vote`
  on every vote: a made-up or stale cookie is not a voter, and a second Join from the same phone
  keeps its token (one phone, one voter);
- the vote: `cast_vote` with the choices of the scenario as the room sees it, so a vote counts only
  for a choice of the scenario the trainer shows, before the reveal, in an open session; voting
  again changes the vote, never adds one;
- posts carry the `_xsrf` cookie's token (tornado's check); a post without it is refused with a
  plain sentence, not a bare 403.

Signed-in learners keep the kernel join page (`join.ipynb` from the course home, with their
sign-in token): it checks the sign-in before Join, so their attendance can count toward completion.
"""

from __future__ import annotations

import json
import re
from functools import lru_cache

import tornado.web
from jupyter_server.base.handlers import JupyterHandler
from jupyter_server.utils import url_path_join

from course.app.pages import base_href, error_page
from course.live import core, phone
from course.live.address import JOIN_ROUTE
from course.live.summary import room_scenario
from course.records import rate_limit
from course.records.store import Store, StoreError

VOTER_COOKIE = "cm_live_voter"
SESSION_ID = re.compile(r"^[0-9a-f]{16}$")  # core.open_session's secrets.token_hex(8)
CODE_LIMIT = rate_limit.Limit(free=20)  # a room shares one router: a source, not an account
LONG_POLL_SECONDS = 25.0  # under the 30 s many proxies allow an idle request
MAX_WAITING = 2000  # held long-polls per server; beyond, a phone is told to ask again in a moment
NOT_SENT = "Nothing was sent: this page could not show it came from the course. Reload the page and try again."
LOST = "This page has lost track of you. Please reload it and join again."
BUSY = "The course is busy. Please try again in a minute."


class Refused(tornado.web.HTTPError):
    """A request refused with a sentence for the person (a page, or JSON for the page's script)."""

    def __init__(self, status: int, message: str, retry_after: int | None = None):
        super().__init__(status, "light join page: %s", message)
        self.message, self.retry_after = message, retry_after


@lru_cache(maxsize=1)
def room_watch():
    """The server's one watcher of live sessions (course.live.watch)."""
    from course.live.watch import RoomWatch

    return RoomWatch(lambda session_id: core.get_session(Store(), session_id))


def _course():
    """The server's one copy of the content (course.kernel.runtime.app_course), as downloads read it."""
    from course.kernel.runtime import app_course

    return app_course()


class LightJoinHandler(JupyterHandler):
    """What the three routes share: the voter cookie, the xsrf check's words, the error replies."""

    def set_default_headers(self) -> None:
        super().set_default_headers()
        # the server's "no-referrer" makes Chromium send `Origin: null` with a form's post, which
        # Jupyter's origin check refuses; these addresses hold no secret (the code is on the projector,
        # the voter token is in a cookie), so same-origin requests may say where they come from
        self.set_header("Referrer-Policy", "same-origin")

    @property
    def base(self) -> str:
        return base_href(self.base_url)

    def wants_json(self) -> bool:
        return "application/json" in self.request.headers.get("Accept", "")

    def check_xsrf_cookie(self):
        try:
            return super().check_xsrf_cookie()
        except tornado.web.HTTPError:
            raise Refused(403, NOT_SENT) from None

    def write_error(self, status_code: int, **kwargs) -> None:
        exc = kwargs.get("exc_info", (None, None, None))[1]
        message = exc.message if isinstance(exc, Refused) else None
        if isinstance(exc, Refused) and exc.retry_after:
            self.set_header("Retry-After", str(exc.retry_after))
        self.set_header("Cache-Control", "no-store")
        if self.wants_json():
            self.reply(status_code, {"ok": False, "message": message or BUSY})
            return
        self.set_header("Content-Type", "text/html; charset=UTF-8")
        if message is None:
            self.finish(error_page(status_code, self.base_url))
            return
        self.finish(phone.light_page("Join a group session", phone.alert_html(message) + self._back(), self.base))

    def _back(self) -> str:
        return f'<p><a class="cm-button" href="{self.base}{JOIN_ROUTE}">Back to the join page</a></p>'

    def reply(self, status: int, data: dict) -> None:
        """JSON for the page's script (never cached: it is this voter's view now)."""
        self.set_status(status)
        self.set_header("Cache-Control", "no-store")
        self.set_header("Content-Type", "application/json; charset=UTF-8")
        self.finish(json.dumps(data))

    def store(self) -> Store:
        try:
            return Store()
        except StoreError:
            self.log.exception("the light join page could not open the records store")
            raise Refused(503, BUSY) from None

    # --- the voter cookie ---------------------------------------------------------------------------------
    def voter_token(self, session_id: str) -> str | None:
        """This phone's voter token for the session, as its cookie says (not yet checked)."""
        value = self.get_cookie(VOTER_COOKIE) or ""
        cookie_session, _, token = value.partition(".")
        return token if cookie_session == session_id and core.VOTER_TOKEN.match(token) else None

    def set_voter(self, session_id: str, token: str) -> None:
        self.set_cookie(
            VOTER_COOKIE,
            f"{session_id}.{token}",
            path=url_path_join(self.base_url, JOIN_ROUTE),
            expires_days=core.OPEN_FOR.total_seconds() / 86400,
            httponly=True,  # the script never needs it: the server reads it
            samesite="Lax",  # a reload from the QR code's address still carries on
            secure=self.request.protocol == "https",
        )

    def issued_voter(self, store: Store, session: core.LiveSession) -> str | None:
        token = self.voter_token(session.id)
        return token if token and core.voter_issued(store, session.id, token) else None

    # --- finding the session --------------------------------------------------------------------------------
    def find(self, store: Store, code: str) -> core.LiveSession:
        """The open session with this code; a wrong one counts against this address (rate_limit)."""
        source = rate_limit.key("live-code-source", self.request.remote_ip or "unknown")
        claim = rate_limit.claim(store, [(source, CODE_LIMIT)])
        if not claim.allowed:
            wait = int(claim.retry_after + 0.999)
            raise Refused(429, f"Too many wrong codes from this address. Try again in {wait} seconds.", wait)
        session = core.find_session(store, code)  # SessionNotFound: the try stays counted
        rate_limit.refund(store, source, CODE_LIMIT)
        return session

    def session_by_id(self, store: Store, session_id: str) -> core.LiveSession:
        if not SESSION_ID.match(session_id):
            raise Refused(404, LOST)
        try:
            return core.get_session(store, session_id)
        except core.SessionNotFound:
            raise Refused(404, LOST) from None

    def stage(self, store: Store, session: core.LiveSession, token: str, message: str = "") -> str:
        """The live stage for this voter: their vote on the scenario shown, the tally once revealed."""
        scenario_id = session.scenario_id if session.is_open else None
        mine = core.my_vote(store, session.id, token, scenario_id) if scenario_id else None
        counts = core.tally(store, session.id, scenario_id) if scenario_id and session.revealed else None
        return phone.stage_html(
            _course(), session, self.base, self.xsrf_form_html(), mine=mine, counts=counts, message=message
        )

    def page(self, status: int, title: str, main: str) -> None:
        self.set_status(status)
        self.set_header("Cache-Control", "no-store")
        self.set_header("Content-Type", "text/html; charset=UTF-8")
        self.finish(phone.light_page(title, main, self.base))

    def live_page(self, store: Store, session: core.LiveSession, token: str, status: int = 200, message: str = ""):
        main = phone.live_main(_course(), session, self.stage(store, session, token, message), self.base)
        self.page(status, "Group session", main)


class JoinPageHandler(LightJoinHandler):
    """GET /join (the code form), /join?code=... (Join, or the live page once joined); POST /join joins."""

    def get(self):
        code = core.normalise_code(self.get_argument("code", "")[:20])
        store = self.store()
        xsrf = self.xsrf_form_html()
        if not code:
            self.page(200, "Join a group session", phone.code_form(self.base, xsrf))
            return
        try:
            session = self.find(store, code)
        except core.LiveError as exc:
            self.page(404, "Join a group session", phone.code_form(self.base, xsrf, code=code, notice=str(exc)))
            return
        token = self.issued_voter(store, session)
        if token:
            self.live_page(store, session, token)
            return
        self.page(200, "Join the group session", phone.join_form(_course(), session, self.base, xsrf))

    def post(self):
        code = core.normalise_code(self.get_body_argument("code", "")[:20])
        name = self.get_body_argument("name", "")[:400]
        staff_number = self.get_body_argument("staff_number", "")[:100]
        store = self.store()
        xsrf = self.xsrf_form_html()
        try:
            session = self.find(store, code)
        except core.LiveError as exc:
            self.page(404, "Join a group session", phone.code_form(self.base, xsrf, code=code, notice=str(exc)))
            return
        try:
            # a phone that joined before keeps its token (core.join checks the server issued it)
            joined = core.join(store, code, name, staff_number, voter_token=self.voter_token(session.id))
        except core.DetailsError as exc:
            form = phone.join_form(_course(), session, self.base, xsrf, notice=str(exc))
            self.page(400, "Join the group session", form)
            return
        except core.LiveError as exc:
            self.page(410, "Join a group session", phone.code_form(self.base, xsrf, notice=str(exc)))
            return
        except StoreError:
            self.log.exception("a phone could not join a session")
            raise Refused(503, "We could not join you just now. Please try again in a minute.") from None
        self.set_voter(joined.session.id, joined.voter_token)
        self.redirect(url_path_join(self.base_url, JOIN_ROUTE) + "?" + f"code={joined.session.code}", status=303)


class JoinStateHandler(LightJoinHandler):
    """GET /join/state?session=...&since=KEY: the stage once the session's state is no longer KEY
    (held up to LONG_POLL_SECONDS), as JSON for the page's script."""

    async def get(self):
        session_id = self.get_argument("session", "")[:40]
        since = self.get_argument("since", "")[:40]
        store = self.store()
        session = self.session_by_id(store, session_id)
        token = self.issued_voter(store, session)
        if token is None:
            raise Refused(403, LOST)
        watch = room_watch()
        retry = None
        if watch.waiting() >= MAX_WAITING:
            session, retry = await watch.current(session.id), 2
        else:
            session = await watch.wait(session.id, since, LONG_POLL_SECONDS)
        # a phone that left meanwhile: tornado drops the reply to a closed connection quietly
        self.reply(
            200,
            {
                "key": phone.state_key(session),
                "html": self.stage(store, session, token),
                "ended": not session.is_open,
                **({"retry_after": retry} if retry else {}),
            },
        )


class JoinVoteHandler(LightJoinHandler):
    """POST /join/vote (session, scenario, choice, _xsrf): the vote, checked by core.cast_vote."""

    def post(self):
        session_id = self.get_body_argument("session", "")[:40]
        scenario_id = self.get_body_argument("scenario", "")[:200]
        choice_id = self.get_body_argument("choice", "")[:200]
        store = self.store()
        session = self.session_by_id(store, session_id)
        token = self.voter_token(session.id)
        scenario = room_scenario(_course(), session.id, scenario_id)
        choices = [c.id for c in scenario.choices] if scenario else []
        try:
            core.cast_vote(store, session.id, token or "", scenario_id, choice_id, choices)
        except core.VoteRefused as exc:
            message = f"Your vote was not counted. {exc}"
            if exc.reason == "voter":
                raise Refused(403, message) from None
            session = core.get_session(store, session.id)
            if self.wants_json():
                self.reply(409, {"ok": False, "message": message, "key": phone.state_key(session)})
                return
            self.live_page(store, session, token or "", status=409, message=message)
            return
        except StoreError:
            self.log.exception("a vote from the light join page could not be saved")
            raise Refused(503, "Your vote was not saved: the course is busy. Please send it again.") from None
        if self.wants_json():
            assert scenario is not None  # cast_vote refuses a choice of no scenario
            self.reply(
                200, {"ok": True, "status_html": phone.voted_html(scenario, choice_id), "button": "Change my vote"}
            )
            return
        self.redirect(url_path_join(self.base_url, JOIN_ROUTE) + f"?code={session.code}", status=303)


def routes(server_url: str) -> list:
    join = url_path_join(server_url, JOIN_ROUTE)
    return [
        (join, JoinPageHandler),
        (join + "/state", JoinStateHandler),
        (join + "/vote", JoinVoteHandler),
    ]
