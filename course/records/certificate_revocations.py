"""Revoked certificates (the `certificate_revocations` table): a certificate withdrawn by the
organisation stays in the register (it was issued) but no longer verifies, nor does its badge.

The register (course/records/certificate_register.py) keeps what was issued and never changes a
row; a revocation is a separate fact with its own time and reason, so revoking changes no
certificate id and can be undone (`restore`). Revoking twice keeps the first revocation (its time
and reason stand); restoring a certificate that is not revoked changes nothing.
"""

from __future__ import annotations

from sqlalchemy import delete, select

from course.records.store import Store, _insert, now
from course.records.tables import certificate_revocations

REASON_MAX = 200


def revoke(store: Store, certificate_id: str, learner_id: str, reason: str = "") -> bool:
    """Mark a certificate revoked; True if it was not revoked before (ON CONFLICT DO NOTHING)."""
    insert = _insert(store.engine, certificate_revocations).on_conflict_do_nothing(index_elements=["certificate_id"])
    result = store._write(
        insert.values(
            certificate_id=certificate_id,
            learner_id=learner_id,
            revoked_at=now(),
            reason=" ".join((reason or "").split())[:REASON_MAX],
        )
    )
    return bool(result.rowcount)


def restore(store: Store, certificate_id: str) -> bool:
    """Undo a revocation; True if there was one."""
    result = store._write(
        delete(certificate_revocations).where(certificate_revocations.c.certificate_id == certificate_id)
    )
    return bool(result.rowcount)


def revocation(store: Store, certificate_id: str):
    """The revocation row of a certificate (revoked_at, reason), or None when it stands."""
    rows = store._read(
        select(certificate_revocations.c.revoked_at, certificate_revocations.c.reason).where(
            certificate_revocations.c.certificate_id == certificate_id
        )
    )
    return rows[0] if rows else None


def revoked_ids(store: Store) -> list[str]:
    """Every revoked certificate id (the badges' revocation list)."""
    return [r[0] for r in store._read(select(certificate_revocations.c.certificate_id))]
