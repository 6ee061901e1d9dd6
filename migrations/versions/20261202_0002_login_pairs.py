"""login pairs: lock (account, client) pairs, not accounts

Revision ID: 20261202_0002
Revises: 0001
Create Date: 2026-12-02 01:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "20261202_0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "login_pair",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("realm", sa.String(length=10), nullable=False),
        sa.Column("subject", sa.String(length=80), nullable=False),
        sa.Column("client", sa.String(length=64), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_login_pair")),
        sa.UniqueConstraint("subject", "client", name=op.f("uq_login_pair_subject_client")),
    )
    with op.batch_alter_table("login_attempt") as batch:
        batch.add_column(
            sa.Column("locked_pair", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    op.create_index("ix_login_attempt_subject_at", "login_attempt", ["subject", "at"])


def downgrade() -> None:
    op.drop_index("ix_login_attempt_subject_at", table_name="login_attempt")
    with op.batch_alter_table("login_attempt") as batch:
        batch.drop_column("locked_pair")
    op.drop_table("login_pair")
