"""In Chromium: someone applies for a business account, the school's chief activates it
through the confirmation page, the new account signs in; every page axe-core clean."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from playwright.sync_api import Page, expect

from app.extensions import db
from app.models import AccountType
from tests.browser.test_accessibility import Audit
from tests.conftest import PASSWORD, Factory

pytestmark = pytest.mark.browser

APPLICANT_PASSWORD = "Sunny-Harbour-42"


@pytest.fixture
def page(new_page: Callable[..., Page]) -> Page:
    return new_page(bypass_csp=True)  # axe-core is injected as an inline script


@pytest.fixture
def chief_username(live_app: Flask, app: Flask, clock: Any) -> str:
    """A school with its chief (with `app` requested, the tables are emptied afterwards)."""
    with live_app.test_request_context():
        factory = Factory()
        school = factory.school(name="高雄市立瀏覽國小")
        factory.account(school, AccountType.CHIEF, username="browser-chief")
        db.session.commit()
        db.session.remove()
    return "browser-chief"


def test_a_chief_activates_an_application(page: Page, chief_username: str) -> None:
    audit = Audit()
    page.goto("/school/login")
    page.get_by_role("link", name="申請業務帳號").click()
    audit.check(page, "apply")
    page.get_by_label("學校", exact=True).fill("瀏覽")
    suggestion = page.get_by_role("radio", name="高雄市立瀏覽國小")
    expect(suggestion).to_be_visible()  # htmx suggestions as one types
    suggestion.check()
    page.get_by_label("帳號", exact=True).fill("new-planner")
    page.get_by_label("姓名", exact=True).fill("陳新人")
    page.get_by_label("職稱", exact=True).fill("教學組長")
    page.get_by_label("電子郵件", exact=True).fill("new@school.edu.tw")
    page.get_by_label("聯絡電話", exact=True).fill("07-1234567")
    page.get_by_label("進修規劃", exact=True).check()
    page.get_by_label("密碼", exact=True).fill(APPLICANT_PASSWORD)
    page.get_by_label("再次輸入密碼", exact=True).fill(APPLICANT_PASSWORD)
    audit.check(page, "apply, filled in")
    page.get_by_role("button", name="送出申請").click()
    expect(page.get_by_role("heading", name="已收到業務帳號申請")).to_be_visible()
    expect(page.get_by_text("高雄市立瀏覽國小的總負責人")).to_be_visible()
    audit.check(page, "applied")

    page.goto("/school/login")
    page.get_by_label("帳號", exact=True).fill(chief_username)
    page.get_by_label("密碼", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="登入").click()
    page.get_by_role("link", name="本單位業務帳號管理").click()
    row = page.locator("tr", has_text="new-planner")
    expect(row).to_contain_text("申請中")
    audit.check(page, "school accounts")
    row.get_by_role("link", name="啟用 new-planner").click()
    expect(page.get_by_role("heading", name="啟用帳號")).to_be_visible()
    audit.check(page, "confirm activation")
    page.get_by_role("button", name="確定啟用帳號").click()
    expect(page.get_by_text("已啟用帳號 new-planner。")).to_be_visible()
    expect(page.locator("tr", has_text="new-planner")).to_contain_text("啟用中")
    audit.check(page, "school accounts after activation")
    audit.assert_clean()
