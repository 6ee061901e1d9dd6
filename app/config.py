"""Configuration from the environment, with safe demo defaults and a production guard."""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# Demo secrets are public (they are in this file); production must replace them.
DEMO_SECRET_KEY = "demo-secret-key-do-not-use-in-production"  # noqa: S105 - public by design
DEMO_PERSONAL_DATA_KEY = "demo-personal-data-key-do-not-use-in-production"

# How long a PDF download waits for the worker's render before answering with the pending
# page (503, Retry-After): a render takes about a second, and a web thread held longer is
# one of the host's few (2 workers × 4 threads) kept from everyone else.
PDF_WAIT_SECONDS = 3


class ConfigError(RuntimeError):
    """Raised when the app is started with settings that are unsafe or incomplete."""


def _int(env: os._Environ[str] | dict[str, str], name: str, default: int) -> int:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    if not raw.isdigit():
        raise ConfigError(f"{name} must be a whole number ≥ 0")
    return int(raw)


def from_environment(env: os._Environ[str] | dict[str, str] | None = None) -> dict[str, object]:
    """Read every setting the app understands from the environment."""
    env = os.environ if env is None else env
    default_db = f"sqlite:///{ROOT / 'var' / 'app.sqlite3'}"
    return {
        "ENV_NAME": env.get("APP_ENV", "development"),
        "SECRET_KEY": env.get("SECRET_KEY", DEMO_SECRET_KEY),
        "PERSONAL_DATA_KEY": env.get("PERSONAL_DATA_KEY", DEMO_PERSONAL_DATA_KEY),
        # Several keys for rotation, newest first: "2:new-secret,1:old-secret".
        "PERSONAL_DATA_KEYS": env.get("PERSONAL_DATA_KEYS") or None,
        "TRUSTED_PROXIES": _int(env, "TRUSTED_PROXIES", 0),
        "SESSION_IDLE_MINUTES": _int(env, "SESSION_IDLE_MINUTES", 60),
        "SESSION_LIFETIME_HOURS": _int(env, "SESSION_LIFETIME_HOURS", 12),
        # Overload (app/overload.py): a request queued longer than this gets a polite 503
        # with Retry-After instead of a slow answer or a timeout; 0 turns the guard off.
        "QUEUE_TIMEOUT_MS": _int(env, "QUEUE_TIMEOUT_MS", 500),
        "RETRY_AFTER_SECONDS": _int(env, "RETRY_AFTER_SECONDS", 5),
        # Completion dashboards (app/stats/dashboards.py): how often a process re-reads
        # what their figures depend on; figures are at most this many seconds old.
        "DASHBOARD_CHECK_SECONDS": _int(env, "DASHBOARD_CHECK_SECONDS", 5),
        # PDF jobs (app/reports/jobs.py): the RQ queue, and how long a download waits for the
        # worker before the self-refreshing pending page (a web thread is never held longer).
        "JOBS_QUEUE": env.get("JOBS_QUEUE", "pdf"),
        "PDF_WAIT_SECONDS": _int(env, "PDF_WAIT_SECONDS", PDF_WAIT_SECONDS),
        "DATABASE_URL": env.get("DATABASE_URL", default_db),
        "REDIS_URL": env.get("REDIS_URL") or None,
        "SINGLE_PROCESS": env.get("SINGLE_PROCESS", "").strip().lower() in ("1", "true", "yes"),
        "PDF_CACHE_DIR": env.get("PDF_CACHE_DIR", str(ROOT / "var" / "pdf")),
        "CONTACT_PHONE": env.get("CONTACT_PHONE", "07-7258600"),
        "CONTACT_EMAIL": env.get("CONTACT_EMAIL", "inservice@mail.nknu.edu.tw"),
        "CONTACT_UNIT": env.get("CONTACT_UNIT", "國立高雄師範大學 全國教師在職進修資訊網"),
        # Outgoing mail (app/mail.py); without MAIL_SERVER the demo shows links on screen.
        "MAIL_SERVER": env.get("MAIL_SERVER") or None,
        "MAIL_PORT": int(env.get("MAIL_PORT") or 25),
        "MAIL_USE_TLS": env.get("MAIL_USE_TLS", "").lower() in ("1", "true", "yes"),
        "MAIL_USERNAME": env.get("MAIL_USERNAME") or None,
        "MAIL_PASSWORD": env.get("MAIL_PASSWORD") or None,
        "MAIL_SENDER": env.get("MAIL_SENDER", "進修規劃 <no-reply@inservice.edu.tw>"),
        # Nightly roster feeds (docs/feeds.md): refuse a file ending more than this share
        # of a source's current employments; where SQLite runs keep their lock files.
        "FEED_MAX_END_SHARE": float(env.get("FEED_MAX_END_SHARE", "0.2")),
        "FEED_LOCK_DIR": env.get("FEED_LOCK_DIR", str(ROOT / "var")),
        # 教育體系單一簽入服務 (OpenID Connect, docs/sso.md): off unless the discovery URL
        # and the client id are set.
        "SSO_DISCOVERY_URL": env.get("SSO_DISCOVERY_URL", ""),
        "SSO_CLIENT_ID": env.get("SSO_CLIENT_ID", ""),
        "SSO_CLIENT_SECRET": env.get("SSO_CLIENT_SECRET", ""),
        "SSO_SCOPES": env.get("SSO_SCOPES", "openid profile"),
        "SSO_TOKEN_AUTH_METHOD": env.get("SSO_TOKEN_AUTH_METHOD", "client_secret_basic"),
        "SSO_EDUINFO_URL": env.get("SSO_EDUINFO_URL", ""),
        "SSO_NATIONAL_ID_CLAIM": env.get("SSO_NATIONAL_ID_CLAIM", ""),
        "SSO_TIMEOUT": float(env.get("SSO_TIMEOUT", "5")),
    }


