"""Roster queries: a teacher's service school at an instant."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from app import timeutil
from app.extensions import db
from app.models import Employment, School, Teacher


def current_employment(teacher: Teacher, moment: datetime | None = None) -> Employment | None:
    """The teacher's employment in force at `moment` (latest started if several)."""
    moment = moment or timeutil.now()
    return db.session.scalar(
        Employment.at(moment)
        .where(Employment.teacher_id == teacher.id)
        .order_by(Employment.valid_from.desc())
        .limit(1)
    )


def school_of(teacher: Teacher, moment: datetime | None = None) -> School | None:
    employment = current_employment(teacher, moment)
    return employment.school if employment else None


def school_by_id(school_id: int) -> School | None:
    return db.session.scalar(select(School).where(School.id == school_id))
