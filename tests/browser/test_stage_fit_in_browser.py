"""A kindergarten teacher's plan form in Chromium at 1024×768: the six areas of
幼兒園教保活動課程大綱 are offered, the senior-high areas are not, axe-core finds nothing."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask import Flask
from playwright.sync_api import Page, expect

from app.cycles.services import take_snapshot
from app.extensions import db
from app.models import Stage
from app.timeutil import taipei
from tests.browser.conftest import World, sign_in_teacher
from tests.browser.test_accessibility import Audit
from tests.conftest import Factory
from tests.test_stage_fit import KINDERGARTEN_AREAS, cycle_with_kindergartens

pytestmark = pytest.mark.browser


@pytest.fixture
def kindergarten(live_app: Flask, app: Flask, clock) -> World:
    with live_app.test_request_context():
        cycle = cycle_with_kindergartens()
        teacher = Factory().teacher(Factory().school(Stage.KINDERGARTEN), name="幼兒園老師")
        take_snapshot(cycle, force=True, moment=taipei(2024, 8, 2, 17, 0))
        db.session.commit()
        national_id = teacher.plain_national_id
        db.session.remove()
    clock.set(taipei(2024, 9, 10, 10, 0))
    return World(planner_username="", teacher_national_id=national_id)


def test_kindergarten_teacher_plan_form(new_page: Callable[..., Page], kindergarten: World) -> None:
    page = new_page(bypass_csp=True)  # axe-core is injected as an inline script
    audit = Audit()
    sign_in_teacher(page, kindergarten)
    page.goto("/teacher/plan")
    for area in KINDERGARTEN_AREAS:
        expect(page.get_by_label(f"{area}（幼兒園）", exact=True)).to_be_visible()
    expect(page.get_by_text("全民國防教育（高中）")).to_have_count(0)
    expect(page.get_by_text("技術型高中群科專業")).to_have_count(0)
    audit.check(page, "kindergarten teacher plan form")
    audit.assert_clean()
