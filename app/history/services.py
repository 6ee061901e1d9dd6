"""Plans of earlier cycles, the submitted versions of a plan, and prefill from last cycle.

Everything a person sees here is read through the policy's scopes: a teacher's own
plans, a school account's own school's plans. A cycle that is still a draft (not
published) does not exist for these pages.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import func, select

from app import policy
from app.cycles.windows import current_cycle_id
from app.extensions import db
from app.i18n import questionnaire_lang
from app.models import (
    AuditEntry,
    Cycle,
    CycleStatus,
    PlanKind,
    PlanStatus,
    PlanVersion,
    Questionnaire,
    SchoolPlan,
    TeacherPlan,
)
from app.plans import services as plans
from app.plans.receipts import Receipt, numbers_of, receipt_of
from app.plans.services import PlanContext, PlanRefused, Saved, definition_of
from app.questionnaires import engine

from .carry import Carry, carry_over, fill_empty

PREFILL = "plan.prefill"  # the audit action of the one save a prefill is


@dataclass
class CyclePlan:
    """One person's plan of one cycle, as the history pages show it.

    ``school_id`` and ``teacher_id`` name the owner for the policy's object check.
    """

    kind: PlanKind
    cycle: Cycle
    plan: SchoolPlan | TeacherPlan | None
    school_id: int | None
    teacher_id: int | None
    is_current: bool

    @property
    def definition(self) -> dict[str, Any]:
        assert self.plan is not None
        questionnaire = self.plan.questionnaire
        definition = definition_of(questionnaire.id, questionnaire.fingerprint)
        return engine.for_stage(definition, self.plan.school.stage)

    @property
    def facts(self) -> dict[str, Any]:
        assert self.plan is not None
        school = self.plan.school
        facts = {
            "academic_year": self.cycle.academic_year,
            "school_name": school.name,
            "school_code": school.code,
            "stage_name": school.stage.label,
        }
        if isinstance(self.plan, TeacherPlan):
            facts["teacher_name"] = self.plan.teacher.name
        return facts


@dataclass
class VersionView:
    """One submitted version of a plan in scope (its owner answers the policy)."""

    owner: CyclePlan
    version: PlanVersion
    receipt: Receipt  # its submission number (第 N 次送出) and reference

    @property
    def school_id(self) -> int | None:
        return self.owner.school_id

    @property
    def teacher_id(self) -> int | None:
        return self.owner.teacher_id


# ---- reading -----------------------------------------------------------------------------


def shown_cycle(year: int) -> Cycle | None:
    """The cycle of an academic year, unless it does not exist or is not yet published."""
    return db.session.scalar(
        select(Cycle).where(Cycle.academic_year == year, Cycle.status != CycleStatus.DRAFT)
    )


def _plans_in_scope(user: Any, kind: PlanKind) -> Any:
    if kind == PlanKind.TEACHER:
        return policy.teacher_plans_in_scope(user).where(TeacherPlan.teacher_id == user.id)
    return policy.school_plans_in_scope(user).where(SchoolPlan.school_id == user.school_id)


def _owner_ids(user: Any, kind: PlanKind, plan: Any) -> tuple[int | None, int | None]:
    if kind == PlanKind.TEACHER:
        return (plan.school_id if plan is not None else None), user.id
    return user.school_id, None


def cycle_plan(user: Any, kind: PlanKind, year: int) -> CyclePlan | None:
    """The user's own plan of a published cycle; None (404) when there is none, except for
    the current cycle, whose plan page exists before the plan does."""
    cycle = shown_cycle(year)
    if cycle is None:
        return None
    model: Any = plans.PLAN_MODELS[kind]
    plan = db.session.scalar(_plans_in_scope(user, kind).where(model.cycle_id == cycle.id))
    is_current = cycle.id == db.session.scalar(current_cycle_id())
    if plan is None and not is_current:
        return None
    school_id, teacher_id = _owner_ids(user, kind, plan)
    return CyclePlan(kind, cycle, plan, school_id, teacher_id, is_current)


def plan_of_year(user: Any, kind: PlanKind, year: int) -> CyclePlan | None:
    """As cycle_plan, but only a plan that exists (for its PDF and its versions)."""
    found = cycle_plan(user, kind, year)
    return found if found is not None and found.plan is not None else None


def version_in(user: Any, kind: PlanKind, year: int, number: int) -> VersionView | None:
    """Version ``number`` of the user's own plan of that cycle; another plan's is None."""
    owner = plan_of_year(user, kind, year)
    if owner is None or owner.plan is None:
        return None
    version = db.session.scalar(
        select(PlanVersion).where(
            PlanVersion.plan_kind == kind,
            PlanVersion.plan_id == owner.plan.id,
            PlanVersion.version == number,
        )
    )
    if version is None:
        return None
    return VersionView(owner, version, receipt_of(version, year))


def submissions_of(owner: CyclePlan, versions: list[PlanVersion]) -> dict[int, Receipt]:
    """The receipt of each of the plan's kept versions, by version: 第 N 次送出 counts
    submissions, where the version (the lock counter) also counts saves."""
    numbers = numbers_of(versions)
    year = owner.cycle.academic_year
    return {v.version: receipt_of(v, year, number=numbers[v.version]) for v in versions}


def versions_of(owner: CyclePlan) -> list[PlanVersion]:
    """Every submitted version of the plan, newest first."""
    if owner.plan is None:
        return []
    return list(
        db.session.scalars(
            select(PlanVersion)
            .where(PlanVersion.plan_kind == owner.kind, PlanVersion.plan_id == owner.plan.id)
            .order_by(PlanVersion.version.desc())
        )
    )


@dataclass(frozen=True)
class PlanRow:
    cycle: Cycle
    plan: SchoolPlan | TeacherPlan
    versions: int
    is_current: bool


def plans_by_cycle(user: Any, kind: PlanKind) -> list[PlanRow]:
    """The user's own plans of every published cycle, newest cycle first."""
    model: Any = plans.PLAN_MODELS[kind]
    counted = (
        select(func.count(PlanVersion.id))
        .where(PlanVersion.plan_kind == kind, PlanVersion.plan_id == model.id)
        .correlate(model)
        .scalar_subquery()
    )
    current = db.session.scalar(current_cycle_id())
    rows = db.session.execute(
        _plans_in_scope(user, kind)
        .add_columns(Cycle, counted)
        .join(Cycle, Cycle.id == model.cycle_id)
        .where(Cycle.status != CycleStatus.DRAFT)
        .order_by(Cycle.academic_year.desc())
    )
    return [PlanRow(cycle, plan, count, cycle.id == current) for plan, cycle, count in rows]