DEFAULTS: dict[str, object] = {
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    "WTF_CSRF_TIME_LIMIT": None,  # as long as the session: an open plan never goes stale
    "MAX_CONTENT_LENGTH": 512 * 1024,
    "BABEL_DEFAULT_LOCALE": "zh_Hant_TW",
    "BABEL_DEFAULT_TIMEZONE": "Asia/Taipei",
    # Five failures of one (account, client) pair lock that pair for 15 minutes; never
    # the account. An account failing from many clients is slowed down instead.
    "LOGIN_MAX_FAILURES": 5,
    "LOGIN_LOCK_MINUTES": 15,
    "LOGIN_SLOWDOWN_FAILURES": 10,  # failures of one account, any client, in the window
    "LOGIN_SLOWDOWN_WINDOW_MINUTES": 15,
    "LOGIN_SLOWDOWN_SECONDS": 2.0,  # added to every attempt on such an account
    "SESSION_WARNING_MINUTES": 2,  # the idle warning shows this long before sign-out
    "HSTS_MAX_AGE": 31536000,
    "LOGIN_RATE_LIMIT": "20 per minute",
    # argon2id parameters (RFC 9106 second recommended option); tests lower them.
    "ARGON2_TIME_COST": 3,
    "ARGON2_MEMORY_COST": 65536,
    "RATELIMIT_HEADERS_ENABLED": True,
}


def validate(config: dict[str, object]) -> None:
    """Refuse to run in production with demo secrets, without a real database or Redis."""
    if config.get("ENV_NAME") != "production":
        return
    problems = []
    if config.get("SECRET_KEY") in (None, "", DEMO_SECRET_KEY):
        problems.append("SECRET_KEY must be set to a private random value")
    keys = config.get("PERSONAL_DATA_KEYS")
    if keys:
        secrets = [entry.partition(":")[2] for entry in str(keys).split(",")]
        if any(secret.strip() in ("", DEMO_PERSONAL_DATA_KEY) for secret in secrets):
            problems.append("PERSONAL_DATA_KEYS must hold private random values only")
    elif config.get("PERSONAL_DATA_KEY") in (None, "", DEMO_PERSONAL_DATA_KEY):
        problems.append("PERSONAL_DATA_KEY must be set to a private random value")
    if str(config.get("DATABASE_URL", "")).startswith("sqlite"):
        problems.append("DATABASE_URL must point at PostgreSQL in production")
    # Without Redis each process keeps its own rate limits and renders PDFs inline: only
    # right for one process, so that mode must be asked for by name.
    if not config.get("REDIS_URL") and not config.get("SINGLE_PROCESS"):
        problems.append("REDIS_URL must be set (or SINGLE_PROCESS=1 for a one-process server)")
    if problems:
        raise ConfigError("refusing to start in production: " + "; ".join(problems))
