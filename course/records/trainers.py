"""Who may run a trainer-led session: the learners a manager made trainers (the `trainers` table).

A manager grants the role (`course roster grant-trainer STAFF`) and takes it back
(`revoke-trainer`). The trainer page asks `is_trainer` in its kernel before it starts anything
(course.live.trust), so hiding the Start button is never the check. Each verb is one statement:
granting twice keeps the first grant, revoking a non-trainer changes nothing.
"""

from __future__ import annotations

from sqlalchemy import delete, select

from course.records import identity
from course.records.store import Store, _insert, now
from course.records.tables import staff, trainers


def learner_of(store: Store, staff_or_learner: str) -> str:
    """The learner id for what a manager typed: a staff number on the roster (its learner id),
    else the staff number itself as the learner id (the rule without a roster). Raises
    identity.DetailsError for something that is neither."""
    text = (staff_or_learner or "").strip()
    try:
        number = identity.staff_number(text)
    except identity.DetailsError:
        return identity.check_learner_id(text)  # a hub user name, say: IdentityError if not an id
    rows = store._read(select(staff.c.learner_id).where(staff.c.staff_number == number))
    return rows[0][0] if rows else identity.check_learner_id(number)


def grant(store: Store, learner_id: str) -> bool:
    """Make this learner a trainer. True when they were not one already."""
    stmt = (
        _insert(store.engine, trainers)
        .values(learner_id=learner_id, granted_at=now())
        .on_conflict_do_nothing(index_elements=["learner_id"])
        .returning(trainers.c.learner_id)
    )
    return bool(store._write_returning(stmt))


def revoke(store: Store, learner_id: str) -> bool:
    """Take the role away (sessions they run already keep their trainer key). True when they had it."""
    return bool(store._write(delete(trainers).where(trainers.c.learner_id == learner_id)).rowcount)


def is_trainer(store: Store, learner_id: str | None) -> bool:
    """One indexed read: is this learner a trainer now?"""
    if not learner_id:
        return False
    return bool(store._read(select(trainers.c.learner_id).where(trainers.c.learner_id == learner_id)))


def all_trainers(store: Store) -> list[str]:
    return [r[0] for r in store._read(select(trainers.c.learner_id).order_by(trainers.c.learner_id))]
