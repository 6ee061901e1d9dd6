"""教師資料: the roster list, registering (new or transferred in), updating, ending; the
read-only rosters of other systems; bad input beside its field; never a national ID in a URL."""

from __future__ import annotations

import logging
import random
import re
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from app import events, timeutil
from app.extensions import db
from app.identity import make_national_id
from app.models import (
    AccountType,
    AuditEntry,
    Cycle,
    CycleStatus,
    Employment,
    EndReason,
    OneTimeLink,
    RosterSnapshot,
    RosterSource,
    SyncRun,
    Teacher,
    TeacherPlan,
)
from app.roster_admin import services
from app.roster_admin.options import LEARNING_AREAS, subject_codes, subjects_text
from app.roster_admin.services import RosterError, RosterQuery
from app.security import verify_password
from tests.conftest import PASSWORD, login_account, login_teacher

RNG = random.Random(20261202)


def new_id() -> str:
    return make_national_id(RNG)


def wrong_checksum(national_id: str) -> str:
    last = (int(national_id[-1]) + 1) % 10
    return national_id[:-1] + str(last)


@pytest.fixture
def changes(app):
    seen: list[tuple[int, list[int]]] = []

    def receiver(sender, teacher_ids, **_data):
        seen.append((sender, teacher_ids))

    events.roster_changed.connect(receiver)
    yield seen
    events.roster_changed.disconnect(receiver)


# ---- options -----------------------------------------------------------------------------


def test_learning_areas_are_the_questionnaires_shared_list():
    import yaml

    from app.config import ROOT

    for name in ("teacher-113.yaml", "school-113.yaml"):
        spec = yaml.safe_load((ROOT / "data" / "questionnaires" / name).read_text("utf-8"))
        areas = spec.get("option_lists", {}).get("areas")
        if areas is None:
            continue
        # The roster lists the school subjects, not the kindergarten-only areas.
        subjects = [a for a in areas if a.get("stages") != ["K"]]
        assert [(a["code"], a["label"]["zh"]) for a in subjects] == list(LEARNING_AREAS), name


def test_subjects_round_trip_and_accept_short_names():
    assert subjects_text(["mathematics", "mandarin"]) == "國語文、數學"
    assert subject_codes("國語文、數學") == ["mandarin", "mathematics"]
    assert subject_codes("生活課程、不存在") == ["life_curriculum"]


# ---- services: register, transfer in, update, end -----------------------------------------


def test_register_a_new_teacher(factory, changes):
    school = factory.school()
    national_id = new_id()
    done = services.register_teacher(
        school,
        national_id,
        since=date(2026, 8, 1),
        title="導師",
        subjects="數學",
        name="林新師",
        email="new@school.edu.tw",
        phone="07-1234567",
    )
    db.session.commit()
    assert done.created
    assert done.left_schools == []
    teacher = services.find_by_national_id(national_id)
    assert teacher is done.teacher
    assert teacher.password_hash is None  # activates through the one-time link
    assert teacher.national_id_masked == national_id[:6] + "****"
    assert (teacher.email, teacher.phone) == ("new@school.edu.tw", "07-1234567")
    assert done.employment.valid_from == timeutil.taipei(2026, 8, 1)
    assert changes == [(school.id, [teacher.id])]
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "roster.register"))
    assert national_id not in str(entry.after)
    assert entry.after["national_id"] == teacher.national_id_masked


def test_a_new_teacher_needs_a_name(factory):
    with pytest.raises(RosterError) as refused:
        services.register_teacher(
            factory.school(), new_id(), since=date(2026, 8, 1), title="教師", subjects=""
        )
    assert refused.value.field == "name"


