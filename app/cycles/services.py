"""Cycle setup: import a cycle file into the database, take the roster snapshot."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import Integer, delete, exists, func, insert, literal, select

from app import audit, timeutil
from app.extensions import db
from app.models import (
    Cycle,
    CycleStatus,
    Employment,
    PlanKind,
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
    cycle: Cycle, *, force: bool = False, moment: datetime | None = None
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
        after={"teachers": taken, "forced": force},
        actor="cli",
    )
    db.session.flush()
    return SnapshotResult(taken, False)
