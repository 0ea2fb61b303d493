"""An LTI 1.3 launch: OIDC login initiation, then the platform's signed id_token, checked.

The two steps (IMS Security Framework 1.0, section 5.1.1):
1. The LMS calls the tool's login initiation URL (`iss`, `login_hint`, `target_link_uri`, ...).
   `login_redirect` picks the registration, makes a `state` and a `nonce`, has the caller keep
   both on the server (`remember`), and returns the LMS authorisation URL to redirect to.
2. The LMS posts `id_token` and `state` to the tool's redirect URI. `validate` takes the state
   back (once: `recall` must forget it), checks the token's signature against the platform's
   JWKS, its issuer, audience (and `azp`), expiry and issue time, that its nonce is the one made
   for this state, the deployment, the message type and LTI version, and returns the Launch.
A replayed token fails: its state was used up; with a fresh state its nonce does not match.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import parse_qs, urlencode, urlparse

import jwt

from course.lti.platforms import Platform

if TYPE_CHECKING:
    from jwt.algorithms import AllowedPublicKeys

CLAIM = "https://purl.imsglobal.org/spec/lti/claim/"
AGS_CLAIM = "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint"
LEEWAY = 60  # seconds of clock difference allowed between the LMS and this server


# reasons that mean "not you, not here" (403) rather than "this link is broken" (400)
FORBIDDEN_REASONS = ("no single registration", "unknown deployment", "not on the staff list")


class LaunchError(Exception):
    """A launch the course refuses; the message is for the person launching, the reason for the log."""

    def __init__(self, message: str, reason: str):
        super().__init__(message)
        self.reason = reason

    @property
    def status(self) -> int:
        """The HTTP status of the refusal page: 403 for an LMS, deployment or person the course does not know."""
        return 403 if self.reason.startswith(FORBIDDEN_REASONS) else 400


REFUSED_TITLE = "The course could not be opened"
REFUSED = "This link from your learning system could not be checked. Go back and open the course again."
EXPIRED = "This link has expired. Go back and open the course again."


@dataclass(frozen=True)
class Launch:
    platform: Platform
    user_id: str  # the learner id in the course's records (from the registration's user_claim)
    subject: str  # the LMS's own id for the person (`sub`): what scores are sent back for
    name: str
    role: str  # learner, trainer or manager
    module_id: str | None
    resource_link_id: str
    lineitem: str | None  # where the mark goes (AGS), if the LMS offered it
    ags_scopes: tuple[str, ...]


def platform_for(platforms: dict[tuple[str, str], Platform], issuer: str, client_id: str | None) -> Platform:
    matches = [p for (iss, cid), p in platforms.items() if iss == issuer and (client_id is None or cid == client_id)]
    if len(matches) != 1:
        raise LaunchError(REFUSED, f"no single registration for issuer {issuer!r} client {client_id!r}")
    return matches[0]


def login_redirect(
    platforms: dict[tuple[str, str], Platform],
    params: dict[str, str],
    redirect_uri: str,
    remember: Callable[[str, str, Platform], None],
) -> str:
    """The URL to send the browser to (the LMS's authorisation endpoint), for a login initiation."""
    for needed in ("iss", "login_hint", "target_link_uri"):
        if not params.get(needed):
            raise LaunchError(REFUSED, f"login initiation without {needed}")
    platform = platform_for(platforms, params["iss"], params.get("client_id"))
    state, nonce = secrets.token_urlsafe(24), secrets.token_urlsafe(24)
    remember(state, nonce, platform)
    query = {
        "scope": "openid",
        "response_type": "id_token",
        "response_mode": "form_post",
        "prompt": "none",
        "client_id": platform.client_id,
        "redirect_uri": redirect_uri,
        "login_hint": params["login_hint"],
        "state": state,
        "nonce": nonce,
    }
    if params.get("lti_message_hint"):
        query["lti_message_hint"] = params["lti_message_hint"]
    return f"{platform.auth_url}?{urlencode(query)}"


def _role(platform: Platform, roles: list[str]) -> str:
    if any(r in platform.manager_roles for r in roles):
        return "manager"
    if any(r in platform.trainer_roles for r in roles):
        return "trainer"
    return "learner"


def _user_id(platform: Platform, claims: dict) -> str:
    """The learner id the registration's user_claim gives; an LMS id becomes a stable pseudonymous id."""
    from course.records import identity

    claim = platform.user_claim
    if claim.startswith("custom."):
        value = (claims.get(CLAIM + "custom") or {}).get(claim.split(".", 1)[1])
        try:
            return identity.staff_number(str(value or ""))
        except identity.DetailsError:
            raise LaunchError(REFUSED, f"custom claim {claim} missing or not a staff number") from None
    value = claims.get(claim)
    if not value:
        raise LaunchError(REFUSED, f"claim {claim} missing")
    if claim == "email":
        return str(value).lower()
    # an LMS `sub` can be any string up to 255 characters: keep a short stable id per platform and person
    return "lti-" + hashlib.sha256(f"{platform.issuer}\x1f{value}".encode()).hexdigest()[:20]


def _module(claims: dict) -> str | None:
    custom = claims.get(CLAIM + "custom") or {}
    if custom.get("module"):
        return str(custom["module"])
    target = claims.get(CLAIM + "target_link_uri") or ""
    found = parse_qs(urlparse(target).query).get("module")
    return found[0] if found else None


def validate(
    id_token: str,
    state: str,
    platforms: dict[tuple[str, str], Platform],
    recall: Callable[[str], tuple[str, Platform] | None],
    signing_key: Callable[[Platform, str], AllowedPublicKeys] | None = None,
) -> Launch:
    """The checked launch, or LaunchError (one plain message; the reason says which check failed)."""
    kept = recall(state) if state else None
    if kept is None:
        raise LaunchError(REFUSED, "unknown or already used state")
    nonce, platform = kept
    try:
        key = (signing_key or _jwks_key)(platform, id_token)
        claims = jwt.decode(
            id_token,
            key,
            algorithms=["RS256"],
            audience=platform.client_id,
            issuer=platform.issuer,
            leeway=LEEWAY,
            options={"require": ["exp", "iat", "iss", "aud", "sub", "nonce"]},
        )
    except jwt.ExpiredSignatureError:
        raise LaunchError(EXPIRED, "expired id_token") from None
    except (jwt.PyJWTError, ValueError) as exc:
        raise LaunchError(REFUSED, f"id_token refused: {exc.__class__.__name__}: {exc}") from None
    audiences = claims["aud"] if isinstance(claims["aud"], list) else [claims["aud"]]
    if len(audiences) > 1 and claims.get("azp") != platform.client_id:
        raise LaunchError(REFUSED, "several audiences and azp is not this tool")
    if not secrets.compare_digest(str(claims["nonce"]), nonce):
        raise LaunchError(REFUSED, "nonce does not match the login's")
    return launch_from_claims(platform, claims)


def launch_from_claims(platform: Platform, claims: dict) -> Launch:
    """The Launch a verified id_token's claims make (signature, issuer, audience, expiry and nonce
    already checked, here or by JupyterHub's LTI 1.3 authenticator): the deployment, message type,
    LTI version and resource link checked, and the learner, role and module by the course's rules."""
    if str(claims.get(CLAIM + "deployment_id")) not in platform.deployment_ids:
        raise LaunchError(REFUSED, "unknown deployment")
    if claims.get(CLAIM + "message_type") != "LtiResourceLinkRequest":
        raise LaunchError(REFUSED, f"message type {claims.get(CLAIM + 'message_type')!r}")
    if claims.get(CLAIM + "version") != "1.3.0":
        raise LaunchError(REFUSED, f"LTI version {claims.get(CLAIM + 'version')!r}")
    link = claims.get(CLAIM + "resource_link") or {}
    if not link.get("id"):
        raise LaunchError(REFUSED, "no resource link")
    if not claims.get("sub"):
        raise LaunchError(REFUSED, "claim sub missing")
    ags = claims.get(AGS_CLAIM) or {}
    return Launch(
        platform=platform,
        user_id=_user_id(platform, claims),
        subject=str(claims["sub"]),
        name=str(claims.get("name") or claims.get("given_name") or ""),
        role=_role(platform, list(claims.get(CLAIM + "roles") or [])),
        module_id=_module(claims),
        resource_link_id=str(link["id"]),
        lineitem=ags.get("lineitem"),
        ags_scopes=tuple(ags.get("scope") or ()),
    )


_clients: dict[str, jwt.PyJWKClient] = {}


def _jwks_key(platform: Platform, token: str):
    """The platform's key for this token, from its JWKS (cached per URL; refetched for an unknown kid)."""
    client = _clients.setdefault(platform.jwks_url, jwt.PyJWKClient(platform.jwks_url, cache_keys=True, timeout=10))
    return client.get_signing_key_from_jwt(token).key
