"""Every PDF as plain data: what it shows, what it depends on, and its file name.

A :class:`Document` is cheap to make: :mod:`app.reports.cache_keys` reads what it
depends on with a few small queries, which give its cache key. Its ``build``
callable does the heavy reading only when the PDF must really be rendered, and the
figures come from the read models in :mod:`app.stats` (counted in SQL). Templates
receive plain dicts, lists, strings and numbers, never a database object.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import select

from app import stats, timeutil
from app.cycles.services import latest_questionnaire
from app.cycles.windows import cycle_by_year
from app.extensions import db
from app.models import (
    STAGE_ORDER,
    Authority,
    AuthorityKind,
    Cycle,
    PlanKind,
    PlanStatus,
    School,
    SchoolPlan,
    Stage,
    TeacherPlan,
)
from app.plans.receipts import Receipt, latest_receipt
from app.questionnaires import engine
from app.reports import cache_keys, layout, versions
from app.reports.cache_keys import Document, TeacherPlanFacts, revision
from app.reports.charts import bar_chart
from app.reports.manuals import AUDIENCES, contact_of, manual_document, schedule_of
from app.stats import Completion, Tally

__all__ = [
    "AUDIENCES",
    "STATUS_LABELS",
    "Document",
    "Labels",
    "Tally",
    "TeacherPlanFacts",
    "contact_of",
    "county_authority",
    "county_document",
    "document_for",
    "manual_document",
    "national_document",
    "number",
    "revision",
    "schedule_of",
    "school_plan_document",
    "tally_view",
    "teacher_plan_document",
    "teacher_plan_download",
]

NEEDS = stats.NEEDS
STATUS_LABELS = {"submitted": "已送出", "draft": "草稿", "none": "未填寫", "exempt": "不適用"}
# One label per bucket of stats.HOUR_BUCKETS.
HOUR_LABELS = ("未滿 10 小時", "10–19 小時", "20–39 小時", "40 小時以上")


def _digest(deps: Mapping[str, Any]) -> str:
    return cache_keys.digest(deps, revision())


def _unit(cycle: Cycle, unit: str) -> str:
    return f"{cycle.name}｜{unit}"


def _status_line(plan: SchoolPlan | TeacherPlan, receipt: Receipt | None) -> str:
    if plan.status == PlanStatus.SUBMITTED:
        parts = [f"{timeutil.roc_datetime(plan.submitted_at)} 送出" if plan.submitted_at else ""]
        parts.append(f"第 {receipt.number} 次送出" if receipt is not None else "")
        shown = "，".join(part for part in parts if part)
        return f"已送出（{shown}）" if shown else "已送出"
    return f"草稿，尚未送出（最後儲存 {timeutil.roc_datetime(plan.updated_at)}）"


def _submitted_receipt(kind: PlanKind, plan: SchoolPlan | TeacherPlan) -> Receipt | None:
    """The latest submission's receipt of a plan that stands submitted, else None."""
    if plan.status != PlanStatus.SUBMITTED:
        return None
    return latest_receipt(kind, plan.id, plan.cycle.academic_year)


# ---- teacher plan ----------------------------------------------------------------------


def teacher_plan_download(teacher_id: int, year: int | None = None) -> Document | None:
    """Describe a teacher's plan PDF of cycle ``year`` (default: the current one), or None."""
    facts = cache_keys.teacher_plan_facts(teacher_id, year)
    return None if facts is None else _teacher_plan_document(facts)


def teacher_plan_document(plan: TeacherPlan) -> Document:
    """Describe the PDF of one teacher plan: the submitted answers or the watermarked draft."""
    return _teacher_plan_document(TeacherPlanFacts.of(plan))


def _teacher_plan_document(facts: TeacherPlanFacts) -> Document:
    draft = facts.status != PlanStatus.SUBMITTED
    title = f"{facts.cycle_name} 教師自我專業進修規劃"

    def build() -> dict[str, Any]:
        plan = db.session.get(TeacherPlan, facts.plan_id)
        if plan is None:
            raise LookupError(f"teacher plan {facts.plan_id} no longer exists")
        school = plan.school
        answer_facts = {
            "academic_year": facts.academic_year,
            "teacher_name": facts.teacher_name,
            "school_name": facts.school_name,
            "school_code": facts.school_code,
            "stage_name": Stage(facts.stage).label,
            "county_name": school.county.name if school.county else "",
        }
        definition = engine.for_stage(plan.questionnaire.definition, school.stage)
        receipt = _submitted_receipt(PlanKind.TEACHER, plan)
        return {
            "doc_header": f"{facts.cycle_name}｜{facts.school_name}",
            "doc_header_right": title + ("（草稿）" if draft else ""),
            "heading": title,
            "draft": draft,
            "status_line": _status_line(plan, receipt),
            "receipt": receipt.printed() if receipt else None,
            "sections": layout.answer_sections(definition, plan.answers, answer_facts),
        }

    return Document(
        ref=("teacher-plan", str(facts.plan_id)),
        digest=_digest(facts.deps()),
        filename=f"teacher-plan-{facts.academic_year}.pdf",
        title=title,
        subject=f"{facts.school_name} {facts.cycle_name}教師自我專業進修規劃",
        template="reports/teacher_plan.html",
        build=build,
    )


