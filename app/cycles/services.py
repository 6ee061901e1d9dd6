"""Cycle setup: import a cycle file into the database, take the roster snapshot."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import Integer, delete, exists, func, insert, literal, select

from app import audit, timeutil
from app.extensions import db
from app.models import (
    STAGE_ORDER,
    Cycle,
    CycleStatus,
    Employment,
    PlanKind,
    PlanPeriod,
    PlanStatus,
    Questionnaire,
    RosterSnapshot,
    School,
    SchoolPlan,
    Stage,
    TeacherPlan,
    Window,
)

if TYPE_CHECKING:
    from app.questionnaires.cyclefile import CycleSpec


class CycleImportError(ValueError):
    """The file is valid but cannot be applied (e.g. it changes an answered questionnaire)."""

    def __init__(self, messages: list[str]) -> None:
        super().__init__("\n".join(messages))
        self.messages = messages


def latest_questionnaire(cycle: Cycle, plan_kind: PlanKind) -> Questionnaire | None:
    return db.session.scalar(
        select(Questionnaire)
        .where(Questionnaire.cycle_id == cycle.id, Questionnaire.plan_kind == plan_kind)
        .order_by(Questionnaire.version.desc())
        .limit(1)
    )


def questionnaire_has_answers(questionnaire: Questionnaire) -> bool:
    """A questionnaire is frozen once any plan was started on it."""
    model = SchoolPlan if questionnaire.plan_kind == PlanKind.SCHOOL else TeacherPlan
    return bool(
        db.session.scalar(select(exists().where(model.questionnaire_id == questionnaire.id)))
    )


def _apply_questionnaire(cycle: Cycle, plan_kind: PlanKind, definition: dict, source: str) -> str:
    version = int(definition["version"])
    fingerprint = definition["fingerprint"]
    current = latest_questionnaire(cycle, plan_kind)
    if current is not None and current.fingerprint == fingerprint:
        return "unchanged"
    if current is not None and questionnaire_has_answers(current):
        if version <= current.version:
            raise CycleImportError(
                [
                    f"{source}: plans.{plan_kind.value}.questionnaire.version: 此問卷第 "
                    f"{current.version} 版已有填答，不可直接修改；請將版本號提高為 "
                    f"{current.version + 1} 以上"
                ]
            )
    elif current is not None and version == current.version:
        current.definition = definition
        return "updated"
    elif current is not None and version < current.version:
        raise CycleImportError(
            [
                f"{source}: plans.{plan_kind.value}.questionnaire.version: 版本號不可小於現有的 "
                f"{current.version}"
            ]
        )
    db.session.add(
        Questionnaire(
            cycle_id=cycle.id,
            plan_kind=plan_kind,
            version=version,
            fingerprint=fingerprint,
            definition=definition,
        )
    )
    return "created"


def import_cycle(spec: CycleSpec, source: str) -> tuple[Cycle, dict[str, str]]:
    """Create or update a cycle, its windows and questionnaires from a parsed cycle file."""
    found = db.session.scalar(select(Cycle).where(Cycle.academic_year == spec.academic_year))
    before = None if found is None else _cycle_facts(found)
    if found is None:
        cycle = Cycle(academic_year=spec.academic_year)
        db.session.add(cycle)
    else:
        cycle = found
    cycle.name = spec.name
    cycle.status = CycleStatus(spec.status)
    cycle.roster_cutoff = spec.roster_cutoff
    cycle.kindergarten_teachers_take_part = spec.kindergarten_teachers_take_part
    cycle.contact = dict(spec.contact)
    db.session.flush()

    wanted = {
        (PlanKind(kind), Stage(stage)): times
        for kind, plan in spec.plans.items()
        for stage, times in plan.windows.items()
    }
    existing = {(w.plan_kind, w.stage): w for w in cycle.windows}
    for key, window in existing.items():
        if key not in wanted:
            db.session.delete(window)
    for (kind, stage), (opens_at, closes_at) in wanted.items():
        target = existing.get((kind, stage))
        if target is None:
            target = Window(cycle=cycle, plan_kind=kind, stage=stage)
            db.session.add(target)
        target.opens_at, target.closes_at = opens_at, closes_at

    for kind_name, plan in spec.plans.items():
        _set_period(cycle, PlanKind(kind_name), plan.overall_opens_at, plan.overall_closes_at)

    outcome: dict[str, str] = {}
    for kind_name, plan in spec.plans.items():
        outcome[kind_name] = _apply_questionnaire(
            cycle, PlanKind(kind_name), plan.questionnaire, source
        )
    db.session.flush()
    audit.record(
        "cycle.import",
        "cycle",
        cycle.academic_year,
        before=before,
        after=_cycle_facts(cycle),
        actor="cli",
    )
    return cycle, outcome


def _cycle_facts(cycle: Cycle) -> dict[str, object]:
    return {
        "name": cycle.name,
        "status": cycle.status.value if cycle.status else None,
        "roster_cutoff": cycle.roster_cutoff.isoformat() if cycle.roster_cutoff else None,
        "windows": sorted(
            f"{w.plan_kind.value}/{w.stage.value} {w.opens_at.isoformat()} "
            f"{w.closes_at.isoformat()}"
            for w in cycle.windows
            if w.opens_at and w.closes_at
        ),
    }


@dataclass
class SnapshotResult:
    taken: int
    already: bool


class SnapshotTooEarly(RuntimeError):
    pass


def take_snapshot(
    cycle: Cycle,
    *,
    force: bool = False,
    moment: datetime | None = None,
    actor: object = "cli",
    reason: str = "",
) -> SnapshotResult:
    """Freeze the teachers employed at the cutoff into the cycle (idempotent).

    One `INSERT … SELECT`: a teacher employed at two schools at the cutoff counts once, at
    the service that began last (the later-recorded one on a tie).
    """
    moment = moment or timeutil.now()
    if moment < cycle.roster_cutoff and not force:
        raise SnapshotTooEarly(
            f"尚未到名單基準日（{timeutil.roc_datetime(cycle.roster_cutoff)}），"
            "目前不能擷取教師名單；若確定要提前擷取，請加上 --force。"
        )
    if cycle.snapshot_taken_at is not None and not force:
        count = db.session.scalar(
            select(func.count())
            .select_from(RosterSnapshot)
            .where(RosterSnapshot.cycle_id == cycle.id)
        )
        return SnapshotResult(count or 0, True)
    if force:
        db.session.execute(delete(RosterSnapshot).where(RosterSnapshot.cycle_id == cycle.id))
    latest_first = func.row_number().over(
        partition_by=Employment.teacher_id,
        order_by=(Employment.valid_from.desc(), Employment.id.desc()),
    )
    in_force = (
        Employment.at(cycle.roster_cutoff)
        .join(School, School.id == Employment.school_id)
        .with_only_columns(
            Employment.teacher_id,
            Employment.school_id,
            Employment.title,
            Employment.subjects,
            latest_first.label("rank"),
        )
        .subquery()
    )
    inserted = db.session.scalars(
        insert(RosterSnapshot)
        .from_select(
            ["cycle_id", "teacher_id", "school_id", "title", "subjects"],
            select(
                literal(cycle.id, Integer),
                in_force.c.teacher_id,
                in_force.c.school_id,
                in_force.c.title,
                in_force.c.subjects,
            ).where(in_force.c.rank == 1),
        )
        # The count comes back with the rows (the ORM's rowcount is not every driver's).
        .returning(RosterSnapshot.id)
    )
    taken = len(inserted.all())
    cycle.snapshot_taken_at = moment
    audit.record(
        "cycle.snapshot",
        "cycle",
        cycle.academic_year,
        after={"teachers": taken, "forced": force, **({"reason": reason} if reason else {})},
        actor=actor,
    )
    db.session.flush()
    return SnapshotResult(taken, False)


# ---- operator console: the browser's cycle setup, under the same rules as the files ----

# The stages each plan kind may include, in the letter's order (school plans never K).
PLAN_STAGES: dict[PlanKind, list[Stage]] = {
    PlanKind.SCHOOL: [s for s in STAGE_ORDER if s != Stage.KINDERGARTEN],
    PlanKind.TEACHER: list(STAGE_ORDER),
}
PLAN_NAMES = {PlanKind.SCHOOL: "學校本位進修規劃", PlanKind.TEACHER: "教師自我專業進修規劃"}

Span = tuple[datetime, datetime]


class CycleRefused(ValueError):
    """Input refused; each message is keyed by the form field it belongs beside."""

    def __init__(self, problems: dict[str, str]) -> None:
        super().__init__("；".join(problems.values()))
        self.problems = problems


class ConfirmationNeeded(RuntimeError):
    """A published cycle's schedule changes only once the operator has confirmed it."""


