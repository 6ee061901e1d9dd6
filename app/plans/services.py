"""The rules for writing a plan, the same for school plans and teacher plans.

Every write is decided on the server against the window in force for that school
(or teacher), and is an optimistic-locked UPDATE ... WHERE version = :expected, so a
stale form or a second concurrent submit changes nothing.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from functools import cache
from typing import Any, cast

from flask import current_app
from flask_babel import gettext as _
from flask_babel import ngettext
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import CursorResult, and_, bindparam, func, insert, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import aliased

from app import audit, timeutil
from app.cycles.windows import WindowState, current_cycle_id, state_between
from app.extensions import db
from app.i18n import actor_filter, questionnaire_lang
from app.models import (
    Cycle,
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
from app.plans import merge
from app.questionnaires import engine

PLAN_MODELS: dict[PlanKind, type[SchoolPlan] | type[TeacherPlan]] = {
    PlanKind.SCHOOL: SchoolPlan,
    PlanKind.TEACHER: TeacherPlan,
}


@dataclass(frozen=True)
class SubmittedSchoolPlan:
    answers: dict[str, Any]
    questionnaire: QuestionnaireRef

    @property
    def definition(self) -> dict[str, Any]:
        return self.questionnaire.definition


@dataclass
class PlanContext:
    """Everything a plan page or write needs, loaded in one statement."""

    kind: PlanKind
    cycle: Cycle
    school: School
    window: Window | None
    extension_until: datetime | None
    plan: SchoolPlan | TeacherPlan | None
    questionnaire: QuestionnaireRef | None
    teacher: Teacher | None = None
    snapshot: RosterSnapshot | None = None
    moment: datetime = field(default_factory=timeutil.now)
    school_plan: SubmittedSchoolPlan | None = None
    plan_id: int | None = None

    def __post_init__(self) -> None:
        if self.plan is not None:
            self.plan_id = self.plan.id

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
        until = self.extension_until
        extended = until is not None and until > closes_at
        if until is not None and extended:
            closes_at = until
        return state_between(self.window.opens_at, closes_at, self.moment, extended=extended)

    @property
    def version(self) -> int:
        return self.plan.version if self.plan else 0

    @property
    def answers(self) -> dict[str, Any]:
        return dict(self.plan.answers) if self.plan else {}

    @property
    def definition(self) -> dict[str, Any]:
        """The questionnaire as this school's stage sees it (engine.for_stage)."""
        assert self.questionnaire is not None
        return engine.for_stage(self.questionnaire.definition, self.school.stage)

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
            ngettext(
                "有 %(count)d 個欄位需要修正，請查看各欄位旁的說明。",
                "有 %(count)d 個欄位需要修正，請查看各欄位旁的說明。",
                len(errors),
                count=len(errors),
            )
        )
        self.errors = errors


# ---- loading -----------------------------------------------------------------------------
#
# The statements are built once per process and executed with bound parameters: building
# and cache-keying a statement of this size cost more than running it (make bench).

_DEFINITIONS: dict[tuple[int, str], dict[str, Any]] = {}


def definition_of(questionnaire_id: int, fingerprint: str) -> dict[str, Any]:
    """A questionnaire definition, read once per process (a new version has a new key)."""
    key = (questionnaire_id, fingerprint)
    found = _DEFINITIONS.get(key)
    if found is None:
        loaded = db.session.scalar(
            select(Questionnaire.definition).where(Questionnaire.id == questionnaire_id)
        )
        found = _DEFINITIONS[key] = loaded if loaded is not None else {}
    return found


@dataclass(frozen=True)
class QuestionnaireRef:
    id: int
    fingerprint: str

    @property
    def definition(self) -> dict[str, Any]:
        return definition_of(self.id, self.fingerprint)


def _cycle_filter(by_year: bool) -> Any:
    if by_year:
        return Cycle.academic_year == bindparam("year")
    return Cycle.id == current_cycle_id().scalar_subquery()


def _extension_until(kind: PlanKind, teacher: bool) -> Any:
    target = Extension.school_id == School.id
    if teacher:
        target = target | (Extension.teacher_id == bindparam("teacher_id"))
    return (
        select(func.max(Extension.until))
        .where(
            Extension.cycle_id == Cycle.id,
            Extension.plan_kind == kind,
            Extension.revoked_at.is_(None),  # a revoked extension moves nothing
            target,
        )
        .correlate(Cycle, School)
        .scalar_subquery()
    )


