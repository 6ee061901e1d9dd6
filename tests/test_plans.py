"""Filling plans: date gating at the exact boundaries, extensions, conflicts, double
submit, late submit keeping the draft, adoption, the no-JS path, audit, statement counts."""

from __future__ import annotations

import os
import re
import threading
import time
from datetime import timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import event, func, select
from werkzeug.datastructures import MultiDict

from app.extensions import db
from app.models import (
    AccountType,
    AuditEntry,
    Extension,
    PlanKind,
    PlanStatus,
    PlanVersion,
    SchoolPlan,
    Stage,
    TeacherPlan,
)
from app.questionnaires import engine
from app.timeutil import taipei
from tests.conftest import PASSWORD, login_account, login_teacher
from tests.plan_helpers import school_form, setup_113, teacher_form

# The 113 letter's stage windows (SPEC §5): (opens, closes) as Taipei wall clock.
SCHOOL_WINDOWS = {
    Stage.SENIOR: ((2024, 8, 5), (2024, 8, 14)),
    Stage.VOCATIONAL: ((2024, 8, 5), (2024, 8, 14)),
    Stage.SPECIAL: ((2024, 8, 5), (2024, 8, 23)),
    Stage.JUNIOR: ((2024, 8, 12), (2024, 8, 21)),
    Stage.ELEMENTARY: ((2024, 8, 14), (2024, 8, 23)),
}
TEACHER_WINDOWS = {
    Stage.SENIOR: ((2024, 9, 2), (2024, 9, 13)),
    Stage.VOCATIONAL: ((2024, 9, 2), (2024, 9, 13)),
    Stage.SPECIAL: ((2024, 9, 2), (2024, 9, 13)),
    Stage.JUNIOR: ((2024, 9, 9), (2024, 9, 20)),
    Stage.ELEMENTARY: ((2024, 9, 16), (2024, 9, 27)),
}


def _at(day: tuple[int, int, int], hour: int, minute: int = 0, second: int = 0):
    return taipei(*day, hour, minute, second)


@pytest.fixture(params=["UTC", "Asia/Taipei", "America/New_York"])
def server_tz(request):
    """Run the test with the server's own time zone set to each of these."""
    before = os.environ.get("TZ")
    os.environ["TZ"] = request.param
    time.tzset()
    yield request.param
    if before is None:
        os.environ.pop("TZ", None)
    else:
        os.environ["TZ"] = before
    time.tzset()


@pytest.mark.parametrize("stage", list(SCHOOL_WINDOWS))
def test_school_plan_boundaries_per_stage(client, factory, clock, server_tz, stage):
    world = setup_113(factory, stages=(stage,))
    opens, closes = SCHOOL_WINDOWS[stage]
    login_account(client, world["planners"][stage])

    clock.set(_at(opens, 0) - timedelta(seconds=1))
    early = client.post("/school/plan", data=school_form(0))
    assert early.status_code == 409
    assert "尚未開放" in early.get_data(as_text=True)

    clock.set(_at(opens, 0))
    assert client.post("/school/plan", data=school_form(0)).status_code == 303

    clock.set(_at(closes, 16, 59, 59))
    assert (
        client.post(
            "/school/plan", data=school_form(1, **{"q.contact_name": "最後一秒"})
        ).status_code
        == 303
    )

    clock.set(_at(closes, 17, 0, 0))
    late = client.post("/school/plan", data=school_form(2, **{"q.contact_name": "太晚了"}))
    assert late.status_code == 409
    body = late.get_data(as_text=True)
    assert "已於" in body
    assert "17:00 截止" in body
    assert "太晚了" in body  # what was typed is still on the page
    plan = db.session.scalar(select(SchoolPlan))
    db.session.refresh(plan)
    assert plan.answers["contact_name"] == "最後一秒"


@pytest.mark.parametrize("stage", list(TEACHER_WINDOWS))
def test_teacher_plan_boundaries_per_stage(client, factory, clock, server_tz, stage):
    world = setup_113(factory, stages=(stage,))
    _, closes = TEACHER_WINDOWS[stage]
    login_teacher(client, world["teachers"][stage])
    clock.set(_at(closes, 16, 59, 59))
    assert client.post("/teacher/plan", data=teacher_form(0)).status_code == 303
    clock.set(_at(closes, 17, 0, 0))
    late = client.post("/teacher/plan", data=teacher_form(1, **{"q.remarks": "晚了一秒"}))
    assert late.status_code == 409
    assert "晚了一秒" in late.get_data(as_text=True)


