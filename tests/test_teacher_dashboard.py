"""The teacher dashboard and the plan page say the plan's state in words: not started,
draft, submitted (with a receipt), before, after and beyond (extended) the window, and
not taking part, in zh-TW and English; submissions are counted, not saves."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import AccountType, Extension, PlanKind, SchoolPlan, Stage, TeacherPlan
from app.plans import receipts
from app.timeutil import taipei
from tests.conftest import login_account, login_teacher
from tests.pdf_checks import assert_no_embedded_files
from tests.plan_helpers import school_form, setup_113, teacher_form
from tests.test_reports_support import download, pdf_text, reports_fixture, squash  # noqa: F401

OPEN = taipei(2024, 9, 20, 10, 0)  # 國小 teacher window: 9/16 00:00 – 9/27 17:00
BEFORE = taipei(2024, 9, 12, 20, 0)  # 3 days 4 hours before 9/16 00:00
AFTER = taipei(2024, 9, 28, 9, 0)


@pytest.fixture
def world(factory):
    return setup_113(factory)


def _teacher(world):
    return world["teachers"][Stage.ELEMENTARY]


def _dashboard(client, lang: str = "zh") -> str:
    if lang == "en":
        client.get("/lang/en")
    return client.get("/teacher/").get_data(as_text=True)


def _text(page: str) -> str:
    """The page's text without tags, spaces collapsed."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", page))


def _submit(client, version: int = 0):
    return client.post("/teacher/plan", data=teacher_form(version, action="submit"))


def _plan(world) -> TeacherPlan:
    db.session.expire_all()
    plan = db.session.scalar(
        select(TeacherPlan).where(TeacherPlan.teacher_id == _teacher(world).id)
    )
    assert plan is not None
    return plan


# ---- the reference: stable, short, checked ------------------------------------------------


def test_a_reference_names_kind_year_plan_and_submission_with_a_check_letter() -> None:
    ref = receipts.reference(PlanKind.TEACHER, 113, 42, 2)
    assert re.fullmatch(r"T113-000042-2-[A-Z]", ref)
    assert ref == receipts.reference(PlanKind.TEACHER, 113, 42, 2)  # stable
    assert receipts.reference(PlanKind.SCHOOL, 113, 42, 2).startswith("S113-000042-2-")
    payload = ref.rsplit("-", 1)[0]
    # One digit changed, or two adjacent digits swapped, changes the check letter.
    for wrong in ("T113-000043-2", "T113-000024-2", "T114-000042-2", "T113-000042-3"):
        assert receipts.check_letter(wrong) != receipts.check_letter(payload), wrong