def test_an_existing_teacher_is_transferred_in(factory, changes, clock):
    clock.set(timeutil.taipei(2026, 8, 10, 9))
    old_school = factory.school(name="舊學校")
    new_school = factory.school(name="新學校")
    teacher = factory.teacher(old_school, name="轉校老師")
    account_hash = teacher.password_hash
    done = services.register_teacher(
        new_school,
        teacher.plain_national_id,
        since=date(2026, 8, 1),
        title="教師",
        subjects="英語文",
        name="不會改名",
    )
    db.session.commit()
    assert not done.created
    assert done.teacher.id == teacher.id
    assert teacher.name == "轉校老師"
    assert teacher.password_hash == account_hash
    previous = db.session.scalar(select(Employment).where(Employment.school_id == old_school.id))
    assert previous.end_reason == EndReason.TRANSFERRED
    assert previous.valid_to == timeutil.taipei(2026, 8, 1)
    # The other school sees the teacher leave; this school sees him arrive.
    assert services.roster_page(old_school, RosterQuery()).total == 0
    former = services.roster_page(old_school, RosterQuery(former=True))
    assert [row.teacher.id for row in former.rows] == [teacher.id]
    assert [row.teacher.id for row in services.roster_page(new_school, RosterQuery()).rows] == [
        teacher.id
    ]
    assert sorted(changes) == sorted([(new_school.id, [teacher.id]), (old_school.id, [teacher.id])])


def test_a_teacher_already_here_is_refused(factory):
    school = factory.school()
    teacher = factory.teacher(school)
    with pytest.raises(RosterError) as refused:
        services.register_teacher(
            school, teacher.plain_national_id, since=date(2026, 8, 1), title="教師", subjects=""
        )
    assert refused.value.field == "national_id"


def test_a_transfer_cannot_start_before_the_previous_service(factory):
    old_school, new_school = factory.school(), factory.school()
    teacher = factory.teacher(old_school, since=timeutil.taipei(2025, 8, 1))
    with pytest.raises(RosterError) as refused:
        services.register_teacher(
            new_school, teacher.plain_national_id, since=date(2025, 2, 1), title="教師", subjects=""
        )
    assert refused.value.field == "since"


def test_update_title_and_subjects(factory, changes):
    school = factory.school()
    teacher = factory.teacher(school)
    employment = services.serving_employment(school.id, teacher.id)
    services.update_teacher(employment, title="教師兼組長", subjects="數學、科技")
    db.session.commit()
    assert (employment.title, employment.subjects) == ("教師兼組長", "數學、科技")
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "roster.update"))
    assert entry.before == {"title": "教師", "subjects": "數學"}
    assert changes == [(school.id, [teacher.id])]


@pytest.mark.parametrize("reason", list(EndReason))
def test_leaving_keeps_the_account_and_plans(factory, changes, clock, reason):
    clock.set(timeutil.taipei(2026, 7, 31, 12))
    school = factory.school()
    teacher = factory.teacher(school)
    cycle = Cycle(
        academic_year=114,
        name="114學年度",
        status=CycleStatus.PUBLISHED,
        roster_cutoff=timeutil.taipei(2025, 8, 1),
    )
    db.session.add(cycle)
    db.session.flush()
    employment = services.serving_employment(school.id, teacher.id)
    services.end_employment(employment, reason, date(2026, 7, 31))
    db.session.commit()
    assert employment.end_reason == reason
    assert employment.valid_to == timeutil.taipei(2026, 7, 31)
    assert services.serving_employment(school.id, teacher.id) is None
    assert db.session.get(Teacher, teacher.id).password_hash  # the account stays
    assert services.roster_page(school, RosterQuery()).total == 0
    assert services.roster_page(school, RosterQuery(former=True)).rows[0].teacher.id == teacher.id
    assert changes == [(school.id, [teacher.id])]
    assert db.session.scalars(select(TeacherPlan)).all() == []  # nothing was deleted either


def test_leaving_cannot_precede_joining(factory):
    school = factory.school()
    teacher = factory.teacher(school, since=timeutil.taipei(2024, 8, 1))
    employment = services.serving_employment(school.id, teacher.id)
    with pytest.raises(RosterError) as refused:
        services.end_employment(employment, EndReason.LEFT, date(2024, 7, 1))
    assert refused.value.field == "ends_on"


def test_external_rosters_refuse_every_write(factory):
    for source in (RosterSource.ECE, RosterSource.TAIPEI):
        school = factory.school(source=source)
        teacher = factory.teacher(school)
        employment = services.serving_employment(school.id, teacher.id)
        with pytest.raises(RosterError):
            services.register_teacher(
                school, new_id(), since=date(2026, 8, 1), title="教師", subjects="", name="甲"
            )
        with pytest.raises(RosterError):
            services.update_teacher(employment, title="導師", subjects="")
        with pytest.raises(RosterError):
            services.end_employment(employment, EndReason.LEFT, date(2026, 9, 1))


