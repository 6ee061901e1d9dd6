"""進修規劃: the application factory holds all wiring."""

from __future__ import annotations

from typing import Any

from flask import Flask, current_app, has_request_context, request, session
from werkzeug.middleware.proxy_fix import ProxyFix

from app import config as app_config
from app import timeutil
from app.extensions import babel, csrf, db, limiter, login_manager


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
    # Overload: a request that queued too long is refused politely before any other hook.
    from app import overload

    overload.init_app(app)

    # 2. Database first: everything below may need a session.
    db.init_app(app)

    # 3. Security: passwords, personal-data vault, CSRF, sign-in, rate limits.
    from app import errors, params, security
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
    login_manager.unauthorized_handler(errors.unauthorized)
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

    from app import i18n, policy
    from app.questionnaires import markup

    i18n.install(app.jinja_env)
    policy.install(app.jinja_env)  # `may(action, obj)` decides which links a page shows

    app.jinja_env.globals["get_locale"] = get_locale
    markup.install(app.jinja_env)
    app.jinja_env.filters.update(roc_time=timeutil.roc_time)  # roc_date(time): app/i18n.py
    app.jinja_env.globals.update(
        contact=lambda: {
            "unit": app.config["CONTACT_UNIT"],
            "phone": app.config["CONTACT_PHONE"],
            "email": app.config["CONTACT_EMAIL"],
        }
    )

    # 5. Features: each blueprint owns its URL space. Every view runs in the request
    #    lifecycle (app/lifecycle.py) under an action of the policy table (app/policy.py).
    from app.accounts import bp as accounts_bp
    from app.audit_log import bp as audit_log_bp
    from app.auth import bp as auth_bp
    from app.authority import bp as authority_bp
    from app.courses import bp as courses_bp
    from app.feeds import bp as feeds_bp
    from app.main import bp as main_bp
    from app.operator import bp as operator_bp
    from app.oversight import bp as oversight_bp
    from app.plans import bp as plans_bp
    from app.profile import bp as profile_bp
    from app.region import bp as region_bp
    from app.reports import bp as reports_bp
    from app.roster_admin import bp as roster_admin_bp
    from app.school import bp as school_bp
    from app.teacher import bp as teacher_bp

    app.register_blueprint(main_bp)
    app.register_blueprint(auth_bp)
    app.register_blueprint(school_bp, url_prefix="/school")
    app.register_blueprint(teacher_bp, url_prefix="/teacher")
    app.register_blueprint(region_bp, url_prefix="/region")
    app.register_blueprint(authority_bp, url_prefix="/authority")
    app.register_blueprint(operator_bp, url_prefix="/operator")
    app.register_blueprint(feeds_bp, url_prefix="/operator/sync-runs")
    from app import sso

    sso.init_app(app)  # the OpenID client, when SSO_* is configured
    app.register_blueprint(sso.bp, url_prefix="/sso")
    app.register_blueprint(oversight_bp, url_prefix="/oversight")
    app.register_blueprint(reports_bp, url_prefix="/manuals")  # and subscribes to events
    app.register_blueprint(plans_bp)  # /plans/token, /plans/signed-in
    app.register_blueprint(accounts_bp)  # /school/apply, /school/accounts…, /region/schools…
    app.register_blueprint(courses_bp, url_prefix="/school/courses")
    app.register_blueprint(audit_log_bp)  # /school/audit, /region/audit, /operator/audit
    app.register_blueprint(roster_admin_bp, url_prefix="/school/roster")
    app.register_blueprint(profile_bp)  # /account/…, /password/…; mails application notices
    from app.history import bp as history_bp

    app.register_blueprint(history_bp)  # /teacher/plans/…, /school/plans/…: plan history
    # operator console: 最新消息 (the cycle pages are in the operator blueprint)
    from app.announcements import bp as announcements_bp

    app.register_blueprint(announcements_bp, url_prefix="/operator/announcements")
    # oversight actions: 延長填寫 and 催填 (/oversight/extensions/…, /oversight/reminders/…)
    from app.deadlines import bp as deadlines_bp
    from app.reminders import bp as reminders_bp

    app.register_blueprint(deadlines_bp, url_prefix="/oversight/extensions")
    app.register_blueprint(reminders_bp, url_prefix="/oversight/reminders")
    from app.analytics import bp as analytics_bp

    app.register_blueprint(analytics_bp)  # /oversight/analytics, /school/analytics

    # 6. Error answers in zh-TW through the htmx gate (app/errors.py); never a traceback.
    #    Security headers on every response.
    errors.register(app)
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
    from app.feeds import register_feed_commands
    from app.reports.jobs import register_job_commands

    register_commands(app)
    register_job_commands(app)
    register_feed_commands(app)
    return app


# Scripts and styles only from our own origin: no inline style attributes (classes in
# app.css), and htmx's indicator style is in app.css too (includeIndicatorCSS: false).
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; "
    "img-src 'self' data:; font-src 'self'; connect-src 'self'; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'self'; object-src 'none'"
)


def _security_headers(response):
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
