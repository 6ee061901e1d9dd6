"""進修需求分析 in Chromium at 1024×768: axe-core clean, no sideways scrolling, charts
hidden from screen readers, and the stage filter swapping the figures through htmx."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask import Flask
from playwright.sync_api import Page, expect

from app.analytics import services
from app.extensions import db
from app.models import AccountKind
from tests.browser.conftest import World, sign_in_planner
from tests.browser.test_accessibility import Audit, _submit_plans
from tests.conftest import PASSWORD, Factory

pytestmark = pytest.mark.browser


@pytest.fixture
def page(new_page: Callable[..., Page]) -> Page:
    return new_page(bypass_csp=True)  # axe-core is injected as an inline script


@pytest.fixture
def submitted(app: Flask, live_app: Flask, world: World, clock) -> str:
    """The school plan and the teacher's plan submitted; an operator's username."""
    _submit_plans(app, world, clock, teacher=True)
    with live_app.test_request_context():
        operator = Factory().account(None, kind=AccountKind.OPERATOR, username="operator-a11y")
        db.session.commit()
        db.session.remove()
    services.cache.clear()
    return operator.username


def test_school_analytics_page(page: Page, world: World, submitted: str) -> None:
    audit = Audit()
    sign_in_planner(page, world)
    page.get_by_role("link", name="本校進修需求分析").click()
    expect(page.get_by_role("heading", name="教師專業標準需求排序（加權）")).to_be_visible()
    chart = page.locator("svg.chart").first
    expect(chart).to_have_attribute("aria-hidden", "true")
    expect(chart).to_have_attribute("font-family", "Noto Sans CJK TC")
    audit.check(page, "/school/analytics")
    audit.assert_clean()


def test_stage_filter_swaps_the_figures(page: Page, world: World, submitted: str) -> None:
    audit = Audit()
    page.goto("/school/login")
    page.get_by_label("帳號", exact=True).fill(submitted)
    page.get_by_label("密碼", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="登入").click()
    page.goto("/oversight/analytics")
    expect(page.get_by_role("heading", name="全國｜113學年度", exact=True)).to_be_visible()
    audit.check(page, "/oversight/analytics")

    page.get_by_label("教育階段").select_option("E")
    expect(page.get_by_role("heading", name="全國｜113學年度｜國小")).to_be_visible()
    expect(page.locator("#analytics-status")).to_contain_text("已更新")
    expect(page).to_have_url("/oversight/analytics?county=&year=113&stage=E")
    audit.check(page, "/oversight/analytics?stage=E (swapped)")
    audit.assert_clean()
