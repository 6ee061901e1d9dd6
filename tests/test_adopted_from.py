"""Issue 9 item 8: a hand-posted adopted_from is never stored (only real school rows);
the school plan's items beside the teacher's activity rows, marked once adopted, and in
the teacher's PDF."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import SchoolPlan, Stage, TeacherPlan
from app.timeutil import taipei
from tests.conftest import login_account, login_teacher
from tests.plan_helpers import school_form, setup_113, teacher_form
from tests.test_reports_support import (  # noqa: F401 - fixtures
    TEACHER_ANSWERS,
    build_world,
    download,
    pdf_text,
    reports_fixture,
    restore_signals_fixture,
    squash,
)


def _stored(model):
    plan = db.session.scalar(select(model))
    db.session.refresh(plan)
    return plan.answers


@pytest.mark.parametrize("url", ["/teacher/plan", "/teacher/plan/autosave"])
def test_a_forged_marker_is_dropped_without_a_school_plan(client, factory, clock, url):
    world = setup_113(factory)
    clock.set(taipei(2024, 9, 20, 10, 0))
    login_teacher(client, world["teachers"][Stage.ELEMENTARY])
    client.post(url, data=teacher_form(0, **{"q.activities.0.adopted_from": "7"}))
    assert _stored(TeacherPlan)["activities"] == [
        {
            "topic_category": "std04",
            "topic": "差異化教學策略",
            "mode": "plc",
            "hours": 12,
            "term": "second",
        }
    ]
    page = client.get("/teacher/plan").get_data(as_text=True)
    assert "取自學校計畫" not in page


def test_only_a_real_row_of_the_submitted_school_plan_is_kept(app, factory, clock):
    world = setup_113(factory)
    clock.set(taipei(2024, 8, 20, 10, 0))
    planner = app.test_client()
    login_account(planner, world["planners"][Stage.ELEMENTARY])
    # The school plan never stores a marker, whatever is posted.
    forged = school_form(0, action="submit", **{"q.activities.0.adopted_from": "0"})
    assert planner.post("/school/plan", data=forged).status_code == 303
    assert "adopted_from" not in _stored(SchoolPlan)["activities"][0]

    clock.set(taipei(2024, 9, 20, 10, 0))
    teacher = app.test_client()
    login_teacher(teacher, world["teachers"][Stage.ELEMENTARY])
    real = {
        "q.activities.1.topic": "素養導向課程設計工作坊",
        "q.activities.1.adopted_from": "0",  # the school's row 0: kept
        "q.activities.2.topic": "自訂",
        "q.activities.2.adopted_from": "7",  # no such school row: dropped
    }
    teacher.post("/teacher/plan/autosave", data=teacher_form(0, **real))
    rows = _stored(TeacherPlan)["activities"]
    assert [row.get("adopted_from") for row in rows] == [None, 0, None]
    teacher.post("/teacher/plan", data=teacher_form(1, **real))
    rows = _stored(TeacherPlan)["activities"]
    assert [row.get("adopted_from") for row in rows] == [None, 0, None]


# ---- the adoption table beside the activity rows (issue: UX item 4) ----------------------


def _teacher_with_school_plan(app, factory, clock):
    world = setup_113(factory)
    clock.set(taipei(2024, 8, 20, 10, 0))
    planner = app.test_client()
    login_account(planner, world["planners"][Stage.ELEMENTARY])
    assert planner.post("/school/plan", data=school_form(0, action="submit")).status_code == 303
    clock.set(taipei(2024, 9, 20, 10, 0))
    teacher = app.test_client()
    login_teacher(teacher, world["teachers"][Stage.ELEMENTARY])
    return teacher


def test_the_school_items_sit_right_after_the_activity_rows(app, factory, clock):
    teacher = _teacher_with_school_plan(app, factory, clock)
    page = teacher.get("/teacher/plan").get_data(as_text=True)
    rows, table = page.index('id="q-activities"'), page.index('id="adopt"')
    # Between the activity rows and the school's items: no other question, not 備註.
    following = page.index('id="q-', rows + 1)
    assert rows < table < following
    assert page.index("新增一列", rows) < table
    assert "已加入（您的第" not in page


def test_an_adopted_item_is_marked_and_a_second_adoption_says_so(app, factory, clock):
    teacher = _teacher_with_school_plan(app, factory, clock)
    assert teacher.post("/teacher/plan", data=teacher_form(0, action="adopt:0")).status_code == 303
    page = teacher.get("/teacher/plan").get_data(as_text=True)
    table = page[page.index('id="adopt"') :]
    assert 'class="is-adopted"' in table
    assert "已加入（您的第 2 列）" in table
    assert 'aria-describedby="adopted-0"' in table  # the button says it was taken
    assert "取自學校計畫" in page[page.index('id="q-activities"') : page.index('id="adopt"')]

    again = teacher.post(
        "/teacher/plan",
        data=teacher_form(
            1,
            action="adopt:0",
            **{
                "q.activities.1.adopted_from": "0",
                "q.activities.1.topic": "素養導向課程設計工作坊",
            },
        ),
    )
    assert again.status_code == 303
    assert again.headers["Location"] == "/teacher/plan#f-activities-1-topic_category"
    page = teacher.get("/teacher/plan").get_data(as_text=True)
    assert "學校規劃的第 1 項活動已在您的第 2 列，沒有重複加入。" in page
    rows = _stored(TeacherPlan)["activities"]
    assert [row.get("adopted_from") for row in rows] == [None, 0]


def test_the_teacher_pdf_marks_adopted_rows(reports, client, factory, clock):
    answers = {
        **TEACHER_ANSWERS,
        "activities": [
            {**TEACHER_ANSWERS["activities"][0]},
            {**TEACHER_ANSWERS["activities"][0], "topic": "校本活動", "adopted_from": 0},
        ],
    }
    world = build_world(factory, clock, teacher_answers=answers)
    login_teacher(client, world.teachers["submitted"])
    _, data = download(client, "/teacher/plan.pdf")
    flat = squash(pdf_text(data))
    assert "2★" in flat
    assert "1★" not in flat
    assert "★取自學校本位進修規劃的活動" in flat
