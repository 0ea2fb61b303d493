"""The organisation as an Open Badges issuer: its addresses on the course server and its profile.

Every badge names the issuer by the address of its profile (`badges/issuer.json`) and its key by
the address of the published key set (`badges/jwks.json#<kid>`), both under COURSE_PUBLIC_URL,
so a backpack or a verifier anywhere can fetch them. A course with no public address cannot
issue badges: an issuer id that nobody can look up would make a badge nobody can check.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from course import settings
from course.manager.certificates import CertificateError

JWKS_PATH = "badges/jwks.json"
ISSUER_PATH = "badges/issuer.json"
VERIFY_PATH = "badges/verify"
REVOCATIONS_PATH = "badges/revocations.json"  # the 1EdTech Revocation List every badge names


class BadgeError(CertificateError):
    """A badge that cannot be made or checked; the message says why (the CLI prints it)."""


@dataclass(frozen=True)
class Issuer:
    base: str  # the course's public address, ending in "/"
    name: str  # the organisation, from course/data/organisation.yaml

    @property
    def id(self) -> str:
        return self.base + ISSUER_PATH

    @property
    def jwks_url(self) -> str:
        return self.base + JWKS_PATH

    @property
    def revocation_list_url(self) -> str:
        return self.base + REVOCATIONS_PATH

    def kid_url(self, kid: str) -> str:
        return f"{self.jwks_url}#{kid}"

    def profile(self) -> dict:
        """The issuer's Profile (Open Badges 3.0), as served at its id."""
        return {
            "@context": [
                "https://www.w3.org/ns/credentials/v2",
                "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
            ],
            "id": self.id,
            "type": ["Profile"],
            "name": self.name,
            "url": self.base,
            "description": "Issues the course's certificates of completion as Open Badges. "
            f"Public keys: {self.jwks_url}; check a badge at {self.base}{VERIFY_PATH}.",
        }


@lru_cache(maxsize=16)
def _field(path: str, mtime_ns: int, key: str, default: str) -> str:
    from course.content.loader import load_yaml

    return str((load_yaml(Path(path)) or {}).get(key) or default)


def content_field(name: str, key: str, default: str) -> str:
    """One top-level field of a content file (organisation.yaml, policy.yaml), read again only when
    the file changes: the YAML parse costs far more than making and signing a badge."""
    path = settings.content_dir() / name
    return _field(str(path), path.stat().st_mtime_ns, key, default)


def issuer(env=None) -> Issuer:
    """This course's issuer, from COURSE_PUBLIC_URL and organisation.yaml's `name`."""
    base = settings.public_url(env)
    if not base.startswith(("https://", "http://")):
        raise BadgeError(
            "badges need the course's public address: set COURSE_PUBLIC_URL (for example https://learning.example.org/)"
        )
    base = base if base.endswith("/") else base + "/"
    return Issuer(base, content_field("organisation.yaml", "name", "Your employer"))
