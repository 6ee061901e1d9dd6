"""Roster queries: a teacher's service school at an instant."""

from __future__ import annotations

from datetime import datetime

from app import security, timeutil
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


def new_teacher(
    national_id: str, name: str, *, password_hash: str | None = None, email: str | None = None
) -> Teacher:
    """Create a teacher: the national ID is kept only encrypted, as its lookup hash and
    masked."""
    vault = security.vault()
    teacher = Teacher(
        national_id_cipher=vault.encrypt(national_id),
        national_id_hash=vault.lookup_hash(national_id),
        national_id_masked=vault.masked(national_id),
        name=name,
        email=email,
        password_hash=password_hash,
    )
    db.session.add(teacher)
    db.session.flush()
    return teacher


def employ(
    teacher: Teacher, school: School, *, since: datetime, title: str = "教師", subjects: str = ""
) -> Employment:
    """Make `school` the teacher's service unit from `since` on."""
    employment = Employment(
        teacher_id=teacher.id, school_id=school.id, title=title, subjects=subjects, valid_from=since
    )
    db.session.add(employment)
    return employment
