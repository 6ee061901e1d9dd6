"""Cache keys of the PDFs: what each document depends on, read with a few cheap queries.

A :class:`Document` is named in the cache by ``ref`` (which document) and ``digest``
(a hash of everything its bytes depend on, plus :func:`revision`, the code and templates
that lay it out). A download computes the key, and reads the file if it exists: so the
key must be cheap. No key reads the answers or the roster snapshot, or counts anything
per school: the county and national summaries depend on :func:`plans_state` (plans per
state from an index, and the newest kept submission), the school plan's summary on its
own few dozen plans. A plan started or removed, a submit, a reopen or a resubmit moves
a key; a draft's autosave, which no summary shows, does not. The figures themselves
(:mod:`app.stats`) are computed only when a PDF is rendered.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache
from typing import Any

from sqlalchemy import func, select

from app.config import ROOT
from app.extensions import db
from app.models import (
    County,
    Cycle,
    CycleStatus,
    PlanKind,
    PlanStatus,
    PlanVersion,
    Questionnaire,
    School,
    SchoolPlan,
    Stage,
    Teacher,
    TeacherPlan,
)
from app.stats import Scope, in_scope

# Sources whose change changes the rendered bytes: a deployment that touches any of
# them gets new cache keys, so nobody downloads a PDF laid out by the old code.
_REVISION_SOURCES = (
    "app/reports/documents.py",
    "app/reports/versions.py",  # plan history: a submitted version's PDF
    "app/reports/layout.py",  # the answer tables' column widths
    "app/reports/manuals.py",
    "static/screenshots/manifest.json",  # the manuals' screenshots (each PNG's sha256)
    "app/reports/charts.py",
    "app/questionnaires/engine.py",  # summarise() shapes every plan's answers
    "app/pdf/render.py",
    "templates/pdf/base.html",
    "static/css/pdf.css",
    "app/analytics/services.py",  # the analytics section of the county and national PDFs
    "templates/analytics/_tables.html",
)
_REVISION_FOLDERS = ("templates/reports", "templates/manuals", "app/stats")


@cache
def revision() -> str:
    """Hash the templates and code that shape every PDF (computed once per process)."""
    digest = hashlib.sha256()
    paths = [ROOT / name for name in _REVISION_SOURCES]
    for folder in _REVISION_FOLDERS:
        for pattern in ("*.html", "*.py"):
            paths.extend(sorted((ROOT / folder).rglob(pattern)))
    for path in paths:
        if path.is_file():
            digest.update(path.relative_to(ROOT).as_posix().encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


@dataclass(frozen=True)
class Document:
    """One PDF: where it comes from (``ref``), what it depends on (``digest``), how to build it."""

    ref: tuple[str, ...]
    digest: str
    filename: str
    title: str
    subject: str
    template: str
    build: Callable[[], dict[str, Any]] = field(compare=False, repr=False)

    @property
    def ref_key(self) -> str:
        return ":".join(self.ref)

    @property
    def key(self) -> str:
        return f"{self.ref_key}:{self.digest}"


def digest(deps: Mapping[str, Any], layout: str) -> str:
    """Hash a document's dependencies with the ``layout`` revision that renders them."""
    payload = json.dumps({"revision": layout, **deps}, sort_keys=True, default=str)
    return hashlib.sha256(payload.encode()).hexdigest()[:32]


def iso(moment: datetime | None) -> str | None:
    """An instant in UTC: the same whether it came from the database or a Taipei-time object."""
    return moment.astimezone(UTC).isoformat() if moment else None


def plan_facts(plan: SchoolPlan | TeacherPlan) -> list[Any]:
    """What a plan's own PDF depends on: any save bumps the version and updated_at."""
    return [
        plan.id,
        plan.version,
        plan.status.value,
        iso(plan.updated_at),
        iso(plan.submitted_at),
        plan.questionnaire_id,
    ]


def cycle_facts(cycle: Cycle) -> list[Any]:
    return [cycle.academic_year, cycle.name, iso(cycle.snapshot_taken_at)]


# ---- teacher plan: one narrow row ---------------------------------------------------------


@dataclass(frozen=True)
class TeacherPlanFacts:
    """What a teacher-plan PDF depends on: one narrow row, or read off a loaded plan."""

    plan_id: int
    version: int
    status: PlanStatus
    updated_at: datetime
    submitted_at: datetime | None
    questionnaire_id: int
    teacher_id: int
    teacher_name: str
    school_code: str
    school_name: str
    stage: Stage
    county_code: str
    academic_year: int
    cycle_name: str

    @classmethod
    def of(cls, plan: TeacherPlan) -> TeacherPlanFacts:
        teacher, school, cycle = plan.teacher, plan.school, plan.cycle
        return cls(
            plan.id,
            plan.version,
            plan.status,
            plan.updated_at,
            plan.submitted_at,
            plan.questionnaire_id,
            teacher.id,
            teacher.name,
            school.code,
            school.name,
            school.stage,
            school.county_code,
            cycle.academic_year,
            cycle.name,
        )

    def deps(self) -> dict[str, Any]:
        return {
            "plan": [
                self.plan_id,
                self.version,
                PlanStatus(self.status).value,
                iso(self.updated_at),
                iso(self.submitted_at),
                self.questionnaire_id,
            ],
            "teacher": [self.teacher_id, self.teacher_name],
            "school": [
                self.school_code,
                self.school_name,
                Stage(self.stage).value,
                self.county_code,
            ],
            "cycle": [self.academic_year, self.cycle_name],
        }


