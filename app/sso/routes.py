"""/sso/login and /sso/callback: the authorization-code flow (PKCE, state, nonce).

Like the password sign-in pages, these serve anyone and stand outside the policy table:
the callback is a GET that writes (a link, a roaming update, the session), so it commits
itself as `app.auth.routes` does.
"""

from __future__ import annotations

import logging
from typing import Any

import requests
from authlib.common.errors import AuthlibBaseError
from flask import abort, current_app, flash, redirect, url_for
from flask_babel import gettext as _
from joserfc.errors import JoseError
from werkzeug.wrappers import Response as BaseResponse

from app import policy
from app.auth import sessions
from app.extensions import db
from app.sso import CLIENT, bp, services

log = logging.getLogger(__name__)


def _client() -> Any:
    client = current_app.extensions.get(CLIENT)
    if client is None:
        abort(404)  # single sign-on is not configured here
    return client


def _back_to_login(message: str) -> BaseResponse:
    flash(message, "error")
    return redirect(url_for("auth.teacher_login"), 303)


def provider_down() -> BaseResponse:
    return _back_to_login(
        _("教育體系單一簽入服務目前無法連線，請稍後再試，或改用教師帳號密碼登入。")
    )


@bp.get("/login")
def login() -> BaseResponse:
    client = _client()
    try:
        return client.authorize_redirect(url_for("sso.callback", _external=True))
    except requests.RequestException:
        log.warning("sso: provider unreachable at sign-in")
        return provider_down()


@bp.get("/callback")
def callback() -> BaseResponse:
    client = _client()
    try:
        token = client.authorize_access_token()
        claims = token.get("userinfo")
        if not claims or not claims.get("sub"):
            raise services.SsoRefused(_("教育體系單一簽入服務沒有提供身分憑證"))
        subject = str(claims["sub"])
        info = services.fetch_eduinfo(token["access_token"], subject)
        issuer = str(client.load_server_metadata()["issuer"])
    except requests.RequestException:
        log.warning("sso: provider or eduinfo unreachable at the callback")
        return provider_down()
    except (AuthlibBaseError, JoseError, ValueError, KeyError) as error:
        log.warning("sso: callback refused (%s: %s)", type(error).__name__, error)
        return _back_to_login(_("單一簽入未完成：驗證資料不正確或已過期，請重新登入。"))
    except services.SsoRefused as error:
        return _back_to_login(str(error))
    teacher = services.linked_teacher(issuer, subject)
    if teacher is None:
        teacher = services.teacher_by_claim(dict(claims))
        if teacher is not None:
            services.link(teacher, issuer, subject, "national_id")
    if teacher is None:
        services.remember_pending(issuer, subject, info)
        flash(
            _("第一次以單一簽入服務登入：請以教師帳號密碼登入一次，完成帳號連結。"),
            "info",
        )
        return redirect(url_for("auth.teacher_login"), 303)
    roaming = services.roam(teacher, info)
    db.session.commit()
    sessions.begin(teacher)  # a fresh session (no fixation) with its clocks started
    services.notify(teacher, roaming)
    return redirect(url_for(policy.landing_endpoint(teacher)), 303)
