"""Business accounts of a school: applying, activating, types, disabling, soft deletion.

Every change goes through one of the services below. Each checks who may make it (the
policy's `account.manage` scope, then the chief-type rule: only the regional centre, or
the operator, grants or removes 總負責人 and activates, disables or deletes a chief
account), keeps the school's last active chief, flushes, writes the audit entry and
announces `events.account_changed`. Services never commit.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import Select, func, select

from app import audit, events, policy
from app.extensions import db
from app.models import (
    COURSE_STATUS_LABELS,
    AccountGrant,
    AccountKind,
    AccountStatus,
    AccountType,
    BusinessAccount,
    Course,
    CourseStatus,
    School,
)
from app.passwords import password_problem
from app.policy import Role
from app.security import hash_password

USERNAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{3,39}$")
EMAIL_PATTERN = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s.]+$")
PHONE_PATTERN = re.compile(r"^[0-9+()#\- ]+$")

# The account types in the order every page lists them.
TYPE_ORDER = [AccountType.CHIEF, AccountType.ROSTER, AccountType.PLANNING, AccountType.COURSES]
STATUS_ORDER = {
    AccountStatus.APPLIED: 0,
    AccountStatus.ACTIVE: 1,
    AccountStatus.DISABLED: 2,
    AccountStatus.DELETED: 3,
}


class Refused(Exception):
    """A change the rules do not allow; `message` says why in zh-TW, `field` where."""

    def __init__(
        self, message: str, *, field: str | None = None, courses: Sequence[Course] = ()
    ) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.courses = list(courses)


@dataclass
class Application:
    """What an applicant typed (already checked for form, not yet for the rules)."""

    school: School
    username: str
    name: str
    job_title: str
    email: str
    phone: str
    types: set[AccountType] = field(default_factory=set)
    password: str = ""


# ---- reading -------------------------------------------------------------------------------


def find_by_username(username: str) -> BusinessAccount | None:
    """The account with this username, whatever its case (usernames are case-insensitive)."""
    return db.session.scalar(
        select(BusinessAccount).where(
            func.lower(BusinessAccount.username) == username.strip().lower()
        )
    )


def search_schools(text: str, limit: int = 10) -> list[School]:
    """Schools whose name contains the text or whose MOE code starts with it."""
    text = text.strip()
    if not text:
        return []
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    query = (
        select(School)
        .where(
            School.name.contains(escaped, autoescape=False, escape="\\")
            | School.code.startswith(escaped, autoescape=False, escape="\\")
        )
        .order_by(School.code)
        .limit(limit)
    )
    return list(db.session.scalars(query))


def accounts_of_school(school_id: int) -> list[BusinessAccount]:
    """A school's business accounts: pending applications first, deleted ones last."""
    accounts = db.session.scalars(
        select(BusinessAccount).where(
            BusinessAccount.kind == AccountKind.SCHOOL, BusinessAccount.school_id == school_id
        )
    ).all()
    return sorted(accounts, key=lambda a: (STATUS_ORDER[a.status], a.username.lower()))


def accounts_in_scope(user: Any) -> Select[BusinessAccount]:
    """The school business accounts of the schools in this user's scope."""
    schools = policy.schools_in_scope(user).with_only_columns(School.id)
    return select(BusinessAccount).where(
        BusinessAccount.kind == AccountKind.SCHOOL, BusinessAccount.school_id.in_(schools)
    )


def active_chiefs(school_id: int, *, except_id: int | None = None) -> int:
    """How many active chief accounts the school has (leaving one account out)."""
    query = (
        select(func.count(BusinessAccount.id))
        .join(AccountGrant, AccountGrant.account_id == BusinessAccount.id)
        .where(
            BusinessAccount.school_id == school_id,
            BusinessAccount.status == AccountStatus.ACTIVE,
            AccountGrant.type == AccountType.CHIEF,
        )
    )
    if except_id is not None:
        query = query.where(BusinessAccount.id != except_id)
    return db.session.scalar(query) or 0


def open_courses_of(account: BusinessAccount) -> list[Course]:
    """Courses the account registered whose list is not yet confirmed (名單確認通過)."""
    return list(
        db.session.scalars(
            select(Course)
            .where(
                Course.registered_by_id == account.id,
                Course.status != CourseStatus.LIST_CONFIRMED,
            )
            .order_by(Course.id)
        )
    )


def centre_name(school: School) -> str:
    """The regional centre of the school's county, by name (e.g. 南區區管中心)."""
    return _("%(region)s區管中心", region=school.county.region.name)


def activator_of(school: School, types: Iterable[AccountType]) -> str:
    """Who activates an application: the regional centre for a chief, else the chief."""
    if AccountType.CHIEF in set(types):
        return centre_name(school)
    return _("%(school)s的總負責人", school=school.name)