def test_form_opened_before_five_submitted_after_keeps_content(client, factory, clock):
    world = setup_113(factory)
    login_teacher(client, world["teachers"][Stage.ELEMENTARY])
    clock.set(taipei(2024, 9, 27, 16, 50))
    assert client.post("/teacher/plan", data=teacher_form(0)).status_code == 303
    clock.set(taipei(2024, 9, 27, 16, 59, 30))
    page = client.get("/teacher/plan")
    assert page.status_code == 200
    clock.set(taipei(2024, 9, 27, 17, 0, 1))
    response = client.post(
        "/teacher/plan", data=teacher_form(1, action="submit", **{"q.remarks": "十七點零一秒送出"})
    )
    assert response.status_code == 409
    body = response.get_data(as_text=True)
    assert "十七點零一秒送出" in body
    assert "113年9月27日 17:00" in body
    plan = db.session.scalar(select(TeacherPlan))
    db.session.refresh(plan)
    assert plan.status == PlanStatus.DRAFT
    assert "remarks" not in plan.answers
    assert plan.version == 1


def test_school_extension_moves_the_close_for_that_school_only(client, app, factory, clock):
    world = setup_113(factory, stages=(Stage.ELEMENTARY, Stage.JUNIOR))
    elementary = world["schools"][Stage.ELEMENTARY]
    operator = factory.account(None, kind="operator")
    db.session.add(
        Extension(
            cycle_id=world["cycle"].id,
            plan_kind=PlanKind.SCHOOL,
            school_id=elementary.id,
            until=taipei(2024, 8, 26, 17, 0),
            granted_by_id=operator.id,
            reason="颱風停班",
        )
    )
    db.session.commit()
    clock.set(taipei(2024, 8, 26, 16, 59, 59))
    login_account(client, world["planners"][Stage.ELEMENTARY])
    assert client.post("/school/plan", data=school_form(0)).status_code == 303
    other = app.test_client()
    login_account(other, world["planners"][Stage.JUNIOR])
    assert other.post("/school/plan", data=school_form(0)).status_code == 409
    clock.set(taipei(2024, 8, 26, 17, 0))
    assert client.post("/school/plan", data=school_form(1)).status_code == 409


def test_teacher_extension_is_personal(client, app, factory, clock):
    world = setup_113(factory)
    school = world["schools"][Stage.ELEMENTARY]
    lucky = world["teachers"][Stage.ELEMENTARY]
    colleague = factory.teacher(school, name="同事")
    from app.cycles.services import take_snapshot

    take_snapshot(world["cycle"], force=True, moment=taipei(2024, 8, 2, 17))
    operator = factory.account(None, kind="operator")
    db.session.add(
        Extension(
            cycle_id=world["cycle"].id,
            plan_kind=PlanKind.TEACHER,
            teacher_id=lucky.id,
            until=taipei(2024, 9, 30, 17, 0),
            granted_by_id=operator.id,
            reason="產假",
        )
    )
    db.session.commit()
    clock.set(taipei(2024, 9, 28, 10, 0))
    login_teacher(client, lucky)
    assert client.post("/teacher/plan", data=teacher_form(0)).status_code == 303
    other = app.test_client()
    login_teacher(other, colleague)
    assert other.post("/teacher/plan", data=teacher_form(0)).status_code == 409


def test_stale_version_is_refused_and_the_other_change_shown(app, factory, clock):
    world = setup_113(factory)
    school = world["schools"][Stage.ELEMENTARY]
    first = world["planners"][Stage.ELEMENTARY]
    second = factory.account(school, AccountType.CHIEF)
    db.session.commit()
    clock.set(taipei(2024, 8, 20, 10, 0))
    alice, bob = app.test_client(), app.test_client()
    login_account(alice, first)
    login_account(bob, second)
    assert alice.post("/school/plan", data=school_form(0)).status_code == 303
    assert (
        alice.post("/school/plan", data=school_form(1, **{"q.contact_name": "甲改的"})).status_code
        == 303
    )
    stale = bob.post("/school/plan", data=school_form(1, **{"q.contact_name": "乙改的"}))
    assert stale.status_code == 409
    body = stale.get_data(as_text=True)
    assert "已在您開啟後被更新" in body
    assert "甲改的" in body  # the other's change is shown
    assert "乙改的" in body  # and what Bob typed is kept in the form
    plan = db.session.scalar(select(SchoolPlan))
    db.session.refresh(plan)
    assert plan.answers["contact_name"] == "甲改的"
    assert plan.version == 2
    # Having seen it, Bob saves deliberately from the version he was shown.
    assert (
        bob.post("/school/plan", data=school_form(2, **{"q.contact_name": "乙確認後"})).status_code
        == 303
    )


