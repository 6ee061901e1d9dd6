"""延長填寫: grant, bulk-grant and revoke extensions of a plan window.

An extension moves the close of one plan kind's window for one school, or for one
teacher, to `until`; the plan services read the latest unrevoked one on every write
(`app.plans.services._extension_until`). The rules, decided here on the server:

* `until` lies after now, after the window's own close for the school's stage, and no
  later than the end of the cycle's academic year (31 July of the next year, 24:00);
* the school (for a teacher: the school of the teacher's roster snapshot) lies in the
  granter's scope (`app.policy.schools_in_scope`);
* a bulk grant creates one extension per school of a county x stage in the granter's
  scope, in the request's one transaction, recorded as one `ExtensionBatch`;
* every grant and revocation writes an audit entry.

Services flush and never commit; refusals are `ExtensionRefused` with a message per field.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, func, select, update

from app import audit, policy, timeutil
from app.extensions import db
from app.models import (
    STAGE_LABELS,
    BusinessAccount,
    County,
    Cycle,
    Extension,
    ExtensionBatch,
    PlanKind,
    RosterSnapshot,
    School,
    Stage,
    Teacher,
    Window,
)
from app.policy import CountyRef

PLAN_KIND_LABELS = {
    PlanKind.SCHOOL: _l("學校本位進修規劃"),
    PlanKind.TEACHER: _l("教師自我專業進修規劃"),
}


class ExtensionRefused(Exception):
    """A grant or revocation that changed nothing; `errors` maps a form field to why."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(errors.values()))
        self.errors = errors


@dataclass(frozen=True)
class ScopedExtension:
    """An extension as the policy sees it: the school it concerns decides the scope."""

    extension: Extension
    school_id: int


@dataclass(frozen=True)
class ScopedBatch(CountyRef):
    """A bulk grant as the policy sees it: its county decides the scope."""

    batch: ExtensionBatch | None = None


def cycle_ends_at(cycle: Cycle) -> datetime:
    """The end of the cycle's academic year: 1 August of the next year, 00:00 Taipei."""
    return timeutil.taipei(cycle.academic_year + timeutil.ROC_OFFSET + 1, 8, 1)


def window_of(cycle: Cycle, kind: PlanKind, stage: Stage) -> Window | None:
    """The cycle's window of this plan kind for this stage (None: the stage takes no part)."""
    return db.session.scalar(
        select(Window).where(
            Window.cycle_id == cycle.id, Window.plan_kind == kind, Window.stage == stage
        )
    )


def takes_part(cycle: Cycle, kind: PlanKind, stage: Stage) -> bool:
    """Kindergartens fill no school plan; their teachers only when the cycle says so."""
    if stage == Stage.KINDERGARTEN:
        return kind == PlanKind.TEACHER and cycle.kindergarten_teachers_take_part
    return True


def check_until(cycle: Cycle, kind: PlanKind, stage: Stage, until: datetime) -> Window:
    """The window the extension moves; refuse an `until` that moves nothing or too far."""
    window = window_of(cycle, kind, stage)
    if window is None or not takes_part(cycle, kind, stage):
        raise ExtensionRefused(
            {
                "plan_kind": _(
                    "%(stage)s不填寫%(kind)s，無須延長。",
                    stage=STAGE_LABELS[stage],
                    kind=PLAN_KIND_LABELS[kind],
                )
            }
        )
    now = timeutil.now()
    if until <= now:
        raise ExtensionRefused(
            {"until_date": _("延長期限必須晚於現在（%(now)s）。", now=timeutil.roc_datetime(now))}
        )
    if until <= window.closes_at:
        raise ExtensionRefused(
            {
                "until_date": _(
                    "延長期限必須晚於原填寫期間的截止時間（%(closes)s）。",
                    closes=timeutil.roc_datetime(window.closes_at),
                )
            }
        )
    ends = cycle_ends_at(cycle)
    if until > ends:
        raise ExtensionRefused(
            {
                "until_date": _(
                    "延長期限不可晚於本學年度結束（%(ends)s）。",
                    ends=timeutil.roc_datetime(ends),
                )
            }
        )
    return window