def _questionnaire_join(kind: PlanKind, plan_questionnaire_id: Any) -> tuple[Any, Any]:
    """The plan's own questionnaire, or the cycle's latest version for a plan not begun."""
    latest = aliased(Questionnaire)
    latest_id = (
        select(latest.id)
        .where(latest.cycle_id == Cycle.id, latest.plan_kind == kind)
        .order_by(latest.version.desc())
        .limit(1)
        .correlate(Cycle)
        .scalar_subquery()
    )
    return Questionnaire, Questionnaire.id == func.coalesce(plan_questionnaire_id, latest_id)


def _window_join(kind: PlanKind) -> tuple[Any, Any]:
    return Window, and_(
        Window.cycle_id == Cycle.id, Window.plan_kind == kind, Window.stage == School.stage
    )


@cache
def _school_statement(by_year: bool) -> Any:
    kind = PlanKind.SCHOOL
    return (
        select(
            Cycle,
            School,
            Window,
            _extension_until(kind, teacher=False),
            SchoolPlan,
            Questionnaire.id,
            Questionnaire.fingerprint,
        )
        .select_from(Cycle)
        .join(School, School.id == bindparam("school_id"))
        .outerjoin(*_window_join(kind))
        .outerjoin(
            SchoolPlan, and_(SchoolPlan.cycle_id == Cycle.id, SchoolPlan.school_id == School.id)
        )
        .outerjoin(*_questionnaire_join(kind, SchoolPlan.questionnaire_id))
        .where(_cycle_filter(by_year))
    )


@cache
def _teacher_statement(by_year: bool, with_school_plan: bool) -> Any:
    kind = PlanKind.TEACHER
    columns = [
        Cycle,
        RosterSnapshot,
        School,
        Window,
        _extension_until(kind, teacher=True),
        TeacherPlan,
        Questionnaire.id,
        Questionnaire.fingerprint,
    ]
    school_plan, school_questionnaire = aliased(SchoolPlan), aliased(Questionnaire)
    if with_school_plan:
        columns += [school_plan.answers, school_questionnaire.id, school_questionnaire.fingerprint]
    stmt = (
        select(*columns)
        .select_from(Cycle)
        .join(
            RosterSnapshot,
            and_(
                RosterSnapshot.cycle_id == Cycle.id,
                RosterSnapshot.teacher_id == bindparam("teacher_id"),
            ),
        )
        .join(School, School.id == RosterSnapshot.school_id)
        .outerjoin(*_window_join(kind))
        .outerjoin(
            TeacherPlan,
            and_(
                TeacherPlan.cycle_id == Cycle.id, TeacherPlan.teacher_id == bindparam("teacher_id")
            ),
        )
        .outerjoin(*_questionnaire_join(kind, TeacherPlan.questionnaire_id))
    )
    if with_school_plan:
        # What a teacher sees of the own school's plan: only once it is submitted.
        stmt = stmt.outerjoin(
            school_plan,
            and_(
                school_plan.cycle_id == Cycle.id,
                school_plan.school_id == School.id,
                school_plan.status == PlanStatus.SUBMITTED,
            ),
        ).outerjoin(school_questionnaire, school_questionnaire.id == school_plan.questionnaire_id)
    return stmt.where(_cycle_filter(by_year))


def _ref(questionnaire_id: int | None, fingerprint: str | None) -> QuestionnaireRef | None:
    return QuestionnaireRef(questionnaire_id, fingerprint or "") if questionnaire_id else None


def load_school_context(school_id: int, year: int | None = None) -> PlanContext | None:
    """Load the cycle, school, window, extension, plan and questionnaire in one query."""
    row = db.session.execute(
        _school_statement(year is not None), {"school_id": school_id, "year": year}
    ).first()
    if row is None:
        return None
    cycle, school, window, until, plan, questionnaire_id, fingerprint = row
    return PlanContext(
        PlanKind.SCHOOL, cycle, school, window, until, plan, _ref(questionnaire_id, fingerprint)
    )


