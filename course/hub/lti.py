"""LTI 1.3 launches into JupyterHub: jupyterhub-ltiauthenticator's LTI13Authenticator, with the course's rules.

deploy/jupyterhub_config.py selects it (its authenticator setting "lti13") and sets it up with
`configure` from the one registrations file the course server reads too (COURSE_LTI_PLATFORMS).

ltiauthenticator does the OIDC flow: the login initiation (`/hub/lti13/oauth_login`) keeps a state
and a nonce in encrypted cookies and sends the browser to the LMS; the LMS's form post to
`/hub/lti13/oauth_callback` is checked (state cookie, the signature from the LMS's JWKS, issuer,
audience, azp, expiry, issued at most ten minutes ago, required claims, nonce against its cookie).
The course adds, server side, because cookies come from the client:
- the login's `iss` and `client_id` must be the registered LMS (ltiauthenticator sends anyone on);
- the state and nonce are also kept in the records store (course.records.lti.remember, as on the
  course server): the callback uses the state up and the token's nonce must be the one made for
  it, so a replayed token is refused even with the cookies that came with it;
- course.lti.launch.launch_from_claims (deployment, message type, version, resource link) and
  course.lti.admit (the learner mapped to the staff list by the registration's `user_claim`,
  an Instructor made trainer, the launch and its AGS line item recorded in `lti_links`, so the
  marker's outbox sends the mark back): the same rules as `course serve`, not a copy;
- the hub user *is* that learner id (not lower-cased: a staff number is upper case in the records);
- hub groups follow the LMS role on every launch (Authenticator.manage_groups): Administrator ->
  `managers`, Instructor -> `trainers`, anyone else neither (the hub config's roles and the
  spawner's staff environment hang off those groups);
- the browser then goes to the module the resource link names, in the user's own server (the hub
  spawns it first if need be), or to the course home;
- a refused launch gets the course's plain page and one log line naming the check, never a person;
- `/hub/lti13/jwks`: the tool's public key, which the marker's AGS requests are signed with.
"""

from __future__ import annotations

import json
import secrets
from datetime import timedelta
from functools import cached_property
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import jwt
from jupyterhub.handlers import BaseHandler
from jupyterhub.utils import url_path_join
from ltiauthenticator.lti13.auth import LTI13Authenticator
from ltiauthenticator.lti13.error import InvalidAudienceError, ValidationError
from ltiauthenticator.lti13.handlers import LTI13CallbackHandler, LTI13LoginInitHandler
from tornado.web import HTTPError, StaticFileHandler
from traitlets import Unicode

from course.app.pages import THEME_CSS, message_page
from course.lti import launch as lti_launch
from course.lti import outbox, platforms
from course.lti.admit import admit, module_to_open
from course.records import lti as lti_records
from course.server.launch_config import HOME, MODULE_PAGE
from course.settings import assets_dir

COOKIE_DAYS = lti_records.LOGIN_LIFETIME / timedelta(days=1)  # the state cookies last as long as the stored state


def registration() -> platforms.Platform:
    """The one LMS registration the hub trusts (LTI13Authenticator takes one issuer)."""
    known = outbox.registrations()
    if len(known) != 1:
        raise platforms.PlatformError(
            f"the hub's LTI 1.3 mode takes exactly one LMS registration; COURSE_LTI_PLATFORMS has {len(known)}"
        )
    return next(iter(known.values()))


def configure(c, tool_key_folder: Path, manager_group: str, trainer_group: str) -> platforms.Platform:
    """Set the hub's config `c` for LTI 1.3 launches from the registered LMS (deploy/jupyterhub_config.py)."""
    platform = registration()
    c.JupyterHub.authenticator_class = CourseLTI13Authenticator
    c.LTI13Authenticator.issuer = platform.issuer
    c.LTI13Authenticator.client_id = {platform.client_id}
    c.LTI13Authenticator.authorize_url = platform.auth_url
    c.LTI13Authenticator.jwks_endpoint = platform.jwks_url
    c.LTI13Authenticator.tool_name = "Social media, confidentiality and boundaries"
    c.LTI13LaunchValidator.time_leeway = lti_launch.LEEWAY  # the course server's allowance for clock drift
    c.CourseLTI13Authenticator.tool_key_folder = str(tool_key_folder)
    c.CourseLTI13Authenticator.manager_group = manager_group
    c.CourseLTI13Authenticator.trainer_group = trainer_group
    # whoever the registered LMS launches may come in; the staff list, when there is one, decides (admit)
    c.Authenticator.allow_all = True
    c.Authenticator.manage_groups = True
    return platform


