from __future__ import annotations

from collections.abc import Callable

from flask import current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required, login_user, logout_user
from flask_wtf import FlaskForm

from app import policy
from app.auth import bp
from app.auth.forms import AccountLoginForm, TeacherLoginForm
from app.auth.services import authenticate_account, authenticate_teacher, end_session
from app.extensions import db, limiter
from app.forms import EmptyForm
from app.models import BusinessAccount, Teacher
from app.sso import services as sso

GENERIC_FAILURE = _l("登入失敗：帳號或密碼不正確，或帳號因連續失敗已暫時鎖定，請稍後再試。")


def _login_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


def _safe_next(default: str) -> str:
    target = request.args.get("next", "")
    # Only local paths: never an open redirect.
    if target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return default


def _start_session(subject: BusinessAccount | Teacher) -> None:
    session.clear()  # no fixation: a fresh session for the signed-in user
    login_user(subject)


def _sign_in(
    form: FlaskForm,
    realm: str,
    identity: str,
    authenticate: Callable[[str, str, str], BusinessAccount | Teacher | None],
):
    """The sign-in lifecycle of both realms: validate, authenticate, start the session."""
    failure = None
    if form.validate_on_submit():
        subject = authenticate(form[identity].data, form.password.data, request.remote_addr or "")
        db.session.commit()  # the failure count and the attempt are kept either way
        if subject is not None:
            pending = sso.take_pending_link()  # an SSO sign-in awaiting this verified step
            roaming = sso.complete_link(subject, pending)
            db.session.commit()
            _start_session(subject)
            sso.notify(subject, roaming)
            landing = url_for(policy.landing_endpoint(subject))
            return redirect(_safe_next(landing), 303)
        failure = GENERIC_FAILURE
    if realm == "teacher":
        form[identity].data = ""  # the typed national ID is never echoed back into the page
    page = render_template("auth/login.html", form=form, failure=failure, realm=realm)
    return page, 401 if failure else 200


@bp.route("/school/login", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
def school_login():
    return _sign_in(AccountLoginForm(), "school", "username", authenticate_account)


@bp.route("/teacher/login", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
def teacher_login():
    return _sign_in(TeacherLoginForm(), "teacher", "national_id", authenticate_teacher)


@bp.post("/logout")
@login_required
def logout():
    form = EmptyForm()
    if form.validate_on_submit():
        end_session(current_user._get_current_object())
        db.session.commit()
        logout_user()
        session.clear()
        flash(_("您已登出。"), "info")
    return redirect(url_for("main.home"), 303)
