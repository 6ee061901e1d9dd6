"""operator console: the overall period of each plan kind; announcements (最新消息)

Revision ID: 20261202_0009
Revises: 20261202_0007
Create Date: 2026-12-02 07:00:00

`cycle.status` already exists (draft, published, closed); nothing to add there.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "20261202_0009"
down_revision: str | None = "20261202_0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "plan_period",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("cycle_id", sa.Integer(), nullable=False),
        sa.Column(
            "plan_kind",
            sa.Enum("school", "teacher", name="plan_kind", native_enum=False, length=20),
            nullable=False,
        ),
        sa.Column("opens_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closes_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "closes_at > opens_at", name=op.f("ck_plan_period_period_closes_after_opens")
        ),
        sa.ForeignKeyConstraint(
            ["cycle_id"], ["cycle.id"], name=op.f("fk_plan_period_cycle_id_cycle")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_plan_period")),
        sa.UniqueConstraint(
            "cycle_id", "plan_kind", name=op.f("uq_plan_period_cycle_id_plan_kind")
        ),
    )
    op.create_table(
        "announcement",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=120), nullable=False),
        sa.Column("body", sa.String(length=4000), nullable=False),
        sa.Column("shows_from", sa.Date(), nullable=False),
        sa.Column("shows_until", sa.Date(), nullable=False),
        sa.Column(
            "audience",
            sa.Enum(
                "everyone",
                "schools",
                "teachers",
                name="announcement_audience",
                native_enum=False,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=80), nullable=False),
        sa.CheckConstraint(
            "shows_until >= shows_from", name=op.f("ck_announcement_shows_until_after_from")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_announcement")),
    )
    with op.batch_alter_table("announcement", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_announcement_shows_from"), ["shows_from"])


def downgrade() -> None:
    with op.batch_alter_table("announcement", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_announcement_shows_from"))
    op.drop_table("announcement")
    op.drop_table("plan_period")
