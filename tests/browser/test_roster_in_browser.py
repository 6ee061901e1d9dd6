"""教師資料 in Chromium: a roster account registers a teacher (after a refused ID), finds
a colleague as it types, and records a retirement after the confirmation step; every
page on the way is axe-core clean (WCAG 2.1 AA) at 1024×768."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from flask import Flask
from playwright.sync_api import Page, expect

from app.extensions import db
from app.identity import make_national_id
from app.models import AccountType
from app.timeutil import taipei
from tests.browser.test_accessibility import Audit
from tests.conftest import PASSWORD, Factory

pytestmark = pytest.mark.browser

NOW = taipei(2026, 7, 20, 10, 0)


@pytest.fixture
def page(new_page: Callable[..., Page]) -> Page:
    """axe-core is injected as an inline script: these contexts bypass the CSP."""
    return new_page(bypass_csp=True)


@pytest.fixture
def audit() -> Audit:
    return Audit()


@dataclass
class RosterWorld:
    username: str
    school_name: str


@pytest.fixture
def roster_world(live_app: Flask, app: Flask, clock: Any) -> RosterWorld:
    clock.set(NOW)
    with live_app.test_request_context():
        factory = Factory()
        school = factory.school(name="瀏覽器國小")
        clerk = factory.account(school, AccountType.ROSTER, username="roster01")
        for name in ("既有老師", "同事老師"):
            factory.teacher(school, name=name)
        world = RosterWorld(clerk.username, school.name)
        db.session.commit()
        db.session.remove()
    return world


def test_register_a_teacher_and_record_a_retirement(
    page: Page, roster_world: RosterWorld, audit: Audit
) -> None:
    page.goto("/school/login")
    page.get_by_label("帳號", exact=True).fill(roster_world.username)
    page.get_by_label("密碼", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="登入").click()
    page.get_by_role("link", name="教師資料", exact=True).click()
    expect(
        page.get_by_role("heading", name=f"教師資料｜{roster_world.school_name}")
    ).to_be_visible()
    audit.check(page, "roster list")

    # Register: a mistyped ID is refused beside its field, and what was typed stays.
    page.get_by_role("link", name="教師資料登錄").click()
    national_id = make_national_id(random.Random(5))
    typo = national_id[:-1] + str((int(national_id[-1]) + 1) % 10)
    page.get_by_label("身分證字號或居留證號", exact=True).fill(typo)
    page.get_by_label("姓名（新登錄的教師必填）").fill("新進老師")
    page.get_by_label("電子郵件").fill("newcomer@school.edu.tw")
    page.get_by_label("數學").check()
    page.get_by_role("button", name="登錄").click()
    expect(page.locator("#national_id-error")).to_contain_text("檢查碼不符")
    expect(page.get_by_label("姓名（新登錄的教師必填）")).to_have_value("新進老師")
    audit.check(page, "register form with an error")
    page.get_by_label("身分證字號或居留證號", exact=True).fill(national_id)
    page.get_by_label("職稱", exact=True).select_option("導師")
    page.get_by_role("button", name="登錄").click()
    expect(page.get_by_text("已登錄新教師 新進老師。")).to_be_visible()
    expect(page.get_by_text("請將這個一次性連結交給 新進老師")).to_be_visible()
    expect(page.get_by_role("cell", name="新進老師", exact=True)).to_be_visible()
    assert national_id not in page.url
    assert national_id not in page.content()
    audit.check(page, "roster list after registering")

    # Search as one types (htmx), then record a retirement with its confirmation step.
    page.get_by_label("搜尋").fill("既有")
    expect(page.get_by_role("cell", name="同事老師", exact=True)).to_have_count(0)
    expect(page.get_by_role("cell", name="既有老師", exact=True)).to_be_visible()
    page.get_by_role("link", name="離職/轉校/退休 既有老師").click()
    page.get_by_role("radio", name="退休").check()
    page.get_by_role("button", name="下一步").click()
    expect(page.get_by_text("請確認：既有老師")).to_be_visible()
    audit.check(page, "retirement confirmation")
    page.get_by_role("button", name="確認記錄").click()
    expect(page.get_by_text("已記錄 既有老師 退休")).to_be_visible()
    expect(page.get_by_role("cell", name="既有老師", exact=True)).to_have_count(0)
    page.get_by_label("顯示").select_option("former")
    expect(page.get_by_role("cell", name="既有老師", exact=True)).to_be_visible()
    audit.check(page, "former teachers")
    audit.assert_clean()
