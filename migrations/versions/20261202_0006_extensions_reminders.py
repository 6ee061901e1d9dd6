"""extensions and reminders: bulk grants, revocation and the school concerned of an
extension; reminder batches and their recipients (催填)

Revision ID: 20261202_0006
Revises: 20261202_0005
Create Date: 2026-12-02 07:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "20261202_0006"
down_revision: str | None = "20261202_0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PLAN_KIND = sa.Enum("school", "teacher", name="plan_kind", native_enum=False, length=20)
STAGE = sa.Enum("K", "E", "J", "S", "V", "X", name="stage", native_enum=False, length=20)


def upgrade() -> None:
    op.create_table(
        "extension_batch",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("cycle_id", sa.Integer(), nullable=False),
        sa.Column("plan_kind", PLAN_KIND, nullable=False),
        sa.Column("county_code", sa.String(length=5), nullable=False),
        sa.Column("stage", STAGE, nullable=False),
        sa.Column("until", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reason", sa.String(length=200), nullable=False),
        sa.Column("school_count", sa.Integer(), nullable=False),
        sa.Column("granted_by_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["county_code"], ["county.code"], name=op.f("fk_extension_batch_county_code_county")
        ),
        sa.ForeignKeyConstraint(
            ["cycle_id"], ["cycle.id"], name=op.f("fk_extension_batch_cycle_id_cycle")
        ),
        sa.ForeignKeyConstraint(
            ["granted_by_id"],
            ["business_account.id"],
            name=op.f("fk_extension_batch_granted_by_id_business_account"),
        ),
        sa.ForeignKeyConstraint(
            ["revoked_by_id"],
            ["business_account.id"],
            name=op.f("fk_extension_batch_revoked_by_id_business_account"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_extension_batch")),
    )
    with op.batch_alter_table("extension_batch", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_extension_batch_cycle_id"), ["cycle_id"])

    with op.batch_alter_table("extension", schema=None) as batch_op:
        batch_op.add_column(sa.Column("concerns_school_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("batch_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("revoked_by_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_extension_concerns_school_id_school"),
            "school",
            ["concerns_school_id"],
            ["id"],
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_extension_batch_id_extension_batch"),
            "extension_batch",
            ["batch_id"],
            ["id"],
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_extension_revoked_by_id_business_account"),
            "business_account",
            ["revoked_by_id"],
            ["id"],
        )
        batch_op.create_index(batch_op.f("ix_extension_concerns_school_id"), ["concerns_school_id"])
        batch_op.create_index(batch_op.f("ix_extension_batch_id"), ["batch_id"])
    # Earlier grants: a school's concerns that school; a teacher's, the snapshot school.
    op.execute("UPDATE extension SET concerns_school_id = school_id WHERE school_id IS NOT NULL")
    op.execute(
        "UPDATE extension SET concerns_school_id = (SELECT roster_snapshot.school_id "
        "FROM roster_snapshot WHERE roster_snapshot.cycle_id = extension.cycle_id "
        "AND roster_snapshot.teacher_id = extension.teacher_id) WHERE teacher_id IS NOT NULL"
    )

    op.create_table(
        "reminder_batch",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("cycle_id", sa.Integer(), nullable=False),
        sa.Column("plan_kind", PLAN_KIND, nullable=False),
        sa.Column("school_id", sa.Integer(), nullable=True),
        sa.Column("county_code", sa.String(length=5), nullable=True),
        sa.Column("stage", STAGE, nullable=True),
        sa.Column("sent_by_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("sent", sa.Integer(), nullable=False),
        sa.Column("failed", sa.Integer(), nullable=False),
        sa.Column("skipped_today", sa.Integer(), nullable=False),
        sa.Column("skipped_no_email", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["county_code"], ["county.code"], name=op.f("fk_reminder_batch_county_code_county")
        ),
        sa.ForeignKeyConstraint(
            ["cycle_id"], ["cycle.id"], name=op.f("fk_reminder_batch_cycle_id_cycle")
        ),
        sa.ForeignKeyConstraint(
            ["school_id"], ["school.id"], name=op.f("fk_reminder_batch_school_id_school")
        ),
        sa.ForeignKeyConstraint(
            ["sent_by_id"],
            ["business_account.id"],
            name=op.f("fk_reminder_batch_sent_by_id_business_account"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reminder_batch")),
    )
    with op.batch_alter_table("reminder_batch", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_reminder_batch_cycle_id"), ["cycle_id"])
        batch_op.create_index(batch_op.f("ix_reminder_batch_school_id"), ["school_id"])
        batch_op.create_index(batch_op.f("ix_reminder_batch_county_code"), ["county_code"])

    op.create_table(
        "reminder_recipient",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("batch_id", sa.Integer(), nullable=False),
        sa.Column("recipient_kind", sa.String(length=10), nullable=False),
        sa.Column("recipient_id", sa.Integer(), nullable=False),
        sa.Column("school_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("reason", sa.String(length=20), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("once_key", sa.String(length=60), nullable=True),
        sa.ForeignKeyConstraint(
            ["batch_id"],
            ["reminder_batch.id"],
            name=op.f("fk_reminder_recipient_batch_id_reminder_batch"),
        ),
        sa.ForeignKeyConstraint(
            ["school_id"], ["school.id"], name=op.f("fk_reminder_recipient_school_id_school")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reminder_recipient")),
        sa.UniqueConstraint("once_key", name=op.f("uq_reminder_recipient_once_key")),
    )
    with op.batch_alter_table("reminder_recipient", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_reminder_recipient_batch_id"), ["batch_id"])
        batch_op.create_index(
            "ix_reminder_recipient_who_day", ["recipient_kind", "recipient_id", "day"]
        )


def downgrade() -> None:
    with op.batch_alter_table("reminder_recipient", schema=None) as batch_op:
        batch_op.drop_index("ix_reminder_recipient_who_day")
        batch_op.drop_index(batch_op.f("ix_reminder_recipient_batch_id"))
    op.drop_table("reminder_recipient")
    with op.batch_alter_table("reminder_batch", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_reminder_batch_county_code"))
        batch_op.drop_index(batch_op.f("ix_reminder_batch_school_id"))
        batch_op.drop_index(batch_op.f("ix_reminder_batch_cycle_id"))
    op.drop_table("reminder_batch")
    with op.batch_alter_table("extension", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_extension_batch_id"))
        batch_op.drop_index(batch_op.f("ix_extension_concerns_school_id"))
        batch_op.drop_constraint(
            batch_op.f("fk_extension_revoked_by_id_business_account"), type_="foreignkey"
        )
        batch_op.drop_constraint(
            batch_op.f("fk_extension_batch_id_extension_batch"), type_="foreignkey"
        )
        batch_op.drop_constraint(
            batch_op.f("fk_extension_concerns_school_id_school"), type_="foreignkey"
        )
        batch_op.drop_column("revoked_by_id")
        batch_op.drop_column("revoked_at")
        batch_op.drop_column("batch_id")
        batch_op.drop_column("concerns_school_id")
    with op.batch_alter_table("extension_batch", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_extension_batch_cycle_id"))
    op.drop_table("extension_batch")
