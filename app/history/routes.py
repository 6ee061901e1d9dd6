"""/teacher/plans/… and /school/plans/…: earlier cycles, versions, comparisons, prefill.

Every page reads through the signed-in person's own scope: a year that does not exist
or is not published, a plan that is not the person's own, or a version number the plan
never had is a 404, as is a malformed one (the converters refuse it before the view).
"""

from __future__ import annotations

from typing import Any

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from werkzeug.wrappers import Response as BaseResponse

from app import lifecycle, timeutil
from app.history import bp, services
from app.history.compare import compare, count_changes
from app.history.forms import CompareForm
from app.history.services import CyclePlan, VersionView
from app.i18n import questionnaire_lang
from app.lifecycle import handles, signed_in_account, signed_in_teacher
from app.models import PlanKind, PlanVersion
from app.params import query_int
from app.plans.receipts import Receipt
from app.plans.services import PlanContext, PlanRefused
from app.plans.views import expected_version
from app.reports import documents
from app.reports.delivery import serve
from app.reports.versions import version_document

SIDES = {PlanKind.TEACHER: "teacher", PlanKind.SCHOOL: "school"}


def _endpoints(kind: PlanKind) -> dict[str, str]:
    side = SIDES[kind]
    names = ("plans", "plan", "plan_pdf", "versions", "version", "version_pdf", "compare")
    endpoints = {name: f"history.{side}_{name}" for name in names}
    endpoints["edit"] = f"{side}.plan"
    return endpoints


# ---- loaders (through the user's own scope) ----------------------------------------------


def teacher_cycle_plan(user: Any, year: int) -> CyclePlan | None:
    return services.cycle_plan(user, PlanKind.TEACHER, year)


def school_cycle_plan(user: Any, year: int) -> CyclePlan | None:
    return services.cycle_plan(user, PlanKind.SCHOOL, year)


def teacher_plan_of_year(user: Any, year: int) -> CyclePlan | None:
    return services.plan_of_year(user, PlanKind.TEACHER, year)


def school_plan_of_year(user: Any, year: int) -> CyclePlan | None:
    return services.plan_of_year(user, PlanKind.SCHOOL, year)


def teacher_version_of(user: Any, year: int, number: int) -> VersionView | None:
    return services.version_in(user, PlanKind.TEACHER, year, number)


def school_version_of(user: Any, year: int, number: int) -> VersionView | None:
    return services.version_in(user, PlanKind.SCHOOL, year, number)


# The plan pages' own loaders and actor names, so a prefill is the same save as the page's.
# Imported when called: the plan pages import this package for their prefill panel.


def teacher_plan_context(user: Any) -> PlanContext:
    from app.teacher.routes import plan_with_school_plan

    return plan_with_school_plan(user)


def school_plan_context(user: Any) -> PlanContext | None:
    from app.school.routes import school_plan_context as load

    return load(user)


def _teacher_actor() -> str:
    from app.teacher.routes import _actor

    return _actor(signed_in_teacher())


def _school_actor() -> str:
    from app.school.routes import _actor

    return _actor(signed_in_account())


# ---- the views, the same for both kinds --------------------------------------------------


def _list(kind: PlanKind, user: Any) -> str:
    return render_template(
        "history/plans.html",
        kind=kind.value,
        rows=services.plans_by_cycle(user, kind),
        endpoints=_endpoints(kind),
    )


def _plan_page(owner: CyclePlan) -> BaseResponse | str:
    endpoints = _endpoints(owner.kind)
    if owner.is_current:
        # The current cycle's plan is the plan page itself (editable while it is open).
        return redirect(url_for(endpoints["edit"]), 303)
    versions = services.versions_of(owner)
    submissions = services.submissions_of(owner, versions)
    return render_template(
        "history/plan.html",
        owner=owner,
        versions=versions,
        receipt=submissions[versions[0].version] if versions else None,
        endpoints=endpoints,
        lang=questionnaire_lang(),
    )


def _plan_pdf(owner: CyclePlan) -> Response:
    plan: Any = owner.plan
    if owner.kind == PlanKind.TEACHER:
        return serve(documents.teacher_plan_document(plan))
    return serve(documents.school_plan_document(plan))


def _versions(owner: CyclePlan) -> str:
    versions = services.versions_of(owner)
    submissions = services.submissions_of(owner, versions)
    return render_template(
        "history/versions.html",
        owner=owner,
        versions=versions,
        submissions=submissions,
        form=_compare_form(versions, submissions, None, None),
        endpoints=_endpoints(owner.kind),
    )


def _compare_form(
    versions: list[PlanVersion], submissions: dict[int, Receipt], a: int | None, b: int | None
) -> CompareForm:
    form = CompareForm(formdata=None)
    choices = [
        (
            v.version,
            _("第 %(n)s 次送出（%(when)s）", n=submissions[v.version].number, when=_when(v)),
        )
        for v in versions
    ]
    form.a.choices = choices
    form.b.choices = choices
    if len(versions) >= 2:
        form.a.data = a if a is not None else versions[1].version
        form.b.data = b if b is not None else versions[0].version
    return form


def _when(version: PlanVersion) -> str:
    return timeutil.roc_datetime(version.submitted_at)


def _version_page(view: VersionView) -> str:
    return render_template(
        "history/version.html",
        owner=view.owner,
        version=view.version,
        receipt=view.receipt,
        endpoints=_endpoints(view.owner.kind),
        lang=questionnaire_lang(),
    )


def _version_pdf(view: VersionView) -> Response:
    document = version_document(view.version)
    if document is None:
        abort(404)
    return serve(document)


