"""催填: remind the schools, or a school's teachers, that have not submitted their plan.

* A school-plan reminder goes to the active 總負責人 and 進修規劃 accounts of every school
  in the sender's scope whose school plan is not submitted: one school, or every school
  of a county x stage. A teacher-plan reminder goes to the teachers of one school's
  roster snapshot whose teacher plan is not submitted.
* Nobody receives more than one reminder a day (Taipei calendar day): a recipient
  reminded today already is recorded as skipped, and so is one without an e-mail
  address; the database enforces the rule (`ReminderRecipient.once_key` is unique)
  even for two senders racing each other.
* `plan_reminder` records the batch and its recipients in the request's transaction;
  `start` then hands the batch to the job queue (RQ queue ``mail``) or, without Redis,
  runs it at once; `run_batch` sends the mails one by one and keeps the progress on the
  batch row, which the batch page polls.
"""

from __future__ import annotations

import logging
import smtplib
from dataclasses import dataclass
from datetime import date
from typing import Any

from flask import render_template
from flask_babel import force_locale, ngettext
from flask_babel import gettext as _
from redis.exceptions import RedisError
from rq import Queue
from sqlalchemy import ColumnElement, Select, and_, or_, select
from sqlalchemy.exc import IntegrityError

from app import audit, mail, policy, stats, timeutil
from app.extensions import db
from app.models import (
    AccountGrant,
    AccountStatus,
    AccountType,
    BusinessAccount,
    County,
    Cycle,
    PlanKind,
    PlanStatus,
    ReminderBatch,
    ReminderRecipient,
    School,
    SchoolPlan,
    Stage,
    Teacher,
)
from app.policy import CountyRef, Role

log = logging.getLogger(__name__)

BATCH_TIMEOUT = 3600  # seconds a worker may take for one batch (one mail at a time)
AUTHORITIES = frozenset({Role.COUNTY, Role.NATIONAL, Role.OPERATOR})
SCHOOL_RECIPIENT_TYPES = (AccountType.CHIEF, AccountType.PLANNING)


class ReminderRefused(Exception):
    """A reminder that was not recorded; `errors` maps a form field to why (zh-TW)."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(errors.values()))
        self.errors = errors


@dataclass(frozen=True)
class Recipient:
    kind: str  # "account" | "teacher"
    id: int
    school_id: int
    email: str


@dataclass(frozen=True)
class ScopedSchoolReminder:
    """A one-school reminder batch as the policy sees it: its school decides the scope."""

    batch: ReminderBatch
    school_id: int


@dataclass(frozen=True)
class ScopedCountyReminder(CountyRef):
    """A county x stage reminder batch as the policy sees it: its county decides."""

    batch: ReminderBatch | None = None


def today() -> date:
    """The Taipei calendar day: the once-a-day rule counts days as people do."""
    return timeutil.to_taipei(timeutil.now()).date()


def once_key(kind: str, recipient_id: int, day: date) -> str:
    return f"{kind}:{recipient_id}:{day.isoformat()}"


def is_authority(user: Any) -> bool:
    return bool(policy.roles_of(user) & AUTHORITIES)


# ---- who is due --------------------------------------------------------------------------


def schools_without_submitted_plan(cycle: Cycle, schools: Select[Any]) -> list[School]:
    """Of `schools`, those that fill a school plan and have not submitted it."""
    submitted = select(SchoolPlan.school_id).where(
        SchoolPlan.cycle_id == cycle.id, SchoolPlan.status == PlanStatus.SUBMITTED
    )
    return list(
        db.session.scalars(
            schools.where(School.stage != Stage.KINDERGARTEN, School.id.not_in(submitted)).order_by(
                School.code
            )
        )
    )


def school_recipients(schools: list[School]) -> list[Recipient]:
    """The active chief and planning accounts of these schools (each account once)."""
    if not schools:
        return []
    accounts = db.session.scalars(
        select(BusinessAccount)
        .join(AccountGrant, AccountGrant.account_id == BusinessAccount.id)
        .where(
            BusinessAccount.school_id.in_([school.id for school in schools]),
            BusinessAccount.status == AccountStatus.ACTIVE,
            AccountGrant.type.in_(SCHOOL_RECIPIENT_TYPES),
        )
        .order_by(BusinessAccount.school_id, BusinessAccount.id)
        .distinct()
    )
    return [
        Recipient("account", account.id, account.school_id or 0, (account.email or "").strip())
        for account in accounts
    ]


def teacher_recipients(cycle: Cycle, school: School) -> list[Recipient]:
    """The teachers of the school's roster snapshot whose teacher plan is not submitted."""
    due = [
        entry.teacher_id
        for entry in stats.roster_progress(cycle, school.id)
        if entry.status != PlanStatus.SUBMITTED
    ]
    if not due:
        return []
    teachers = db.session.scalars(
        select(Teacher).where(Teacher.id.in_(due)).order_by(Teacher.name, Teacher.id)
    )
    return [
        Recipient("teacher", teacher.id, school.id, (teacher.email or "").strip())
        for teacher in teachers
    ]


