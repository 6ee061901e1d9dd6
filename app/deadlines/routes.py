"""/oversight/extensions/: the extensions in the viewer's scope, granting and revoking them.

Endpoints and the query parameters that prefill them (for links from the dashboards):

* ``deadlines.index``  — ``?kind=school|teacher``, ``status=active|revoked|all``,
  ``county=CODE``, ``school=CODE`` (6 characters), ``page=N``
* ``deadlines.grant``  — ``?school=ID`` or ``?teacher=ID``, and ``?kind=school|teacher``
* ``deadlines.bulk``   — ``?county=CODE&stage=K|E|J|S|V|X&kind=school|teacher``
* ``deadlines.revoke`` / ``deadlines.revoke_batch`` — a confirmation page, then POST.
"""

from __future__ import annotations

from typing import Any

from flask import Response, flash, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import select
from werkzeug.wrappers import Response as BaseResponse

from app import htmx, policy, timeutil
from app.accounts.paging import page_number, paginate
from app.auth.services import find_teacher
from app.cycles.windows import current_cycle
from app.deadlines import bp, services
from app.deadlines.forms import BulkExtensionForm, ExtensionFilter, ExtensionForm
from app.deadlines.services import (
    PLAN_KIND_LABELS,
    ExtensionRefused,
    ScopedBatch,
    ScopedExtension,
)
from app.extensions import db
from app.forms import EmptyForm
from app.lifecycle import handles, signed_in_account
from app.models import (
    STAGE_LABELS,
    BusinessAccount,
    County,
    Extension,
    ExtensionBatch,
    PlanKind,
    School,
    Stage,
    Teacher,
)
from app.params import query_code, query_int

# ---- loaders -----------------------------------------------------------------------------


def scoped_extension(user: BusinessAccount, extension_id: int) -> ScopedExtension | None:
    """An extension concerning a school in the user's scope; any other is missing (404)."""
    extension = db.session.scalar(
        select(Extension).where(
            Extension.id == extension_id,
            Extension.concerns_school_id.in_(services.scope_school_ids(user)),
        )
    )
    if extension is None or extension.concerns_school_id is None:
        return None
    return ScopedExtension(extension, extension.concerns_school_id)


def scoped_batch(user: BusinessAccount, batch_id: int) -> ScopedBatch | None:
    """A bulk grant whose every school lies in the user's scope; any other is missing."""
    batch = db.session.get(ExtensionBatch, batch_id)
    if batch is None or services.batch_outside_scope(user, batch):
        return None
    return ScopedBatch(batch.county_code, batch)


# ---- helpers -----------------------------------------------------------------------------


def _counties(account: BusinessAccount) -> list[tuple[str, str]]:
    rows = db.session.scalars(policy.counties_in_scope(account).order_by(County.code))
    return [(county.code, county.name) for county in rows]


def _no_cycle() -> Response:
    return htmx.render("deadlines/no_cycle.html", "deadlines/no_cycle.html", title=_("延長填寫"))


def _put_errors(form: Any, errors: dict[str, str]) -> None:
    for name, message in errors.items():
        field = getattr(form, name, None)
        if field is not None:
            field.errors = [*field.errors, message]
        else:
            form.form_errors.append(message)


# ---- the list ----------------------------------------------------------------------------


@bp.get("/")
@handles("extension.view")
def index() -> Response:
    account = signed_in_account()
    cycle = current_cycle()
    if cycle is None:
        return _no_cycle()
    counties = _counties(account)
    wanted = ExtensionFilter(request.args, {code for code, _name in counties})
    query = services.extensions_in_scope(account, cycle)
    if wanted.kind:
        query = query.where(Extension.plan_kind == PlanKind(wanted.kind))
    if wanted.status == "active":
        query = query.where(Extension.revoked_at.is_(None))
    elif wanted.status == "revoked":
        query = query.where(Extension.revoked_at.is_not(None))
    if wanted.county or wanted.school:
        schools = select(School.id)
        if wanted.county:
            schools = schools.where(School.county_code == wanted.county)
        if wanted.school:
            schools = schools.where(School.code == wanted.school)
        query = query.where(Extension.concerns_school_id.in_(schools))
    listing = paginate(query, page_number(request.args.get("page")))
    extensions: list[Extension] = listing.items
    batches = list(db.session.scalars(services.batches_in_scope(account, cycle).limit(20)))
    return htmx.render(
        "deadlines/index.html",
        "deadlines/_rows.html",
        cycle=cycle,
        wanted=wanted,
        counties=counties,
        listing=listing,
        names=_names(extensions, batches),
        batches=batches,
        kind_labels=PLAN_KIND_LABELS,
        stage_labels=STAGE_LABELS,
        now=timeutil.now(),
    )


