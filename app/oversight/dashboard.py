"""/oversight/dashboard…: completion dashboards, one drill-down path, each level scoped.

    national (authorities in scope) → a county's schools (or 國教署's national schools)
    → one school → its teachers

Each table is sortable, filterable and paginated (htmx swaps ``_*rows.html``; the same
URLs work without JavaScript) and exports as CSV or XLSX for the viewer's scope. The
figures come from ``app.stats`` (the functions the PDFs use), one GROUP BY each.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from flask import Response, abort, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, or_, select

from app import htmx, policy, timeutil
from app.extensions import db
from app.lifecycle import handles, signed_in_account
from app.models import (
    STAGE_ORDER,
    Authority,
    AuthorityKind,
    BusinessAccount,
    Cycle,
    Region,
    School,
)
from app.oversight import bp
from app.oversight.tables import PER_PAGE, Listing, TableQuery, page_of, rate_key, sorted_rows
from app.params import query_code
from app.policy import CountyRef, Role
from app.reports import tables
from app.reports.delivery import requested_cycle
from app.stats.completion import Completion
from app.stats.dashboards import (
    TEACHER_SORTS,
    TEACHER_STATES,
    DashboardSchool,
    UnitRow,
    dashboard_schools,
    stage_rows,
    teacher_counts,
    teacher_rows,
    total,
    unit_rows,
)
from app.stats.scope import one_school

FORMATS = "<any(csv, xlsx):fmt>"
COUNTY_CODE = re.compile(r"[0-9]{5}")
SCHOOL_STATES = ("submitted", "draft", "none", "exempt")

UNIT_SORTS: dict[str, Callable[[UnitRow], Any]] = {
    "unit": lambda r: (r.kind.value, r.county_code or "", r.name),
    "schools": lambda r: r.completion.schools,
    "school_plans": lambda r: r.completion.school_plans_submitted,
    "roster": lambda r: r.completion.roster,
    "submitted": lambda r: r.completion.submitted,
    "draft": lambda r: r.completion.draft,
    "none": lambda r: r.completion.not_started,
    "rate": lambda r: rate_key(r.completion),
}
SCHOOL_PLAN_ORDER = {"submitted": 0, "draft": 1, "none": 2, "exempt": 3}
SCHOOL_SORTS: dict[str, Callable[[DashboardSchool], Any]] = {
    "code": lambda r: r.row.code,
    "name": lambda r: r.row.name,
    "stage": lambda r: r.row.stage.value,
    "county": lambda r: r.row.county_code,
    "school_plan": lambda r: SCHOOL_PLAN_ORDER[r.row.school_plan],
    "roster": lambda r: r.completion.roster,
    "submitted": lambda r: r.completion.submitted,
    "draft": lambda r: r.completion.draft,
    "none": lambda r: r.completion.not_started,
    "rate": lambda r: rate_key(r.completion),
}


# ---- scopes and units --------------------------------------------------------------------------


def scope_of(account: BusinessAccount) -> Select[Any]:
    """The ids of the schools this account may see (the policy's scope)."""
    return policy.schools_in_scope(account).with_only_columns(School.id)


def _filtered(scope: Select[Any], query: TableQuery) -> Select[Any]:
    if query.stage_value is not None:
        scope = scope.where(School.stage == query.stage_value)
    if query.text:
        scope = scope.where(
            or_(
                School.name.contains(query.text, autoescape=True),
                School.code.startswith(query.text, autoescape=True),
            )
        )
    return scope


def viewer_unit(account: BusinessAccount) -> str:
    """A code for the viewer's scope in file names: national, a region or county code."""
    roles = policy.roles_of(account)
    if Role.REGION in roles:
        region = db.session.get(Region, account.region_id)
        return f"region-{region.code}" if region else "region"
    if Role.COUNTY in roles and account.authority and account.authority.county_code:
        return account.authority.county_code
    return "national"


def county_ref(user: Any, county_code: str, **_: Any) -> CountyRef | None:
    """A county named in the path; whether it is in scope is the policy's (403)."""
    return CountyRef(county_code) if COUNTY_CODE.fullmatch(county_code) else None


def school_in_scope(user: Any, school_id: int, **_: Any) -> School | None:
    """A school read through the user's scope: another scope's school is missing (404)."""
    return db.session.scalar(policy.schools_in_scope(user).where(School.id == school_id))


def _county_authority(code: str) -> Authority:
    authority = db.session.scalar(
        select(Authority).where(
            Authority.kind == AuthorityKind.COUNTY, Authority.county_code == code
        )
    )
    if authority is None:
        abort(404)
    return authority


def _national_authorities() -> Select[Any]:
    return select(Authority.id).where(Authority.kind == AuthorityKind.NATIONAL)


# ---- labels --------------------------------------------------------------------------------------


def rate_text(counts: Completion) -> str:
    rate = counts.rate
    return "—" if rate is None else f"{rate * 100:.1f}%"


PLAN_STATE_LABELS = {
    "submitted": _l("已送出"),
    "draft": _l("草稿"),
    "none": _l("未填寫"),
    "exempt": _l("不需填寫"),
}


def school_plan_label(state: str) -> str:
    """A plan's state in words (only that one text is translated: it is called per row)."""
    return str(PLAN_STATE_LABELS[state])


def _unit_name(row: UnitRow) -> str:
    if row.kind == AuthorityKind.NATIONAL:
        return _("%(name)s（國立學校）", name=row.name)
    return row.county_name or row.name


def _stages(scope: Select[Any], cycle: Cycle, query: TableQuery) -> list[Any]:
    if query.stage_value is not None:
        scope = scope.where(School.stage == query.stage_value)
    return stage_rows(cycle, scope, timeutil.now())


SCHOOL_ACTIONS = "oversight/_school_actions.html"  # a school row's 延長/催填 links


def _context(
    cycle: Cycle,
    query: TableQuery,
    *,
    endpoint: str,
    export_endpoint: str,
    url_args: dict[str, Any],
    **context: Any,
) -> dict[str, Any]:
    def table_url(**changes: Any) -> str:
        return url_for(endpoint, **url_args, **query.args(**changes))

    def export_url(fmt: str) -> str:
        return url_for(export_endpoint, fmt=fmt, **url_args, **query.filters())

    return {
        "cycle": cycle,
        "query": query,
        "table_url": table_url,
        "export_url": export_url,
        "rate_text": rate_text,
        "school_plan_label": school_plan_label,
        "stage_choices": lambda: STAGE_ORDER,
        "htmx_partial": htmx.is_partial,
        "form_action": url_for(endpoint, **url_args),
        "school_actions": SCHOOL_ACTIONS,
        **context,
    }


# ---- level 1: the authorities in scope ---------------------------------------------------------


def _unit_rows(account: BusinessAccount, cycle: Cycle, query: TableQuery) -> list[UnitRow]:
    """Every authority row after the filters, in the query's order."""
    scope = scope_of(account)
    if query.stage_value is not None:
        scope = scope.where(School.stage == query.stage_value)
    rows = unit_rows(cycle, scope)
    if query.text:
        rows = [r for r in rows if query.text in f"{_unit_name(r)} {r.county_code or ''}"]
    return sorted_rows(rows, query, UNIT_SORTS)


def unit_link(row: UnitRow, query: TableQuery) -> str | None:
    """Where a unit row leads: the county's schools, or 國教署's national schools."""
    args: dict[str, Any] = {"year": query.year, "stage": query.stage or None}
    if row.kind == AuthorityKind.NATIONAL:
        return url_for("oversight.national_schools", **args)
    if row.county_code:
        return url_for("oversight.county", county_code=row.county_code, **args)
    return None


@bp.get("/dashboard")
@handles("dashboard.view")
def dashboard() -> Response:
    account = signed_in_account()
    cycle = requested_cycle()
    query = TableQuery.parse(list(UNIT_SORTS))
    rows = _unit_rows(account, cycle, query)
    return htmx.render(
        "oversight/dashboard.html",
        "oversight/_rows.html",
        **_context(
            cycle,
            query,
            listing=page_of(rows, query, total([r.completion for r in rows])),
            stages=_stages(scope_of(account), cycle, query),
            unit_name=_unit_name,
            unit_link=unit_link,
            endpoint="oversight.dashboard",
            export_endpoint="oversight.dashboard_export",
            url_args={},
        ),
    )


UNIT_HEADERS = [
    "主管機關",
    "縣市代碼",
    "學校數",
    "學校規劃應填",
    "學校規劃已送出",
    "學校規劃草稿",
    "學校規劃未填寫",
    "名單教師數",
    "教師規劃已送出",
    "教師規劃草稿",
    "教師規劃未填寫",
    "教師填報率",
    "延長填寫學校數",
    "延長填寫教師數",
]


def _unit_cells(row: UnitRow) -> list[Any]:
    c = row.completion
    return [
        _unit_name(row),
        row.county_code or "",
        c.schools,
        c.school_plans_due,
        c.school_plans_submitted,
        c.school_plans_draft,
        c.school_plans_not_started,
        c.roster,
        c.submitted,
        c.draft,
        c.not_started,
        rate_text(c),
        row.extended.schools,
        row.extended.teachers,
    ]


@bp.get(f"/dashboard.{FORMATS}")
@handles("dashboard.view")
def dashboard_export(fmt: str) -> Response:
    account = signed_in_account()
    cycle = requested_cycle()
    query = TableQuery.parse(list(UNIT_SORTS))
    rows = [_unit_cells(r) for r in _unit_rows(account, cycle, query)]
    stem = f"completion-{cycle.academic_year}-{viewer_unit(account)}-authorities"
    return tables.table_response(fmt, rows, UNIT_HEADERS, stem, "主管機關")


# ---- level 2: schools (a county's, 國教署's, or every school in scope) -------------------------


def _school_rows(scope: Select[Any], cycle: Cycle, query: TableQuery) -> list[DashboardSchool]:
    """Every school row after the filters, in the query's order."""
    rows = dashboard_schools(cycle, _filtered(scope, query), timeutil.now())
    if query.state:
        rows = [r for r in rows if r.row.school_plan == query.state]
    return sorted_rows(rows, query, SCHOOL_SORTS)


def _school_query() -> TableQuery:
    return TableQuery.parse(list(SCHOOL_SORTS), SCHOOL_STATES, default_sort="code")


@dataclass(frozen=True)
class Level:
    """A schools page: its heading, its scope and how its URLs are made."""

    title: str
    scope: Select[Any]
    endpoint: str
    export_endpoint: str
    url_args: dict[str, Any]
    unit: str  # for file names: a county code, "national-schools", …
    crumbs: list[tuple[str, str]]
    county: str = ""  # the county filter of the all-schools list (a query parameter)


def _crumbs_to(*more: tuple[str, str]) -> list[tuple[str, str]]:
    crumbs = []
    if policy.may(signed_in_account(), "dashboard.view"):
        crumbs.append((_("填報進度"), url_for("oversight.dashboard")))
    return crumbs + list(more)


def _render_schools(level: Level, cycle: Cycle, query: TableQuery) -> Response:
    query = query.with_county(level.county)
    rows = _school_rows(level.scope, cycle, query)
    return htmx.render(
        "oversight/dashboard_schools.html",
        "oversight/_school_rows.html",
        **_context(
            cycle,
            query,
            level=level,
            listing=page_of(rows, query, total([r.completion for r in rows])),
            stages=_stages(level.scope, cycle, query),
            endpoint=level.endpoint,
            export_endpoint=level.export_endpoint,
            url_args=level.url_args,
        ),
    )


SCHOOL_HEADERS = [
    "學校代碼",
    "學校名稱",
    "縣市",
    "教育階段",
    "學校規劃",
    "學校規劃填寫期間",
    "學校規劃延長至",
    "名單教師數",
    "教師規劃已送出",
    "教師規劃草稿",
    "教師規劃未填寫",
    "教師填報率",
    "教師規劃延長至",
    "個別延長教師數",
]


def _school_cells(item: DashboardSchool) -> list[Any]:
    row, c, ext = item.row, item.completion, item.extensions
    return [
        row.code,
        row.name,
        item.county_name,
        row.stage.label,
        school_plan_label(row.school_plan),
        item.school_window.label,
        timeutil.roc_datetime(ext.school_plan_until),
        c.roster,
        c.submitted,
        c.draft,
        c.not_started,
        rate_text(c),
        timeutil.roc_datetime(ext.teacher_plan_until),
        ext.teachers,
    ]


def _export_schools(level: Level, fmt: str) -> Response:
    cycle = requested_cycle()
    query = _school_query()
    rows = [_school_cells(r) for r in _school_rows(level.scope, cycle, query)]
    stem = f"completion-{cycle.academic_year}-{level.unit}-schools"
    return tables.table_response(fmt, rows, SCHOOL_HEADERS, stem, "學校")


def _county_level(county: CountyRef) -> Level:
    authority = _county_authority(county.code)
    name = authority.county.name if authority.county else authority.name
    url = url_for("oversight.county", county_code=county.code)
    return Level(
        title=_("%(county)s所屬學校", county=name),
        scope=scope_of(signed_in_account()).where(School.authority_id == authority.id),
        endpoint="oversight.county",
        export_endpoint="oversight.county_export",
        url_args={"county_code": county.code},
        unit=county.code,
        crumbs=_crumbs_to((name, url)),
    )


@bp.get("/dashboard/counties/<county_code>")
@handles("dashboard.view", load=county_ref)
def county(county: CountyRef, county_code: str) -> Response:
    return _render_schools(_county_level(county), requested_cycle(), _school_query())


@bp.get(f"/dashboard/counties/<county_code>.{FORMATS}")
@handles("dashboard.view", load=county_ref)
def county_export(county: CountyRef, county_code: str, fmt: str) -> Response:
    return _export_schools(_county_level(county), fmt)


def _national_level() -> Level:
    title = _("國教署所屬國立學校")
    return Level(
        title=title,
        scope=scope_of(signed_in_account()).where(School.authority_id.in_(_national_authorities())),
        endpoint="oversight.national_schools",
        export_endpoint="oversight.national_schools_export",
        url_args={},
        unit="national-schools",
        crumbs=_crumbs_to((title, url_for("oversight.national_schools"))),
    )


@bp.get("/dashboard/national-schools")
@handles("dashboard.national_schools")
def national_schools() -> Response:
    return _render_schools(_national_level(), requested_cycle(), _school_query())


@bp.get(f"/dashboard/national-schools.{FORMATS}")
@handles("dashboard.national_schools")
def national_schools_export(fmt: str) -> Response:
    return _export_schools(_national_level(), fmt)


def _all_schools_level() -> Level:
    """Every school in scope, or one county's (?county=, which must be in scope: else 403)."""
    account = signed_in_account()
    scope = scope_of(account)
    code = query_code("county", r"[0-9]{5}")
    unit = viewer_unit(account)
    if code:
        if not policy.may(account, "dashboard.view", CountyRef(code)):
            abort(403)
        scope = scope.where(School.county_code == code)
        unit = code
    title = _("全部學校")
    return Level(
        title=title,
        scope=scope,
        endpoint="oversight.schools",
        export_endpoint="oversight.schools_export",
        url_args={},
        unit=unit,
        crumbs=_crumbs_to((title, url_for("oversight.schools"))),
        county=code,
    )


@bp.get("/dashboard/schools")
@handles("dashboard.view")
def schools() -> Response:
    return _render_schools(_all_schools_level(), requested_cycle(), _school_query())


@bp.get(f"/dashboard/schools.{FORMATS}")
@handles("dashboard.view")
def schools_export(fmt: str) -> Response:
    return _export_schools(_all_schools_level(), fmt)


# ---- level 3: one school and its teachers ------------------------------------------------------


def _teacher_query() -> TableQuery:
    return TableQuery.parse(list(TEACHER_SORTS), TEACHER_STATES)


def _school_crumbs(school: School) -> list[tuple[str, str]]:
    account = signed_in_account()
    more: list[tuple[str, str]] = []
    authority = school.authority
    if authority.kind == AuthorityKind.NATIONAL:
        if policy.may(account, "dashboard.national_schools"):
            more.append((_("國教署所屬國立學校"), url_for("oversight.national_schools")))
    elif authority.county_code and policy.may(
        account, "dashboard.view", CountyRef(authority.county_code)
    ):
        name = authority.county.name if authority.county else authority.name
        more.append((name, url_for("oversight.county", county_code=authority.county_code)))
    more.append((school.name, url_for("oversight.school", school_id=school.id)))
    return _crumbs_to(*more)


@bp.get("/dashboard/schools/<id:school_id>")
@handles("dashboard.school", load=school_in_scope)
def school(school: School, school_id: int) -> Response:
    cycle = requested_cycle()
    query = _teacher_query()
    counts = teacher_counts(cycle, school.id, state=query.state, text=query.text)
    pages = max((counts.roster + PER_PAGE - 1) // PER_PAGE, 1)
    rows = teacher_rows(
        cycle,
        school.id,
        state=query.state,
        text=query.text,
        sort=query.sort,
        descending=query.descending,
        limit=PER_PAGE,
        offset=(query.page - 1) * PER_PAGE,
    )
    summary = dashboard_schools(cycle, one_school(school.id), timeutil.now())
    return htmx.render(
        "oversight/dashboard_school.html",
        "oversight/_teacher_rows.html",
        **_context(
            cycle,
            query,
            school=school,
            summary=summary[0] if summary else None,
            crumbs=_school_crumbs(school),
            listing=Listing(rows, query.page, pages, counts.roster, counts),
            endpoint="oversight.school",
            export_endpoint="oversight.school_export",
            url_args={"school_id": school.id},
        ),
    )


TEACHER_HEADERS = [
    "姓名",
    "身分證字號（遮蔽）",
    "職稱",
    "教師規劃",
    "送出時間",
    "最後更新",
    "延長至",
]


def _teacher_cells(rows: Iterable[Any]) -> Iterable[Sequence[Any]]:
    for row in rows:
        yield [
            row.name,
            row.national_id_masked,
            row.title,
            school_plan_label(row.state),
            timeutil.roc_datetime(row.submitted_at),
            timeutil.roc_datetime(row.updated_at),
            timeutil.roc_datetime(row.extension_until),
        ]


@bp.get(f"/dashboard/schools/<id:school_id>.{FORMATS}")
@handles("dashboard.school", load=school_in_scope)
def school_export(school: School, school_id: int, fmt: str) -> Response:
    cycle = requested_cycle()
    query = _teacher_query()
    rows = teacher_rows(
        cycle,
        school.id,
        state=query.state,
        text=query.text,
        sort=query.sort,
        descending=query.descending,
    )
    stem = f"completion-{cycle.academic_year}-{school.code}-teachers"
    return tables.table_response(fmt, list(_teacher_cells(rows)), TEACHER_HEADERS, stem, "教師")
