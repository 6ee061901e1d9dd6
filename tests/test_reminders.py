"""催填: reminders by mail through a real SMTP server on localhost, once a day, recorded."""

from __future__ import annotations

import socket
from datetime import timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from app.cycles.services import take_snapshot
from app.extensions import db
from app.models import (
    AccountKind,
    AccountType,
    AuditEntry,
    County,
    PlanKind,
    PlanStatus,
    Region,
    ReminderBatch,
    ReminderRecipient,
    SchoolPlan,
    Stage,
)
from app.reminders import services
from app.timeutil import taipei
from tests import test_mail
from tests.conftest import login_account, login_teacher
from tests.plan_helpers import setup_113, teacher_form
from tests.test_plan_fuzz import HOSTILE

inbox = test_mail.inbox  # the local SMTP server (aiosmtpd) of the mail tests, as a fixture

DURING = taipei(2024, 8, 20, 10, 0)  # 國小 school plan open (8/14 – 8/23)


@pytest.fixture
def world(factory):
    """Kaohsiung: three 國小 (one submitted, one without a mail address) and a 國中;
    Taipei: one 國小; a county authority of each, a region and an operator."""
    seeded = setup_113(factory, stages=(Stage.ELEMENTARY, Stage.JUNIOR))
    kaohsiung = factory.county()
    north = Region(code="N", name="北區")
    db.session.add(north)
    db.session.flush()
    taipei_county = County(code="63000", name="臺北市", region_id=north.id)
    db.session.add(taipei_county)
    db.session.flush()
    first = seeded["schools"][Stage.ELEMENTARY]
    second = factory.school(Stage.ELEMENTARY, name="高雄市立第二國小")
    done = factory.school(Stage.ELEMENTARY, name="高雄市立已送出國小")
    far = factory.school(Stage.ELEMENTARY, name="臺北市立遠方國小", county=taipei_county)
    planner = (
        seeded["planners"][Stage.ELEMANTARY] if False else seeded["planners"][Stage.ELEMENTARY]
    )
    planner.email = "planner.first@school.edu.tw"
    chief = factory.account(first, AccountType.CHIEF, email="chief.first@school.edu.tw")
    factory.account(first, AccountType.ROSTER, email="roster.first@school.edu.tw")  # not asked
    factory.account(second, AccountType.PLANNING)  # no e-mail address
    factory.account(done, AccountType.PLANNING, email="planner.done@school.edu.tw")
    factory.account(far, AccountType.PLANNING, email="planner.far@school.edu.tw")
    db.session.add(
        SchoolPlan(
            cycle_id=seeded["cycle"].id,
            school_id=done.id,
            status=PlanStatus.SUBMITTED,
            questionnaire_id=_questionnaire_id(seeded["cycle"]),
        )
    )
    seeded.update(
        first=first,
        second=second,
        far=far,
        chief=chief,
        county=factory.account(
            None, kind=AccountKind.AUTHORITY, authority_id=factory.authority(kaohsiung).id
        ),
        other_county=factory.account(
            None, kind=AccountKind.AUTHORITY, authority_id=factory.authority(taipei_county).id
        ),
        region=factory.account(None, kind=AccountKind.REGION, region_id=factory.region().id),
        operator=factory.account(None, kind=AccountKind.OPERATOR),
    )
    db.session.commit()
    return seeded


def _questionnaire_id(cycle) -> int:
    from app.cycles.services import latest_questionnaire

    questionnaire = latest_questionnaire(cycle, PlanKind.SCHOOL)
    assert questionnaire is not None
    return questionnaire.id


def _area(**overrides: str) -> dict[str, str]:
    data = {"plan_kind": "school", "target": "area", "county": "64000", "stage": "E"}
    data.update(overrides)
    return data


def _recipients(inbox) -> list[str]:
    return sorted(message["To"] for message in inbox.messages)


