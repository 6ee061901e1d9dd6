"""The teacher dashboard and the submit receipt in Chromium at 1024×768: the dashboard
says what to do next, a submit gives a receipt on screen, the dashboard shows the same
reference, axe-core finds nothing, and without JavaScript the same pages work."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import World, sign_in_teacher
from tests.browser.test_accessibility import Audit
from tests.browser.test_plans_in_browser import (
    TEACHER_CHECKED,
    TEACHER_PLAN_OPEN,
    TEACHER_RANKS,
    TEACHER_ROWS,
    TEACHER_TEXT,
    click,
    fill,
    fill_row,
)

pytestmark = pytest.mark.browser

REFERENCE = re.compile(r"T113-\d{6}-1-[A-Z]")


def test_dashboard_and_submit_receipt(new_page: Callable[..., Page], world: World, clock) -> None:
    clock.set(TEACHER_PLAN_OPEN)
    audit = Audit()
    # Without JavaScript: the dashboard's next step, the form by plain POST, the receipt.
    page = new_page(java_script_enabled=False)
    sign_in_teacher(page, world)
    page.goto("/teacher/")
    expect(page.locator("#plan-status")).to_have_text("未填寫")
    page.get_by_role("link", name="開始填寫我的進修規劃").click()
    fill(page, TEACHER_TEXT, TEACHER_CHECKED, TEACHER_RANKS)
    fill_row(page, 0, TEACHER_ROWS[0])
    click(page, "送出規劃")
    expect(page).to_have_url(re.compile(r"/teacher/plan/review$"))
    click(page, "確認送出")
    expect(page.locator(".flash-ok")).to_contain_text("第 1 次送出，收據編號 T113-")
    receipt = page.locator(".receipt")
    expect(receipt).to_contain_text("第 1 次送出")
    reference = receipt.locator("code.reference").inner_text()
    assert REFERENCE.fullmatch(reference)
    expect(page.locator(".flash-ok")).to_contain_text(reference)

    # With JavaScript, for axe-core: the plan page with its receipt, then the dashboard.
    checked = new_page(bypass_csp=True)
    sign_in_teacher(checked, world)
    checked.goto("/teacher/plan")
    expect(checked.locator(".receipt code.reference")).to_have_text(reference)
    audit.check(checked, "plan page with the receipt")
    checked.goto("/teacher/")
    expect(checked.locator("#plan-status")).to_contain_text("已送出")
    expect(checked.locator(".receipt code.reference")).to_have_text(reference)
    expect(checked.get_by_role("link", name="下載含收據的規劃（PDF）")).to_be_visible()
    audit.check(checked, "teacher dashboard, submitted")
    audit.assert_clean()
