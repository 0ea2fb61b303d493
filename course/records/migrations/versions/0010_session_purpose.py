"""What a sign-in session is for: a learner's pages ("signin") or the manager dashboard ("dashboard").

An LMS Administrator's LTI launch on `course serve` opens the dashboard with a session of its
own kind (course.server.manager_session): a dashboard session signs nobody in to the learner
pages, and a learner's session opens no dashboard. Rows from before this revision are "signin".

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("sessions") as batch:
        batch.add_column(sa.Column("purpose", sa.String(16), nullable=False, server_default="signin"))


def downgrade() -> None:
    with op.batch_alter_table("sessions") as batch:
        batch.drop_column("purpose")