# ---- prefill from last cycle -------------------------------------------------------------


@dataclass
class Source:
    """The plan of the previous cycle that a new plan may start from."""

    cycle: Cycle
    answers: dict[str, Any]
    definition: dict[str, Any]


def previous_source(ctx: PlanContext) -> Source | None:
    """The own plan of the cycle before this one (the latest published or closed cycle of
    an earlier year), or None."""
    model: Any = plans.PLAN_MODELS[ctx.kind]
    previous = (
        select(Cycle.id)
        .where(Cycle.status != CycleStatus.DRAFT, Cycle.academic_year < ctx.cycle.academic_year)
        .order_by(Cycle.academic_year.desc())
        .limit(1)
        .scalar_subquery()
    )
    if ctx.kind == PlanKind.TEACHER:
        assert ctx.teacher is not None
        owner = model.teacher_id == ctx.teacher.id
    else:
        owner = model.school_id == ctx.school.id
    row = db.session.execute(
        select(Cycle, model.answers, Questionnaire.id, Questionnaire.fingerprint)
        .join(model, model.cycle_id == Cycle.id)
        .join(Questionnaire, Questionnaire.id == model.questionnaire_id)
        .where(Cycle.id == previous, owner)
    ).first()
    if row is None:
        return None
    cycle, answers, questionnaire_id, fingerprint = row
    return Source(cycle, dict(answers or {}), definition_of(questionnaire_id, fingerprint))


def may_prefill(ctx: PlanContext) -> bool:
    """A plan not yet submitted, in an open window, may start from last cycle's."""
    submitted = ctx.plan is not None and ctx.plan.status == PlanStatus.SUBMITTED
    return ctx.state.is_open and not submitted