# ---- figures as template data -------------------------------------------------------------


class Labels:
    """Option labels of the teacher questionnaire, with the code as a fallback."""

    def __init__(self, definition: Mapping[str, Any] | None) -> None:
        questions = engine.question_map(definition or {})
        self.needs = questions.get(stats.NEEDS, {})
        fields = questions.get(stats.ACTIVITIES, {}).get("fields", ())
        self.fields = {f["code"]: f for f in fields}

    def need_codes(self) -> list[str]:
        return [option["code"] for option in self.needs.get("options", ())]

    def need(self, code: str) -> str:
        return engine.option_label(self.needs, code)

    def field_codes(self, name: str) -> list[str]:
        return [option["code"] for option in self.fields.get(name, {}).get("options", ())]

    def field(self, name: str, code: str) -> str:
        return engine.option_label(self.fields.get(name, {}), code)

    @property
    def ranks(self) -> int:
        return int(self.needs.get("ranks") or 3)


def _labels(cycle: Cycle) -> Labels:
    questionnaire = latest_questionnaire(cycle, PlanKind.TEACHER)
    return Labels(questionnaire.definition if questionnaire else None)


def number(value: float) -> str:
    """Format hours for people: 12, 12.5, 1,234."""
    value = round(float(value), 1)
    return f"{value:,.0f}" if value.is_integer() else f"{value:,.1f}"


def _ordered(known: list[str], counts: Iterable[str]) -> list[str]:
    return known + sorted(code for code in counts if code not in known)


def tally_view(tally: Tally, labels: Labels) -> dict[str, Any]:
    """Return a tally as template data, with tables and SVG charts."""
    known = labels.need_codes()
    rows = [
        (labels.need(code), tally.needs.get(code, [0] * tally.ranks))
        for code in known + sorted(set(tally.needs) - set(known))
    ]
    needs = [{"label": label, "ranks": ranks, "total": sum(ranks)} for label, ranks in rows]
    totals = [(label, sum(ranks)) for label, ranks in rows]
    ranked = sorted((pair for pair in totals if pair[1]), key=lambda pair: -pair[1])
    modes = [
        (labels.field("mode", code), tally.mode_rows[code], tally.mode_hours.get(code, 0.0))
        for code in _ordered(labels.field_codes("mode"), tally.mode_rows)
        if tally.mode_rows[code]
    ]
    categories = [
        (labels.field("topic_category", code), tally.category_hours[code])
        for code in _ordered(labels.field_codes("topic_category"), tally.category_hours)
        if tally.category_hours.get(code)
    ]
    terms = [
        {"label": labels.field("term", code), "hours": number(tally.term_hours[code])}
        for code in _ordered(labels.field_codes("term"), tally.term_hours)
        if tally.term_hours.get(code)
    ]
    hours = tally.hours_summary()
    return {
        "plans": tally.plans,
        "rank_count": tally.ranks,
        "needs": needs,
        "needs_chart": bar_chart(ranked, title="教師專業成長需求（列入前三項的人數）", unit="人"),
        "modes": [{"label": label, "rows": rows, "hours": number(h)} for label, rows, h in modes],
        "modes_chart": bar_chart(
            [(label, rows) for label, rows, _ in modes], title="預定進修方式（活動數）", unit="項"
        ),
        "categories": [{"label": label, "hours": number(h)} for label, h in categories],
        "hours_chart": bar_chart(categories, title="各主題類別預定進修時數", unit="小時"),
        "terms": terms,
        "hours": {
            "total": number(hours.total),
            "average": number(hours.average),
            "median": number(hours.median),
            "buckets": [
                {"label": label, "count": count}
                for label, count in zip(HOUR_LABELS, hours.buckets, strict=True)
            ],
        },
    }


def _tally(cycle: Cycle, scope: stats.Scope) -> dict[str, Any]:
    labels = _labels(cycle)
    return tally_view(stats.teacher_tally(cycle, scope, ranks=labels.ranks), labels)


