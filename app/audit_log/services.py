"""Reading the audit trail: whose entries a viewer sees, the filters, readable actors."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import Select, select

from app import policy, timeutil
from app.extensions import db
from app.i18n import N_
from app.identity import mask_national_id
from app.models import AuditEntry, BusinessAccount, School, Teacher
from app.security import vault

ACTOR_LABEL = re.compile(r"^(account|teacher):(\d+)$")

# The audit actions in words, translated when shown (others show as stored).
ACTION_LABELS = {
    "account.applied": N_("申請業務帳號"),
    "account.activated": N_("啟用業務帳號"),
    "account.types": N_("變更帳號類別"),
    "account.disabled": N_("停用業務帳號"),
    "account.enabled": N_("重新啟用業務帳號"),
    "account.deleted": N_("刪除業務帳號"),
    "account.contact": N_("更新聯絡資料"),
    "chief.applied": N_("申請總負責人帳號"),
    "chief.activated": N_("啟用總負責人帳號"),
    "chief.types": N_("變更總負責人類別"),
    "chief.disabled": N_("停用總負責人帳號"),
    "chief.enabled": N_("重新啟用總負責人帳號"),
    "chief.deleted": N_("刪除總負責人帳號"),
    "course.register": N_("登錄研習課程"),
    "course.advance": N_("變更研習課程狀態"),
    # 延長填寫 and 催填 (app/deadlines, app/reminders); prefill from last cycle (app/history)
    "extension.grant": N_("核定延長填寫"),
    "extension.revoke": N_("撤銷延長填寫"),
    "extension_batch.grant": N_("整批核定延長填寫"),
    "extension_batch.revoke": N_("整批撤銷延長填寫"),
    "reminder.send": N_("寄送催填通知"),
    "plan.prefill": N_("帶入去年資料"),
    # single sign-on (app/sso)
    "sso.link": N_("連結教育體系單一簽入"),
    "sso.unlink": N_("解除教育體系單一簽入連結"),
    "sso.sign_in": N_("以教育體系單一簽入登入"),
    # operator console
    "cycle.import": N_("匯入學年度設定檔"),
    "cycle.create": N_("新增學年度"),
    "cycle.schedule": N_("變更名單基準日或填寫期間"),
    "cycle.publish": N_("公告學年度"),
    "cycle.close": N_("結束學年度"),
    "cycle.snapshot": N_("擷取教師名單"),
    "questionnaire.attach": N_("附加問卷"),
    "announcement.create": N_("新增最新消息"),
    "announcement.update": N_("修改最新消息"),
    "announcement.delete": N_("刪除最新消息"),
}


@dataclass
class AuditFilter:
    """The filters of an audit view, as typed, with a message per refused field."""

    actor: str = ""
    action: str = ""
    school: str = ""
    since: str = ""
    until: str = ""
    errors: dict[str, str] = field(default_factory=dict)

    def as_args(self) -> dict[str, str]:
        values = {
            "actor": self.actor,
            "action": self.action,
            "school": self.school,
            "since": self.since,
            "until": self.until,
        }
        return {key: value for key, value in values.items() if value}


def read_filter(args: Any) -> AuditFilter:
    """The filters from a query string, each cut to a sane length."""
    return AuditFilter(
        actor=(args.get("actor") or "").strip()[:40],
        action=(args.get("action") or "").strip()[:40],
        school=(args.get("school") or "").strip()[:6],
        since=(args.get("since") or "").strip()[:10],
        until=(args.get("until") or "").strip()[:10],
    )


def _day(text: str) -> date | None:
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def _start_of(day: date) -> datetime:
    return timeutil.taipei(day.year, day.month, day.day)


def school_entries(school_id: int) -> Select[AuditEntry]:
    """Everything the trail holds about one school."""
    return select(AuditEntry).where(AuditEntry.school_id == school_id)


def region_entries(user: Any) -> Select[AuditEntry]:
    """The chief-account changes at the schools of the region's counties."""
    schools = policy.schools_in_scope(user).with_only_columns(School.id)
    return select(AuditEntry).where(
        AuditEntry.school_id.in_(schools), AuditEntry.action.startswith("chief.")
    )