@dataclass
class Schedule:
    """What the schedule form sets: cutoff, overall periods and the stages' windows."""

    roster_cutoff: datetime
    periods: dict[PlanKind, Span]
    windows: dict[tuple[PlanKind, Stage], Span]

    @property
    def kindergarten_teachers_take_part(self) -> bool:
        return (PlanKind.TEACHER, Stage.KINDERGARTEN) in self.windows


def field_name(kind: PlanKind, stage: Stage | None, end: str) -> str:
    """The form field of a period (stage None) or window end: `teacher_E_opens`."""
    return f"{kind.value}_{stage.value}_{end}" if stage else f"{kind.value}_{end}"


def _span_text(span: Span) -> str:
    return f"{timeutil.roc_datetime(span[0])} – {timeutil.roc_datetime(span[1])}"


def check_schedule(schedule: Schedule) -> dict[str, str]:
    """Every problem of a schedule, keyed by field; empty when it may be saved."""
    problems: dict[str, str] = {}
    for kind in PLAN_STAGES:
        period = schedule.periods.get(kind)
        stages = [s for s in PLAN_STAGES[kind] if (kind, s) in schedule.windows]
        if period is None:
            problems[field_name(kind, None, "opens")] = "請輸入整體期間"
            continue
        if period[1] <= period[0]:
            problems[field_name(kind, None, "closes")] = "截止時間須晚於開始時間"
            continue
        if not stages:
            problems[field_name(kind, None, "opens")] = "至少須有一個教育階段參與"
        for stage in stages:
            opens_at, closes_at = schedule.windows[(kind, stage)]
            if closes_at <= opens_at:
                problems[field_name(kind, stage, "closes")] = "截止時間須晚於開始時間"
                continue
            inside = f"須在整體期間之內（{_span_text(period)}）"
            if opens_at < period[0]:
                problems[field_name(kind, stage, "opens")] = inside
            if closes_at > period[1]:
                problems[field_name(kind, stage, "closes")] = inside
    if (PlanKind.SCHOOL, Stage.KINDERGARTEN) in schedule.windows:
        problems[field_name(PlanKind.SCHOOL, Stage.KINDERGARTEN, "opens")] = (
            "學校本位進修規劃不含幼兒園"
        )
    school, teacher = schedule.periods.get(PlanKind.SCHOOL), schedule.periods.get(PlanKind.TEACHER)
    if teacher and schedule.roster_cutoff > teacher[0]:
        problems["roster_cutoff"] = "名單基準日須早於教師自我專業進修規劃開始時間"
    # Teachers build on their school's plan: never the other way round.
    if school and teacher and teacher[0] < school[0]:
        problems.setdefault(
            field_name(PlanKind.TEACHER, None, "opens"),
            "教師自我專業進修規劃不可早於學校本位進修規劃開始",
        )
    for stage in PLAN_STAGES[PlanKind.SCHOOL]:
        own = schedule.windows.get((PlanKind.SCHOOL, stage))
        then = schedule.windows.get((PlanKind.TEACHER, stage))
        if own and then and then[0] < own[0]:
            problems.setdefault(
                field_name(PlanKind.TEACHER, stage, "opens"),
                f"不可早於同階段學校本位進修規劃開始（{timeutil.roc_datetime(own[0])}）",
            )
    return problems


