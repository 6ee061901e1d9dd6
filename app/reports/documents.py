"""Every PDF as plain data: what it shows, what it depends on, and its file name.

A :class:`Document` is cheap to make (a few small queries give its cache key);
its ``build`` callable does the heavy reading only when the PDF must really be
rendered. Templates receive plain dicts, lists, strings and numbers, never a
database object.
"""

from __future__ import annotations

import hashlib
import json
import statistics
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache
from typing import Any

from flask import current_app
from sqlalchemy import ColumnElement, func, select, true

from app import timeutil
from app.config import ROOT
from app.cycles.services import latest_questionnaire
from app.cycles.windows import cycle_by_year, windows_of
from app.extensions import db
from app.models import (
    STAGE_ORDER,
    Authority,
    AuthorityKind,
    County,
    Cycle,
    CycleStatus,
    PlanKind,
    PlanStatus,
    RosterSnapshot,
    School,
    SchoolPlan,
    Stage,
    Teacher,
    TeacherPlan,
)
from app.questionnaires import engine
from app.reports.charts import bar_chart

# Sources whose change changes the rendered bytes: a deployment that touches any of
# them gets new cache keys, so nobody downloads a PDF laid out by the old code.
_REVISION_SOURCES = (
    "app/reports/documents.py",
    "app/reports/charts.py",
    "app/questionnaires/engine.py",  # summarise() shapes every plan's answers
    "app/pdf/render.py",
    "templates/pdf/base.html",
    "static/css/pdf.css",
)
_REVISION_FOLDERS = ("templates/reports", "templates/manuals")

NEEDS = "needs"
STATUS_LABELS = {"submitted": "已送出", "draft": "草稿", "none": "未填寫", "exempt": "不適用"}
HOUR_BUCKETS = ((0, 10, "未滿 10 小時"), (10, 20, "10–19 小時"), (20, 40, "20–39 小時"))
HOUR_TOP_LABEL = "40 小時以上"
AUDIENCES = ("school", "teacher")


@cache
def revision() -> str:
    """Hash the templates and code that shape every PDF (computed once per process)."""
    digest = hashlib.sha256()
    paths = [ROOT / name for name in _REVISION_SOURCES]
    for folder in _REVISION_FOLDERS:
        paths.extend(sorted((ROOT / folder).rglob("*.html")))
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


def _digest(deps: Mapping[str, Any]) -> str:
    payload = json.dumps({"revision": revision(), **deps}, sort_keys=True, default=str)
    return hashlib.sha256(payload.encode()).hexdigest()[:32]


def _iso(moment: datetime | None) -> str | None:
    # In UTC: the same instant must give the same key whether it came from the database
    # (UTC) or from an object still holding the Taipei time it was created with.
    return moment.astimezone(UTC).isoformat() if moment else None


def _plan_facts(plan: SchoolPlan | TeacherPlan) -> list[Any]:
    return [
        plan.id,
        plan.version,
        plan.status.value,
        _iso(plan.updated_at),
        _iso(plan.submitted_at),
        plan.questionnaire_id,
    ]


def _unit(cycle: Cycle, unit: str) -> str:
    return f"{cycle.name}｜{unit}"


def _status_line(plan: SchoolPlan | TeacherPlan) -> str:
    if plan.status == PlanStatus.SUBMITTED:
        return (
            f"已送出（{timeutil.roc_datetime(plan.submitted_at)} 送出，第 {plan.version} 版）"
            if plan.submitted_at
            else f"已送出（第 {plan.version} 版）"
        )
    return f"草稿，尚未送出（最後儲存 {timeutil.roc_datetime(plan.updated_at)}）"


# ---- teacher plan ----------------------------------------------------------------------


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


def teacher_plan_download(teacher_id: int, year: int | None = None) -> Document | None:
    """Describe a teacher's plan PDF of cycle ``year`` (default: the current one), or None."""
    cycle_matches = Cycle.id == _CURRENT_CYCLE_ID if year is None else Cycle.academic_year == year
    row = db.session.execute(
        _TEACHER_PLAN_FACTS.where(TeacherPlan.teacher_id == teacher_id, cycle_matches)
    ).first()
    return None if row is None else _teacher_plan_document(TeacherPlanFacts(*row))


