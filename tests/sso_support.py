"""The single sign-on tests' provider and the browser's round trip through it: the
Provider handle (claims, eduinfo answers), the app's SSO settings for it, and the steps
start → authorize (the provider's consent) → our callback. The fixtures that start the
provider live in `tests.sso_fixtures`."""

from __future__ import annotations

import socket
import threading
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import requests
from sqlalchemy import func, select
from werkzeug.serving import make_server

from app.extensions import db

CLIENT_ID = "jinxiu-test"


@dataclass
class Provider:
    base: str
    eduinfo: dict[str, dict[str, Any]] = field(default_factory=dict)

    def set_claims(self, sub: str, claims: dict[str, Any]) -> None:
        response = requests.put(f"{self.base}/users/{sub}", json=claims, timeout=5)
        assert response.status_code == 204


def serve(wsgi: Any) -> tuple[Any, threading.Thread]:
    server = make_server("127.0.0.1", 0, wsgi, threaded=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.daemon = True
    thread.start()
    return server, thread


def sso_config(base: str) -> dict[str, Any]:
    return {
        "SSO_DISCOVERY_URL": f"{base}/.well-known/openid-configuration",
        "SSO_CLIENT_ID": CLIENT_ID,
        "SSO_CLIENT_SECRET": "test-client-secret",
        "SSO_SCOPES": "openid profile",
        "SSO_EDUINFO_URL": f"{base}/eduinfo",
        "SSO_NATIONAL_ID_CLAIM": "national_id",
    }


def start(client, path: str = "/sso/login") -> str:
    """Open the path that starts a flow; returns the provider's authorization URL."""
    response = client.get(path)
    assert response.status_code == 302
    return response.headers["Location"]


def authorize(location: str, sub: str) -> str:
    """The provider's consent step: returns our callback URL (path and query)."""
    answer = requests.post(location, data={"sub": sub}, allow_redirects=False, timeout=5)
    assert answer.status_code == 302, answer.text
    parts = urlsplit(answer.headers["Location"])
    return f"{parts.path}?{parts.query}"


def sign_in(client, sub: str, path: str = "/sso/login"):
    return client.get(authorize(start(client, path), sub))


def count(model: Any) -> int:
    return db.session.scalar(select(func.count()).select_from(model)) or 0


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
