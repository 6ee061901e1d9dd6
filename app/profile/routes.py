"""Views of one's own account and of the password links: thin, through the lifecycle."""

from __future__ import annotations

from typing import Any

from flask import current_app, flash, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from werkzeug.wrappers import Response as BaseResponse

from app import htmx, onetime
from app.auth import sessions
from app.extensions import limiter
from app.lifecycle import discard, handles
from app.models import LinkPurpose, Teacher
from app.profile import bp, services
from app.profile.forms import ChangePasswordForm, ContactForm, ForgotPasswordForm, SetPasswordForm

FORGOT_ANSWER = _l(
    "已收到您的申請。若這個身分證字號已在本系統登錄且留有電子郵件，"
    "重設密碼連結已寄至該信箱，24 小時內有效且只能使用一次。"
    "若沒有收到，請洽學校的教師資料承辦人或總負責人協助。"
)
LINK_PROBLEMS = {
    onetime.LinkProblem.UNKNOWN: _l("這個連結無效，請確認是否完整複製，或重新申請。"),
    onetime.LinkProblem.USED: _l("這個連結已經使用過，每個連結只能使用一次；如需要請重新申請。"),
    onetime.LinkProblem.EXPIRED: _l("這個連結已過期（24 小時內有效），請重新申請重設密碼連結。"),
}


def _limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


def _person() -> services.Person:
    return current_user._get_current_object()  # type-narrowed by the policy: signed in


def _home() -> str:
    return url_for("teacher.dashboard" if isinstance(_person(), Teacher) else "school.dashboard")


@bp.route("/account/password", methods=["GET", "POST"])
@handles("profile.edit")
def password() -> Any:
    form = ChangePasswordForm()
    if form.validate_on_submit():
        person = _person()
        try:
            services.change_password(
                person, form.current_password.data or "", form.new_password.data or ""
            )
        except services.ProfileError as error:
            form[error.field].errors = [error.message]
        else:
            # This session goes on with the new token; every other one has ended.
            sessions.begin(person)
            flash(_("密碼已變更；您在其他裝置或瀏覽器的登入已全部結束。"), "ok")
            return htmx.redirect_to(_home())
    status = 422 if form.errors else 200
    return render_template("profile/password.html", form=form, home=_home()), status


@bp.route("/account/contact", methods=["GET", "POST"])
@handles("profile.edit")
def contact() -> Any:
    person = _person()
    form = ContactForm(obj=person if request.method == "GET" else None)
    if form.validate_on_submit():
        services.update_contact(person, email=form.email.data, phone=form.phone.data)
        flash(_("聯絡資料已更新。"), "ok")
        return htmx.redirect_to(_home())
    status = 422 if form.errors else 200
    return render_template("profile/contact.html", form=form, person=person, home=_home()), status


@bp.route("/password/forgot", methods=["GET", "POST"])
@limiter.limit(_limit, methods=["POST"])
@handles("public.view")
def forgot() -> Any:
    form = ForgotPasswordForm()
    answered = False
    if form.validate_on_submit():
        services.request_reset(form.national_id.data or "")
        answered = True
        form.national_id.data = ""  # the ID is never echoed back into the page
    status = 422 if form.errors else 200
    return render_template(
        "profile/forgot.html", form=form, answered=answered, answer=FORGOT_ANSWER
    ), status


@bp.route("/password/link/<token>", methods=["GET", "POST"])
@handles("public.view")
def use_link(token: str) -> Any:
    form = SetPasswordForm()
    problem = None
    purpose = None
    try:
        link = onetime.find(token)
        purpose = link.purpose
    except onetime.LinkRefused as refused:
        problem = LINK_PROBLEMS[refused.problem]
    if problem is None and form.validate_on_submit():
        try:
            services.use_link(token, form.new_password.data or "")
        except services.ProfileError as error:
            form[error.field].errors = [error.message]
        except onetime.LinkRefused as refused:
            discard()
            problem = LINK_PROBLEMS[refused.problem]
        else:
            done = (
                _("密碼已設定，帳號已啟用，請以新密碼登入。")
                if purpose == LinkPurpose.ACTIVATE
                else _("密碼已重設，其他裝置的登入已全部結束，請以新密碼登入。")
            )
            flash(done, "ok")
            return htmx.redirect_to(url_for("auth.teacher_login"))
    status = 410 if problem else (422 if form.errors else 200)
    response = render_template(
        "profile/set_password.html",
        form=form,
        problem=problem,
        activating=purpose == LinkPurpose.ACTIVATE,
        token=token,
    )
    return _no_referrer(response, status)


def _no_referrer(body: str, status: int) -> BaseResponse:
    # The token is in this page's URL: never send it on as a Referer, never cache it.
    response = current_app.make_response((body, status))
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["Cache-Control"] = "no-store"
    return response