# ---- the list ------------------------------------------------------------------------------


def _school_with_teachers(factory, count: int = 3):
    school = factory.school()
    names = ["陳一", "林二", "黃三", "張四", "李五"]
    teachers = []
    for n in range(count):
        teacher = factory.teacher(school, name=names[n % len(names)] + str(n))
        teachers.append(teacher)
    return school, teachers


def test_search_by_name_masked_id_title_or_subject(factory):
    school, teachers = _school_with_teachers(factory)
    employment = services.serving_employment(school.id, teachers[1].id)
    employment.title = "教師兼主任"
    employment.subjects = "自然科學"
    db.session.flush()

    def found(text: str) -> list[int]:
        return [r.teacher.id for r in services.roster_page(school, RosterQuery(text=text)).rows]

    assert found("林二") == [teachers[1].id]
    assert found(teachers[2].national_id_masked[:6].lower()) == [teachers[2].id]
    assert found("主任") == [teachers[1].id]
    assert found("自然") == [teachers[1].id]
    assert found("%") == [t.id for t in sorted(teachers, key=lambda t: t.name)]  # no wildcard
    assert found("沒有這個人") == []


def test_sort_is_allow_listed_and_pages(factory):
    school, _teachers = _school_with_teachers(factory, count=services.PAGE_SIZE + 2)
    query = RosterQuery.from_args({"sort": "password_hash", "dir": "desc", "page": "x"})
    assert (query.sort, query.descending, query.page) == ("name", True, 1)
    first = services.roster_page(school, query)
    assert first.total == services.PAGE_SIZE + 2
    assert first.pages == 2
    names = [row.teacher.name for row in first.rows]
    assert names == sorted(names, reverse=True)
    last = services.roster_page(school, RosterQuery.from_args({"page": "99"}))
    assert last.page == 2
    assert len(last.rows) == 2


def test_the_list_says_who_is_in_the_current_snapshot(factory):
    school, teachers = _school_with_teachers(factory, count=2)
    cycle = Cycle(
        academic_year=115,
        name="115學年度",
        status=CycleStatus.PUBLISHED,
        roster_cutoff=timeutil.taipei(2026, 8, 1),
    )
    db.session.add(cycle)
    db.session.flush()
    db.session.add(
        RosterSnapshot(
            cycle_id=cycle.id,
            teacher_id=teachers[0].id,
            school_id=school.id,
            title="教師",
            subjects="",
        )
    )
    db.session.flush()
    rows = {r.teacher.id: r.in_snapshot for r in services.roster_page(school, RosterQuery()).rows}
    assert rows == {teachers[0].id: True, teachers[1].id: False}


# ---- over HTTP ----------------------------------------------------------------------------


@pytest.fixture
def roster_clerk(factory):
    school = factory.school(name="測試國小")
    return factory.account(school, AccountType.ROSTER), school


def test_the_roster_page_and_its_htmx_partial(client, factory, roster_clerk):
    account, school = roster_clerk
    teacher = factory.teacher(school, name="頁面老師")
    login_account(client, account)
    page = client.get("/school/roster").get_data(as_text=True)
    assert "頁面老師" in page
    assert teacher.national_id_masked in page
    assert teacher.plain_national_id not in page
    assert "<html" in page
    assert 'id="roster-rows"' in page
    partial = client.get("/school/roster?q=頁面", headers={"HX-Request": "true"})
    body = partial.get_data(as_text=True)
    assert "<html" not in body
    assert body.lstrip().startswith('<div id="roster-rows">')
    assert "頁面老師" in body
    assert "HX-Request" in partial.headers["Vary"]
    none = client.get("/school/roster?q=查無此人&sort=evil;drop").get_data(as_text=True)
    assert "沒有符合的教師" in none


def test_chief_links_to_the_roster_from_the_dashboard(client, factory):
    school = factory.school()
    chief = factory.account(school, AccountType.CHIEF)
    planner = factory.account(school, AccountType.PLANNING)
    login_account(client, chief)
    assert "/school/roster" in client.get("/school/").get_data(as_text=True)
    client.post("/logout")
    login_account(client, planner)
    assert "/school/roster" not in client.get("/school/").get_data(as_text=True)
    assert client.get("/school/roster").status_code == 403


