"""An authority drills down the completion dashboard in Chromium at 1024×768: national →
county → school → the school's teachers, with the htmx filter and sorting on the way,
and axe-core (WCAG 2.1 AA) clean on every level."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from flask import Flask
from playwright.sync_api import Page, expect

from app.extensions import db
from app.stats import dashboards
from tests.browser.test_accessibility import Audit
from tests.conftest import PASSWORD, Factory
from tests.test_oversight_dashboard import build_world

pytestmark = pytest.mark.browser


@pytest.fixture
def page(new_page: Callable[..., Page]) -> Page:
    """axe-core is injected inline, which the Content-Security-Policy refuses: bypass it."""
    return new_page(bypass_csp=True)


@dataclass
class Accounts:
    national: str
    county: str


@pytest.fixture
def accounts(live_app: Flask, app: Flask, clock: Any) -> Accounts:
    dashboards.forget()
    with live_app.test_request_context():
        world = build_world(Factory(), clock)
        found = Accounts(world.users["national"].username, world.users["county"].username)
        db.session.commit()
        db.session.remove()
    return found


def sign_in(page: Page, username: str) -> None:
    page.goto("/school/login")
    page.get_by_label("帳號", exact=True).fill(username)
    page.get_by_label("密碼", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="登入").click()
    expect(page.get_by_role("button", name="登出")).to_be_visible()


def test_an_authority_drills_down_to_the_teachers(page: Page, accounts: Accounts):
    audit = Audit()
    sign_in(page, accounts.national)
    page.get_by_role("link", name="填報進度儀表板").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("填報進度")
    units = page.locator("#dashboard-rows tbody tr")
    expect(units).to_have_count(3)  # 高雄市, 臺北市, 國教署
    audit.check(page, "national dashboard")

    page.get_by_role("link", name="高雄市", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("高雄市所屬學校")
    expect(page.locator("#dashboard-rows tbody tr")).to_have_count(3)
    audit.check(page, "county dashboard")

    # The filter swaps only the rows (htmx) and the URL follows, so it can be shared.
    page.get_by_label("教育階段", exact=True).select_option("E")
    expect(page).to_have_url(re.compile(r"stage=E"))
    expect(page.locator("#dashboard-rows tbody tr")).to_have_count(1)
    expect(page.locator("#dashboard-status")).to_have_text("共 1 所學校")
    # Sorting by a column keeps the filter.
    page.locator("#dashboard-rows thead").get_by_role("link", name="填報率").click()
    expect(page).to_have_url(re.compile(r"sort=rate"))
    expect(page).to_have_url(re.compile(r"stage=E"))
    audit.check(page, "county dashboard, filtered and sorted")

    page.get_by_role("link", name="高雄市立甲國小", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("高雄市立甲國小")
    teachers = page.locator("#dashboard-rows tbody tr")
    expect(teachers).to_have_count(3)
    expect(page.locator("#dashboard-rows tbody")).to_contain_text("****")
    breadcrumbs = page.get_by_role("navigation", name="導覽路徑")
    expect(breadcrumbs.get_by_role("link", name="高雄市", exact=True)).to_be_visible()
    audit.check(page, "school dashboard")

    page.get_by_label("填報狀態", exact=True).select_option("none")
    expect(page).to_have_url(re.compile(r"state=none"))
    expect(teachers).to_have_count(1)
    expect(teachers.first).to_contain_text("林志豪")
    audit.check(page, "school dashboard, teachers not started")
    audit.assert_clean()


def test_the_same_urls_work_without_javascript(new_page: Callable[..., Page], accounts):
    page = new_page(java_script_enabled=False)
    sign_in(page, accounts.county)
    page.goto("/oversight/dashboard/counties/64000")
    page.get_by_label("教育階段", exact=True).select_option("J")
    page.get_by_role("button", name="篩選").click()
    expect(page).to_have_url(re.compile(r"stage=J"))
    expect(page.locator("#dashboard-rows tbody tr")).to_have_count(1)
    expect(page.locator("#dashboard-rows tbody")).to_contain_text("高雄市立乙國中")
