"""business accounts, courses and the audit view: job title, course dates, audit school

Revision ID: 20261202_0003
Revises: 0001
Create Date: 2026-12-02 01:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "20261202_0003"
down_revision: str | None = "20261202_0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("business_account", schema=None) as batch_op:
        batch_op.add_column(sa.Column("job_title", sa.String(length=40), nullable=True))
    with op.batch_alter_table("course", schema=None) as batch_op:
        batch_op.add_column(sa.Column("starts_on", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("ends_on", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("hours", sa.Integer(), nullable=True))
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.add_column(sa.Column("school_id", sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f("ix_audit_log_school_id"), ["school_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_audit_log_school_id"))
        batch_op.drop_column("school_id")
    with op.batch_alter_table("course", schema=None) as batch_op:
        batch_op.drop_column("hours")
        batch_op.drop_column("ends_on")
        batch_op.drop_column("starts_on")
    with op.batch_alter_table("business_account", schema=None) as batch_op:
        batch_op.drop_column("job_title")