class Refusing:
    """A refused launch: the course's plain page, and one log line with the check that failed."""

    def refuse(handler: Any, error: lti_launch.LaunchError) -> None:
        handler.log.warning("LTI launch refused (%d): %s", error.status, error.reason)  # a check, never a person
        handler.clear()
        handler.set_status(error.status)
        handler.set_header("Content-Type", "text/html; charset=UTF-8")
        handler.set_header("Cache-Control", "no-store")
        handler.finish(message_page(error.status, lti_launch.REFUSED_TITLE, str(error), handler.hub.base_url))


class CourseLoginHandler(Refusing, LTI13LoginInitHandler):
    """`/hub/lti13/oauth_login`: the LMS's login initiation, for the registered LMS only."""

    def post(self):
        platform = self.authenticator.platform
        try:
            lti_launch.platform_for(
                {(platform.issuer, platform.client_id): platform},
                self.get_argument("iss", ""),
                self.get_argument("client_id", "") or None,
            )
            super().post()
        except lti_launch.LaunchError as exc:
            self.refuse(exc)
        except HTTPError as exc:  # a login initiation without login_hint or target_link_uri
            self.refuse(lti_launch.LaunchError(lti_launch.REFUSED, f"login initiation: {exc.log_message}"))

    get = post

    def get_state(self):
        # a random state only: where the learner goes is decided from the signed id_token, not
        # from the unsigned target_link_uri of the login request
        if self._state is None:
            self._state = secrets.token_urlsafe(24)
        return self._state

    def authorize_redirect(self, redirect_uri, login_hint, nonce, client_id, state, lti_message_hint=None):
        platform = self.authenticator.platform
        from course.records.store import Store

        # kept on the server too: the cookies alone would let whoever holds them replay a launch
        lti_records.remember(Store(), state, nonce, platform.issuer, platform.client_id)
        super().authorize_redirect(
            redirect_uri=redirect_uri,
            login_hint=login_hint,
            nonce=nonce,
            client_id=platform.client_id,  # the registered one, also when the LMS did not send it
            state=state,
            lti_message_hint=lti_message_hint,
        )

    def _set_oauth_cookie(self, key, value):
        # the LMS posts its form back from its own site: over https the state cookies must be
        # SameSite=None to come with that post (browsers treat a cookie without it as Lax)
        https = self.authenticator.get_uri_scheme(self.request) == "https"
        extra = {"samesite": "None", "secure": True} if https else {}
        self._set_cookie(key, value, expires_days=COOKIE_DAYS, httponly=True, encrypted=True, **extra)