def prefill(
    ctx: PlanContext, expected_version: int, actor_name: str
) -> tuple[Saved, dict[str, Any]]:
    """Fill the unanswered questions with last cycle's answers where the question and
    option codes still exist: one draft save, audited with what was carried."""
    if ctx.plan is not None and ctx.plan.status == PlanStatus.SUBMITTED:
        raise PlanRefused(_("這份規劃已送出；請先重新開啟，再帶入去年資料。"))
    source = previous_source(ctx)
    if source is None:
        raise PlanRefused(_("沒有可帶入的前一學年度規劃。"))
    if expected_version != ctx.version:
        raise PlanRefused(
            _("這份規劃已在您開啟後更新，這次未帶入；請重新整理頁面，確認內容後再帶入。")
        )
    carry = carry_over(source.definition, source.answers, ctx.definition)
    answers, filled = fill_empty(ctx.answers, carry)
    if not filled:
        raise PlanRefused(_("前一學年度的答案沒有可帶入空白欄位的內容，這次未儲存。"))
    details = {
        "prefill_from": source.cycle.academic_year,
        "carried": filled,
        "partial": [code for code in carry.partial if code in filled],
        "kept": [code for code in carry.answers if code not in filled],
        "not_carried": carry.not_carried,
        "new": carry.new,
    }
    saved = plans.save_draft(
        ctx, answers, expected_version, actor_name, audit_as=(PREFILL, details)
    )
    return saved, details


def prefill_record(ctx: PlanContext) -> dict[str, Any] | None:
    """What the plan's latest prefill carried (its audit entry), or None."""
    if ctx.plan_id is None:
        return None
    table = "school_plan" if ctx.kind == PlanKind.SCHOOL else "teacher_plan"
    after = db.session.scalar(
        select(AuditEntry.after)
        .where(
            AuditEntry.object_type == table,
            AuditEntry.object_id == str(ctx.plan_id),
            AuditEntry.action == PREFILL,
        )
        .order_by(AuditEntry.id.desc())
        .limit(1)
    )
    return after if isinstance(after, dict) else None


@dataclass
class Mark:
    code: str
    label: str


@dataclass
class PrefillPanel:
    """What the plan page shows about last cycle: the offer, or what a prefill did."""

    source_year: int | None = None
    source_name: str = ""
    offer: bool = False
    carried: list[Mark] = field(default_factory=list)
    partial: list[Mark] = field(default_factory=list)
    kept: list[Mark] = field(default_factory=list)
    not_carried: list[Mark] = field(default_factory=list)
    new: list[Mark] = field(default_factory=list)
    done: bool = False


def _marks(ctx: PlanContext, codes: Any) -> list[Mark]:
    questions = engine.question_map(ctx.definition)
    lang = questionnaire_lang()
    return [
        Mark(code, engine.text_in(questions[code].get("label"), lang).rstrip("？?：:"))
        for code in codes or ()
        if isinstance(code, str) and code in questions
    ]


def _fill(panel: PrefillPanel, ctx: PlanContext, lists: dict[str, Any]) -> None:
    for name in ("carried", "partial", "kept", "not_carried", "new"):
        setattr(panel, name, _marks(ctx, lists.get(name)))


def prefill_panel(ctx: PlanContext) -> PrefillPanel | None:
    """The panel of the plan page: what was carried (after a prefill, while a draft), or
    what would be (before one, while the window is open); None when neither applies."""
    if ctx.plan is not None and ctx.plan.status == PlanStatus.DRAFT:
        record = prefill_record(ctx)
        if record is not None:
            panel = PrefillPanel(source_year=record.get("prefill_from"), done=True)
            _fill(panel, ctx, record)
            return panel
    if not may_prefill(ctx):
        return None
    source = previous_source(ctx)
    if source is None:
        return None
    carry: Carry = carry_over(source.definition, source.answers, ctx.definition)
    _answers, filled = fill_empty(ctx.answers, carry)
    panel = PrefillPanel(source.cycle.academic_year, source.cycle.label, offer=bool(filled))
    _fill(
        panel,
        ctx,
        {
            "carried": filled,
            "partial": [code for code in carry.partial if code in filled],
            "kept": [code for code in carry.answers if code not in filled],
            "not_carried": carry.not_carried,
            "new": carry.new,
        },
    )
    return panel