def _names(extensions: list[Extension], batches: list[ExtensionBatch]) -> dict[str, dict[int, Any]]:
    """Schools, teachers and accounts named by the rows, read in three statements."""
    school_ids = {e.concerns_school_id for e in extensions if e.concerns_school_id}
    teacher_ids = {e.teacher_id for e in extensions if e.teacher_id}
    account_ids = {e.granted_by_id for e in extensions} | {b.granted_by_id for b in batches}
    account_ids |= {e.revoked_by_id for e in extensions if e.revoked_by_id}
    schools = db.session.scalars(select(School).where(School.id.in_(school_ids)))
    teachers = db.session.scalars(select(Teacher).where(Teacher.id.in_(teacher_ids)))
    accounts = db.session.scalars(
        select(BusinessAccount).where(BusinessAccount.id.in_(account_ids))
    )
    return {
        "schools": {s.id: s for s in schools},
        "teachers": {t.id: t for t in teachers},
        "accounts": {a.id: a for a in accounts},
    }


# ---- granting ----------------------------------------------------------------------------


def _prefill(account: BusinessAccount, form: ExtensionForm) -> Teacher | None:
    """Fill the form from ?school=ID / ?teacher=ID / ?kind=; out of scope is refused."""
    kind = request.args.get("kind", "")
    form.plan_kind.data = kind if kind in ("school", "teacher") else PlanKind.SCHOOL.value
    school_id = query_int("school")
    if school_id is not None:
        school = db.session.scalar(policy.schools_in_scope(account).where(School.id == school_id))
        if school is None:
            form.school_code.errors = [_("此學校不在您的管轄範圍內。")]
        else:
            form.school_code.data = school.code
    teacher_id = query_int("teacher")
    if teacher_id is not None:
        teacher = db.session.scalar(
            policy.teachers_in_scope(account).where(Teacher.id == teacher_id)
        )
        form.target.data = "teacher"
        form.plan_kind.data = PlanKind.TEACHER.value
        if teacher is None:
            form.national_id.errors = [_("此教師不在您所轄學校本學年度的教師名單中。")]
        else:
            form.teacher_id.data = str(teacher.id)
            return teacher
    return None


def _chosen_teacher(account: BusinessAccount, form: ExtensionForm) -> Teacher | None:
    if form.national_id.data:
        return find_teacher(form.national_id.data)
    teacher_id = form.chosen_teacher_id()
    if teacher_id is not None:
        return db.session.scalar(policy.teachers_in_scope(account).where(Teacher.id == teacher_id))
    return None


@bp.route("/new", methods=["GET", "POST"])
@handles("extension.grant")
def grant() -> BaseResponse:
    account = signed_in_account()
    cycle = current_cycle()
    if cycle is None:
        return _no_cycle()
    form = ExtensionForm()
    chosen: Teacher | None = None
    status = 200
    if request.method == "GET":
        chosen = _prefill(account, form)
    elif form.validate_on_submit():
        try:
            if form.target.data == "school":
                school = db.session.scalar(
                    select(School).where(School.code == form.school_code.data)
                )
                if school is None:
                    raise ExtensionRefused({"school_code": _("查無此學校代碼。")})
                extension = services.grant_to_school(
                    account,
                    cycle,
                    PlanKind(form.plan_kind.data),
                    school,
                    form.until(),
                    (form.reason.data or "").strip(),
                )
                who = school.name
            else:
                teacher = _chosen_teacher(account, form)
                if teacher is None:
                    raise ExtensionRefused(
                        {"national_id": _("此教師不在您所轄學校本學年度的教師名單中。")}
                    )
                extension = services.grant_to_teacher(
                    account, cycle, teacher, form.until(), (form.reason.data or "").strip()
                )
                who = teacher.name
        except ExtensionRefused as refused:
            _put_errors(form, refused.errors)
            status = 422
        else:
            flash(
                _(
                    "已為 %(who)s 延長%(kind)s至 %(until)s。",
                    who=who,
                    kind=PLAN_KIND_LABELS[extension.plan_kind],
                    until=timeutil.roc_datetime(extension.until),
                ),
                "ok",
            )
            return redirect(url_for("deadlines.index"), 303)
    else:
        status = 422
    if chosen is None and form.target.data == "teacher" and not form.national_id.data:
        chosen = _chosen_teacher(account, form)  # the teacher the list's link named
    return htmx.render(
        "deadlines/grant.html",
        "deadlines/_grant_form.html",
        status=status,
        form=form,
        cycle=cycle,
        chosen=chosen,
    )