def _compare(owner: CyclePlan) -> str:
    versions = services.versions_of(owner)
    submissions = services.submissions_of(owner, versions)
    by_number = {v.version: v for v in versions}
    a, b = query_int("a"), query_int("b")
    if (a is not None and a not in by_number) or (b is not None and b not in by_number):
        abort(404)  # a version this plan never had
    context: dict[str, Any] = {
        "owner": owner,
        "versions": versions,
        "endpoints": _endpoints(owner.kind),
        "form": _compare_form(versions, submissions, a, b),
        "submissions": submissions,
        "older": None,
        "newer": None,
        "sections": [],
        "counts": {},
    }
    if len(versions) >= 2:
        first = by_number[a if a is not None else versions[1].version]
        second = by_number[b if b is not None else versions[0].version]
        older, newer = sorted((first, second), key=lambda v: v.version)
        sections = compare(owner.definition, older.answers, newer.answers, questionnaire_lang())
        context.update(older=older, newer=newer, sections=sections, counts=count_changes(sections))
    return render_template("history/compare.html", **context)


def _prefill(ctx: PlanContext, actor_name: str, edit_endpoint: str) -> BaseResponse:
    try:
        _saved, details = services.prefill(ctx, expected_version(request.form), actor_name)
    except PlanRefused as refused:
        lifecycle.discard()
        flash(refused.message, "error")
        return redirect(url_for(edit_endpoint), 303)
    flash(
        ngettext(
            "已帶入 %(year)s 學年度的 %(count)d 題答案，並儲存為草稿；請檢查後再送出。",
            "已帶入 %(year)s 學年度的 %(count)d 題答案，並儲存為草稿；請檢查後再送出。",
            len(details["carried"]),
            year=details["prefill_from"],
            count=len(details["carried"]),
        ),
        "ok",
    )
    return redirect(url_for(edit_endpoint) + "#prefill", 303)


# ---- teacher ------------------------------------------------------------------------------


@bp.get("/teacher/plans")
@handles("teacher_plan.history")
def teacher_plans() -> str:
    return _list(PlanKind.TEACHER, signed_in_teacher())


@bp.get("/teacher/plans/<year:year>")
@handles("teacher_plan.history", load=teacher_cycle_plan)
def teacher_plan(owner: CyclePlan, year: int) -> BaseResponse | str:
    return _plan_page(owner)


@bp.get("/teacher/plans/<year:year>/plan.pdf")
@handles("teacher_plan.history", load=teacher_plan_of_year)
def teacher_plan_pdf(owner: CyclePlan, year: int) -> Response:
    return _plan_pdf(owner)


@bp.get("/teacher/plans/<year:year>/versions")
@handles("teacher_plan.history", load=teacher_plan_of_year)
def teacher_versions(owner: CyclePlan, year: int) -> str:
    return _versions(owner)


@bp.get("/teacher/plans/<year:year>/versions/<id:number>")
@handles("teacher_plan.history", load=teacher_version_of)
def teacher_version(view: VersionView, year: int, number: int) -> str:
    return _version_page(view)


@bp.get("/teacher/plans/<year:year>/versions/<id:number>.pdf")
@handles("teacher_plan.history", load=teacher_version_of)
def teacher_version_pdf(view: VersionView, year: int, number: int) -> Response:
    return _version_pdf(view)


@bp.get("/teacher/plans/<year:year>/compare")
@handles("teacher_plan.history", load=teacher_plan_of_year)
def teacher_compare(owner: CyclePlan, year: int) -> str:
    return _compare(owner)


@bp.post("/teacher/plan/prefill")
@handles("teacher_plan.edit", load=teacher_plan_context)
def teacher_prefill(ctx: PlanContext) -> BaseResponse:
    return _prefill(ctx, _teacher_actor(), "teacher.plan")


# ---- school -------------------------------------------------------------------------------


@bp.get("/school/plans")
@handles("school_plan.history")
def school_plans() -> str:
    return _list(PlanKind.SCHOOL, signed_in_account())


@bp.get("/school/plans/<year:year>")
@handles("school_plan.history", load=school_cycle_plan)
def school_plan(owner: CyclePlan, year: int) -> BaseResponse | str:
    return _plan_page(owner)


@bp.get("/school/plans/<year:year>/plan.pdf")
@handles("school_plan.history", load=school_plan_of_year)
def school_plan_pdf(owner: CyclePlan, year: int) -> Response:
    return _plan_pdf(owner)


@bp.get("/school/plans/<year:year>/versions")
@handles("school_plan.history", load=school_plan_of_year)
def school_versions(owner: CyclePlan, year: int) -> str:
    return _versions(owner)


@bp.get("/school/plans/<year:year>/versions/<id:number>")
@handles("school_plan.history", load=school_version_of)
def school_version(view: VersionView, year: int, number: int) -> str:
    return _version_page(view)


@bp.get("/school/plans/<year:year>/versions/<id:number>.pdf")
@handles("school_plan.history", load=school_version_of)
def school_version_pdf(view: VersionView, year: int, number: int) -> Response:
    return _version_pdf(view)


@bp.get("/school/plans/<year:year>/compare")
@handles("school_plan.history", load=school_plan_of_year)
def school_compare(owner: CyclePlan, year: int) -> str:
    return _compare(owner)


@bp.post("/school/plan/prefill")
@handles("school_plan.edit", load=school_plan_context)
def school_prefill(ctx: PlanContext) -> BaseResponse:
    return _prefill(ctx, _school_actor(), "school.plan")
