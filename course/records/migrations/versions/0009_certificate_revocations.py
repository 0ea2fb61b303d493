"""Revoked certificates: a certificate (and its Open Badge) the organisation withdrew.

`certificate_revocations`: one row per revoked certificate id (course.records.certificate_revocations);
the register's rows are not changed, so revoking changes no certificate id.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "certificate_revocations",
        sa.Column("certificate_id", sa.String(40), primary_key=True),
        sa.Column("learner_id", sa.String(120), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reason", sa.String(200), nullable=False),
    )
    op.create_index("ix_certificate_revocations_learner_id", "certificate_revocations", ["learner_id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_certificate_revocations_learner_id", table_name="certificate_revocations")
    op.drop_table("certificate_revocations")