class CourseCallbackHandler(Refusing, LTI13CallbackHandler):
    """`/hub/lti13/oauth_callback`: the LMS's form post of the signed id_token (the redirect URI)."""

    async def get(self):
        self.refuse(lti_launch.LaunchError(lti_launch.REFUSED, "the redirect URI opened without a launch"))

    async def post(self):
        from course.records.store import Store

        platform = self.authenticator.platform
        store = Store()
        try:
            # the state used up first, whatever else is wrong with the post (one use, on the server)
            kept = lti_records.recall(store, self.get_body_argument("state", ""))
            claims = self._checked_claims()
            if kept is None or kept[1:] != (platform.issuer, platform.client_id):
                raise lti_launch.LaunchError(lti_launch.REFUSED, "unknown or already used state")
            if not secrets.compare_digest(str(claims.get("nonce", "")), kept[0]):
                raise lti_launch.LaunchError(lti_launch.REFUSED, "nonce does not match the login's")
            launched = lti_launch.launch_from_claims(platform, claims)
            user = await self.login_user({"launch": launched})
            if user is None:
                raise lti_launch.LaunchError(lti_launch.REFUSED, "the hub refused the user (blocked)")
        except lti_launch.LaunchError as exc:
            self.refuse(exc)
            return
        module_id = module_to_open(launched)
        self.log.info("LTI launch accepted: role %s, %s", launched.role, "a module" if module_id else "the home")
        page = f"{MODULE_PAGE}?{urlencode({'module': module_id})}" if module_id else HOME
        self.set_header("Cache-Control", "no-store")
        # through the hub's spawn page: it starts the user's server if need be, then goes on to the page
        spawn = url_path_join(self.hub.base_url, "spawn", user.escaped_name)
        self.redirect(f"{spawn}?{urlencode({'next': url_path_join(user.url, page)})}", status=303)

    def _checked_claims(self) -> dict:
        """ltiauthenticator's checks of the post, its errors as the course's plain refusals."""
        try:
            return self.decode_and_validate_launch_request()
        except InvalidAudienceError as exc:
            raise lti_launch.LaunchError(lti_launch.REFUSED, f"id_token refused: wrong audience ({exc})") from None
        except ValidationError as exc:
            # ltiauthenticator wraps PyJWT's errors: the expired one is told apart for the learner
            expired = isinstance(exc.__context__, jwt.ExpiredSignatureError) or "too long ago" in str(exc)
            if expired:
                raise lti_launch.LaunchError(lti_launch.EXPIRED, f"expired id_token ({exc})") from None
            raise lti_launch.LaunchError(lti_launch.REFUSED, f"id_token refused: {exc}") from None
        except HTTPError as exc:  # its state and nonce cookies
            raise lti_launch.LaunchError(lti_launch.REFUSED, f"id_token refused: {exc.log_message}") from None


class ToolJwksHandler(BaseHandler):
    """`/hub/lti13/jwks`: the tool's public key set (Moodle's "Public keyset URL")."""

    def get(self):
        from course.lti.keys import tool_key

        self.set_header("Content-Type", "application/json")
        self.set_header("Cache-Control", "public, max-age=300")
        self.finish(json.dumps(tool_key(Path(self.authenticator.tool_key_folder)).jwks()))


class CourseLTI13Authenticator(LTI13Authenticator):
    """LTI13Authenticator whose user is the course's learner, admitted by the course's rules."""

    login_service = "your learning system"
    login_handler = CourseLoginHandler
    callback_handler = CourseCallbackHandler

    tool_key_folder = Unicode(
        config=True, help="The folder of the tool's RSA key: the staff's shared data folder, where the marker signs."
    )
    manager_group = Unicode("managers", config=True, help="The hub group an LMS Administrator is put in.")
    trainer_group = Unicode("trainers", config=True, help="The hub group an LMS Instructor is put in.")

    @cached_property
    def platform(self) -> platforms.Platform:
        return registration()  # read once, as the upstream settings `configure` made from it were

    def get_handlers(self, app):
        static = str(Path(assets_dir()) / THEME_CSS.rsplit("/", 1)[0])
        return [
            *super().get_handlers(app),
            (url_path_join("lti13", "jwks"), ToolJwksHandler),
            # the refusal page's stylesheet, at the address the course's pages give it
            (THEME_CSS.rsplit("/", 1)[0] + r"/(theme\.css)", StaticFileHandler, {"path": static}),
        ]

    def normalize_username(self, username):
        # already the course's learner id (course.lti.admit): lower-casing a staff number would
        # make the hub user a different learner from the one the records and the outbox know
        return self.username_map.get(username, username)

    async def authenticate(self, handler, data=None):
        from course.records.store import Store

        launched: lti_launch.Launch = (data or {})["launch"]
        learner_id, _module = admit(Store(), launched)  # raises LaunchError for someone not on the staff list
        groups = {"manager": [self.manager_group], "trainer": [self.trainer_group]}.get(launched.role, [])
        return {"name": learner_id, "groups": groups}
