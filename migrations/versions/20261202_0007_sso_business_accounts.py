"""single sign-on for business accounts: an SSO identity links to a teacher or to a
business account (exactly one), told apart by its realm

Revision ID: 20261202_0007
Revises: 20261202_0006
Create Date: 2026-12-02 07:00:00

Existing links are all teachers' (realm "teacher"). The unique (issuer, subject) becomes
unique (issuer, subject, realm): the same identity may link one teacher and one business
account, never two of either; a business account links at most one identity.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "20261202_0007"
down_revision: str | None = "20261202_0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ONE_OWNER = "(teacher_id IS NULL) <> (business_account_id IS NULL)"
REALM_MATCHES = (
    "(realm = 'teacher' AND teacher_id IS NOT NULL)"
    " OR (realm = 'school' AND business_account_id IS NOT NULL)"
)


def upgrade() -> None:
    with op.batch_alter_table("sso_identity", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("realm", sa.String(length=10), nullable=False, server_default="teacher")
        )
        batch_op.add_column(sa.Column("business_account_id", sa.Integer(), nullable=True))
        batch_op.alter_column("teacher_id", existing_type=sa.Integer(), nullable=True)
        batch_op.drop_constraint(batch_op.f("uq_sso_identity_issuer_subject"), type_="unique")
        batch_op.create_unique_constraint(
            batch_op.f("uq_sso_identity_issuer_subject_realm"), ["issuer", "subject", "realm"]
        )
        batch_op.create_unique_constraint(
            batch_op.f("uq_sso_identity_business_account_id"), ["business_account_id"]
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_sso_identity_business_account_id_business_account"),
            "business_account",
            ["business_account_id"],
            ["id"],
        )
        batch_op.create_check_constraint(batch_op.f("ck_sso_identity_one_owner"), ONE_OWNER)
        batch_op.create_check_constraint(
            batch_op.f("ck_sso_identity_realm_matches"), REALM_MATCHES
        )
    # The default only filled existing rows; the model supplies the realm from now on.
    with op.batch_alter_table("sso_identity", schema=None) as batch_op:
        batch_op.alter_column("realm", existing_type=sa.String(length=10), server_default=None)


def downgrade() -> None:
    # Business accounts' links cannot live in the old table: they are dropped.
    op.execute("DELETE FROM sso_identity WHERE business_account_id IS NOT NULL")
    with op.batch_alter_table("sso_identity", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_sso_identity_realm_matches"), type_="check")
        batch_op.drop_constraint(batch_op.f("ck_sso_identity_one_owner"), type_="check")
        batch_op.drop_constraint(
            batch_op.f("fk_sso_identity_business_account_id_business_account"),
            type_="foreignkey",
        )
        batch_op.drop_constraint(
            batch_op.f("uq_sso_identity_business_account_id"), type_="unique"
        )
        batch_op.drop_constraint(
            batch_op.f("uq_sso_identity_issuer_subject_realm"), type_="unique"
        )
        batch_op.create_unique_constraint(
            batch_op.f("uq_sso_identity_issuer_subject"), ["issuer", "subject"]
        )
        batch_op.alter_column("teacher_id", existing_type=sa.Integer(), nullable=False)
        batch_op.drop_column("business_account_id")
        batch_op.drop_column("realm")
