"""The audit views: the chief's school, the region's chief changes, the operator's all."""

from __future__ import annotations

from datetime import timedelta

import pytest

from app import audit, timeutil
from app.accounts import services
from app.accounts.services import Application
from app.audit_log.services import describe
from app.extensions import db
from app.models import AccountKind, AccountType, County, Region
from tests.conftest import login_account


@pytest.fixture
def trail(factory, clock):
    """Changes at two schools of the south and one of the north."""
    south = factory.region()
    north = Region(code="N", name="北區")
    db.session.add(north)
    db.session.flush()
    taipei = County(code="63000", name="臺北市", region_id=north.id)
    db.session.add(taipei)
    school = factory.school(name="高雄市立甲國小")
    other = factory.school(name="高雄市立乙國小")
    far = factory.school(name="臺北市立丙國小", county=taipei)
    chief = factory.account(school, AccountType.CHIEF, username="chief-a")
    region = factory.account(None, kind=AccountKind.REGION, region_id=south.id, username="south")
    operator = factory.account(None, kind=AccountKind.OPERATOR, username="op")
    factory.account(other, AccountType.CHIEF, username="chief-b")
    factory.account(far, AccountType.CHIEF, username="chief-c")
    clock.set(timeutil.taipei(2026, 3, 1, 9, 0))
    planner = services.apply(_application(school, "planner-x", {AccountType.PLANNING}))
    services.activate(chief, planner)
    clock.set(timeutil.taipei(2026, 3, 5, 9, 0))
    new_chief = services.apply(_application(school, "chief-new", {AccountType.CHIEF}))
    services.activate(region, new_chief)
    far_applicant = services.apply(_application(far, "far-one", {AccountType.CHIEF}))
    audit.record(
        "teacher.update",
        "teacher",
        1,
        before={"national_id": "A123456789"},
        actor="system",
        school_id=school.id,
    )
    db.session.commit()
    return {
        "school": school,
        "far": far,
        "chief": chief,
        "region": region,
        "operator": operator,
        "planner": planner,
        "far_applicant": far_applicant,
    }


def _application(school, username, types):
    return Application(
        school=school,
        username=username,
        name=f"{username}之名",
        job_title="組長",
        email=f"{username}@x.tw",
        phone="07-1234567",
        types=types,
        password="Sunny-Harbour-42",
    )


def test_the_chief_sees_the_schools_trail(client, trail):
    login_account(client, trail["chief"])
    body = client.get("/school/audit").get_data(as_text=True)
    assert "啟用業務帳號" in body
    assert "啟用總負責人帳號" in body
    assert "planner-x之名（planner-x）" in body  # actors and objects by name
    assert "far-one" not in body  # another school's
    assert "A123456789" not in body  # IDs masked
    assert "A12345****" in body


def test_the_region_sees_only_chief_changes_of_its_schools(client, trail):
    login_account(client, trail["region"])
    body = client.get("/region/audit").get_data(as_text=True)
    assert "申請總負責人帳號" in body
    assert "啟用總負責人帳號" in body
    assert "啟用業務帳號" not in body  # not a chief change
    assert "far-one" not in body  # not its region


def test_the_operator_filters_by_actor_action_school_and_time(client, trail):
    login_account(client, trail["operator"])
    everything = client.get("/operator/audit").get_data(as_text=True)
    assert "共 6 筆" in everything
    assert "far-one" in everything
    by_actor = client.get("/operator/audit?actor=chief-a").get_data(as_text=True)
    assert "共 1 筆" in by_actor
    by_action = client.get("/operator/audit?action=chief.applied").get_data(as_text=True)
    assert "共 2 筆" in by_action
    by_school = client.get(f"/operator/audit?school={trail['far'].code}").get_data(as_text=True)
    assert "共 1 筆" in by_school
    by_time = client.get("/operator/audit?since=2026-03-02&until=2026-03-05").get_data(as_text=True)
    assert "共 4 筆" in by_time
    before = client.get("/operator/audit?until=2026-03-01").get_data(as_text=True)
    assert "共 2 筆" in before


def test_bad_filters_are_explained_not_a_500(client, trail):
    login_account(client, trail["operator"])
    answer = client.get("/operator/audit?since=yesterday&school=999999&actor=nobody&page=-3")
    body = answer.get_data(as_text=True)
    assert answer.status_code == 200
    assert "日期格式不正確" in body
    assert "找不到學校代碼 999999" in body
    assert "找不到這個帳號" in body
    assert 'value="yesterday"' in body  # what was typed is kept


def test_the_trail_is_paginated(client, trail, clock):
    for n in range(40):
        clock.set(timeutil.taipei(2026, 4, 1) + timedelta(minutes=n))
        audit.record("course.advance", "course", n, actor="system", school_id=trail["school"].id)
    db.session.commit()
    login_account(client, trail["operator"])
    first = client.get("/operator/audit").get_data(as_text=True)
    assert "第 1／2 頁" in first
    second = client.get("/operator/audit?page=2&action=course.advance").get_data(as_text=True)
    assert "第 2／2 頁" in second
    partial = client.get("/operator/audit?page=2", headers={"HX-Request": "true"})
    assert "<html" not in partial.get_data(as_text=True)


def test_describe_masks_national_ids():
    assert describe({"national_id": "A123456789", "types": ["chief"]}) == (
        "national_id: A12345****；types: chief"
    )
    assert describe(None) == "—"
