"""The register of certificates (the `certificates` table): one row per completion, kept even
after a learner's grades are replaced by a later attempt. What a certificate says and how its
id is made are course.manager.certificates'; this module only keeps the rows.
"""

from __future__ import annotations

from sqlalchemy import select

from course.records.store import Store, _insert
from course.records.tables import certificates


def add(store: Store, rows: list[dict]) -> None:
    """Add register rows in one transaction. A row whose certificate_id is already there is left
    as it was (ON CONFLICT DO NOTHING), so two processes recording the same completion at once
    leave one row, with the first one's issue time."""
    insert = _insert(store.engine, certificates).on_conflict_do_nothing(index_elements=["certificate_id"])
    # in chunks: SQLite limits the parameters of one statement
    store._write_all([insert.values(rows[i : i + 500]) for i in range(0, len(rows), 500)])


def known_ids(store: Store, ids: list[str]) -> set[str]:
    """Which of these certificate ids are in the register."""
    found: set[str] = set()
    for chunk in range(0, len(ids), 500):
        found |= {
            r[0]
            for r in store._read(
                select(certificates.c.certificate_id).where(certificates.c.certificate_id.in_(ids[chunk : chunk + 500]))
            )
        }
    return found


def get(store: Store, cert_id: str):
    """The register row of one certificate, or None."""
    rows = store._read(select(certificates).where(certificates.c.certificate_id == cert_id))
    return rows[0] if rows else None


def for_learner(store: Store, learner_id: str) -> list:
    """One learner's register rows, newest completion first."""
    return store._read(
        select(certificates)
        .where(certificates.c.learner_id == learner_id)
        .order_by(certificates.c.completed_on.desc(), certificates.c.issued_at.desc())
    )


def completions(store: Store, learner_ids=None) -> list[tuple]:
    """(learner_id, completed_on, policy_version, certificate_id) of every row (of `learner_ids` only, when given)."""
    query = select(
        certificates.c.learner_id,
        certificates.c.completed_on,
        certificates.c.policy_version,
        certificates.c.certificate_id,
    )
    if learner_ids is not None:
        query = query.where(certificates.c.learner_id.in_(list(learner_ids)))
    return [tuple(r) for r in store._read(query)]
