"""The tool's RSA key: made on first use, private on disk (0600), published as a JWKS.

The LMS checks the tool's signed client assertions (course.lti.ags) against the JWKS this
module publishes, so the private key never leaves the data folder.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from jwt.algorithms import RSAAlgorithm

from course.private import rsa_key_file
from course.settings import data_dir

KEY_FILE = "lti-tool-key.pem"


@dataclass(frozen=True)
class ToolKey:
    kid: str
    private_pem: bytes

    @property
    def private_key(self):
        return serialization.load_pem_private_key(self.private_pem, password=None)

    def jwks(self) -> dict:
        jwk = json.loads(RSAAlgorithm.to_jwk(self.private_key.public_key()))
        jwk.update({"kid": self.kid, "alg": "RS256", "use": "sig"})
        return {"keys": [jwk]}


def _kid(pem: bytes) -> str:
    import hashlib

    return hashlib.sha256(pem).hexdigest()[:16]


def tool_key(folder: Path | None = None) -> ToolKey:
    """The tool's key, made (once, under a lock, so two processes agree) if there is none."""
    pem = rsa_key_file(Path(folder or data_dir()) / KEY_FILE, bits=2048)
    return ToolKey(_kid(pem), pem)
