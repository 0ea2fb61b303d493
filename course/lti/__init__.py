"""LTI 1.3: an LMS (Moodle, Totara...) launches the course and receives its mark (issue 18, groundwork).

- `keys.py`: the tool's own RSA key, kept private on disk, published as a JWKS;
- `platforms.py`: the LMS registrations the tool trusts (issuer, client id, deployments, endpoints);
- `launch.py`: OIDC login initiation and the launch: the platform's signed id_token checked
  (signature from its JWKS, issuer, audience, expiry, nonce once, deployment, message type);
- `ags.py`: Assignment and Grade Services: a token by client-credentials grant with a signed
  assertion, then one score per mark of record.
Specification: IMS LTI 1.3 Core, IMS Security Framework 1.0, LTI AGS 2.0.
"""
