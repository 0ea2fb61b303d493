"""The grading log keeps nbgrader's mark for each scenario of the marked attempt.

`gradings.scenario_marks`: JSON, {"attempt": n, "items": [[scenario id, choice id or null, score,
max score], ...]} in the order the attempt showed them, written by the marker from nbgrader's
gradebook in the same statement as the mark (course.grading.scenario_grades). The learner's
review of a marked attempt (course.app.review) reads it from the records store, since a page
kernel never opens nbgrader's gradebook. Rows marked before this release get NULL: their review
shows the mark alone until they are marked again.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("gradings") as batch:
        batch.add_column(sa.Column("scenario_marks", sa.Text, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("gradings") as batch:
        batch.drop_column("scenario_marks")