# Built once: the download of a cached PDF runs this statement and reads a file, nothing more.
_TEACHER_PLAN_FACTS = (
    select(
        TeacherPlan.id,
        TeacherPlan.version,
        TeacherPlan.status,
        TeacherPlan.updated_at,
        TeacherPlan.submitted_at,
        TeacherPlan.questionnaire_id,
        Teacher.id,
        Teacher.name,
        School.code,
        School.name,
        School.stage,
        School.county_code,
        Cycle.academic_year,
        Cycle.name,
    )
    .join(Teacher, Teacher.id == TeacherPlan.teacher_id)
    .join(School, School.id == TeacherPlan.school_id)
    .join(Cycle, Cycle.id == TeacherPlan.cycle_id)
)
_CURRENT_CYCLE_ID = (
    select(Cycle.id)
    .where(Cycle.status == CycleStatus.PUBLISHED)
    .order_by(Cycle.academic_year.desc())
    .limit(1)
    .scalar_subquery()
)


def teacher_plan_facts(teacher_id: int, year: int | None = None) -> TeacherPlanFacts | None:
    """The facts of a teacher's plan of cycle ``year`` (default: the current one), one query."""
    cycle_matches = Cycle.id == _CURRENT_CYCLE_ID if year is None else Cycle.academic_year == year
    row = db.session.execute(
        _TEACHER_PLAN_FACTS.where(TeacherPlan.teacher_id == teacher_id, cycle_matches)
    ).first()
    return None if row is None else TeacherPlanFacts(*tuple(row))


# ---- summaries: cheap fingerprints ----------------------------------------------------------


def plans_state(cycle: Cycle, scope: Scope) -> dict[str, Any]:
    """Fingerprint the plans a summary over many schools counts, without reading them.

    Plans per state in scope, from the (cycle_id, school_id, status) index, and the
    newest kept submission anywhere (``plan_version``, one row per submit, read off its
    primary key): a plan started or removed, a submit, a reopen or a resubmit moves it;
    a draft's autosave, which no summary shows, does not.
    """
    state: dict[str, Any] = {}
    for name, model in (("teacher", TeacherPlan), ("school", SchoolPlan)):
        rows = db.session.execute(
            select(model.status, func.count())
            .where(model.cycle_id == cycle.id, in_scope(model.school_id, scope))
            .group_by(model.status)
        )
        state[name] = sorted([PlanStatus(status).value, count] for status, count in rows)
    state["submissions"] = db.session.scalar(select(func.max(PlanVersion.id)))
    return state


def submitted_teacher_plans(cycle: Cycle, school_id: int) -> list[list[int]]:
    """Id and version of each submitted teacher plan of one school: its summary's answers."""
    rows = db.session.execute(
        select(TeacherPlan.id, TeacherPlan.version)
        .where(
            TeacherPlan.cycle_id == cycle.id,
            TeacherPlan.school_id == school_id,
            TeacherPlan.status == PlanStatus.SUBMITTED,
        )
        .order_by(TeacherPlan.id)
    )
    return [[plan_id, version] for plan_id, version in rows]


def teacher_questionnaire(cycle: Cycle) -> list[Any] | None:
    """The teacher questionnaire whose option labels the summaries print."""
    row = db.session.execute(
        select(Questionnaire.id, Questionnaire.fingerprint)
        .where(Questionnaire.cycle_id == cycle.id, Questionnaire.plan_kind == PlanKind.TEACHER)
        .order_by(Questionnaire.version.desc())
        .limit(1)
    ).first()
    return list(row) if row else None


def schools_listed(scope: Scope) -> list[list[Any]]:
    """The schools a per-school table prints (a county's few hundred at most)."""
    rows = db.session.execute(
        select(School.id, School.code, School.name, School.stage)
        .where(in_scope(School.id, scope))
        .order_by(School.id)
    )
    return [[id_, code, name, Stage(stage).value] for id_, code, name, stage in rows]


def schools_shape() -> list[list[Any]]:
    """Schools per county and stage: all the national summary shows of them."""
    rows = db.session.execute(
        select(School.county_code, School.stage, func.count())
        .group_by(School.county_code, School.stage)
        .order_by(School.county_code, School.stage)
    )
    return [[county, Stage(stage).value, count] for county, stage, count in rows]


def county_names() -> dict[str, str]:
    """County names by code: the national summary prints them."""
    return dict(db.session.execute(select(County.code, County.name)).all())


# ---- 進修需求分析 (the analytics section of the county and national summaries) ----------


def summary_labels_and_previous(cycle: Cycle, scope: Scope) -> list[list[Any]]:
    """In one statement, for this cycle and the one of the year before (if it exists):
    the newest teacher and school questionnaires (their labels are printed) and the
    submitted plans in scope (the year before is printed beside; a submit anywhere also
    moves ``plans_state``'s newest submission, a reopen lowers these counts)."""

    def latest(kind: PlanKind) -> Any:
        return (
            select(Questionnaire.fingerprint)
            .where(Questionnaire.cycle_id == Cycle.id, Questionnaire.plan_kind == kind)
            .order_by(Questionnaire.version.desc())
            .limit(1)
            .scalar_subquery()
        )

    def submitted(model: Any) -> Any:
        return (
            select(func.count())
            .select_from(model)
            .where(
                model.cycle_id == Cycle.id,
                model.status == PlanStatus.SUBMITTED,
                in_scope(model.school_id, scope),
            )
            .scalar_subquery()
        )

    rows = db.session.execute(
        select(
            Cycle.academic_year,
            Cycle.name,
            latest(PlanKind.TEACHER),
            latest(PlanKind.SCHOOL),
            submitted(TeacherPlan),
            submitted(SchoolPlan),
        )
        .where(Cycle.academic_year.in_((cycle.academic_year, cycle.academic_year - 1)))
        .order_by(Cycle.academic_year)
    )
    return [list(row) for row in rows]
