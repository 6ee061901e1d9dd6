"""Long forms as a task list, and a review before submit (GOV.UK's task-list and
check-your-answers patterns): each section's state; 送出規劃 → review → 確認送出."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from werkzeug.datastructures import MultiDict

from app.extensions import db
from app.models import PlanStatus, PlanVersion, SchoolPlan, Stage, TeacherPlan
from app.plans import services
from app.plans.services import SectionState
from app.questionnaires import engine
from app.timeutil import taipei
from tests.conftest import login_account, login_teacher
from tests.plan_helpers import school_form, setup_113, teacher_form

SCHOOL_OPEN = taipei(2024, 8, 20, 10, 0)
TEACHER_OPEN = taipei(2024, 9, 20, 10, 0)
SCHOOL_CLOSED = taipei(2024, 8, 23, 17, 0)
TEACHER_CLOSED = taipei(2024, 9, 27, 17, 0)

# kind: (plan URL, a valid form, a required field to leave out, model, an open moment)
PLANS = {
    "school": ("/school/plan", school_form, "q.contact_name", SchoolPlan, SCHOOL_OPEN),
    "teacher": ("/teacher/plan", teacher_form, "q.needs.1", TeacherPlan, TEACHER_OPEN),
}
CLOSED = {"school": SCHOOL_CLOSED, "teacher": TEACHER_CLOSED}


def _sign_in(client, world, kind):
    if kind == "school":
        login_account(client, world["planners"][Stage.ELEMENTARY])
    else:
        login_teacher(client, world["teachers"][Stage.ELEMENTARY])


@pytest.fixture
def plan_world(factory):
    return setup_113(factory)


def _stored(model):
    plan = db.session.scalar(select(model))
    db.session.refresh(plan)
    return plan


# ---- section states ------------------------------------------------------------------------


def _tasks(world, answers, shown_errors=None):
    ctx = services.load_school_context(world["schools"][Stage.ELEMENTARY].id, 113)
    return {t.code: t.state for t in services.section_tasks(ctx, answers, shown_errors or {})}


def test_section_states_follow_the_answers_and_the_shown_errors(app, plan_world):
    with app.test_request_context():
        empty = _tasks(plan_world, {})
        assert set(empty.values()) == {SectionState.NOT_STARTED}
        assert list(empty) == ["contact", "priorities", "activities", "support", "remarks"]

        some = _tasks(plan_world, {"contact_name": "黃承辦", "needs_support": "no"})
        assert some["contact"] == SectionState.IN_PROGRESS  # title, phone, e-mail missing
        assert some["support"] == SectionState.COMPLETED
        assert some["priorities"] == SectionState.NOT_STARTED

        ctx = services.load_school_context(plan_world["schools"][Stage.ELEMENTARY].id, 113)
        answers = engine.parse_form(ctx.definition, MultiDict(school_form(0)))  # as a POST
        done = _tasks(plan_world, answers)
        assert done["contact"] == done["activities"] == SectionState.COMPLETED
        assert done["remarks"] == SectionState.NOT_STARTED  # optional and empty

        # An answer that does not validate, shown beside its field: 需修正.
        bad = {**answers, "contact_email": "not-an-email"}
        errors = engine.validate(ctx.definition, bad)
        assert "q.contact_email" in errors
        fix = _tasks(plan_world, bad, errors)
        assert fix["contact"] == SectionState.NEEDS_FIX
        assert fix["activities"] == SectionState.COMPLETED
        row_error = {"q.activities.0.hours": "請輸入 1 到 200 之間的整數"}
        assert _tasks(plan_world, answers, row_error)["activities"] == SectionState.NEEDS_FIX


def test_the_plan_page_opens_with_its_task_list(client, plan_world, clock):
    clock.set(SCHOOL_OPEN)
    _sign_in(client, plan_world, "school")
    client.post("/school/plan", data=school_form(0, **{"q.contact_email": "x"}))
    page = client.get("/school/plan").get_data(as_text=True)
    start = page.index('class="task-list"')
    tasks = page[start : page.index("</nav>", start)]
    assert 'href="#s-contact"' in tasks
    assert "需修正" in tasks  # the e-mail
    assert "已完成" in tasks  # the activities
    assert "未填寫" in tasks  # the remarks
    assert 'id="s-contact"' in page  # the section heading the link lands on


# ---- review before submit ------------------------------------------------------------------


@pytest.mark.parametrize("kind", PLANS)
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_submit_goes_through_review_and_confirm(client, plan_world, clock, kind, lang):
    url, form, _required, model, opens = PLANS[kind]
    clock.set(opens)
    _sign_in(client, plan_world, kind)
    if lang == "en":
        client.get("/lang/en")
    answered = client.post(url, data=form(0, action="review"))
    assert answered.status_code == 303
    assert answered.headers["Location"] == f"{url}/review"
    plan = _stored(model)
    assert (plan.status, plan.version) == (PlanStatus.DRAFT, 1)  # saved, not submitted

    review = client.get(f"{url}/review")
    assert review.status_code == 200
    body = review.get_data(as_text=True)
    topic = "素養導向課程設計工作坊" if kind == "school" else "差異化教學策略"
    assert topic in body  # every answer as text, rows included
    change = f'href="{url}#f-activities-0-topic_category"'
    assert change in body  # 修改 goes back to the field
    assert 'name="version" value="1"' in body
    if lang == "en":
        assert "Check your answers before submitting" in body
        assert "Confirm and submit" in body
        assert ">Edit<" in body
    else:
        assert "送出前請檢查您的答案" in body
        assert "確認送出" in body
    assert _stored(model).version == 1  # GET wrote nothing

    confirmed = client.post(f"{url}/review", data={"version": "1"})
    assert confirmed.status_code == 303
    assert confirmed.headers["Location"] == url
    plan = _stored(model)
    assert (plan.status, plan.version) == (PlanStatus.SUBMITTED, 2)
    assert db.session.scalar(select(func.count()).select_from(PlanVersion)) == 1
    # A double click: the second confirmation is the same submission.
    again = client.post(f"{url}/review", data={"version": "1"})
    assert again.status_code == 303
    assert db.session.scalar(select(func.count()).select_from(PlanVersion)) == 1
    # Once submitted, the review sends back to the plan.
    assert client.get(f"{url}/review").headers["Location"] == url


@pytest.mark.parametrize("kind", PLANS)
def test_an_invalid_plan_shows_its_errors_and_keeps_the_draft(client, plan_world, clock, kind):
    url, form, required, model, opens = PLANS[kind]
    clock.set(opens)
    _sign_in(client, plan_world, kind)
    refused = client.post(url, data=form(0, action="review", **{required: ""}))
    assert refused.status_code == 422
    body = refused.get_data(as_text=True)
    assert 'id="plan-problem"' in body
    assert "需修正" in body  # the task list marks the section
    assert 'name="version" value="1"' in body  # the next save continues from the draft
    plan = _stored(model)
    assert (plan.status, plan.version) == (PlanStatus.DRAFT, 1)
    # The review is not offered for a plan that cannot be submitted.
    assert client.get(f"{url}/review").headers["Location"] == url


@pytest.mark.parametrize("kind", PLANS)
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_change_after_the_review_is_explained_and_shown(client, plan_world, clock, kind, lang):
    url, form, _required, model, opens = PLANS[kind]
    clock.set(opens)
    _sign_in(client, plan_world, kind)
    if lang == "en":
        client.get("/lang/en")
    client.post(url, data=form(0, action="review"))
    # Another tab saves a change after the review was opened at version 1.
    client.post(url, data=form(1, **{"q.remarks": "另一個分頁補充的備註"}))
    stale = client.post(f"{url}/review", data={"version": "1"})
    assert stale.status_code == 409
    body = stale.get_data(as_text=True)
    assert ("has not been submitted" if lang == "en" else "尚未送出") in body
    assert "另一個分頁補充的備註" in body  # the review shows what is stored now
    assert 'name="version" value="2"' in body  # confirming again submits that
    assert _stored(model).status == PlanStatus.DRAFT
    assert client.post(f"{url}/review", data={"version": "2"}).status_code == 303
    assert _stored(model).status == PlanStatus.SUBMITTED


@pytest.mark.parametrize("kind", PLANS)
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_closed_window_is_explained_and_the_draft_kept(client, plan_world, clock, kind, lang):
    url, form, _required, model, opens = PLANS[kind]
    clock.set(opens)
    _sign_in(client, plan_world, kind)
    if lang == "en":
        client.get("/lang/en")
    client.post(url, data=form(0, action="review"))
    clock.set(CLOSED[kind])
    late = client.post(f"{url}/review", data={"version": "1"})
    assert late.status_code == 409
    body = late.get_data(as_text=True)
    assert ("closed at" if lang == "en" else "截止") in body
    assert 'id="plan-form"' not in body  # read-only: the stored draft as it is
    topic = "素養導向課程設計工作坊" if kind == "school" else "差異化教學策略"
    assert topic in body
    assert _stored(model).status == PlanStatus.DRAFT
    shown = client.get(f"{url}/review")
    assert shown.headers["Location"] == url
    assert ("closed at" if lang == "en" else "截止") in client.get(url).get_data(as_text=True)


def test_the_review_is_only_the_own_plan(client, plan_world, clock):
    clock.set(TEACHER_OPEN)
    _sign_in(client, plan_world, "teacher")
    assert client.get("/school/plan/review").status_code == 403
    client.post("/logout")
    assert client.get("/teacher/plan/review").headers["Location"].startswith("/teacher/login")
