"""Trainer-led attendance recorded outside the live sessions: learner, module (or "all"), date.

The previous release read such a table when a provider had made one by hand (the reports
and the purge looked for it). Now it is part of the schema: created when missing; one made by
hand is kept, with its rows, when it has the three columns the course reads.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

COLUMNS = {"learner_id", "module_id", "date"}


def upgrade() -> None:
    bind = op.get_bind()
    inspector = sa.inspect(bind)
    if inspector.has_table("attendance"):
        found = {c["name"] for c in inspector.get_columns("attendance")}
        if not found >= COLUMNS:
            raise RuntimeError(
                f"the records store has an 'attendance' table without the columns "
                f"{', '.join(sorted(COLUMNS - found))}: rename it, then run `course db upgrade` again"
            )
        return
    op.create_table(
        "attendance",
        sa.Column("learner_id", sa.String(120), primary_key=True),
        sa.Column("module_id", sa.String(60), primary_key=True),
        sa.Column("date", sa.Date, primary_key=True),
    )


def downgrade() -> None:
    op.drop_table("attendance")
