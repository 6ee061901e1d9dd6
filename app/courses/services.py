"""Courses (研習課程): registering one and moving it through its statuses."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select

from app import audit, policy
from app.extensions import db
from app.models import COURSE_STATUS_LABELS, BusinessAccount, Course, CourseStatus, School

# 編輯中 → 審核中 → 報名中 → 名單確認中 → 名單確認通過
FLOW = [
    CourseStatus.EDITING,
    CourseStatus.REVIEWING,
    CourseStatus.ENROLLING,
    CourseStatus.LIST_CONFIRMING,
    CourseStatus.LIST_CONFIRMED,
]
MAX_HOURS = 200


class CourseRefused(Exception):
    """A course change the rules do not allow; the message says why in zh-TW."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


def next_status(status: CourseStatus) -> CourseStatus | None:
    """The status after this one, or None once the list is confirmed."""
    index = FLOW.index(status)
    return FLOW[index + 1] if index + 1 < len(FLOW) else None


def courses_of_school(school_id: int) -> list[Course]:
    """A school's courses, newest first."""
    return list(
        db.session.scalars(
            select(Course).where(Course.school_id == school_id).order_by(Course.id.desc())
        )
    )


def _state(course: Course) -> dict[str, Any]:
    return {"status": str(course.status), "title": course.title}


def register_course(
    actor: BusinessAccount,
    school: School,
    *,
    title: str,
    starts_on: date,
    ends_on: date,
    hours: int,
) -> Course:
    """Register a course of the actor's school, in status 編輯中."""
    if not policy.may(actor, "course.manage", school):
        raise CourseRefused(_("您沒有登錄本校研習課程的權限。"))
    title = title.strip()
    if not title:
        raise CourseRefused(_("請輸入課程名稱。"), field="title")
    if len(title) > 120:
        raise CourseRefused(_("課程名稱最多 120 個字。"), field="title")
    if ends_on < starts_on:
        raise CourseRefused(_("結束日期不能早於開始日期。"), field="ends_on")
    if not 1 <= hours <= MAX_HOURS:
        raise CourseRefused(_("研習時數需介於 1 至 %(max)d 小時。", max=MAX_HOURS), field="hours")
    course = Course(
        school_id=school.id,
        registered_by_id=actor.id,
        title=title,
        starts_on=starts_on,
        ends_on=ends_on,
        hours=hours,
        status=CourseStatus.EDITING,
    )
    db.session.add(course)
    db.session.flush()
    audit.record(
        "course.register",
        "course",
        course.id,
        after=_state(course),
        actor=actor,
        school_id=school.id,
    )
    return course


def advance(actor: BusinessAccount, course: Course, expected: CourseStatus | None = None) -> Course:
    """Move a course to its next status (refused once the list is confirmed, or if the
    course moved on since the page showed `expected`)."""
    if not policy.may(actor, "course.manage", course):
        raise CourseRefused(_("您沒有管理這門研習課程的權限。"))
    if expected is not None and course.status != expected:
        raise CourseRefused(_("這門課程的狀態已在別處變更，請重新整理頁面。"))
    following = next_status(course.status)
    if following is None:
        raise CourseRefused(
            _(
                "這門課程已是「%(status)s」，沒有下一步。",
                status=_(COURSE_STATUS_LABELS[course.status]),
            )
        )
    before = _state(course)
    course.status = following
    db.session.flush()
    audit.record(
        "course.advance",
        "course",
        course.id,
        before=before,
        after=_state(course),
        actor=actor,
        school_id=course.school_id,
    )
    return course
