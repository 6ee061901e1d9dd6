"""Single sign-on against a real OpenID provider (oidc-provider-mock on a werkzeug thread on
127.0.0.1, with an eduinfo route): the authorization-code flow with PKCE, state and nonce;
linking by a verified step; the roaming update; forged state and bad ID tokens; an unknown
school id; the provider down."""

from __future__ import annotations

import logging
import warnings
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from flask import Flask
from sqlalchemy import func, select

from app.extensions import db
from app.models import AuditEntry, EndReason, SsoIdentity, Teacher
from app.sso import CLIENT
from tests.conftest import PASSWORD
from tests.sso_support import (
    CLIENT_ID,
    authorize,
    closed_port,
    count,
    serve,
    sign_in,
    sso_config,
    start,
)

pytest_plugins = ["tests.sso_fixtures"]
pytestmark = pytest.mark.usefixtures("insecure_transport")


def _signed_in(client) -> bool:
    return client.get("/teacher/").status_code == 200


# ---- configuration and the flow -------------------------------------------------------------


def test_the_button_shows_only_when_configured(client, sso_client):
    assert "以教育體系單一簽入服務登入" not in client.get("/teacher/login").get_data(as_text=True)
    assert client.get("/sso/login").status_code == 404
    assert client.get("/sso/callback?code=x&state=y").status_code == 404
    page = sso_client.get("/teacher/login").get_data(as_text=True)
    assert "以教育體系單一簽入服務登入" in page
    assert 'href="/sso/login"' in page


def test_the_authorization_request_carries_pkce_state_and_nonce(sso_client):
    query = parse_qs(urlsplit(start(sso_client)).query)
    assert query["response_type"] == ["code"]
    assert query["client_id"] == [CLIENT_ID]
    assert query["code_challenge_method"] == ["S256"]
    assert len(query["code_challenge"][0]) >= 43
    assert query["state"][0]
    assert query["nonce"][0]
    assert "openid" in query["scope"][0].split()


def test_full_flow_links_by_national_id_claim(sso_client, provider, factory):
    school = factory.school(name="高雄市立甲國小")
    teacher = factory.teacher(school)
    db.session.commit()
    provider.set_claims("edu-1", {"national_id": teacher.plain_national_id, "name": "王小明"})
    provider.eduinfo["edu-1"] = {
        "schoolid": school.code,
        "titles": [{"schoolid": school.code, "titles": ["教師"]}],
    }
    response = sign_in(sso_client, "edu-1")
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/teacher/")
    assert _signed_in(sso_client)
    identity = db.session.scalar(select(SsoIdentity))
    assert identity is not None
    assert (identity.teacher_id, identity.subject, identity.linked_by) == (
        teacher.id,
        "edu-1",
        "national_id",
    )
    assert identity.issuer == provider.base
    assert len([e for e in teacher.employments if e.valid_to is None]) == 1  # same school
    assert count(Teacher) == 1
    # Signed out and in again: the link is used, no second identity.
    sso_client.post("/logout")
    assert sign_in(sso_client, "edu-1").status_code == 303
    assert count(SsoIdentity) == 1


def test_roaming_update_moves_the_service_school(sso_client, provider, factory):
    old = factory.school(name="高雄市立甲國小")
    new = factory.school(name="高雄市立乙國中")
    teacher = factory.teacher(old)
    db.session.commit()
    provider.set_claims("edu-2", {"national_id": teacher.plain_national_id})
    provider.eduinfo["edu-2"] = {
        "schoolid": new.code,
        "titles": [
            {"schoolid": old.code, "titles": ["導師"]},
            {"schoolid": new.code, "titles": ["教師", "組長"]},
        ],
    }
    response = sign_in(sso_client, "edu-2")
    assert response.status_code == 303
    db.session.refresh(teacher)
    ended, started = teacher.employments
    assert (ended.school_id, ended.end_reason) == (old.id, EndReason.TRANSFERRED)
    assert ended.valid_to is not None
    assert (started.school_id, started.title, started.valid_to) == (new.id, "教師、組長", None)
    assert started.valid_from == ended.valid_to
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "employment.roaming"))
    assert entry is not None
    assert entry.before is not None
    assert entry.before["school_id"] == old.id
    assert entry.after is not None
    assert entry.after["school_id"] == new.id
    landing = sso_client.get("/teacher/").get_data(as_text=True)
    assert "您的服務學校已更新為「高雄市立乙國中」" in landing  # the notice


