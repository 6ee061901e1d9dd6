"""The PDF of one submitted version of a plan, from that version's stored answers.

A version never changes once kept, so its cache key depends on the version row and on
the names printed in the header (a school or teacher renamed since gets a new PDF).
"""

from __future__ import annotations

from typing import Any

from app import timeutil
from app.extensions import db
from app.models import PlanKind, PlanVersion, SchoolPlan, TeacherPlan
from app.plans.receipts import receipt_of
from app.questionnaires import engine
from app.reports import cache_keys, layout
from app.reports.cache_keys import Document, iso, revision

TITLES = {PlanKind.SCHOOL: "學校本位進修規劃", PlanKind.TEACHER: "教師自我專業進修規劃"}


def _plan_of(version: PlanVersion) -> SchoolPlan | TeacherPlan | None:
    model: Any = SchoolPlan if version.plan_kind == PlanKind.SCHOOL else TeacherPlan
    plan: SchoolPlan | TeacherPlan | None = db.session.get(model, version.plan_id)
    return plan


def version_document(version: PlanVersion) -> Document | None:
    """Describe the PDF of a kept version; None when its plan no longer exists."""
    plan = _plan_of(version)
    if plan is None:
        return None
    cycle, school = plan.cycle, plan.school
    teacher = plan.teacher if isinstance(plan, TeacherPlan) else None
    kind = PlanKind(version.plan_kind)
    # People count submissions (第 2 次送出); `version` is the lock counter it was kept at.
    receipt = receipt_of(version, cycle.academic_year)
    title = f"{cycle.name} {TITLES[kind]}（第 {receipt.number} 次送出）"
    version_id, number = version.id, version.version
    deps = {
        "version": [
            version_id,
            kind.value,
            version.plan_id,
            number,
            iso(version.submitted_at),
            version.submitted_by,
            plan.questionnaire_id,
            receipt.number,
        ],
        "school": [school.code, school.name, school.stage.value, school.county_code],
        "teacher": [teacher.id, teacher.name] if teacher is not None else None,
        "cycle": [cycle.academic_year, cycle.name],
    }

    def build() -> dict[str, Any]:
        kept = db.session.get(PlanVersion, version_id)
        owner = _plan_of(kept) if kept is not None else None
        if kept is None or owner is None:
            raise LookupError(f"plan version {version_id} no longer exists")
        facts = {
            "academic_year": cycle.academic_year,
            "school_name": school.name,
            "school_code": school.code,
            "stage_name": school.stage.label,
            "county_name": school.county.name if school.county else "",
        }
        if teacher is not None:
            facts["teacher_name"] = teacher.name
        definition = engine.for_stage(owner.questionnaire.definition, school.stage)
        return {
            "doc_header": f"{cycle.name}｜{school.name}",
            "doc_header_right": f"{TITLES[kind]}（第 {receipt.number} 次送出）",
            "heading": title,
            "status_line": (
                f"第 {receipt.number} 次送出，{timeutil.roc_datetime(kept.submitted_at)} "
                f"由 {kept.submitted_by} 送出"
            ),
            "receipt": receipt.printed(),
            "sections": layout.answer_sections(definition, kept.answers, facts),
        }

    who = school.code if teacher is None else ""
    return Document(
        ref=("plan-version", str(version_id)),
        digest=cache_keys.digest(deps, revision()),
        filename="-".join(
            part
            for part in (f"{kind.value}-plan", str(cycle.academic_year), who, f"v{receipt.number}")
            if part
        )
        + ".pdf",
        title=title,
        subject=f"{school.name} {title}",
        template="reports/plan_version.html",
        build=build,
    )


def version_document_by_id(version_id: int) -> Document | None:
    """Rebuild a version's Document from its id (the background render), or None."""
    version = db.session.get(PlanVersion, version_id, populate_existing=True)
    return None if version is None else version_document(version)