# ---- recording a reminder ----------------------------------------------------------------


def plan_reminder(
    sender: BusinessAccount,
    cycle: Cycle,
    kind: PlanKind,
    *,
    school: School | None = None,
    county_code: str = "",
    stage: Stage | None = None,
) -> ReminderBatch:
    """Record a reminder batch and its recipients (queued, or skipped and why)."""
    if not mail.configured():
        raise ReminderRefused({"target": _("尚未設定郵件伺服器（MAIL_SERVER），無法寄送提醒。")})
    if school is not None:
        if not policy.in_scope(sender, school):
            raise ReminderRefused({"school_code": _("此學校不在您的管轄範圍內。")})
    elif not is_authority(sender):
        raise ReminderRefused({"target": _("您只能提醒本校教師。")})
    elif not policy.in_scope(sender, CountyRef(county_code)):
        raise ReminderRefused({"county": _("您不主管此縣市，無法提醒其學校。")})
    elif stage is None:
        raise ReminderRefused({"stage": _("請選擇教育階段。")})
    if kind == PlanKind.TEACHER:
        if school is None:
            raise ReminderRefused({"target": _("提醒教師時請指定一所學校。")})
        recipients = teacher_recipients(cycle, school)
        if not recipients:
            raise ReminderRefused(
                {
                    "target": _(
                        "%(school)s的教師都已送出自我專業進修規劃（或名單上沒有教師），沒有需要提醒的對象。",
                        school=school.name,
                    )
                }
            )
    else:
        if not is_authority(sender):
            raise ReminderRefused({"plan_kind": _("學校帳號只能提醒本校教師。")})
        if school is not None:
            scope = select(School).where(School.id == school.id)
        else:
            scope = policy.schools_in_scope(sender).where(
                School.county_code == county_code, School.stage == stage
            )
        due = schools_without_submitted_plan(cycle, scope)
        if not due:
            raise ReminderRefused(
                {
                    "target": _(
                        "所選學校都已送出學校本位進修規劃（或不需填寫），沒有需要提醒的對象。"
                    )
                }
            )
        recipients = school_recipients(due)
        if not recipients:
            raise ReminderRefused(
                {
                    "target": ngettext(
                        "尚未送出的 %(count)d 所學校都沒有啟用中的總負責人或進修規劃帳號，"
                        "沒有收件人。",
                        "尚未送出的 %(count)d 所學校都沒有啟用中的總負責人或進修規劃帳號，"
                        "沒有收件人。",
                        len(due),
                        count=len(due),
                    )
                }
            )
    batch = ReminderBatch(
        cycle_id=cycle.id,
        plan_kind=kind,
        school_id=school.id if school else None,
        county_code=None if school else county_code,
        stage=None if school else stage,
        sent_by_id=sender.id,
        status="queued",
    )
    db.session.add(batch)
    day = today()
    keys = [once_key(r.kind, r.id, day) for r in recipients]
    reminded = set(
        db.session.scalars(
            select(ReminderRecipient.once_key).where(ReminderRecipient.once_key.in_(keys))
        )
    )
    rows = []
    for recipient, key in zip(recipients, keys, strict=True):
        row = ReminderRecipient(
            batch=batch,
            recipient_kind=recipient.kind,
            recipient_id=recipient.id,
            school_id=recipient.school_id,
            day=day,
            status="queued",
            reason="",
        )
        if key in reminded:
            row.status, row.reason = "skipped", "today"
            batch.skipped_today += 1
        elif not recipient.email:
            row.status, row.reason = "skipped", "no_email"
            batch.skipped_no_email += 1
        else:
            row.once_key = key
            batch.total += 1
        rows.append(row)
    db.session.add_all(rows)
    if batch.total == 0:
        batch.status, batch.finished_at = "done", timeutil.now()
    try:
        with db.session.begin_nested():  # another sender's batch may have claimed a key
            db.session.flush()
    except IntegrityError:
        raise ReminderRefused(
            {"target": _("另一位同仁剛寄出相同對象的提醒，請重新整理後再試。")}
        ) from None
    audit.record(
        "reminder.send",
        "reminder_batch",
        batch.id,
        after={
            "plan_kind": kind.value,
            "school_id": batch.school_id,
            "county": batch.county_code,
            "stage": batch.stage.value if batch.stage else None,
            "queued": batch.total,
            "skipped_today": batch.skipped_today,
            "skipped_no_email": batch.skipped_no_email,
        },
        actor=sender,
        school_id=batch.school_id,
    )
    return batch


