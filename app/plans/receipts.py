"""The receipt of a submission, submission numbers, and whom to ask for an extension.

A plan's ``version`` column is its optimistic lock: every autosave, save, reopen and
submit moves it. People count submissions instead: ``PlanVersion`` keeps one row per
submit, and a submission's number is its place among its plan's rows (第 2 次送出).

A receipt reference names one submission and never changes: ``T113-000042-2-K`` is the
teacher plan (``S`` a school plan) of cycle 113, plan id 42, second submission, and a
check letter that catches a mistyped or misheard digit when someone quotes it to the
helpdesk. It is derived from stored facts only (no key): the same submission prints the
same reference on screen, on the dashboard and in the PDF, today and next year.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select

from app import timeutil
from app.extensions import db
from app.models import (
    AccountGrant,
    AccountStatus,
    AccountType,
    BusinessAccount,
    PlanKind,
    PlanVersion,
)

KIND_LETTERS = {PlanKind.TEACHER: "T", PlanKind.SCHOOL: "S"}
# Letters that are not easily misread for digits or each other (no I, O, Q).
CHECK_LETTERS = "ABCDEFGHJKLMNPRSTUVWXYZ"


def check_letter(payload: str) -> str:
    """A check letter over the payload's characters: any one changed character, and any
    two adjacent ones swapped, give another letter."""
    total = 0
    for position, char in enumerate(payload, start=1):
        total += position * (ord(char) if not char.isdigit() else int(char) + 1)
    return CHECK_LETTERS[total % len(CHECK_LETTERS)]


def reference(kind: PlanKind, academic_year: int, plan_id: int, number: int) -> str:
    """The receipt reference of submission ``number`` of a plan: T113-000042-2-K."""
    payload = f"{KIND_LETTERS[kind]}{academic_year}-{plan_id:06d}-{number}"
    return f"{payload}-{check_letter(payload)}"


@dataclass(frozen=True)
class Receipt:
    """One submission as the person who made it is told about it."""

    kind: PlanKind
    academic_year: int
    plan_id: int
    number: int  # 第 N 次送出
    version: int  # the lock counter the submission was kept at (the history's URLs)
    submitted_at: datetime
    submitted_by: str

    @property
    def reference(self) -> str:
        return reference(self.kind, self.academic_year, self.plan_id, self.number)

    def printed(self) -> dict[str, Any]:
        """The receipt block of the PDF, as plain data (the PDFs are zh-TW)."""
        return {
            "reference": self.reference,
            "number": self.number,
            "submitted_at": timeutil.roc_datetime(self.submitted_at),
            "submitted_by": self.submitted_by,
        }


def _number_of(kind: PlanKind, plan_id: int, version: int) -> int:
    return int(
        db.session.scalar(
            select(func.count(PlanVersion.id)).where(
                PlanVersion.plan_kind == kind,
                PlanVersion.plan_id == plan_id,
                PlanVersion.version <= version,
            )
        )
        or 0
    )


def receipt_of(version: PlanVersion, academic_year: int, number: int | None = None) -> Receipt:
    """The receipt of one kept submission (its number counted unless given)."""
    kind = PlanKind(version.plan_kind)
    if number is None:
        number = _number_of(kind, version.plan_id, version.version)
    return Receipt(
        kind,
        academic_year,
        version.plan_id,
        number,
        version.version,
        version.submitted_at,
        version.submitted_by,
    )


def latest_receipt(kind: PlanKind, plan_id: int | None, academic_year: int) -> Receipt | None:
    """The receipt of the plan's latest submission, or None when it was never submitted."""
    if plan_id is None:
        return None
    row = db.session.execute(
        select(PlanVersion, func.count().over())
        .where(PlanVersion.plan_kind == kind, PlanVersion.plan_id == plan_id)
        .order_by(PlanVersion.version.desc())
        .limit(1)
    ).first()
    if row is None:
        return None
    version, count = row
    return receipt_of(version, academic_year, number=int(count))


def numbers_of(versions: list[PlanVersion]) -> dict[int, int]:
    """Submission numbers by kept version, for all of one plan's versions (any order)."""
    ordered = sorted(version.version for version in versions)
    return {kept: number for number, kept in enumerate(ordered, start=1)}


@dataclass(frozen=True)
class Contact:
    """Whom a teacher asks about an extension: the school's planning contact."""

    name: str
    job_title: str
    phone: str
    email: str


def planning_contact(school_id: int) -> Contact | None:
    """The school's first active 進修規劃 business account, or None when it has none."""
    account = db.session.scalar(
        select(BusinessAccount)
        .join(AccountGrant, AccountGrant.account_id == BusinessAccount.id)
        .where(
            BusinessAccount.school_id == school_id,
            BusinessAccount.status == AccountStatus.ACTIVE,
            AccountGrant.type == AccountType.PLANNING,
        )
        .order_by(BusinessAccount.id)
        .limit(1)
    )
    if account is None:
        return None
    return Contact(account.name, account.job_title or "", account.phone or "", account.email or "")