@bp.route("/bulk", methods=["GET", "POST"])
@handles("extension.grant")
def bulk() -> BaseResponse:
    account = signed_in_account()
    cycle = current_cycle()
    if cycle is None:
        return _no_cycle()
    counties = _counties(account)
    form = BulkExtensionForm(counties)
    status = 200
    if request.method == "GET":
        code = query_code("county", r"[0-9]{5}")
        if code:
            if code in {c for c, _name in counties}:
                form.county.data = code
            else:
                form.county.errors = [str(form.county.refusal)]
        stage = request.args.get("stage", "")
        if stage in {s.value for s in Stage}:
            form.stage.data = stage
        kind = request.args.get("kind", "")
        form.plan_kind.data = kind if kind in ("school", "teacher") else PlanKind.SCHOOL.value
    elif form.validate_on_submit():
        try:
            batch = services.grant_bulk(
                account,
                cycle,
                PlanKind(form.plan_kind.data),
                form.county.data,
                Stage(form.stage.data),
                form.until(),
                (form.reason.data or "").strip(),
            )
        except ExtensionRefused as refused:
            _put_errors(form, refused.errors)
            status = 422
        else:
            flash(
                ngettext(
                    "已為%(county)s%(stage)s共 %(count)d 所學校延長%(kind)s至 %(until)s。",
                    "已為%(county)s%(stage)s共 %(count)d 所學校延長%(kind)s至 %(until)s。",
                    batch.school_count,
                    county=batch.county.name,
                    stage=STAGE_LABELS[batch.stage],
                    count=batch.school_count,
                    kind=PLAN_KIND_LABELS[batch.plan_kind],
                    until=timeutil.roc_datetime(batch.until),
                ),
                "ok",
            )
            return redirect(url_for("deadlines.index"), 303)
    else:
        status = 422
    return htmx.render(
        "deadlines/bulk.html", "deadlines/_bulk_form.html", status=status, form=form, cycle=cycle
    )


# ---- revoking ----------------------------------------------------------------------------


@bp.route("/<id:extension_id>/revoke", methods=["GET", "POST"])
@handles("extension.revoke", load=scoped_extension)
def revoke(scoped: ScopedExtension, extension_id: int) -> BaseResponse:
    extension = scoped.extension
    form = EmptyForm()
    refusal = None
    if extension.revoked_at is not None:
        refusal = _("此延長已經撤銷。")
    elif request.method == "POST" and form.validate_on_submit():
        services.revoke(signed_in_account(), extension)
        flash(_("已撤銷延長。"), "ok")
        return redirect(url_for("deadlines.index"), 303)
    names = _names([extension], [])
    page = render_template(
        "deadlines/confirm.html",
        title=_("撤銷延長"),
        form=form,
        refusal=refusal,
        extension=extension,
        batch=None,
        names=names,
        kind_labels=PLAN_KIND_LABELS,
        stage_labels=STAGE_LABELS,
    )
    return make_response(page, 409 if refusal and request.method == "POST" else 200)


@bp.route("/batches/<id:batch_id>/revoke", methods=["GET", "POST"])
@handles("extension.revoke", load=scoped_batch)
def revoke_batch(scoped: ScopedBatch, batch_id: int) -> BaseResponse:
    batch = scoped.batch
    assert batch is not None
    form = EmptyForm()
    refusal = None
    if batch.revoked_at is not None:
        refusal = _("此批次延長已經撤銷。")
    elif request.method == "POST" and form.validate_on_submit():
        count = services.revoke_batch(signed_in_account(), batch)
        flash(
            ngettext(
                "已撤銷此批次的 %(count)d 筆延長。",
                "已撤銷此批次的 %(count)d 筆延長。",
                count,
                count=count,
            ),
            "ok",
        )
        return redirect(url_for("deadlines.index"), 303)
    page = render_template(
        "deadlines/confirm.html",
        title=_("撤銷批次延長"),
        form=form,
        refusal=refusal,
        extension=None,
        batch=batch,
        names=_names([], [batch]),
        kind_labels=PLAN_KIND_LABELS,
        stage_labels=STAGE_LABELS,
    )
    return make_response(page, 409 if refusal and request.method == "POST" else 200)