def _facts(extension: Extension) -> dict[str, Any]:
    facts: dict[str, Any] = {
        "plan_kind": extension.plan_kind.value,
        "until": extension.until.isoformat(),
        "reason": extension.reason,
    }
    if extension.school_id is not None:
        facts["school_id"] = extension.school_id
    if extension.teacher_id is not None:
        facts["teacher_id"] = extension.teacher_id
    if extension.batch_id is not None:
        facts["batch_id"] = extension.batch_id
    return facts


def _in_scope(granter: BusinessAccount, school: School) -> bool:
    return policy.in_scope(granter, school)


def grant_to_school(
    granter: BusinessAccount,
    cycle: Cycle,
    kind: PlanKind,
    school: School,
    until: datetime,
    reason: str,
) -> Extension:
    """Extend one plan kind's window for one school in the granter's scope."""
    if not _in_scope(granter, school):
        raise ExtensionRefused({"school_code": _("此學校不在您的管轄範圍內。")})
    check_until(cycle, kind, school.stage, until)
    return _grant(
        granter,
        Extension(cycle_id=cycle.id, plan_kind=kind, school_id=school.id),
        school,
        until,
        reason,
    )


def snapshot_school(cycle: Cycle, teacher: Teacher) -> School | None:
    """The school whose roster the teacher fills the cycle's teacher plan with."""
    return db.session.scalar(
        select(School)
        .join(RosterSnapshot, RosterSnapshot.school_id == School.id)
        .where(RosterSnapshot.cycle_id == cycle.id, RosterSnapshot.teacher_id == teacher.id)
    )


def grant_to_teacher(
    granter: BusinessAccount,
    cycle: Cycle,
    teacher: Teacher,
    until: datetime,
    reason: str,
) -> Extension:
    """Extend the teacher-plan window for one teacher of a school in the granter's scope."""
    school = snapshot_school(cycle, teacher)
    if school is None or not _in_scope(granter, school):
        # Out of scope reads exactly as unknown: nothing tells where the teacher serves.
        raise ExtensionRefused({"national_id": _("此教師不在您所轄學校本學年度的教師名單中。")})
    check_until(cycle, PlanKind.TEACHER, school.stage, until)
    target = Extension(cycle_id=cycle.id, plan_kind=PlanKind.TEACHER, teacher_id=teacher.id)
    return _grant(granter, target, school, until, reason)


def _grant(
    granter: BusinessAccount, extension: Extension, school: School, until: datetime, reason: str
) -> Extension:
    """Store one extension (of a school, or of a teacher of that school) and audit it."""
    extension.concerns_school_id = school.id
    extension.until = until
    extension.granted_by_id = granter.id
    extension.reason = reason
    db.session.add(extension)
    db.session.flush()
    audit.record(
        "extension.grant",
        "extension",
        extension.id,
        after=_facts(extension),
        actor=granter,
        school_id=school.id,
    )
    return extension


def bulk_schools(granter: BusinessAccount, county_code: str, stage: Stage) -> Select[Any]:
    """The schools of a county x stage that lie in the granter's scope."""
    return (
        policy.schools_in_scope(granter)
        .where(School.county_code == county_code, School.stage == stage)
        .order_by(School.code)
    )


def grant_bulk(
    granter: BusinessAccount,
    cycle: Cycle,
    kind: PlanKind,
    county_code: str,
    stage: Stage,
    until: datetime,
    reason: str,
) -> ExtensionBatch:
    """Extend the window for every school of a county x stage in scope, as one batch."""
    if not policy.in_scope(granter, CountyRef(county_code)):
        raise ExtensionRefused({"county": _("您不主管此縣市，無法為其學校延長。")})
    check_until(cycle, kind, stage, until)
    schools = list(db.session.scalars(bulk_schools(granter, county_code, stage)))
    if not schools:
        raise ExtensionRefused({"stage": _("此縣市沒有您所轄的此教育階段學校。")})
    batch = ExtensionBatch(
        cycle_id=cycle.id,
        plan_kind=kind,
        county_code=county_code,
        stage=stage,
        until=until,
        reason=reason,
        school_count=len(schools),
        granted_by_id=granter.id,
    )
    db.session.add(batch)
    db.session.flush()
    extensions = [
        Extension(
            cycle_id=cycle.id,
            plan_kind=kind,
            school_id=school.id,
            concerns_school_id=school.id,
            until=until,
            granted_by_id=granter.id,
            reason=reason,
            batch_id=batch.id,
        )
        for school in schools
    ]
    db.session.add_all(extensions)
    db.session.flush()
    audit.record(
        "extension_batch.grant",
        "extension_batch",
        batch.id,
        after={
            "plan_kind": kind.value,
            "county": county_code,
            "stage": stage.value,
            "until": until.isoformat(),
            "reason": reason,
            "schools": len(schools),
        },
        actor=granter,
    )
    for extension in extensions:
        audit.record(
            "extension.grant",
            "extension",
            extension.id,
            after=_facts(extension),
            actor=granter,
            school_id=extension.concerns_school_id,
        )
    return batch


