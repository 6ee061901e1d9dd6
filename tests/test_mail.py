"""Mail through a real SMTP server on localhost (aiosmtpd): activation, reset, notices."""

from __future__ import annotations

import email
import email.policy
import re
import socket
from collections.abc import Iterator
from datetime import timedelta
from email.message import EmailMessage

import pytest
from aiosmtpd.controller import Controller

from app import events, mail
from app.extensions import db
from app.models import AccountKind, AccountStatus, AccountType
from app.roster_admin.forms import today
from tests.conftest import login_account, login_teacher

NEW = "Quiet-river-4821"


class Inbox:
    """An aiosmtpd handler that keeps every message it receives."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []

    async def handle_DATA(self, server, session, envelope):
        parsed = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.messages.append(parsed)  # type: ignore[arg-type]
        return "250 Message accepted"

    def body(self, n: int = -1) -> str:
        return self.messages[n].get_content()

    def link(self, n: int = -1) -> str:
        found = re.search(r"http://localhost/password/link/[A-Za-z0-9_\-]+", self.body(n))
        assert found, self.body(n)
        return found.group(0).removeprefix("http://localhost")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def inbox(app, monkeypatch) -> Iterator[Inbox]:
    handler = Inbox()
    port = _free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    monkeypatch.setitem(app.config, "MAIL_SERVER", "127.0.0.1")
    monkeypatch.setitem(app.config, "MAIL_PORT", port)
    try:
        yield handler
    finally:
        controller.stop()


def test_deliver_sends_utf8_zh_tw(app, inbox):
    with app.test_request_context():
        mail.deliver({"to": "t@school.edu.tw", "subject": "測試主旨", "body": "老師您好"})
    [message] = inbox.messages
    assert message["Subject"] == "測試主旨"
    assert message["To"] == "t@school.edu.tw"
    assert inbox.body().strip() == "老師您好"


def test_without_a_mail_server_send_sends_nothing(app):
    with app.test_request_context():
        assert not mail.configured()
        assert (
            mail.send("t@school.edu.tw", "主旨", "reset", name="甲", url="u", expires_at="")
            is False
        )


def test_a_reset_link_arrives_in_zh_tw_and_works_once(app, client, factory, inbox, clock):
    school = factory.school()
    chief = factory.account(school, AccountType.CHIEF)
    teacher = factory.teacher(school, name="郵件老師")
    teacher.email = "mail.teacher@school.edu.tw"
    login_account(client, chief)
    response = client.post(f"/school/roster/{teacher.id}/reset-link")
    assert response.status_code == 303
    page = client.get("/school/roster").get_data(as_text=True)
    assert "已寄出重設密碼連結給 郵件老師" in page
    assert "/password/link/" not in page  # mailed, not shown
    [message] = inbox.messages
    assert message["To"] == "mail.teacher@school.edu.tw"
    assert "重設密碼" in message["Subject"]
    body = inbox.body()
    assert "郵件老師 您好" in body
    assert "只能使用一次" in body
    assert teacher.plain_national_id not in body
    path = inbox.link()
    client.post("/logout")
    form = {"new_password": NEW, "new_password_again": NEW}
    assert client.post(path, data=form).status_code == 303
    assert login_teacher(client, teacher, NEW).status_code == 303
    client.post("/logout")
    second = client.post(path, data={"new_password": NEW + "9", "new_password_again": NEW + "9"})
    assert second.status_code == 410
    assert "已經使用過" in second.get_data(as_text=True)


def test_an_expired_mailed_link_is_refused(client, factory, inbox, clock):
    school = factory.school()
    chief = factory.account(school, AccountType.ROSTER)
    teacher = factory.teacher(school)
    teacher.email = "late@school.edu.tw"
    login_account(client, chief)
    client.post(f"/school/roster/{teacher.id}/reset-link")
    path = inbox.link()
    clock.set(clock() + timedelta(hours=24, seconds=1))
    response = client.get(path)
    assert response.status_code == 410
    assert "已過期" in response.get_data(as_text=True)


def test_a_teacher_without_email_gets_nothing(client, factory, inbox):
    school = factory.school()
    chief = factory.account(school, AccountType.CHIEF)
    teacher = factory.teacher(school, name="無信箱老師")
    login_account(client, chief)
    client.post(f"/school/roster/{teacher.id}/reset-link")
    page = client.get("/school/roster").get_data(as_text=True)
    assert "無信箱老師 沒有登錄電子郵件" in page
    assert inbox.messages == []


def test_registering_a_new_teacher_mails_the_activation_link(client, factory, inbox):
    import random

    from app.identity import make_national_id

    school = factory.school()
    clerk = factory.account(school, AccountType.ROSTER)
    login_account(client, clerk)
    national_id = make_national_id(random.Random(99))
    response = client.post(
        "/school/roster/register",
        data={
            "national_id": national_id,
            "name": "新任老師",
            "email": "newcomer@school.edu.tw",
            "since": today().isoformat(),
            "title": "教師",
        },
    )
    assert response.status_code == 303
    [message] = inbox.messages
    assert message["To"] == "newcomer@school.edu.tw"
    assert "啟用帳號" in message["Subject"]
    assert "新任老師 老師您好" in inbox.body()
    assert national_id not in inbox.body()
    path = inbox.link()
    client.post("/logout")
    assert "設定密碼" in client.get(path).get_data(as_text=True)
    assert (
        client.post(path, data={"new_password": NEW, "new_password_again": NEW}).status_code == 303
    )


def test_forgot_password_mails_the_stored_address(client, factory, inbox):
    teacher = factory.teacher(factory.school())
    teacher.email = "forgetful@school.edu.tw"
    db.session.commit()
    response = client.post("/password/forgot", data={"national_id": teacher.plain_national_id})
    assert response.status_code == 200
    assert "/password/link/" not in response.get_data(as_text=True)
    [message] = inbox.messages
    assert message["To"] == "forgetful@school.edu.tw"
    assert client.get(inbox.link()).status_code == 200


def _notify(app, account_id: int) -> None:
    with app.test_request_context():
        events.account_changed.send(account_id, change="applied")


def test_an_application_notice_goes_to_the_schools_active_chiefs(app, factory, inbox):
    school = factory.school(name="申請國小")
    chief = factory.account(school, AccountType.CHIEF, email="chief@school.edu.tw")
    factory.account(school, AccountType.CHIEF, status=AccountStatus.DISABLED, email="off@x.tw")
    factory.account(factory.school(), AccountType.CHIEF, email="elsewhere@x.tw")
    applicant = factory.account(
        school, AccountType.PLANNING, status=AccountStatus.APPLIED, email="me@x.tw"
    )
    db.session.commit()
    _notify(app, applicant.id)
    assert [m["To"] for m in inbox.messages] == [chief.email]
    body = inbox.body()
    assert "申請國小" in body
    assert applicant.username in body
    assert "進修規劃" in body
    _notify_other = events.account_changed.send  # another change mails nobody
    with app.test_request_context():
        _notify_other(applicant.id, change="activated")
    assert len(inbox.messages) == 1


def test_a_chief_application_goes_to_the_regional_centre(app, factory, inbox):
    school = factory.school(name="區管國小")
    region = factory.region()
    centre = factory.account(
        None, kind=AccountKind.REGION, region_id=region.id, email="centre@region.tw"
    )
    factory.account(school, AccountType.CHIEF, email="chief@school.edu.tw")
    applicant = factory.account(school, AccountType.CHIEF, status=AccountStatus.APPLIED)
    db.session.commit()
    _notify(app, applicant.id)
    assert [m["To"] for m in inbox.messages] == [centre.email]
    assert "區管中心" in inbox.body()