def periods_of(cycle: Cycle) -> dict[PlanKind, Span]:
    """The overall period per plan kind; a cycle from before periods were stored gets the
    span of its windows."""
    found = {
        p.plan_kind: (p.opens_at, p.closes_at)
        for p in db.session.scalars(select(PlanPeriod).where(PlanPeriod.cycle_id == cycle.id))
    }
    for kind in PLAN_STAGES:
        own = [w for w in cycle.windows if w.plan_kind == kind]
        if kind not in found and own:
            found[kind] = (min(w.opens_at for w in own), max(w.closes_at for w in own))
    return found


def schedule_of(cycle: Cycle) -> Schedule:
    return Schedule(
        roster_cutoff=cycle.roster_cutoff,
        periods=periods_of(cycle),
        windows={(w.plan_kind, w.stage): (w.opens_at, w.closes_at) for w in cycle.windows},
    )


def _set_period(cycle: Cycle, kind: PlanKind, opens_at: datetime, closes_at: datetime) -> None:
    period = db.session.scalar(
        select(PlanPeriod).where(PlanPeriod.cycle_id == cycle.id, PlanPeriod.plan_kind == kind)
    )
    if period is None:
        period = PlanPeriod(cycle_id=cycle.id, plan_kind=kind)
        db.session.add(period)
    period.opens_at, period.closes_at = opens_at, closes_at