def type_labels(types: Iterable[AccountType]) -> list[str]:
    """The zh-TW labels of account types, in the usual order."""
    from app.models import ACCOUNT_TYPE_LABELS

    chosen = set(types)
    return [_(ACCOUNT_TYPE_LABELS[t]) for t in TYPE_ORDER if t in chosen]


# ---- checks --------------------------------------------------------------------------------


def username_problem(username: str) -> str | None:
    """Why a username cannot be had (format, or taken in any case), or None."""
    if not USERNAME_PATTERN.match(username):
        return _("帳號需為 4 至 40 個英文字母、數字或 . _ -，並以英文字母或數字開頭。")
    if find_by_username(username) is not None:
        return _("這個帳號已有人使用（不分大小寫），請換一個。")
    return None


def email_problem(email: str) -> str | None:
    """Why an e-mail address is refused, or None."""
    if len(email) > 120:
        return _("電子郵件最多 120 個字元。")
    if not EMAIL_PATTERN.match(email):
        return _("電子郵件格式不正確，例如 name@school.edu.tw。")
    return None


def phone_problem(phone: str) -> str | None:
    """Why a phone number is refused, or None (digits, with + - ( ) # and spaces)."""
    if len(phone) > 30:
        return _("電話最多 30 個字元。")
    digits = sum(ch.isdigit() for ch in phone)
    if not PHONE_PATTERN.match(phone) or digits < 7:
        return _("電話格式不正確，例如 07-1234567#123 或 0912345678。")
    return None


def _state(account: BusinessAccount) -> dict[str, Any]:
    return {
        "status": str(account.status),
        "types": [str(t) for t in TYPE_ORDER if t in account.types],
    }


def _refuse_unless_may(actor: Any, account: BusinessAccount) -> None:
    if not policy.may(actor, "account.manage", account):
        raise Refused(_("您沒有管理這個帳號的權限。"))


def _chief_rule(actor: Any, account: BusinessAccount, touches_chief: bool) -> None:
    """Only the regional centre (or the operator) handles the chief type and chief accounts."""
    roles = policy.roles_of(actor)
    if Role.OPERATOR in roles:
        return
    if Role.REGION in roles:
        if not touches_chief:
            raise Refused(_("區管中心只管理總負責人帳號；其他業務帳號由學校的總負責人管理。"))
        return
    if touches_chief:
        school = account.school
        centre = centre_name(school) if school is not None else _("區管中心")
        raise Refused(
            _(
                "總負責人帳號的啟用、停用、刪除，以及總負責人類別的授予、變更或移除，"
                "只能由%(centre)s辦理；請洽%(centre)s。",
                centre=centre,
            )
        )


def _keep_a_chief(account: BusinessAccount) -> None:
    """Refuse to take away the school's last active chief (the school row is locked)."""
    if account.school_id is None:
        return
    # Lock the school: changes to its chiefs queue here, so two requests cannot each
    # remove "one of two" chiefs. (SQLite serialises writers; FOR UPDATE is a no-op there.)
    db.session.execute(
        select(School.id).where(School.id == account.school_id).with_for_update()
    ).all()
    db.session.refresh(account)
    if account.status != AccountStatus.ACTIVE or AccountType.CHIEF not in account.types:
        return
    if active_chiefs(account.school_id, except_id=account.id) == 0:
        raise Refused(
            _(
                "每所學校至少要有一個啟用中的總負責人帳號："
                "這是本校最後一個總負責人，不能停用、刪除或移除其總負責人類別。"
                "請先由區管中心啟用另一位總負責人。"
            )
        )


def _record(
    actor: Any,
    account: BusinessAccount,
    change: str,
    before: dict[str, Any] | None,
    *,
    chief_matter: bool,
) -> None:
    kind = "chief" if chief_matter else "account"
    audit.record(
        f"{kind}.{change}",
        "business_account",
        account.id,
        before=before,
        after=_state(account),
        actor=actor,
        school_id=account.school_id,
    )
    events.announce(events.account_changed, account.id, change=change)


# ---- changes -------------------------------------------------------------------------------


def apply(application: Application) -> BusinessAccount:
    """Create an account in status *applied* (it cannot sign in until it is activated)."""
    problem = username_problem(application.username)
    if problem:
        raise Refused(problem, field="username")
    problem = password_problem(application.password, personal=(application.username,))
    if problem:
        raise Refused(problem, field="password")
    if not application.types:
        raise Refused(_("請至少選擇一種帳號類別。"), field="types")
    account = BusinessAccount(
        username=application.username,
        name=application.name,
        job_title=application.job_title,
        email=application.email,
        phone=application.phone,
        kind=AccountKind.SCHOOL,
        school_id=application.school.id,
        status=AccountStatus.APPLIED,
        password_hash=hash_password(application.password),
    )
    account.grants = [AccountGrant(type=t) for t in TYPE_ORDER if t in application.types]
    db.session.add(account)
    db.session.flush()
    chief = AccountType.CHIEF in application.types
    _record(account, account, "applied", None, chief_matter=chief)
    return account


