"""What each attempt showed: its items in order and each item's choice order (attempt_layouts).

A bank module draws a different set per attempt and every module shuffles its choices per
learner and attempt (course.assessment.layout); the layout is recorded when the attempt starts,
so the marker and a manager's review know what was shown. Attempts made before this revision
have no row: their layout is recomputed from the key (the same pure function) when asked.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "attempt_layouts",
        sa.Column("learner_id", sa.String(120), primary_key=True),
        sa.Column("module_id", sa.String(60), primary_key=True),
        sa.Column("attempt", sa.Integer, primary_key=True),
        sa.Column("policy_version", sa.String(40), nullable=False),
        sa.Column("layout", sa.Text, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("attempt_layouts")