def _schedule_facts(schedule: Schedule) -> dict[str, object]:
    return {
        "roster_cutoff": schedule.roster_cutoff.isoformat(),
        "periods": {
            kind.value: [span[0].isoformat(), span[1].isoformat()]
            for kind, span in sorted(schedule.periods.items())
        },
        "windows": sorted(
            f"{kind.value}/{stage.value} {span[0].isoformat()} {span[1].isoformat()}"
            for (kind, stage), span in schedule.windows.items()
        ),
    }


def save_schedule(
    cycle: Cycle, schedule: Schedule, *, actor: object, confirmed: bool = False
) -> bool:
    """Check and store a cycle's schedule; False when nothing changed.

    A published cycle is being filled in: its schedule changes only when `confirmed`.
    """
    problems = check_schedule(schedule)
    if problems:
        raise CycleRefused(problems)
    before = _schedule_facts(schedule_of(cycle))
    after = _schedule_facts(schedule)
    if before == after:
        return False
    if cycle.status == CycleStatus.PUBLISHED and not confirmed:
        raise ConfirmationNeeded()
    cycle.roster_cutoff = schedule.roster_cutoff
    cycle.kindergarten_teachers_take_part = schedule.kindergarten_teachers_take_part
    for kind, (opens_at, closes_at) in schedule.periods.items():
        _set_period(cycle, kind, opens_at, closes_at)
    existing = {(w.plan_kind, w.stage): w for w in cycle.windows}
    for key, window in existing.items():
        if key not in schedule.windows:
            cycle.windows.remove(window)
    for (kind, stage), (opens_at, closes_at) in schedule.windows.items():
        target = existing.get((kind, stage))
        if target is None:
            target = Window(plan_kind=kind, stage=stage)
            cycle.windows.append(target)
        target.opens_at, target.closes_at = opens_at, closes_at
    db.session.flush()
    audit.record(
        "cycle.schedule",
        "cycle",
        cycle.academic_year,
        before={**before, "status": cycle.status.value},
        after=after,
        actor=actor,
    )
    return True


def _shift_years(moment: datetime, years: int) -> datetime:
    local = timeutil.to_taipei(moment)
    try:
        return local.replace(year=local.year + years)
    except ValueError:  # 29 February in a year without one
        return local.replace(year=local.year + years, day=28)


def create_cycle(
    academic_year: int,
    name: str,
    roster_cutoff: datetime | None,
    *,
    contact: dict[str, str],
    copy_from: Cycle | None = None,
    actor: object,
) -> Cycle:
    """Create a draft cycle, empty or copied from an earlier one with its dates moved on."""
    taken = db.session.scalar(select(Cycle.id).where(Cycle.academic_year == academic_year))
    if taken is not None:
        raise CycleRefused({"academic_year": f"{academic_year} 學年度已存在"})
    years = academic_year - copy_from.academic_year if copy_from else 0
    if roster_cutoff is None:
        if copy_from is None:
            raise CycleRefused({"roster_cutoff": "請輸入名單基準日"})
        roster_cutoff = _shift_years(copy_from.roster_cutoff, years)
    cycle = Cycle(
        academic_year=academic_year,
        name=name.strip() or f"{academic_year}學年度",
        status=CycleStatus.DRAFT,
        roster_cutoff=roster_cutoff,
        kindergarten_teachers_take_part=(
            copy_from.kindergarten_teachers_take_part if copy_from else False
        ),
        contact=dict(copy_from.contact) if copy_from else dict(contact),
    )
    db.session.add(cycle)
    db.session.flush()
    if copy_from is not None:
        for kind, (opens_at, closes_at) in periods_of(copy_from).items():
            _set_period(cycle, kind, _shift_years(opens_at, years), _shift_years(closes_at, years))
        for window in copy_from.windows:
            cycle.windows.append(
                Window(
                    plan_kind=window.plan_kind,
                    stage=window.stage,
                    opens_at=_shift_years(window.opens_at, years),
                    closes_at=_shift_years(window.closes_at, years),
                )
            )
        for kind in PLAN_STAGES:
            source = latest_questionnaire(copy_from, kind)
            if source is not None:
                db.session.add(
                    Questionnaire(
                        cycle_id=cycle.id,
                        plan_kind=kind,
                        version=source.version,
                        fingerprint=source.fingerprint,
                        definition=source.definition,
                    )
                )
    db.session.flush()
    if copy_from is not None:
        # A cutoff typed for the copy must still come before the teachers' period.
        late = check_schedule(schedule_of(cycle)).get("roster_cutoff")
        if late:
            raise CycleRefused({"roster_cutoff": late})
    audit.record(
        "cycle.create",
        "cycle",
        academic_year,
        after={
            **_schedule_facts(schedule_of(cycle)),
            "copied_from": copy_from.academic_year if copy_from else None,
        },
        actor=actor,
    )
    return cycle