def load_teacher_context(
    teacher: Teacher, year: int | None = None, *, with_school_plan: bool = False
) -> PlanContext | None:
    """Load the teacher's snapshot school, window, extension, plan and questionnaire (and,
    for the page, the school's submitted plan) in one query."""
    row = db.session.execute(
        _teacher_statement(year is not None, with_school_plan),
        {"teacher_id": teacher.id, "year": year},
    ).first()
    if row is None:
        return None
    cycle, snapshot, school, window, until, plan, questionnaire_id, fingerprint = row[:8]
    ctx = PlanContext(
        PlanKind.TEACHER,
        cycle,
        school,
        window,
        until,
        plan,
        _ref(questionnaire_id, fingerprint),
        teacher=teacher,
        snapshot=snapshot,
    )
    school_ref = _ref(row[9], row[10]) if with_school_plan else None
    if school_ref is not None:
        ctx.school_plan = SubmittedSchoolPlan(row[8], school_ref)
    return ctx


def submitted_school_plan(cycle_id: int, school_id: int) -> SubmittedSchoolPlan | None:
    """The school's plan if it has been submitted (what teachers may see and adopt)."""
    row = db.session.execute(
        select(SchoolPlan.answers, Questionnaire.id, Questionnaire.fingerprint)
        .join(Questionnaire, Questionnaire.id == SchoolPlan.questionnaire_id)
        .where(
            SchoolPlan.cycle_id == cycle_id,
            SchoolPlan.school_id == school_id,
            SchoolPlan.status == PlanStatus.SUBMITTED,
        )
    ).first()
    ref = _ref(row[1], row[2]) if row else None
    return SubmittedSchoolPlan(row[0], ref) if row and ref else None


# ---- writing -----------------------------------------------------------------------------


def require_open(ctx: PlanContext) -> None:
    """Refuse (WindowClosed, worded for the person) unless the window is open now."""
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
    model: Any = PLAN_MODELS[ctx.kind]  # SchoolPlan or TeacherPlan: the same columns
    current: SchoolPlan | TeacherPlan | None = None
    if ctx.plan_id is not None:
        current = db.session.get(model, ctx.plan_id, populate_existing=True)
    else:
        where = [model.cycle_id == ctx.cycle.id]
        where.append(
            model.teacher_id == (ctx.teacher.id if ctx.teacher else None)
            if ctx.kind == PlanKind.TEACHER
            else model.school_id == ctx.school.id
        )
        current = db.session.scalar(select(model).where(*where))
    who = current.updated_by if current else ""
    when = timeutil.roc_datetime(current.updated_at) if current else ""
    if who == actor_name:
        # Your own other tab or window, not a colleague: say so.
        text = _(
            "這份規劃已在您的另一個視窗或分頁更新（%(when)s）。"
            "這裡的變更尚未儲存：請對照下方最新內容，確認後再儲存。",
            when=when,
        )
        return VersionConflict(text, current)
    return VersionConflict(
        _(
            "這份規劃已在您開啟後被更新（%(who)s，%(when)s）。"
            "您這次的變更尚未儲存：請對照下方最新內容，確認後再儲存。",
            who=actor_filter(who),
            when=when,
        ),
        current,
    )


def _insert_for(model: Any) -> Any:
    """INSERT … ON CONFLICT DO NOTHING in this database's dialect (SQLite and PostgreSQL)."""
    dialect = db.session.get_bind().dialect.name
    return postgresql_insert(model) if dialect == "postgresql" else sqlite_insert(model)


