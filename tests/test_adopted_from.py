"""Issue 9 item 8: a hand-posted adopted_from is never stored (only real school rows)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import SchoolPlan, Stage, TeacherPlan
from app.timeutil import taipei
from tests.conftest import login_account, login_teacher
from tests.plan_helpers import school_form, setup_113, teacher_form


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
