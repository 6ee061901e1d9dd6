"""/oversight/analytics and /school/analytics: the needs analysis of an area."""

from __future__ import annotations

from typing import Any

from flask import Response, abort, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from app import htmx, policy
from app.analytics import bp, services
from app.analytics.services import NATION, Area, Nation
from app.extensions import db
from app.lifecycle import handles, signed_in_account
from app.models import STAGE_ORDER, BusinessAccount, County, Cycle, CycleStatus, School, Stage
from app.params import query_code, query_int
from app.policy import CountyRef, Role
from app.reports import tables

PAGE = "analytics/index.html"
PARTIAL = "analytics/_figures.html"


# ---- loaders -----------------------------------------------------------------------------


def requested_area(account: BusinessAccount, **_path: Any) -> CountyRef | Nation | None:
    """?county=CODE, else a county authority's own county or a region's first county,
    else the nation. Whether the account may see it is the policy's decision: another
    county is a 403 whether or not it exists, the nation a 403 but for 國教署 and the
    operator."""
    code = query_code("county", r"[0-9]{5}")  # anything else names no county: 404
    if code:
        return CountyRef(code)
    roles = policy.roles_of(account)
    if Role.COUNTY in roles and account.authority is not None:
        return CountyRef(account.authority.county_code) if account.authority.county_code else None
    if Role.REGION in roles:
        first = db.session.scalar(
            policy.counties_in_scope(account).with_only_columns(County.code).order_by(County.code)
        )
        return CountyRef(first) if first else None
    return NATION


def own_school(account: BusinessAccount, **_path: Any) -> School | None:
    """The account's own school, read through its scope."""
    return db.session.scalar(policy.schools_in_scope(account).where(School.id == account.school_id))


# ---- views -------------------------------------------------------------------------------


def _requested_cycles() -> tuple[list[Cycle], Cycle | None, Cycle | None]:
    """Every cycle (for the choice), the one asked for with ?year= (else the current one:
    the published one of the latest year; None when there is none yet; 404 for a year
    that has no cycle) and the cycle of the year before it, read in one statement."""
    cycles = list(db.session.scalars(select(Cycle).order_by(Cycle.academic_year.desc())))
    by_year = {cycle.academic_year: cycle for cycle in cycles}
    year = query_int("year")
    if year is None:
        cycle = next((c for c in cycles if c.status == CycleStatus.PUBLISHED), None)
    elif year in by_year:
        cycle = by_year[year]
    else:
        abort(404)
    return cycles, cycle, by_year.get(cycle.academic_year - 1) if cycle else None


def _requested_stage() -> Stage | None:
    code = query_code("stage", "[" + "".join(s.value for s in Stage) + "]")
    return Stage(code) if code else None


EXPORT_FORMATS = ("csv", "xlsx")


def _download(area: Area, fmt: str) -> Response:
    """The tables of the page as CSV or XLSX (app/reports/tables.py: BOM, formulas quoted)."""
    _cycles, cycle, previous = _requested_cycles()
    if cycle is None:
        abort(404)
    stage = _requested_stage()
    result = services.analysis(cycle, area, previous)
    heading = [_("進修需求分析"), area.name, cycle.name, stage.label if stage else _("全部")]
    heading_row, *rows = services.csv_rows(services.tables(result, stage), heading)
    name = "national" if area.kind == "national" else area.key
    if area.kind == "school":
        name = f"school-{area.key}"
    stage_part = f"-{stage.value}" if stage else ""
    stem = f"needs-analytics-{cycle.academic_year}-{name}{stage_part}"
    return tables.table_response(fmt, rows, heading_row, stem, sheet=_("進修需求分析"))


def _render(area: Area, endpoint: str, **extra: Any) -> Response:
    cycles, cycle, previous = _requested_cycles()
    stage = _requested_stage()
    result = services.analysis(cycle, area, previous) if cycle else None
    wanted: dict[str, Any] = {"county": area.key} if area.kind == "county" else {}
    if cycle:
        wanted["year"] = cycle.academic_year
    if stage:
        wanted["stage"] = stage.value
    return htmx.render(
        PAGE,
        PARTIAL,
        area=area,
        endpoint=endpoint,
        cycle=cycle,
        cycles=cycles,
        stage=stage,
        all_stages=STAGE_ORDER,
        swapped=htmx.is_partial(),
        counted_at=result.counted_at if result else None,
        downloads={fmt: url_for(f"{endpoint}_export", fmt=fmt, **wanted) for fmt in EXPORT_FORMATS}
        if result
        else None,
        previous=result.previous if result and result.before is not None else None,
        tables=services.tables(result, stage) if result else [],
        **extra,
    )


def _oversight_area(place: CountyRef | Nation) -> Area:
    if isinstance(place, CountyRef):
        county = db.session.get(County, place.code)
        if county is None:
            abort(404)
        scope = (
            policy.schools_in_scope(signed_in_account())
            .where(School.county_code == county.code)
            .with_only_columns(School.id)
        )
        return Area("county", county.code, county.name, scope)
    return Area("national", "", _("全國"), None)


def _school_area(own: School) -> Area:
    return Area("school", own.code, own.name, select(School.id).where(School.id == own.id))


@bp.get("/oversight/analytics")
@handles("needs_analytics.view", load=requested_area)
def oversight(place: CountyRef | Nation) -> Response:
    account = signed_in_account()
    area = _oversight_area(place)
    counties = db.session.scalars(policy.counties_in_scope(account).order_by(County.code)).all()
    return _render(
        area,
        "analytics.oversight",
        counties=counties,
        national=policy.may(account, "needs_analytics.view", NATION),
    )


@bp.get("/oversight/analytics.<any(csv, xlsx):fmt>")
@handles("needs_analytics.view", load=requested_area)
def oversight_export(place: CountyRef | Nation, fmt: str) -> Response:
    return _download(_oversight_area(place), fmt)


@bp.get("/school/analytics")
@handles("school_analytics.view", load=own_school)
def school(own: School) -> Response:
    return _render(
        _school_area(own),
        "analytics.school",
        counties=[],
        national=False,
    )


@bp.get("/school/analytics.<any(csv, xlsx):fmt>")
@handles("school_analytics.view", load=own_school)
def school_export(own: School, fmt: str) -> Response:
    return _download(_school_area(own), fmt)
