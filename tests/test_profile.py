"""One's own password and contact data; forgotten passwords; reset links; sessions ending."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from app import onetime
from app.extensions import db
from app.models import AccountType, AuditEntry, LinkPurpose, OneTimeLink
from app.profile import services
from app.security import verify_password
from tests.conftest import PASSWORD, login_account, login_teacher

NEW = "Quiet-river-4821"


def _change(client, current=PASSWORD, new=NEW, again=None):
    return client.post(
        "/account/password",
        data={"current_password": current, "new_password": new, "new_password_again": again or new},
    )


def _error(page: str, field: str) -> str:
    found = re.search(rf'id="{field}-error">([^<]*)<', page)
    assert found, f"no error beside {field}"
    return found.group(1)


# ---- services ---------------------------------------------------------------------------


def test_change_password_service(factory):
    teacher = factory.teacher(factory.school())
    token = teacher.session_token
    with pytest.raises(services.ProfileError) as wrong:
        services.change_password(teacher, "not-my-password", NEW)
    assert wrong.value.field == "current_password"
    with pytest.raises(services.ProfileError) as same:
        services.change_password(teacher, PASSWORD, PASSWORD)
    assert same.value.field == "new_password"
    with pytest.raises(services.ProfileError) as personal:
        services.change_password(teacher, PASSWORD, "x" + teacher.plain_national_id.lower())
    assert "身分證字號" in personal.value.message
    services.change_password(teacher, PASSWORD, NEW)
    assert verify_password(teacher.password_hash, NEW)
    assert teacher.session_token != token
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "password.change"))
    assert entry.actor == f"teacher:{teacher.id}"


def test_use_link_service_sets_the_password_once(factory):
    teacher = factory.teacher(factory.school())
    token = teacher.session_token
    issued = onetime.issue(teacher, LinkPurpose.RESET)
    with pytest.raises(services.ProfileError):
        services.use_link(issued.token, "short")
    assert onetime.find(issued.token)  # a refused password does not spend the link
    services.use_link(issued.token, NEW)
    assert verify_password(teacher.password_hash, NEW)
    assert teacher.session_token != token
    with pytest.raises(onetime.LinkRefused):
        services.use_link(issued.token, NEW + "x")


# ---- changing one's own password ---------------------------------------------------------


def test_anonymous_users_are_sent_to_sign_in(client):
    for path in ("/account/password", "/account/contact"):
        response = client.get(path)
        assert response.status_code in (302, 303)
        assert "/login" in response.headers["Location"]


@pytest.mark.parametrize(
    ("kwargs", "field", "message"),
    [
        ({"current": "wrong-password-1"}, "current_password", "目前的密碼不正確"),
        ({"new": "short", "again": "short"}, "new_password", "至少需要 10 個字元"),
        ({"new": "1111111111", "again": "1111111111"}, "new_password", "太容易猜到"),
        ({"again": "Something-else-99"}, "new_password_again", "兩次輸入的新密碼不一致"),
    ],
)
def test_bad_password_changes_are_refused_beside_the_field(client, factory, kwargs, field, message):
    teacher = factory.teacher(factory.school())
    login_teacher(client, teacher)
    response = _change(client, **kwargs)
    assert response.status_code == 422
    assert message in _error(response.get_data(as_text=True), field)
    db.session.refresh(teacher)
    assert verify_password(teacher.password_hash, PASSWORD)


def test_a_password_change_ends_every_other_session(app, factory):
    teacher = factory.teacher(factory.school())
    here, elsewhere = app.test_client(), app.test_client()
    login_teacher(here, teacher)
    login_teacher(elsewhere, teacher)
    assert elsewhere.get("/teacher/").status_code == 200
    response = _change(here)
    assert response.status_code == 303
    assert response.headers["Location"] == "/teacher/"
    assert here.get("/teacher/").status_code == 200  # this session goes on
    ended = elsewhere.get("/teacher/")
    assert ended.status_code in (302, 303)
    assert "/login" in ended.headers["Location"]
    teacher_again = db.session.merge(teacher)
    assert login_teacher(elsewhere, teacher_again, NEW).status_code == 303


def test_a_business_account_changes_its_password(app, factory):
    account = factory.account(factory.school(), AccountType.PLANNING, username="planner77")
    here, elsewhere = app.test_client(), app.test_client()
    login_account(here, account)
    login_account(elsewhere, account)
    refused = _change(here, new="planner77-and-more", again="planner77-and-more")
    assert "帳號" in _error(refused.get_data(as_text=True), "new_password")
    assert _change(here).status_code == 303
    assert here.get("/school/").status_code == 200
    assert elsewhere.get("/school/").status_code in (302, 303)
    assert login_account(elsewhere, account, NEW).status_code == 303


# ---- contact data --------------------------------------------------------------------------


def test_contact_data(client, factory):
    teacher = factory.teacher(factory.school())
    login_teacher(client, teacher)
    bad = client.post("/account/contact", data={"email": "nobody at all", "phone": "abc"})
    page = bad.get_data(as_text=True)
    assert bad.status_code == 422
    assert "電子郵件格式不正確" in _error(page, "email")
    assert "電話只可包含數字" in _error(page, "phone")
    assert 'value="nobody at all"' in page
    too_long = client.post("/account/contact", data={"email": "a" * 120 + "@x.tw"})
    assert "最多 120 字" in _error(too_long.get_data(as_text=True), "email")
    ok = client.post("/account/contact", data={"email": "me@school.edu.tw", "phone": "07-1234567"})
    assert ok.status_code == 303
    db.session.refresh(teacher)
    assert (teacher.email, teacher.phone) == ("me@school.edu.tw", "07-1234567")
    assert 'value="me@school.edu.tw"' in client.get("/account/contact").get_data(as_text=True)


# ---- forgotten passwords -------------------------------------------------------------------


def test_the_sign_in_page_links_to_forgot_password(client):
    assert "/password/forgot" in client.get("/teacher/login").get_data(as_text=True)


def test_forgot_password_never_reveals_whether_the_id_exists(client, factory):
    known = factory.teacher(factory.school())
    known.email = "known@school.edu.tw"
    import random

    from app.identity import make_national_id

    unknown = make_national_id(random.Random(7))
    answers = []
    for national_id in (known.plain_national_id, unknown):
        response = client.post("/password/forgot", data={"national_id": national_id})
        page = response.get_data(as_text=True)
        assert response.status_code == 200
        assert national_id not in page
        answers.append(re.sub(r'name="csrf_token"[^>]*', "", page))
    assert answers[0] == answers[1]
    # Without a mail server nothing is issued, and no link is ever shown to the asker.
    assert db.session.scalars(select(OneTimeLink)).all() == []
    assert "/password/link/" not in answers[0]


def test_forgot_password_refuses_a_malformed_id(client):
    response = client.post("/password/forgot", data={"national_id": "A123456788"})
    assert response.status_code == 422
    assert "檢查碼不符" in _error(response.get_data(as_text=True), "national_id")


# ---- using a link --------------------------------------------------------------------------


def test_a_reset_link_works_once_and_ends_other_sessions(app, factory):
    teacher = factory.teacher(factory.school())
    signed_in = app.test_client()
    login_teacher(signed_in, teacher)
    issued = onetime.issue(teacher, LinkPurpose.RESET)
    db.session.commit()
    anonymous = app.test_client()
    page = anonymous.get(f"/password/link/{issued.token}")
    assert page.status_code == 200
    assert page.headers["Referrer-Policy"] == "no-referrer"
    mismatch = anonymous.post(
        f"/password/link/{issued.token}", data={"new_password": NEW, "new_password_again": "x"}
    )
    assert mismatch.status_code == 422
    done = anonymous.post(
        f"/password/link/{issued.token}", data={"new_password": NEW, "new_password_again": NEW}
    )
    assert done.status_code == 303
    assert done.headers["Location"] == "/teacher/login"
    assert signed_in.get("/teacher/").status_code in (302, 303)  # the other session ended
    again = anonymous.post(
        f"/password/link/{issued.token}",
        data={"new_password": NEW + "2", "new_password_again": NEW + "2"},
    )
    assert again.status_code == 410
    assert "已經使用過" in again.get_data(as_text=True)
    db.session.refresh(teacher)
    assert verify_password(teacher.password_hash, NEW)


def test_an_expired_link_is_refused(client, factory, clock):
    teacher = factory.teacher(factory.school())
    issued = onetime.issue(teacher, LinkPurpose.RESET)
    clock.set(clock() + timedelta(hours=25))
    response = client.post(
        f"/password/link/{issued.token}", data={"new_password": NEW, "new_password_again": NEW}
    )
    assert response.status_code == 410
    assert "已過期" in response.get_data(as_text=True)
    db.session.refresh(teacher)
    assert verify_password(teacher.password_hash, PASSWORD)


def test_an_unknown_link_is_refused(client):
    response = client.get("/password/link/forged-token")
    assert response.status_code == 410
    assert "這個連結無效" in response.get_data(as_text=True)
