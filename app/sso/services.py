"""Single sign-on services: read eduinfo, find or link the teacher, the roaming update.
Services flush, never commit (the sign-in views commit)."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

import requests
from flask import current_app, flash, session
from flask_babel import gettext as _
from sqlalchemy import select

from app import audit, events, roster, timeutil
from app.auth.services import find_teacher
from app.extensions import db
from app.identity import NationalIdError
from app.models import EndReason, School, SsoIdentity, Teacher

log = logging.getLogger(__name__)

PENDING = "sso_pending_link"  # session key: an SSO identity waiting for a password sign-in
PENDING_SECONDS = 600


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


def linked_teacher(issuer: str, subject: str) -> Teacher | None:
    """The teacher this SSO identity was linked to, if any."""
    return db.session.scalar(
        select(Teacher)
        .join(SsoIdentity, SsoIdentity.teacher_id == Teacher.id)
        .where(SsoIdentity.issuer == issuer, SsoIdentity.subject == subject)
    )


def link(teacher: Teacher, issuer: str, subject: str, how: str) -> SsoIdentity:
    """Link an SSO identity to a teacher (after a verified step), audited."""
    identity = SsoIdentity(issuer=issuer, subject=subject, teacher_id=teacher.id, linked_by=how)
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