def test_double_submit_at_once_yields_one_submission(app, factory, clock):
    world = setup_113(factory)
    clock.set(taipei(2024, 9, 20, 10, 0))
    teacher = world["teachers"][Stage.ELEMENTARY]
    clients = [app.test_client(), app.test_client()]
    for c in clients:
        login_teacher(c, teacher)
    assert clients[0].post("/teacher/plan", data=teacher_form(0)).status_code == 303
    barrier = threading.Barrier(2)
    codes = []

    def submit(c):
        with app.app_context():
            barrier.wait()
            codes.append(c.post("/teacher/plan", data=teacher_form(1, action="submit")).status_code)

    threads = [threading.Thread(target=submit, args=(c,)) for c in clients]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(codes) == [303, 303]  # both users are told it is submitted
    assert db.session.scalar(select(func.count()).select_from(PlanVersion)) == 1
    plan = db.session.scalar(select(TeacherPlan))
    db.session.refresh(plan)
    assert plan.status == PlanStatus.SUBMITTED
    assert plan.version == 2


def test_submit_validates_every_field_beside_it(client, factory, clock):
    world = setup_113(factory)
    clock.set(taipei(2024, 9, 20, 10, 0))
    login_teacher(client, world["teachers"][Stage.ELEMENTARY])
    data = teacher_form(
        0,
        action="submit",
        **{"q.needs.1": "", "q.activities.0.hours": "999", "q.preferred_times": []},
    )
    response = client.post("/teacher/plan", data=data)
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    assert "請輸入 1 到 200 之間的整數" in body
    assert "999" in body  # the typed value is kept
    assert 'aria-invalid="true"' in body
    assert db.session.scalar(select(func.count()).select_from(TeacherPlan)) == 0


def test_reopen_and_resubmit_keep_every_version(client, factory, clock):
    world = setup_113(factory)
    clock.set(taipei(2024, 9, 20, 10, 0))
    login_teacher(client, world["teachers"][Stage.ELEMENTARY])
    assert client.post("/teacher/plan", data=teacher_form(0, action="submit")).status_code == 303
    page = client.get("/teacher/plan").get_data(as_text=True)
    assert "重新開啟修改" in page
    assert client.post("/teacher/plan/reopen", data={"version": "1"}).status_code == 303
    assert (
        client.post(
            "/teacher/plan", data=teacher_form(2, action="submit", **{"q.remarks": "第二次送出"})
        ).status_code
        == 303
    )
    versions = db.session.scalars(select(PlanVersion).order_by(PlanVersion.version)).all()
    assert [v.version for v in versions] == [1, 3]
    assert versions[1].answers["remarks"] == "第二次送出"
    actions = db.session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)).all()
    assert [a for a in actions if a.startswith("plan.")] == [
        "plan.submit",
        "plan.reopen",
        "plan.submit",
    ]


def test_read_only_after_the_window(client, factory, clock):
    world = setup_113(factory)
    clock.set(taipei(2024, 9, 20, 10, 0))
    login_teacher(client, world["teachers"][Stage.ELEMENTARY])
    client.post("/teacher/plan", data=teacher_form(0))
    clock.set(taipei(2024, 9, 28, 9, 0))
    page = client.get("/teacher/plan").get_data(as_text=True)
    assert "已截止" in page
    assert 'id="plan-form"' not in page
    assert "差異化教學策略" in page


