"""The authorization-code flow (PKCE, state, nonce) and a business account's link.

`/sso/login` starts a sign-in (a teacher's, or a business account's with
`?realm=school`); `/sso/account/link` starts a signed-in business account's link. The
state of each started flow is kept in the session with what it was started for, and the
one `/sso/callback` finishes whichever it was.

Like the password sign-in pages, `/sso/login` and `/sso/callback` serve anyone and stand
outside the policy table: the callback is a GET that writes (a link, a roaming update,
the session), so it commits itself as `app.auth.routes` does. The account's own pages
(`/sso/account…`) run in the request lifecycle under `sso_link.manage`.
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import urlsplit

import requests
from authlib.common.errors import AuthlibBaseError
from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from joserfc.errors import JoseError
from sqlalchemy.exc import IntegrityError
from werkzeug.wrappers import Response as BaseResponse

from app import CONTENT_SECURITY_POLICY, htmx, policy
from app.auth import sessions
from app.extensions import db
from app.forms import EmptyForm
from app.lifecycle import handles, signed_in_account
from app.models import BusinessAccount
from app.sso import CLIENT, bp, configured, services
from app.sso.services import LINK, SCHOOL, TEACHER

log = logging.getLogger(__name__)

# Where each kind of flow comes back to when it does not end in a sign-in.
RETURN_TO = {
    TEACHER: "auth.teacher_login",
    SCHOOL: "auth.school_login",
    LINK: "sso.account",
}


def _client() -> Any:
    client = current_app.extensions.get(CLIENT)
    if client is None:
        abort(404)  # single sign-on is not configured here
    return client


def _back(purpose: str, message: str, category: str = "error") -> BaseResponse:
    flash(message, category)
    return redirect(url_for(RETURN_TO[purpose]), 303)


def provider_down(purpose: str = TEACHER) -> BaseResponse:
    if purpose == TEACHER:
        text = _("教育體系單一簽入服務目前無法連線，請稍後再試，或改用教師帳號密碼登入。")
    elif purpose == SCHOOL:
        text = _("教育體系單一簽入服務目前無法連線，請稍後再試，或改用業務帳號密碼登入。")
    else:
        text = _("教育體系單一簽入服務目前無法連線，請稍後再試連結。")
    return _back(purpose, text)


def _start(purpose: str, account_id: int | None = None) -> BaseResponse:
    """Send the browser to the provider; remember what this flow (its state) is for."""
    client = _client()
    redirect_uri = url_for("sso.callback", _external=True)
    try:
        request_data = client.create_authorization_url(redirect_uri)
    except requests.RequestException:
        log.warning("sso: provider unreachable at the start of a %s flow", purpose)
        return provider_down(purpose)
    client.save_authorize_data(redirect_uri=redirect_uri, **request_data)
    services.remember_flow(request_data["state"], purpose, account_id)
    return redirect(request_data["url"], 302 if purpose != LINK else 303)


@bp.get("/login")
def login() -> BaseResponse:
    """Start a sign-in: a teacher's, or a business account's (`?realm=school`)."""
    return _start(SCHOOL if request.args.get("realm") == SCHOOL else TEACHER)


@bp.get("/callback")
def callback() -> BaseResponse:
    """Finish the flow this state was started for: verify, then sign in or link."""
    client = _client()
    flow = services.take_flow(request.args.get("state"))
    purpose = flow.purpose if flow is not None else services.latest_purpose()
    info = None
    if request.args.get("error") == "access_denied":  # the person said no at the provider
        return _back(purpose, _("已在教育體系單一簽入服務取消，未登入，也未變更任何資料。"), "info")
    try:
        token = client.authorize_access_token()  # the state, the code, the ID token
        claims = token.get("userinfo")
        if not claims or not claims.get("sub"):
            raise services.SsoRefused(_("教育體系單一簽入服務沒有提供身分憑證"))
        if flow is None:  # Authlib knew the state, we did not: never guess what it was for
            raise ValueError("a state without a flow")
        subject = str(claims["sub"])
        if purpose == TEACHER:  # only a teacher's school follows eduinfo (roaming)
            info = services.fetch_eduinfo(token["access_token"], subject)
        issuer = str(client.load_server_metadata()["issuer"])
    except requests.RequestException:
        log.warning("sso: provider or eduinfo unreachable at the callback")
        return provider_down(purpose)
    except (AuthlibBaseError, JoseError, ValueError, KeyError) as error:
        log.warning("sso: callback refused (%s: %s)", type(error).__name__, error)
        return _back(purpose, _("單一簽入未完成：驗證資料不正確或已過期，請重新登入。"))
    except services.SsoRefused as error:
        return _back(purpose, str(error))
    if flow.purpose == SCHOOL:
        return _account_signs_in(issuer, subject)
    if flow.purpose == LINK:
        return _account_links(flow, issuer, subject)
    assert info is not None
    return _teacher_signs_in(issuer, subject, dict(claims), info)


def _teacher_signs_in(
    issuer: str, subject: str, claims: dict[str, Any], info: services.Eduinfo
) -> BaseResponse:
    teacher = services.linked_teacher(issuer, subject)
    if teacher is None:
        teacher = services.teacher_by_claim(claims)
        if teacher is not None:
            services.link(teacher, issuer, subject, "national_id")
    if teacher is None:
        services.remember_pending(issuer, subject, info)
        return _back(
            TEACHER,
            _("第一次以單一簽入服務登入：請以教師帳號密碼登入一次，完成帳號連結。"),
            "info",
        )
    roaming = services.roam(teacher, info)
    db.session.commit()
    sessions.begin(teacher)  # a fresh session (no fixation) with its clocks started
    services.notify(teacher, roaming)
    return redirect(url_for(policy.landing_endpoint(teacher)), 303)


def _account_signs_in(issuer: str, subject: str) -> BaseResponse:
    """A business account signs in only through a link it made itself; never by e-mail,
    never a new account; no roaming (an account's school is fixed)."""
    account = services.linked_account(issuer, subject)
    if account is None:
        return _back(
            SCHOOL,
            _(
                "這個教育體系單一簽入身分尚未連結業務帳號。請先以業務帳號密碼登入，"
                "在「教育體系單一簽入」頁完成連結後，即可以單一簽入登入。"
            ),
        )
    refused = services.refusal(account)
    if refused is not None:
        log.info("sso: sign-in of account:%s refused (%s)", account.id, account.status)
        return _back(SCHOOL, refused)
    services.record_sign_in(account, issuer)
    db.session.commit()
    sessions.begin(account)  # the same start as a password sign-in
    return redirect(url_for(policy.landing_endpoint(account)), 303)


def _account_links(flow: services.Flow, issuer: str, subject: str) -> BaseResponse:
    """Link the identity just proved to the account that started the link, still signed in."""
    account = current_user._get_current_object()
    if (
        not isinstance(account, BusinessAccount)
        or account.id != flow.account_id
        or not policy.may(account, "sso_link.manage")
    ):
        flash(_("連結未完成：請先以業務帳號密碼登入，再從「教育體系單一簽入」頁連結。"), "error")
        return redirect(url_for("auth.school_login"), 303)
    try:
        services.link_account(account, issuer, subject)
        db.session.commit()
    except services.SsoRefused as error:
        db.session.rollback()
        return _back(LINK, str(error))
    except IntegrityError:  # another link of this identity or account won a race
        db.session.rollback()
        log.warning("sso: a concurrent link of account:%s was refused", account.id)
        return _back(LINK, _("連結未完成：這個身分或帳號剛剛已有其他連結，請重新整理後確認。"))
    return _back(LINK, _("已連結教育體系單一簽入；之後可在業務帳號登入頁以單一簽入登入。"), "ok")


# ---- a business account's own link ---------------------------------------------------------


def _provider_origins() -> list[str]:
    """The provider's origins, known without asking it: the discovery URL's, and the
    authorization endpoint's once Authlib holds the metadata."""
    client = current_app.extensions.get(CLIENT)
    if client is None:
        return []
    urls = [current_app.config["SSO_DISCOVERY_URL"]]
    urls.append(str((client.server_metadata or {}).get("authorization_endpoint") or ""))
    origins: list[str] = []
    for url in urls:
        parts = urlsplit(url)
        origin = f"{parts.scheme}://{parts.netloc}"
        if parts.scheme in ("https", "http") and parts.netloc and origin not in origins:
            origins.append(origin)
    return origins


@bp.get("/account")
@handles("sso_link.manage")
def account() -> Any:
    """連結教育體系單一簽入: the account's link, and the buttons to link or unlink."""
    holder = signed_in_account()
    page = render_template(
        "sso/account.html",
        account=holder,
        identity=services.identity_of(holder),
        available=configured(current_app),
        form=EmptyForm(),
    )
    response = current_app.make_response(page)
    origins = _provider_origins()
    if origins:
        # The link button is a form (CSRF) whose answer sends the browser on to the
        # provider: the browser follows it only when form-action allows that origin.
        response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY.replace(
            "form-action 'self'", "form-action 'self' " + " ".join(origins)
        )
    return response


@bp.post("/account/link")
@handles("sso_link.manage")
def link() -> BaseResponse:
    """Go through the provider once while signed in; the callback links what it proves."""
    holder = signed_in_account()
    if not EmptyForm().validate_on_submit():
        abort(400)
    if services.identity_of(holder) is not None:
        flash(_("此業務帳號已連結教育體系單一簽入身分；如要更換，請先解除連結。"), "error")
        return redirect(url_for("sso.account"), 303)
    return _start(LINK, holder.id)


@bp.route("/account/unlink", methods=["GET", "POST"])
@handles("sso_link.manage")
def unlink() -> Any:
    """Confirm, then remove the account's link (audited)."""
    holder = signed_in_account()
    identity = services.identity_of(holder)
    if identity is None:
        flash(_("此業務帳號沒有連結教育體系單一簽入身分。"), "info")
        return htmx.redirect_to(url_for("sso.account"))
    form = EmptyForm()
    if request.method == "POST":
        if not form.validate_on_submit():
            abort(400)
        services.unlink_account(holder)
        flash(_("已解除教育體系單一簽入連結；之後請以業務帳號密碼登入。"), "ok")
        return htmx.redirect_to(url_for("sso.account"))
    return render_template("sso/unlink.html", account=holder, identity=identity, form=form)
