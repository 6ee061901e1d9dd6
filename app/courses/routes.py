"""/school/courses: the school's courses with status and registrar; register, move on."""

from __future__ import annotations

from typing import Any

from flask import Response, abort, flash, render_template, request, url_for
from flask_babel import gettext as _

from app import htmx, policy
from app.courses import bp, services
from app.courses.forms import AdvanceForm, CourseForm
from app.errors import render_error
from app.extensions import db
from app.lifecycle import handles, signed_in_account
from app.models import BusinessAccount, Course, CourseStatus, School


def own_school(account: BusinessAccount) -> School | None:
    """The signed-in account's own school."""
    return db.session.scalar(policy.schools_in_scope(account).where(School.id == account.school_id))


def course_in_scope(user: Any, course_id: int) -> Course | None:
    """A course of a school in the user's scope; another school's does not exist."""
    schools = policy.schools_in_scope(user).with_only_columns(School.id)
    course = db.session.get(Course, course_id)
    if course is None:
        return None
    in_scope = db.session.scalar(schools.where(School.id == course.school_id))
    return course if in_scope is not None else None


@bp.get("/")
@handles("course.view", load=own_school)
def index(school: School) -> Response:
    return htmx.render(
        "courses/index.html",
        "courses/_rows.html",
        school=school,
        courses=services.courses_of_school(school.id),
        form=AdvanceForm(),
        next_status=services.next_status,
    )


@bp.route("/new", methods=["GET", "POST"])
@handles("course.manage", load=own_school)
def register(school: School) -> Any:
    form = CourseForm()
    if request.method == "POST" and form.validate_on_submit():
        # The validators require all three; a missing one never gets here.
        starts_on, ends_on, hours = form.starts_on.data, form.ends_on.data, form.hours.data
        if starts_on is None or ends_on is None or hours is None:
            abort(400)
        try:
            services.register_course(
                signed_in_account(),
                school,
                title=form.title.data or "",
                starts_on=starts_on,
                ends_on=ends_on,
                hours=hours,
            )
        except services.CourseRefused as refusal:
            target = form[refusal.field] if refusal.field else form.title
            target.errors = [*target.errors, refusal.message]
        else:
            flash(_("已登錄研習課程「%(title)s」。", title=(form.title.data or "").strip()), "ok")
            return htmx.redirect_to(url_for("courses.index"))
    status = 422 if request.method == "POST" else 200
    return render_template("courses/register.html", form=form, school=school), status


@bp.post("/<id:course_id>/advance")
@handles("course.manage", load=course_in_scope)
def advance(course: Course, course_id: int) -> Any:
    form = AdvanceForm()
    expected = None
    if form.status.data in {s.value for s in CourseStatus}:
        expected = CourseStatus(form.status.data)
    try:
        if not form.validate_on_submit():
            raise services.CourseRefused(_("表單已過期，請重新整理頁面後再試。"))
        if form.status.data and expected is None:  # a forged status: not one of ours
            raise services.CourseRefused(_("這門課程的狀態已在別處變更，請重新整理頁面。"))
        services.advance(signed_in_account(), course, expected)
    except services.CourseRefused as refusal:
        return render_error(409, detail=refusal.message)
    flash(_("課程「%(title)s」已移至下一個狀態。", title=course.title), "ok")
    return htmx.redirect_to(url_for("courses.index"))