def test_teacher_adopts_school_rows_with_one_click(app, factory, clock):
    world = setup_113(factory)
    clock.set(taipei(2024, 8, 20, 10, 0))
    planner = app.test_client()
    login_account(planner, world["planners"][Stage.ELEMENTARY])
    assert planner.post("/school/plan", data=school_form(0, action="submit")).status_code == 303
    clock.set(taipei(2024, 9, 20, 10, 0))
    teacher = app.test_client()
    login_teacher(teacher, world["teachers"][Stage.ELEMENTARY])
    page = teacher.get("/teacher/plan").get_data(as_text=True)
    assert "素養導向課程設計工作坊" in page
    assert "加入我的規劃" in page
    moved = teacher.post("/teacher/plan", data=teacher_form(0, action="adopt:0"))
    assert moved.headers["Location"] == "/teacher/plan#f-activities-1-topic_category"
    response = teacher.post(
        "/teacher/plan", data=teacher_form(0, action="adopt:0"), follow_redirects=True
    )
    assert response.status_code == 200
    plan = db.session.scalar(select(TeacherPlan))
    db.session.refresh(plan)
    topics = [row["topic"] for row in plan.answers["activities"]]
    assert topics == ["差異化教學策略", "素養導向課程設計工作坊"]
    assert plan.answers["activities"][1]["adopted_from"] == 0


def test_rows_are_added_and_removed_without_javascript(client, factory, clock):
    world = setup_113(factory)
    clock.set(taipei(2024, 9, 20, 10, 0))
    login_teacher(client, world["teachers"][Stage.ELEMENTARY])
    # Back to the row concerned: a URL fragment naming its first field.
    moved = client.post("/teacher/plan", data=teacher_form(0, action="add_row:activities"))
    assert moved.status_code == 303
    assert moved.headers["Location"] == "/teacher/plan#f-activities-1-topic_category"
    added = client.get(moved.headers["Location"])
    assert added.status_code == 200
    assert 'name="q.activities.1.topic"' in added.get_data(as_text=True)
    assert 'id="f-activities-1-topic_category"' in added.get_data(as_text=True)
    removed = client.post(
        "/teacher/plan",
        data=teacher_form(1, action="remove_row:activities:0"),
        follow_redirects=True,
    )
    assert removed.status_code == 200
    plan = db.session.scalar(select(TeacherPlan))
    db.session.refresh(plan)
    assert plan.version == 2


def test_autosave_answers_with_status_line_and_new_version(client, factory, clock):
    world = setup_113(factory)
    clock.set(taipei(2024, 9, 20, 14, 32))
    login_teacher(client, world["teachers"][Stage.ELEMENTARY])
    response = client.post(
        "/teacher/plan/autosave", data=teacher_form(0), headers={"HX-Request": "true"}
    )
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert "已自動儲存 14:32" in body
    assert 'role="status"' in body
    assert 'name="version" value="1"' in body
    # Issue 8: a field that does not validate no longer stops the draft from saving; the
    # status says exactly what happened and the problem comes back for its field.
    bad = client.post(
        "/teacher/plan/autosave",
        data=teacher_form(1, **{"q.activities.0.hours": "abc", "q.remarks": "備" * 2500}),
        headers={"HX-Request": "true"},
    )
    body = bad.get_data(as_text=True)
    assert "已自動儲存 14:32，2 個欄位需修正" in body
    assert 'name="version" value="2"' in body
    assert 'data-for="q.activities.0.hours"' in body
    assert 'data-for="q.remarks"' in body
    plan = db.session.scalar(select(TeacherPlan))
    db.session.refresh(plan)
    assert plan.answers["activities"][0]["hours"] == "abc"
    assert plan.answers["remarks"] == "備" * 2500
    assert 'data-confirmed="true"' in body  # the browser may drop its copy
    clock.set(taipei(2024, 9, 27, 17, 0))
    late = client.post(
        "/teacher/plan/autosave", data=teacher_form(2), headers={"HX-Request": "true"}
    ).get_data(as_text=True)
    assert "尚未自動儲存" in late
    assert 'data-confirmed="false"' in late  # answered, not stored: the copy stays


def test_teacher_not_in_snapshot_gets_an_explanation(client, factory, clock):
    world = setup_113(factory)
    newcomer = factory.teacher(
        world["schools"][Stage.ELEMENTARY], name="新進老師", since=taipei(2024, 8, 10)
    )
    db.session.commit()
    clock.set(taipei(2024, 9, 20, 10, 0))
    login_teacher(client, newcomer)
    response = client.get("/teacher/plan")
    assert response.status_code == 403
    body = response.get_data(as_text=True)
    assert "您不在本學年度的教師名單中" in body
    assert "113年8月2日 17:00" in body


