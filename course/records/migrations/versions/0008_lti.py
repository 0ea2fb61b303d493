"""LTI 1.3: launches from a learning system (LMS) and the marks sent back to it.

- `lti_logins`: a login initiation's state (hashed) and nonce, used once by the launch, short-lived;
- `lti_links`: per learner and module, whom the LMS knows them as, its line item and the role given;
- `lti_outbox`: the marks of record waiting to be sent (or sent) with LTI Assignment and Grade
  Services, one per learner, module and attempt.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "lti_logins",
        sa.Column("state_hash", sa.String(64), primary_key=True),
        sa.Column("nonce", sa.String(64), nullable=False),
        sa.Column("issuer", sa.String(255), nullable=False),
        sa.Column("client_id", sa.String(255), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "lti_links",
        sa.Column("learner_id", sa.String(120), primary_key=True),
        sa.Column("module_id", sa.String(60), primary_key=True),
        sa.Column("issuer", sa.String(255), nullable=False),
        sa.Column("client_id", sa.String(255), nullable=False),
        sa.Column("subject", sa.String(255), nullable=False),
        sa.Column("lineitem", sa.Text, nullable=True),
        sa.Column("role", sa.String(20), nullable=False),
        sa.Column("launched_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "lti_outbox",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("learner_id", sa.String(120), nullable=False),
        sa.Column("module_id", sa.String(60), nullable=False),
        sa.Column("attempt", sa.Integer, nullable=False),
        sa.Column("issuer", sa.String(255), nullable=False),
        sa.Column("client_id", sa.String(255), nullable=False),
        sa.Column("subject", sa.String(255), nullable=False),
        sa.Column("lineitem", sa.Text, nullable=False),
        sa.Column("score_given", sa.Float, nullable=False),
        sa.Column("score_maximum", sa.Float, nullable=False),
        sa.Column("activity_progress", sa.String(20), nullable=False),
        sa.Column("grading_progress", sa.String(20), nullable=False),
        sa.Column("comment", sa.Text, nullable=False),
        sa.Column("timestamp", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("tries", sa.Integer, nullable=False),
        sa.Column("next_try_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("message", sa.Text, nullable=False),
        sa.UniqueConstraint("learner_id", "module_id", "attempt", name="uq_lti_outbox_attempt"),
    )


def downgrade() -> None:
    op.drop_table("lti_outbox")
    op.drop_table("lti_links")
    op.drop_table("lti_logins")
