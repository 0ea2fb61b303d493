"""Sign-in secrets for people on the staff list, failed-attempt counters, and identity kinds.

- `credentials`: per learner, the argon2 hash of the current one-time sign-in code (with its
  expiry) and of the PIN or passphrase they chose with it;
- `attempt_limits`: failures per hashed key (a source address, an account) and when the next
  try is allowed: the backoff every page and kernel shares;
- `learners.identity` and `certificates.identity`: "roster", "hub" or "self-declared".

Revision ID: 0004
Revises: 0002
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "credentials",
        sa.Column("learner_id", sa.String(120), primary_key=True),
        sa.Column("code_hash", sa.String(200), nullable=True),
        sa.Column("code_expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("code_issued_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("secret_hash", sa.String(200), nullable=True),
        sa.Column("secret_set_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_table(
        "attempt_limits",
        sa.Column("key", sa.String(64), primary_key=True),
        sa.Column("failures", sa.Integer, nullable=False),
        sa.Column("next_allowed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_at", sa.DateTime(timezone=True), nullable=False),
    )
    with op.batch_alter_table("learners") as batch:
        batch.add_column(sa.Column("identity", sa.String(20), nullable=True))
    with op.batch_alter_table("certificates") as batch:
        batch.add_column(sa.Column("identity", sa.String(20), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("certificates") as batch:
        batch.drop_column("identity")
    with op.batch_alter_table("learners") as batch:
        batch.drop_column("identity")
    op.drop_table("attempt_limits")
    op.drop_table("credentials")
