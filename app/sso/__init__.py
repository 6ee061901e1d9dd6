"""教育體系單一簽入服務 (OpenID Connect with Authlib) for teachers: sign-in, linking to an
existing teacher by a verified step, and the roaming update of the service school from
the eduinfo API (docs/sso.md). Off unless SSO_DISCOVERY_URL and SSO_CLIENT_ID are set."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Flask

bp = Blueprint("sso", __name__)

CLIENT = "sso_client"  # app.extensions key of the registered Authlib client


def configured(app: Flask) -> bool:
    """Whether single sign-on is configured (the sign-in page shows its button only then)."""
    return bool(app.config.get("SSO_DISCOVERY_URL") and app.config.get("SSO_CLIENT_ID"))


def init_app(app: Flask) -> None:
    """Register the OpenID client from the SSO_* settings (when configured)."""
    from authlib.integrations.flask_client import OAuth

    app.jinja_env.globals["sso_enabled"] = lambda: configured(app)
    if not configured(app):
        return
    oauth = OAuth(app)
    client_kwargs: dict[str, Any] = {
        "scope": app.config["SSO_SCOPES"],
        "token_endpoint_auth_method": app.config["SSO_TOKEN_AUTH_METHOD"],
        "code_challenge_method": "S256",  # PKCE
        "timeout": app.config["SSO_TIMEOUT"],
    }
    app.extensions[CLIENT] = oauth.register(
        "edu",
        client_id=app.config["SSO_CLIENT_ID"],
        client_secret=app.config["SSO_CLIENT_SECRET"] or None,
        server_metadata_url=app.config["SSO_DISCOVERY_URL"],
        client_kwargs=client_kwargs,
    )


from app.sso import routes  # noqa: E402,F401
