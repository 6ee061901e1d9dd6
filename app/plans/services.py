"""The rules for writing a plan, the same for school plans and teacher plans.

Every write is decided on the server against the window in force for that school
(or teacher), and is an optimistic-locked UPDATE ... WHERE version = :expected, so a
stale form or a second concurrent submit changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import and_, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased

from app import audit, timeutil
from app.cycles.windows import WindowState, state_between
from app.extensions import db
from app.models import (
    Cycle,
    CycleStatus,
    Extension,
    PlanKind,
    PlanStatus,
    PlanVersion,
    Questionnaire,
    RosterSnapshot,
    School,
    SchoolPlan,
    Stage,
    Teacher,
    TeacherPlan,
    Window,
)
from app.questionnaires import engine

PLAN_MODELS: dict[PlanKind, type[SchoolPlan] | type[TeacherPlan]] = {
    PlanKind.SCHOOL: SchoolPlan,
    PlanKind.TEACHER: TeacherPlan,
}


@dataclass
class PlanContext:
    """Everything a plan page or write needs, loaded in one statement."""

    kind: PlanKind
    cycle: Cycle
    school: School
    window: Window | None
    extension_until: datetime | None
    plan: SchoolPlan | TeacherPlan | None
    questionnaire: Questionnaire | None
    teacher: Teacher | None = None
    snapshot: RosterSnapshot | None = None
    moment: datetime = field(default_factory=timeutil.now)

    @property
    def taking_part(self) -> bool:
        if self.window is None:
            return False
        if self.school.stage == Stage.KINDERGARTEN:
            return self.kind == PlanKind.TEACHER and self.cycle.kindergarten_teachers_take_part
        return True

    @property
    def state(self) -> WindowState:
        if not self.taking_part or self.window is None:
            return WindowState("not_taking_part", moment=self.moment)
        closes_at = self.window.closes_at
        extended = self.extension_until is not None and self.extension_until > closes_at
        if extended:
            closes_at = self.extension_until
        return state_between(self.window.opens_at, closes_at, self.moment, extended=extended)

    @property
    def version(self) -> int:
        return self.plan.version if self.plan else 0

    @property
    def answers(self) -> dict[str, Any]:
        return dict(self.plan.answers) if self.plan else {}

    @property
    def definition(self) -> dict[str, Any]:
        assert self.questionnaire is not None
        return self.questionnaire.definition

    @property
    def facts(self) -> dict[str, Any]:
        facts = {
            "academic_year": self.cycle.academic_year,
            "school_name": self.school.name,
            "school_code": self.school.code,
            "stage_name": self.school.stage.label,
        }
        if self.teacher is not None:
            facts["teacher_name"] = self.teacher.name
        return facts


class PlanRefused(Exception):
    """A write that changed nothing; `message` says why in zh-TW."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class WindowClosed(PlanRefused):
    pass


class VersionConflict(PlanRefused):
    def __init__(self, message: str, current: SchoolPlan | TeacherPlan | None) -> None:
        super().__init__(message)
        self.current = current


class InvalidAnswers(PlanRefused):
    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__(
            _("有 %(count)d 個欄位需要修正，請查看各欄位旁的說明。", count=len(errors))
        )
        self.errors = errors


# ---- loading -----------------------------------------------------------------------------


def _current_cycle_id() -> Any:
    return (
        select(Cycle.id)
        .where(Cycle.status == CycleStatus.PUBLISHED)
        .order_by(Cycle.academic_year.desc())
        .limit(1)
        .scalar_subquery()
    )


def _extension_until(kind: PlanKind, school_id: Any, teacher_id: Any = None) -> Any:
    target = Extension.school_id == school_id
    if teacher_id is not None:
        target = target | (Extension.teacher_id == teacher_id)
    return (
        select(func.max(Extension.until))
        .where(Extension.cycle_id == Cycle.id, Extension.plan_kind == kind, target)
        .correlate(Cycle, School)
        .scalar_subquery()
    )


def _latest_questionnaire_id(kind: PlanKind) -> Any:
    q = aliased(Questionnaire)
    return (
        select(q.id)
        .where(q.cycle_id == Cycle.id, q.plan_kind == kind)
        .order_by(q.version.desc())
        .limit(1)
        .correlate(Cycle)
        .scalar_subquery()
    )