def _checked(actor: Any, account: BusinessAccount) -> bool:
    """Refuse an actor who may not change this account (or its chief matter); say whether
    the account is a chief's."""
    _refuse_unless_may(actor, account)
    chief = AccountType.CHIEF in account.types
    _chief_rule(actor, account, chief)
    return chief


def _set_status(
    actor: Any,
    account: BusinessAccount,
    status: AccountStatus,
    action: str,
    *,
    chief: bool,
    end_sessions: bool = False,
) -> BusinessAccount:
    """Move the account to `status`, end its sessions if asked, and record the change."""
    before = _state(account)
    account.status = status
    if end_sessions:
        account.rotate_session_token()
    db.session.flush()
    _record(actor, account, action, before, chief_matter=chief)
    return account


def activate(actor: Any, account: BusinessAccount) -> BusinessAccount:
    """Activate an application: from now on the holder can sign in."""
    chief = _checked(actor, account)
    if account.status != AccountStatus.APPLIED:
        raise Refused(_("只有申請中的帳號可以啟用。"))
    return _set_status(actor, account, AccountStatus.ACTIVE, "activated", chief=chief)


def set_types(actor: Any, account: BusinessAccount, types: set[AccountType]) -> BusinessAccount:
    """Give the account exactly these types (at least one)."""
    _refuse_unless_may(actor, account)
    if not types:
        raise Refused(_("請至少選擇一種帳號類別。"), field="types")
    old = account.types
    if account.status == AccountStatus.DELETED:
        raise Refused(_("已刪除的帳號不能再變更。"))
    chief_changes = (AccountType.CHIEF in old) != (AccountType.CHIEF in types)
    roles = policy.roles_of(actor)
    if Role.REGION in roles:
        _chief_rule(actor, account, AccountType.CHIEF in old | types)
    else:
        _chief_rule(actor, account, chief_changes)
    if old == types:
        return account
    if AccountType.CHIEF in old and AccountType.CHIEF not in types:
        _keep_a_chief(account)
    before = _state(account)
    kept = [g for g in account.grants if g.type in types]
    added = [AccountGrant(type=t) for t in TYPE_ORDER if t in types and t not in old]
    account.grants = kept + added
    db.session.flush()
    _record(actor, account, "types", before, chief_matter=AccountType.CHIEF in old | types)
    return account


def disable(actor: Any, account: BusinessAccount) -> BusinessAccount:
    """Disable an active account; its open sessions end at once."""
    chief = _checked(actor, account)
    if account.status != AccountStatus.ACTIVE:
        raise Refused(_("只有啟用中的帳號可以停用。"))
    _keep_a_chief(account)
    return _set_status(
        actor, account, AccountStatus.DISABLED, "disabled", chief=chief, end_sessions=True
    )


def enable(actor: Any, account: BusinessAccount) -> BusinessAccount:
    """Re-enable a disabled account."""
    chief = _checked(actor, account)
    if account.status != AccountStatus.DISABLED:
        raise Refused(_("只有已停用的帳號可以重新啟用。"))
    return _set_status(actor, account, AccountStatus.ACTIVE, "enabled", chief=chief)


def delete(actor: Any, account: BusinessAccount) -> BusinessAccount:
    """Delete softly: the account can no longer sign in; its name stays in the trail."""
    chief = _checked(actor, account)
    if account.status == AccountStatus.DELETED:
        raise Refused(_("這個帳號已刪除。"))
    courses = open_courses_of(account)
    if courses:
        listed = "、".join(
            f"「{course.title}」（{_(COURSE_STATUS_LABELS[course.status])}）" for course in courses
        )
        raise Refused(
            _(
                "這個帳號登錄的研習課程尚未全部「名單確認通過」，不能刪除：%(courses)s。",
                courses=listed,
            ),
            courses=courses,
        )
    _keep_a_chief(account)
    return _set_status(
        actor, account, AccountStatus.DELETED, "deleted", chief=chief, end_sessions=True
    )


def update_contact(
    account: BusinessAccount, *, job_title: str, email: str, phone: str
) -> BusinessAccount:
    """The holder's own contact data; name and username never change."""
    changed = [
        name
        for name, value in (("job_title", job_title), ("email", email), ("phone", phone))
        if (getattr(account, name) or "") != value
    ]
    if not changed:
        return account
    account.job_title, account.email, account.phone = job_title, email, phone
    db.session.flush()
    # Contact data is personal: the trail says which fields changed, not their values.
    audit.record(
        "account.contact",
        "business_account",
        account.id,
        after={"changed": changed},
        actor=account,
        school_id=account.school_id,
    )
    events.announce(events.account_changed, account.id, change="contact")
    return account


OPERATIONS = {
    "activate": activate,
    "disable": disable,
    "enable": enable,
    "delete": delete,
}