# ---- sending -----------------------------------------------------------------------------


def start(batch_id: int, links: dict[str, str]) -> None:
    """Send a committed batch: on the RQ queue ``mail``, or at once without Redis."""
    from app.reports import jobs

    try:
        connection = jobs.redis_connection()
        if connection is not None:
            queue = Queue(mail.MAIL_QUEUE, connection=connection, is_async=not jobs.jobs_inline())
            jobs.enqueue(
                queue,
                run_batch_job,
                batch_id,
                links,
                timeout=BATCH_TIMEOUT,
                description=f"reminder batch {batch_id}",
            )
            return
    except RedisError:
        log.warning("Redis unavailable: sending reminder batch %s from the web process", batch_id)
    run_batch(batch_id, links)


def run_batch_job(batch_id: int, links: dict[str, str]) -> None:
    """RQ entry point: send one reminder batch."""
    from app.reports import jobs

    with jobs.app_context():
        run_batch(batch_id, links)


def run_batch(batch_id: int, links: dict[str, str]) -> None:
    """Send the batch's queued mails one by one, committing the progress after each."""
    batch = db.session.get(ReminderBatch, batch_id, populate_existing=True)
    if batch is None or batch.status != "queued":
        return
    batch.status = "running"
    db.session.commit()
    cycle = db.session.get(Cycle, batch.cycle_id)
    sender = db.session.get(BusinessAccount, batch.sent_by_id)
    queued = list(
        db.session.scalars(
            select(ReminderRecipient)
            .where(ReminderRecipient.batch_id == batch.id, ReminderRecipient.status == "queued")
            .order_by(ReminderRecipient.id)
        )
    )
    for row in queued:
        try:
            message = _message(row, batch, cycle, sender, links)
            if message is None or not mail.configured():
                raise smtplib.SMTPException("no address or no mail server")
            mail.deliver(message)
        except (OSError, smtplib.SMTPException) as error:
            log.error(
                "reminder to %s:%s failed: %s",
                row.recipient_kind,
                row.recipient_id,
                type(error).__name__,
            )
            row.status, row.once_key = "failed", None  # a failed mail does not count for today
            batch.failed += 1
        else:
            row.status, row.sent_at = "sent", timeutil.now()
            batch.sent += 1
        db.session.commit()
    batch.status, batch.finished_at = "done", timeutil.now()
    db.session.commit()