def test_an_authority_reminds_the_schools_of_a_county_and_stage(client, world, inbox, clock):
    clock.set(DURING)
    login_account(client, world["county"])
    form = client.get("/oversight/reminders/new?county=64000&stage=E").get_data(as_text=True)
    assert 'value="64000"' in form
    response = client.post("/oversight/reminders/new", data=_area())
    assert response.status_code == 303
    batch = db.session.scalar(select(ReminderBatch))
    assert response.headers["Location"] == f"/oversight/reminders/{batch.id}"
    # The chief and the planner of the first school; the second has no address; the
    # submitted school and the roster account are not asked; Taipei is another county.
    assert _recipients(inbox) == ["chief.first@school.edu.tw", "planner.first@school.edu.tw"]
    message = inbox.messages[0]
    assert "學校本位進修規劃尚未送出" in message["Subject"]
    body = message.get_content()
    assert world["first"].name in body
    assert "113年8月23日 17:00" in body
    assert "http://localhost/school/login" in body
    page = client.get(f"/oversight/reminders/{batch.id}").get_data(as_text=True)
    assert "已寄出 2 封提醒" in page
    assert "略過 1 位：未設定電子郵件 1 位" in page
    assert 'role="status"' in page
    rows = db.session.scalars(select(ReminderRecipient).order_by(ReminderRecipient.id)).all()
    assert [(r.status, r.reason) for r in rows] == [
        ("sent", ""),
        ("sent", ""),
        ("skipped", "no_email"),
    ]
    assert all(r.sent_at == DURING for r in rows if r.status == "sent")
    assert batch.sent_by_id == world["county"].id
    assert batch.status == "done"
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "reminder.send"))
    assert entry.after["queued"] == 2


def test_nobody_is_reminded_twice_a_day(client, world, inbox, clock):
    clock.set(DURING)
    login_account(client, world["county"])
    client.post("/oversight/reminders/new", data=_area())
    assert len(inbox.messages) == 2
    clock.set(DURING + timedelta(hours=8))  # 18:00 the same Taipei day
    second = client.post("/oversight/reminders/new", data=_area(), follow_redirects=True)
    body = second.get_data(as_text=True)
    assert len(inbox.messages) == 2  # nothing more was sent
    assert "已寄出 0 封提醒" in body
    assert "今日已提醒過 2 位（每人每日至多一次）" in body
    assert "未設定電子郵件 1 位" in body
    # One school of the county x stage on its own: the same people, still skipped.
    single = client.post(
        "/oversight/reminders/new",
        data={"plan_kind": "school", "target": "school", "school_code": world["first"].code},
        follow_redirects=True,
    )
    assert "今日已提醒過 2 位" in single.get_data(as_text=True)
    assert len(inbox.messages) == 2
    clock.set(taipei(2024, 8, 21, 0, 0))  # the next day in Taipei
    client.post("/oversight/reminders/new", data=_area())
    assert len(inbox.messages) == 4
    sent = db.session.scalar(
        select(func.count())
        .select_from(ReminderRecipient)
        .where(ReminderRecipient.status == "sent")
    )
    assert sent == 4
    assert db.session.scalar(select(func.count()).select_from(ReminderBatch)) == 4


def test_the_database_refuses_a_second_reminder_the_same_day(app, world, clock):
    clock.set(DURING)
    key = services.once_key("account", world["chief"].id, services.today())
    batch = ReminderBatch(
        cycle_id=world["cycle"].id, plan_kind=PlanKind.SCHOOL, sent_by_id=world["county"].id
    )
    db.session.add(batch)
    db.session.flush()
    for _ in range(2):
        db.session.add(
            ReminderRecipient(
                batch_id=batch.id,
                recipient_kind="account",
                recipient_id=world["chief"].id,
                school_id=world["first"].id,
                day=services.today(),
                status="sent",
                once_key=key,
            )
        )
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()