def test_an_unknown_school_id_is_logged_and_changes_nothing(sso_client, provider, factory, caplog):
    school = factory.school()
    teacher = factory.teacher(school)
    db.session.commit()
    provider.set_claims("edu-3", {"national_id": teacher.plain_national_id})
    provider.eduinfo["edu-3"] = {"schoolid": "000000", "titles": []}
    with caplog.at_level(logging.WARNING, logger="app.sso.services"):
        response = sign_in(sso_client, "edu-3")
    assert response.status_code == 303
    assert _signed_in(sso_client)
    assert "unknown eduinfo school id" in caplog.text
    assert teacher.plain_national_id not in caplog.text
    db.session.refresh(teacher)
    assert [(e.school_id, e.valid_to) for e in teacher.employments] == [(school.id, None)]
    assert (
        db.session.scalar(
            select(func.count())
            .select_from(AuditEntry)
            .where(AuditEntry.action == "employment.roaming")
        )
        == 0
    )


# ---- linking by one password sign-in ---------------------------------------------------------


def test_first_sign_in_without_an_id_claim_links_after_a_passwordsign_in(
    sso_client, provider, factory
):
    old = factory.school(name="高雄市立甲國小")
    new = factory.school(name="高雄市立丙國小")
    teacher = factory.teacher(old)
    db.session.commit()
    provider.eduinfo["edu-4"] = {"schoolid": new.code, "titles": []}  # no national-ID claim
    response = sign_in(sso_client, "edu-4")
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/teacher/login")
    assert not _signed_in(sso_client)
    page = sso_client.get("/teacher/login").get_data(as_text=True)
    assert "請以教師帳號密碼登入一次" in page
    assert count(Teacher) == 1  # never a duplicate teacher
    assert count(SsoIdentity) == 0
    # A wrong password links nothing …
    wrong = sso_client.post(
        "/teacher/login", data={"national_id": teacher.plain_national_id, "password": "nope"}
    )
    assert wrong.status_code == 401
    assert count(SsoIdentity) == 0
    # … the pending link was spent by that attempt: start again, then sign in correctly.
    sign_in(sso_client, "edu-4")
    ok = sso_client.post(
        "/teacher/login", data={"national_id": teacher.plain_national_id, "password": PASSWORD}
    )
    assert ok.status_code == 303
    identity = db.session.scalar(select(SsoIdentity))
    assert identity is not None
    assert (identity.teacher_id, identity.linked_by) == (teacher.id, "password")
    db.session.refresh(teacher)
    assert [e.school_id for e in teacher.employments if e.valid_to is None] == [new.id]
    sso_client.post("/logout")
    # From now on single sign-on alone signs the teacher in.
    assert sign_in(sso_client, "edu-4").headers["Location"].endswith("/teacher/")
    assert count(Teacher) == 1


def test_an_id_claim_of_no_known_teacher_creates_nobody(sso_client, provider, factory):
    school = factory.school()
    db.session.commit()
    provider.set_claims("edu-5", {"national_id": "A123456789"})
    provider.eduinfo["edu-5"] = {"schoolid": school.code, "titles": []}
    response = sign_in(sso_client, "edu-5")
    assert response.headers["Location"].endswith("/teacher/login")
    assert count(Teacher) == 0
    assert count(SsoIdentity) == 0


# ---- what an attacker or a broken provider sends ---------------------------------------------


def test_a_forged_state_is_refused(sso_client, provider, factory, caplog):
    teacher = factory.teacher(factory.school())
    db.session.commit()
    provider.set_claims("edu-6", {"national_id": teacher.plain_national_id})
    callback = authorize(start(sso_client), "edu-6")
    forged = callback.replace("state=", "state=forged")
    with caplog.at_level(logging.WARNING, logger="app.sso.routes"):
        response = sso_client.get(forged)
    assert "MismatchingStateError" in caplog.text
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/teacher/login")
    assert "驗證資料不正確或已過期" in sso_client.get("/teacher/login").get_data(as_text=True)
    assert not _signed_in(sso_client)
    assert count(SsoIdentity) == 0


def _with_token(monkeypatch, sso_app, change) -> None:
    """Let the token exchange happen, then hand the app a changed token."""
    client = sso_app.extensions[CLIENT]
    real = client.fetch_access_token

    def fetch(**kwargs):
        return change(real(**kwargs))

    monkeypatch.setattr(client, "fetch_access_token", fetch)


def _refused(sso_client) -> None:
    assert "驗證資料不正確或已過期" in sso_client.get("/teacher/login").get_data(as_text=True)
    assert not _signed_in(sso_client)
    assert count(SsoIdentity) == 0


