"""Configuration from the environment, with safe demo defaults and a production guard."""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# Demo secrets are public (they are in this file); production must replace them.
DEMO_SECRET_KEY = "demo-secret-key-do-not-use-in-production"  # noqa: S105 - public by design
DEMO_PERSONAL_DATA_KEY = "demo-personal-data-key-do-not-use-in-production"


class ConfigError(RuntimeError):
    """Raised when the app is started with settings that are unsafe or incomplete."""


def from_environment(env: os._Environ[str] | dict[str, str] | None = None) -> dict[str, object]:
    """Read every setting the app understands from the environment."""
    env = os.environ if env is None else env
    default_db = f"sqlite:///{ROOT / 'var' / 'app.sqlite3'}"
    return {
        "ENV_NAME": env.get("APP_ENV", "development"),
        "SECRET_KEY": env.get("SECRET_KEY", DEMO_SECRET_KEY),
        "PERSONAL_DATA_KEY": env.get("PERSONAL_DATA_KEY", DEMO_PERSONAL_DATA_KEY),
        "DATABASE_URL": env.get("DATABASE_URL", default_db),
        "REDIS_URL": env.get("REDIS_URL") or None,
        "PDF_CACHE_DIR": env.get("PDF_CACHE_DIR", str(ROOT / "var" / "pdf")),
        "CONTACT_PHONE": env.get("CONTACT_PHONE", "07-7258600"),
        "CONTACT_EMAIL": env.get("CONTACT_EMAIL", "inservice@mail.nknu.edu.tw"),
        "CONTACT_UNIT": env.get("CONTACT_UNIT", "國立高雄師範大學 全國教師在職進修資訊網"),
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
    "WTF_CSRF_TIME_LIMIT": 8 * 3600,  # a teacher may keep a plan open all afternoon
    "MAX_CONTENT_LENGTH": 512 * 1024,
    "BABEL_DEFAULT_LOCALE": "zh_Hant_TW",
    "BABEL_DEFAULT_TIMEZONE": "Asia/Taipei",
    "LOGIN_MAX_FAILURES": 5,
    "LOGIN_LOCK_MINUTES": 15,
    "LOGIN_RATE_LIMIT": "20 per minute",
    # argon2id parameters (RFC 9106 second recommended option); tests lower them.
    "ARGON2_TIME_COST": 3,
    "ARGON2_MEMORY_COST": 65536,
    "RATELIMIT_HEADERS_ENABLED": True,
}


def validate(config: dict[str, object]) -> None:
    """Refuse to run in production with demo secrets or without a real database."""
    if config.get("ENV_NAME") != "production":
        return
    problems = []
    if config.get("SECRET_KEY") in (None, "", DEMO_SECRET_KEY):
        problems.append("SECRET_KEY must be set to a private random value")
    if config.get("PERSONAL_DATA_KEY") in (None, "", DEMO_PERSONAL_DATA_KEY):
        problems.append("PERSONAL_DATA_KEY must be set to a private random value")
    if str(config.get("DATABASE_URL", "")).startswith("sqlite"):
        problems.append("DATABASE_URL must point at PostgreSQL in production")
    if problems:
        raise ConfigError("refusing to start in production: " + "; ".join(problems))