def attach_questionnaire(
    cycle: Cycle, kind: PlanKind, definition: dict, source: str, *, actor: object
) -> str:
    """Attach a checked questionnaire: a new version, or the same one changed in place while
    nobody has answered it; a questionnaire with answers is frozen (CycleImportError)."""
    current = latest_questionnaire(cycle, kind)
    outcome = _apply_questionnaire(cycle, kind, definition, source)
    db.session.flush()
    if outcome != "unchanged":
        audit.record(
            "questionnaire.attach",
            "cycle",
            cycle.academic_year,
            before={"plan_kind": kind.value, "version": current.version} if current else None,
            after={
                "plan_kind": kind.value,
                "version": int(definition["version"]),
                "fingerprint": definition["fingerprint"],
                "file": source,
                "outcome": outcome,
            },
            actor=actor,
        )
    return outcome


def publish(cycle: Cycle, *, actor: object) -> None:
    """Publish a draft cycle once every plan kind has a schedule and a questionnaire."""
    if cycle.status != CycleStatus.DRAFT:
        raise CycleRefused({"publish": "只有草稿狀態的學年度可以公告"})
    missing: list[str] = []
    periods = periods_of(cycle)
    for kind in PLAN_STAGES:
        if kind not in periods or not any(w.plan_kind == kind for w in cycle.windows):
            missing.append(f"{PLAN_NAMES[kind]}尚未設定填寫期間")
        if latest_questionnaire(cycle, kind) is None:
            missing.append(f"{PLAN_NAMES[kind]}尚未上傳問卷")
    if missing:
        raise CycleRefused({"publish": "；".join(missing)})
    cycle.status = CycleStatus.PUBLISHED
    audit.record(
        "cycle.publish",
        "cycle",
        cycle.academic_year,
        before={"status": "draft"},
        after={"status": "published"},
        actor=actor,
    )


def close(cycle: Cycle, *, actor: object) -> None:
    """Close a published cycle: it stays readable and is no longer the current one."""
    if cycle.status != CycleStatus.PUBLISHED:
        raise CycleRefused({"close": "只有已公告的學年度可以結束"})
    cycle.status = CycleStatus.CLOSED
    audit.record(
        "cycle.close",
        "cycle",
        cycle.academic_year,
        before={"status": "published"},
        after={"status": "closed"},
        actor=actor,
    )


@dataclass(frozen=True)
class CycleFigures:
    schools: int = 0
    teachers: int = 0
    school_plans_submitted: int = 0
    teacher_plans_submitted: int = 0


def cycle_figures() -> dict[int, CycleFigures]:
    """Per cycle id: schools and teachers in the snapshot, plans submitted (three GROUP BYs)."""
    snapshot = {
        row.cycle_id: (row.schools, row.teachers)
        for row in db.session.execute(
            select(
                RosterSnapshot.cycle_id,
                func.count(func.distinct(RosterSnapshot.school_id)).label("schools"),
                func.count().label("teachers"),
            ).group_by(RosterSnapshot.cycle_id)
        )
    }
    submitted: dict[type, dict[int, int]] = {}
    for model in (SchoolPlan, TeacherPlan):
        rows = db.session.execute(
            select(model.cycle_id, func.count())
            .where(model.status == PlanStatus.SUBMITTED)
            .group_by(model.cycle_id)
        )
        submitted[model] = dict(rows.all())
    ids = set(snapshot) | set(submitted[SchoolPlan]) | set(submitted[TeacherPlan])
    return {
        cycle_id: CycleFigures(
            *snapshot.get(cycle_id, (0, 0)),
            submitted[SchoolPlan].get(cycle_id, 0),
            submitted[TeacherPlan].get(cycle_id, 0),
        )
        for cycle_id in ids
    }


def snapshot_by_stage(cycle: Cycle) -> list[tuple[Stage, int]]:
    """Teachers in the cycle's snapshot per stage of their school, in the letter's order."""
    rows = db.session.execute(
        select(School.stage, func.count())
        .select_from(RosterSnapshot)
        .join(School, School.id == RosterSnapshot.school_id)
        .where(RosterSnapshot.cycle_id == cycle.id)
        .group_by(School.stage)
    )
    counts = dict(rows.all())
    return [(stage, counts[stage]) for stage in STAGE_ORDER if stage in counts]
