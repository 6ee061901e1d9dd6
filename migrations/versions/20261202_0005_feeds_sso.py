"""feeds and SSO: sync-run counts, file and message; the end reason "not in the source
system"; linked single sign-on identities

Revision ID: 20261202_0005
Revises: 0001
Create Date: 2026-12-02 01:40:00

`employment.end_reason` is a non-native enum (a VARCHAR(20) without a CHECK), so the new
value `not_in_source` needs no DDL; it is listed here so the schema history says when it
appeared.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "20261202_0005"
down_revision: str | None = "20261202_0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COUNTS = ("rows_created", "rows_updated", "rows_ended", "units_created")


def upgrade() -> None:
    op.create_table(
        "sso_identity",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("issuer", sa.String(length=200), nullable=False),
        sa.Column("subject", sa.String(length=200), nullable=False),
        sa.Column("teacher_id", sa.Integer(), nullable=False),
        sa.Column("linked_by", sa.String(length=20), nullable=False),
        sa.Column("linked_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["teacher_id"], ["teacher.id"], name=op.f("fk_sso_identity_teacher_id_teacher")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sso_identity")),
        sa.UniqueConstraint("issuer", "subject", name=op.f("uq_sso_identity_issuer_subject")),
    )
    with op.batch_alter_table("sso_identity", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_sso_identity_teacher_id"), ["teacher_id"])
    with op.batch_alter_table("sync_run", schema=None) as batch_op:
        for name in COUNTS:
            batch_op.add_column(sa.Column(name, sa.Integer(), nullable=False, server_default="0"))
        batch_op.add_column(
            sa.Column("file_name", sa.String(length=200), nullable=False, server_default="")
        )
        batch_op.add_column(
            sa.Column("message", sa.String(length=300), nullable=False, server_default="")
        )
        batch_op.create_index("ix_sync_run_feed_started", ["feed", "started_at"], unique=False)
    # The defaults only filled existing rows; the model supplies values from now on.
    with op.batch_alter_table("sync_run", schema=None) as batch_op:
        for name in (*COUNTS, "file_name", "message"):
            batch_op.alter_column(name, server_default=None)


def downgrade() -> None:
    with op.batch_alter_table("sso_identity", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sso_identity_teacher_id"))
    op.drop_table("sso_identity")
    with op.batch_alter_table("sync_run", schema=None) as batch_op:
        batch_op.drop_index("ix_sync_run_feed_started")
        for name in ("message", "file_name", *reversed(COUNTS)):
            batch_op.drop_column(name)
