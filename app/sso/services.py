"""Single sign-on services: the flows waiting for the provider, read eduinfo, find or link
the teacher or the business account, the roaming update (teachers only).
Services flush, never commit (the sign-in views commit)."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

import requests
from flask import current_app, flash, session
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app import audit, events, roster, timeutil
from app.auth.services import find_teacher
from app.extensions import db
from app.identity import NationalIdError
from app.models import AccountStatus, BusinessAccount, EndReason, School, SsoIdentity, Teacher

log = logging.getLogger(__name__)

PENDING = "sso_pending_link"  # session key: an SSO identity waiting for a password sign-in
PENDING_SECONDS = 600
FLOWS = "sso_flows"  # session key: what each started flow (by its state) is for
MAX_FLOWS = 5  # flows started in other tabs and never finished: keep only the latest

# What a flow was started for: a teacher's sign-in, a business account's sign-in, or a
# signed-in business account linking its identity.
TEACHER = "teacher"
SCHOOL = "school"
LINK = "link"


class SsoRefused(Exception):
    """The provider's answer cannot be trusted or used; `str()` is a zh-TW message."""


@dataclass
class Eduinfo:
    """What the eduinfo API says about the signed-in person."""

    sub: str
    school_code: str
    titles: list[str] = field(default_factory=list)


def fetch_eduinfo(access_token: str, subject: str) -> Eduinfo:
    """GET the eduinfo API with the access token (raises `requests.RequestException`).

    Without SSO_EDUINFO_URL there is no school to compare: no roaming update."""
    url = current_app.config["SSO_EDUINFO_URL"]
    if not url:
        return Eduinfo(sub=subject, school_code="")
    response = requests.get(
        url,
        headers={"Authorization": f"Bearer {access_token}"},
        timeout=current_app.config["SSO_TIMEOUT"],
    )
    response.raise_for_status()
    data = response.json()
    if not isinstance(data, dict) or data.get("sub") != subject:
        raise SsoRefused(_("教育體系單一簽入服務的身分資料與登入者不符"))
    school = str(data.get("schoolid") or "")
    titles: list[str] = []
    for entry in data.get("titles") or []:
        if isinstance(entry, dict) and str(entry.get("schoolid")) == school:
            titles.extend(str(t) for t in entry.get("titles") or [])
    return Eduinfo(sub=subject, school_code=school, titles=titles)


# ---- the flows waiting for the provider ------------------------------------------------------


@dataclass(frozen=True)
class Flow:
    """One started authorization request: what it is for (and for which account)."""

    purpose: str
    account_id: int | None = None


def remember_flow(state: str, purpose: str, account_id: int | None = None) -> None:
    """Keep what the flow with this state is for, beside Authlib's state in the session."""
    flows = dict(session.get(FLOWS) or {})
    flows[state] = {"purpose": purpose, "account_id": account_id}
    session[FLOWS] = dict(list(flows.items())[-MAX_FLOWS:])


def take_flow(state: str | None) -> Flow | None:
    """The flow this callback answers (removed from the session); None for a state we
    never issued."""
    flows = dict(session.get(FLOWS) or {})
    entry = flows.pop(state, None) if state else None
    session[FLOWS] = flows
    if not isinstance(entry, dict) or entry.get("purpose") not in (TEACHER, SCHOOL, LINK):
        return None
    account_id = entry.get("account_id")
    return Flow(str(entry["purpose"]), account_id if isinstance(account_id, int) else None)


def latest_purpose() -> str:
    """For a callback with an unknown state: the page of the latest flow started here."""
    flows = session.get(FLOWS) or {}
    entries = [entry for entry in flows.values() if isinstance(entry, dict)]
    purpose = entries[-1].get("purpose") if entries else None
    return purpose if purpose in (SCHOOL, LINK) else TEACHER


# ---- teachers --------------------------------------------------------------------------------