def test_a_tampered_id_token_is_refused(
    sso_app, sso_client, provider, factory, monkeypatch, caplog
):
    teacher = factory.teacher(factory.school())
    db.session.commit()
    provider.set_claims("edu-7", {"national_id": teacher.plain_national_id})

    def tamper(token):
        header, payload, signature = token["id_token"].split(".")
        flipped = payload[:-2] + ("A" if payload[-2] != "A" else "B") + payload[-1]
        return {**token, "id_token": f"{header}.{flipped}.{signature}"}

    _with_token(monkeypatch, sso_app, tamper)
    with caplog.at_level(logging.WARNING, logger="app.sso.routes"):
        response = sign_in(sso_client, "edu-7")
    assert "BadSignatureError" in caplog.text
    assert response.headers["Location"].endswith("/teacher/login")
    _refused(sso_client)


def test_an_id_token_for_another_audience_is_refused(
    sso_app, sso_client, provider, factory, monkeypatch, caplog
):
    teacher = factory.teacher(factory.school())
    db.session.commit()
    provider.set_claims("edu-8", {"national_id": teacher.plain_national_id})
    location = start(sso_client)
    ours = parse_qs(urlsplit(location).query)
    # The same provider issues a genuine token to another client (another audience) …
    other = location.replace(f"client_id={CLIENT_ID}", "client_id=another-service")
    other = other.replace("code_challenge=", "x_challenge=").replace(
        "code_challenge_method=S256", "x=1"
    )
    code = parse_qs(urlsplit(authorize(other, "edu-8")).query)["code"][0]
    foreign = requests.post(
        f"{provider.base}/oauth2/token",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": ours["redirect_uri"][0],
            "client_id": "another-service",
            "client_secret": "x",
        },
        timeout=5,
    ).json()
    assert "id_token" in foreign
    # … and an attacker swaps it in for ours.
    _with_token(monkeypatch, sso_app, lambda token: {**token, **foreign})
    with caplog.at_level(logging.WARNING, logger="app.sso.routes"):
        sso_client.get(authorize(location, "edu-8"))
    # Authlib's audience rules: our client id is not the audience (nor the authorised party).
    assert "'azp'" in caplog.text or "'aud'" in caplog.text
    _refused(sso_client)


def test_an_expired_id_token_is_refused(make_app, app, factory, caplog):
    """A provider whose tokens expire before they arrive (five minutes, beyond the leeway)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import oidc_provider_mock

        stale: Flask = oidc_provider_mock.app(access_token_max_age=timedelta(minutes=-5))
    server, thread = serve(stale)
    try:
        base = f"http://127.0.0.1:{server.server_port}"
        teacher = factory.teacher(factory.school())
        db.session.commit()
        claims = {"national_id": teacher.plain_national_id}
        assert requests.put(f"{base}/users/edu-9", json=claims, timeout=5).status_code == 204
        client = make_app(**sso_config(base)).test_client()
        with caplog.at_level(logging.WARNING, logger="app.sso.routes"):
            response = client.get(authorize(start(client), "edu-9"))
        assert "ExpiredTokenError" in caplog.text
        assert response.headers["Location"].endswith("/teacher/login")
        _refused(client)
    finally:
        server.shutdown()
        thread.join(5)


def test_provider_down_keeps_password_sign_in_working(make_app, app, factory):
    teacher = factory.teacher(factory.school())
    db.session.commit()
    down = make_app(**sso_config(f"http://127.0.0.1:{closed_port()}"))
    client = down.test_client()
    response = client.get("/sso/login")
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/teacher/login")
    page = client.get("/teacher/login").get_data(as_text=True)
    assert "教育體系單一簽入服務目前無法連線" in page
    assert "改用教師帳號密碼登入" in page
    signed = client.post(
        "/teacher/login", data={"national_id": teacher.plain_national_id, "password": PASSWORD}
    )
    assert signed.status_code == 303
    assert client.get("/teacher/").status_code == 200


def test_eduinfo_down_at_the_callback_signs_nobody_in(
    sso_app, sso_client, provider, factory, monkeypatch
):
    teacher = factory.teacher(factory.school())
    db.session.commit()
    provider.set_claims("edu-10", {"national_id": teacher.plain_national_id})
    monkeypatch.setitem(
        sso_app.config, "SSO_EDUINFO_URL", f"http://127.0.0.1:{closed_port()}/eduinfo"
    )
    response = sign_in(sso_client, "edu-10")
    assert response.headers["Location"].endswith("/teacher/login")
    assert "目前無法連線" in sso_client.get("/teacher/login").get_data(as_text=True)
    assert not _signed_in(sso_client)
    assert count(SsoIdentity) == 0
