"""Courses (研習課程): registering, the status flow, the school's list, bad input."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from app.courses import services
from app.courses.services import CourseRefused
from app.extensions import db
from app.models import AccountType, AuditEntry, Course, CourseStatus
from tests.conftest import login_account

DAY = date(2026, 3, 1)


@pytest.fixture
def school(factory):
    return factory.school(name="高雄市立甲國小")


@pytest.fixture
def registrar(factory, school):
    return factory.account(school, AccountType.COURSES, username="course-keeper")


def _register(actor, school, **changes):
    values = {"title": "閱讀教學研習", "starts_on": DAY, "ends_on": DAY, "hours": 3}
    values.update(changes)
    return services.register_course(actor, school, **values)


def test_a_course_goes_through_every_status(registrar, school):
    course = _register(registrar, school)
    assert course.status == CourseStatus.EDITING
    seen = [course.status]
    while services.next_status(course.status) is not None:
        services.advance(registrar, course, course.status)
        seen.append(course.status)
    assert [str(s) for s in seen] == [
        "editing",
        "reviewing",
        "enrolling",
        "list_confirming",
        "list_confirmed",
    ]
    with pytest.raises(CourseRefused, match="沒有下一步"):
        services.advance(registrar, course)
    db.session.commit()
    actions = [e.action for e in db.session.scalars(select(AuditEntry).order_by(AuditEntry.id))]
    assert actions == ["course.register"] + ["course.advance"] * 4
    last = db.session.scalars(select(AuditEntry).order_by(AuditEntry.id.desc())).first()
    assert last.before["status"] == "list_confirming"
    assert last.after["status"] == "list_confirmed"
    assert last.school_id == school.id


def test_a_chief_registers_too_and_others_may_not(factory, school):
    chief = factory.account(school, AccountType.CHIEF)
    planner = factory.account(school, AccountType.PLANNING)
    elsewhere = factory.account(factory.school(), AccountType.COURSES)
    assert _register(chief, school).registered_by_id == chief.id
    with pytest.raises(CourseRefused):
        _register(planner, school)
    with pytest.raises(CourseRefused):
        _register(elsewhere, school)
    course = _register(chief, school)
    with pytest.raises(CourseRefused):
        services.advance(elsewhere, course)


def test_a_stale_page_does_not_move_a_course_twice(registrar, school):
    course = _register(registrar, school)
    services.advance(registrar, course, CourseStatus.EDITING)
    with pytest.raises(CourseRefused, match="已在別處變更"):
        services.advance(registrar, course, CourseStatus.EDITING)
    assert course.status == CourseStatus.REVIEWING


def test_service_rules_for_dates_hours_and_title(app, registrar, school):
    with pytest.raises(CourseRefused) as refused:
        _register(registrar, school, ends_on=date(2026, 2, 1))
    assert refused.value.field == "ends_on"
    with pytest.raises(CourseRefused) as refused:
        _register(registrar, school, hours=0)
    assert refused.value.field == "hours"
    with pytest.raises(CourseRefused) as refused:
        _register(registrar, school, title="課" * 121)
    assert refused.value.field == "title"


def test_the_school_sees_its_courses_with_status_and_registrar(client, factory, registrar, school):
    course = _register(registrar, school, title="數位學習研習")
    other = factory.school(name="高雄市立乙國小")
    other_keeper = factory.account(other, AccountType.COURSES)
    _register(other_keeper, other, title="別校的研習")
    planner = factory.account(school, AccountType.PLANNING)
    db.session.commit()
    login_account(client, planner)
    body = client.get("/school/courses/").get_data(as_text=True)
    assert "數位學習研習" in body
    assert "編輯中" in body
    assert "course-keeper" in body
    assert "別校的研習" not in body
    assert "/advance" not in body  # a planner sees, but does not move courses
    assert client.post(f"/school/courses/{course.id}/advance").status_code == 403


def test_registering_and_advancing_through_the_pages(client, registrar, school):
    login_account(client, registrar)
    answer = client.post(
        "/school/courses/new",
        data={
            "title": "校園安全研習",
            "starts_on": "2026-03-01",
            "ends_on": "2026-03-02",
            "hours": "6",
        },
    )
    assert answer.status_code == 303
    course = db.session.scalar(select(Course).where(Course.title == "校園安全研習"))
    assert course is not None
    assert course.hours == 6
    answer = client.post(f"/school/courses/{course.id}/advance", data={"status": "editing"})
    assert answer.status_code == 303
    db.session.refresh(course)
    assert course.status == CourseStatus.REVIEWING
    stale = client.post(f"/school/courses/{course.id}/advance", data={"status": "editing"})
    assert stale.status_code == 409
    assert "已在別處變更" in stale.get_data(as_text=True)
    db.session.refresh(course)
    assert course.status == CourseStatus.REVIEWING


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"title": ""}, "title", "請輸入課程名稱"),
        ({"title": "課" * 121}, "title", "課程名稱最多 120 個字"),
        ({"starts_on": "2026-13-40"}, "starts_on", "日期格式不正確"),
        ({"ends_on": "2026-02-01"}, "ends_on", "結束日期不能早於開始日期"),
        ({"hours": "three"}, "hours", "請輸入整數"),
        ({"hours": "999"}, "hours", "研習時數需介於 1 至 200 小時"),
    ],
)
def test_bad_course_input_is_refused_beside_the_field(
    client, registrar, school, changes, field, message
):
    login_account(client, registrar)
    data = {"title": "閱讀研習", "starts_on": "2026-03-01", "ends_on": "2026-03-02", "hours": "3"}
    data.update(changes)
    answer = client.post("/school/courses/new", data=data)
    body = answer.get_data(as_text=True)
    assert answer.status_code == 422, body
    assert f'id="{field}-error"' in body
    assert message in body
    assert db.session.scalar(select(Course)) is None


def test_a_foreign_course_id_does_not_exist(client, factory, registrar, school):
    other = factory.school()
    keeper = factory.account(other, AccountType.COURSES)
    foreign = _register(keeper, other)
    db.session.commit()
    login_account(client, registrar)
    assert client.post(f"/school/courses/{foreign.id}/advance").status_code == 404
    assert client.post("/school/courses/999999/advance").status_code == 404


def test_a_forged_status_never_moves_a_course_past_its_step(client, registrar, school):
    course = _register(registrar, school)
    db.session.commit()
    login_account(client, registrar)
    for forged in ("list_confirmed", "deleted"):
        answer = client.post(f"/school/courses/{course.id}/advance", data={"status": forged})
        assert answer.status_code == 409
        db.session.refresh(course)
        assert course.status == CourseStatus.EDITING  # never a jump, never a made-up status
