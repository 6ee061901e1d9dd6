from __future__ import annotations

from collections.abc import Callable

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user, login_required, logout_user
from flask_wtf import FlaskForm

from app import policy, timeutil
from app.auth import bp, sessions
from app.auth.forms import AccountLoginForm, TeacherLoginForm
from app.auth.services import (
    FailureNotice,
    SignIn,
    authenticate_account,
    authenticate_teacher,
    end_session,
    locked_subjects_of_school,
    unlock,
)
from app.extensions import db, limiter
from app.forms import EmptyForm
from app.lifecycle import handles, signed_in_account
from app.params import local_path
from app.plans import resume
from app.sso import services as sso

GENERIC_FAILURE = _l("登入失敗：帳號或密碼不正確，請確認後再試。")


def _login_limit() -> str:
    limit: str = current_app.config["LOGIN_RATE_LIMIT"]
    return limit


def _safe_next(default: str) -> str:
    """Only a same-origin relative path: never an open redirect."""
    return local_path(request.args.get("next")) or default


def _tell_owner(notice: FailureNotice) -> None:
    text = ngettext(
        "自您上次登入後，有 %(num)d 次登入失敗",
        "自您上次登入後，有 %(num)d 次登入失敗",
        notice.failures,
    )
    if notice.locks:
        text += _("，其中 %(locks)d 次造成連線來源暫時鎖定", locks=notice.locks)
    text += _("。若不是您本人，請更改密碼並通知學校總負責人。")
    flash(text, "warning")


def _locked_message(result: SignIn) -> str:
    return _(
        "登入失敗：帳號或密碼不正確次數過多，此連線來源已鎖定至 %(time)s，"
        "請於該時間後再試，或請學校總負責人解除鎖定。",
        time=timeutil.roc_time(result.locked_until),
    )


def _sign_in(
    form: FlaskForm,
    realm: str,
    identity: str,
    authenticate: Callable[[str, str, str], SignIn],
):
    """The sign-in lifecycle of both realms: validate, authenticate, start the session."""
    failure = None
    if form.validate_on_submit():
        result = authenticate(form[identity].data, form.password.data, request.remote_addr or "")
        db.session.commit()  # the pair's count and the attempt are kept either way
        if result.subject is not None:
            subject = result.subject
            pending = sso.take_pending_link()  # an SSO sign-in awaiting this verified step
            roaming = sso.complete_link(subject, pending)
            db.session.commit()
            sessions.begin(subject)
            sso.notify(subject, roaming)
            if result.notice is not None:
                _tell_owner(result.notice)
            # Carried plan answers are saved next; a POST-only `next` lands on its page.
            landing = url_for(policy.landing_endpoint(subject))
            return resume.after_sign_in(_safe_next(landing))
        failure = _locked_message(result) if result.locked_until else str(GENERIC_FAILURE)
    # The typed ID stays in its box (the user's own input on their own screen); it never
    # goes into a URL (the form posts to this path) nor into a log, nor into a cache.
    page = resume.sign_in_page(form, failure, realm) or render_template(
        "auth/login.html", form=form, failure=failure, realm=realm
    )
    return page, 401 if failure else 200, {"Cache-Control": "no-store"}


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
        sessions.clear()
        flash(_("您已登出。"), "info")
    return redirect(url_for("main.home"), 303)


@bp.post("/session/keepalive")
@handles("session.keepalive")
def keepalive():
    """The idle warning's 「繼續使用」: the request itself renews the idle timer."""
    return {"idle_seconds": sessions.idle_seconds()}


@bp.route("/school/locks", methods=["GET", "POST"])
@handles("sign_in_lock.release")
def school_locks():
    """The chief sees the school's teachers and accounts with locked sign-ins, and lifts them."""
    account = signed_in_account()
    if account.school_id is None:
        abort(404)
    form = EmptyForm()
    if request.method == "POST":
        if not form.validate_on_submit():
            abort(400)
        if not unlock(account.school_id, request.form.get("subject", "")):
            abort(404)
        flash(_("已解除鎖定。"), "ok")
        return redirect(url_for("auth.school_locks"), 303)
    locked = locked_subjects_of_school(account.school_id)
    return render_template("auth/locks.html", form=form, locked=locked)