def _register_form(**overrides):
    data = {
        "national_id": new_id(),
        "name": "登錄老師",
        "email": "t@school.edu.tw",
        "phone": "07-7654321",
        "since": "2026-08-01",
        "title": "教師",
        "title_other": "",
        "subjects": ["mathematics", "english"],
    }
    data.update(overrides)
    return data


def test_register_over_http_shows_the_activation_link_once(client, roster_clerk, caplog):
    account, school = roster_clerk
    login_account(client, account)
    form = _register_form()
    with caplog.at_level(logging.INFO):
        response = client.post("/school/roster/register", data=form)
    assert response.status_code == 303
    assert form["national_id"] not in response.headers["Location"]
    teacher = db.session.scalar(select(Teacher).where(Teacher.name == "登錄老師"))
    employment = services.serving_employment(school.id, teacher.id)
    assert employment.subjects == "英語文、數學"
    page = client.get("/school/roster").get_data(as_text=True)
    links = re.findall(r"http://localhost/password/link/[A-Za-z0-9_\-]+", page)
    assert len(links) == 1
    token = links[0].rsplit("/", 1)[1]
    assert token not in client.get("/school/roster").get_data(as_text=True)  # once only
    assert token not in caplog.text
    assert form["national_id"] not in caplog.text
    assert "showed the activate link for teacher:" in caplog.text
    # The teacher sets a password with it, then signs in.
    client.post("/logout")
    new_password = "Spring-garden-2026"
    answer = client.post(
        f"/password/link/{token}",
        data={"new_password": new_password, "new_password_again": new_password},
    )
    assert answer.status_code == 303
    db.session.refresh(teacher)
    assert verify_password(teacher.password_hash, new_password)
    teacher.plain_national_id = form["national_id"]
    assert login_teacher(client, teacher, new_password).status_code == 303


def test_transfer_in_over_http(client, factory, roster_clerk):
    account, school = roster_clerk
    other = factory.school(name="他校國中")
    teacher = factory.teacher(other, name="他校老師")
    login_account(client, account)
    response = client.post(
        "/school/roster/register",
        data=_register_form(national_id=teacher.plain_national_id.lower(), name=""),
    )
    assert response.status_code == 303
    assert services.serving_employment(school.id, teacher.id) is not None
    assert services.serving_employment(other.id, teacher.id) is None
    assert db.session.scalars(select(OneTimeLink)).all() == []  # he has his account already


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("national_id", "WRONG", "長度應為 10 碼"),
        ("national_id", "1234567890", "第 1 碼應為英文字母"),
        ("national_id", "A3", "長度應為 10 碼"),
        ("national_id", "", "請輸入身分證字號或居留證號"),
        ("title_other", "長" * 31, "職稱最多 30 字"),
        ("email", "not-an-address", "電子郵件格式不正確"),
        ("phone", "call me", "電話只可包含數字"),
        ("since", "2026-13-45", "請輸入到職日"),
        ("since", "2099-01-01", "日期不可超過一年後"),
        ("title", "校董", "請從清單中選擇"),
        ("subjects", ["mathematics", "astrology"], "請從清單中選擇"),
    ],
)
def test_bad_registrations_are_refused_beside_the_field(
    client, roster_clerk, field, value, message
):
    account, _school = roster_clerk
    login_account(client, account)
    overrides = {field: value}
    if field == "title_other":
        overrides["title"] = "other"
    form = _register_form(**overrides)
    response = client.post("/school/roster/register", data=form)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert f'id="{field}-error"' in page
    error = re.search(rf'id="{field}-error">([^<]*)<', page).group(1)
    assert message in error
    assert 'value="登錄老師"' in page  # what was typed is kept
    assert db.session.scalars(select(Teacher)).all() == []


def test_a_wrong_checksum_is_refused_and_kept(client, roster_clerk):
    account, _school = roster_clerk
    login_account(client, account)
    typed = wrong_checksum(new_id())
    response = client.post("/school/roster/register", data=_register_form(national_id=typed))
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "檢查碼不符" in page
    assert f'value="{typed}"' in page


