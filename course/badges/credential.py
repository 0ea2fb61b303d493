"""An Open Badges 3.0 credential (OpenBadgeCredential, W3C VC Data Model 2.0) for one certificate.

What it says comes from the register's record (course.manager.certificates), nothing else: the
achievement (the course under a policy version, its criteria naming the modules), the modules
passed with their dates (as evidence), the completion and issue dates, and the certificate id
the verification page knows (the first evidence item's address, `.../verify?id=SMC-...`).

The recipient is named without a staff number or a name in clear: `credentialSubject.id` is a
pseudonym (a UUID keyed by the course's secret, the same for every badge of one learner), and
`identifier` carries the learner's name as OB's hashed identity (`sha256$` of name + salt,
`identityType: name`), so anyone the learner tells their name can confirm the badge is theirs
while a stranger reading the file learns nothing. A learner may choose to show their name in
clear (`show_name`): it is their own credential. The staff number is never in a badge: it is the
employer's internal number, and being a short number its hash could be reversed by trying them
all.

Everything is deterministic for one certificate (ids, salt: keyed hashes of the certificate id),
so downloading the badge twice gives the same credential.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import uuid
from datetime import UTC, date, datetime
from functools import cache
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

from course.badges.issuer import Issuer

CONTEXT = ["https://www.w3.org/ns/credentials/v2", "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"]
SCHEMA_DIR = Path(__file__).with_name("schema")
CREDENTIAL_SCHEMA = "ob_v3p0_achievementcredential_schema.json"
PROFILE_SCHEMA = "ob_v3p0_profile_schema.json"
SCHEMA_ID = "https://purl.imsglobal.org/spec/ob/v3p0/schema/json/ob_v3p0_achievementcredential-jsonschema1.json"
BADGE_NAMESPACE = uuid.UUID("6f1d0c57-3b8e-5a43-9a59-0c2d7f4e8b21")  # this course's uuid5 namespace


def _keyed(key: bytes, purpose: str, value: str) -> str:
    return hmac.new(key, f"{purpose}:{value}".encode(), hashlib.sha256).hexdigest()


def _urn(*parts: str) -> str:
    return f"urn:uuid:{uuid.uuid5(BADGE_NAMESPACE, '/'.join(parts))}"


def credential_id(certificate_id: str) -> str:
    """The credential's id for a certificate: the same every time (the revocation list names it)."""
    return _urn("credential", certificate_id)


REVOCATION_METHOD = "1EdTechRevocationList"  # 1EdTech Verifiable Credential Revocation List 1.0


def _datetime(value) -> str:
    """A DateTimeZ ('2026-11-20T09:30:00Z'), from the register's issue time (naive means UTC)."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if isinstance(value, date) and not isinstance(value, datetime):
        value = datetime(value.year, value.month, value.day, tzinfo=UTC)
    value = value if value.tzinfo else value.replace(tzinfo=UTC)
    return value.astimezone(UTC).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")


def name_hash(name: str, salt: str) -> str:
    """OB's IdentityHash of a name: 'sha256$' + hex SHA-256 of the UTF-8 name followed by the salt."""
    return "sha256$" + hashlib.sha256((name + salt).encode("utf-8")).hexdigest()


def build(
    record: dict, issuer: Issuer, *, key: bytes, course_title: str, policy_title: str, show_name: bool = False
) -> dict:
    """The unsigned credential for one register record. `key`: the course's secret (the same as
    the certificate ids'), so the pseudonym and the salt cannot be recomputed by anyone else."""
    cert_id = record["certificate_id"]
    version = str(record["policy_version"])
    salt = _keyed(key, "badge-salt", cert_id)[:32]
    name = str(record["name"])
    identity = (
        {"type": "IdentityObject", "hashed": False, "identityHash": name, "identityType": "name"}
        if show_name
        else {
            "type": "IdentityObject",
            "hashed": True,
            "identityHash": name_hash(name, salt),
            "identityType": "name",
            "salt": salt,
        }
    )
    modules = record["modules"]
    titles = "; ".join(m["title"] for m in modules)
    issued = _datetime(record["issued_at"])
    evidence = [
        {
            "id": f"{issuer.base}verify?{urlencode({'id': cert_id})}",
            "type": ["Evidence"],
            "name": f"Certificate of completion {cert_id}",
            "description": "The certificate this badge stands for; its verification page says whether it is valid.",
        }
    ] + [
        {
            "type": ["Evidence"],
            "name": f"Module passed: {m['title']}",
            "description": f"Passed on {m['passed_on']}"
            + (" (trainer-led session attended)" if m.get("attended") else ""),
        }
        for m in modules
    ]
    return {
        "@context": list(CONTEXT),
        "id": credential_id(cert_id),
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "name": f"{course_title}: certificate of completion",
        "description": f"Completed the course {course_title} under the {policy_title}, version {version}.",
        "issuer": {"id": issuer.id, "type": ["Profile"], "name": issuer.name, "url": issuer.base},
        "validFrom": issued,
        "awardedDate": issued,
        "credentialSubject": {
            "id": _urn("learner", _keyed(key, "badge-learner", str(record["learner_id"]))),
            "type": ["AchievementSubject"],
            "identifier": [identity],
            "activityEndDate": _datetime(date.fromisoformat(record["completed_on"])),
            "achievement": {
                "id": _urn("achievement", issuer.id, version),
                "type": ["Achievement"],
                "achievementType": "CertificateOfCompletion",
                "name": f"{course_title} (policy version {version})",
                "description": f"Knows and applies the employer's {policy_title}, version {version}: "
                "what to share, keeping boundaries online, and protecting yourself.",
                "criteria": {
                    "narrative": f"Pass every module of the course under the {policy_title}, version {version}, "
                    f"each marked by the course: {titles}."
                },
                "version": version,
                "inLanguage": "en-GB",
                "creator": {"id": issuer.id, "type": ["Profile"], "name": issuer.name},
            },
        },
        "evidence": evidence,
        "credentialSchema": [{"id": SCHEMA_ID, "type": "1EdTechJsonSchemaValidator2019"}],
        # where a verifier elsewhere learns that the organisation revoked it (course.badges.revocation_list)
        "credentialStatus": {"id": issuer.revocation_list_url, "type": REVOCATION_METHOD},
    }


def certificate_id(credential: dict) -> str | None:
    """The certificate id a credential stands for (its first evidence item's `?id=`), or None."""
    for item in credential.get("evidence") or []:
        if not isinstance(item, dict) or not isinstance(item.get("id"), str):
            continue
        parts = urlsplit(item["id"])
        if parts.path.endswith("/verify"):
            found = parse_qs(parts.query).get("id")
            if found:
                return found[0]
    return None


@cache
def _validator(name: str):
    from jsonschema import Draft201909Validator

    schema = json.loads((SCHEMA_DIR / name).read_text(encoding="utf-8"))
    return Draft201909Validator(schema, format_checker=Draft201909Validator.FORMAT_CHECKER)


def schema_problems(document: dict, schema: str = CREDENTIAL_SCHEMA) -> list[str]:
    """What in `document` breaks the vendored 1EdTech schema (empty: it conforms)."""
    return [
        f"{'/'.join(str(p) for p in error.absolute_path) or '(top)'}: {error.message}"
        for error in sorted(_validator(schema).iter_errors(document), key=lambda e: list(e.absolute_path))
    ]