def teacher_plan_document(plan: TeacherPlan) -> Document:
    """Describe the PDF of one teacher plan: the submitted answers or the watermarked draft."""
    return _teacher_plan_document(TeacherPlanFacts.of(plan))


def _teacher_plan_document(facts: TeacherPlanFacts) -> Document:
    draft = facts.status != PlanStatus.SUBMITTED
    title = f"{facts.cycle_name} 教師自我專業進修規劃"
    deps = {
        "plan": [
            facts.plan_id,
            facts.version,
            PlanStatus(facts.status).value,
            _iso(facts.updated_at),
            _iso(facts.submitted_at),
            facts.questionnaire_id,
        ],
        "teacher": [facts.teacher_id, facts.teacher_name],
        "school": [
            facts.school_code,
            facts.school_name,
            Stage(facts.stage).value,
            facts.county_code,
        ],
        "cycle": [facts.academic_year, facts.cycle_name],
    }

    def build() -> dict[str, Any]:
        plan = db.session.get(TeacherPlan, facts.plan_id)
        school = plan.school
        answer_facts = {
            "academic_year": facts.academic_year,
            "teacher_name": facts.teacher_name,
            "school_name": facts.school_name,
            "school_code": facts.school_code,
            "stage_name": Stage(facts.stage).label,
            "county_name": school.county.name if school.county else "",
        }
        definition = plan.questionnaire.definition
        return {
            "doc_header": f"{facts.cycle_name}｜{facts.school_name}",
            "doc_header_right": title + ("（草稿）" if draft else ""),
            "heading": title,
            "draft": draft,
            "status_line": _status_line(plan),
            "sections": engine.summarise(definition, plan.answers, facts=answer_facts),
        }

    return Document(
        ref=("teacher-plan", str(facts.plan_id)),
        digest=_digest(deps),
        filename=f"teacher-plan-{facts.academic_year}.pdf",
        title=title,
        subject=f"{facts.school_name} {facts.cycle_name}教師自我專業進修規劃",
        template="reports/teacher_plan.html",
        build=build,
    )


# ---- aggregation of teacher plans -------------------------------------------------------


class Labels:
    """Option labels of the teacher questionnaire, with the code as a fallback."""

    def __init__(self, definition: Mapping[str, Any] | None) -> None:
        questions = engine.question_map(definition or {})
        self.needs = questions.get(NEEDS, {})
        fields = questions.get(engine.ACTIVITIES, {}).get("fields", ())
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


