"""Trainer-led sessions an inspector can trust: who may run one, who was there, who may vote.

- `trainers`: the learners a manager made trainers (`course roster grant-trainer STAFF`);
  only they (or, on a hub, members of COURSE_TRAINER_GROUP) can start a live session.
- `live_voters`: the voter tokens the server issued for a session (their SHA-256 only). A
  vote with a token not issued for that session is refused, so a forged or stale page cannot
  mint voters.
- `live_attendance` gains `learner_id` (set only when the person joined signed in),
  `confirmed_at` and `confirmed_by` (the trainer ticked them as in the room): only those rows
  count toward completion.

Revision ID: 0005
Revises: 0002
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "trainers",
        sa.Column("learner_id", sa.String(120), primary_key=True),
        sa.Column("granted_at", TZ, nullable=False),
    )
    op.create_table(
        "live_voters",
        sa.Column("session_id", sa.String(32), primary_key=True),
        sa.Column("voter_hash", sa.String(64), primary_key=True),
        sqlite_with_rowid=False,
    )
    with op.batch_alter_table("live_attendance") as batch:
        batch.add_column(sa.Column("learner_id", sa.String(120), nullable=True))
        batch.add_column(sa.Column("confirmed_at", TZ, nullable=True))
        batch.add_column(sa.Column("confirmed_by", sa.String(120), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("live_attendance") as batch:
        batch.drop_column("confirmed_by")
        batch.drop_column("confirmed_at")
        batch.drop_column("learner_id")
    op.drop_table("live_voters")
    op.drop_table("trainers")