def test_kindergarten_has_no_school_plan_and_teachers_follow_the_cycle(client, app, factory, clock):
    world = setup_113(factory, stages=(Stage.KINDERGARTEN,))
    clock.set(taipei(2024, 8, 20, 10, 0))
    login_account(client, world["planners"][Stage.KINDERGARTEN])
    assert client.get("/school/plan").status_code == 403
    teacher = app.test_client()
    login_teacher(teacher, world["teachers"][Stage.KINDERGARTEN])
    clock.set(taipei(2024, 9, 20, 10, 0))
    assert teacher.post("/teacher/plan", data=teacher_form(0)).status_code == 409
    world["cycle"].kindergarten_teachers_take_part = True
    from app.models import Window

    db.session.add(
        Window(
            cycle_id=world["cycle"].id,
            plan_kind=PlanKind.TEACHER,
            stage=Stage.KINDERGARTEN,
            opens_at=taipei(2024, 9, 2),
            closes_at=taipei(2024, 9, 27, 17),
        )
    )
    db.session.commit()
    assert teacher.post("/teacher/plan", data=teacher_form(0)).status_code == 303


@pytest.mark.parametrize(
    ("path", "who"),
    [
        ("/school/plan", "teacher"),
        ("/school/plan", "roster_only"),
        ("/teacher/plan", "account"),
    ],
)
def test_plan_pages_refuse_the_wrong_user(client, factory, clock, path, who):
    world = setup_113(factory)
    school = world["schools"][Stage.ELEMENTARY]
    if who == "teacher":
        login_teacher(client, world["teachers"][Stage.ELEMENTARY])
    elif who == "roster_only":
        login_account(client, factory.account(school, AccountType.ROSTER))
    else:
        login_account(client, world["planners"][Stage.ELEMENTARY])
    assert client.get(path).status_code == 403
    assert client.post(path, data={"version": "0"}).status_code == 403


@pytest.mark.parametrize(
    "path",
    [
        "/school/plan",
        "/school/plan/autosave",
        "/teacher/plan",
        "/teacher/plan/autosave",
        "/teacher/plan/reopen",
    ],
)
def test_anonymous_writes_are_sent_to_sign_in(client, path):
    response = client.post(path, data={})
    assert response.status_code == 303
    assert "/login" in response.headers["Location"]


class StatementCounter:
    def __init__(self, engine):
        self.engine, self.count = engine, 0

    def __enter__(self):
        event.listen(self.engine, "before_cursor_execute", self._hit)
        return self

    def __exit__(self, *exc):
        event.remove(self.engine, "before_cursor_execute", self._hit)

    def _hit(self, *args):
        self.count += 1


def test_teacher_page_and_autosave_use_at_most_four_statements(client, factory, clock):
    world = setup_113(factory)
    clock.set(taipei(2024, 9, 20, 10, 0))
    login_teacher(client, world["teachers"][Stage.ELEMENTARY])
    client.post("/teacher/plan", data=teacher_form(0))
    db.session.remove()
    with StatementCounter(db.engine) as page:
        assert client.get("/teacher/plan").status_code == 200
    with StatementCounter(db.engine) as autosave:
        response = client.post("/teacher/plan/autosave", data=teacher_form(1))
        assert "已自動儲存" in response.get_data(as_text=True)
    assert page.count <= 4
    assert autosave.count <= 4


def test_school_page_and_autosave_use_at_most_four_statements(client, factory, clock):
    world = setup_113(factory)
    clock.set(taipei(2024, 8, 20, 10, 0))
    login_account(client, world["planners"][Stage.ELEMENTARY])
    client.post("/school/plan", data=school_form(0))
    db.session.remove()
    with StatementCounter(db.engine) as page:
        assert client.get("/school/plan").status_code == 200
    with StatementCounter(db.engine) as autosave:
        response = client.post("/school/plan/autosave", data=school_form(1))
        assert "已自動儲存" in response.get_data(as_text=True)
    assert page.count <= 4
    assert autosave.count <= 4


def test_a_conflict_with_your_own_other_tab_says_so(app, factory, clock):
    world = setup_113(factory)
    clock.set(taipei(2024, 9, 20, 10, 0))
    teacher = world["teachers"][Stage.ELEMENTARY]
    first_tab, second_tab = app.test_client(), app.test_client()
    login_teacher(first_tab, teacher)
    login_teacher(second_tab, teacher)
    assert first_tab.post("/teacher/plan", data=teacher_form(0)).status_code == 303
    stale = second_tab.post("/teacher/plan", data=teacher_form(0, **{"q.remarks": "分頁二"}))
    assert stale.status_code == 409
    body = stale.get_data(as_text=True)
    assert "您的另一個視窗或分頁" in body
    assert "分頁二" in body