def load_school_context(school_id: int, year: int | None = None) -> PlanContext | None:
    """Load the cycle, school, window, extension, plan and questionnaire in one query."""
    kind = PlanKind.SCHOOL
    cycle_filter = Cycle.academic_year == year if year else Cycle.id == _current_cycle_id()
    stmt = (
        select(Cycle, School, Window, _extension_until(kind, School.id), SchoolPlan, Questionnaire)
        .select_from(Cycle)
        .join(School, School.id == school_id)
        .outerjoin(
            Window,
            and_(
                Window.cycle_id == Cycle.id, Window.plan_kind == kind, Window.stage == School.stage
            ),
        )
        .outerjoin(
            SchoolPlan, and_(SchoolPlan.cycle_id == Cycle.id, SchoolPlan.school_id == School.id)
        )
        .outerjoin(
            Questionnaire,
            Questionnaire.id
            == func.coalesce(SchoolPlan.questionnaire_id, _latest_questionnaire_id(kind)),
        )
        .where(cycle_filter)
    )
    row = db.session.execute(stmt).first()
    if row is None:
        return None
    cycle, school, window, until, plan, questionnaire = row
    return PlanContext(kind, cycle, school, window, until, plan, questionnaire)


def load_teacher_context(teacher: Teacher, year: int | None = None) -> PlanContext | None:
    """Load the teacher's snapshot school, window, extension, plan and questionnaire."""
    kind = PlanKind.TEACHER
    cycle_filter = Cycle.academic_year == year if year else Cycle.id == _current_cycle_id()
    stmt = (
        select(
            Cycle,
            RosterSnapshot,
            School,
            Window,
            _extension_until(kind, School.id, teacher.id),
            TeacherPlan,
            Questionnaire,
        )
        .select_from(Cycle)
        .join(
            RosterSnapshot,
            and_(RosterSnapshot.cycle_id == Cycle.id, RosterSnapshot.teacher_id == teacher.id),
        )
        .join(School, School.id == RosterSnapshot.school_id)
        .outerjoin(
            Window,
            and_(
                Window.cycle_id == Cycle.id, Window.plan_kind == kind, Window.stage == School.stage
            ),
        )
        .outerjoin(
            TeacherPlan,
            and_(TeacherPlan.cycle_id == Cycle.id, TeacherPlan.teacher_id == teacher.id),
        )
        .outerjoin(
            Questionnaire,
            Questionnaire.id
            == func.coalesce(TeacherPlan.questionnaire_id, _latest_questionnaire_id(kind)),
        )
        .where(cycle_filter)
    )
    row = db.session.execute(stmt).first()
    if row is None:
        return None
    cycle, snapshot, school, window, until, plan, questionnaire = row
    return PlanContext(
        kind, cycle, school, window, until, plan, questionnaire, teacher=teacher, snapshot=snapshot
    )


def submitted_school_plan(cycle_id: int, school_id: int) -> SchoolPlan | None:
    """The school's plan if it has been submitted (what teachers may see and adopt)."""
    return db.session.scalar(
        select(SchoolPlan).where(
            SchoolPlan.cycle_id == cycle_id,
            SchoolPlan.school_id == school_id,
            SchoolPlan.status == PlanStatus.SUBMITTED,
        )
    )


# ---- writing -----------------------------------------------------------------------------


def _require_open(ctx: PlanContext) -> None:
    state = ctx.state
    if state.is_open:
        return
    if state.state == "not_open":
        raise WindowClosed(
            _(
                "填寫期間自 %(opens)s 開始，目前尚未開放；這次的內容未儲存。",
                opens=timeutil.roc_datetime(state.opens_at),
            )
        )
    if state.state == "closed":
        raise WindowClosed(
            _(
                "填寫期間已於 %(closes)s 截止，這次的變更未儲存；"
                "先前儲存的內容仍保留。如需延長填寫，請洽主管機關。",
                closes=timeutil.roc_datetime(state.closes_at),
            )
        )
    raise WindowClosed(_("您的教育階段本學年度不需填寫此項規劃。"))


def _conflict(ctx: PlanContext, actor_name: str) -> VersionConflict:
    model = PLAN_MODELS[ctx.kind]
    db.session.rollback()
    current = None
    if ctx.plan is not None:
        current = db.session.get(model, ctx.plan.id, populate_existing=True)
    else:
        where = [model.cycle_id == ctx.cycle.id]
        where.append(
            model.teacher_id == ctx.teacher.id
            if ctx.kind == PlanKind.TEACHER
            else model.school_id == ctx.school.id
        )
        current = db.session.scalar(select(model).where(*where))
    who = current.updated_by if current else ""
    when = timeutil.roc_datetime(current.updated_at) if current else ""
    version = current.version if current else "?"
    if who == actor_name:
        # Your own other tab or window, not a colleague: say so.
        text = _(
            "這份規劃已在您的另一個視窗或分頁更新（%(when)s，第 %(version)s 版）。"
            "這裡的變更尚未儲存：請對照下方最新內容，確認後再儲存。",
            when=when,
            version=version,
        )
        return VersionConflict(text, current)
    return VersionConflict(
        _(
            "這份規劃已在您開啟後被更新（%(who)s，%(when)s，第 %(version)s 版）。"
            "您這次的變更尚未儲存：請對照下方最新內容，確認後再儲存。",
            who=who,
            when=when,
            version=version,
        ),
        current,
    )