def all_entries() -> Select[AuditEntry]:
    """The whole trail."""
    return select(AuditEntry)


def _actor_label(text: str) -> str | None:
    if ACTOR_LABEL.match(text):
        return text
    account = db.session.scalar(
        select(BusinessAccount).where(BusinessAccount.username.ilike(text.replace("%", "")))
    )
    return f"account:{account.id}" if account is not None else None


def apply_filter(query: Select[AuditEntry], wanted: AuditFilter) -> Select[AuditEntry]:
    """Narrow the entries by the filters; a refused filter is noted and leaves no rows."""
    if wanted.actor:
        label = _actor_label(wanted.actor)
        if label is None:
            wanted.errors["actor"] = _("找不到這個帳號。")
            label = "-"
        query = query.where(AuditEntry.actor == label)
    if wanted.action:
        query = query.where(AuditEntry.action == wanted.action)
    if wanted.school:
        school = db.session.scalar(select(School).where(School.code == wanted.school))
        if school is None:
            wanted.errors["school"] = _("找不到學校代碼 %(code)s。", code=wanted.school)
        query = query.where(AuditEntry.school_id == (school.id if school else -1))
    for name, text in (("since", wanted.since), ("until", wanted.until)):
        if not text:
            continue
        day = _day(text)
        if day is None:
            wanted.errors[name] = _("日期格式不正確，請以 2026-03-01 的格式輸入。")
            continue
        if name == "since":
            query = query.where(AuditEntry.at >= _start_of(day))
        else:
            query = query.where(AuditEntry.at < _start_of(day + timedelta(days=1)))
    return query.order_by(AuditEntry.at.desc(), AuditEntry.id.desc())


def actor_names(entries: list[AuditEntry]) -> dict[str, str]:
    """Readable actors and account objects: name and username; a teacher: name, masked ID."""
    wanted: dict[str, set[int]] = {"account": set(), "teacher": set()}
    for entry in entries:
        match = ACTOR_LABEL.match(entry.actor)
        if match:
            wanted[match.group(1)].add(int(match.group(2)))
        if entry.object_type == "business_account" and entry.object_id.isdigit():
            wanted["account"].add(int(entry.object_id))
    names: dict[str, str] = {}
    if wanted["account"]:
        for account in db.session.scalars(
            select(BusinessAccount).where(BusinessAccount.id.in_(wanted["account"]))
        ):
            names[f"account:{account.id}"] = f"{account.name}（{account.username}）"
    if wanted["teacher"]:
        for teacher in db.session.scalars(select(Teacher).where(Teacher.id.in_(wanted["teacher"]))):
            masked = vault().masked(teacher.national_id_cipher)
            names[f"teacher:{teacher.id}"] = f"{teacher.name}（{masked}）"
    return names


def school_names(entries: list[AuditEntry]) -> dict[int, str]:
    """The schools the entries concern, by id."""
    ids = {entry.school_id for entry in entries if entry.school_id is not None}
    if not ids:
        return {}
    rows = db.session.scalars(select(School).where(School.id.in_(ids)))
    return {school.id: f"{school.name}（{school.code}）" for school in rows}


def action_label(action: str) -> str:
    """An audit action in words (as stored when it has no label)."""
    label = ACTION_LABELS.get(action)
    return _(label) if label else action


def describe(value: dict[str, Any] | None) -> str:
    """Before/after as a short line; national IDs in it are masked."""
    if not value:
        return "—"
    parts = []
    for key, item in value.items():
        text = ", ".join(map(str, item)) if isinstance(item, list) else str(item)
        parts.append(f"{key}: {_mask_ids(text)}")
    return "；".join(parts)


NATIONAL_ID = re.compile(r"\b[A-Za-z][A-Za-z0-9]\d{8}\b")


def _mask_ids(text: str) -> str:
    return NATIONAL_ID.sub(lambda m: mask_national_id(m.group(0)), text)