def linked_teacher(issuer: str, subject: str) -> Teacher | None:
    """The teacher this SSO identity was linked to, if any."""
    return db.session.scalar(
        select(Teacher)
        .join(SsoIdentity, SsoIdentity.teacher_id == Teacher.id)
        .where(
            SsoIdentity.issuer == issuer,
            SsoIdentity.subject == subject,
            SsoIdentity.realm == TEACHER,
        )
    )


def link(teacher: Teacher, issuer: str, subject: str, how: str) -> SsoIdentity:
    """Link an SSO identity to a teacher (after a verified step), audited."""
    identity = SsoIdentity(
        issuer=issuer, subject=subject, realm=TEACHER, teacher_id=teacher.id, linked_by=how
    )
    db.session.add(identity)
    db.session.flush()
    audit.record(
        "sso.link",
        "teacher",
        teacher.id,
        after={"issuer": issuer, "linked_by": how},
        actor=teacher,
    )
    return identity


def teacher_by_claim(claims: dict[str, Any]) -> Teacher | None:
    """The teacher named by the provider's national-ID claim (when configured and sent)."""
    name = current_app.config["SSO_NATIONAL_ID_CLAIM"]
    value = claims.get(name) if name else None
    if not isinstance(value, str) or not value:
        return None
    try:
        return find_teacher(value)
    except NationalIdError:
        log.warning("sso: the national-ID claim is malformed; not used")
        return None


@dataclass
class Roaming:
    """A roaming update that happened: the teacher's notice and the rosters that changed."""

    notice: str
    school_ids: list[int]


def roam(teacher: Teacher, info: Eduinfo) -> Roaming | None:
    """Move the teacher's service school to the eduinfo school when it differs (audited)."""
    if not info.school_code:
        return None
    current = roster.current_employment(teacher)
    if current is not None and current.school.code == info.school_code:
        return None
    school = db.session.scalar(select(School).where(School.code == info.school_code))
    if school is None:
        log.warning("sso: unknown eduinfo school id for teacher:%s; nothing changed", teacher.id)
        return None
    now = timeutil.now()
    before = None
    changed = [school.id]
    if current is not None:
        current.valid_to = now
        current.end_reason = EndReason.TRANSFERRED
        before = {"school_id": current.school_id, "employment_id": current.id}
        changed.append(current.school_id)
    title = "、".join(info.titles)[:30] or "教師"
    employment = roster.employ(teacher, school, since=now, title=title)
    db.session.flush()
    audit.record(
        "employment.roaming",
        "teacher",
        teacher.id,
        before=before,
        after={"school_id": school.id, "employment_id": employment.id, "source": "sso"},
        actor=teacher,
    )
    notice = _(
        "依教育體系單一簽入服務的資料，您的服務學校已更新為「%(school)s」。"
        "如有錯誤，請洽學校教師資料承辦人。",
        school=school.name,
    )
    return Roaming(notice=notice, school_ids=changed)


# ---- linking by one password sign-in ------------------------------------------------------


def remember_pending(issuer: str, subject: str, info: Eduinfo) -> None:
    """Keep the SSO identity in the (signed) session until a password sign-in links it."""
    session[PENDING] = {
        "issuer": issuer,
        "subject": subject,
        "school_code": info.school_code,
        "titles": info.titles,
        "at": timeutil.now().timestamp(),
    }


def take_pending_link() -> dict[str, Any] | None:
    """The SSO identity waiting for this sign-in (removed from the session), if fresh."""
    pending = session.pop(PENDING, None)
    if not isinstance(pending, dict):
        return None
    if timeutil.now().timestamp() - float(pending.get("at", 0)) > PENDING_SECONDS:
        return None
    return pending


def complete_link(subject: object, pending: dict[str, Any] | None) -> Roaming | None:
    """After a successful password sign-in: link the waiting SSO identity, then roam."""
    if pending is None or not isinstance(subject, Teacher):
        return None
    teacher = subject
    issuer, subject = str(pending["issuer"]), str(pending["subject"])
    owner = linked_teacher(issuer, subject)
    if owner is None:
        link(teacher, issuer, subject, "password")
    elif owner.id != teacher.id:
        log.warning("sso: identity already linked to another teacher; not relinked")
        return None
    info = Eduinfo(subject, str(pending["school_code"]), list(pending.get("titles") or []))
    return roam(teacher, info)