def _write(ctx: PlanContext, expected_version: int, values: dict[str, Any], actor_name: str) -> int:
    """Insert the plan (first save) or update it if still at `expected_version`."""
    model = PLAN_MODELS[ctx.kind]
    moment = ctx.moment
    values = {**values, "updated_at": moment, "updated_by": actor_name}
    if ctx.plan is None:
        if expected_version != 0:
            raise _conflict(ctx, actor_name)
        row = {
            "cycle_id": ctx.cycle.id,
            "school_id": ctx.school.id,
            "questionnaire_id": ctx.questionnaire.id,
            "version": 1,
            "status": PlanStatus.DRAFT,
            **values,
        }
        if ctx.kind == PlanKind.TEACHER:
            row["teacher_id"] = ctx.teacher.id
        try:
            with db.session.begin_nested():
                plan_id = db.session.execute(
                    insert(model).values(**row).returning(model.id)
                ).scalar_one()
        except IntegrityError:
            raise _conflict(ctx, actor_name) from None
        ctx.plan = db.session.get(model, plan_id)
        return 1
    result = db.session.execute(
        update(model)
        .where(model.id == ctx.plan.id, model.version == expected_version)
        .values(version=model.version + 1, **values)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        raise _conflict(ctx, actor_name)
    return expected_version + 1


def _audit(ctx: PlanContext, action: str, version: int) -> None:
    table = "school_plan" if ctx.kind == PlanKind.SCHOOL else "teacher_plan"
    audit.record(
        action,
        table,
        ctx.plan.id if ctx.plan else "new",
        after={"version": version, "cycle": ctx.cycle.academic_year},
    )


def save_draft(
    ctx: PlanContext, answers: dict[str, Any], expected_version: int, actor_name: str
) -> int:
    """Save a draft if the window is open, the answers are well-formed and nobody else
    saved in between; return the new version."""
    _require_open(ctx)
    errors = engine.validate(ctx.definition, answers, final=False)
    if errors:
        raise InvalidAnswers(errors)
    version = _write(
        ctx, expected_version, {"answers": answers, "status": PlanStatus.DRAFT}, actor_name
    )
    _audit(ctx, "plan.save", version)
    return version


def submit(
    ctx: PlanContext, answers: dict[str, Any], expected_version: int, actor_name: str
) -> int:
    """Validate everything, store the plan as submitted and keep this version."""
    _require_open(ctx)
    errors = engine.validate(ctx.definition, answers, final=True)
    if errors:
        raise InvalidAnswers(errors)
    answers = engine.clean(ctx.definition, answers)
    try:
        version = _write(
            ctx,
            expected_version,
            {
                "answers": answers,
                "status": PlanStatus.SUBMITTED,
                "submitted_at": ctx.moment,
            },
            actor_name,
        )
    except VersionConflict as conflict:
        # The same submission arriving twice (double click, two tabs): one submission.
        current = conflict.current
        if (
            current is not None
            and current.status == PlanStatus.SUBMITTED
            and current.answers == answers
        ):
            ctx.plan = current
            return current.version
        raise
    db.session.execute(
        insert(PlanVersion).values(
            plan_kind=ctx.kind,
            plan_id=ctx.plan.id,
            version=version,
            answers=answers,
            submitted_at=ctx.moment,
            submitted_by=actor_name,
        )
    )
    _audit(ctx, "plan.submit", version)
    return version


def reopen(ctx: PlanContext, expected_version: int, actor_name: str) -> int:
    """Turn a submitted plan back into a draft while the window is open."""
    _require_open(ctx)
    if ctx.plan is None or ctx.plan.status != PlanStatus.SUBMITTED:
        raise PlanRefused(_("這份規劃尚未送出，不需要重新開啟。"))
    version = _write(ctx, expected_version, {"status": PlanStatus.DRAFT}, actor_name)
    _audit(ctx, "plan.reopen", version)
    return version


def refresh(ctx: PlanContext) -> None:
    """Reload the plan row after a write so the page shows what is stored."""
    if ctx.plan is not None:
        db.session.refresh(ctx.plan)
