"""A planner's 業務專區 in Chromium at 1024×768: the school plan's state, the teachers'
progress and the roster's source, axe-core clean; the same page without JavaScript."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from playwright.sync_api import Page, expect

from app.extensions import db
from app.models import PlanStatus, RosterSource
from app.stats import dashboards
from tests.browser.test_accessibility import Audit
from tests.browser.test_dashboard_in_browser import sign_in
from tests.conftest import Factory
from tests.test_reports_support import build_world

pytestmark = pytest.mark.browser


@pytest.fixture
def planner(live_app: Flask, app: Flask, clock: Any) -> str:
    """示範國小 (a Taipei-fed roster) with a draft school plan and three teachers."""
    dashboards.forget()
    with live_app.test_request_context():
        world = build_world(Factory(), clock)
        world.school.roster_source = RosterSource.TAIPEI
        assert world.school_plan is not None
        world.school_plan.status = PlanStatus.DRAFT
        world.school_plan.submitted_at = None
        username = world.accounts["planner"].username
        db.session.commit()
        db.session.remove()
    return username


def test_the_school_dashboard_reads_with_and_without_javascript(
    new_page: Callable[..., Page], planner: str
):
    audit = Audit()
    page = new_page(bypass_csp=True)
    sign_in(page, planner)
    expect(page.locator("#school-plan-state")).to_contain_text("草稿，最後儲存 113年8月20日 16:30")
    expect(page.get_by_role("link", name="下載學校規劃報表草稿")).to_have_attribute(
        "href", "/school/plan.pdf"
    )
    expect(page.locator("#teacher-progress")).to_contain_text("填報率 33.3%")
    table = page.get_by_role("table", name="名單教師的填報狀態")
    expect(table.get_by_role("row")).to_have_count(4)  # the header and three teachers
    expect(page.get_by_role("note")).to_contain_text("臺北市教師研習網")
    audit.check(page, "school dashboard")
    audit.assert_clean()

    plain = new_page(java_script_enabled=False)
    sign_in(plain, planner)
    expect(plain.get_by_role("table", name="名單教師的填報狀態")).to_be_visible()
    plain.get_by_role("link", name="本校填報進度").click()
    expect(plain.get_by_role("heading", level=1)).to_contain_text("高雄市立示範國民小學")
