"""The data model: aware instants on every database, constraints that hold the rules."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError, StatementError

from app.extensions import db
from app.models import Employment, Extension, PlanKind, Window
from app.timeutil import taipei
from tests.plan_helpers import import_113


def test_instants_come_back_aware_utc(factory):
    teacher = factory.teacher(factory.school(), since=taipei(2024, 8, 2, 17, 0))
    db.session.commit()
    db.session.expire_all()
    employment = db.session.scalar(select(Employment).where(Employment.teacher_id == teacher.id))
    assert employment.valid_from.tzinfo is not None
    assert employment.valid_from == datetime(2024, 8, 2, 9, 0, tzinfo=UTC)


def test_naive_datetimes_are_refused(factory):
    teacher = factory.teacher(factory.school())
    db.session.add(
        Employment(
            teacher_id=teacher.id,
            school_id=factory.school().id,
            valid_from=datetime(2024, 8, 2, 17, 0),
        )
    )
    with pytest.raises(StatementError, match="naive datetime"):
        db.session.flush()
    db.session.rollback()


def test_window_must_close_after_it_opens(app):
    cycle = import_113()
    db.session.add(
        Window(
            cycle_id=cycle.id,
            plan_kind=PlanKind.TEACHER,
            stage="K",
            opens_at=taipei(2024, 9, 2),
            closes_at=taipei(2024, 9, 1),
        )
    )
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()


def test_extension_targets_one_school_or_one_teacher(factory):
    cycle = import_113()
    account = factory.account(None, kind="operator")
    db.session.add(
        Extension(
            cycle_id=cycle.id,
            plan_kind=PlanKind.SCHOOL,
            until=taipei(2024, 8, 30, 17),
            granted_by_id=account.id,
            reason="無對象",
        )
    )
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()


def test_employment_history_answers_the_roster_at_an_instant(factory):
    first, second = factory.school(), factory.school()
    teacher = factory.teacher(first, since=taipei(2020, 8, 1))
    employment = db.session.scalar(select(Employment))
    employment.valid_to = taipei(2024, 7, 31)
    employment.end_reason = "transferred"
    db.session.add(
        Employment(teacher_id=teacher.id, school_id=second.id, valid_from=taipei(2024, 8, 1))
    )
    db.session.commit()
    at = {
        moment: db.session.scalar(Employment.at(moment).with_only_columns(Employment.school_id))
        for moment in (taipei(2023, 1, 1), taipei(2024, 8, 2))
    }
    assert at == {taipei(2023, 1, 1): first.id, taipei(2024, 8, 2): second.id}
