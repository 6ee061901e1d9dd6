"""Sign-in, lockout, logout replay, rate limits, CSRF and generic failure messages."""

from __future__ import annotations

from datetime import timedelta

import pytest

from app.extensions import db, limiter
from app.models import AccountStatus, AccountType, LoginAttempt
from tests.conftest import PASSWORD, login_account, login_teacher

GENERIC = "登入失敗：帳號或密碼不正確"


def test_teacher_signs_in_and_sees_school_and_masked_id(client, factory, clock):
    school = factory.school(name="高雄市立示範國民小學")
    teacher = factory.teacher(school, name="林老師")
    response = login_teacher(client, teacher)
    assert response.status_code == 303
    page = client.get("/teacher/").get_data(as_text=True)
    assert "林老師" in page
    assert "高雄市立示範國民小學" in page
    assert teacher.national_id_masked in page
    assert teacher.plain_national_id not in page


def test_account_signs_in_and_sees_school_and_types(client, factory):
    school = factory.school(name="高雄市立五福國民中學")
    account = factory.account(school, AccountType.PLANNING)
    assert login_account(client, account).status_code == 303
    page = client.get("/school/").get_data(as_text=True)
    assert "高雄市立五福國民中學" in page
    assert "進修規劃" in page


@pytest.mark.parametrize("password", ["wrong", PASSWORD.upper()])
def test_wrong_password_gets_generic_message(client, factory, password):
    account = factory.account(factory.school(), AccountType.CHIEF)
    response = login_account(client, account, password)
    body = response.get_data(as_text=True)
    assert response.status_code == 401
    assert "登入" in body
    assert GENERIC in body


def test_empty_password_is_explained_beside_the_field_and_not_counted(client, factory):
    account = factory.account(factory.school(), AccountType.CHIEF)
    response = login_account(client, account, "")
    body = response.get_data(as_text=True)
    assert response.status_code == 200  # the form's own answer, not a refused sign-in
    assert "請輸入密碼" in body
    assert 'id="password-error"' in body
    assert GENERIC not in body
    assert f'value="{account.username}"' in body  # what was typed is kept
    assert db.session.scalars(db.session.query(LoginAttempt).statement).all() == []
    assert login_account(client, account).status_code == 303


def test_unknown_user_gets_the_same_message(client, factory):
    response = client.post("/school/login", data={"username": "nobody", "password": "x"})
    assert response.status_code == 401
    assert GENERIC in response.get_data(as_text=True)


def test_unknown_teacher_id_gets_the_same_message(client):
    response = client.post("/teacher/login", data={"national_id": "A123456789", "password": "x"})
    body = response.get_data(as_text=True)
    assert response.status_code == 401
    assert GENERIC in body
    # The typed ID stays in its box (issue 9 item 3) and appears nowhere else.
    assert body.count("A123456789") == 1
    assert 'value="A123456789"' in body


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("A12345678", "長度應為 10 碼"),
        ("1123456789", "第 1 碼應為英文字母"),
        ("A123456780", "檢查碼不符"),
        ("", "請輸入身分證字號或居留證號"),
    ],
)
def test_malformed_teacher_id_is_explained_beside_the_field(client, value, message):
    response = client.post("/teacher/login", data={"national_id": value, "password": "x"})
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert message in body
    assert 'id="national_id-error"' in body
    assert 'aria-describedby="national_id-hint national_id-error"' in body
    if value:  # kept in its box so the typo can be seen (issue 9 item 3), nowhere else
        assert body.count(value) == 1
        assert f'value="{value}"' in body


def test_five_failures_lock_for_fifteen_minutes(client, factory, clock):
    account = factory.account(factory.school(), AccountType.CHIEF)
    for _ in range(5):
        assert login_account(client, account, "bad").status_code == 401
    # Even the right password is refused while this pair is locked.
    response = login_account(client, account)
    assert response.status_code == 401
    assert GENERIC in response.get_data(as_text=True)
    clock.set(clock.moment + timedelta(minutes=14, seconds=59))
    assert login_account(client, account).status_code == 401
    clock.set(clock.moment + timedelta(seconds=2))
    assert login_account(client, account).status_code == 303


