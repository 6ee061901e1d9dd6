"""English stays English in Chromium at 1024×768: chosen before signing in, it lasts
through sign-in, the dashboard, the task list, the review page, 確認送出 and its receipt,
and sign-out; with JavaScript (axe-core at zero) and without it (the school's dashboard).
No English label is followed by a full-width colon."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import World
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
from tests.browser.test_school_dashboard_in_browser import planner  # noqa: F401 - a fixture
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser

LETTER_COLON = re.compile(r"[A-Za-z)]\s*：")


def expect_english(page: Page) -> None:
    expect(page.locator("html")).to_have_attribute("lang", "en")
    text = page.locator("main").inner_text()
    assert not LETTER_COLON.search(text), LETTER_COLON.search(text)


def test_a_teacher_plan_in_english_from_sign_in_to_receipt(
    new_page: Callable[..., Page], world: World, clock
) -> None:
    clock.set(TEACHER_PLAN_OPEN)
    audit = Audit()
    page = new_page(bypass_csp=True)
    page.goto("/lang/en")
    page.goto("/teacher/login")
    page.get_by_label("National ID or resident certificate number", exact=True).fill(
        world.teacher_national_id
    )
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()

    page.goto("/teacher/")
    expect(page.locator("#plan-status")).to_have_text("Not started")
    expect_english(page)
    audit.check(page, "teacher dashboard in English")

    page.goto("/teacher/plan")
    expect(page.locator("nav.task-list")).to_contain_text("0 of 4 sections completed.")
    expect_english(page)
    fill(page, TEACHER_TEXT, TEACHER_CHECKED, TEACHER_RANKS)
    fill_row(page, 0, TEACHER_ROWS[0])
    click(page, "Submit plan")
    expect(page).to_have_url(re.compile(r"/teacher/plan/review$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Check your answers before submitting"
    )
    expect_english(page)
    audit.check(page, "review page in English")

    click(page, "Confirm and submit")
    expect(page.locator(".flash-ok")).to_contain_text("Your plan is submitted.")
    expect(page.locator(".flash-ok")).to_contain_text("submission 1, receipt reference T113-")
    expect(page.locator(".receipt")).to_contain_text("Submission receipt")
    expect_english(page)
    audit.check(page, "submitted plan with its receipt in English")

    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("link", name="School staff sign-in", exact=True)).to_be_visible()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    audit.assert_clean()


def test_the_school_dashboard_in_english_without_javascript(
    new_page: Callable[..., Page],
    planner: str,  # noqa: F811 - the fixture imported above
) -> None:
    page = new_page(java_script_enabled=False)
    page.goto("/lang/en")
    page.goto("/school/login")
    expect(page.get_by_role("heading", level=1)).to_have_text("School staff sign-in")
    page.locator("#username").fill(planner)
    page.locator("#password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    expect(page.get_by_role("table", name="Roster teachers and their plans")).to_be_visible()
    expect(page.locator("main")).to_contain_text("Account types")
    expect_english(page)
