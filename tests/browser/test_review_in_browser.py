"""Both plans completed with the keyboard alone at 1024×768 (Tab, typing, Space, Enter,
and the arrow keys that choose within a select or a radio group): the task list, the
review page with its 修改 links, and 確認送出; the school plan with JavaScript off."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import World
from tests.browser.test_plans_in_browser import SCHOOL_PLAN_OPEN, TEACHER_PLAN_OPEN
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser


def tab_to(page: Page, selector: str, limit: int = 200) -> None:
    """Press Tab until the element `selector` names has the focus."""
    target = page.locator(selector)
    for _ in range(limit):
        page.keyboard.press("Tab")
        if target.evaluate("el => el === document.activeElement"):
            return
    raise AssertionError(f"Tab never reached {selector}")


def type_into(page: Page, selector: str, text: str) -> None:
    tab_to(page, selector)
    page.keyboard.type(text)


def choose(page: Page, selector: str, steps: int) -> None:
    """A select or a radio group: move `steps` options down with the arrow key."""
    tab_to(page, selector)
    for _ in range(steps):
        page.keyboard.press("ArrowDown")


def press_on(page: Page, selector: str, key: str = "Enter") -> None:
    tab_to(page, selector)
    page.keyboard.press(key)


def sign_in(page: Page, path: str, field: str, username: str) -> None:
    page.goto(path)
    type_into(page, field, username)
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    expect(page.get_by_role("button", name="登出")).to_be_visible()


def confirm_on_review(page: Page, shown: list[str]) -> None:
    expect(page.get_by_role("heading", level=1)).to_have_text("送出前請檢查您的答案")
    for text in shown:
        expect(page.locator("#review-area")).to_contain_text(text)
    press_on(page, "form.review-confirm button[type=submit]")
    expect(page.locator(".flash-ok")).to_contain_text("已送出規劃")
    expect(page.locator(".plan-state")).to_contain_text("已送出")


def test_teacher_plan_by_keyboard_alone(page: Page, world: World, clock) -> None:
    clock.set(TEACHER_PLAN_OPEN)
    sign_in(page, "/teacher/login", "#national_id", world.teacher_national_id)
    page.goto("/teacher/plan")
    tasks = page.locator("nav.task-list")
    expect(tasks).to_contain_text("已完成 0／4 個部分。")
    # The task list leads to a section: the next Tab is that section's first field.
    press_on(page, "nav.task-list a[href='#s-activities']")
    page.keyboard.press("Tab")
    expect(page.locator("#f-activities-0-topic_category")).to_be_focused()

    page.goto("/teacher/plan")
    for rank, steps in (("1", 4), ("2", 6), ("3", 9)):  # 標準4, 標準6, 標準9
        choose(page, f"#f-needs-{rank}", steps)
    press_on(page, "#f-interest_areas-mathematics", " ")
    choose(page, "#f-activities-0-topic_category", 4)
    type_into(page, "#f-activities-0-topic", "差異化教學策略")
    choose(page, "#f-activities-0-mode", 2)  # 專業學習社群
    type_into(page, "#f-activities-0-hours", "12")
    choose(page, "#f-activities-0-term", 2)  # 下學期
    press_on(page, "#f-preferred_times-weekday_day", " ")
    press_on(page, "#plan-form .actions button[value=review]")

    expect(page.locator("#review-area")).to_contain_text("差異化教學策略")
    # 修改 puts the keyboard back on the field; 送出規劃 returns to the review.
    press_on(page, "#review-area a[href$='#f-needs-1']")
    expect(page).to_have_url(re.compile(r"/teacher/plan#f-needs-1$"))
    expect(page.locator("#f-needs-1")).to_be_focused()
    expect(tasks).to_contain_text("已完成 3／4 個部分。")  # 其他 is optional and empty
    press_on(page, "#plan-form .actions button[value=review]")
    confirm_on_review(page, ["標準4", "數學", "週間白天"])


def test_school_plan_by_keyboard_alone_without_javascript(
    new_page: Callable[..., Page], world: World, clock
) -> None:
    clock.set(SCHOOL_PLAN_OPEN)
    page = new_page(java_script_enabled=False)
    sign_in(page, "/school/login", "#username", world.planner_username)
    page.goto("/school/plan")
    type_into(page, "#f-contact_name", "黃承辦")
    type_into(page, "#f-contact_title", "教務主任")
    type_into(page, "#f-contact_phone", "07-7258600")
    type_into(page, "#f-contact_email", "office@school.edu.tw")
    press_on(page, "#f-priority_issues-gender_equality", " ")
    type_into(page, "#f-priority_description", "以素養導向教學精進全校教師專業。")
    choose(page, "#f-activities-0-topic_category", 3)
    type_into(page, "#f-activities-0-topic", "素養導向課程設計工作坊")
    choose(page, "#f-activities-0-mode", 1)  # 研習（講座/工作坊）
    type_into(page, "#f-activities-0-hours", "6")
    choose(page, "#f-activities-0-term", 1)  # 上學期
    choose(page, "#f-activities-0-audience", 1)  # 全校教師
    choose(page, "#f-needs_support-yes", 1)  # 否
    press_on(page, "#plan-form .actions button[value=review]")
    confirm_on_review(page, ["黃承辦", "素養導向課程設計工作坊", "性別平等教育", "否"])