def _write(ctx: PlanContext, expected_version: int, values: dict[str, Any], actor_name: str) -> int:
    """Insert the plan (first save) or update it if still at `expected_version`."""
    model: Any = PLAN_MODELS[ctx.kind]
    moment = ctx.moment
    values = {**values, "updated_at": moment, "updated_by": actor_name}
    if ctx.plan is None:
        if expected_version != 0:
            raise _conflict(ctx, actor_name)
        assert ctx.questionnaire is not None
        row = {
            "cycle_id": ctx.cycle.id,
            "school_id": ctx.school.id,
            "questionnaire_id": ctx.questionnaire.id,
            "version": 1,
            "status": PlanStatus.DRAFT,
            **values,
        }
        if ctx.kind == PlanKind.TEACHER:
            assert ctx.teacher is not None
            row["teacher_id"] = ctx.teacher.id
        # Someone may have created it first: then nothing is inserted and the transaction
        # stays usable (no IntegrityError to roll back), and the other save is a conflict.
        statement = _insert_for(model).values(**row).on_conflict_do_nothing()
        plan_id = db.session.execute(statement.returning(model.id)).scalar_one_or_none()
        if plan_id is None:
            raise _conflict(ctx, actor_name)
        ctx.plan_id = plan_id
        return 1
    result = cast(
        "CursorResult[Any]",  # an UPDATE: it has a rowcount
        db.session.execute(
            update(model)
            .where(model.id == ctx.plan_id, model.version == expected_version)
            .values(version=model.version + 1, **values)
            .execution_options(synchronize_session=False)
        ),
    )
    if result.rowcount != 1:
        raise _conflict(ctx, actor_name)
    return expected_version + 1


def _audit(
    ctx: PlanContext, action: str, version: int, details: dict[str, Any] | None = None
) -> None:
    table = "school_plan" if ctx.kind == PlanKind.SCHOOL else "teacher_plan"
    audit.record(
        action,
        table,
        ctx.plan_id,
        after={"version": version, "cycle": ctx.cycle.academic_year, **(details or {})},
    )


# ---- drafts: store what was typed, merge what others changed -----------------------------
#
# The base of a form (the answers it was showing when it last met the server) travels in
# the form itself, signed with the app's SECRET_KEY over (plan kind, plan id, version,
# answers): no storage and no statement per autosave. A base that fails the signature, or
# belongs to another plan or version, is unknown: every field that differs is then a
# conflict, so a forged or stale base can never overwrite what is stored.

MAX_DRAFT_BYTES = 256 * 1024  # per plan, as JSON; each field is bounded by the engine
_BASE_SALT = "plans.base"


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=_BASE_SALT)


def sign_base(ctx: PlanContext, version: int, answers: dict[str, Any]) -> str:
    """The signed base a form carries: these answers are what it shows at `version`."""
    return _serializer().dumps([ctx.kind.value, ctx.plan_id, version, answers])


def read_base(ctx: PlanContext, token: str, version: int) -> dict[str, Any] | None:
    """The answers a form started from, or None when unknown (bad signature, other plan)."""
    if not token or len(token) > MAX_DRAFT_BYTES * 2:
        return None
    try:
        kind, plan_id, signed_version, answers = _serializer().loads(token)
    except (BadSignature, ValueError, TypeError):
        return None
    # A form opened before the plan existed names no plan: version 0 of whichever exists.
    same_plan = plan_id == ctx.plan_id or (version == 0 and plan_id is None)
    if kind != ctx.kind.value or not same_plan or signed_version != version:
        return None
    return answers if isinstance(answers, dict) else None


@dataclass
class Saved:
    """The outcome of a save: what the form shows and carries next, what to tell."""

    version: int
    shown: dict[str, Any]
    base: dict[str, Any]
    errors: dict[str, str]
    taken: list[str] = field(default_factory=list)
    conflicts: dict[str, tuple[Any, Any]] = field(default_factory=dict)
    submitted: bool = False
    written: bool = True
    other_by: str = ""


def _check_size(answers: dict[str, Any]) -> None:
    size = len(json.dumps(answers, ensure_ascii=False, default=str).encode("utf-8"))
    if size > MAX_DRAFT_BYTES:
        raise PlanRefused(
            _("內容總量超過上限（%(limit)s KB），這次未儲存；請縮短較長的欄位。", limit=256)
        )


def _merge_against_stored(
    ctx: PlanContext,
    answers: dict[str, Any],
    expected_version: int,
    base: dict[str, Any] | None,
    choices: dict[str, str] | None,
) -> merge.MergeResult | None:
    """Merge with the stored plan when the form is not simply the latest version, else None."""
    plan = ctx.plan
    if plan is None:
        return None
    if expected_version == plan.version and base is None:
        return None  # a form without a base (no JS, older page) at the latest version
    if expected_version != plan.version and plan.status == PlanStatus.SUBMITTED:
        # Never turn a plan someone submitted meanwhile back into a draft by merging.
        raise _conflict(ctx, "")
    if expected_version > plan.version or expected_version < 0:
        base = None
    return merge.three_way(base, answers, dict(plan.answers), choices)


