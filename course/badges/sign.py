"""Badges signed as VC-JWT (Open Badges 3.0, 8.2 "JSON Web Token Proof Format"), and checked.

The signing key is the organisation's badge key: an RSA key of its own (`var/badge-signing-key.pem`,
0600), kept the way course.lti.keys keeps the LTI tool's key, and published the same way, as a
JWKS (`/badges/jwks.json`). It is a separate key on purpose: the LTI key signs messages to an LMS
and can be replaced whenever the LMS registration changes, while badges outlive any LMS and
must keep verifying for years; one key per purpose also means a leaked LTI key forges no badge.

The JOSE header is `alg: RS256` (what OB 3.0 requires), `typ: JWT` and `kid`: the address of the
key in the published set (`.../badges/jwks.json#<kid>`). The payload is the credential itself with
the claims OB 3.0 requires beside it: `iss` (issuer.id), `jti` (id), `sub` (credentialSubject.id),
`nbf` (validFrom). `check` does what OB 3.0's verification says: the signature with the public
key, the claims against the credential, the credential against the 1EdTech schema.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

from course.badges.credential import schema_problems
from course.private import rsa_key_file
from course.settings import data_dir

KEY_FILE = "badge-signing-key.pem"
RETIRED_DIR = "badge-keys-retired"  # the public halves of keys that signed badges once and sign no more
ALGORITHM = "RS256"
JWT_CLAIMS = ("iss", "jti", "sub", "nbf", "exp", "iat")
MAX_BADGE = 200_000  # characters: a badge is a few kilobytes; anything bigger is not one


@dataclass(frozen=True)
class BadgeKey:
    kid: str
    private_key: rsa.RSAPrivateKey

    def jwk(self) -> dict:
        """The public half as a JWK (never `d` or the primes)."""
        return public_jwk(self.private_key.public_key(), self.kid)

    def jwks(self) -> dict:
        """This key alone as a key set (the published set, with retired keys, is `published_jwks`)."""
        return {"keys": [self.jwk()]}


def public_jwk(public_key, kid: str) -> dict:
    jwk = json.loads(RSAAlgorithm.to_jwk(public_key))
    jwk.update({"kid": kid, "alg": ALGORITHM, "use": "sig"})
    return jwk


def _kid(public_key) -> str:
    import hashlib

    der = public_key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    # the kid names the key, not a secret: a hash of the public half only
    return "badge-" + hashlib.sha256(der).hexdigest()[:16]


@lru_cache(maxsize=4)
def _loaded(pem: bytes) -> BadgeKey:
    # cryptography checks an RSA key's consistency on load (about a second for this size): once per process
    key = serialization.load_pem_private_key(pem, password=None)
    assert isinstance(key, rsa.RSAPrivateKey)
    return BadgeKey(_kid(key.public_key()), key)


def badge_key(folder: Path | None = None) -> BadgeKey:
    """The organisation's badge key, made once (under a lock, so two processes agree) if there is none,
    the way course.lti.keys makes the tool's. Back it up with the records: a lost key leaves every
    issued badge unverifiable."""
    pem = rsa_key_file(Path(folder or data_dir()) / KEY_FILE, bits=3072)
    return _loaded(pem)


def _retired_dir(folder: Path | None = None) -> Path:
    return Path(folder or data_dir()) / RETIRED_DIR


def retired_keys(folder: Path | None = None) -> list[dict]:
    """The retired keys' public halves, as JWKs, oldest first. A file that is not a public key is
    skipped with a log line naming it (a damaged file must not stop every badge check)."""
    import logging

    found = []
    for path in sorted(_retired_dir(folder).glob("*.pem"), key=lambda p: p.stat().st_mtime_ns):
        try:
            public = serialization.load_pem_public_key(path.read_bytes())
        except (ValueError, OSError) as exc:
            logging.getLogger(__name__).warning("badge key %s is not a public key (%s): not published", path, exc)
            continue
        if isinstance(public, rsa.RSAPublicKey):
            found.append(public_jwk(public, _kid(public)))
    return found


def published_jwks(folder: Path | None = None) -> dict:
    """What `/badges/jwks.json` publishes: the signing key, then every retired key still trusted, so a
    badge signed before a rotation keeps verifying."""
    return {"keys": [badge_key(folder).jwk(), *retired_keys(folder)]}


def rotate_key(folder: Path | None = None) -> tuple[str, str]:
    """Retire the signing key and make a new one; returns (old kid, new kid). The old key's public half
    stays published (badges it signed keep verifying) and its private half is destroyed, so it
    signs nothing again. Under the key file's lock: two rotations, or a rotation and a first start,
    never leave two signing keys."""
    from course.atomic import locked, write_atomic

    folder = Path(folder or data_dir())
    path = folder / KEY_FILE
    old = badge_key(folder)  # makes one first if there is none: rotating then retires a key never used
    retired = _retired_dir(folder)
    retired.mkdir(parents=True, exist_ok=True)
    with locked(path):
        public = old.private_key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        write_atomic(retired / f"{old.kid}.pem", public)
        fresh = rsa.generate_private_key(public_exponent=65537, key_size=3072)
        write_atomic(
            path,
            fresh.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            ),
        )
        os.chmod(path, 0o600)
    return old.kid, _kid(fresh.public_key())


def withdraw_key(kid: str, folder: Path | None = None) -> bool:
    """Stop publishing a retired key (it leaked): every badge it signed fails from then on, as
    "unknown-key", and the learners need new badges. The signing key cannot be withdrawn: rotate
    first. True when a retired key of that kid was withdrawn."""
    if kid == badge_key(folder).kid:
        raise ValueError(f"{kid} is the key badges are signed with now: run `course badge rotate-key` first")
    if not re.fullmatch(r"badge-[0-9a-f]{16}", kid):
        return False
    path = _retired_dir(folder) / f"{kid}.pem"
    if not path.exists():
        return False
    path.unlink()
    return True


def sign(credential: dict, key: BadgeKey, kid_url: str) -> str:
    """The credential as a compact JWS (a VC-JWT)."""
    claims = {
        "iss": credential["issuer"]["id"],
        "jti": credential["id"],
        "sub": credential["credentialSubject"]["id"],
        "nbf": int(_parse_time(credential["validFrom"]).timestamp()),
    }
    return jwt.encode(
        {**credential, **claims}, key.private_key, algorithm=ALGORITHM, headers={"kid": kid_url, "typ": "JWT"}
    )


@dataclass(frozen=True)
class Checked:
    """What `check` found. status: valid | malformed | unknown-key | bad-signature | mismatch | not-conformant."""

    status: str
    reason: str
    credential: dict = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.status == "valid"


def _parse_time(text: str) -> datetime:
    value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _public_key(jwks: dict, kid: str):
    """The key in `jwks` that `kid` (a key address `...#kid`, or a bare kid) names, or None."""
    wanted = kid.rsplit("#", 1)[-1]
    for jwk in jwks.get("keys") or []:
        if isinstance(jwk, dict) and jwk.get("kid") == wanted and jwk.get("kty") == "RSA" and "d" not in jwk:
            return RSAAlgorithm.from_jwk(json.dumps(jwk))
    return None


def check(token: str, jwks: dict, at: datetime | None = None) -> Checked:
    """Check a VC-JWT offline against a published key set: the signature, the JWT claims against the
    credential, the 1EdTech schema. Never raises for a bad badge: every failure is a status."""
    token = "".join((token or "").split())  # a pasted badge may be wrapped or end in a newline
    if not token or len(token) > MAX_BADGE or token.count(".") != 2:
        return Checked("malformed", "this is not a signed badge (a VC-JWT: three parts separated by dots)")
    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError:
        return Checked("malformed", "the badge's header cannot be read")
    if header.get("alg") != ALGORITHM or not isinstance(header.get("kid"), str):
        return Checked("malformed", f"the badge must be signed with {ALGORITHM} and name its key (kid)")
    public = _public_key(jwks, header["kid"])
    if public is None:
        return Checked("unknown-key", "the badge was not signed with a key this organisation publishes")
    try:
        payload = jwt.decode(
            token,
            public,
            algorithms=[ALGORITHM],
            options={"require": ["iss", "jti", "sub", "nbf"], "verify_aud": False, "verify_iat": False},
            leeway=60,  # clocks differ by a little
        )
    except jwt.InvalidSignatureError:
        return Checked(
            "bad-signature", "the signature does not match: the badge was changed, or signed by someone else"
        )
    except jwt.ImmatureSignatureError:
        return Checked("mismatch", "the badge is not valid yet (validFrom is in the future)")
    except jwt.ExpiredSignatureError:
        return Checked("mismatch", "the badge has expired")
    except jwt.PyJWTError as exc:
        return Checked("malformed", f"the badge cannot be read ({exc})")
    credential = {k: v for k, v in payload.items() if k not in JWT_CLAIMS}
    try:
        agree = (
            payload["iss"] == credential["issuer"]["id"]
            and payload["jti"] == credential["id"]
            and payload["sub"] == credential["credentialSubject"]["id"]
            and int(payload["nbf"]) == int(_parse_time(credential["validFrom"]).timestamp())
        )
    except (KeyError, TypeError, ValueError, AttributeError):
        agree = False
    if not agree:
        return Checked(
            "mismatch", "the badge's signed claims (iss, jti, sub, nbf) do not match its credential", credential
        )
    problems = schema_problems(credential)
    if problems:
        return Checked(
            "not-conformant", "the badge does not follow the Open Badges 3.0 schema: " + problems[0], credential
        )
    if at is not None and "validUntil" in credential and _parse_time(credential["validUntil"]) < at:
        return Checked("mismatch", "the badge has expired", credential)
    return Checked("valid", "the signature and the credential check out", credential)
