"""Signing in on the course home: a name and a staff number become a learner and a session.

The staff number is the learner's id (what managers and nbgrader know them by); the name is
how the course greets them. A staff number already used under a different name is refused
rather than shared, so a typo does not merge two people's records. What a name and a staff
number may be is course.records.identity's rule (the same for the roster and the join form).
"""

from __future__ import annotations

from dataclasses import dataclass

from course.records import identity
from course.records import signin_tokens as sessions
from course.records.store import Store


class SignInError(Exception):
    """A sign-in the course refuses; the message is plain English for the learner."""


@dataclass(frozen=True)
class SignedIn:
    learner_id: str
    name: str
    token: str


def sign_in(store: Store, name: str, staff_number: str) -> SignedIn:
    try:
        name, learner_id = identity.person_name(name), identity.staff_number(staff_number)
    except identity.DetailsError as exc:
        raise SignInError(str(exc)) from None
    known = store.learner(learner_id)
    if known and known.get("name") and not identity.same_name(known["name"], name):
        raise SignInError(
            "That staff number is already used with a different name. Check both, or ask your trainer to help."
        )
    store.ensure_learner(
        learner_id, name=known["name"] if known and known.get("name") else name, staff_number=learner_id
    )
    return SignedIn(learner_id, name, sessions.issue(store, learner_id))
