"""`flask demo generate` (app/demo/generate.py): shape, history, answers, determinism, refusal."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

from app.cycles.windows import current_cycle
from app.demo.generate import CODE_PREFIX, ForeignData, generate, school_sizes
from app.extensions import db
from app.models import (
    AccountKind,
    BusinessAccount,
    County,
    Course,
    Employment,
    EndReason,
    PlanStatus,
    Questionnaire,
    RosterSnapshot,
    School,
    SchoolPlan,
    Stage,
    Teacher,
    TeacherPlan,
)
from app.questionnaires import engine

GENERATED = School.code.like(f"{CODE_PREFIX}%")


def _fingerprint() -> dict[str, Any]:
    """Everything the seed decides (not secrets, salts, nonces, ids or times)."""
    schools = db.session.execute(
        select(School.code, School.name, School.county_code, School.stage, School.is_public)
        .where(GENERATED)
        .order_by(School.code)
    ).all()
    teachers = db.session.execute(
        select(Teacher.email, Teacher.name, Teacher.national_id_hash)
        .where(Teacher.email.like("%@bench.invalid"))
        .order_by(Teacher.email)
    ).all()
    employments = db.session.execute(
        select(Teacher.email, School.code, Employment.end_reason, Employment.title)
        .join(Teacher, Teacher.id == Employment.teacher_id)
        .join(School, School.id == Employment.school_id)
        .where(GENERATED)
        .order_by(Teacher.email, School.code)
    ).all()
    plans = db.session.execute(
        select(Teacher.email, TeacherPlan.status, TeacherPlan.answers, TeacherPlan.version)
        .join(Teacher, Teacher.id == TeacherPlan.teacher_id)
        .order_by(Teacher.email)
    ).all()
    courses = db.session.execute(
        select(School.code, Course.title, Course.status, Course.starts_on)
        .join(School, School.id == Course.school_id)
        .where(GENERATED)
        .order_by(School.code, Course.title, Course.starts_on)
    ).all()
    return {
        "schools": [tuple(r) for r in schools],
        "teachers": [tuple(r) for r in teachers],
        "employments": [tuple(r) for r in employments],
        "plans": [tuple(r) for r in plans],
        "courses": [tuple(r) for r in courses],
    }


def test_the_same_seed_gives_the_same_data_set_and_another_seed_another(app):
    generate(6, teachers=60, seed_value=7, logins=5)
    first = _fingerprint()
    db.session.rollback()
    generate(6, teachers=60, seed_value=7, logins=5)
    again = _fingerprint()
    db.session.rollback()
    generate(6, teachers=60, seed_value=8, logins=5)
    other = _fingerprint()
    db.session.rollback()

    assert first["teachers"]
    assert first["plans"]
    assert first["employments"]
    assert again == first
    assert other["teachers"] != first["teachers"]


def test_a_national_total_is_shared_by_stage_with_all_counties_and_stages(app):
    report = generate(44, teachers=1500, seed_value=3, logins=10)
    db.session.commit()

    counties = set(db.session.scalars(select(County.code)))
    assert len(counties) == 22
    assert set(db.session.scalars(select(School.county_code).where(GENERATED))) == counties
    stages = set(db.session.scalars(select(School.stage).where(GENERATED)))
    assert stages == set(Stage)
    assert report.created["teachers"] == 1500

    current = select(func.count(func.distinct(Employment.teacher_id))).where(
        Employment.valid_to.is_(None), Employment.school_id.in_(select(School.id).where(GENERATED))
    )
    assert db.session.scalar(current) == 1500
    # A senior high school has more teachers on average than a kindergarten.
    sizes: dict[Stage, list[int]] = {}
    for stage, size in db.session.execute(
        select(School.stage, func.count(Employment.id))
        .join(Employment, Employment.school_id == School.id)
        .where(GENERATED, Employment.valid_to.is_(None))
        .group_by(School.id, School.stage)
    ):
        sizes.setdefault(stage, []).append(size)
    mean = {stage: sum(v) / len(v) for stage, v in sizes.items()}
    assert mean[Stage.SENIOR] > mean[Stage.KINDERGARTEN]


def test_sizes_add_up_exactly():
    import random

    from app.demo.generate import _School

    schools = [_School(i, f"8{i:05d}", stage) for i, stage in enumerate(list(Stage) * 5)]
    for total in (30, 31, 977, 5000):
        sizes = school_sizes(random.Random(total), schools, total)
        assert sum(sizes.values()) == total
        assert min(sizes.values()) >= 1


def test_history_courses_accounts_and_varied_answers(app):
    report = generate(30, teachers=1200, seed_value=11, logins=20)
    db.session.commit()
    cycle = current_cycle()
    assert cycle is not None

    # Retired teachers: one ended employment (退休) before the cutoff, not in the roster.
    retired = list(
        db.session.scalars(select(Employment).where(Employment.end_reason == EndReason.RETIRED))
    )
    assert len(retired) == report.created["retired teachers"] > 0
    for employment in retired:
        assert employment.valid_to is not None
        assert employment.valid_to < cycle.roster_cutoff
        assert (
            db.session.scalar(
                select(func.count()).where(
                    Employment.teacher_id == employment.teacher_id, Employment.valid_to.is_(None)
                )
            )
            == 0
        )
        assert (
            db.session.scalar(
                select(func.count()).where(
                    RosterSnapshot.cycle_id == cycle.id,
                    RosterSnapshot.teacher_id == employment.teacher_id,
                )
            )
            == 0
        )
    transferred = db.session.scalar(
        select(func.count()).where(Employment.end_reason == EndReason.TRANSFERRED)
    )
    assert transferred == report.created["transferred teachers"] > 0

    # Courses in several statuses, registered by the school's own chief.
    courses = list(db.session.scalars(select(Course).join(School).where(GENERATED)))
    assert len(courses) == report.created["courses"] > 0
    assert len({c.status for c in courses}) >= 3
    for course in courses:
        assert course.registered_by.school_id == course.school_id

    # An authority account per county bureau.
    authorities = db.session.scalars(
        select(BusinessAccount.username).where(
            BusinessAccount.kind == AccountKind.AUTHORITY,
            BusinessAccount.username.in_(report.authority_logins),
        )
    )
    assert len(list(authorities)) == len(report.authority_logins) == 22

    # Answers vary, fit the questionnaire; drafts are partly filled.
    plans = list(db.session.scalars(select(TeacherPlan).where(TeacherPlan.cycle_id == cycle.id)))
    states = {p.status for p in plans}
    assert states == {PlanStatus.DRAFT, PlanStatus.SUBMITTED}
    distinct = {repr(sorted(p.answers.items())) for p in plans}
    assert len(distinct) > len(plans) // 2
    for plan in plans:
        definition = db.session.get(Questionnaire, plan.questionnaire_id).definition
        final = plan.status == PlanStatus.SUBMITTED
        assert engine.validate(definition, plan.answers, final=final) == {}
    assert any(
        engine.validate(
            db.session.get(Questionnaire, p.questionnaire_id).definition, p.answers, final=True
        )
        for p in plans
        if p.status == PlanStatus.DRAFT
    )
    school_plans = list(
        db.session.scalars(select(SchoolPlan).where(SchoolPlan.cycle_id == cycle.id))
    )
    assert len({repr(sorted(p.answers.items())) for p in school_plans}) > 1
    # Planning accounts of schools whose plan is still open to write.
    for username, school_id in report.school_logins:
        account = db.session.scalar(
            select(BusinessAccount).where(BusinessAccount.username == username)
        )
        assert account is not None
        assert account.school_id == school_id


def test_refuses_a_database_with_data_it_did_not_make(app, factory):
    factory.school(Stage.JUNIOR, name="真實國民中學")
    db.session.commit()
    with pytest.raises(ForeignData, match="not demo or generated"):
        generate(2, teachers=4)
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(School).where(GENERATED)) == 0


def test_the_flask_command_generates_and_then_refuses(app):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["demo", "generate", "--schools", "4", "--teachers", "30"])
    assert result.exit_code == 0, result.output
    assert "teachers 30" in result.output
    assert db.session.scalar(select(func.count()).select_from(School).where(GENERATED)) == 4

    again = runner.invoke(args=["demo", "generate", "--schools", "4", "--teachers", "30"])
    assert again.exit_code == 4
    assert "fresh" in again.output
    assert db.session.scalar(select(func.count()).select_from(School).where(GENERATED)) == 4
