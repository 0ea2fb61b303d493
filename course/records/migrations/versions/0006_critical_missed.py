"""The grading log records which critical items a marked attempt answered with a 0.

`gradings.critical_missed`: a JSON list of scenario ids (course.assessment.marker). The progress
rule (course.progress) fails a mark that lists any, whatever its score. Rows marked before this
release get "[]": they were marked without the rule, and stay as they were.

Revision ID: 0006
Revises: 0002
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("gradings") as batch:
        batch.add_column(sa.Column("critical_missed", sa.Text, nullable=False, server_default="[]"))


def downgrade() -> None:
    with op.batch_alter_table("gradings") as batch:
        batch.drop_column("critical_missed")
