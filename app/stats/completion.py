"""Completion: the roster snapshot against the state of each teacher's plan, and school plans.

A teacher of the snapshot has submitted, has a draft, or has not started; only plans
of the snapshot school count (the plan's school, teacher and cycle match the snapshot
row). Kindergartens fill no school plan: they are not "due" one.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, case, func, select
from sqlalchemy.orm import QueryableAttribute

from app.extensions import db
from app.models import (
    STAGE_ORDER,
    Cycle,
    PlanStatus,
    RosterSnapshot,
    School,
    SchoolPlan,
    Stage,
    Teacher,
    TeacherPlan,
)
from app.stats.scope import Scope, in_scope


@dataclass(frozen=True)
class Completion:
    """Counts of schools, school plans and roster teachers' plans, by state."""

    schools: int = 0
    school_plans_due: int = 0
    school_plans_submitted: int = 0
    school_plans_draft: int = 0
    roster: int = 0
    submitted: int = 0
    draft: int = 0

    @property
    def not_started(self) -> int:
        """Roster teachers without a plan."""
        return self.roster - self.submitted - self.draft

    @property
    def school_plans_not_started(self) -> int:
        """Schools due a school plan that have none."""
        return self.school_plans_due - self.school_plans_submitted - self.school_plans_draft

    @property
    def rate(self) -> float | None:
        """The share of roster teachers who submitted (None without a roster)."""
        return self.submitted / self.roster if self.roster else None

    def __add__(self, other: Completion) -> Completion:
        return Completion(
            *(getattr(self, f.name) + getattr(other, f.name) for f in fields(Completion))
        )


@dataclass(frozen=True)
class SchoolRow:
    """One school with its completion and the state of its school plan."""

    id: int
    code: str
    name: str
    stage: Stage
    county_code: str
    completion: Completion

    @property
    def school_plan(self) -> str:
        """ "submitted", "draft", "none", or "exempt" (a kindergarten fills none)."""
        if not self.completion.school_plans_due:
            return "exempt"
        if self.completion.school_plans_submitted:
            return PlanStatus.SUBMITTED.value
        if self.completion.school_plans_draft:
            return PlanStatus.DRAFT.value
        return "none"


@dataclass(frozen=True)
class RosterEntry:
    """A teacher of a school's roster snapshot and the state of their plan."""

    teacher_id: int
    name: str
    title: str
    status: PlanStatus | None  # None: not started
    plan_id: int | None
    submitted_at: datetime | None

    @property
    def state(self) -> str:
        """ "submitted", "draft" or "none"."""
        return self.status.value if self.status else "none"


def _plan_of_roster_teacher() -> ColumnElement[bool]:
    return and_(
        TeacherPlan.cycle_id == RosterSnapshot.cycle_id,
        TeacherPlan.teacher_id == RosterSnapshot.teacher_id,
        TeacherPlan.school_id == RosterSnapshot.school_id,
    )


def _count_if(condition: ColumnElement[bool]) -> ColumnElement[int]:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def completion_by(
    cycle: Cycle, scope: Scope = None, *groups: ColumnElement[Any] | QueryableAttribute[Any]
) -> dict[tuple[Any, ...], Completion]:
    """Completion per value of ``groups`` (columns of School), in one GROUP BY statement."""
    roster = (
        select(
            RosterSnapshot.school_id.label("school_id"),
            func.count().label("roster"),
            _count_if(TeacherPlan.status == PlanStatus.SUBMITTED).label("submitted"),
            _count_if(TeacherPlan.status == PlanStatus.DRAFT).label("draft"),
        )
        .outerjoin(TeacherPlan, _plan_of_roster_teacher())
        .where(RosterSnapshot.cycle_id == cycle.id, in_scope(RosterSnapshot.school_id, scope))
        .group_by(RosterSnapshot.school_id)
        .subquery("roster_counts")
    )
    due = School.stage != Stage.KINDERGARTEN
    statement = (
        select(
            *groups,
            func.count(School.id),
            _count_if(due),
            _count_if(and_(due, SchoolPlan.status == PlanStatus.SUBMITTED)),
            _count_if(and_(due, SchoolPlan.status == PlanStatus.DRAFT)),
            func.coalesce(func.sum(roster.c.roster), 0),
            func.coalesce(func.sum(roster.c.submitted), 0),
            func.coalesce(func.sum(roster.c.draft), 0),
        )
        .select_from(School)
        .outerjoin(roster, roster.c.school_id == School.id)
        .outerjoin(
            SchoolPlan, and_(SchoolPlan.school_id == School.id, SchoolPlan.cycle_id == cycle.id)
        )
        .where(in_scope(School.id, scope))
        .group_by(*groups)
    )
    width = len(groups)
    return {
        tuple(row[:width]): Completion(*(int(n) for n in row[width:]))
        for row in db.session.execute(statement)
    }


def completion(cycle: Cycle, scope: Scope = None) -> Completion:
    """Completion over every school in scope."""
    return completion_by(cycle, scope).get((), Completion())


def school_rows(cycle: Cycle, scope: Scope = None) -> list[SchoolRow]:
    """Every school in scope with its completion, by stage (STAGE_ORDER) and code."""
    by_school = completion_by(
        cycle, scope, School.id, School.code, School.name, School.stage, School.county_code
    )
    rows = [
        SchoolRow(id_, code, name, stage, county, counts)
        for (id_, code, name, stage, county), counts in by_school.items()
    ]
    rows.sort(key=lambda r: (STAGE_ORDER.index(r.stage), r.code))
    return rows


def roster_progress(cycle: Cycle, school_id: int) -> list[RosterEntry]:
    """The school's roster snapshot, by name, with the state of each teacher's plan."""
    rows = db.session.execute(
        select(
            Teacher.id,
            Teacher.name,
            RosterSnapshot.title,
            TeacherPlan.status,
            TeacherPlan.id,
            TeacherPlan.submitted_at,
        )
        .join(RosterSnapshot, RosterSnapshot.teacher_id == Teacher.id)
        .outerjoin(TeacherPlan, _plan_of_roster_teacher())
        .where(RosterSnapshot.cycle_id == cycle.id, RosterSnapshot.school_id == school_id)
        .order_by(Teacher.name, Teacher.id)
    )
    return [RosterEntry(*row) for row in rows]