def _analytics(cycle: Cycle, scope: stats.Scope, area: str) -> dict[str, Any]:
    from app.analytics.services import section

    return section(cycle, scope, area)


def _rate(done: int, total: int) -> str:
    return f"{done / total * 100:.1f}%" if total else "—"


def _completion(counts: Completion) -> dict[str, Any]:
    return {
        "schools": counts.schools,
        "school_plans_due": counts.school_plans_due,
        "school_plans_submitted": counts.school_plans_submitted,
        "roster": counts.roster,
        "submitted": counts.submitted,
        "draft": counts.draft,
        "none": counts.not_started,
        "rate": _rate(counts.submitted, counts.roster),
    }


def _by_stage(counts: Mapping[Stage, Completion]) -> list[dict[str, Any]]:
    return [
        {"stage": stage.label, "stage_code": stage.value, **_completion(counts[stage])}
        for stage in STAGE_ORDER
        if stage in counts
    ]


def _school_row(row: stats.SchoolRow) -> dict[str, Any]:
    counts = row.completion
    return {
        "code": row.code,
        "name": row.name,
        "stage": row.stage.value,
        "stage_label": row.stage.label,
        "county_code": row.county_code,
        "roster": counts.roster,
        "submitted": counts.submitted,
        "draft": counts.draft,
        "school_plan": row.school_plan,
        "school_plan_label": STATUS_LABELS[row.school_plan],
        "rate": _rate(counts.submitted, counts.roster),
    }


# ---- school plan -------------------------------------------------------------------------


def school_plan_document(plan: SchoolPlan) -> Document:
    """Describe the school plan PDF: the plan plus the summary of its teachers' plans."""
    cycle, school = plan.cycle, plan.school
    draft = plan.status != PlanStatus.SUBMITTED
    title = f"{cycle.name} 學校本位進修規劃"
    scope = stats.one_school(school.id)
    roster = stats.roster_progress(cycle, school.id)
    deps = {
        "plan": cache_keys.plan_facts(plan),
        "school": [school.code, school.name, school.stage.value, school.county_code],
        "cycle": cache_keys.cycle_facts(cycle),
        "roster": [[r.teacher_id, r.name, r.title, r.state] for r in roster],
        "plans": cache_keys.submitted_teacher_plans(cycle, school.id),
        "labels": cache_keys.teacher_questionnaire(cycle),
    }

    def build() -> dict[str, Any]:
        facts = {
            "academic_year": cycle.academic_year,
            "school_name": school.name,
            "school_code": school.code,
            "stage_name": school.stage.label,
            "county_name": school.county.name if school.county else "",
        }
        receipt = _submitted_receipt(PlanKind.SCHOOL, plan)
        return {
            "doc_header": _unit(cycle, school.name),
            "doc_header_right": title + ("（草稿）" if draft else ""),
            "heading": title,
            "draft": draft,
            "status_line": _status_line(plan, receipt),
            "receipt": receipt.printed() if receipt else None,
            "school": {"name": school.name, "code": school.code, "stage": school.stage.label},
            "sections": layout.answer_sections(
                engine.for_stage(plan.questionnaire.definition, school.stage), plan.answers, facts
            ),
            "completion": _completion(stats.completion(cycle, scope)),
            "roster": [
                {"name": r.name, "title": r.title, "status_label": STATUS_LABELS[r.state]}
                for r in roster
            ],
            "tally": _tally(cycle, scope),
        }

    return Document(
        ref=("school-plan", str(plan.id)),
        digest=_digest(deps),
        filename=f"school-plan-{cycle.academic_year}-{school.code}.pdf",
        title=title,
        subject=f"{school.name} {cycle.name}學校本位進修規劃與教師進修規劃摘要",
        template="reports/school_plan.html",
        build=build,
    )


# ---- authority summaries -----------------------------------------------------------------


def county_authority(county_code: str) -> Authority | None:
    """The county/city education bureau of a county."""
    return db.session.scalar(
        select(Authority).where(
            Authority.kind == AuthorityKind.COUNTY, Authority.county_code == county_code
        )
    )