def test_teacher_lockout_counts_per_teacher(client, factory):
    teacher = factory.teacher(factory.school())
    for _ in range(5):
        login_teacher(client, teacher, "bad")
    assert login_teacher(client, teacher).status_code == 401
    other = factory.teacher(factory.school())
    assert login_teacher(client, other).status_code == 303


@pytest.mark.parametrize(
    "status", [AccountStatus.APPLIED, AccountStatus.DISABLED, AccountStatus.DELETED]
)
def test_inactive_accounts_cannot_sign_in(client, factory, status):
    account = factory.account(factory.school(), AccountType.CHIEF, status=status)
    assert login_account(client, account).status_code == 401


def test_logout_ends_the_session_on_the_server(app, factory):
    teacher = factory.teacher(factory.school())
    client = app.test_client()
    login_teacher(client, teacher)
    assert client.get("/teacher/").status_code == 200
    captured = client.get_cookie("session").value
    assert client.post("/logout").status_code == 303
    replay = app.test_client()
    replay.set_cookie("session", captured)
    response = replay.get("/teacher/")
    assert response.status_code == 303
    assert "/teacher/login" in response.headers["Location"]


def test_pages_need_the_right_kind_of_user(client, factory):
    teacher = factory.teacher(factory.school())
    login_teacher(client, teacher)
    assert client.get("/school/").status_code == 403


@pytest.mark.parametrize("path", ["/teacher/", "/school/"])
def test_anonymous_is_sent_to_sign_in(client, path):
    response = client.get(path)
    assert response.status_code == 303
    assert "login" in response.headers["Location"]


def test_open_redirect_is_refused(client, factory):
    account = factory.account(factory.school(), AccountType.CHIEF)
    db.session.commit()
    response = client.post(
        "/school/login?next=//evil.example/",
        data={"username": account.username, "password": PASSWORD},
    )
    assert response.headers["Location"] == "/school/"


def test_attempts_are_recorded_without_the_id(client, factory):
    teacher = factory.teacher(factory.school())
    login_teacher(client, teacher, "bad")
    attempts = db.session.scalars(db.session.query(LoginAttempt).statement).all()
    assert attempts
    assert all(teacher.plain_national_id not in a.subject for a in attempts)


def test_missing_csrf_token_is_a_clear_400(make_app, factory):
    app = make_app(WTF_CSRF_ENABLED=True)
    client = app.test_client()
    response = client.post("/school/login", data={"username": "x", "password": "y"})
    assert response.status_code == 400
    assert "CSRF" in response.get_data(as_text=True)


def test_login_is_rate_limited_per_client(make_app, monkeypatch):
    # Flask-Limiter keeps `enabled` on the shared extension object: restore it afterwards
    # so the other tests' app stays unlimited.
    monkeypatch.setattr(limiter, "enabled", limiter.enabled)
    app = make_app(RATELIMIT_ENABLED=True, LOGIN_RATE_LIMIT="3 per minute")
    limiter.reset()  # Redis keeps counts between runs; start from zero
    client = app.test_client()
    codes = [
        client.post("/school/login", data={"username": "x", "password": "y"}).status_code
        for _ in range(4)
    ]
    assert codes[:3] == [401, 401, 401]
    assert codes[3] == 429
    assert "操作過於頻繁" in client.post("/school/login", data={}).get_data(as_text=True)


def test_oversized_fields_are_refused_politely(client):
    response = client.post("/school/login", data={"username": "x" * 5000, "password": "y"})
    assert response.status_code == 200
    assert "帳號最多 40 字" in response.get_data(as_text=True)


def test_oversized_request_is_413_page(client):
    response = client.post("/school/login", data={"username": "x" * 600_000})
    assert response.status_code == 413
    assert "資料過大" in response.get_data(as_text=True)