def test_a_new_teacher_without_name_is_refused_beside_the_name(client, roster_clerk):
    account, _school = roster_clerk
    login_account(client, account)
    response = client.post("/school/roster/register", data=_register_form(name=""))
    assert response.status_code == 422
    assert "新登錄的教師請填寫姓名" in response.get_data(as_text=True)
    assert db.session.scalars(select(Teacher)).all() == []


def test_edit_title_other_and_subjects(client, factory, roster_clerk):
    account, school = roster_clerk
    teacher = factory.teacher(school)
    login_account(client, account)
    page = client.get(f"/school/roster/{teacher.id}/edit").get_data(as_text=True)
    assert re.search(r'<input checked[^>]*value="mathematics"', page)  # 數學, as stored
    assert not re.search(r'<input checked[^>]*value="english"', page)
    response = client.post(
        f"/school/roster/{teacher.id}/edit",
        data={"title": "other", "title_other": "特教巡迴教師", "subjects": ["special_needs"]},
    )
    assert response.status_code == 303
    employment = services.serving_employment(school.id, teacher.id)
    assert (employment.title, employment.subjects) == ("特教巡迴教師", "特殊需求領域")
    missing = client.post(
        f"/school/roster/{teacher.id}/edit", data={"title": "other", "title_other": ""}
    )
    assert missing.status_code == 422
    assert "選擇「其他」時請填寫職稱" in missing.get_data(as_text=True)


def test_subjects_over_length_are_refused_beside_the_field(app, monkeypatch):
    from app.roster_admin import forms

    every_area = [code for code, _label in LEARNING_AREAS]
    with app.test_request_context(method="POST", data={"title": "教師", "subjects": every_area}):
        assert forms.EditForm().validate()  # today's whole list fits the column
        monkeypatch.setattr(forms, "SUBJECTS_MAX", len(subjects_text(every_area)) - 1)
        form = forms.EditForm()
        assert not form.validate()
        assert "授課領域合計最多" in str(form.subjects.errors[0])


def test_end_needs_a_confirmation_step(client, factory, roster_clerk, clock):
    clock.set(timeutil.taipei(2026, 7, 30, 10))
    account, school = roster_clerk
    teacher = factory.teacher(school, name="退休老師")
    login_account(client, account)
    first = client.post(
        f"/school/roster/{teacher.id}/end", data={"reason": "retired", "ends_on": "2026-07-30"}
    )
    assert first.status_code == 200
    page = first.get_data(as_text=True)
    assert "請確認" in page
    assert 'name="confirmed" value="yes"' in page
    assert services.serving_employment(school.id, teacher.id) is not None  # nothing yet
    done = client.post(
        f"/school/roster/{teacher.id}/end",
        data={"reason": "retired", "ends_on": "2026-07-30", "confirmed": "yes"},
    )
    assert done.status_code == 303
    assert services.serving_employment(school.id, teacher.id) is None
    former = client.get("/school/roster?show=former").get_data(as_text=True)
    assert "退休老師" in former
    assert "退休" in former
    # A teacher no longer serving here is not found for further changes.
    assert client.get(f"/school/roster/{teacher.id}/end").status_code == 404


def test_end_refuses_a_bad_reason_or_date(client, factory, roster_clerk):
    account, school = roster_clerk
    teacher = factory.teacher(school, since=timeutil.taipei(2024, 8, 1))
    login_account(client, account)
    forged = client.post(
        f"/school/roster/{teacher.id}/end",
        data={"reason": "fired", "ends_on": "2026-07-30", "confirmed": "yes"},
    )
    assert forged.status_code == 422
    assert 'id="reason-error"' in forged.get_data(as_text=True)
    assert "請從清單中選擇" in forged.get_data(as_text=True)
    early = client.post(
        f"/school/roster/{teacher.id}/end",
        data={"reason": "left", "ends_on": "2024-07-01", "confirmed": "yes"},
    )
    assert early.status_code == 422
    assert "離校日期必須晚於到職日" in early.get_data(as_text=True)
    assert services.serving_employment(school.id, teacher.id) is not None