def _sender_text(sender: BusinessAccount | None) -> str:
    if sender is None:
        return "系統"
    if sender.authority is not None:
        return sender.authority.name
    if sender.school is not None:
        return f"{sender.school.name}{sender.name}"
    return "全國教師在職進修資訊網系統管理"


def _window_text(row: ReminderRecipient, teacher: Teacher | None) -> str:
    from app.plans.services import load_school_context, load_teacher_context

    ctx = load_teacher_context(teacher) if teacher else load_school_context(row.school_id)
    if ctx is None or ctx.state.closes_at is None:
        return ""
    closes = timeutil.roc_datetime(ctx.state.closes_at)
    if ctx.state.extended:
        return f"填寫期限已延長至 {closes}。"
    return f"填寫截止時間為 {closes}。"


def _message(
    row: ReminderRecipient,
    batch: ReminderBatch,
    cycle: Cycle | None,
    sender: BusinessAccount | None,
    links: dict[str, str],
) -> dict[str, str] | None:
    school = db.session.get(School, row.school_id)
    teacher = db.session.get(Teacher, row.recipient_id) if row.recipient_kind == "teacher" else None
    account = (
        db.session.get(BusinessAccount, row.recipient_id)
        if row.recipient_kind == "account"
        else None
    )
    person = teacher or account
    address = (person.email or "").strip() if person else ""
    if not address or school is None:
        return None
    context = {
        "name": person.name if person else "",
        "school_name": school.name,
        "cycle_name": cycle.name if cycle else "",
        "window_text": _window_text(row, teacher),
        "sender": _sender_text(sender),
        "url": links["teacher" if teacher else "school"],
    }
    template = "reminder_teacher" if teacher else "reminder_school"
    subject = "提醒：教師自我專業進修規劃尚未送出" if teacher else "提醒：學校本位進修規劃尚未送出"
    with force_locale("zh_Hant_TW"):
        body = render_template(f"mail/{template}.txt", **context)
    return {"to": address, "subject": subject, "body": body}


# ---- reading -----------------------------------------------------------------------------


def batches_in_scope(user: Any) -> Select[Any]:
    """Reminder batches the user may see, newest first: one-school batches of schools in
    scope; for authorities also the county x stage batches of counties in scope."""
    schools = policy.schools_in_scope(user).with_only_columns(School.id)
    condition: ColumnElement[bool] = ReminderBatch.school_id.in_(schools)
    if is_authority(user):
        counties = policy.counties_in_scope(user).with_only_columns(County.code)
        condition = or_(
            condition,
            and_(ReminderBatch.school_id.is_(None), ReminderBatch.county_code.in_(counties)),
        )
    return select(ReminderBatch).where(condition).order_by(ReminderBatch.id.desc())


def summary(batch: ReminderBatch) -> str:
    """The final count in one zh-TW sentence: sent, skipped and why, failed."""
    parts = [_("已寄出 %(sent)d 封提醒", sent=batch.sent)]
    skipped = batch.skipped_today + batch.skipped_no_email
    if skipped:
        reasons = []
        if batch.skipped_today:
            reasons.append(
                _("今日已提醒過 %(count)d 位（每人每日至多一次）", count=batch.skipped_today)
            )
        if batch.skipped_no_email:
            reasons.append(_("未設定電子郵件 %(count)d 位", count=batch.skipped_no_email))
        parts.append(_("略過 %(count)d 位：%(reasons)s", count=skipped, reasons="、".join(reasons)))
    if batch.failed:
        parts.append(_("寄送失敗 %(count)d 封（今日可再試）", count=batch.failed))
    return "；".join(parts) + "。"
