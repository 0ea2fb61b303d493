"""Every table of the records store, on one MetaData: the schema this release expects.

The database itself is made and upgraded by the Alembic migrations in
`course/records/migrations/` (`course db upgrade`); this module is what the code reads and
writes through, and what a test compares the migrated database against. A change here needs a
new migration.

Each table that holds data about a person says so in `info["personal"]` (see `Personal`):
the privacy export and the retention purge are derived from those marks, so a new table is
covered by both the day it is added here, with no second list of table names to forget.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import (
    Boolean,
    Column,
    Date,
    DateTime,
    Float,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

metadata = MetaData()

CODE_LENGTH = 6  # a live session's join code
NAME_MAX = 100  # a name typed on a live session's join page


@dataclass(frozen=True)
class Personal:
    """How a table refers to a person, for subject access and retention.

    `who`: the column naming the person (`learner_id`, or `staff_number` where there is none).
    `label`: what the purge report calls its rows. `aged_by`: the column whose value says how
    old a row is, for `course purge` (None: purged by its own rule, or not at all).
    `only_when`: column -> values a row must have to be purged (a Finish request still waiting
    is not old, whatever its date). `secret`: columns an export withholds.
    """

    who: str
    label: str
    aged_by: str | None = None
    only_when: dict[str, tuple] = field(default_factory=dict)
    secret: tuple[str, ...] = ()
    # attempts (with their decisions, reflections and layouts) and learners have their own purge rule (by an attempt's
    # last activity; a learner once nothing else is left): privacy.purge handles them by name
    special: bool = False


def _personal(**kwargs) -> dict:
    return {"personal": Personal(**kwargs)}


# --- learners and their answers (course/records/store.py) -----------------------------------------
learners = Table(
    "learners",
    metadata,
    Column("learner_id", String(120), primary_key=True),
    Column("name", String(200), nullable=False, default=""),
    Column("staff_number", String(60), nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    # how the course knew who this is (migration 0004): "roster" (a code or secret of a person on the
    # staff list), "hub" (JupyterHub's sign-in), "self-declared" (a name and number, no staff list); None: before 0004
    Column("identity", String(20), nullable=True),
    info=_personal(who="learner_id", label="learners", special=True),
)

attempts = Table(
    "attempts",
    metadata,
    Column("learner_id", String(120), primary_key=True),
    Column("module_id", String(60), primary_key=True),
    Column("attempt", Integer, primary_key=True),
    Column("policy_version", String(40), nullable=False),
    Column("started_at", DateTime(timezone=True), nullable=False),
    Column("finished_at", DateTime(timezone=True), nullable=True),
    info=_personal(who="learner_id", label="attempts", special=True),
)

decisions = Table(
    "decisions",
    metadata,
    Column("learner_id", String(120), primary_key=True),
    Column("module_id", String(60), primary_key=True),
    Column("attempt", Integer, primary_key=True),
    Column("scenario_id", String(80), primary_key=True),
    Column("choice_id", String(8), nullable=False),
    Column("score", Float, nullable=False),
    Column("decided_at", DateTime(timezone=True), nullable=False),
    info=_personal(who="learner_id", label="decisions", special=True),
)

reflections = Table(
    "reflections",
    metadata,
    Column("learner_id", String(120), primary_key=True),
    Column("module_id", String(60), primary_key=True),
    Column("attempt", Integer, primary_key=True),
    Column("prompt_id", String(80), primary_key=True),
    Column("text", Text, nullable=False),
    Column("saved_at", DateTime(timezone=True), nullable=False),
    info=_personal(who="learner_id", label="reflections", special=True),
)

# what each attempt showed (course.assessment.layout): its items in order and each item's choice
# order, recorded when the attempt starts, so the marker and a manager's review see what was shown
# even after the content changes (migration 0003). Purged with its attempt.
attempt_layouts = Table(
    "attempt_layouts",
    metadata,
    Column("learner_id", String(120), primary_key=True),
    Column("module_id", String(60), primary_key=True),
    Column("attempt", Integer, primary_key=True),
    Column("policy_version", String(40), nullable=False),
    Column("layout", Text, nullable=False),  # JSON: {"key", "items": [...], "choices": {scenario: [...]}}
    Column("created_at", DateTime(timezone=True), nullable=False),
    info=_personal(who="learner_id", label="attempt layouts", special=True),
)

# --- grading: the log of what was graded, and the queue of Finish requests (course/records/grading.py)
gradings = Table(
    "gradings",
    metadata,
    Column("learner_id", String(120), primary_key=True),
    Column("module_id", String(60), primary_key=True),
    Column("fingerprint", String(64), nullable=False),
    Column("status", String(20), nullable=False),  # graded | needs review | not graded
    Column("score", Float, nullable=True),
    Column("max_score", Float, nullable=True),
    Column("needs_review", Boolean, nullable=False, default=False),
    Column("message", Text, nullable=False, default=""),
    Column("graded_at", DateTime(timezone=True), nullable=False),
    # JSON list: the critical items the marked attempt answered with a 0 (course.progress fails the mark)
    Column("critical_missed", Text, nullable=False, default="[]", server_default="[]"),
    # JSON: nbgrader's mark for each scenario of the marked attempt (course.grading.scenario_grades)
    Column("scenario_marks", Text, nullable=True),
    info=_personal(who="learner_id", label="grading log entries", aged_by="graded_at"),
)

grading_queue = Table(
    "grading_queue",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("learner_id", String(120), nullable=False),
    Column("module_id", String(60), nullable=False),
    Column("status", String(20), nullable=False),  # queued | running | done | failed
    Column("requested_at", DateTime(timezone=True), nullable=False),
    Column("started_at", DateTime(timezone=True), nullable=True),
    Column("finished_at", DateTime(timezone=True), nullable=True),
    Column("message", Text, nullable=False, default=""),
    info=_personal(
        who="learner_id", label="Finish requests", aged_by="requested_at", only_when={"status": ("done", "failed")}
    ),
)

# --- sign-in sessions (course/records/signin_tokens.py) ---------------------------------------------
sessions = Table(
    "sessions",
    metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("learner_id", String(120), nullable=False, index=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    Column("revoked_at", DateTime(timezone=True), nullable=True),
    # "signin" (a learner's pages) or "dashboard" (an LMS manager's dashboard): migration 0010
    Column("purpose", String(16), nullable=False, server_default="signin"),
    info=_personal(who="learner_id", label="sign-in sessions", aged_by="expires_at", secret=("token_hash",)),
)

# --- the staff list (course/records/roster.py); replaced by the next import, never purged ----------
staff = Table(
    "staff",
    metadata,
    Column("staff_number", String(60), primary_key=True),
    Column("learner_id", String(120), nullable=False, index=True),
    Column("name", String(200), nullable=False),
    Column("team", String(200), nullable=False),
    Column("role", String(200), nullable=False, default=""),
    Column("start_date", Date, nullable=True),
    Column("imported_at", DateTime(timezone=True), nullable=False),
    info=_personal(who="learner_id", label="staff list rows"),
)

# --- sign-in secrets of people on the staff list (course/records/credentials.py, migration 0004) -----
# Only argon2 hashes: a copy of the database lets nobody sign in. A new code replaces the old one
# (the reset); using it replaces the PIN or passphrase.
credentials = Table(
    "credentials",
    metadata,
    Column("learner_id", String(120), primary_key=True),
    Column("code_hash", String(200), nullable=True),  # the current one-time sign-in code, until used
    Column("code_expires_at", DateTime(timezone=True), nullable=True),
    Column("code_issued_at", DateTime(timezone=True), nullable=True),
    Column("secret_hash", String(200), nullable=True),  # the learner's PIN or passphrase
    Column("secret_set_at", DateTime(timezone=True), nullable=True),
    info=_personal(who="learner_id", label="sign-in credentials", secret=("code_hash", "secret_hash")),
)

# --- failed-attempt counters for sign-in, the dashboard password and the verification page
# (course/records/rate_limit.py, migration 0004); keys are hashed, so no person column
attempt_limits = Table(
    "attempt_limits",
    metadata,
    Column("key", String(64), primary_key=True),  # sha256 of "<kind>:<value>"
    Column("failures", Integer, nullable=False),
    Column("next_allowed_at", DateTime(timezone=True), nullable=False),
    Column("last_at", DateTime(timezone=True), nullable=False),
)

# --- the register of certificates (course/records/certificate_register.py) --------------------------
certificates = Table(
    "certificates",
    metadata,
    Column("certificate_id", String(40), primary_key=True),
    Column("learner_id", String(120), nullable=False, index=True),
    Column("staff_number", String(60), nullable=False, default=""),
    Column("name", String(200), nullable=False),
    Column("completed_on", Date, nullable=False),
    Column("policy_version", String(40), nullable=False),
    Column("modules", Text, nullable=False),  # JSON: [{id, title, passed_on, score, max_score, attended}]
    Column("score", Float, nullable=True),
    Column("max_score", Float, nullable=True),
    Column("minutes", Integer, nullable=False),
    Column("issued_at", DateTime(timezone=True), nullable=False),
    Column("identity", String(20), nullable=True),  # the learner's identity kind when issued (migration 0004)
    info=_personal(who="learner_id", label="certificates", aged_by="completed_on"),
)

# --- live group sessions (course/records/live.py) ----------------------------------------------------
live_sessions = Table(
    "live_sessions",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("join_code", String(CODE_LENGTH), nullable=False),
    Column("trainer_key_hash", String(64), nullable=False),
    Column("module_id", String(60), nullable=True),  # set when the session is a whole module
    Column("scenario_ids", Text, nullable=False),  # JSON list, in the order shown
    Column("current_index", Integer, nullable=False),
    Column("current_scenario", String(80), nullable=True),  # scenario_ids[current_index], for the vote's check
    Column("revealed", Boolean, nullable=False),  # the current scenario's answer is shown
    Column("revealed_ids", Text, nullable=False),  # JSON list: every scenario revealed so far
    Column("furthest_index", Integer, nullable=False),  # how far the session got (attendance counts on it)
    Column("version", Integer, nullable=False),  # +1 on every change: pollers and compare-and-swap
    Column("opened_at", DateTime(timezone=True), nullable=False),
    Column("closed_at", DateTime(timezone=True), nullable=True),
)
# a join code is unique among open sessions (closed ones may reuse it)
Index(
    "ix_live_sessions_open_code",
    live_sessions.c.join_code,
    unique=True,
    sqlite_where=live_sessions.c.closed_at.is_(None),
    postgresql_where=live_sessions.c.closed_at.is_(None),
)

# votes are anonymous (a hashed voter token): no person column, so no personal mark
live_votes = Table(
    "live_votes",
    metadata,
    Column("session_id", String(32), primary_key=True),
    Column("scenario_id", String(80), primary_key=True),
    Column("voter_hash", String(64), primary_key=True),
    Column("choice_id", String(8), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    sqlite_with_rowid=False,
)

live_attendance = Table(
    "live_attendance",
    metadata,
    Column("session_id", String(32), primary_key=True),
    Column(
        "person_key", String(140), primary_key=True
    ),  # "staff:<number>" or "name:<casefolded name>": one row a person
    Column("name", String(NAME_MAX), nullable=False),
    Column("staff_number", String(30), nullable=True),
    Column("joined_at", DateTime(timezone=True), nullable=False),  # to the minute
    # migration 0005: set only when the person joined signed in (their sign-in token checked)
    Column("learner_id", String(120), nullable=True),
    # the trainer ticked them as in the room at the end: only such rows count toward completion
    Column("confirmed_at", DateTime(timezone=True), nullable=True),
    Column("confirmed_by", String(120), nullable=True),  # the trainer's learner id (or hub user)
    sqlite_with_rowid=False,
    info=_personal(who="staff_number", label="live session attendances", aged_by="joined_at"),
)

# the voter tokens the server issued for a session (their SHA-256): a vote needs one of them.
# No person column, no time: a token cannot be matched to a name (migration 0005)
live_voters = Table(
    "live_voters",
    metadata,
    Column("session_id", String(32), primary_key=True),
    Column("voter_hash", String(64), primary_key=True),
    sqlite_with_rowid=False,
)

# --- who may run a live session: the learners a manager made trainers (migration 0005) -------------
trainers = Table(
    "trainers",
    metadata,
    Column("learner_id", String(120), primary_key=True),
    Column("granted_at", DateTime(timezone=True), nullable=False),
    info=_personal(who="learner_id", label="trainer roles"),
)

# --- trainer-led attendance recorded outside the live sessions (migration 0002) ---------------------
attendance = Table(
    "attendance",
    metadata,
    Column("learner_id", String(120), primary_key=True),
    Column("module_id", String(60), primary_key=True),  # a module id, or "all"
    Column("date", Date, primary_key=True),
    info=_personal(who="learner_id", label="trainer-led attendances", aged_by="date"),
)


# --- LTI 1.3 launches from an LMS and the marks sent back (course/records/lti.py, migration 0008) ----
# a login initiation's state (hashed) and nonce, until the launch uses them once or they expire;
# no person column: the LMS's login_hint is not kept
lti_logins = Table(
    "lti_logins",
    metadata,
    Column("state_hash", String(64), primary_key=True),
    Column("nonce", String(64), nullable=False),
    Column("issuer", String(255), nullable=False),
    Column("client_id", String(255), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
)

# the last launch of each learner into each module ("" for a link to the course home): whom the
# LMS knows them as (`sub`), where their mark goes (the AGS line item) and the role it gave
lti_links = Table(
    "lti_links",
    metadata,
    Column("learner_id", String(120), primary_key=True),
    Column("module_id", String(60), primary_key=True),
    Column("issuer", String(255), nullable=False),
    Column("client_id", String(255), nullable=False),
    Column("subject", String(255), nullable=False),
    Column("lineitem", Text, nullable=True),
    Column("role", String(20), nullable=False),  # learner | trainer | manager
    Column("launched_at", DateTime(timezone=True), nullable=False),
    info=_personal(who="learner_id", label="launches from a learning system", aged_by="launched_at"),
)

# one mark of record to send to the LMS: queued once per (learner, module, attempt)
lti_outbox = Table(
    "lti_outbox",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("learner_id", String(120), nullable=False),
    Column("module_id", String(60), nullable=False),
    Column("attempt", Integer, nullable=False),
    Column("issuer", String(255), nullable=False),
    Column("client_id", String(255), nullable=False),
    Column("subject", String(255), nullable=False),
    Column("lineitem", Text, nullable=False),
    Column("score_given", Float, nullable=False),
    Column("score_maximum", Float, nullable=False),
    Column("activity_progress", String(20), nullable=False),
    Column("grading_progress", String(20), nullable=False),
    Column("comment", Text, nullable=False, default=""),
    Column("timestamp", DateTime(timezone=True), nullable=False),
    Column("status", String(10), nullable=False),  # pending | sent | failed (refused: not retried)
    Column("tries", Integer, nullable=False, default=0),
    Column("next_try_at", DateTime(timezone=True), nullable=False),
    Column("sent_at", DateTime(timezone=True), nullable=True),
    Column("message", Text, nullable=False, default=""),
    UniqueConstraint("learner_id", "module_id", "attempt", name="uq_lti_outbox_attempt"),
    info=_personal(
        who="learner_id",
        label="marks for a learning system",
        aged_by="timestamp",
        only_when={"status": ("sent", "failed")},
    ),
)


# --- certificates the organisation withdrew (course/records/certificate_revocations.py, migration 0009) ---
# a separate fact beside the register, whose rows never change: a revoked certificate and its badge no
# longer verify; the reason is free text a manager typed, so it is the learner's data too
certificate_revocations = Table(
    "certificate_revocations",
    metadata,
    Column("certificate_id", String(40), primary_key=True),
    Column("learner_id", String(120), nullable=False, index=True),
    Column("revoked_at", DateTime(timezone=True), nullable=False),
    Column("reason", String(200), nullable=False, default=""),
    info=_personal(who="learner_id", label="certificate revocations", aged_by="revoked_at"),
)


def personal_tables() -> list[tuple[Table, Personal]]:
    """Every table holding data about a person, with how, in the order defined here (the order
    a purge reports them in)."""
    return [(t, t.info["personal"]) for t in metadata.tables.values() if "personal" in t.info]