def test_the_plan_form_speaks_english_when_chosen(client, factory, clock):
    world = setup_113(factory)
    clock.set(taipei(2024, 9, 20, 10, 0))
    login_teacher(client, world["teachers"][Stage.ELEMENTARY])
    client.get("/lang/en")
    page = client.get("/teacher/plan").get_data(as_text=True)
    assert 'lang="en"' in page
    assert "Save draft" in page
    assert "Planned activities" in page  # the questionnaire's own English label
    refused = client.post(
        "/teacher/plan", data=teacher_form(0, action="submit", **{"q.activities.0.hours": "999"})
    )
    assert "Enter a whole number from 1 to 200." in refused.get_data(as_text=True)


def test_teacher_dashboard_shows_the_snapshot_schools_window(client, factory, clock):
    world = setup_113(factory)
    clock.set(taipei(2024, 9, 27, 16, 0))
    login_teacher(client, world["teachers"][Stage.ELEMENTARY])
    page = client.get("/teacher/").get_data(as_text=True)
    assert "填寫中" in page
    assert "113年9月27日 17:00" in page
    clock.set(taipei(2024, 9, 27, 17, 0))
    assert "已截止" in client.get("/teacher/").get_data(as_text=True)


# ---- issue 8: nothing typed is lost ----------------------------------------------------


def _hidden_fields(body: str) -> list[tuple[str, str]]:
    import html

    return [
        (html.unescape(name), html.unescape(value))
        for name, value in re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', body)
    ]


def test_a_plain_save_with_an_ended_session_keeps_the_answers_through_sign_in(
    client, factory, clock
):
    from app.auth.services import end_session

    world = setup_113(factory)
    clock.set(taipei(2024, 9, 20, 10, 0))
    teacher = world["teachers"][Stage.ELEMENTARY]
    login_teacher(client, teacher)
    assert client.post("/teacher/plan", data=teacher_form(0)).status_code == 303
    end_session(db.session.get(type(teacher), teacher.id))  # signed out on another device
    db.session.commit()
    typed = teacher_form(1, **{"q.remarks": "登入結束前打的字"})
    kept = client.post("/teacher/plan", data=typed)
    assert kept.status_code == 401
    page = kept.get_data(as_text=True)
    assert "請重新登入以儲存內容" in page
    carried = dict(_hidden_fields(page))
    assert carried["carry.q.remarks"] == "登入結束前打的字"
    assert carried["carry_to"] == "/teacher/plan"
    assert "carry.csrf_token" not in carried

    # A wrong password keeps the answers on the page too.
    wrong = client.post(
        "/teacher/login",
        data={**carried, "national_id": teacher.plain_national_id, "password": "wrong"},
    )
    assert wrong.status_code == 401
    assert "登入結束前打的字" in wrong.get_data(as_text=True)

    signed_in = client.post(
        "/teacher/login",
        data={**carried, "national_id": teacher.plain_national_id, "password": PASSWORD},
    )
    assert signed_in.status_code == 200
    resume_page = signed_in.get_data(as_text=True)
    assert 'action="/teacher/plan"' in resume_page
    assert "data-auto-submit" in resume_page
    fields = _hidden_fields(resume_page)
    assert ("q.remarks", "登入結束前打的字") in fields
    saved = client.post("/teacher/plan", data=MultiDict(fields))
    assert saved.status_code == 303
    plan = db.session.scalar(select(TeacherPlan))
    db.session.refresh(plan)
    assert plan.answers["remarks"] == "登入結束前打的字"
    assert plan.version == 2


def test_a_cross_site_post_is_not_carried_through_sign_in(client, factory, clock):
    world = setup_113(factory)
    clock.set(taipei(2024, 9, 20, 10, 0))
    response = client.post(
        "/teacher/plan",
        data=teacher_form(0, **{"q.remarks": "別的網站塞的"}),
        headers={"Sec-Fetch-Site": "cross-site"},
    )
    assert response.status_code == 303
    assert "/teacher/login" in response.headers["Location"]
    assert world  # the plan exists; nothing was carried


