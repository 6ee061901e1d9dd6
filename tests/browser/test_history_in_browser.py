"""Plan history in Chromium at 1024×768: a teacher brings last year's answers into the new
cycle's plan, then compares two submitted versions of last year's plan; axe-core clean."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from flask import Flask
from playwright.sync_api import Page, expect

from app.extensions import db
from app.models import Stage
from tests.browser.conftest import World, sign_in_teacher
from tests.browser.test_accessibility import Audit
from tests.conftest import Factory
from tests.history_helpers import TEACHER_114, import_114, submit_teacher, teacher_v1, teacher_v3
from tests.plan_helpers import setup_113

pytestmark = pytest.mark.browser


@pytest.fixture
def page(new_page: Callable[..., Page]) -> Page:
    """axe-core is injected as an inline script: these contexts bypass the app's CSP."""
    return new_page(bypass_csp=True)


@pytest.fixture
def history_world(live_app: Flask, app: Flask, clock, tmp_path: Path) -> World:
    """Cycle 113 with the teacher's plan submitted twice; cycle 114 open for teachers."""
    with live_app.test_request_context():
        seeded = setup_113(Factory(), stages=(Stage.ELEMENTARY,))
        teacher = seeded["teachers"][Stage.ELEMENTARY]
        submit_teacher(teacher, teacher_v1(), clock)
        submit_teacher(teacher, teacher_v3(), clock)
        import_114(tmp_path)
        result = World(
            planner_username=seeded["planners"][Stage.ELEMENTARY].username,
            teacher_national_id=teacher.plain_national_id,
        )
        db.session.commit()
        db.session.remove()
    clock.set(TEACHER_114)
    return result


def test_prefill_and_compare_versions(page: Page, history_world: World) -> None:
    audit = Audit()
    sign_in_teacher(page, history_world)
    page.goto("/teacher/plan")
    offer = page.locator("section.prefill")
    expect(offer).to_contain_text("本學年度新增的題目")
    audit.check(page, "plan page offering last year's answers")

    page.get_by_role("button", name="帶入去年資料", exact=True).click()
    expect(page.get_by_text("已自 113 學年度的規劃帶入下列答案")).to_be_visible()
    expect(page.locator("#f-activities-1-topic")).to_have_value("數學領域共備社群")
    expect(page.locator('[data-prefill="new"] li[data-code="year_goal"]')).to_be_visible()
    expect(page.get_by_role("button", name="帶入去年資料", exact=True)).to_have_count(0)
    # Beside the questions themselves: carried over, and new this year.
    expect(page.locator("#q-needs .prefill-mark")).to_have_text("去年帶入")
    expect(page.locator("#q-year_goal .prefill-mark")).to_have_text("本學年度新題目")
    audit.check(page, "plan page after bringing in last year's answers")

    page.get_by_role("link", name="歷年規劃", exact=True).click()
    page.locator('a[href="/teacher/plans/113/versions"]').click()
    expect(page.get_by_role("cell", name="教師 國小老師").first).to_be_visible()
    audit.check(page, "version history")
    page.get_by_label("較早的版本", exact=True).select_option("1")
    page.get_by_label("較新的版本", exact=True).select_option("3")
    page.get_by_role("button", name="比較這兩個版本", exact=True).click()
    expect(page.locator("#compare-summary")).to_contain_text("比較 第 1 次送出")
    expect(page.locator('tr[data-row-state="removed"]')).to_contain_text("差異化教學策略")
    expect(page.locator('tr[data-row-state="added"]')).to_contain_text("數學領域共備社群")
    audit.check(page, "version comparison")
    audit.assert_clean()
