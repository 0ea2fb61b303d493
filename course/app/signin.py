"""Signing in on the course home: who may sign in, and with what.

With a staff list (any roster row), only people on it sign in, with their staff number and a
secret: the one-time code from their letter (`course roster invite`) the first time, which
makes them choose a PIN or passphrase (`choose_secret`), then that PIN or passphrase. A new
code from the manager replaces a forgotten secret at its first use. Every refusal (a number
not on the list, a wrong secret, a used or expired code, too many tries) is the one message
`NO_MATCH`, so nobody learns which staff numbers exist or whether one has a secret.
Tries are limited per source address and per account with backoff (course.records.rate_limit).

Without a staff list (a small trial) a learner signs in with a name and a staff number as
before, and the record says the identity was self-declared. A staff number already used
under a different name is refused rather than shared, so a typo does not merge two people.
On JupyterHub the hub signs people in (course.kernel.launch); this module is not used there.
"""

from __future__ import annotations

from dataclasses import dataclass

from course.records import credentials, identity, rate_limit, roster
from course.records import signin_tokens as sessions
from course.records.store import Store

NO_MATCH = "Those details do not match. Check them, or ask your manager for a new sign-in code."


class SignInError(Exception):
    """A sign-in the course refuses; the message is plain English for the learner. `field`: the
    form field it is about (identity.STAFF_NUMBER_FIELD, ...), or "" for the whole form (NO_MATCH:
    which detail was wrong is never said)."""

    def __init__(self, message: str, field: str = "", more: dict[str, str] | None = None):
        super().__init__(message)
        self.field = field
        # every problem found, field -> message (a name and a staff number both wrong: both shown)
        self.problems = {field: message, **(more or {})}

    @classmethod
    def from_details(cls, exc: identity.DetailsError) -> SignInError:
        return cls(str(exc), exc.field)


@dataclass(frozen=True)
class SignedIn:
    learner_id: str
    name: str
    token: str


@dataclass(frozen=True)
class CodeAccepted:
    """A right sign-in code: the person must now choose a PIN or passphrase (kept in the kernel,
    never sent to the page)."""

    learner_id: str
    name: str
    match: credentials.Match


def roster_in_use(store: Store) -> bool:
    return roster.in_use(store)


def sign_in(store: Store, name: str, staff_number: str) -> SignedIn:
    """A self-declared sign-in: only when there is no staff list."""
    if roster_in_use(store):
        raise SignInError(NO_MATCH)
    problems: list[identity.DetailsError] = []
    try:
        name = identity.person_name(name)
    except identity.DetailsError as exc:
        problems.append(exc)
    try:
        learner_id = identity.staff_number(staff_number)
    except identity.DetailsError as exc:
        problems.append(exc)
    if problems:
        first, *rest = problems
        raise SignInError(str(first), first.field, {p.field: str(p) for p in rest})
    known = store.learner(learner_id)
    if known and known.get("name") and not identity.same_name(known["name"], name):
        raise SignInError(
            "That staff number is already used with a different name. Check both, or ask your trainer to help.",
            identity.STAFF_NUMBER_FIELD,
        )
    store.ensure_learner(
        learner_id,
        name=known["name"] if known and known.get("name") else name,
        staff_number=learner_id,
        identity=identity.SELF_DECLARED,
    )
    return SignedIn(learner_id, name, sessions.issue(store, learner_id))


def _keys(staff_number: str, source: str) -> tuple[str, str]:
    return rate_limit.key("signin-source", source or "unknown"), rate_limit.key("signin-account", staff_number)


def sign_in_with_secret(store: Store, staff_number: str, secret: str, source: str = "") -> SignedIn | CodeAccepted:
    """A staff-list sign-in: a signed-in session, a `CodeAccepted` (choose a secret next), or
    SignInError(NO_MATCH)."""
    try:
        number = identity.staff_number(staff_number)
    except identity.DetailsError as exc:
        raise SignInError.from_details(exc) from None  # the shape of what was typed, nothing about who exists
    if not (secret or "").strip():
        raise SignInError("Please enter your sign-in code, PIN or passphrase.", identity.SECRET_FIELD)
    source_key, account_key = _keys(number, source)
    if not rate_limit.claim(store, [(source_key, rate_limit.SOURCE), (account_key, rate_limit.ACCOUNT)]).allowed:
        raise SignInError(NO_MATCH)  # the same words: a wait says nothing about the account either
    person = roster.person(store, number)
    learner_id = person["learner_id"] if person else None
    match = credentials.check(store, learner_id, secret[: identity.SECRET_MAX])
    if person is None or learner_id is None or match is None:
        raise SignInError(NO_MATCH)
    rate_limit.clear(store, account_key)
    rate_limit.refund(store, source_key, rate_limit.SOURCE)
    if match.kind == "code":
        return CodeAccepted(learner_id, person["name"], match)
    return _session(store, learner_id, person)


def choose_secret(store: Store, accepted: CodeAccepted, secret: str, again: str) -> SignedIn:
    """Set the PIN or passphrase after a right code, and sign in. SignInError: the rule's message,
    or NO_MATCH when the code was used or replaced meanwhile."""
    try:
        chosen = identity.new_secret(secret, again)
    except identity.DetailsError as exc:
        raise SignInError.from_details(exc) from None
    if not credentials.choose_secret(store, accepted.learner_id, accepted.match, chosen):
        raise SignInError(NO_MATCH)
    person = roster.person_by_learner(store, accepted.learner_id)
    if person is None:  # removed from the list while choosing
        raise SignInError(NO_MATCH)
    return _session(store, accepted.learner_id, person)


def _session(store: Store, learner_id: str, person: dict) -> SignedIn:
    store.ensure_learner(learner_id, name=person["name"], staff_number=person["staff_number"], identity=identity.ROSTER)
    return SignedIn(learner_id, person["name"], sessions.issue(store, learner_id))
