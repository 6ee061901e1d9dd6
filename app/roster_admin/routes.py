"""/school/roster…: 教師資料 of a school's chief and roster accounts. Thin views."""

from __future__ import annotations

from datetime import date
from typing import Any, cast

from flask import current_app, flash, render_template, request, url_for
from flask_babel import gettext as _

from app import htmx, lifecycle
from app.cycles.windows import current_cycle
from app.errors import render_error
from app.extensions import db
from app.forms import EmptyForm
from app.lifecycle import handles
from app.models import BusinessAccount, Employment, EndReason, LinkPurpose, RosterSource, School
from app.profile.services import Delivery, hand_over_link
from app.roster_admin import bp, services
from app.roster_admin.forms import END_REASON_LABELS, EditForm, EndForm, RegisterForm
from app.roster_admin.options import AREA_LABELS, subject_codes, title_choice

EXTERNAL_SYSTEMS = {
    RosterSource.ECE: ("全國教保資訊網填報系統", "ROSTER_ECE_URL"),
    RosterSource.TAIPEI: ("臺北市教師研習網", "ROSTER_TAIPEI_URL"),
}


# ---- loaders -----------------------------------------------------------------------------


def own_school(user: Any, **_args: Any) -> School | None:
    """The signed-in school account's own school (others have none here: 404)."""
    if not isinstance(user, BusinessAccount) or user.school_id is None:
        return None
    return db.session.get(School, user.school_id)


def serving_teacher(user: Any, teacher_id: int) -> Employment | None:
    """A teacher now serving at the account's own school, as that employment; else 404."""
    school = own_school(user)
    if school is None:
        return None
    return services.serving_employment(school.id, teacher_id)


# ---- helpers -----------------------------------------------------------------------------


def external_roster(school: School) -> dict[str, Any] | None:
    """Where another system maintains this school's roster: its name, address and the
    feed's last applied run (None: the roster is kept here)."""
    if not services.is_read_only(school):
        return None
    name, setting = EXTERNAL_SYSTEMS[school.roster_source]
    return {
        "name": name,
        "url": current_app.config[setting],
        "last_run": services.latest_sync(school),
    }


def _read_only_answer(school: School) -> Any:
    external = external_roster(school) or {"name": ""}
    return render_error(
        409,
        detail=_(
            "本校教師名單由%(system)s維護，每晚自動更新；請至該系統修改，本系統僅供檢視。",
            system=external["name"],
        ),
        reason="roster-read-only",
    )


def _fill_assignment(form: EditForm | RegisterForm, employment: Employment) -> None:
    choice, other = title_choice(employment.title)
    form.title.data = choice
    form.title_other.data = other
    form.subjects.data = subject_codes(employment.subjects)


def _flash_delivery(delivery: Delivery, name: str, *, activation: bool) -> None:
    if delivery == Delivery.MAILED:
        what = _("帳號啟用連結") if activation else _("重設密碼連結")
        flash(_("已寄出%(what)s給 %(name)s。", what=what, name=name), "ok")
    elif delivery == Delivery.NO_EMAIL:
        flash(
            _("%(name)s 沒有登錄電子郵件，無法寄送連結；請先請教師補登電子郵件。", name=name),
            "error",
        )


# ---- views -------------------------------------------------------------------------------


@bp.get("")
@handles("roster.edit", load=own_school)
def roster(school: School) -> Any:
    query = services.RosterQuery.from_args(request.args)
    listing = services.roster_page(school, query)
    return htmx.render(
        "roster_admin/list.html",
        "roster_admin/_rows.html",
        school=school,
        query=query,
        listing=listing,
        external=external_roster(school),
        cycle=current_cycle(),
        area_labels=AREA_LABELS,
        reset_form=EmptyForm(),
    )