def revoke(actor: BusinessAccount, extension: Extension) -> Extension:
    """Revoke one extension: the window closes again as the cycle set it."""
    if extension.revoked_at is not None:
        raise ExtensionRefused({"extension": _("此延長已經撤銷。")})
    extension.revoked_at, extension.revoked_by_id = timeutil.now(), actor.id
    db.session.flush()
    audit.record(
        "extension.revoke",
        "extension",
        extension.id,
        before=_facts(extension),
        after={"revoked": True},
        actor=actor,
        school_id=extension.concerns_school_id,
    )
    return extension


def revoke_batch(actor: BusinessAccount, batch: ExtensionBatch) -> int:
    """Revoke every still-active extension of a bulk grant at once; return how many."""
    if batch.revoked_at is not None:
        raise ExtensionRefused({"batch": _("此批次延長已經撤銷。")})
    now = timeutil.now()
    active = list(
        db.session.scalars(
            select(Extension).where(Extension.batch_id == batch.id, Extension.revoked_at.is_(None))
        )
    )
    db.session.execute(
        update(Extension)
        .where(Extension.batch_id == batch.id, Extension.revoked_at.is_(None))
        .values(revoked_at=now, revoked_by_id=actor.id)
        .execution_options(synchronize_session="fetch")
    )
    batch.revoked_at, batch.revoked_by_id = now, actor.id
    db.session.flush()
    audit.record(
        "extension_batch.revoke",
        "extension_batch",
        batch.id,
        before={"schools": batch.school_count, "until": batch.until.isoformat()},
        after={"revoked": len(active)},
        actor=actor,
    )
    for extension in active:
        audit.record(
            "extension.revoke",
            "extension",
            extension.id,
            before=_facts(extension),
            after={"revoked": True},
            actor=actor,
            school_id=extension.concerns_school_id,
        )
    return len(active)


# ---- reading ------------------------------------------------------------------------------


def scope_school_ids(user: Any) -> Select[Any]:
    return policy.schools_in_scope(user).with_only_columns(School.id)


def extensions_in_scope(user: Any, cycle: Cycle) -> Select[Any]:
    """The cycle's extensions concerning schools in the user's scope, newest first."""
    return (
        select(Extension)
        .where(
            Extension.cycle_id == cycle.id,
            Extension.concerns_school_id.in_(scope_school_ids(user)),
        )
        .order_by(Extension.created_at.desc(), Extension.id.desc())
    )


def batch_outside_scope(user: Any, batch: ExtensionBatch) -> bool:
    """Whether any extension of the batch concerns a school outside the user's scope."""
    outside = db.session.scalar(
        select(func.count(Extension.id)).where(
            Extension.batch_id == batch.id,
            Extension.concerns_school_id.not_in(scope_school_ids(user)),
        )
    )
    return bool(outside)


def batches_in_scope(user: Any, cycle: Cycle) -> Select[Any]:
    """The cycle's bulk grants whose every school lies in the user's scope, newest first."""
    outside = (
        select(Extension.id)
        .where(
            Extension.batch_id == ExtensionBatch.id,
            Extension.concerns_school_id.not_in(scope_school_ids(user)),
        )
        .exists()
    )
    counties = policy.counties_in_scope(user).with_only_columns(County.code)
    return (
        select(ExtensionBatch)
        .where(
            ExtensionBatch.cycle_id == cycle.id,
            ExtensionBatch.county_code.in_(counties),
            ~outside,
        )
        .order_by(ExtensionBatch.created_at.desc(), ExtensionBatch.id.desc())
    )
