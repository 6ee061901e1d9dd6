"""進修規劃: the application factory holds all wiring."""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, has_request_context, render_template, request, session
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException
from werkzeug.middleware.proxy_fix import ProxyFix

from app import config as app_config
from app import timeutil
from app.extensions import babel, csrf, db, limiter, login_manager

log = logging.getLogger(__name__)


def select_locale() -> str:
    """zh_Hant_TW unless English was chosen; browsers say zh-TW, which we match explicitly."""
    if not has_request_context():
        return "zh_Hant_TW"  # CLI, jobs and PDFs outside a request speak zh-TW
    chosen = session.get("lang")
    if chosen in ("zh_Hant_TW", "en"):
        return chosen
    for value, _quality in request.accept_languages:
        tag = value.lower().replace("_", "-")
        if tag.startswith("zh"):
            return "zh_Hant_TW"
        if tag.startswith("en"):
            return "en"
    return "zh_Hant_TW"


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Build the app: settings, extensions, filters, blueprints, error pages, commands."""
    app = Flask(
        __name__,
        template_folder=str(app_config.ROOT / "templates"),
        static_folder=str(app_config.ROOT / "static"),
        instance_path=str(app_config.ROOT / "instance"),
    )

    # 1. Settings: defaults, then the environment, then the caller's overrides; then refuse
    #    unsafe production settings before anything connects anywhere.
    app.config.update(app_config.DEFAULTS)
    app.config.update(app_config.from_environment())
    app.config.update(config or {})
    app_config.validate(app.config)
    if app.config["ENV_NAME"] == "production":
        app.config["SESSION_COOKIE_SECURE"] = True
    # Behind TRUSTED_PROXIES reverse proxies, the client and scheme are the ones they
    # forwarded; with 0, X-Forwarded-* headers are ignored (anyone can forge them).
    if app.config["TRUSTED_PROXIES"]:
        hops = int(app.config["TRUSTED_PROXIES"])
        # Flask's documented way to wrap the WSGI app; its stub declares a method.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)  # type: ignore[method-assign]

    # 2. Database first: everything below may need a session.
    db.init_app(app)

    # 3. Security: passwords, personal-data vault, CSRF, sign-in, rate limits.
    from app import params, security
    from app.auth import sessions
    from app.auth.services import load_user

    security.init_app(app)
    params.init_app(app)  # path converters and the control-character guard
    csrf.init_app(app)
    login_manager.init_app(app)
    login_manager.user_loader(load_user)
    login_manager.session_protection = "basic"
    login_manager.login_message = "請先登入。"
    login_manager.login_message_category = "info"
    login_manager.unauthorized_handler(_unauthorized)
    app.config.setdefault("RATELIMIT_STORAGE_URI", app.config["REDIS_URL"] or "memory://")
    limiter.init_app(app)
    sessions.init_app(app)  # idle timeout and absolute lifetime

    # 4. Language and templates.
    babel.init_app(
        app,
        locale_selector=select_locale,
        default_translation_directories=str(app_config.ROOT / "translations"),
    )
    from flask_babel import get_locale

    from app import i18n
    from app.questionnaires import markup

    i18n.install(app.jinja_env)

    app.jinja_env.globals["get_locale"] = get_locale
    markup.install(app.jinja_env)
    app.jinja_env.filters.update(
        roc_date=timeutil.roc_date,
        roc_datetime=timeutil.roc_datetime,
        roc_time=timeutil.roc_time,
    )
    app.jinja_env.globals.update(
        contact=lambda: {
            "unit": app.config["CONTACT_UNIT"],
            "phone": app.config["CONTACT_PHONE"],
            "email": app.config["CONTACT_EMAIL"],
        }
    )

    # 5. Features.
    from app.auth import bp as auth_bp
    from app.main import bp as main_bp
    from app.reports import bp as reports_bp
    from app.school import bp as school_bp
    from app.teacher import bp as teacher_bp

    app.register_blueprint(main_bp)
    app.register_blueprint(auth_bp)
    app.register_blueprint(school_bp, url_prefix="/school")
    app.register_blueprint(teacher_bp, url_prefix="/teacher")
    app.register_blueprint(reports_bp)  # its own paths: /manuals/…, /teacher/…pdf, /school/…

    # 6. Error pages in zh-TW; never a traceback. Security headers on every response.
    _register_error_pages(app)
    app.after_request(_security_headers)

    # 7. PDFs: HarfBuzz subsetting and the CJK font must be there (about 24x slower and
    #    the wrong face without them); production refuses to start otherwise.
    from app.pdf import check_pdf_environment

    production = app.config["ENV_NAME"] == "production"
    app.config.setdefault("REQUIRE_HARFBUZZ", production)
    app.config.setdefault("REQUIRE_CJK_FONT", production)
    check_pdf_environment(app)

    # 8. Commands.
    from app.cli import register_commands
    from app.reports.jobs import register_job_commands

    register_commands(app)
    register_job_commands(app)
    return app


def _unauthorized():
    from flask import redirect, url_for

    from app import htmx

    # By path, not blueprint: /teacher/plan.pdf belongs to the reports blueprint.
    realm = "teacher" if request.path.startswith("/teacher/") else "school"
    target = url_for(f"auth.{realm}_login", next=request.full_path.rstrip("?"))
    if htmx.is_partial():
        return htmx.redirect_to(target)
    return redirect(target, 303)


# Scripts and styles only from our own origin: no inline style attributes (classes in
# app.css), and htmx's indicator style is in app.css too (includeIndicatorCSS: false).
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; "
    "img-src 'self' data:; font-src 'self'; connect-src 'self'; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'self'; object-src 'none'"
)


def _security_headers(response):
    from flask import current_app
    from flask_login import current_user

    headers = response.headers
    headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "same-origin")
    headers.setdefault("X-Frame-Options", "DENY")
    if current_app.config["ENV_NAME"] == "production":
        max_age = current_app.config["HSTS_MAX_AGE"]
        headers.setdefault("Strict-Transport-Security", f"max-age={max_age}; includeSubDomains")
    # Signed-in pages and fragments hold personal data: never kept by a browser or proxy.
    if request.endpoint != "static" and current_user.is_authenticated:
        headers["Cache-Control"] = "no-store"
        headers.pop("Expires", None)
    return response


ERROR_TEXT = {
    400: (_l("請求無法處理"), _l("送出的資料格式不正確，請回上一頁重新操作。")),
    403: (_l("沒有權限"), _l("您沒有檢視或變更這項資料的權限。")),
    404: (_l("找不到頁面"), _l("您要找的頁面不存在，或已被移除。")),
    405: (_l("不支援的操作"), _l("這個網址不接受此種操作。")),
    413: (_l("資料過大"), _l("送出的資料超過上限，請縮短內容後再試。")),
    429: (_l("操作過於頻繁"), _l("短時間內嘗試次數過多，請稍候一分鐘再試。")),
    500: (_l("系統發生錯誤"), _l("系統暫時無法處理您的要求，已記錄此問題，請稍後再試。")),
}


def _register_error_pages(app: Flask) -> None:
    def render_error(status: int, detail: str | None = None, reference: str | None = None):
        title, text = ERROR_TEXT.get(status, ERROR_TEXT[400 if status < 500 else 500])
        return render_template(
            "error.html", status=status, title=title, text=detail or text, reference=reference
        ), status

    @app.errorhandler(CSRFError)
    def csrf_error(_error: CSRFError):
        return render_error(
            400,
            _l(
                "表單已過期或缺少安全驗證碼（CSRF），請重新整理頁面後再送出。"
                "您輸入的內容若未儲存，請先複製保留。"
            ),
        )

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        return render_error(error.code or 500)

    @app.errorhandler(Exception)
    def unexpected(error: Exception):
        from app.errorlog import record_error

        reference = record_error(error)
        db.session.rollback()
        return render_error(500, reference=reference)
