"""Live group sessions in the records store: sessions, anonymous votes, attendance.

A trainer opens a session for a module or a hand-picked list of scenarios and gets a short
join code (for the room) and a trainer key (for the trainer only: only its sha256 hash is
stored). The room joins by code and votes on the scenario the trainer shows; a vote may
change until the trainer reveals the answer. Trainer and learners may be on different
kernels or machines: everything lives in the store.

- Every state change is one statement, so one transaction. A trainer action reads the
  session, checks the key (a constant-time compare of hashes) and writes with a
  compare-and-swap on the session's `version`, so two trainer windows cannot undo each
  other's step. A vote is one INSERT ... SELECT ... ON CONFLICT DO UPDATE whose SELECT only
  finds the session while voting on that scenario is open: a vote after the reveal (or for a
  scenario the trainer has moved on from) changes nothing, even when it races the reveal.
- Votes are anonymous. A voter is a token the server issues on Join (`live_voters` keeps only
  its hash); a vote needs a token issued for that session, so a forged or stale page cannot
  mint voters. The page keeps its token, and a repeated Join from that page reuses it. A
  signed-in learner's token is derived from the session and the learner under the server's
  secret key (HMAC), so every tab of theirs has the same one: one learner, one vote, yet the
  store alone cannot tell whose vote it is. Attendance is a separate table with no voter
  token, and its time is kept to the minute, so a name cannot be matched to a vote. On
  SQLite these tables are WITHOUT ROWID, so not even the order rows were written in survives.
- Attendance counts toward completion only for a learner who joined signed in and whom the
  trainer then confirmed as in the room (`confirm_attendance`); a typed name never counts.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.exc import IntegrityError

from course.records import identity
from course.records import live as rows
from course.records.live import CODE_LENGTH
from course.records.store import Store, aware, now

CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, no 1/I: easy to read off a screen
KEY_BYTES = 12  # secrets.token_urlsafe(12): 16 characters, 96 bits
VOTER_BYTES = 24
MAX_SCENARIOS = 80
OPEN_FOR = timedelta(hours=12)  # a session nobody closed stops taking votes after a working day
LOBBY = -1  # current_index before the trainer shows the first scenario
VOTER_TOKEN = re.compile(r"^[A-Za-z0-9_-]{20,100}$")

# --- errors: each message is plain English, fit to show a trainer or a learner -----------------


class LiveError(Exception):
    """A request the live session refuses; str() is a plain-English sentence for the person."""


class SessionNotFound(LiveError):
    pass


class SessionEnded(LiveError):
    pass


class TrainerKeyError(LiveError):
    pass


class VoteRefused(LiveError):
    def __init__(self, message: str, reason: str):
        super().__init__(message)
        self.reason = reason  # "revealed", "moved on", "not started", "ended", "choice", "voter"


class DetailsError(LiveError):
    """A name or staff number the join form refuses."""


# --- state ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LiveSession:
    id: str
    code: str
    module_id: str | None
    scenario_ids: tuple[str, ...]
    index: int
    revealed: bool
    revealed_ids: frozenset[str]
    furthest: int
    version: int
    opened_at: datetime
    closed_at: datetime | None

    @classmethod
    def from_row(cls, row) -> LiveSession:
        return cls(
            id=row.id,
            code=row.join_code,
            module_id=row.module_id,
            scenario_ids=tuple(json.loads(row.scenario_ids)),
            index=row.current_index,
            revealed=bool(row.revealed),
            revealed_ids=frozenset(json.loads(row.revealed_ids)),
            furthest=row.furthest_index,
            version=row.version,
            opened_at=aware(row.opened_at),
            closed_at=aware(row.closed_at),
        )

    @property
    def expired(self) -> bool:
        return self.closed_at is None and self.opened_at + OPEN_FOR <= now()

    @property
    def is_open(self) -> bool:
        return self.closed_at is None and not self.expired

    @property
    def in_lobby(self) -> bool:
        return self.index == LOBBY

    @property
    def scenario_id(self) -> str | None:
        return self.scenario_ids[self.index] if 0 <= self.index < len(self.scenario_ids) else None

    @property
    def total(self) -> int:
        return len(self.scenario_ids)

    @property
    def at_last(self) -> bool:
        return self.index == len(self.scenario_ids) - 1

    @property
    def shown_ids(self) -> tuple[str, ...]:
        """The scenarios the room has seen (up to the furthest one shown)."""
        return self.scenario_ids[: self.furthest + 1]

    @property
    def display_code(self) -> str:
        return f"{self.code[:3]} {self.code[3:]}"


@dataclass(frozen=True)
class Opened:
    session: LiveSession
    trainer_key: str  # shown once to the trainer; only its hash is stored


@dataclass(frozen=True)
class Joined:
    session: LiveSession
    voter_token: str  # kept by the learner's page; only its hash is stored with a vote
    named: bool  # attendance was recorded
    signed_in: bool = False  # the attendance is a signed-in learner's (it can be confirmed)


# --- helpers ------------------------------------------------------------------------------------------


def open_store(url: str | None = None) -> Store:
    """The records store, for an app kernel (a brand-new database is made ready on first open,
    under the migrations' lock: two kernels starting at once do not race)."""
    return Store(url)


def secret_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def normalise_code(code: str | None) -> str:
    """What a person typed, as a code: capitals, no spaces or hyphens."""
    return "".join(ch for ch in (code or "").upper() if ch not in " -\t")


def valid_code(code: str) -> bool:
    return len(code) == CODE_LENGTH and all(ch in CODE_ALPHABET for ch in code)


def _key_matches(key: str | None, stored_hash: str) -> bool:
    if not key or len(key) > 200:
        return False
    return hmac.compare_digest(secret_hash(key.strip()), stored_hash)


def clean_name(name: str | None) -> str:
    """Optional on the join form; the rule is course.records.identity's."""
    try:
        return identity.person_name(name, required=False)
    except identity.DetailsError as exc:
        raise DetailsError(str(exc)) from None


def clean_staff_number(number: str | None) -> str:
    """Optional on the join form; the rule is course.records.identity's."""
    try:
        return identity.staff_number(number, required=False)
    except identity.DetailsError as exc:
        raise DetailsError(str(exc)) from None


def _row(store: Store, session_id: str):
    row = rows.session(store, session_id)
    if row is None:
        raise SessionNotFound("We could not find that session. It may have been removed.")
    return row


# --- opening and finding a session ---------------------------------------------------------------------


def open_session(store: Store, scenario_ids: list[str] | tuple[str, ...], module_id: str | None = None) -> Opened:
    """A new session in the lobby; returns it and the trainer key (shown once, never stored).

    Callers check the ids against the course (`course.live.app_support.session_scenarios`).
    """
    ids = [str(s) for s in scenario_ids]
    if not ids:
        raise LiveError("Choose at least one scenario to discuss.")
    if len(ids) > MAX_SCENARIOS:
        raise LiveError(f"Choose up to {MAX_SCENARIOS} scenarios for one session.")
    if len(set(ids)) != len(ids):
        raise LiveError("Each scenario can be in a session only once.")
    close_stale(store)
    key = secrets.token_urlsafe(KEY_BYTES)
    for _attempt in range(20):
        session_id = secrets.token_hex(8)
        values = {
            "id": session_id,
            "join_code": new_code(),
            "trainer_key_hash": secret_hash(key),
            "module_id": module_id,
            "scenario_ids": json.dumps(ids),
            "current_index": LOBBY,
            "current_scenario": None,
            "revealed": False,
            "revealed_ids": "[]",
            "furthest_index": LOBBY,
            "version": 1,
            "opened_at": now(),
            "closed_at": None,
        }
        try:
            rows.add_session(store, values)
        except IntegrityError:
            continue  # that code is in use by an open session: draw another
        return Opened(get_session(store, session_id), key)
    raise LiveError("Could not find a free join code. Please try again.")


def close_stale(store: Store) -> int:
    """Close sessions left open for longer than a working day (their codes become free)."""
    return rows.close_stale(store, now() - OPEN_FOR)


def get_session(store: Store, session_id: str) -> LiveSession:
    return LiveSession.from_row(_row(store, session_id))


def find_session(store: Store, code: str | None) -> LiveSession:
    """The open session with this join code (what a learner typed)."""
    code = normalise_code(code)
    if not valid_code(code):
        raise SessionNotFound(
            "That is not a session code. A code has 6 letters and numbers, like the one on the trainer's screen."
        )
    row = rows.open_by_code(store, code)
    session = LiveSession.from_row(row) if row is not None else None
    if session is None or not session.is_open:
        raise SessionNotFound(f"No session is running with the code {code}. Check the code on the trainer's screen.")
    return session


def latest_by_code(store: Store, code_or_id: str) -> LiveSession:
    """For reports: the newest session with this code (open or closed), or the session with this id."""
    code = normalise_code(code_or_id)
    row = rows.latest_by_code(store, code)
    if row is None:
        row = rows.session(store, code_or_id.strip().lower())
    if row is None:
        raise SessionNotFound(f"No session has the code or id '{code_or_id}'.")
    return LiveSession.from_row(row)


def list_sessions(store: Store, limit: int = 50) -> list[LiveSession]:
    return [LiveSession.from_row(r) for r in rows.newest(store, limit)]


# --- the trainer's actions -----------------------------------------------------------------------------


def check_trainer(session_row_or_session, key: str | None) -> None:
    stored = getattr(session_row_or_session, "trainer_key_hash", None)
    if stored is None or not _key_matches(key, stored):
        raise TrainerKeyError(
            "That trainer key does not match this session. Only the trainer who started it can run it."
        )


def resume(store: Store, code: str, key: str) -> LiveSession:
    """A trainer carries on a session from another window or computer: code and key."""
    code = normalise_code(code)
    if not valid_code(code):
        raise SessionNotFound("That is not a session code. A code has 6 letters and numbers.")
    row = rows.open_by_code(store, code)
    if row is None or LiveSession.from_row(row).expired:
        raise SessionNotFound(f"No session is running with the code {code}.")
    check_trainer(row, key)
    return LiveSession.from_row(row)


def _change(store: Store, session_id: str, key: str, decide) -> LiveSession:
    """Read, check the key, decide the new values, and write them only if nobody changed the
    session meanwhile (compare-and-swap on `version`): one UPDATE, one transaction."""
    for _attempt in range(50):
        row = _row(store, session_id)
        check_trainer(row, key)
        session = LiveSession.from_row(row)
        if not session.is_open:
            raise SessionEnded("This session has ended.")
        values = decide(session)
        if values is None:
            return session
        if rows.change(store, session_id, session.version, values):
            return get_session(store, session_id)
    raise LiveError("The session is changing too fast to follow. Please try again.")


def show(store: Store, session_id: str, key: str, index: int) -> LiveSession:
    """Show scenario `index` (0-based) to the room; voting on it opens unless it was revealed before."""

    def decide(s: LiveSession):
        if not 0 <= index < s.total:
            raise LiveError("There is no scenario there.")
        if index == s.index:
            return None
        scenario_id = s.scenario_ids[index]
        return {
            "current_index": index,
            "current_scenario": scenario_id,
            "revealed": scenario_id in s.revealed_ids,
            "furthest_index": max(s.furthest, index),
        }

    return _change(store, session_id, key, decide)


def next_scenario(store: Store, session_id: str, key: str) -> LiveSession:
    session = get_session(store, session_id)
    return show(store, session_id, key, min(session.index + 1, session.total - 1))


def previous_scenario(store: Store, session_id: str, key: str) -> LiveSession:
    session = get_session(store, session_id)
    return show(store, session_id, key, max(session.index - 1, 0))


def reveal(store: Store, session_id: str, key: str) -> LiveSession:
    """Show the best answer: voting on the current scenario stops, for good."""

    def decide(s: LiveSession):
        if s.scenario_id is None:
            raise LiveError("Show a scenario first.")
        if s.revealed:
            return None
        return {"revealed": True, "revealed_ids": json.dumps(sorted(s.revealed_ids | {s.scenario_id}))}

    return _change(store, session_id, key, decide)


def close(store: Store, session_id: str, key: str) -> LiveSession:
    """End the session: no more joining or voting; its code is free again."""
    row = _row(store, session_id)
    check_trainer(row, key)
    rows.close(store, session_id)
    return get_session(store, session_id)


# --- the room: joining and voting -----------------------------------------------------------------------


def new_voter_token() -> str:
    return secrets.token_urlsafe(VOTER_BYTES)


def learner_voter_token(session_id: str, learner_id: str) -> str:
    """A signed-in learner's one voter token for a session: the same in every tab, and not
    computable from the records store alone (HMAC under the server's secret key)."""
    from course.manager.certificates import secret_key  # the one server secret; a light module

    digest = hmac.new(secret_key(), f"live-voter|{session_id}|{learner_id}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode("ascii").rstrip("=")


def voter_issued(store: Store, session_id: str, voter_token: str | None) -> bool:
    """Did the server issue this voter token for this session?"""
    if not voter_token or not VOTER_TOKEN.match(voter_token):
        return False
    return rows.voter_known(store, session_id, secret_hash(voter_token))


def join(
    store: Store,
    code: str,
    name: str = "",
    staff_number: str = "",
    *,
    learner_id: str | None = None,
    voter_token: str | None = None,
) -> Joined:
    """Join by code and get this device's voter token.

    `learner_id`: the signed-in learner (the caller checked their sign-in token): their
    attendance is recorded under their learner id, to be confirmed by the trainer, and their
    voter token is their one token for the session. Otherwise a typed name (optional) records
    attendance that never counts toward completion; `voter_token`, when this page was issued
    one for this session already, is kept (a second press of Join mints nothing)."""
    session = find_session(store, code)
    if learner_id:
        token = learner_voter_token(session.id, learner_id)
        _issue(store, session, token)
        record_signed_in(store, session.id, learner_id)
        return Joined(session, token, True, True)
    name, staff_number = clean_name(name), clean_staff_number(staff_number)
    if staff_number and not name:
        raise DetailsError("Please add your name too, or leave the staff number empty.")
    if name:
        record_attendance(store, session.id, name, staff_number)
    kept = voter_token if voter_token and voter_issued(store, session.id, voter_token) else None
    token = kept or new_voter_token()
    _issue(store, session, token)
    return Joined(session, token, bool(name))


def _issue(store: Store, session: LiveSession, token: str) -> None:
    # not added: the session has ended, or the token was issued already (the same page or
    # learner joined again: the same token, nothing new)
    if (
        not rows.add_voter(store, session.id, secret_hash(token), OPEN_FOR)
        and not get_session(store, session.id).is_open
    ):
        raise SessionEnded("This session has ended.")


def record_signed_in(store: Store, session_id: str, learner_id: str) -> None:
    """Attendance of a signed-in learner (their name and staff number from the records)."""
    known = store.learner(learner_id) or {}
    name = (known.get("name") or "").strip()[: rows.NAME_MAX] or learner_id[: rows.NAME_MAX]
    number = (known.get("staff_number") or "")[:30] or None
    joined = now().replace(second=0, microsecond=0)
    added = rows.add_attendance(
        store, session_id, f"learner:{learner_id}", name, number, joined, OPEN_FOR, learner_id=learner_id
    )
    if not added and not get_session(store, session_id).is_open:  # else: joined before, already listed
        raise SessionEnded("This session has ended.")


def record_attendance(store: Store, session_id: str, name: str, staff_number: str = "") -> None:
    name, staff_number = clean_name(name), clean_staff_number(staff_number)
    if not name:
        raise DetailsError("Please enter your name.")
    person = f"staff:{staff_number}" if staff_number else "name:" + " ".join(name.casefold().split())
    joined = now().replace(second=0, microsecond=0)  # to the minute: not a clock to match votes against
    if not rows.add_attendance(store, session_id, person, name, staff_number or None, joined, OPEN_FOR):
        session = get_session(store, session_id)
        if not session.is_open:
            raise SessionEnded("This session has ended.")
        # already recorded (the same person joined again): nothing to do


def confirm_attendance(store: Store, session_id: str, key: str, learner_ids, by: str) -> int:
    """The trainer confirms who was in the room: these signed-in attendees' attendance now
    counts (and any signed-in attendee not among them does not). Needs the trainer key; a
    typed-name attendance cannot be confirmed. Returns how many are confirmed."""
    row = _row(store, session_id)
    check_trainer(row, key)
    return rows.confirm(store, session_id, sorted(set(learner_ids)), by, now())


def cast_vote(
    store: Store,
    session_id: str,
    voter_token: str,
    scenario_id: str,
    choice_id: str,
    choices: list[str] | tuple[str, ...] | None = None,
) -> None:
    """Record (or change) this voter's choice on the scenario the trainer is showing.

    `choices` are the scenario's choice ids (from the course content): a choice not among them
    is refused. The write happens only while the session is showing this scenario, unrevealed.
    """
    if not voter_token or not VOTER_TOKEN.match(voter_token):
        raise VoteRefused("Your page lost track of you. Please reload it and join again.", "voter")
    if choices is not None and choice_id not in choices:
        raise VoteRefused("That is not one of the choices.", "choice")
    if rows.put_vote(store, session_id, scenario_id, secret_hash(voter_token), choice_id, now(), OPEN_FOR):
        return
    if not voter_issued(store, session_id, voter_token):
        raise VoteRefused("Your page lost track of you. Please reload it and join again.", "voter")
    session = get_session(store, session_id)
    if not session.is_open:
        raise VoteRefused("The session has ended, so votes are closed.", "ended")
    if session.scenario_id == scenario_id and session.revealed:
        raise VoteRefused("The answer has been shown, so votes on this scenario are closed.", "revealed")
    if session.in_lobby:
        raise VoteRefused("The trainer has not shown a scenario yet.", "not started")
    raise VoteRefused("The trainer has moved on to another scenario.", "moved on")


def my_vote(store: Store, session_id: str, voter_token: str, scenario_id: str) -> str | None:
    """This voter's current choice on a scenario (so a reloaded page shows it again)."""
    if not voter_token or not VOTER_TOKEN.match(voter_token):
        return None
    return rows.vote_of(store, session_id, secret_hash(voter_token), scenario_id)


def tally(store: Store, session_id: str, scenario_id: str) -> dict[str, int]:
    """How many chose each choice (choice id -> count); never who."""
    return rows.tally(store, session_id, scenario_id)


def all_tallies(store: Store, session_id: str) -> dict[str, dict[str, int]]:
    """scenario id -> choice id -> count, for the whole session (one query)."""
    return rows.all_tallies(store, session_id)


def voter_count(store: Store, session_id: str) -> int:
    """How many different voters have voted in the session so far."""
    return rows.voter_count(store, session_id)


@dataclass(frozen=True)
class Attendee:
    name: str
    staff_number: str | None
    joined_at: datetime
    learner_id: str | None = None  # joined signed in
    confirmed: bool = False  # the trainer confirmed them as in the room

    @property
    def signed_in(self) -> bool:
        return self.learner_id is not None


def attendance(store: Store, session_id: str) -> list[Attendee]:
    """Everyone who joined signed in or gave a name, by name."""
    people = [
        Attendee(r.name, r.staff_number, aware(r.joined_at), r.learner_id, r.confirmed_at is not None)
        for r in rows.attendance(store, session_id)
    ]
    return sorted(people, key=lambda a: (a.name.casefold(), a.staff_number or ""))


@dataclass(frozen=True)
class Poll:
    """What a trainer's screen shows, read in one go: the session and the current tally."""

    session: LiveSession
    counts: dict[str, int]
    voters: int

    @property
    def votes(self) -> int:
        return sum(self.counts.values())


def poll(store: Store, session_id: str) -> Poll:
    session = get_session(store, session_id)
    counts = tally(store, session_id, session.scenario_id) if session.scenario_id else {}
    return Poll(session, counts, voter_count(store, session_id))
