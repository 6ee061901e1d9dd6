"""A real OpenID provider for the single sign-on tests: oidc-provider-mock on a werkzeug
thread on 127.0.0.1, with an eduinfo route.

A plugin (`pytest_plugins = ["tests.sso_fixtures"]` in the test modules that need it), so
the provider is started once per test session whichever of them runs; nothing here is
autouse: the modules ask for `insecure_transport` themselves."""

from __future__ import annotations

import warnings
from collections.abc import Iterator

import pytest
import requests
from flask import Flask, jsonify, request

from tests.sso_support import Provider, serve, sso_config


@pytest.fixture(scope="session")
def provider() -> Iterator[Provider]:
    with warnings.catch_warnings():  # the mock imports Authlib's deprecated jose module
        warnings.simplefilter("ignore")
        import oidc_provider_mock

        mock: Flask = oidc_provider_mock.app(require_nonce=True)
    server, thread = serve(mock)
    state = Provider(base=f"http://127.0.0.1:{server.server_port}")

    def eduinfo():
        """The eduinfo API: a bearer GET, the token checked by the provider's userinfo."""
        auth = request.headers.get("Authorization", "")
        check = requests.get(f"{state.base}/userinfo", headers={"Authorization": auth}, timeout=5)
        if check.status_code != 200:
            return jsonify(error="invalid_token"), 401
        sub = check.json()["sub"]
        if sub not in state.eduinfo:
            return jsonify(error="not_found"), 404
        return jsonify({"sub": sub, **state.eduinfo[sub]})

    mock.add_url_rule("/eduinfo", "eduinfo", eduinfo)
    yield state
    server.shutdown()
    thread.join(5)


@pytest.fixture
def insecure_transport(monkeypatch):
    # The test provider speaks plain HTTP on 127.0.0.1; production issuers use HTTPS.
    monkeypatch.setenv("AUTHLIB_INSECURE_TRANSPORT", "1")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # inside the mock's threads
        yield


@pytest.fixture(scope="session")
def sso_app(make_app, provider) -> Flask:
    return make_app(**sso_config(provider.base))


@pytest.fixture
def sso_client(sso_app, app):
    return sso_app.test_client()
