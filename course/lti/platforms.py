"""The LMS registrations the tool trusts, read from one JSON file (COURSE_LTI_PLATFORMS).

Each registration is what Moodle's "External tool" page gives the tool (docs/LTI.md):

    {"platforms": [{"issuer": "https://lms.example", "client_id": "...", "deployment_ids": ["1"],
                    "auth_url": ".../mod/lti/auth.php", "token_url": ".../mod/lti/token.php",
                    "jwks_url": ".../mod/lti/certs.php",
                    "user_claim": "sub", "manager_roles": [...], "trainer_roles": [...]}]}

`user_claim` says which claim names the learner: `sub` (the LMS's own id), `email`, or a
custom parameter (`custom.staff_number`) when the LMS passes the staff number the roster uses.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

LIS = "http://purl.imsglobal.org/vocab/lis/v2/"
DEFAULT_MANAGER_ROLES = (LIS + "institution/person#Administrator", LIS + "membership#Administrator")
DEFAULT_TRAINER_ROLES = (LIS + "membership#Instructor", LIS + "membership#ContentDeveloper")


class PlatformError(ValueError):
    """A registration file that cannot be used; says which file and what."""


@dataclass(frozen=True)
class Platform:
    issuer: str
    client_id: str
    deployment_ids: tuple[str, ...]
    auth_url: str
    token_url: str
    jwks_url: str
    user_claim: str = "sub"
    manager_roles: tuple[str, ...] = DEFAULT_MANAGER_ROLES
    trainer_roles: tuple[str, ...] = DEFAULT_TRAINER_ROLES
    extra: dict = field(default_factory=dict, compare=False, hash=False)


REQUIRED = ("issuer", "client_id", "deployment_ids", "auth_url", "token_url", "jwks_url")


def load(path: Path) -> dict[tuple[str, str], Platform]:
    """Registrations by (issuer, client_id)."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise PlatformError(f"{path}: cannot read the LTI registrations ({exc})") from None
    found = {}
    for n, entry in enumerate(data.get("platforms", []), start=1):
        missing = [k for k in REQUIRED if not entry.get(k)]
        if missing:
            raise PlatformError(f"{path}: platform {n} lacks {', '.join(missing)}")
        platform = Platform(
            issuer=entry["issuer"],
            client_id=entry["client_id"],
            deployment_ids=tuple(str(d) for d in entry["deployment_ids"]),
            auth_url=entry["auth_url"],
            token_url=entry["token_url"],
            jwks_url=entry["jwks_url"],
            user_claim=entry.get("user_claim", "sub"),
            manager_roles=tuple(entry.get("manager_roles", DEFAULT_MANAGER_ROLES)),
            trainer_roles=tuple(entry.get("trainer_roles", DEFAULT_TRAINER_ROLES)),
        )
        found[(platform.issuer, platform.client_id)] = platform
    return found
