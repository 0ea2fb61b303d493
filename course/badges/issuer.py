"""The organisation as an Open Badges issuer: its addresses on the course server and its profile.

Every badge names the issuer by the address of its profile (`badges/issuer.json`) and its key by
the address of the published key set (`badges/jwks.json#<kid>`), both under COURSE_PUBLIC_URL,
so a backpack or a verifier anywhere can fetch them. A course with no public address cannot
issue badges: an issuer id that nobody can look up would make a badge nobody can check.
"""

from __future__ import annotations

from dataclasses import dataclass

from course import settings
from course.manager.certificates import CertificateError

JWKS_PATH = "badges/jwks.json"
ISSUER_PATH = "badges/issuer.json"
VERIFY_PATH = "badges/verify"
DOWNLOAD_PATH = "download/badge.jwt"


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


def issuer(env=None) -> Issuer:
    """This course's issuer, from COURSE_PUBLIC_URL and organisation.yaml's `name`."""
    from course.content.loader import load_yaml

    base = settings.public_url(env)
    if not base.startswith(("https://", "http://")):
        raise BadgeError(
            "badges need the course's public address: set COURSE_PUBLIC_URL (for example https://learning.example.org/)"
        )
    base = base if base.endswith("/") else base + "/"
    org = load_yaml(settings.content_dir() / "organisation.yaml") or {}
    return Issuer(base, str(org.get("name") or "Your employer"))