@bp.route("/register", methods=["GET", "POST"])
@handles("roster.edit", load=own_school)
def register(school: School) -> Any:
    if services.is_read_only(school):
        return _read_only_answer(school)
    form = RegisterForm()
    if form.validate_on_submit():
        try:
            done = services.register_teacher(
                school,
                form.national_id.data or "",
                since=cast(date, form.since.data),  # required by the form
                title=form.chosen_title(),
                subjects=form.chosen_subjects(),
                name=form.name.data or "",
                email=form.email.data,
                phone=form.phone.data,
            )
        except services.RosterError as error:
            form[error.field].errors = [error.message]
        else:
            teacher = done.teacher
            if done.created:
                flash(_("已登錄新教師 %(name)s。", name=teacher.name), "ok")
                delivery = hand_over_link(teacher, LinkPurpose.ACTIVATE, on_screen=True)
                _flash_delivery(delivery, teacher.name, activation=True)
            else:
                left = "、".join(s.name for s in done.left_schools)
                flash(
                    _("已將 %(name)s 轉入本校。", name=teacher.name)
                    + (
                        _("原服務學校（%(schools)s）的名單已記錄轉校。", schools=left)
                        if left
                        else ""
                    ),
                    "ok",
                )
            return htmx.redirect_to(url_for("roster_admin.roster"))
    status = 422 if form.errors else 200
    return render_template("roster_admin/register.html", form=form, school=school), status


@bp.route("/<id:teacher_id>/edit", methods=["GET", "POST"])
@handles("roster.edit", load=serving_teacher)
def edit(employment: Employment, teacher_id: int) -> Any:
    if services.is_read_only(employment.school):
        return _read_only_answer(employment.school)
    form = EditForm()
    if request.method == "GET":
        _fill_assignment(form, employment)
    elif form.validate_on_submit():
        services.update_teacher(
            employment, title=form.chosen_title(), subjects=form.chosen_subjects()
        )
        flash(_("已更新 %(name)s 的職稱與授課領域。", name=employment.teacher.name), "ok")
        return htmx.redirect_to(url_for("roster_admin.roster"))
    status = 422 if form.errors else 200
    return render_template(
        "roster_admin/edit.html", form=form, employment=employment, teacher=employment.teacher
    ), status


@bp.route("/<id:teacher_id>/end", methods=["GET", "POST"])
@handles("roster.edit", load=serving_teacher)
def end(employment: Employment, teacher_id: int) -> Any:
    if services.is_read_only(employment.school):
        return _read_only_answer(employment.school)
    form = EndForm()
    confirming = False
    if form.validate_on_submit():
        if form.confirmed.data != "yes":
            confirming = True  # the second step: say exactly what will happen
        else:
            try:
                services.end_employment(
                    employment, EndReason(form.reason.data), cast(date, form.ends_on.data)
                )
            except services.RosterError as error:
                form[error.field].errors = [error.message]
            else:
                flash(
                    _(
                        "已記錄 %(name)s %(reason)s；帳號、進修規劃與歷史紀錄均保留。",
                        name=employment.teacher.name,
                        reason=END_REASON_LABELS[EndReason(form.reason.data)],
                    ),
                    "ok",
                )
                return htmx.redirect_to(url_for("roster_admin.roster"))
    status = 422 if form.errors else 200
    reason_label = (
        END_REASON_LABELS[EndReason(form.reason.data)] if confirming and form.reason.data else ""
    )
    return render_template(
        "roster_admin/end.html",
        form=form,
        employment=employment,
        teacher=employment.teacher,
        confirming=confirming,
        reason_label=reason_label,
    ), status


@bp.post("/<id:teacher_id>/reset-link")
@handles("roster.edit", load=serving_teacher)
def reset_link(employment: Employment, teacher_id: int) -> Any:
    form = EmptyForm()
    if form.validate_on_submit():
        teacher = employment.teacher
        purpose = LinkPurpose.RESET if teacher.password_hash else LinkPurpose.ACTIVATE
        delivery = hand_over_link(teacher, purpose, on_screen=True)
        _flash_delivery(delivery, teacher.name, activation=purpose == LinkPurpose.ACTIVATE)
        if delivery == Delivery.NO_EMAIL:
            lifecycle.discard()
    return htmx.redirect_to(url_for("roster_admin.roster"))