# ---- each state, on the dashboard, in both languages -------------------------------------


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        ("zh", ["填寫中", "未填寫", "開始填寫我的進修規劃"]),
        ("en", ["Open", "Not started", "Start my plan"]),
    ],
)
def test_not_started(client, world, clock, lang, expected) -> None:
    clock.set(OPEN)
    login_teacher(client, _teacher(world))
    text = _text(_dashboard(client, lang))
    for part in expected:
        assert part in text, part
    assert "plan.pdf" not in _dashboard(client, lang)  # nothing to print yet


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        (
            "zh",
            [
                "草稿，最後儲存 113年9月20日 10:00",
                "繼續填寫並送出",
                "請於 113年9月27日 17:00 前送出",
            ],
        ),
        ("en", ["Draft, last saved 113年9月20日 10:00 (2024-09-20 10:00)", "Continue and submit"]),
    ],
)
def test_draft(client, world, clock, lang, expected) -> None:
    clock.set(OPEN)
    login_teacher(client, _teacher(world))
    client.post("/teacher/plan", data=teacher_form(0, action="save"))
    page = _dashboard(client, lang)
    for part in expected:
        assert part in _text(page), part
    assert 'href="/teacher/plan.pdf"' in page  # a draft prints, watermarked


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        (
            "zh",
            ["已送出 113年9月20日 10:00（第 1 次送出）", "送出收據", "收據編號", "檢視送出的規劃"],
        ),
        (
            "en",
            [
                "Submitted 113年9月20日 10:00 (2024-09-20 10:00)",
                "Submission receipt",
                "View the submitted plan",
            ],
        ),
    ],
)
def test_submitted_shows_the_receipt(client, world, clock, lang, expected) -> None:
    clock.set(OPEN)
    login_teacher(client, _teacher(world))
    assert _submit(client).status_code in (302, 303)
    plan = _plan(world)
    page = _dashboard(client, lang)
    text = _text(page)
    for part in expected:
        assert part in text, part
    assert receipts.reference(PlanKind.TEACHER, 113, plan.id, 1) in text
    assert 'href="/teacher/plan.pdf"' in page


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        ("zh", "將於 113年9月16日 00:00 開放填寫（還有 3 天 4 小時）。"),
        ("en", "Opens on 113年9月16日 00:00 (2024-09-16 00:00), 3 days 4 hours from now."),
    ],
)
def test_before_the_window_says_when_it_opens(client, world, clock, lang, expected) -> None:
    clock.set(BEFORE)
    login_teacher(client, _teacher(world))
    assert expected in _text(_dashboard(client, lang))
    # The plan page is read-only before the window, and says why in the same sentence.
    assert expected in _text(client.get("/teacher/plan").get_data(as_text=True))


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        (
            "zh",
            [
                "已於 113年9月27日 17:00 截止。",
                "您的規劃未於截止前送出。",
                "如需延長填寫，請洽本校進修業務承辦人 黃承辦"
                "（電話 07-1234567，電子郵件 plan@school.edu.tw）",
                "由學校向高雄市政府教育局申請",
            ],
        ),
        (
            "en",
            [
                "Closed on 113年9月27日 17:00 (2024-09-27 17:00).",
                "Your plan was not submitted before the deadline.",
                "ask your school's in-service planning contact 黃承辦"
                " (phone 07-1234567, email plan@school.edu.tw)",
            ],
        ),
    ],
)
def test_after_the_window_names_whom_to_ask(client, world, clock, lang, expected) -> None:
    planner = world["planners"][Stage.ELEMENTARY]
    planner.name, planner.phone, planner.email = "黃承辦", "07-1234567", "plan@school.edu.tw"
    clock.set(AFTER)
    login_teacher(client, _teacher(world))
    text = _text(_dashboard(client, lang))
    for part in expected:
        assert part in text, part
    plan_page = _text(client.get("/teacher/plan").get_data(as_text=True))
    assert expected[0] in plan_page
    assert expected[-1] in plan_page


def test_after_the_window_without_a_planning_account_names_the_role(client, factory, clock) -> None:
    world = setup_113(factory)
    for grant in list(world["planners"][Stage.ELEMENTARY].grants):
        if grant.type == AccountType.PLANNING:
            db.session.delete(grant)
    clock.set(AFTER)
    login_teacher(client, _teacher(world))
    assert "請洽學校進修業務承辦人，由學校向高雄市政府教育局申請" in _text(_dashboard(client))


def test_after_the_window_a_submitted_plan_stays_readable_and_downloadable(
    client, world, clock
) -> None:
    clock.set(OPEN)
    login_teacher(client, _teacher(world))
    _submit(client)
    clock.set(AFTER)
    page = _dashboard(client)
    text = _text(page)
    assert "已於 113年9月27日 17:00 截止。" in text
    assert "未於截止前送出" not in text
    assert "檢視送出的規劃" in text
    assert 'href="/teacher/plan.pdf"' in page
    plan_page = client.get("/teacher/plan").get_data(as_text=True)
    assert "差異化教學策略" in plan_page
    assert "送出收據" in plan_page


@pytest.mark.parametrize(
    ("lang", "expected"), [("zh", "延長至 113年10月4日 17:00"), ("en", "Extended until")]
)
def test_an_extension_keeps_it_open(client, world, clock, lang, expected) -> None:
    teacher = _teacher(world)
    db.session.add(
        Extension(
            cycle_id=world["cycle"].id,
            plan_kind=PlanKind.TEACHER,
            teacher_id=teacher.id,
            until=taipei(2024, 10, 4, 17, 0),
            granted_by_id=world["planners"][Stage.ELEMENTARY].id,
            reason="病假",
        )
    )
    clock.set(AFTER)
    login_teacher(client, teacher)
    text = _text(_dashboard(client, lang))
    assert expected in text
    assert "截止。" not in text
    assert "Closed on" not in text


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        ("zh", "本學年度您的教育階段不需填寫。"),
        ("en", "Your stage does not take part this year."),
    ],
)
def test_not_taking_part(client, factory, clock, lang, expected) -> None:
    world = setup_113(factory, stages=(Stage.KINDERGARTEN,))
    clock.set(OPEN)
    login_teacher(client, world["teachers"][Stage.KINDERGARTEN])
    page = _dashboard(client, lang)
    assert expected in _text(page)
    assert 'href="/teacher/plan"' not in page