def _other_by(ctx: PlanContext, actor_name: str) -> str:
    who = ctx.plan.updated_by if ctx.plan is not None else ""
    return "" if who == actor_name else who


def save_draft(
    ctx: PlanContext,
    answers: dict[str, Any],
    expected_version: int,
    actor_name: str,
    *,
    base: dict[str, Any] | None = None,
    choices: dict[str, str] | None = None,
    audit_as: tuple[str, dict[str, Any]] | None = None,
) -> Saved:
    """Store the draft as typed (valid or not) while the window is open, merged with what
    others saved since the form's base; report the problems instead of refusing."""
    require_open(ctx)
    _check_size(answers)
    merged = _merge_against_stored(ctx, answers, expected_version, base, choices)
    other_by = _other_by(ctx, actor_name)
    to_store = merged.answers if merged is not None else answers
    shown = merge.shown(merged) if merged is not None else answers
    errors = engine.validate(ctx.definition, shown, final=False, lang=questionnaire_lang())
    if (
        merged is not None
        and merged.conflicts
        and ctx.plan is not None
        and to_store == dict(ctx.plan.answers)
    ):
        # Nothing to add to what is stored: no new version, the choice is the person's.
        return Saved(
            ctx.plan.version,
            shown,
            merge.next_base(shown, merged),
            errors,
            merged.taken,
            merged.conflicts,
            written=False,
            other_by=other_by,
        )
    write_at = ctx.plan.version if merged is not None and ctx.plan else expected_version
    version = _write(ctx, write_at, {"answers": to_store, "status": PlanStatus.DRAFT}, actor_name)
    if merged is not None and (merged.taken or merged.conflicts or write_at != expected_version):
        table = "school_plan" if ctx.kind == PlanKind.SCHOOL else "teacher_plan"
        audit.record(
            "plan.merge",
            table,
            ctx.plan_id,
            after={
                "version": version,
                "cycle": ctx.cycle.academic_year,
                "from_version": expected_version,
                "taken": merged.taken,
                "conflicts": sorted(merged.conflicts),
            },
        )
    else:
        # A save with a purpose of its own (prefilled from last cycle) says so in its entry.
        action, details = audit_as or ("plan.save", None)
        _audit(ctx, action, version, details)
    return Saved(
        version,
        shown,
        merge.next_base(shown, merged),
        errors,
        merged.taken if merged else [],
        merged.conflicts if merged else {},
        other_by=other_by,
    )


def submit(
    ctx: PlanContext,
    answers: dict[str, Any],
    expected_version: int,
    actor_name: str,
    *,
    base: dict[str, Any] | None = None,
    choices: dict[str, str] | None = None,
) -> Saved:
    """Validate everything, store the plan as submitted and keep this version.

    A form behind what is stored is merged and saved as a draft instead (`submitted`
    False): nobody submits what they have not seen."""
    require_open(ctx)
    plan = ctx.plan
    stale = plan is not None and (expected_version != plan.version or base is not None)
    if stale and plan is not None:
        cleaned = engine.clean(ctx.definition, answers)
        if plan.status == PlanStatus.SUBMITTED and dict(plan.answers) == cleaned:
            # The same submission arriving twice (double click, two tabs): one submission.
            return Saved(plan.version, cleaned, cleaned, {}, submitted=True, written=False)
        merged = _merge_against_stored(ctx, answers, expected_version, base, choices)
        if merged is not None and (merged.taken or merged.conflicts):
            return save_draft(
                ctx, answers, expected_version, actor_name, base=base, choices=choices
            )
        if merged is not None:
            answers, expected_version = merged.answers, plan.version
    errors = submission_errors(ctx, answers)
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
            ctx.plan, ctx.plan_id = current, current.id
            return Saved(current.version, answers, answers, {}, submitted=True, written=False)
        raise
    db.session.execute(
        insert(PlanVersion).values(
            plan_kind=ctx.kind,
            plan_id=ctx.plan_id,
            version=version,
            answers=answers,
            submitted_at=ctx.moment,
            submitted_by=actor_name,
        )
    )
    _audit(ctx, "plan.submit", version)
    return Saved(version, answers, answers, {}, submitted=True)