def test_a_school_reminds_its_own_teachers_who_have_not_submitted(
    app, client, world, factory, inbox, clock
):
    school = world["first"]
    clock.set(taipei(2024, 9, 20, 10, 0))  # 國小 teacher plan open (9/16 – 9/27)
    teacher = world["teachers"][Stage.ELEMENTARY]
    teacher.email = "teacher.one@school.edu.tw"
    keen = factory.teacher(school, name="已送出老師")
    keen.email = "keen@school.edu.tw"
    quiet = factory.teacher(school, name="無信箱老師")
    take_snapshot(world["cycle"], force=True, moment=taipei(2024, 8, 2, 17, 0))
    db.session.commit()
    keen_client = app.test_client()
    login_teacher(keen_client, keen)
    assert (
        keen_client.post("/teacher/plan", data=teacher_form(0, action="submit")).status_code == 303
    )

    login_account(client, world["chief"])
    page = client.get("/oversight/reminders/new").get_data(as_text=True)
    assert school.name in page
    assert 'name="county"' not in page  # a school account reminds only its own teachers
    response = client.post(
        "/oversight/reminders/new", data={"plan_kind": "teacher", "target": "school"}
    )
    assert response.status_code == 303
    assert _recipients(inbox) == ["teacher.one@school.edu.tw"]
    assert "教師自我專業進修規劃尚未送出" in inbox.messages[0]["Subject"]
    assert "http://localhost/teacher/login" in inbox.body()
    assert teacher.plain_national_id not in inbox.body()
    batch = db.session.scalar(select(ReminderBatch))
    assert batch.plan_kind == PlanKind.TEACHER
    assert batch.school_id == school.id
    assert quiet.id in {r.recipient_id for r in batch.recipients if r.reason == "no_email"}
    # The planner of the same school sees the record; the county sees it too.
    assert client.get("/oversight/reminders/").status_code == 200
    county = app.test_client()
    login_account(county, world["county"])
    assert county.get(f"/oversight/reminders/{batch.id}").status_code == 200
    other = app.test_client()
    login_account(other, world["other_county"])
    assert other.get(f"/oversight/reminders/{batch.id}").status_code == 404


def test_a_reminder_with_no_recipients_is_refused_in_words(client, world, factory, inbox, clock):
    clock.set(DURING)
    login_account(client, world["county"])
    # No 高中 in Kaohsiung, and kindergartens fill no school plan: nobody is due.
    senior = client.post("/oversight/reminders/new", data=_area(stage="S"))
    assert senior.status_code == 422
    assert "沒有需要提醒的對象" in senior.get_data(as_text=True)
    kindergarten = client.post("/oversight/reminders/new", data=_area(stage="K"))
    assert kindergarten.status_code == 422
    assert "沒有需要提醒的對象" in kindergarten.get_data(as_text=True)
    nobody = factory.school(Stage.SPECIAL, name="高雄市立無帳號特教學校")
    db.session.commit()
    accountless = client.post(
        "/oversight/reminders/new",
        data={"plan_kind": "school", "target": "school", "school_code": nobody.code},
    )
    assert accountless.status_code == 422
    assert "沒有收件人" in accountless.get_data(as_text=True)
    assert inbox.messages == []
    assert db.session.scalar(select(func.count()).select_from(ReminderBatch)) == 0


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        (_area(county="63000"), "county", "您不主管此縣市"),
        (_area(county="99999"), "county", "您不主管此縣市"),
        (_area(stage=""), "stage", "請選擇教育階段"),
        (_area(stage="Z"), "stage", "請從清單中選擇"),
        (_area(plan_kind="teacher"), "target", "請指定一所學校"),
        ({"plan_kind": "school", "target": "school", "school_code": ""}, "school_code", "學校代碼"),
        (
            {"plan_kind": "school", "target": "school", "school_code": "ZZZZZZ"},
            "school_code",
            "查無此學校代碼",
        ),
    ],
)
def test_bad_reminders_are_refused_beside_the_field(
    client, world, inbox, clock, data, field, message
):
    clock.set(DURING)
    login_account(client, world["county"])
    response = client.post("/oversight/reminders/new", data=data)
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    assert f'id="{field}-error"' in body
    assert message in body
    assert "臺北市立遠方國小" not in body
    assert inbox.messages == []