# ---- submissions are counted, not saves --------------------------------------------------


def test_versions_count_submissions_not_saves(client, world, clock) -> None:
    clock.set(OPEN)
    login_teacher(client, _teacher(world))
    for version in range(5):  # five saves: the lock counter moves, submissions do not
        client.post("/teacher/plan", data=teacher_form(version, action="save"))
    response = _submit(client, 5)
    assert response.status_code in (302, 303)
    plan = _plan(world)
    first = receipts.reference(PlanKind.TEACHER, 113, plan.id, 1)
    flashed = _text(client.get("/teacher/plan").get_data(as_text=True))
    assert "第 1 次送出，收據編號 " + first in flashed
    assert "第 6 版" not in flashed
    client.post("/teacher/plan/reopen", data={"version": str(plan.version)})
    _submit(client, plan.version + 1)
    text = _text(_dashboard(client))
    assert "第 2 次送出" in text
    assert receipts.reference(PlanKind.TEACHER, 113, plan.id, 2) in text
    versions = _text(client.get("/teacher/plans/113/versions").get_data(as_text=True))
    assert "第 1 次送出" in versions
    assert "第 2 次送出" in versions
    assert "第 8 版" not in versions


# ---- the receipt in the PDF of that submission -------------------------------------------


def test_the_pdf_prints_the_receipt_of_that_submission(reports, client, world, clock) -> None:
    clock.set(OPEN)
    login_teacher(client, _teacher(world))
    client.post("/teacher/plan", data=teacher_form(0, action="save"))
    _submit(client, 1)
    plan = _plan(world)
    client.post("/teacher/plan/reopen", data={"version": str(plan.version)})
    clock.set(taipei(2024, 9, 21, 8, 30))
    _submit(client, plan.version + 1)
    second = receipts.reference(PlanKind.TEACHER, 113, plan.id, 2)
    assert second in _text(_dashboard(client))

    response, data = download(client, "/teacher/plan.pdf")
    assert response.status_code == 200
    flat = squash(pdf_text(data))
    assert f"收據編號{second}送出時間113年9月21日08:30送出次數第2次送出" in flat
    assert "已送出（113年9月21日08:30送出，第2次送出）" in flat
    assert_no_embedded_files(data)

    # The first submission's own PDF prints the first receipt, not the latest.
    response, data = download(client, "/teacher/plans/113/versions/2.pdf")
    assert response.status_code == 200
    flat = squash(pdf_text(data))
    first = receipts.reference(PlanKind.TEACHER, 113, plan.id, 1)
    assert f"收據編號{first}送出時間113年9月20日10:00送出次數第1次送出" in flat
    assert second not in flat


# ---- the school plan's submit shares the state and the receipt ---------------------------


def test_the_school_plan_submit_gives_a_receipt_and_the_window_its_sentence(
    client, world, clock
) -> None:
    planner = world["planners"][Stage.ELEMENTARY]
    clock.set(taipei(2024, 8, 20, 10, 0))  # 國小 school window: 8/14 – 8/23 17:00
    login_account(client, planner)
    client.post("/school/plan", data=school_form(0, action="submit"))
    page = _text(client.get("/school/plan").get_data(as_text=True))
    plan_id = db.session.scalar(
        select(SchoolPlan.id).where(SchoolPlan.school_id == world["schools"][Stage.ELEMENTARY].id)
    )
    reference = receipts.reference(PlanKind.SCHOOL, 113, plan_id, 1)
    assert f"第 1 次送出，收據編號 {reference}" in page  # the flash after submitting
    assert "送出收據" in page
    clock.set(taipei(2024, 8, 24, 9, 0))
    page = _text(client.get("/school/plan").get_data(as_text=True))
    assert "已於 113年8月23日 17:00 截止。" in page
    assert "如需延長填寫，請向高雄市政府教育局申請；延長由主管機關核定。" in page