def test_another_schools_teacher_is_not_found(client, factory, roster_clerk):
    account, _school = roster_clerk
    elsewhere = factory.teacher(factory.school(), name="別校老師")
    login_account(client, account)
    for path in ("edit", "end"):
        assert client.get(f"/school/roster/{elsewhere.id}/{path}").status_code == 404
        assert client.post(f"/school/roster/{elsewhere.id}/{path}", data={}).status_code == 404
    assert client.post(f"/school/roster/{elsewhere.id}/reset-link").status_code == 404
    assert client.get("/school/roster/999999/edit").status_code == 404


@pytest.mark.parametrize(
    ("source", "system"),
    [(RosterSource.ECE, "全國教保資訊網填報系統"), (RosterSource.TAIPEI, "臺北市教師研習網")],
)
def test_external_rosters_are_read_only(app, client, factory, source, system):
    school = factory.school(source=source)
    teacher = factory.teacher(school, name="外部名單老師")
    chief = factory.account(school, AccountType.CHIEF)
    login_account(client, chief)
    page = client.get("/school/roster").get_data(as_text=True)
    assert system in page
    assert "尚無紀錄" in page
    assert "外部名單老師" in page
    assert "/school/roster/register" not in page
    assert f"/school/roster/{teacher.id}/edit" not in page
    run = SyncRun(
        feed=source.value, started_at=timeutil.taipei(2026, 12, 1, 2, 0), status="applied"
    )
    db.session.add(run)
    db.session.commit()
    page = client.get("/school/roster").get_data(as_text=True)
    assert "尚無紀錄" not in page
    assert timeutil.roc_datetime(run.started_at) in page
    refused_run = SyncRun(
        feed=source.value, started_at=timeutil.taipei(2026, 12, 2, 2, 0), status="refused"
    )
    db.session.add(refused_run)
    db.session.commit()
    page = client.get("/school/roster").get_data(as_text=True)
    assert timeutil.roc_datetime(run.started_at) in page  # a refused file updated nothing
    assert timeutil.roc_datetime(refused_run.started_at) not in page
    setting = "ROSTER_ECE_URL" if source == RosterSource.ECE else "ROSTER_TAIPEI_URL"
    assert app.config[setting] in page
    refused = client.post("/school/roster/register", data=_register_form())
    assert refused.status_code == 409
    assert system in refused.get_data(as_text=True)
    assert client.post(f"/school/roster/{teacher.id}/edit", data={}).status_code == 409
    assert client.post(f"/school/roster/{teacher.id}/end", data={}).status_code == 409
    assert db.session.scalar(select(Teacher).where(Teacher.name == "登錄老師")) is None


def test_the_chief_sends_a_reset_link(client, factory, roster_clerk, caplog):
    account, school = roster_clerk
    teacher = factory.teacher(school)
    login_account(client, account)
    with caplog.at_level(logging.INFO):
        response = client.post(f"/school/roster/{teacher.id}/reset-link")
    assert response.status_code == 303
    page = client.get("/school/roster").get_data(as_text=True)
    token = re.search(r"/password/link/([A-Za-z0-9_\-]+)", page).group(1)
    assert token not in caplog.text
    link = db.session.scalar(select(OneTimeLink))
    assert link.purpose.value == "reset"
    assert link.expires_at - link.created_at == timedelta(hours=24)
    assert client.get(f"/password/link/{token}").status_code == 200
    assert PASSWORD  # the teacher's old password stays until the link is used


def test_registering_looks_up_the_indexed_keyed_hash(factory):
    from sqlalchemy import event, inspect

    teacher = factory.teacher(factory.school())
    unique = inspect(db.engine).get_unique_constraints("teacher")
    indexes = inspect(db.engine).get_indexes("teacher")
    indexed = [c["column_names"] for c in unique] + [i["column_names"] for i in indexes]
    assert ["national_id_hash"] in indexed
    statements: list[str] = []

    def record(_conn, _cursor, statement, *_args):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        assert services.find_by_national_id(teacher.plain_national_id) is teacher
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    [lookup] = [s for s in statements if "FROM teacher" in s]
    assert "teacher.national_id_hash = " in lookup
    assert teacher.plain_national_id not in lookup