def notify(subject: object, roaming: Roaming | None) -> None:
    """Once committed and signed in: tell the teacher about a roaming update, announce it."""
    if roaming is None or not isinstance(subject, Teacher):
        return
    flash(roaming.notice, "info")
    for school_id in roaming.school_ids:
        events.announce(events.roster_changed, school_id, teacher_ids=[subject.id])


# ---- business accounts -----------------------------------------------------------------------

NOT_ACTIVE = {
    AccountStatus.APPLIED: _l(
        "此業務帳號仍在申請中，尚未啟用，不能登入；請洽學校總負責人或區管中心啟用帳號。"
    ),
    AccountStatus.DISABLED: _l("此業務帳號已停用，不能登入；如有疑問請洽學校總負責人。"),
    AccountStatus.DELETED: _l("此業務帳號已刪除，不能登入。"),
}


def identity_of(account: BusinessAccount) -> SsoIdentity | None:
    """The SSO identity linked to this business account, if any."""
    return db.session.scalar(
        select(SsoIdentity).where(SsoIdentity.business_account_id == account.id)
    )


def linked_account(issuer: str, subject: str) -> BusinessAccount | None:
    """The business account this SSO identity was linked to, if any (whatever its status)."""
    return db.session.scalar(
        select(BusinessAccount)
        .join(SsoIdentity, SsoIdentity.business_account_id == BusinessAccount.id)
        .where(
            SsoIdentity.issuer == issuer,
            SsoIdentity.subject == subject,
            SsoIdentity.realm == SCHOOL,
        )
    )


def refusal(account: BusinessAccount) -> str | None:
    """Why this account may not sign in (a zh-TW message), or None when it is active."""
    message = NOT_ACTIVE.get(account.status)
    return str(message) if message is not None else None


def link_account(account: BusinessAccount, issuer: str, subject: str) -> SsoIdentity:
    """Link the identity the signed-in account just proved at the provider, audited.

    An identity linked to another account is refused, unless that account is deleted
    (nobody can sign in to it any more): then the link moves, audited as well."""
    if identity_of(account) is not None:
        raise SsoRefused(_("此業務帳號已連結教育體系單一簽入身分；如要更換，請先解除連結。"))
    owner = linked_account(issuer, subject)
    if owner is not None and owner.id != account.id:
        if owner.status != AccountStatus.DELETED:
            raise SsoRefused(
                _("這個教育體系單一簽入身分已連結其他業務帳號，不能再連結；請洽學校總負責人。")
            )
        unlink_account(owner, reason="account_deleted")
    identity = SsoIdentity(
        issuer=issuer,
        subject=subject,
        realm=SCHOOL,
        business_account_id=account.id,
        linked_by="signed_in",
    )
    db.session.add(identity)
    db.session.flush()
    audit.record(
        "sso.link",
        "business_account",
        account.id,
        after={"issuer": issuer, "linked_by": "signed_in"},
        actor=account,
        school_id=account.school_id,
    )
    return identity


def unlink_account(account: BusinessAccount, *, reason: str = "owner") -> bool:
    """Remove the account's SSO link, audited; False when it had none."""
    identity = identity_of(account)
    if identity is None:
        return False
    before = {"issuer": identity.issuer, "linked_at": identity.linked_at.isoformat()}
    db.session.delete(identity)
    db.session.flush()
    audit.record(
        "sso.unlink",
        "business_account",
        account.id,
        before=before,
        after={"reason": reason},
        school_id=account.school_id,
    )
    return True


def record_sign_in(account: BusinessAccount, issuer: str) -> None:
    """The audit entry of a business account's sign-in through single sign-on."""
    audit.record(
        "sso.sign_in",
        "business_account",
        account.id,
        after={"issuer": issuer},
        actor=account,
        school_id=account.school_id,
    )