def test_a_school_outside_the_scope_is_refused_and_never_shown(client, world, inbox, clock):
    clock.set(DURING)
    login_account(client, world["county"])
    page = client.get(f"/oversight/reminders/new?school={world['far'].id}").get_data(as_text=True)
    assert world["far"].code not in page
    assert "不在您的管轄範圍" in page
    forged = client.post(
        "/oversight/reminders/new",
        data={"plan_kind": "school", "target": "school", "school_code": world["far"].code},
    )
    assert forged.status_code == 422
    assert "不在您的管轄範圍" in forged.get_data(as_text=True)
    assert inbox.messages == []
    assert client.get("/oversight/reminders/new?county=63000").status_code == 200


def test_a_school_account_cannot_remind_other_schools(client, world, inbox, clock):
    clock.set(DURING)
    login_account(client, world["planners"][Stage.ELEMENTARY])
    forged = client.post("/oversight/reminders/new", data=_area())
    assert forged.status_code == 422
    assert "請從清單中選擇" in forged.get_data(as_text=True)
    assert inbox.messages == []
    region = client.application.test_client()
    login_account(region, world["region"])
    assert region.get("/oversight/reminders/new").status_code == 403


def test_a_failed_mail_is_recorded_and_may_be_retried_the_same_day(
    app, client, world, monkeypatch, clock
):
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        closed = probe.getsockname()[1]
    monkeypatch.setitem(app.config, "MAIL_SERVER", "127.0.0.1")
    monkeypatch.setitem(app.config, "MAIL_PORT", closed)
    clock.set(DURING)
    login_account(client, world["county"])
    page = client.post("/oversight/reminders/new", data=_area(), follow_redirects=True)
    assert "寄送失敗 2 封（今日可再試）" in page.get_data(as_text=True)
    rows = db.session.scalars(select(ReminderRecipient).where(ReminderRecipient.status == "failed"))
    assert all(row.once_key is None for row in rows)
    again = client.post("/oversight/reminders/new", data=_area(), follow_redirects=True)
    assert "今日已提醒過" not in again.get_data(as_text=True)


def test_without_a_mail_server_the_reminder_is_refused(client, world, clock):
    clock.set(DURING)
    login_account(client, world["county"])
    response = client.post("/oversight/reminders/new", data=_area())
    assert response.status_code == 422
    assert "尚未設定郵件伺服器" in response.get_data(as_text=True)


def test_the_progress_fragment_polls_only_while_sending(client, world, clock):
    clock.set(DURING)
    batch = ReminderBatch(
        cycle_id=world["cycle"].id,
        plan_kind=PlanKind.SCHOOL,
        county_code="64000",
        stage=Stage.ELEMENTARY,
        sent_by_id=world["county"].id,
        status="running",
        total=4,
        sent=1,
        failed=1,
    )
    db.session.add(batch)
    db.session.commit()
    login_account(client, world["county"])
    fragment = client.get(f"/oversight/reminders/{batch.id}", headers={"HX-Request": "true"})
    body = fragment.get_data(as_text=True)
    assert body.lstrip().startswith('<div id="reminder-progress"')
    assert 'data-hx-trigger="every 1s"' in body
    assert 'max="4" value="2"' in body
    assert "已處理 2／4 封" in body
    batch.status = "done"
    db.session.commit()
    body = client.get(f"/oversight/reminders/{batch.id}", headers={"HX-Request": "true"}).get_data(
        as_text=True
    )
    assert "data-hx-trigger" not in body
    assert "寄送完成" in body


@settings(
    max_examples=80,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    fields=st.dictionaries(
        st.sampled_from(["plan_kind", "target", "county", "stage", "school_code"]),
        st.one_of(st.sampled_from(HOSTILE), st.text(max_size=30)),
        max_size=3,
    )
)
def test_hostile_reminders_never_fail_and_never_reach_another_county(
    client, world, inbox, clock, fields
):
    clock.set(DURING)
    login_account(client, world["county"])
    response = client.post("/oversight/reminders/new", data=_area() | fields)
    assert response.status_code in (303, 422), response.status_code
    assert "planner.far@school.edu.tw" not in _recipients(inbox)
