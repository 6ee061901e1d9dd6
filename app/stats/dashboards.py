"""The oversight dashboards' read models: completion per authority, per stage, per school,
and one school's roster, each a GROUP BY over a scope (see :mod:`app.stats.completion`).

Python receives grouped rows only: one per authority, per stage or per school at most,
and one page of a school's teachers. The counts come from ``completion_by``, the very
function the county and national PDFs use, so the dashboards and the PDFs agree.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from flask import current_app, g, has_app_context, has_request_context
from sqlalchemy import ColumnElement, Select, and_, case, func, nulls_last, select
from sqlalchemy.orm import QueryableAttribute

from app.cycles.windows import WindowState, state_between
from app.extensions import db
from app.models import (
    STAGE_ORDER,
    Authority,
    AuthorityKind,
    County,
    Cycle,
    Extension,
    PlanKind,
    PlanStatus,
    PlanVersion,
    RosterSnapshot,
    School,
    SchoolPlan,
    Stage,
    Teacher,
    TeacherPlan,
    Window,
)
from app.stats.completion import Completion, SchoolRow, completion_by, school_rows
from app.stats.scope import Scope, in_scope

Group = ColumnElement[Any] | QueryableAttribute[Any]
T = TypeVar("T")


# ---- remembering grouped figures while nothing they count has changed ---------------------------
#
# Counting the whole roster snapshot against the plans is a join of two large tables; the
# dashboards ask for the same figures again and again between submits. A figure is kept
# (per process) under a fingerprint of everything it counts, read off indexes at the cost
# of one count(*): plans per state (so a plan started, submitted or reopened moves it),
# the newest kept submission, the snapshot's time, the extensions and the schools. School
# names and stages, which the fingerprint does not cover, are refreshed within
# MEMO_SECONDS.

MEMO_ENTRIES = 256
MEMO_SECONDS = 60.0
_memo: OrderedDict[tuple[Any, ...], tuple[float, Any]] = OrderedDict()
_memo_lock = threading.Lock()
_checked: dict[int, tuple[float, tuple[Any, ...]]] = {}  # cycle id → (when, fingerprint read)


def fingerprint(cycle: Cycle) -> tuple[Any, ...]:
    """What every completion figure of the cycle depends on (once per request).

    Reading it costs about two ``count(*)``; a process reads it again at most every
    DASHBOARD_CHECK_SECONDS (default 5), so dashboards refreshed by many people at the
    peak share one reading and their figures are at most that many seconds old.
    """
    cached = g.get("_completion_fingerprint") if has_request_context() else None
    if cached is not None and cached[0] == cycle.id:
        return tuple(cached)
    window = float(current_app.config.get("DASHBOARD_CHECK_SECONDS", 0)) if has_app_context() else 0
    now = time.monotonic()
    with _memo_lock:
        seen = _checked.get(cycle.id)
    if seen is not None and now - seen[0] < window:
        parts = list(seen[1])
    else:
        parts = _read_fingerprint(cycle)
        with _memo_lock:
            _checked[cycle.id] = (now, tuple(parts))
    if has_request_context():
        g._completion_fingerprint = parts
    return tuple(parts)


def _read_fingerprint(cycle: Cycle) -> list[Any]:
    parts: list[Any] = [cycle.id, cycle.snapshot_taken_at]
    for model in (TeacherPlan, SchoolPlan):
        rows = db.session.execute(
            select(model.status, func.count())
            .where(model.cycle_id == cycle.id)
            .group_by(model.status)
            .order_by(model.status)
        )
        parts.append(tuple((str(status), int(n)) for status, n in rows))
    parts.append(db.session.scalar(select(func.max(PlanVersion.id))))
    parts.append(
        tuple(
            db.session.execute(
                select(func.count(), func.max(Extension.id)).where(Extension.cycle_id == cycle.id)
            ).one()
        )
    )
    parts.append(tuple(db.session.execute(select(func.count(), func.max(School.id))).one()))
    return parts


def _scope_key(scope: Scope) -> str:
    if scope is None:
        return ""
    dialect = db.session.get_bind().dialect
    return str(scope.compile(dialect=dialect, compile_kwargs={"literal_binds": True}))


def remembered(cycle: Cycle, scope: Scope, what: str, compute: Callable[[], T]) -> T:
    """``compute()`` (grouped figures of ``scope``), or the same figures kept from before."""
    key = (what, _scope_key(scope), fingerprint(cycle))
    now = time.monotonic()
    with _memo_lock:
        found = _memo.get(key)
        if found is not None and now - found[0] < MEMO_SECONDS:
            _memo.move_to_end(key)
            return found[1]
    value = compute()
    with _memo_lock:
        _memo[key] = (now, value)
        while len(_memo) > MEMO_ENTRIES:
            _memo.popitem(last=False)
    return value


def forget() -> None:
    """Drop every kept figure (tests that change rows behind the fingerprint's back)."""
    with _memo_lock:
        _memo.clear()
        _checked.clear()


@dataclass(frozen=True)
class Extended:
    """How many schools (school-wide) and teachers (one by one) were granted an extension."""

    schools: int = 0
    teachers: int = 0

    def __add__(self, other: Extended) -> Extended:
        return Extended(self.schools + other.schools, self.teachers + other.teachers)


def extended_by(
    cycle: Cycle, scope: Scope = None, *groups: Group
) -> dict[tuple[Any, ...], Extended]:
    """Schools and teachers with an extension of this cycle, per value of ``groups``."""
    width = len(groups)
    schools = (
        select(*groups, func.count(func.distinct(School.id)))
        .select_from(School)
        .join(Extension, Extension.school_id == School.id)
        .where(Extension.cycle_id == cycle.id, in_scope(School.id, scope))
        .group_by(*groups)
    )
    teachers = (
        select(*groups, func.count(func.distinct(Extension.teacher_id)))
        .select_from(Extension)
        .join(
            RosterSnapshot,
            and_(
                RosterSnapshot.cycle_id == Extension.cycle_id,
                RosterSnapshot.teacher_id == Extension.teacher_id,
            ),
        )
        .join(School, School.id == RosterSnapshot.school_id)
        .where(Extension.cycle_id == cycle.id, in_scope(School.id, scope))
        .group_by(*groups)
    )
    found: dict[tuple[Any, ...], Extended] = {}
    for row in db.session.execute(schools):
        key = tuple(row[:width])
        found[key] = found.get(key, Extended()) + Extended(schools=int(row[width]))
    for row in db.session.execute(teachers):
        key = tuple(row[:width])
        found[key] = found.get(key, Extended()) + Extended(teachers=int(row[width]))
    return found


def by_authority_and_stage(cycle: Cycle, scope: Scope) -> dict[tuple[Any, ...], Completion]:
    """Completion per (authority, stage) in scope: one GROUP BY, both first-level tables."""
    return remembered(
        cycle,
        scope,
        "authority-stage",
        lambda: completion_by(cycle, scope, School.authority_id, School.stage),
    )


# ---- per stage: the windows and their counts ------------------------------------------------


@dataclass(frozen=True)
class StageRow:
    """One stage: its two windows at this moment, its completion and its extensions."""

    stage: Stage
    completion: Completion
    school_window: WindowState
    teacher_window: WindowState
    extended: Extended


def window_states(cycle: Cycle, moment: datetime) -> dict[tuple[PlanKind, Stage], WindowState]:
    """Each window of the cycle classified at ``moment``."""
    windows = db.session.scalars(select(Window).where(Window.cycle_id == cycle.id))
    return {(w.plan_kind, w.stage): state_between(w.opens_at, w.closes_at, moment) for w in windows}


def _not_taking_part(moment: datetime) -> WindowState:
    return WindowState("not_taking_part", moment=moment)


def stage_rows(cycle: Cycle, scope: Scope, moment: datetime) -> list[StageRow]:
    """The stages present in scope, in the letter's order, with windows and counts."""
    counts: dict[Stage, Completion] = {}
    for (_authority, stage), value in by_authority_and_stage(cycle, scope).items():
        counts[stage] = counts.get(stage, Completion()) + value
    extended = {key[0]: value for key, value in extended_by(cycle, scope, School.stage).items()}
    states = window_states(cycle, moment)
    rows = []
    for stage in STAGE_ORDER:
        if stage not in counts:
            continue
        school = states.get((PlanKind.SCHOOL, stage)) if stage != Stage.KINDERGARTEN else None
        teacher = states.get((PlanKind.TEACHER, stage))
        if stage == Stage.KINDERGARTEN and not cycle.kindergarten_teachers_take_part:
            teacher = None
        rows.append(
            StageRow(
                stage,
                counts[stage],
                school or _not_taking_part(moment),
                teacher or _not_taking_part(moment),
                extended.get(stage, Extended()),
            )
        )
    return rows


# ---- per authority: the first level ---------------------------------------------------------


@dataclass(frozen=True)
class UnitRow:
    """An authority's schools: a county bureau's, or 國教署's national schools."""

    authority_id: int
    name: str
    kind: AuthorityKind
    county_code: str | None
    county_name: str
    completion: Completion
    extended: Extended


def unit_rows(cycle: Cycle, scope: Scope) -> list[UnitRow]:
    """One row per authority governing schools in scope, county bureaus by code first."""
    counts: dict[int, Completion] = {}
    for (authority_id, _stage), value in by_authority_and_stage(cycle, scope).items():
        counts[authority_id] = counts.get(authority_id, Completion()) + value
    if not counts:
        return []
    extended = {
        key[0]: value for key, value in extended_by(cycle, scope, School.authority_id).items()
    }
    authorities = db.session.execute(
        select(Authority.id, Authority.name, Authority.kind, Authority.county_code, County.name)
        .outerjoin(County, County.code == Authority.county_code)
        .where(Authority.id.in_(list(counts)))
    )
    rows = [
        UnitRow(
            id_,
            name,
            kind,
            county_code,
            county_name or "",
            counts[id_],
            extended.get(id_, Extended()),
        )
        for id_, name, kind, county_code, county_name in authorities
    ]
    rows.sort(key=lambda r: (r.kind == AuthorityKind.NATIONAL, r.county_code or "", r.name))
    return rows


# ---- per school: the second level ------------------------------------------------------------


@dataclass(frozen=True)
class SchoolExtensions:
    """A school's extensions: of its school plan, of all its teachers, of some teachers."""

    school_plan_until: datetime | None = None
    teacher_plan_until: datetime | None = None
    teachers: int = 0


@dataclass(frozen=True)
class DashboardSchool:
    """A school row of the dashboard: its completion, windows as extended, extensions."""

    row: SchoolRow
    county_name: str
    school_window: WindowState
    teacher_window: WindowState
    extensions: SchoolExtensions

    @property
    def completion(self) -> Completion:
        return self.row.completion


def school_extensions(cycle: Cycle, scope: Scope) -> dict[int, SchoolExtensions]:
    """The extensions of each school in scope that has any."""
    school_wide = db.session.execute(
        select(Extension.school_id, Extension.plan_kind, func.max(Extension.until))
        .where(
            Extension.cycle_id == cycle.id,
            Extension.school_id.is_not(None),
            in_scope(Extension.school_id, scope),
        )
        .group_by(Extension.school_id, Extension.plan_kind)
    )
    one_by_one = db.session.execute(
        select(RosterSnapshot.school_id, func.count(func.distinct(Extension.teacher_id)))
        .select_from(Extension)
        .join(
            RosterSnapshot,
            and_(
                RosterSnapshot.cycle_id == Extension.cycle_id,
                RosterSnapshot.teacher_id == Extension.teacher_id,
            ),
        )
        .where(Extension.cycle_id == cycle.id, in_scope(RosterSnapshot.school_id, scope))
        .group_by(RosterSnapshot.school_id)
    )
    found: dict[int, dict[str, Any]] = {}
    for school_id, kind, until in school_wide:
        if school_id is None:  # excluded by the statement; for the type checker
            continue
        key = "school_plan_until" if kind == PlanKind.SCHOOL else "teacher_plan_until"
        found.setdefault(school_id, {})[key] = until
    for school_id, teachers in one_by_one:
        found.setdefault(school_id, {})["teachers"] = int(teachers)
    return {school_id: SchoolExtensions(**values) for school_id, values in found.items()}


def extended_state(state: WindowState, until: datetime | None) -> WindowState:
    """A window state as one school sees it: an extension moves its close later."""
    if until is None or state.opens_at is None or state.closes_at is None:
        return state
    if until <= state.closes_at or state.moment is None:
        return state
    return state_between(state.opens_at, until, state.moment, extended=True)


def dashboard_schools(cycle: Cycle, scope: Scope, moment: datetime) -> list[DashboardSchool]:
    """Every school in scope with its completion, windows and extensions (stage, code)."""
    rows = remembered(cycle, scope, "schools", lambda: school_rows(cycle, scope))
    if not rows:
        return []
    counties: dict[str, str] = dict(db.session.execute(select(County.code, County.name)).all())
    states = window_states(cycle, moment)
    extensions = school_extensions(cycle, scope)
    none = _not_taking_part(moment)
    found = []
    for row in rows:
        ext = extensions.get(row.id, SchoolExtensions())
        school_state = none
        if row.stage != Stage.KINDERGARTEN:
            school_state = states.get((PlanKind.SCHOOL, row.stage), none)
        teacher_state = states.get((PlanKind.TEACHER, row.stage), none)
        if row.stage == Stage.KINDERGARTEN and not cycle.kindergarten_teachers_take_part:
            teacher_state = none
        found.append(
            DashboardSchool(
                row,
                counties.get(row.county_code, row.county_code),
                extended_state(school_state, ext.school_plan_until),
                extended_state(teacher_state, ext.teacher_plan_until),
                ext,
            )
        )
    return found


# ---- one school's teachers: the third level -------------------------------------------------


@dataclass(frozen=True)
class TeacherRow:
    """A teacher of the roster snapshot: masked ID only, the plan's state, an extension."""

    teacher_id: int
    name: str
    national_id_masked: str
    title: str
    status: PlanStatus | None
    submitted_at: datetime | None
    updated_at: datetime | None
    extension_until: datetime | None

    @property
    def state(self) -> str:
        """ "submitted", "draft" or "none"."""
        return self.status.value if self.status else "none"


TEACHER_STATES = ("submitted", "draft", "none")


def _state_order() -> ColumnElement[int]:
    return case(
        (TeacherPlan.status == PlanStatus.SUBMITTED, 0),
        (TeacherPlan.status == PlanStatus.DRAFT, 1),
        else_=2,
    )


TEACHER_SORTS: dict[str, Any] = {
    "name": lambda: Teacher.name,
    "title": lambda: RosterSnapshot.title,
    "state": _state_order,
    "submitted_at": lambda: TeacherPlan.submitted_at,
    "updated_at": lambda: TeacherPlan.updated_at,
}


def _roster_of(cycle: Cycle, school_id: int, state: str, text: str) -> Select[Any]:
    plan_of_roster = and_(
        TeacherPlan.cycle_id == RosterSnapshot.cycle_id,
        TeacherPlan.teacher_id == RosterSnapshot.teacher_id,
        TeacherPlan.school_id == RosterSnapshot.school_id,
    )
    query = (
        select()
        .select_from(RosterSnapshot)
        .join(Teacher, Teacher.id == RosterSnapshot.teacher_id)
        .outerjoin(TeacherPlan, plan_of_roster)
        .where(RosterSnapshot.cycle_id == cycle.id, RosterSnapshot.school_id == school_id)
    )
    if state == "none":
        query = query.where(TeacherPlan.id.is_(None))
    elif state:
        query = query.where(TeacherPlan.status == PlanStatus(state))
    if text:
        query = query.where(Teacher.name.contains(text, autoescape=True))
    return query


def teacher_counts(cycle: Cycle, school_id: int, *, state: str = "", text: str = "") -> Completion:
    """The roster snapshot's teachers by plan state (after the same filters as the rows)."""
    grouped = db.session.execute(
        _roster_of(cycle, school_id, state, text)
        .add_columns(TeacherPlan.status, func.count())
        .group_by(TeacherPlan.status)
    )
    counts = {status: int(n) for status, n in grouped}
    return Completion(
        roster=sum(counts.values()),
        submitted=counts.get(PlanStatus.SUBMITTED, 0),
        draft=counts.get(PlanStatus.DRAFT, 0),
    )


def teacher_rows(
    cycle: Cycle,
    school_id: int,
    *,
    state: str = "",
    text: str = "",
    sort: str = "name",
    descending: bool = False,
    limit: int | None = None,
    offset: int = 0,
) -> list[TeacherRow]:
    """One page of the school's roster snapshot with the state of each teacher's plan."""
    extension = (
        select(Extension.teacher_id, func.max(Extension.until).label("until"))
        .where(
            Extension.cycle_id == cycle.id,
            Extension.plan_kind == PlanKind.TEACHER,
            Extension.teacher_id.is_not(None),
        )
        .group_by(Extension.teacher_id)
        .subquery("teacher_extension")
    )
    key = TEACHER_SORTS[sort]()
    order = key.desc() if descending else key.asc()
    query = (
        _roster_of(cycle, school_id, state, text)
        .add_columns(
            Teacher.id,
            Teacher.name,
            Teacher.national_id_masked,
            RosterSnapshot.title,
            TeacherPlan.status,
            TeacherPlan.submitted_at,
            TeacherPlan.updated_at,
            extension.c.until,
        )
        .outerjoin(extension, extension.c.teacher_id == Teacher.id)
        .order_by(nulls_last(order), Teacher.name, Teacher.id)
        .offset(offset)
    )
    if limit is not None:
        query = query.limit(limit)
    return [TeacherRow(*row) for row in db.session.execute(query)]


def total(completions: Sequence[Completion]) -> Completion:
    """The sum of rows (what a table's total line shows)."""
    return sum(completions, Completion())
