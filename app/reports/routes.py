"""Routes of the reports feature: plan PDFs, oversight summaries, manuals, bulk exports.

The blueprint has no URL prefix: each route names its full path, next to the
pages of the people who use it (/teacher/…, /school/…, /oversight/…, /manuals/…).
"""

from __future__ import annotations

from flask import (
    Response,
    abort,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_login import current_user
from sqlalchemy import select

from app import htmx
from app.access import account_required, require_school_type, teacher_required
from app.cycles.windows import current_cycle, cycle_by_year
from app.extensions import db
from app.forms import EmptyForm
from app.models import (
    AccountKind,
    AccountType,
    AuthorityKind,
    BusinessAccount,
    Cycle,
    Job,
    SchoolPlan,
    Teacher,
)
from app.params import query_code, query_int
from app.reports import bp, cache, documents, exports, jobs
from app.reports.documents import Document

SCHOOL_REPORT_TYPES = (AccountType.PLANNING, AccountType.CHIEF)


def _cycle() -> Cycle:
    """The cycle asked for with ?year=, else the current one; 404 if there is none."""
    year = query_int("year")
    cycle = cycle_by_year(year) if year is not None else current_cycle()
    if cycle is None:
        abort(404)
    return cycle


def _account() -> BusinessAccount:
    return current_user._get_current_object()


def _school_account() -> BusinessAccount:
    account = _account()
    require_school_type(account, *SCHOOL_REPORT_TYPES)
    return account


def _serve(document: Document) -> Response | tuple[str, int, dict[str, str]]:
    try:
        cached = jobs.obtain(document)
    except jobs.RenderPending:
        return render_template("reports/pending.html"), 503, {"Retry-After": "15"}
    return cache.file_response(cached, document.filename)


@bp.get("/teacher/plan.pdf")
@teacher_required
def teacher_plan_pdf():
    teacher: Teacher = current_user._get_current_object()
    document = documents.teacher_plan_download(teacher.id, query_int("year"))
    if document is None:
        abort(404)
    return _serve(document)


@bp.get("/school/plan.pdf")
@account_required(AccountKind.SCHOOL)
def school_plan_pdf():
    account = _school_account()
    cycle = _cycle()
    plan = db.session.scalar(
        select(SchoolPlan).where(
            SchoolPlan.cycle_id == cycle.id, SchoolPlan.school_id == account.school_id
        )
    )
    if plan is None:
        abort(404)
    return _serve(documents.school_plan_document(plan))


@bp.get("/oversight/county.pdf")
@account_required(AccountKind.AUTHORITY, AccountKind.OPERATOR)
def county_pdf():
    account = _account()
    requested = query_code("county", r"[0-9]{5}")
    if account.kind == AccountKind.AUTHORITY:
        authority = account.authority
        if authority is None or authority.kind != AuthorityKind.COUNTY:
            abort(403)
        if requested and requested != authority.county_code:
            abort(403)
    else:  # the operator names the county
        authority = documents.county_authority(requested) if requested else None
        if authority is None:
            abort(404)
    cycle = _cycle()
    return _serve(documents.county_document(cycle, authority))


@bp.get("/oversight/national.pdf")
@account_required(AccountKind.AUTHORITY, AccountKind.OPERATOR)
def national_pdf():
    account = _account()
    if account.kind == AccountKind.AUTHORITY and (
        account.authority is None or account.authority.kind != AuthorityKind.NATIONAL
    ):
        abort(403)
    cycle = _cycle()
    return _serve(documents.national_document(cycle))


@bp.get("/manuals/<audience>.pdf")
def manual_pdf(audience: str):
    if audience not in documents.AUDIENCES:
        abort(404)
    cycle = _cycle()
    return _serve(documents.manual_document(cycle, audience))


@bp.route("/school/exports", methods=["GET", "POST"])
@account_required(AccountKind.SCHOOL)
def school_exports():
    account = _school_account()
    cycle = _cycle()
    form = EmptyForm()
    if request.method == "POST":
        if form.validate_on_submit():
            job = exports.request_export(account, account.school, cycle)
            db.session.commit()
            if job is None:
                flash("已有匯出工作進行中，請待其完成後再重新產生。", "info")
            else:
                exports.start_export(job.id)
                flash("已開始產生全校教師進修規劃 PDF 壓縮檔。", "ok")
        return redirect(url_for("reports.school_exports"), 303)
    rows = exports.export_jobs_of(account.school)
    return htmx.render(
        "reports/exports.html",
        "reports/_export_jobs.html",
        form=form,
        cycle_name=cycle.name,
        school_name=account.school.name,
        jobs=rows,
        polling=any(row["active"] for row in rows),
    )


@bp.get("/school/exports/<id:job_id>.zip")
@account_required(AccountKind.SCHOOL)
def school_export_download(job_id: int):
    account = _school_account()
    job = db.session.get(Job, job_id)
    # Another school's job answers exactly as a missing one: nothing tells it exists.
    if job is None or job.kind != exports.EXPORT_KIND:
        abort(404)
    if job.params.get("school_id") != account.school_id:
        abort(404)
    path = exports.export_path(job)
    if path is None:
        abort(404)
    response = send_file(
        path,
        mimetype="application/zip",
        as_attachment=True,
        download_name=exports.export_filename(job),
        conditional=False,
        etag=False,
        max_age=None,
    )
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
