"""LTI 1.3 in the course server: an LMS (Moodle, Totara...) launches a learner into a module.

- `GET|POST /lti/login`: the LMS's OIDC login initiation. A state and a nonce are made and kept
  in the records store (course.records.lti: hashed state, single use, ten minutes), and the
  browser goes to the LMS's authorisation endpoint (course.lti.launch.login_redirect).
- `POST /lti/launch`: the redirect URI. The LMS's form post of a signed `id_token` is checked
  (course.lti.launch.validate: signature from its JWKS, issuer, audience, expiry, the state
  used once, its nonce, deployment, message type). The LMS user becomes the learner, mapped
  to the roster by the registration's `user_claim`; identity kind "lti"; an Instructor becomes a
  trainer; the launch (with its AGS line item and role) is recorded so the mark can go back
  (course.lti.admit, the rules JupyterHub's launch uses too); a sign-in session token issued as
  the course home's sign-in does.
  The browser then goes to the module the resource link names (or to the home). An
  Administrator (the manager role) goes to the manager dashboard instead, signed in to it by a
  dashboard session of its own (course.server.manager_session), without the password.
- `GET /lti/jwks`: the tool's public key, for the LMS to check the tool's signed requests.

Both the login and the launch come cross-site from the LMS (a form post), so tornado's xsrf
cookie check is skipped for exactly these handlers: the state (one use, from this server) and
the platform's signature are what protect them. No cookie is needed on the way in; the module
page sets its own SameSite=Strict cookies once the browser is on this site.
A refused launch gets a plain page (400, or 403 for an LMS or deployment the course does not
know, or a person not on the staff list) and one log line with the reason, never a person.
"""

from __future__ import annotations

import json
from urllib.parse import urlencode

from jupyter_server.auth.decorator import allow_unauthenticated
from jupyter_server.base.handlers import JupyterHandler

from course import settings
from course.app.pages import message_page
from course.lti import launch as lti_launch
from course.lti import platforms
from course.lti.admit import admit
from course.records import lti as lti_records
from course.server.launch_config import HOME, MODULE_PAGE

NOT_SET_UP = (
    "This course is not set up for your learning system",
    "Launching the course from a learning system has not been set up here. Tell whoever runs the course.",
)


def _registrations() -> dict[tuple[str, str], platforms.Platform]:
    path = settings.lti_platforms()
    return platforms.load(path) if path else {}


class LtiHandler(JupyterHandler):
    """What the three LTI routes share: no xsrf cookie (a cross-site post by design), plain pages."""

    def check_xsrf_cookie(self):  # the LMS posts from its own site: the one-use state is the check
        return None

    def tool_url(self, path: str) -> str:
        """This server's address for `path`, as the LMS must be given it (COURSE_PUBLIC_URL behind a proxy)."""
        public = settings.public_url()
        if public:
            return public.rstrip("/") + "/" + path
        return f"{self.request.protocol}://{self.request.host}{self.base_url.rstrip('/')}/{path}"

    def page(self, status: int, title: str, text: str) -> None:
        self.set_status(status)
        self.set_header("Content-Type", "text/html; charset=UTF-8")
        self.set_header("Cache-Control", "no-store")
        self.finish(message_page(status, title, text, self.base_url))

    def refuse(self, error: lti_launch.LaunchError) -> None:
        self.log.warning("LTI launch refused (%d): %s", error.status, error.reason)  # a check, never a person
        self.page(error.status, lti_launch.REFUSED_TITLE, str(error))

    def registrations(self) -> dict[tuple[str, str], platforms.Platform] | None:
        try:
            known = _registrations()
        except platforms.PlatformError as exc:
            self.log.error("LTI registrations unusable: %s", exc)
            known = {}
        if not known:
            self.page(404, *NOT_SET_UP)
            return None
        return known


class LoginHandler(LtiHandler):
    """`/lti/login`: the OIDC login initiation (GET or POST, as the LMS chooses)."""

    @allow_unauthenticated
    def get(self):
        known = self.registrations()
        if known is None:
            return
        from course.records.store import Store

        params = {
            name: self.get_argument(name, "")[:2000]
            for name in ("iss", "login_hint", "target_link_uri", "lti_message_hint", "client_id", "lti_deployment_id")
        }
        store = Store()

        def remember(state: str, nonce: str, platform: platforms.Platform) -> None:
            lti_records.remember(store, state, nonce, platform.issuer, platform.client_id)

        try:
            url = lti_launch.login_redirect(known, params, self.tool_url("lti/launch"), remember)
        except lti_launch.LaunchError as exc:
            self.refuse(exc)
            return
        self.set_header("Cache-Control", "no-store")
        self.redirect(url)

    @allow_unauthenticated
    def post(self):
        self.get()


class LaunchHandler(LtiHandler):
    """`/lti/launch`: the LMS's form post of the signed id_token (the registered redirect URI)."""

    @allow_unauthenticated
    def get(self):  # someone opened the address itself: nothing to check
        self.page(400, lti_launch.REFUSED_TITLE, lti_launch.REFUSED)

    @allow_unauthenticated
    def post(self):
        known = self.registrations()
        if known is None:
            return
        from course.records.store import Store

        store = Store()

        def recall(state: str):
            kept = lti_records.recall(store, state)
            if kept is None:
                return None
            nonce, issuer, client_id = kept
            platform = known.get((issuer, client_id))
            return (nonce, platform) if platform else None

        try:
            launched = lti_launch.validate(
                self.get_body_argument("id_token", "")[:20000], self.get_body_argument("state", ""), known, recall
            )
            learner_id, module_id = admit(store, launched)
        except lti_launch.LaunchError as exc:
            self.refuse(exc)
            return
        self.set_header("Cache-Control", "no-store")
        from course.server.dashboard import dashboard_notebook

        if launched.role == "manager" and dashboard_notebook().is_file():  # this server serves /dashboard/
            # an Administrator: to the dashboard, with a dashboard session (course.server.manager_session)
            from course.server import manager_session

            self.log.info("LTI launch accepted: role manager, the dashboard")
            self.redirect(manager_session.grant(self, store, learner_id), status=303)
            return
        from course.records import signin_tokens

        token = signin_tokens.issue(store, learner_id)  # exactly the course home's sign-in session
        self.log.info("LTI launch accepted: role %s, %s", launched.role, "a module" if module_id else "the home")
        query = {"module": module_id, "token": token} if module_id else {"token": token}
        page = MODULE_PAGE if module_id else HOME
        # 303: the browser GETs the page (the token is in its address, as after the home's sign-in)
        self.redirect(f"{self.base_url.rstrip('/')}/{page}?{urlencode(query)}", status=303)


class JwksHandler(LtiHandler):
    """`/lti/jwks`: the tool's public key set (the LMS's "Public keyset URL")."""

    @allow_unauthenticated
    def get(self):
        from course.lti.keys import tool_key

        self.set_header("Content-Type", "application/json")
        self.set_header("Cache-Control", "public, max-age=300")
        self.finish(json.dumps(tool_key().jwks()))


def handlers(server_url: str) -> list[tuple]:
    """The routes, for course.server.voila's init_handlers."""
    from jupyter_server.utils import url_path_join

    return [
        (url_path_join(server_url, "/lti/login"), LoginHandler),
        (url_path_join(server_url, "/lti/launch"), LaunchHandler),
        (url_path_join(server_url, "/lti/jwks"), JwksHandler),
    ]
