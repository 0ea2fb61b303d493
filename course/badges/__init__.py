"""Open Badges: the certificate of completion also as an Open Badges 3.0 credential the learner keeps.

    credential.py  the OpenBadgeCredential for one register record, and the vendored 1EdTech schema
    sign.py        the organisation's badge key, VC-JWT signing, the offline check (key set only)
    issuer.py      the issuer's addresses under COURSE_PUBLIC_URL and its Profile

This module is the API the CLI (`course badge ...`), the server (course/server/badge_handlers.py)
and the certificate page use. A badge is only ever made from the register's record of a valid
certificate; `check_online` adds to the offline check what only the course knows: that the
certificate is still in the register, unaltered and not revoked (course.records.certificate_revocations).
"""

from __future__ import annotations

from dataclasses import dataclass

from course.badges import sign as signing
from course.badges.issuer import BadgeError, issuer
from course.badges.sign import Checked, badge_key, check
from course.records.store import Store

__all__ = [
    "Badge",
    "BadgeError",
    "Checked",
    "badge_for",
    "check",
    "check_online",
    "jwks",
    "listed_as_revoked",
    "revocation_list",
]


@dataclass(frozen=True)
class Badge:
    certificate_id: str
    token: str  # the compact JWS: what a backpack imports

    @property
    def filename(self) -> str:
        return f"badge-{self.certificate_id}.jwt"


def jwks() -> dict:
    """The organisation's published badge key set: the signing key and the retired keys still
    trusted (public halves only)."""
    return signing.published_jwks()


def revocation_list(store: Store) -> dict:
    """The 1EdTech Revocation List (1EdTech Verifiable Credential Revocation List 1.0) every badge
    names in its `credentialStatus`: the ids of the credentials of revoked certificates, so a
    verifier elsewhere learns of a revocation. No reason and nothing about the person."""
    from course.badges.credential import credential_id
    from course.records import certificate_revocations

    who = issuer()
    return {
        "id": who.revocation_list_url,
        "issuer": who.id,
        "revokedCredentials": [
            {"id": credential_id(cert_id)} for cert_id in sorted(certificate_revocations.revoked_ids(store))
        ],
    }


def badge_for(store: Store, learner_id: str, certificate_id: str | None = None, *, show_name: bool = False) -> Badge:
    """The signed badge of one of this learner's certificates (the newest when no id is given).
    Refused (BadgeError) when the learner has no such certificate, or it does not verify (revoked,
    altered): the same answer for another learner's id as for an unknown one."""
    from course.badges.credential import build, schema_problems
    from course.badges.issuer import content_field
    from course.manager import certificates

    mine = certificates.for_learner(store, learner_id)
    if certificate_id is not None:
        wanted = certificates.normalise_id(certificate_id)
        mine = [c for c in mine if c["certificate_id"] == wanted]
    if not mine:
        raise BadgeError(
            "no certificate of this learner with that id" if certificate_id else "this learner has no certificate yet"
        )
    record = mine[0]
    verification = certificates.verify(store, record["certificate_id"])
    if not verification.ok:
        raise BadgeError(
            f"certificate {record['certificate_id']} does not verify ({verification.status}): no badge is issued"
        )
    who = issuer()
    key = badge_key()
    from course.app.pages import COURSE_TITLE

    credential = build(
        record,
        who,
        key=certificates.secret_key(),
        course_title=COURSE_TITLE,
        policy_title=content_field("policy.yaml", "title", "Social Media Policy"),
        show_name=show_name,
    )
    problems = schema_problems(credential)
    if problems:  # a bug, never the learner's doing: issue nothing rather than a badge no one accepts
        raise BadgeError("the badge would not follow the Open Badges 3.0 schema: " + problems[0])
    return Badge(record["certificate_id"], signing.sign(credential, key, who.kid_url(key.kid)))


def check_online(store: Store, token: str) -> Checked:
    """`check` with this course's own key set, then the register: the badge's certificate must be this
    course's, unaltered and not revoked. status adds: wrong-issuer, no-certificate, revoked."""
    from course.badges.credential import certificate_id
    from course.manager import certificates

    found = check(token, jwks())
    if not found.ok:
        return found
    if found.credential.get("issuer", {}).get("id") != issuer().id:
        return Checked("wrong-issuer", "the badge names another issuer than this course", found.credential)
    cert_id = certificate_id(found.credential)
    verification = certificates.verify(store, cert_id or "")
    if verification.status == "revoked":
        return Checked(
            "revoked", f"the organisation revoked certificate {verification.certificate_id}", found.credential
        )
    if not verification.ok:
        return Checked(
            "no-certificate",
            f"certificate {cert_id or '(none)'} is not valid in this course's register",
            found.credential,
        )
    return Checked("valid", f"a valid badge of certificate {verification.certificate_id}", found.credential)


def listed_as_revoked(checked: Checked, revocations: dict) -> Checked:
    """An offline check, then a published revocation list (`/badges/revocations.json`, fetched or
    saved by the verifier): a badge the list names is revoked, whatever its signature says."""
    if not checked.ok:
        return checked
    listed = {item.get("id") for item in revocations.get("revokedCredentials") or [] if isinstance(item, dict)}
    if checked.credential.get("id") in listed:
        return Checked("revoked", "the organisation's revocation list names this badge", checked.credential)
    return checked