def submit_reviewed(ctx: PlanContext, expected_version: int, actor_name: str) -> Saved:
    """Submit the stored draft exactly as it was reviewed at `expected_version`.

    A plan changed since (another tab, a colleague) is a conflict: nobody submits what
    the review page did not show them."""
    require_open(ctx)
    plan = ctx.plan
    if plan is not None and plan.status == PlanStatus.SUBMITTED:
        same = plan.version == expected_version or (
            plan.version == expected_version + 1 and plan.updated_by == actor_name
        )
        if same:
            # The same confirmation arriving twice (double click, two tabs): one submission.
            stored = dict(plan.answers)
            return Saved(plan.version, stored, stored, {}, submitted=True, written=False)
    if plan is None:
        raise PlanRefused(_("這份規劃還沒有儲存的內容，請先填寫後按「送出規劃」。"))
    if plan.version != expected_version or plan.status == PlanStatus.SUBMITTED:
        raise _conflict(ctx, actor_name)
    return submit(ctx, dict(plan.answers), expected_version, actor_name)


def submission_errors(ctx: PlanContext, answers: dict[str, Any]) -> dict[str, str]:
    """What stands in the way of submitting these answers, keyed by form field name."""
    return engine.validate(ctx.definition, answers, final=True, lang=questionnaire_lang())


# ---- the task list: each section's state -------------------------------------------------


class SectionState(StrEnum):
    NOT_STARTED = "not_started"  # 未填寫: nothing answered
    IN_PROGRESS = "in_progress"  # 填寫中: some answered, not every required one valid
    COMPLETED = "completed"  # 已完成: every required answer given and valid
    NEEDS_FIX = "needs_fix"  # 需修正: an error is shown beside one of its fields


@dataclass(frozen=True)
class SectionTask:
    code: str
    title: str
    state: SectionState
    optional: bool  # nothing in it is required


def section_tasks(
    ctx: PlanContext, answers: dict[str, Any], shown_errors: dict[str, str]
) -> list[SectionTask]:
    """Each section that asks something, with its state for the task list.

    The states come from the same validation as a submission (submission_errors) and from
    the errors the page shows; a section of facts only asks nothing and is left out."""
    definition = ctx.definition
    lang = questionnaire_lang()
    answered = engine.clean(definition, answers)  # visible, non-blank answers only
    blocking = _question_codes(submission_errors(ctx, answers))
    shown = _question_codes(shown_errors)
    tasks = []
    for section in definition.get("sections", ()):
        codes = {q["code"] for q in section.get("questions", ()) if engine.type_of(q).stored}
        if not codes:
            continue
        if codes & shown:
            state = SectionState.NEEDS_FIX
        elif not codes & answered.keys():
            state = SectionState.NOT_STARTED
        elif codes & blocking:
            state = SectionState.IN_PROGRESS
        else:
            state = SectionState.COMPLETED
        optional = not any(q.get("required") for q in section.get("questions", ()))
        title = engine.text_in(section.get("title"), lang)
        tasks.append(SectionTask(section["code"], title, state, optional))
    return tasks


def _question_codes(errors: dict[str, str]) -> set[str]:
    """The questions named by error keys (q.<code>, q.<code>.<rank>, q.<code>.<i>.<field>)."""
    return {key.split(".")[1] for key in errors if key.count(".") >= 1}


def reopen(ctx: PlanContext, expected_version: int, actor_name: str) -> int:
    """Turn a submitted plan back into a draft while the window is open."""
    require_open(ctx)
    if ctx.plan is None or ctx.plan.status != PlanStatus.SUBMITTED:
        raise PlanRefused(_("這份規劃尚未送出，不需要重新開啟。"))
    version = _write(ctx, expected_version, {"status": PlanStatus.DRAFT}, actor_name)
    _audit(ctx, "plan.reopen", version)
    return version


def refresh(ctx: PlanContext) -> None:
    """Reload the plan row after a write so the page shows what is stored."""
    if ctx.plan_id is not None:
        model: Any = PLAN_MODELS[ctx.kind]
        ctx.plan = db.session.get(model, ctx.plan_id, populate_existing=True)