def county_document(cycle: Cycle, authority: Authority) -> Document:
    """Describe the county summary: completion per school and stage, aggregated needs."""
    scope = select(School.id).where(School.authority_id == authority.id)
    county_name = authority.county.name if authority.county else authority.name
    title = f"{cycle.name} {county_name}進修規劃填報摘要"
    deps = {
        "authority": [authority.id, authority.name, authority.county_code, county_name],
        "cycle": cache_keys.cycle_facts(cycle),
        "schools": cache_keys.schools_listed(scope),
        "plans": cache_keys.plans_state(cycle, scope),
        # The teacher questionnaire's labels, the school questionnaire's (the analytics
        # section) and the year before, in one statement.
        "labels": cache_keys.summary_labels_and_previous(cycle, scope),
    }

    def build() -> dict[str, Any]:
        rows = [_school_row(row) for row in stats.school_rows(cycle, scope)]
        per_stage = {
            key[0]: counts
            for key, counts in stats.completion_by(cycle, scope, School.stage).items()
        }
        stages = _by_stage(per_stage)
        return {
            "doc_header": _unit(cycle, authority.name),
            "heading": title,
            "authority": authority.name,
            "totals": _completion(sum(per_stage.values(), Completion())),
            "stages": [
                {**stage, "schools_rows": [r for r in rows if r["stage"] == stage["stage_code"]]}
                for stage in stages
            ],
            "tally": _tally(cycle, scope),
            "analytics": _analytics(cycle, scope, "所屬學校"),
        }

    return Document(
        ref=("county", str(cycle.academic_year), authority.county_code or str(authority.id)),
        digest=_digest(deps),
        filename=f"county-report-{cycle.academic_year}-{authority.county_code}.pdf",
        title=title,
        subject=f"{authority.name} {cycle.name}學校本位及教師自我專業進修規劃填報情形",
        template="reports/county.html",
        build=build,
    )


def national_document(cycle: Cycle) -> Document:
    """Describe the national summary: completion by county and stage, aggregated needs."""
    counties = cache_keys.county_names()
    title = f"{cycle.name} 全國進修規劃填報摘要"
    deps = {
        "cycle": cache_keys.cycle_facts(cycle),
        "schools": cache_keys.schools_shape(),
        "counties": counties,
        "plans": cache_keys.plans_state(cycle, None),
        "labels": cache_keys.summary_labels_and_previous(cycle, None),
    }

    def build() -> dict[str, Any]:
        grouped = stats.completion_by(cycle, None, School.county_code, School.stage)
        per_county: dict[str, Completion] = {}
        per_stage: dict[Stage, Completion] = {}
        for (county, stage), counts in grouped.items():
            per_county[county] = per_county.get(county, Completion()) + counts
            per_stage[stage] = per_stage.get(stage, Completion()) + counts
        return {
            "doc_header": _unit(cycle, "教育部國民及學前教育署"),
            "heading": title,
            "totals": _completion(sum(grouped.values(), Completion())),
            "counties": [
                {"county": counties.get(code, code), **_completion(per_county[code])}
                for code in sorted(per_county)
            ],
            "stages": _by_stage(per_stage),
            "tally": _tally(cycle, None),
            "analytics": _analytics(cycle, None, "全國"),
        }

    return Document(
        ref=("national", str(cycle.academic_year)),
        digest=_digest(deps),
        filename=f"national-report-{cycle.academic_year}.pdf",
        title=title,
        subject=f"{cycle.name}學校本位及教師自我專業進修規劃全國填報情形",
        template="reports/national.html",
        build=build,
    )


# ---- finding a document again (background jobs) ------------------------------------------


def document_for(ref: Iterable[str]) -> Document | None:
    """Rebuild a Document from its ref, reading fresh rows; None if it no longer exists."""
    parts = [str(part) for part in ref]
    kind, args = parts[0], parts[1:]
    if kind == "teacher-plan" and len(args) == 1 and args[0].isdigit():
        # populate_existing: the caller may have just updated this row behind the ORM's back.
        teacher_plan = db.session.get(TeacherPlan, int(args[0]), populate_existing=True)
        return None if teacher_plan is None else teacher_plan_document(teacher_plan)
    if kind == "plan-version" and len(args) == 1 and args[0].isdigit():
        return versions.version_document_by_id(int(args[0]))  # plan history
    if kind == "school-plan" and len(args) == 1 and args[0].isdigit():
        school_plan = db.session.get(SchoolPlan, int(args[0]), populate_existing=True)
        return None if school_plan is None else school_plan_document(school_plan)
    year = (args[1] if kind == "manual" else args[0]) if len(args) >= 1 + (kind == "manual") else ""
    cycle = cycle_by_year(int(year)) if year.isdigit() else None
    if cycle is None:
        return None
    if kind == "county" and len(args) == 2:
        authority = county_authority(args[1])
        return county_document(cycle, authority) if authority else None
    if kind == "national" and len(args) == 1:
        return national_document(cycle)
    if kind == "manual" and len(args) == 2 and args[0] in AUDIENCES:
        return manual_document(cycle, args[0])
    return None