@pytest.mark.parametrize(
    ("posted_to", "lands_on"),
    [("/teacher/plan/autosave", "/teacher/plan"), ("/teacher/plan/reopen", "/teacher/plan")],
)
def test_sign_in_never_lands_on_a_post_only_url(client, factory, clock, posted_to, lands_on):
    world = setup_113(factory)
    clock.set(taipei(2024, 9, 20, 10, 0))
    sent = client.post(posted_to, data={}, headers={"HX-Request": "true"})
    assert sent.status_code == 401  # htmx: the ended session is said in place
    target = re.search(r'href="([^"]+)"', sent.get_data(as_text=True)).group(1)
    assert "/teacher/login" in target
    assert "autosave" not in target
    assert "reopen" not in target
    teacher = world["teachers"][Stage.ELEMENTARY]
    old_link = client.post(
        f"/teacher/login?next={posted_to}",
        data={"national_id": teacher.plain_national_id, "password": PASSWORD},
    )
    assert old_link.status_code == 303
    assert old_link.headers["Location"] == lands_on


def test_the_token_endpoint_serves_only_a_signed_in_user(client, factory, clock):
    world = setup_113(factory)
    anonymous = client.get("/plans/token")
    assert anonymous.status_code == 401
    assert anonymous.get_json() == {"signed_in": False}
    login_teacher(client, world["teachers"][Stage.ELEMENTARY])
    fresh = client.get("/plans/token")
    assert fresh.status_code == 200
    assert fresh.get_json()["csrf_token"]
    assert fresh.headers["Cache-Control"] == "no-store"


def test_a_conflict_is_shown_side_by_side_and_settled_by_a_choice(app, factory, clock):
    world = setup_113(factory)
    school = world["schools"][Stage.ELEMENTARY]
    second = factory.account(school, AccountType.CHIEF)
    db.session.commit()
    clock.set(taipei(2024, 8, 20, 10, 0))
    alice, bob = app.test_client(), app.test_client()
    login_account(alice, world["planners"][Stage.ELEMENTARY])
    login_account(bob, second)
    assert alice.post("/school/plan", data=school_form(0)).status_code == 303
    page = bob.get("/school/plan").get_data(as_text=True)
    base = re.search(r'name="base" value="([^"]+)"', page).group(1)
    assert (
        alice.post(
            "/school/plan", data=school_form(1, **{"q.contact_name": "甲改的", "base": base})
        ).status_code
        == 303
    )
    mine = school_form(1, **{"q.contact_name": "乙改的", "q.remarks": "乙的備註", "base": base})
    stale = bob.post("/school/plan", data=mine)
    assert stale.status_code == 409
    body = stale.get_data(as_text=True)
    assert "兩邊都修改的欄位" in body
    assert 'name="resolve.contact_name" value="mine"' in body
    assert "甲改的" in body
    assert "乙改的" in body
    plan = db.session.scalar(select(SchoolPlan))
    db.session.refresh(plan)
    assert plan.answers["contact_name"] == "甲改的"  # nothing overwritten without a choice
    assert plan.answers["remarks"] == "乙的備註"  # the field only Bob changed is merged
    # Saving again without choosing still asks; choosing settles it.
    version = re.search(r'name="version" value="(\d+)"', body).group(1)
    base = re.search(r'name="base" value="([^"]+)"', body).group(1)
    again = school_form(
        int(version), **{"q.contact_name": "乙改的", "q.remarks": "乙的備註", "base": base}
    )
    assert bob.post("/school/plan", data=again).status_code == 409
    chosen = bob.post("/school/plan", data={**again, "resolve.contact_name": "mine"})
    assert chosen.status_code == 303
    db.session.refresh(plan)
    assert plan.answers["contact_name"] == "乙改的"
    merges = db.session.scalars(
        select(AuditEntry).where(AuditEntry.action == "plan.merge").order_by(AuditEntry.id)
    ).all()
    assert merges
    assert merges[0].after["conflicts"] == ["contact_name"]


def test_the_plan_page_shows_a_stored_drafts_problems_beside_their_fields(client, factory, clock):
    world = setup_113(factory)
    clock.set(taipei(2024, 9, 20, 10, 0))
    login_teacher(client, world["teachers"][Stage.ELEMENTARY])
    saved = client.post("/teacher/plan", data=teacher_form(0, **{"q.activities.0.hours": "abc"}))
    assert saved.status_code == 303
    page = client.get("/teacher/plan").get_data(as_text=True)
    assert "1 個欄位需修正" in page  # the flash says exactly what happened
    assert 'id="e-activities-0-hours"' in page
    assert 'value="abc"' in page


