"""Signing in on the course home: a name and a staff number become a learner and a session.

The staff number is the learner's id (what managers and nbgrader know them by); the name is
how the course greets them. A staff number already used under a different name is refused
rather than shared, so a typo does not merge two people's records.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from course.records import signin_tokens as sessions
from course.records.identity import LEARNER_ID
from course.records.store import Store

NAME_MAX = 100
STAFF_NUMBER = re.compile(r"^[A-Za-z0-9][A-Za-z0-9-]{1,29}$")


class SignInError(Exception):
    """A sign-in the course refuses; the message is plain English for the learner."""


@dataclass(frozen=True)
class SignedIn:
    learner_id: str
    name: str
    token: str


def clean_name(name: str) -> str:
    name = " ".join((name or "").split())
    if not name:
        raise SignInError("Please enter your name.")
    if len(name) > NAME_MAX:
        raise SignInError(f"Please enter a shorter name (up to {NAME_MAX} characters).")
    if not any(ch.isalpha() for ch in name) or any(unicodedata.category(ch).startswith("C") for ch in name):
        raise SignInError("Please enter your name using letters.")
    return name


def clean_staff_number(number: str) -> str:
    number = "".join((number or "").split()).upper()
    if not number:
        raise SignInError("Please enter your staff number.")
    if not STAFF_NUMBER.match(number) or not LEARNER_ID.match(number):
        raise SignInError("A staff number has only letters, digits and hyphens, for example 40123 or SC-40123.")
    return number


def _same_name(a: str, b: str) -> bool:
    return " ".join(a.casefold().split()) == " ".join(b.casefold().split())


def sign_in(store: Store, name: str, staff_number: str) -> SignedIn:
    name, learner_id = clean_name(name), clean_staff_number(staff_number)
    known = store.learner(learner_id)
    if known and known.get("name") and not _same_name(known["name"], name):
        raise SignInError("That staff number is already used with a different name. "
                          "Check both, or ask your trainer to help.")
    store.ensure_learner(learner_id, name=known["name"] if known and known.get("name") else name,
                         staff_number=learner_id)
    return SignedIn(learner_id, name, sessions.issue(store, learner_id))
