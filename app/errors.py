"""Every error answer, through the htmx gate.

A plain request gets the error page (templates/error.html). An htmx request gets a small
alert fragment (templates/errors/_alert.html) retargeted to the page's status area
(`STATUS_AREA`, defined once in templates/base.html), never a whole page swapped into a
field. Each answer names its reason in a stable `data-error` attribute the scripts and
tests read ("csrf", "session-ended", "forbidden", "not-found", …).

The unauthorised handler lives here too: a plain request is sent to sign in (303); an
htmx request whose session has ended gets 401 and the "session-ended" fragment, so the
page keeps what was typed and can offer to sign in again.
"""

from __future__ import annotations

import logging

from flask import (
    Flask,
    Response,
    current_app,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response as BaseResponse

from app import htmx
from app.errorlog import record_error
from app.extensions import db
from app.plans import resume

log = logging.getLogger(__name__)

STATUS_AREA = "status-area"  # the id of the status area in templates/base.html

ERROR_TEXT = {
    400: (_l("請求無法處理"), _l("送出的資料格式不正確，請回上一頁重新操作。")),
    401: (_l("請重新登入"), _l("您的登入已結束，請重新登入後再繼續；尚未儲存的內容仍在頁面上。")),
    403: (_l("沒有權限"), _l("您沒有檢視或變更這項資料的權限。")),
    404: (_l("找不到頁面"), _l("您要找的頁面不存在，或已被移除。")),
    405: (_l("不支援的操作"), _l("這個網址不接受此種操作。")),
    409: (_l("資料已變更"), _l("這項資料已在別處變更，請重新整理頁面後再試。")),
    413: (_l("資料過大"), _l("送出的資料超過上限，請縮短內容後再試。")),
    429: (_l("操作過於頻繁"), _l("短時間內嘗試次數過多，請稍候一分鐘再試。")),
    500: (_l("系統發生錯誤"), _l("系統暫時無法處理您的要求，已記錄此問題，請稍後再試。")),
}

REASONS = {
    400: "bad-request",
    401: "session-ended",
    403: "forbidden",
    404: "not-found",
    405: "method-not-allowed",
    409: "conflict",
    413: "too-large",
    429: "too-many-requests",
    500: "server-error",
}

CSRF_TEXT = _l(
    "表單已過期或缺少安全驗證碼（CSRF），請重新整理頁面後再送出。"
    "您輸入的內容若未儲存，請先複製保留。"
)


def render_error(
    status: int,
    *,
    detail: str | None = None,
    reason: str | None = None,
    reference: str | None = None,
) -> Response:
    """The error answer: the page, or for htmx the alert fragment in the status area."""
    known = status if status in ERROR_TEXT else (400 if status < 500 else 500)
    title, text = ERROR_TEXT[known]
    context = {
        "status": status,
        "title": title,
        "text": detail or text,
        "reason": reason or REASONS[known],
        "sign_in_url": _sign_in_url() if status == 401 else None,
        "reference": reference,  # an unexpected error's code in the log (app.errorlog)
    }
    if htmx.is_partial():
        response = make_response(render_template("errors/_alert.html", **context), status)
        response.headers["HX-Retarget"] = f"#{STATUS_AREA}"
        response.headers["HX-Reswap"] = "innerHTML"
    else:
        response = make_response(render_template("error.html", **context), status)
    response.headers.add("Vary", "HX-Request")
    return response


def _sign_in_url() -> str:
    # By path: the teacher's pages sign in as a teacher, everything else as an account.
    realm = "teacher" if request.path.startswith("/teacher/") else "school"
    return url_for(f"auth.{realm}_login", next=resume.landing(request.full_path.rstrip("?")))


def unauthorized() -> BaseResponse:
    """Not signed in (or the session ended): sign in, or say so in place for htmx."""
    if htmx.is_partial():
        return render_error(401)
    if (kept := resume.keep_typed_answers()) is not None:  # a plan's typed answers
        return kept
    return redirect(_sign_in_url(), 303)


def register(app: Flask) -> None:
    """Install the error handlers: every error answer in zh-TW, never a traceback."""

    @app.errorhandler(CSRFError)
    def csrf_error(_error: CSRFError) -> Response:
        if (kept := resume.keep_typed_answers()) is not None:  # a plan's typed answers
            return kept
        return render_error(400, detail=str(CSRF_TEXT), reason="csrf")

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> Response:
        if error.code == 413:  # say what the limit is (a questionnaire upload, a long form)
            limit = int(current_app.config.get("MAX_CONTENT_LENGTH") or 0) // 1024
            detail = str(_l("送出的資料或檔案超過上限（%(kb)s KB），請縮小檔案後再試。", kb=limit))
            return render_error(413, detail=detail)
        return render_error(error.code or 500)

    @app.errorhandler(Exception)
    def unexpected(error: Exception) -> Response:
        # Logged under a reference code, with no message or bound parameters (app.errorlog).
        reference = record_error(error)
        db.session.rollback()
        return render_error(500, reference=reference)
