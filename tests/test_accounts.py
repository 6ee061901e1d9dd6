"""Business accounts: applying, the chief's management, the regional centre, the guards.

Services are tested without the HTTP client; routes through it. Both databases.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import select

from app import events
from app.accounts import services
from app.accounts.services import Application, Refused
from app.auth.services import authenticate_account
from app.extensions import db
from app.models import (
    AccountKind,
    AccountStatus,
    AccountType,
    AuditEntry,
    BusinessAccount,
    County,
    Course,
    CourseStatus,
    Region,
    School,
)
from tests.conftest import login_account

CHIEF, ROSTER, PLANNING, COURSES = (
    AccountType.CHIEF,
    AccountType.ROSTER,
    AccountType.PLANNING,
    AccountType.COURSES,
)
GOOD_PASSWORD = "Sunny-Harbour-42"


@dataclass
class Setting:
    school: School
    other_school: School
    far_school: School
    chief: BusinessAccount
    planner: BusinessAccount
    region: BusinessAccount
    far_region: BusinessAccount
    operator: BusinessAccount
    other_chief: BusinessAccount


@pytest.fixture
def setting(factory) -> Setting:
    south = factory.region()
    north = Region(code="N", name="北區")
    db.session.add(north)
    db.session.flush()
    taipei = County(code="63000", name="臺北市", region_id=north.id)
    db.session.add(taipei)
    db.session.flush()
    school = factory.school(name="高雄市立甲國小")
    other = factory.school(name="高雄市立乙國小")
    far = factory.school(name="臺北市立丙國小", county=taipei)
    result = Setting(
        school=school,
        other_school=other,
        far_school=far,
        chief=factory.account(school, CHIEF, ROSTER, username="chief-a"),
        planner=factory.account(school, PLANNING, username="planner-a"),
        region=factory.account(None, kind=AccountKind.REGION, region_id=south.id),
        far_region=factory.account(None, kind=AccountKind.REGION, region_id=north.id),
        operator=factory.account(None, kind=AccountKind.OPERATOR),
        other_chief=factory.account(other, CHIEF, username="chief-b"),
    )
    db.session.commit()
    return result


def _application(school: School, username: str = "newbie", **changes: Any) -> Application:
    values: dict[str, Any] = {
        "school": school,
        "username": username,
        "name": "林小華",
        "job_title": "教務主任",
        "email": "hua@school.edu.tw",
        "phone": "07-1234567#12",
        "types": {PLANNING},
        "password": GOOD_PASSWORD,
    }
    values.update(changes)
    return Application(**values)


def _entries(action: str) -> list[AuditEntry]:
    return list(db.session.scalars(select(AuditEntry).where(AuditEntry.action == action)))


# ---- applying (services) ------------------------------------------------------------------


def test_an_application_waits_for_activation_and_is_announced(setting):
    heard: list[tuple[Any, dict[str, Any]]] = []

    def listen(sender: Any, **data: Any) -> None:
        heard.append((sender, data))

    events.account_changed.connect(listen)
    try:
        account = services.apply(_application(setting.school, types={PLANNING, COURSES}))
        db.session.commit()
    finally:
        events.account_changed.disconnect(listen)
    assert account.status == AccountStatus.APPLIED
    assert account.types == {PLANNING, COURSES}
    assert account.job_title == "教務主任"
    assert heard == [(account.id, {"change": "applied"})]
    assert authenticate_account("newbie", GOOD_PASSWORD, "test").subject is None  # cannot sign in
    [entry] = _entries("account.applied")
    assert entry.school_id == setting.school.id
    assert entry.after == {"status": "applied", "types": ["planning", "courses"]}


def test_who_activates_an_application(setting):
    assert services.activator_of(setting.school, {PLANNING}) == "高雄市立甲國小的總負責人"
    assert services.activator_of(setting.school, {CHIEF, ROSTER}) == "南區區管中心"
    assert services.activator_of(setting.far_school, {CHIEF}) == "北區區管中心"


@pytest.mark.parametrize("username", ["CHIEF-A", "Chief-A", "chief-a "])
def test_usernames_are_unique_whatever_their_case(setting, username):
    with pytest.raises(Refused) as refused:
        services.apply(_application(setting.school, username=username.strip()))
    assert refused.value.field == "username"
    assert "已有人使用" in refused.value.message


def test_the_password_rule_is_the_shared_one(setting):
    with pytest.raises(Refused) as refused:
        services.apply(_application(setting.school, username="hua2024", password="hua2024-abcdef"))
    assert refused.value.field == "password"
    assert "帳號" in refused.value.message
    with pytest.raises(Refused):
        services.apply(_application(setting.school, password="1234567890"))


def test_contact_checks(app):
    assert services.email_problem("a@b.tw") is None
    assert services.email_problem("not-an-address") is not None
    assert services.email_problem("x" * 116 + "@b.tw") is not None
    assert services.phone_problem("07-1234567#123") is None
    assert services.phone_problem("0912345678") is None
    assert services.phone_problem("call me") is not None
    assert services.phone_problem("123") is not None
    assert services.username_problem("ab") is not None
    assert services.username_problem("名字") is not None


# ---- the chief's management (services) -----------------------------------------------------


def test_the_chief_activates_changes_disables_enables_and_deletes(setting):
    account = services.apply(_application(setting.school))
    services.activate(setting.chief, account)
    db.session.commit()
    assert authenticate_account("newbie", GOOD_PASSWORD, "test").subject is not None
    services.set_types(setting.chief, account, {ROSTER, COURSES})
    assert account.types == {ROSTER, COURSES}
    token = account.session_token
    services.disable(setting.chief, account)
    assert account.status == AccountStatus.DISABLED
    assert account.session_token != token  # every open session ends
    db.session.commit()
    assert authenticate_account("newbie", GOOD_PASSWORD, "test").subject is None
    services.enable(setting.chief, account)
    services.delete(setting.chief, account)
    db.session.commit()
    assert account.status == AccountStatus.DELETED
    assert account.name == "林小華"  # soft: the row and the name stay
    assert authenticate_account("newbie", GOOD_PASSWORD, "test").subject is None
    actions = [e.action for e in db.session.scalars(select(AuditEntry).order_by(AuditEntry.id))]
    assert actions == [
        "account.applied",
        "account.activated",
        "account.types",
        "account.disabled",
        "account.enabled",
        "account.deleted",
    ]
    types_entry = _entries("account.types")[0]
    assert types_entry.before == {"status": "active", "types": ["planning"]}
    assert types_entry.after == {"status": "active", "types": ["roster", "courses"]}


@pytest.mark.parametrize("operation", ["activate", "disable", "delete"])
def test_the_chief_may_not_handle_chief_accounts(setting, factory, operation):
    status = AccountStatus.APPLIED if operation == "activate" else AccountStatus.ACTIVE
    second = factory.account(setting.school, CHIEF, status=status)
    with pytest.raises(Refused) as refused:
        services.OPERATIONS[operation](setting.chief, second)
    assert "南區區管中心" in refused.value.message
    assert second.status == status


def test_the_chief_may_not_grant_or_remove_the_chief_type(setting):
    with pytest.raises(Refused, match="區管中心"):
        services.set_types(setting.chief, setting.planner, {PLANNING, CHIEF})
    with pytest.raises(Refused, match="區管中心"):
        services.set_types(setting.chief, setting.chief, {ROSTER})
    # Other types of a chief account (even one's own) are the chief's to change.
    services.set_types(setting.chief, setting.chief, {CHIEF, ROSTER, PLANNING})
    assert setting.chief.types == {CHIEF, ROSTER, PLANNING}


def test_the_region_handles_chiefs_of_its_schools_only(setting):
    applied = services.apply(_application(setting.school, types={CHIEF}))
    with pytest.raises(Refused):
        services.activate(setting.far_region, applied)  # another region's school
    services.activate(setting.region, applied)
    assert applied.status == AccountStatus.ACTIVE
    services.set_types(setting.region, setting.planner, {PLANNING, CHIEF})
    assert setting.planner.types == {PLANNING, CHIEF}
    plain = services.apply(_application(setting.school, username="plain-one"))
    with pytest.raises(Refused, match="其他業務帳號由學校的總負責人管理"):
        services.activate(setting.region, plain)
    db.session.commit()
    assert [e.action for e in _entries("chief.activated")] == ["chief.activated"]
    assert _entries("chief.types")[0].after["types"] == ["chief", "planning"]


def test_a_manager_of_another_school_is_refused(setting):
    with pytest.raises(Refused, match="沒有管理"):
        services.disable(setting.other_chief, setting.planner)
    with pytest.raises(Refused, match="沒有管理"):
        services.disable(setting.planner, setting.planner)  # a planner manages nobody


# ---- guards --------------------------------------------------------------------------------


@pytest.mark.parametrize("how", ["disable", "delete", "demote"])
def test_the_last_active_chief_stays(setting, how):
    def take_away(actor: Any, account: BusinessAccount) -> None:
        if how == "demote":
            services.set_types(actor, account, {ROSTER})
        else:
            services.OPERATIONS[how](actor, account)

    with pytest.raises(Refused, match="最後一個總負責人"):
        take_away(setting.region, setting.chief)
    db.session.rollback()
    assert setting.chief.status == AccountStatus.ACTIVE
    assert CHIEF in setting.chief.types
    # With a second active chief the first may go; then the second is the last one.
    second = services.apply(_application(setting.school, username="chief-two", types={CHIEF}))
    services.activate(setting.region, second)
    take_away(setting.region, setting.chief)
    db.session.commit()
    with pytest.raises(Refused, match="最後一個總負責人"):
        take_away(setting.operator, second)


def test_a_disabled_chief_does_not_count(setting, factory):
    factory.account(setting.school, CHIEF, status=AccountStatus.DISABLED)
    factory.account(setting.school, CHIEF, status=AccountStatus.APPLIED)
    db.session.commit()
    assert services.active_chiefs(setting.school.id) == 1
    with pytest.raises(Refused):
        services.disable(setting.region, setting.chief)


def test_deleting_waits_for_every_course_list_to_be_confirmed(setting):
    courses = [
        Course(school_id=setting.school.id, registered_by_id=setting.planner.id, title=title)
        for title in ("閱讀教學", "數位學習", "校園安全")
    ]
    courses[0].status = CourseStatus.LIST_CONFIRMING
    courses[1].status = CourseStatus.ENROLLING
    courses[2].status = CourseStatus.LIST_CONFIRMED
    db.session.add_all(courses)
    db.session.commit()
    with pytest.raises(Refused) as refused:
        services.delete(setting.chief, setting.planner)
    assert [c.title for c in refused.value.courses] == ["閱讀教學", "數位學習"]
    assert "「閱讀教學」（名單確認中）" in refused.value.message
    assert "「數位學習」（報名中）" in refused.value.message
    assert "校園安全" not in refused.value.message
    assert setting.planner.status == AccountStatus.ACTIVE
    for course in courses:
        course.status = CourseStatus.LIST_CONFIRMED
    services.delete(setting.chief, setting.planner)
    assert setting.planner.status == AccountStatus.DELETED


def test_contact_data_is_the_holders_and_audited_without_values(setting):
    services.update_contact(setting.planner, job_title="組長", email="p@x.tw", phone="07-7654321")
    db.session.commit()
    [entry] = _entries("account.contact")
    assert entry.after == {"changed": ["job_title", "email", "phone"]}
    assert entry.actor == f"account:{setting.planner.id}"
    assert "p@x.tw" not in str(entry.after)


# ---- routes: applying ----------------------------------------------------------------------


def _form(school: School | None, **changes: str) -> dict[str, Any]:
    data: dict[str, Any] = {
        "school_query": school.name if school else "",
        "username": "hua-lin",
        "name": "林小華",
        "job_title": "教務主任",
        "email": "hua@school.edu.tw",
        "phone": "07-1234567",
        "types": ["planning"],
        "password": GOOD_PASSWORD,
        "password_again": GOOD_PASSWORD,
    }
    if school is not None:
        data["school_id"] = str(school.id)
    data.update(changes)
    return data


def test_apply_page_and_a_good_application(client, setting):
    page = client.get("/school/apply")
    assert page.status_code == 200
    assert 'name="school_query"' in page.get_data(as_text=True)
    answer = client.post("/school/apply", data=_form(setting.school))
    body = answer.get_data(as_text=True)
    assert answer.status_code == 200, body
    assert "高雄市立甲國小的總負責人" in body
    account = services.find_by_username("hua-lin")
    assert account is not None
    assert account.status == AccountStatus.APPLIED


def test_a_chief_application_names_the_regional_centre(client, setting):
    answer = client.post("/school/apply", data=_form(setting.school, types=["chief", "roster"]))
    assert "南區區管中心" in answer.get_data(as_text=True)


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"username": "CHIEF-A"}, "username", "已有人使用"),
        ({"email": "hua-at-school"}, "email", "電子郵件格式不正確"),
        ({"phone": "call me maybe"}, "phone", "電話格式不正確"),
        ({"name": "林" * 51}, "name", "姓名最多 50 個字"),
        ({"job_title": "長" * 41}, "job_title", "職稱最多 40 個字"),
        ({"types": ["chief", "superuser"]}, "types", "帳號類別不正確"),
        ({"types": []}, "types", "請至少選擇一種帳號類別"),
        ({"school_id": "999999"}, "school_query", "找不到這所學校"),
        ({"school_id": "abc"}, "school_query", "找不到這所學校"),
        ({"password": "short", "password_again": "short"}, "password", "密碼至少需要"),
        ({"password_again": "something-else-1"}, "password_again", "兩次輸入的密碼不一致"),
    ],
)
def test_bad_applications_are_refused_beside_the_field(client, setting, changes, field, message):
    data = _form(setting.school, **changes)
    answer = client.post("/school/apply", data=data)
    body = answer.get_data(as_text=True)
    assert answer.status_code == 422, body
    assert f'id="{field}-error"' in body
    assert message in body
    assert 'value="林小華"' in body or field == "name"  # what was typed is kept
    assert (
        db.session.scalar(select(BusinessAccount).where(BusinessAccount.name == "林小華")) is None
    )


def test_forged_status_or_kind_never_takes_effect(client, setting):
    data = _form(setting.school, status="active", kind="operator", school_code="1")
    assert client.post("/school/apply", data=data).status_code == 200
    account = services.find_by_username("hua-lin")
    assert account is not None
    assert account.status == AccountStatus.APPLIED
    assert account.kind == AccountKind.SCHOOL


def test_school_search_without_javascript_and_with_htmx(client, setting):
    data = _form(None, school_query="高雄市立", search="1")
    answer = client.post("/school/apply", data=data)
    body = answer.get_data(as_text=True)
    assert answer.status_code == 200
    assert "高雄市立甲國小" in body
    assert "高雄市立乙國小" in body
    assert 'value="林小華"' in body  # nothing typed is lost
    # Typing a unique code picks the school without a choice.
    answer = client.post("/school/apply", data=_form(None, school_query=setting.school.code))
    assert answer.status_code == 200
    # Ambiguous text: the applicant must choose.
    answer = client.post("/school/apply", data=_form(None, school_query="國小"))
    assert answer.status_code == 422
    assert "請從下列清單中選擇" in answer.get_data(as_text=True)
    partial = client.get(
        "/school/apply/schools?school_query=乙", headers={"HX-Request": "true"}
    ).get_data(as_text=True)
    assert "<html" not in partial
    assert "高雄市立乙國小" in partial
    assert "高雄市立甲國小" not in partial
    page = client.get("/school/apply/schools?school_query=%25").get_data(as_text=True)
    assert "<html" in page
    assert "找不到符合的學校" in page


# ---- routes: the chief's list and the changes ----------------------------------------------


def test_the_chief_lists_pending_applications_first(client, setting):
    services.apply(_application(setting.school, username="zz-pending"))
    db.session.commit()
    login_account(client, setting.chief)
    body = client.get("/school/accounts").get_data(as_text=True)
    assert body.index("zz-pending") < body.index("chief-a") < body.index("planner-a")
    assert "chief-b" not in body  # another school's


def test_the_chief_activates_through_a_confirmation_page(client, setting):
    applied = services.apply(_application(setting.school))
    db.session.commit()
    login_account(client, setting.chief)
    url = f"/school/accounts/{applied.id}/activate"
    confirm = client.get(url)
    assert confirm.status_code == 200
    assert "確定啟用帳號" in confirm.get_data(as_text=True)
    assert applied.status == AccountStatus.APPLIED  # a GET changes nothing
    answer = client.post(url)
    assert answer.status_code == 303
    assert answer.headers["Location"] == "/school/accounts"
    db.session.refresh(applied)
    assert applied.status == AccountStatus.ACTIVE


def test_a_refusal_explains_itself_and_changes_nothing(client, setting):
    login_account(client, setting.chief)
    answer = client.post(f"/school/accounts/{setting.chief.id}/disable")
    body = answer.get_data(as_text=True)
    assert answer.status_code == 409
    assert "只能由南區區管中心辦理" in body
    db.session.refresh(setting.chief)
    assert setting.chief.status == AccountStatus.ACTIVE


def test_a_foreign_account_id_does_not_exist(client, setting):
    login_account(client, setting.chief)
    for operation in ("activate", "disable", "enable", "delete", "types"):
        url = f"/school/accounts/{setting.other_chief.id}/{operation}"
        assert client.get(url).status_code == 404
        assert client.post(url).status_code == 404
    assert client.get("/school/accounts/999999/disable").status_code == 404
    db.session.refresh(setting.other_chief)
    assert setting.other_chief.status == AccountStatus.ACTIVE


def test_types_form_refuses_forged_types_and_keeps_the_choice(client, setting):
    login_account(client, setting.chief)
    url = f"/school/accounts/{setting.planner.id}/types"
    assert 'value="planning" checked' in client.get(url).get_data(as_text=True)
    answer = client.post(url, data={"types": ["planning", "root"]})
    assert answer.status_code == 422
    assert "帳號類別不正確" in answer.get_data(as_text=True)
    answer = client.post(url, data={"types": ["planning", "chief"]})
    assert answer.status_code == 422
    assert "只能由南區區管中心辦理" in answer.get_data(as_text=True)
    assert client.post(url, data={"types": ["roster", "courses"]}).status_code == 303
    db.session.refresh(setting.planner)
    assert setting.planner.types == {ROSTER, COURSES}


def test_a_disabled_accounts_session_ends_at_once(app, setting):
    planner_client = app.test_client()
    chief_client = app.test_client()
    login_account(planner_client, setting.planner)
    assert planner_client.get("/school/").status_code == 200
    login_account(chief_client, setting.chief)
    assert chief_client.post(f"/school/accounts/{setting.planner.id}/disable").status_code == 303
    answer = planner_client.get("/school/")
    assert answer.status_code == 303
    assert "/school/login" in answer.headers["Location"]
    assert login_account(planner_client, setting.planner).status_code == 401


def test_the_holder_edits_own_contact_data(client, setting):
    login_account(client, setting.planner)
    page = client.get("/school/account").get_data(as_text=True)
    assert "planner-a" in page
    bad = client.post(
        "/school/account", data={"job_title": "組長", "email": "nope", "phone": "07-1234567"}
    )
    assert bad.status_code == 422
    assert 'id="email-error"' in bad.get_data(as_text=True)
    assert 'value="組長"' in bad.get_data(as_text=True)
    good = client.post(
        "/school/account",
        data={"job_title": "組長", "email": "p@x.tw", "phone": "07-1234567", "name": "別人"},
    )
    assert good.status_code == 303
    db.session.refresh(setting.planner)
    assert setting.planner.job_title == "組長"
    assert setting.planner.name != "別人"  # the name is never editable


# ---- routes: the regional centre -----------------------------------------------------------


def test_the_region_sees_schools_without_a_chief_first(client, setting, factory):
    lonely = factory.school(name="高雄市立無主國小")
    services.apply(_application(lonely, username="lonely-chief", types={CHIEF}))
    db.session.commit()
    login_account(client, setting.region)
    body = client.get("/region/schools").get_data(as_text=True)
    assert body.index("高雄市立無主國小") < body.index("高雄市立甲國小")
    assert "臺北市立丙國小" not in body
    filtered = client.get("/region/schools?county=64000&stage=J").get_data(as_text=True)
    assert "高雄市立甲國小" not in filtered
    assert "沒有符合條件的學校" in filtered
    forged = client.get("/region/schools?county=63000&stage=Z&page=x")
    assert forged.status_code == 200
    assert "臺北市立丙國小" not in forged.get_data(as_text=True)
    partial = client.get("/region/schools", headers={"HX-Request": "true"})
    assert "<html" not in partial.get_data(as_text=True)
    assert client.get(f"/region/schools/{setting.far_school.id}").status_code == 404
    page = client.get(f"/region/schools/{lonely.id}").get_data(as_text=True)
    assert "lonely-chief" in page


def test_the_region_list_is_paginated(client, setting, factory):
    for n in range(35):
        factory.school(name=f"高雄市立分頁{n:02d}國小")
    db.session.commit()
    login_account(client, setting.region)
    first = client.get("/region/schools").get_data(as_text=True)
    assert "第 1／2 頁" in first
    second = client.get("/region/schools?page=2").get_data(as_text=True)
    assert "第 2／2 頁" in second
    assert "高雄市立甲國小" in second  # schools with a chief come after those without


def test_the_region_activates_a_chief_and_returns_to_the_school(client, setting):
    applied = services.apply(_application(setting.school, username="new-chief", types={CHIEF}))
    db.session.commit()
    login_account(client, setting.region)
    answer = client.post(f"/school/accounts/{applied.id}/activate")
    assert answer.status_code == 303
    assert answer.headers["Location"] == f"/region/schools/{setting.school.id}"
    db.session.refresh(applied)
    assert applied.status == AccountStatus.ACTIVE
    login_account(client, setting.far_region)
    assert client.post(f"/school/accounts/{applied.id}/disable").status_code == 404


def test_changes_are_announced_only_once_committed(client, setting):
    heard: list[tuple[Any, dict[str, Any]]] = []

    def listen(sender: Any, **data: Any) -> None:
        heard.append((sender, data))

    events.account_changed.connect(listen)
    try:
        login_account(client, setting.chief)
        client.post(f"/school/accounts/{setting.chief.id}/disable")  # refused: nothing heard
        assert heard == []
        client.post(f"/school/accounts/{setting.planner.id}/disable")
    finally:
        events.account_changed.disconnect(listen)
    assert heard == [(setting.planner.id, {"change": "disabled"})]
