"""Issue: UX items 4 and 6 in Chromium at 1024×768: an error shown after a failed
submission goes once its field is fixed (decided by the server on autosave, no reload), an
error of a field not yet reached does not appear while typing, a school-plan item adopted
is marked beside the activity rows; axe at zero; without JavaScript a plain POST still
shows the errors."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask import Flask
from playwright.sync_api import Page, expect
from sqlalchemy import select

from app.cycles.services import latest_questionnaire
from app.extensions import db
from app.models import Cycle, PlanKind, PlanStatus, School, SchoolPlan
from app.timeutil import taipei
from tests.browser.conftest import World, sign_in_teacher
from tests.browser.test_plans_in_browser import (
    TEACHER_CHECKED,
    TEACHER_RANKS,
    TEACHER_ROWS,
    TEACHER_TEXT,
    fill,
    fill_row,
)
from tests.test_reports_support import SCHOOL_ANSWERS

pytestmark = pytest.mark.browser

STATUS = "#autosave-status [role=status]"


def _submitted_school_plan(live_app: Flask) -> None:
    """The school's plan, submitted: its activities are what the teacher may adopt."""
    with live_app.app_context():
        cycle = db.session.scalar(select(Cycle))
        school = db.session.scalar(select(School))
        db.session.add(
            SchoolPlan(
                cycle_id=cycle.id,
                school_id=school.id,
                questionnaire_id=latest_questionnaire(cycle, PlanKind.SCHOOL).id,
                answers=SCHOOL_ANSWERS,
                status=PlanStatus.SUBMITTED,
                version=1,
                submitted_at=taipei(2024, 8, 20, 16, 30),
                updated_at=taipei(2024, 8, 20, 16, 30),
                updated_by="account:1",
            )
        )
        db.session.commit()
        db.session.remove()


def test_errors_follow_their_fields_and_adopted_items_are_marked(
    new_page: Callable[..., Page], world: World, clock, live_app: Flask
) -> None:
    from tests.browser.test_accessibility import Audit

    audit = Audit()
    _submitted_school_plan(live_app)
    clock.set(taipei(2024, 9, 20, 10, 0))
    page = new_page(bypass_csp=True)
    sign_in_teacher(page, world)
    page.goto("/teacher/plan")
    page.get_by_role("button", name="送出規劃").click()
    rows_error = page.locator("#e-activities")
    expect(rows_error).to_contain_text("第 1 列尚未填完")
    expect(page.locator("#e-preferred_times")).to_be_visible()
    audit.check(page, "teacher plan after a failed submission")
    page.evaluate("window.notReloaded = true")

    # Typing the row's topic: its row is no longer blank, the row error goes; the row's
    # other required cells, never shown, do not light up while typing.
    page.locator("#f-activities-0-topic").fill("差異化教學策略")
    expect(rows_error).to_have_count(0)
    expect(page.locator("#pe-activities")).to_be_hidden()  # its line in the summary
    expect(page.locator(STATUS)).to_contain_text("1 個欄位已修正")
    expect(page.locator("#e-activities-0-hours")).to_have_count(0)
    expect(page.locator("#e-preferred_times")).to_be_visible()  # still unanswered
    page.locator("#q-preferred_times input[type=checkbox]").first.check()
    expect(page.locator("#e-preferred_times")).to_have_count(0)
    boxes = page.locator("#q-preferred_times input[aria-invalid=true]")
    expect(boxes).to_have_count(0)
    assert page.evaluate("window.notReloaded === true")
    audit.check(page, "teacher plan with errors fixed while typing")

    page.get_by_role("button", name="加入我的規劃").first.click()
    adopted = page.locator("#adopt tr.is-adopted")
    expect(adopted).to_have_count(1)
    expect(adopted).to_contain_text("已加入（您的第 2 列）")
    expect(page.locator("#f-activities-1-topic")).to_have_value("素養導向課程設計工作坊")
    page.get_by_role("button", name="加入我的規劃").first.click()
    expect(page.locator(".flash-info")).to_contain_text("沒有重複加入")
    audit.check(page, "teacher plan with an adopted school item")

    # The last error fixed: the summary above the form goes with it.
    fresh = new_page()
    sign_in_teacher(fresh, world)
    fresh.goto("/teacher/plan")
    fill(fresh, TEACHER_TEXT, TEACHER_CHECKED[:2], TEACHER_RANKS)
    fill_row(fresh, 0, TEACHER_ROWS[0])
    boxes = fresh.locator("#q-preferred_times input[type=checkbox]")
    for index in range(boxes.count()):  # ticked earlier in this test: untick them all
        boxes.nth(index).uncheck()
    fresh.get_by_role("button", name="送出規劃").click()
    summary = fresh.locator("#plan-problem")
    expect(summary.locator("li")).to_have_count(1)
    expect(summary).to_contain_text("請至少選擇 1 項")
    boxes.first.check()  # as the first part left it: the plain page below unticks it
    expect(fresh.locator(STATUS)).to_contain_text("1 個欄位已修正")
    expect(summary).to_be_hidden()

    plain = new_page(java_script_enabled=False)
    sign_in_teacher(plain, world)
    plain.goto("/teacher/plan")
    plain.locator("#q-preferred_times input[type=checkbox]").first.uncheck()
    plain.get_by_role("button", name="送出規劃").click()
    expect(plain.locator("#e-preferred_times")).to_be_visible()
    expect(plain.locator("#plan-problem")).to_contain_text("需要修正")
    audit.assert_clean()