# ---- issue 8: whatever is posted to autosave, nothing stored is lost --------------------


_HOSTILE = st.one_of(
    st.sampled_from(
        ["abc", "十二", "-1", "1e309", "NaN", "\x00", "<script>", "std99", "a" * 3000, ""]
    ),
    st.text(max_size=80),
)


@settings(
    max_examples=150,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    extra=st.dictionaries(
        st.sampled_from(
            [
                "q.remarks",
                "q.needs_description",
                "q.needs.1",
                "q.needs.4",
                "q.interest_areas",
                "q.activities.0.hours",
                "q.activities.0.topic",
                "q.activities.3.mode",
                "q.activities.99.topic",
                "resolve.remarks",
                "base",
                "version",
            ]
        ),
        _HOSTILE,
        max_size=6,
    ),
    stale=st.booleans(),
    with_base=st.booleans(),
)
def test_autosave_never_loses_what_is_stored(autosave_world, extra, stale, with_base):
    client, definition = autosave_world
    db.session.expire_all()
    before = db.session.scalar(select(TeacherPlan))
    stored, version = dict(before.answers), before.version
    data = teacher_form(version - 1 if stale else version, **{"q.remarks": "前一次的內容"})
    if with_base:
        page = client.get("/teacher/plan").get_data(as_text=True)
        data["base"] = re.search(r'name="base" value="([^"]+)"', page).group(1)
    data.update(extra)
    response = client.post("/teacher/plan/autosave", data=data, headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert 'role="status"' in response.get_data(as_text=True)
    db.session.expire_all()
    after = db.session.scalar(select(TeacherPlan))
    posted = engine.parse_form(definition, MultiDict(data))
    if after.version == version:
        assert dict(after.answers) == stored  # refused or all in conflict: nothing changed
        return
    assert after.version == version + 1
    for code in set(stored) | set(after.answers) | set(posted):
        kept = after.answers.get(code)
        # Each field is either what was stored or what was typed: nothing else, nothing lost
        # without the person having sent it at the version they saw.
        assert kept in (stored.get(code), posted.get(code)), code
        if kept != stored.get(code):
            assert str(data.get("version")) == str(version)


@pytest.fixture
def autosave_world(client, factory, clock):
    world = setup_113(factory)
    clock.set(taipei(2024, 9, 20, 10, 0))
    login_teacher(client, world["teachers"][Stage.ELEMENTARY])
    assert client.post("/teacher/plan", data=teacher_form(0)).status_code == 303
    plan = db.session.scalar(select(TeacherPlan))
    return client, plan.questionnaire.definition


def test_autosave_keeps_nul_bytes_and_invalid_utf8_out_and_the_rest_in(client, factory, clock):
    world = setup_113(factory)
    clock.set(taipei(2024, 9, 20, 10, 0))
    login_teacher(client, world["teachers"][Stage.ELEMENTARY])
    body = "version=0&q.remarks=%E5%82%99%00%FF%FE&q.activities.0.hours=%F0%28%8C%28"
    response = client.post(
        "/teacher/plan/autosave",
        data=body.encode(),
        content_type="application/x-www-form-urlencoded",
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    assert "已自動儲存" in response.get_data(as_text=True)
    plan = db.session.scalar(select(TeacherPlan))
    db.session.refresh(plan)
    assert plan.answers["remarks"].startswith("備")
    assert "\x00" not in plan.answers["remarks"]
    assert "q.activities.0.hours" in response.get_data(as_text=True)  # reported, kept


def test_long_option_lists_read_in_columns(client, factory, clock):
    world = setup_113(factory, stages=(Stage.ELEMENTARY,))
    login_teacher(client, world["teachers"][Stage.ELEMENTARY])
    clock.set(_at(TEACHER_WINDOWS[Stage.ELEMENTARY][1], 9))
    page = client.get("/teacher/plan").get_data(as_text=True)
    fieldsets = re.findall(r'<fieldset class="field q-question q-choices.*?</fieldset>', page, re.S)
    layouts = set()
    for fieldset in fieldsets:
        options = fieldset.count('class="q-option"') - fieldset.count("--none")
        columns = "q-options-columns" in fieldset
        assert columns == (options >= 8)
        layouts.add(columns)
    assert layouts == {True, False}  # the teacher plan has long and short lists
