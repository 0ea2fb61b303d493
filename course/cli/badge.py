"""`course badge ...`: the certificate as an Open Badges 3.0 credential (course.badges).

    course badge issue 40123 --out badge.jwt     the learner's newest certificate, signed
    course badge verify badge.jwt                 signature, schema and the register
    course badge verify badge.jwt --jwks keys.json   offline: the published keys only
    course badge revoke SMC-... --reason "..."    the certificate and its badge stop verifying
    course badge restore SMC-...
    course badge verify badge.jwt --jwks keys.json --revocations list.json   offline, with the revocation list
    course badge jwks                             the public keys, as served at /badges/jwks.json
    course badge rotate-key                       a new signing key; the old one stays published
    course badge withdraw-key badge-<kid>         stop publishing a retired key (it leaked)

Each is thin over course.badges (and course.records.certificate_revocations for revoke and restore).
"""

from __future__ import annotations

import json
from pathlib import Path

import click
from rich.markup import escape

from course.cli import console, errors, main


@main.group()
def badge():
    """Open Badges 3.0: issue, verify and revoke the certificate's badge."""


@badge.command("issue")
@click.argument("learner")
@click.option("--certificate", "cert_id", help="Which certificate (default: the learner's newest).")
@click.option("--show-name", is_flag=True, help="Put the learner's name in clear (only if they ask for it).")
@click.option("--out", type=click.Path(dir_okay=False), help="Write to this file (default: print).")
def issue_cmd(learner, cert_id, show_name, out):
    """The signed badge (a VC-JWT) of a learner's certificate (LEARNER: learner id or staff number)."""
    from course.atomic import write_atomic
    from course.badges import badge_for
    from course.records.store import Store

    store = Store()
    made = badge_for(store, _learner(store, learner), cert_id, show_name=show_name)
    if out:
        write_atomic(Path(out), made.token + "\n")
        errors.print(f"wrote {escape(out)} (badge of {made.certificate_id})", highlight=False)
    else:
        click.echo(made.token)


def _learner(store, text: str) -> str:
    """A learner id, or a staff number (the roster's, or a self-declared learner's). Only the register
    is read: a badge is made from a certificate already there (the marker adds each completion), so
    there is no need to evaluate everyone as `course learning-record` does."""
    from course.records import identity, roster

    if store.learner(text):
        return text
    try:
        number = identity.staff_number(text)
    except identity.DetailsError:
        number = None  # not a staff number, so no one's: the same "not found" as any other
    if number:
        row = roster.person(store, number)
        if row and row.get("learner_id"):
            return str(row["learner_id"])
        if store.learner(number):
            return number
    raise KeyError(f"no learner or staff number '{text}' in the records or on the roster")


@badge.command("verify")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option(
    "--jwks", "jwks_file", type=click.Path(exists=True, dir_okay=False), help="Check offline with this key set only."
)
@click.option(
    "--revocations",
    "revocations_file",
    type=click.Path(exists=True, dir_okay=False),
    help="With --jwks: the published revocation list (/badges/revocations.json) too.",
)
def verify_cmd(file, jwks_file, revocations_file):
    """Check a badge file: exit 0 when valid, 1 when not."""
    import sys

    from course.badges import check, check_online, listed_as_revoked
    from course.records.store import Store

    token = Path(file).read_text(encoding="utf-8", errors="replace")
    if revocations_file and not jwks_file:
        raise click.UsageError("--revocations is for an offline check: give --jwks as well")
    found = check(token, _json_file(jwks_file, "--jwks")) if jwks_file else check_online(Store(), token)
    if revocations_file:
        found = listed_as_revoked(found, _json_file(revocations_file, "--revocations"))
    console.print(("VALID: " if found.ok else "NOT VALID: ") + escape(found.reason), highlight=False, soft_wrap=True)
    sys.exit(0 if found.ok else 1)


@badge.command("revoke")
@click.argument("certificate")
@click.option("--reason", default="", help="Why (kept with the revocation; not shown to verifiers).")
def revoke_cmd(certificate, reason):
    """Revoke a certificate: it and its badge no longer verify."""
    from course.manager import certificates
    from course.records import certificate_revocations
    from course.records.store import Store

    store = Store()
    cert_id = certificates.normalise_id(certificate)
    found = certificates.get(store, cert_id) if cert_id else None
    if found is None:
        raise KeyError(f"no certificate '{certificate}' in the register")
    new = certificate_revocations.revoke(store, found["certificate_id"], found["learner_id"], reason)
    console.print(f"{'revoked' if new else 'already revoked'}: {found['certificate_id']}", highlight=False)


@badge.command("restore")
@click.argument("certificate")
def restore_cmd(certificate):
    """Undo a revocation."""
    from course.manager import certificates
    from course.records import certificate_revocations
    from course.records.store import Store

    cert_id = certificates.normalise_id(certificate) or certificate
    done = certificate_revocations.restore(Store(), cert_id)
    console.print(f"{'restored' if done else 'was not revoked'}: {cert_id}", highlight=False)


@badge.command("jwks")
def jwks_cmd():
    """Print the organisation's public badge keys (to publish, or to check offline)."""
    from course.badges import jwks

    click.echo(json.dumps(jwks(), indent=2))


def _json_file(path: str, option: str) -> dict:
    try:
        found = json.loads(Path(path).read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise click.BadParameter(f"{path} is not JSON ({exc})", param_hint=option) from None
    if not isinstance(found, dict):
        raise click.BadParameter(f"{path} is not a JSON object", param_hint=option)
    return found


@badge.command("rotate-key")
def rotate_key_cmd():
    """Sign badges with a new key from now on. The old key's public half stays published, so the
    badges it signed keep verifying; its private half is destroyed. Back up var/ afterwards."""
    from course.badges.sign import rotate_key

    old, new = rotate_key()
    console.print(f"signing key now {new}; {old} retired (still published, signs nothing)", highlight=False)


@badge.command("withdraw-key")
@click.argument("kid")
def withdraw_key_cmd(kid):
    """Stop publishing a retired key (after it leaked): the badges it signed stop verifying."""
    from course.badges.sign import withdraw_key

    if not withdraw_key(kid):
        raise KeyError(f"no retired badge key '{kid}' (see `course badge jwks`)")
    console.print(
        f"withdrawn: {kid}. Badges it signed no longer verify; learners can download a new one.", highlight=False
    )
