"""The records store as the release before migrations made it (main at commit 72dc782).

That release created each table on first use, so one of its databases may lack the tables of
features nobody used yet. This revision therefore creates only the tables that are missing;
`course.records.migrate` first checks that the tables already there have exactly these
columns (then it is safe to call such a database revision 0001). The schema below is frozen:
never change it, add a revision instead.

Revision ID: 0001
Revises:
Create Date: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)


def schema() -> sa.MetaData:
    """The previous release's tables, columns, keys and indexes."""
    m = sa.MetaData()
    sa.Table(
        "learners",
        m,
        sa.Column("learner_id", sa.String(120), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("staff_number", sa.String(60), nullable=True),
        sa.Column("created_at", TZ, nullable=False),
    )
    sa.Table(
        "attempts",
        m,
        sa.Column("learner_id", sa.String(120), primary_key=True),
        sa.Column("module_id", sa.String(60), primary_key=True),
        sa.Column("attempt", sa.Integer, primary_key=True),
        sa.Column("policy_version", sa.String(40), nullable=False),
        sa.Column("started_at", TZ, nullable=False),
        sa.Column("finished_at", TZ, nullable=True),
    )
    sa.Table(
        "decisions",
        m,
        sa.Column("learner_id", sa.String(120), primary_key=True),
        sa.Column("module_id", sa.String(60), primary_key=True),
        sa.Column("attempt", sa.Integer, primary_key=True),
        sa.Column("scenario_id", sa.String(80), primary_key=True),
        sa.Column("choice_id", sa.String(8), nullable=False),
        sa.Column("score", sa.Float, nullable=False),
        sa.Column("decided_at", TZ, nullable=False),
    )
    sa.Table(
        "reflections",
        m,
        sa.Column("learner_id", sa.String(120), primary_key=True),
        sa.Column("module_id", sa.String(60), primary_key=True),
        sa.Column("attempt", sa.Integer, primary_key=True),
        sa.Column("prompt_id", sa.String(80), primary_key=True),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("saved_at", TZ, nullable=False),
    )
    sa.Table(
        "sessions",
        m,
        sa.Column("token_hash", sa.String(64), primary_key=True),
        sa.Column("learner_id", sa.String(120), nullable=False, index=True),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("expires_at", TZ, nullable=False),
        sa.Column("revoked_at", TZ, nullable=True),
    )
    sa.Table(
        "staff",
        m,
        sa.Column("staff_number", sa.String(60), primary_key=True),
        sa.Column("learner_id", sa.String(120), nullable=False, index=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("team", sa.String(200), nullable=False),
        sa.Column("role", sa.String(200), nullable=False),
        sa.Column("start_date", sa.Date, nullable=True),
        sa.Column("imported_at", TZ, nullable=False),
    )
    sa.Table(
        "certificates",
        m,
        sa.Column("certificate_id", sa.String(40), primary_key=True),
        sa.Column("learner_id", sa.String(120), nullable=False, index=True),
        sa.Column("staff_number", sa.String(60), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("completed_on", sa.Date, nullable=False),
        sa.Column("policy_version", sa.String(40), nullable=False),
        sa.Column("modules", sa.Text, nullable=False),
        sa.Column("score", sa.Float, nullable=True),
        sa.Column("max_score", sa.Float, nullable=True),
        sa.Column("minutes", sa.Integer, nullable=False),
        sa.Column("issued_at", TZ, nullable=False),
    )
    sa.Table(
        "gradings",
        m,
        sa.Column("learner_id", sa.String(120), primary_key=True),
        sa.Column("module_id", sa.String(60), primary_key=True),
        sa.Column("fingerprint", sa.String(64), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("score", sa.Float, nullable=True),
        sa.Column("max_score", sa.Float, nullable=True),
        sa.Column("needs_review", sa.Boolean, nullable=False),
        sa.Column("message", sa.Text, nullable=False),
        sa.Column("graded_at", TZ, nullable=False),
    )
    sa.Table(
        "grading_queue",
        m,
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("learner_id", sa.String(120), nullable=False),
        sa.Column("module_id", sa.String(60), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("requested_at", TZ, nullable=False),
        sa.Column("started_at", TZ, nullable=True),
        sa.Column("finished_at", TZ, nullable=True),
        sa.Column("message", sa.Text, nullable=False),
    )
    live = sa.Table(
        "live_sessions",
        m,
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("join_code", sa.String(6), nullable=False),
        sa.Column("trainer_key_hash", sa.String(64), nullable=False),
        sa.Column("module_id", sa.String(60), nullable=True),
        sa.Column("scenario_ids", sa.Text, nullable=False),
        sa.Column("current_index", sa.Integer, nullable=False),
        sa.Column("current_scenario", sa.String(80), nullable=True),
        sa.Column("revealed", sa.Boolean, nullable=False),
        sa.Column("revealed_ids", sa.Text, nullable=False),
        sa.Column("furthest_index", sa.Integer, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("opened_at", TZ, nullable=False),
        sa.Column("closed_at", TZ, nullable=True),
    )
    sa.Index(
        "ix_live_sessions_open_code",
        live.c.join_code,
        unique=True,
        sqlite_where=live.c.closed_at.is_(None),
        postgresql_where=live.c.closed_at.is_(None),
    )
    sa.Table(
        "live_votes",
        m,
        sa.Column("session_id", sa.String(32), primary_key=True),
        sa.Column("scenario_id", sa.String(80), primary_key=True),
        sa.Column("voter_hash", sa.String(64), primary_key=True),
        sa.Column("choice_id", sa.String(8), nullable=False),
        sa.Column("updated_at", TZ, nullable=False),
        sqlite_with_rowid=False,
    )
    sa.Table(
        "live_attendance",
        m,
        sa.Column("session_id", sa.String(32), primary_key=True),
        sa.Column("person_key", sa.String(140), primary_key=True),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("staff_number", sa.String(30), nullable=True),
        sa.Column("joined_at", TZ, nullable=False),
        sqlite_with_rowid=False,
    )
    return m


def upgrade() -> None:
    bind = op.get_bind()
    present = set(sa.inspect(bind).get_table_names())
    for table in schema().sorted_tables:
        if table.name not in present:
            table.create(bind)  # with its indexes


def downgrade() -> None:
    bind = op.get_bind()
    for table in reversed(schema().sorted_tables):
        table.drop(bind, checkfirst=True)
