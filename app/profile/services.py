"""One's own account (password, contact data), one-time links, and the account mails.

Services flush and audit; the request lifecycle commits. A password change or reset
rotates the person's session token, so every other session ends at once; the view
signs the current session in again with the new token after a change.
"""

from __future__ import annotations

import enum
import logging
from typing import Any

from flask import flash, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from app import audit, mail, onetime, security, timeutil
from app.extensions import db
from app.models import (
    AccountGrant,
    AccountKind,
    AccountStatus,
    AccountType,
    BusinessAccount,
    County,
    LinkPurpose,
    School,
    Teacher,
)
from app.passwords import password_problem

log = logging.getLogger(__name__)

Person = Teacher | BusinessAccount


class ProfileError(ValueError):
    """A refused change; `field` names the form field the message belongs beside."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


def personal_words(person: Person) -> tuple[str, ...]:
    """What a new password must not contain: the username, or the teacher's national ID."""
    if isinstance(person, Teacher):
        return (security.vault().decrypt(person.national_id_cipher),)
    return (person.username,)


def _set_password(person: Person, new_password: str, field: str) -> None:
    problem = password_problem(new_password, personal=personal_words(person))
    if problem is not None:
        raise ProfileError(field, problem)
    person.password_hash = security.hash_password(new_password)
    person.failed_logins = 0
    person.rotate_session_token()  # every other session of this person ends now


def change_password(person: Person, current: str, new_password: str) -> Person:
    """Change one's own password: the current one is required; other sessions end."""
    if not security.verify_password(person.password_hash, current):
        raise ProfileError("current_password", _("目前的密碼不正確。"))
    if current == new_password:
        raise ProfileError("new_password", _("新密碼不可與目前的密碼相同。"))
    _set_password(person, new_password, "new_password")
    db.session.flush()
    audit.record("password.change", _kind(person), person.id, actor=person)
    return person


def update_contact(person: Person, *, email: str | None, phone: str | None) -> Person:
    """Change one's own contact data (the name and username stay: accounts are personal)."""
    before = {"email": person.email, "phone": person.phone}
    person.email = email or None
    person.phone = phone or None
    db.session.flush()
    audit.record(
        "contact.update",
        _kind(person),
        person.id,
        before=before,
        after={"email": person.email, "phone": person.phone},
        actor=person,
    )
    return person


def _kind(person: Person) -> str:
    return "teacher" if isinstance(person, Teacher) else "account"


# ---- one-time links ---------------------------------------------------------------------


class Delivery(enum.StrEnum):
    MAILED = "mailed"  # sent to the stored address
    SHOWN = "shown"  # no mail server (demo): shown on screen once
    NO_EMAIL = "no_email"  # a mail server, but no address on record: nothing issued
    NOT_SENT = "not_sent"  # no mail server and the screen is not the person's: nothing issued


MAIL_SUBJECTS = {
    LinkPurpose.ACTIVATE: "【全國教師在職進修資訊網】請設定您的密碼以啟用帳號",
    LinkPurpose.RESET: "【全國教師在職進修資訊網】重設密碼連結",
}


def hand_over_link(person: Person, purpose: LinkPurpose, *, on_screen: bool) -> Delivery:
    """Issue a one-time link and mail it; with no mail server, show it once if `on_screen`.

    `on_screen` is for staff handing the link to the teacher in person (the demo); a
    sign-in page request never shows it, or it would reveal and hand over the account.
    """
    label = audit.actor_label(person)
    if mail.configured():
        if not person.email:
            return Delivery.NO_EMAIL
        issued = onetime.issue(person, purpose)
        mail.send(
            person.email,
            MAIL_SUBJECTS[purpose],
            purpose.value,
            name=person.name,
            url=url_for("profile.use_link", token=issued.token, _external=True),
            expires_at=timeutil.roc_datetime(issued.link.expires_at),
        )
        delivery = Delivery.MAILED
    elif on_screen:
        issued = onetime.issue(person, purpose)
        url = url_for("profile.use_link", token=issued.token, _external=True)
        flash(
            _(
                "（示範環境未設定郵件伺服器）請將這個一次性連結交給 %(name)s，"
                "它只會顯示這一次：%(url)s",
                name=person.name,
                url=url,
            ),
            "link",
        )
        log.info("no mail server: showed the %s link for %s on screen once", purpose.value, label)
        delivery = Delivery.SHOWN
    else:
        log.info("no mail server: the %s link for %s was not sent", purpose.value, label)
        return Delivery.NOT_SENT
    audit.record("password.link_sent", _kind(person), person.id, after={"purpose": purpose.value})
    return delivery


def request_reset(national_id: str) -> None:
    """A teacher asks for a reset link at sign-in: mailed if the ID and an address exist.

    The caller answers the same whatever happens here.
    """
    from app.roster_admin.services import find_by_national_id

    teacher = find_by_national_id(national_id)
    if teacher is None:
        return
    hand_over_link(teacher, LinkPurpose.RESET, on_screen=False)


def use_link(token: str, new_password: str) -> Person:
    """Set a password through a one-time link (activation or reset); the link is spent."""
    link = onetime.find(token)
    person = onetime.subject_of(link)
    if person is None:
        raise onetime.LinkRefused(onetime.LinkProblem.UNKNOWN)
    _set_password(person, new_password, "new_password")
    onetime.use(token)
    db.session.flush()
    audit.record("password." + link.purpose.value, _kind(person), person.id, actor=person)
    return person


# ---- application notices ------------------------------------------------------------------


def application_recipients(account: BusinessAccount) -> list[BusinessAccount]:
    """Who activates an application: the school's active chiefs, or for a chief request
    the regional centre account(s) of the school's county."""
    school = db.session.get(School, account.school_id) if account.school_id else None
    if school is None:
        return []
    if AccountType.CHIEF in account.types:
        region_id = select(County.region_id).where(County.code == school.county_code)
        statement = select(BusinessAccount).where(
            BusinessAccount.kind == AccountKind.REGION,
            BusinessAccount.region_id == region_id.scalar_subquery(),
            BusinessAccount.status == AccountStatus.ACTIVE,
        )
    else:
        statement = (
            select(BusinessAccount)
            .join(AccountGrant)
            .where(
                BusinessAccount.school_id == school.id,
                BusinessAccount.status == AccountStatus.ACTIVE,
                AccountGrant.type == AccountType.CHIEF,
                BusinessAccount.id != account.id,
            )
        )
    return list(db.session.scalars(statement.order_by(BusinessAccount.id)))


def notify_application(sender: Any, change: str | None = None, **_data: Any) -> None:
    """`account_changed` receiver: mail who activates a new application (change="applied")."""
    if change != "applied":
        return
    account = db.session.get(BusinessAccount, int(sender))
    if account is None or account.school is None:
        return
    recipients = [r for r in application_recipients(account) if r.email]
    if not mail.configured():
        log.info("no mail server: the application notice for account:%s was not sent", account.id)
        return
    chief = AccountType.CHIEF in account.types
    for recipient in recipients:
        mail.send(
            str(recipient.email),
            f"【全國教師在職進修資訊網】{account.school.name} 有新的業務帳號申請",
            "application",
            recipient=recipient,
            account=account,
            school=account.school,
            chief_request=chief,
            url=url_for(
                "region.home" if recipient.kind == AccountKind.REGION else "school.dashboard",
                _external=True,
            ),
        )