def _hours(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return 0.0
    return float(value) if 0 < value < 10_000 else 0.0


def _code(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


@dataclass
class Tally:
    """Needs, modes and hours summed over submitted teacher plans (by stable option codes)."""

    ranks: int = 3
    plans: int = 0
    needs: dict[str, list[int]] = field(default_factory=dict)
    mode_rows: Counter[str] = field(default_factory=Counter)
    mode_hours: Counter[str] = field(default_factory=Counter)
    category_hours: Counter[str] = field(default_factory=Counter)
    term_hours: Counter[str] = field(default_factory=Counter)
    plan_hours: list[float] = field(default_factory=list)

    def add(self, answers: Any) -> None:
        """Count one plan's ranked needs and activity rows."""
        if not isinstance(answers, Mapping):
            return
        self.plans += 1
        for rank, code in enumerate(engine.ranked_choices(answers, NEEDS)[: self.ranks]):
            self.needs.setdefault(code, [0] * self.ranks)[rank] += 1
        total = 0.0
        for row in engine.activity_rows(answers):
            hours = _hours(row.get("hours"))
            total += hours
            mode, category, term = (_code(row.get(k)) for k in ("mode", "topic_category", "term"))
            if mode:
                self.mode_rows[mode] += 1
                self.mode_hours[mode] += hours
            if category:
                self.category_hours[category] += hours
            if term:
                self.term_hours[term] += hours
        self.plan_hours.append(total)

    def view(self, labels: Labels) -> dict[str, Any]:
        """Return the tally as template data, with tables and SVG charts."""
        codes = labels.need_codes() + sorted(set(self.needs) - set(labels.need_codes()))
        needs = [
            {
                "label": labels.need(code),
                "ranks": self.needs.get(code, [0] * self.ranks),
                "total": sum(self.needs.get(code, ())),
            }
            for code in codes
        ]
        ranked = sorted((n for n in needs if n["total"]), key=lambda n: -n["total"])
        modes = [
            {
                "label": labels.field("mode", code),
                "rows": self.mode_rows[code],
                "hours": number(self.mode_hours[code]),
            }
            for code in _ordered(labels.field_codes("mode"), self.mode_rows)
        ]
        categories = [
            (labels.field("topic_category", code), self.category_hours[code])
            for code in _ordered(labels.field_codes("topic_category"), self.category_hours)
            if self.category_hours[code]
        ]
        terms = [
            {"label": labels.field("term", code), "hours": number(self.term_hours[code])}
            for code in _ordered(labels.field_codes("term"), self.term_hours)
            if self.term_hours[code]
        ]
        hours = self.plan_hours
        return {
            "plans": self.plans,
            "rank_count": self.ranks,
            "needs": needs,
            "needs_chart": bar_chart(
                [(n["label"], n["total"]) for n in ranked],
                title="教師專業成長需求（列入前三項的人數）",
                unit="人",
            ),
            "modes": [m for m in modes if m["rows"]],
            "modes_chart": bar_chart(
                [(m["label"], m["rows"]) for m in modes if m["rows"]],
                title="預定進修方式（活動數）",
                unit="項",
            ),
            "categories": [{"label": label, "hours": number(h)} for label, h in categories],
            "hours_chart": bar_chart(categories, title="各主題類別預定進修時數", unit="小時"),
            "terms": terms,
            "hours": {
                "total": number(sum(hours)),
                "average": number(sum(hours) / len(hours) if hours else 0),
                "median": number(statistics.median(hours) if hours else 0),
                "buckets": _buckets(hours),
            },
        }


def number(value: float) -> str:
    """Format hours for people: 12, 12.5, 1,234."""
    value = round(float(value), 1)
    return f"{value:,.0f}" if value.is_integer() else f"{value:,.1f}"


def _ordered(known: list[str], counts: Mapping[str, Any]) -> list[str]:
    return known + sorted(code for code in counts if code not in known)


def _buckets(hours: list[float]) -> list[dict[str, Any]]:
    rows = [
        {"label": label, "count": sum(1 for h in hours if low <= h < high)}
        for low, high, label in HOUR_BUCKETS
    ]
    rows.append({"label": HOUR_TOP_LABEL, "count": sum(1 for h in hours if h >= 40)})
    return rows


def _tally(cycle: Cycle, scope: ColumnElement[bool]) -> Tally:
    questionnaire = latest_questionnaire(cycle, PlanKind.TEACHER)
    labels = Labels(questionnaire.definition if questionnaire else None)
    tally = Tally(ranks=labels.ranks)
    rows = db.session.execute(
        select(TeacherPlan.answers)
        .join(School, School.id == TeacherPlan.school_id)
        .where(TeacherPlan.cycle_id == cycle.id, TeacherPlan.status == PlanStatus.SUBMITTED)
        .where(scope)
        .execution_options(yield_per=1000)  # a national report streams ~200,000 plans
    )
    for (answers,) in rows:
        tally.add(answers)
    return tally


def _labels(cycle: Cycle) -> Labels:
    questionnaire = latest_questionnaire(cycle, PlanKind.TEACHER)
    return Labels(questionnaire.definition if questionnaire else None)


def _plans_state(cycle: Cycle, scope: ColumnElement[bool]) -> list[Any]:
    """Fingerprint every plan in scope: any save bumps a version and updated_at."""
    state = []
    for model in (TeacherPlan, SchoolPlan):
        count, latest, versions = db.session.execute(
            select(func.count(), func.max(model.updated_at), func.sum(model.version))
            .join(School, School.id == model.school_id)
            .where(model.cycle_id == cycle.id)
            .where(scope)
        ).one()
        state.append([count, _iso(latest), int(versions or 0)])
    return state


def _per_school(cycle: Cycle, scope: ColumnElement[bool]) -> dict[int, dict[str, Any]]:
    """Snapshot size, teacher-plan counts by status and school-plan status, per school."""
    stats: dict[int, dict[str, Any]] = {}

    def row(school_id: int) -> dict[str, Any]:
        return stats.setdefault(
            school_id, {"roster": 0, "submitted": 0, "draft": 0, "school_plan": "none"}
        )

    for school_id, count in db.session.execute(
        select(RosterSnapshot.school_id, func.count())
        .join(School, School.id == RosterSnapshot.school_id)
        .where(RosterSnapshot.cycle_id == cycle.id)
        .where(scope)
        .group_by(RosterSnapshot.school_id)
    ):
        row(school_id)["roster"] = count
    for school_id, status, count in db.session.execute(
        select(TeacherPlan.school_id, TeacherPlan.status, func.count())
        .join(School, School.id == TeacherPlan.school_id)
        .where(TeacherPlan.cycle_id == cycle.id)
        .where(scope)
        .group_by(TeacherPlan.school_id, TeacherPlan.status)
    ):
        row(school_id)[PlanStatus(status).value] += count
    for school_id, status in db.session.execute(
        select(SchoolPlan.school_id, SchoolPlan.status)
        .join(School, School.id == SchoolPlan.school_id)
        .where(SchoolPlan.cycle_id == cycle.id)
        .where(scope)
    ):
        row(school_id)["school_plan"] = PlanStatus(status).value
    return stats


def _rate(done: int, total: int) -> str:
    return f"{done / total * 100:.1f}%" if total else "—"


def _completion(rows: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    rows = list(rows)
    roster = sum(r["roster"] for r in rows)
    submitted = sum(r["submitted"] for r in rows)
    plans_due = [r for r in rows if r.get("school_plan") != "exempt"]
    return {
        "schools": len(rows),
        "school_plans_due": len(plans_due),
        "school_plans_submitted": sum(1 for r in plans_due if r["school_plan"] == "submitted"),
        "roster": roster,
        "submitted": submitted,
        "draft": sum(r["draft"] for r in rows),
        "rate": _rate(submitted, roster),
    }


# ---- school plan -------------------------------------------------------------------------


def _roster(cycle: Cycle, school: School) -> list[dict[str, Any]]:
    rows = db.session.execute(
        select(Teacher.id, Teacher.name, RosterSnapshot.title, TeacherPlan.status)
        .join(RosterSnapshot, RosterSnapshot.teacher_id == Teacher.id)
        .outerjoin(
            TeacherPlan,
            (TeacherPlan.teacher_id == Teacher.id) & (TeacherPlan.cycle_id == cycle.id),
        )
        .where(RosterSnapshot.cycle_id == cycle.id, RosterSnapshot.school_id == school.id)
        .order_by(Teacher.name, Teacher.id)
    ).all()
    return [
        {
            "id": teacher_id,
            "name": name,
            "title": title,
            "status": PlanStatus(status).value if status else "none",
        }
        for teacher_id, name, title, status in rows
    ]


def school_plan_document(plan: SchoolPlan) -> Document:
    """Describe the school plan PDF: the plan plus the summary of its teachers' plans."""
    cycle, school = plan.cycle, plan.school
    draft = plan.status != PlanStatus.SUBMITTED
    title = f"{cycle.name} 學校本位進修規劃"
    scope = School.id == school.id
    roster = _roster(cycle, school)
    deps = {
        "plan": _plan_facts(plan),
        "school": [school.code, school.name, school.stage.value, school.county_code],
        "cycle": [cycle.academic_year, cycle.name, _iso(cycle.snapshot_taken_at)],
        "roster": [[r["id"], r["name"], r["title"], r["status"]] for r in roster],
        "plans": _plans_state(cycle, scope),
    }

    def build() -> dict[str, Any]:
        facts = {
            "academic_year": cycle.academic_year,
            "school_name": school.name,
            "school_code": school.code,
            "stage_name": school.stage.label,
            "county_name": school.county.name if school.county else "",
        }
        counts = Counter(r["status"] for r in roster)
        for r in roster:
            r["status_label"] = STATUS_LABELS[r["status"]]
        return {
            "doc_header": _unit(cycle, school.name),
            "doc_header_right": title + ("（草稿）" if draft else ""),
            "heading": title,
            "draft": draft,
            "status_line": _status_line(plan),
            "school": {"name": school.name, "code": school.code, "stage": school.stage.label},
            "sections": engine.summarise(plan.questionnaire.definition, plan.answers, facts=facts),
            "completion": {
                "roster": len(roster),
                "submitted": counts["submitted"],
                "draft": counts["draft"],
                "none": counts["none"],
                "rate": _rate(counts["submitted"], len(roster)),
            },
            "roster": roster,
            "tally": _tally(cycle, scope).view(_labels(cycle)),
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


def _schools(scope: ColumnElement[bool]) -> list[School]:
    schools = list(db.session.scalars(select(School).where(scope)))
    schools.sort(key=lambda s: (STAGE_ORDER.index(s.stage), s.code))
    return schools


def _school_rows(schools: list[School], stats: Mapping[int, Mapping[str, Any]]) -> list[dict]:
    rows = []
    for school in schools:
        stat = dict(stats.get(school.id) or {"roster": 0, "submitted": 0, "draft": 0})
        if school.stage == Stage.KINDERGARTEN:
            stat["school_plan"] = "exempt"  # kindergartens fill no school plan
        else:
            stat.setdefault("school_plan", "none")
        rows.append(
            {
                "code": school.code,
                "name": school.name,
                "stage": school.stage.value,
                "stage_label": school.stage.label,
                "county_code": school.county_code,
                **stat,
                "school_plan_label": STATUS_LABELS[stat["school_plan"]],
                "rate": _rate(stat["submitted"], stat["roster"]),
            }
        )
    return rows


def _by_stage(rows: list[dict]) -> list[dict[str, Any]]:
    return [
        {"stage": stage.label, **_completion(r for r in rows if r["stage"] == stage.value)}
        for stage in STAGE_ORDER
        if any(r["stage"] == stage.value for r in rows)
    ]


def county_authority(county_code: str) -> Authority | None:
    """The county/city education bureau of a county."""
    return db.session.scalar(
        select(Authority).where(
            Authority.kind == AuthorityKind.COUNTY, Authority.county_code == county_code
        )
    )


def county_document(cycle: Cycle, authority: Authority) -> Document:
    """Describe the county summary: completion per school and stage, aggregated needs."""
    scope = School.authority_id == authority.id
    schools = _schools(scope)
    county_name = authority.county.name if authority.county else authority.name
    title = f"{cycle.name} {county_name}進修規劃填報摘要"
    deps = {
        "authority": [authority.id, authority.name, authority.county_code],
        "cycle": [cycle.academic_year, cycle.name, _iso(cycle.snapshot_taken_at)],
        "schools": [[s.id, s.code, s.name, s.stage.value] for s in schools],
        "plans": _plans_state(cycle, scope),
    }

    def build() -> dict[str, Any]:
        rows = _school_rows(schools, _per_school(cycle, scope))
        return {
            "doc_header": _unit(cycle, authority.name),
            "heading": title,
            "authority": authority.name,
            "totals": _completion(rows),
            "stages": [
                {**stage, "schools_rows": [r for r in rows if r["stage_label"] == stage["stage"]]}
                for stage in _by_stage(rows)
            ],
            "tally": _tally(cycle, scope).view(_labels(cycle)),
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
    scope = true()
    schools = _schools(scope)
    counties = {c.code: c.name for c in db.session.scalars(select(County))}
    title = f"{cycle.name} 全國進修規劃填報摘要"
    deps = {
        "cycle": [cycle.academic_year, cycle.name, _iso(cycle.snapshot_taken_at)],
        "schools": hashlib.sha256(
            json.dumps(
                [[s.id, s.code, s.name, s.stage.value, s.county_code] for s in schools]
            ).encode()
        ).hexdigest(),
        "counties": counties,
        "plans": _plans_state(cycle, scope),
    }

    def build() -> dict[str, Any]:
        rows = _school_rows(schools, _per_school(cycle, scope))
        by_county = [
            {
                "county": counties.get(code, code),
                **_completion(r for r in rows if r["county_code"] == code),
            }
            for code in sorted({r["county_code"] for r in rows})
        ]
        return {
            "doc_header": _unit(cycle, "教育部國民及學前教育署"),
            "heading": title,
            "totals": _completion(rows),
            "counties": by_county,
            "stages": _by_stage(rows),
            "tally": _tally(cycle, scope).view(_labels(cycle)),
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


# ---- manuals -----------------------------------------------------------------------------


def contact_of(cycle: Cycle) -> dict[str, str]:
    """The cycle's contact data, falling back to the app's CONTACT_* settings."""
    config = current_app.config
    contact = cycle.contact or {}
    return {
        "unit": contact.get("unit") or config["CONTACT_UNIT"],
        "phone": contact.get("phone") or config["CONTACT_PHONE"],
        "email": contact.get("email") or config["CONTACT_EMAIL"],
    }


def schedule_of(cycle: Cycle) -> dict[str, dict[str, Any]]:
    """The cycle's windows per plan kind and stage, in ROC dates."""
    schedule = {}
    for kind, windows in windows_of(cycle).items():
        schedule[kind.value] = {
            "rows": [
                {
                    "stage": w.stage.value,
                    "stage_label": w.stage.label,
                    "opens_at": timeutil.roc_datetime(w.opens_at),
                    "closes_at": timeutil.roc_datetime(w.closes_at),
                }
                for w in windows
            ],
            "opens_at": timeutil.roc_datetime(min((w.opens_at for w in windows), default=None)),
            "closes_at": timeutil.roc_datetime(max((w.closes_at for w in windows), default=None)),
        }
    return schedule


def _outline(definition: Mapping[str, Any] | None) -> list[dict[str, Any]]:
    """Section titles and question labels of a questionnaire, for the manual's walkthrough."""
    outline = []
    for section in (definition or {}).get("sections", ()):
        questions = []
        for question in section.get("questions", ()):
            if question["type"] == "fact":
                continue
            questions.append(
                {
                    "label": engine.text_in(question["label"]),
                    "required": bool(question.get("required")),
                    "conditional": bool(question.get("show_if")),
                    "type": question["type"],
                    "help": engine.text_in(question.get("help")),
                }
            )
        outline.append({"title": engine.text_in(section["title"]), "questions": questions})
    return outline


def manual_document(cycle: Cycle, audience: str) -> Document:
    """Describe a manual (for schools or teachers) built from the cycle's own schedule."""
    if audience not in AUDIENCES:
        raise ValueError(f"unknown manual audience {audience!r}")
    kind = PlanKind(audience)
    questionnaire = latest_questionnaire(cycle, kind)
    schedule = schedule_of(cycle)
    contact = contact_of(cycle)
    cutoff = timeutil.roc_datetime(cycle.roster_cutoff)
    name = "學校本位進修規劃" if audience == "school" else "教師自我專業進修規劃"
    title = f"{cycle.name} {name} 說明手冊"
    deps = {
        "cycle": [cycle.academic_year, cycle.name, cutoff, cycle.kindergarten_teachers_take_part],
        "schedule": schedule,
        "contact": contact,
        "questionnaire": [questionnaire.id, questionnaire.fingerprint] if questionnaire else None,
    }

    def build() -> dict[str, Any]:
        return {
            "doc_header": _unit(cycle, contact["unit"]),
            "heading": title,
            "cycle_name": cycle.name,
            "academic_year": cycle.academic_year,
            "cutoff": cutoff,
            "kindergarten_teachers_take_part": cycle.kindergarten_teachers_take_part,
            "schedule": schedule,
            "own": schedule[audience],
            "contact": contact,
            "outline": _outline(questionnaire.definition if questionnaire else None),
        }

    return Document(
        ref=("manual", audience, str(cycle.academic_year)),
        digest=_digest(deps),
        filename=f"manual-{audience}-{cycle.academic_year}.pdf",
        title=title,
        subject=f"{cycle.name}{name}操作說明",
        template=f"manuals/{audience}.html",
        build=build,
    )


# ---- finding a document again (background jobs) ------------------------------------------


def document_for(ref: Iterable[str]) -> Document | None:
    """Rebuild a Document from its ref, reading fresh rows; None if it no longer exists."""
    parts = [str(part) for part in ref]
    kind, args = parts[0], parts[1:]
    if kind in ("teacher-plan", "school-plan") and len(args) == 1 and args[0].isdigit():
        model = TeacherPlan if kind == "teacher-plan" else SchoolPlan
        # populate_existing: the caller may have just updated this row behind the ORM's back.
        plan = db.session.get(model, int(args[0]), populate_existing=True)
        if plan is None:
            return None
        if isinstance(plan, TeacherPlan):
            return teacher_plan_document(plan)
        return school_plan_document(plan)
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
