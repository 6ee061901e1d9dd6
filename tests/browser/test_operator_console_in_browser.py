"""The operator console in Chromium: a new academic year created, scheduled, given its
questionnaires, published and snapshotted entirely through the forms; one refused window
on the way; every page axe-core clean (WCAG 2.1 AA) at 1024×768."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from playwright.sync_api import Page, expect

from app.config import ROOT
from app.extensions import db
from app.models import AccountKind, CycleStatus, Stage
from app.timeutil import taipei
from tests.browser.test_accessibility import Audit
from tests.conftest import PASSWORD, Factory

pytestmark = pytest.mark.browser

QUESTIONNAIRES = ROOT / "data" / "questionnaires"


@pytest.fixture
def page(new_page: Callable[..., Page]) -> Page:
    """axe-core is injected as an inline script: these contexts bypass the CSP."""
    return new_page(bypass_csp=True)


@pytest.fixture
def audit() -> Audit:
    return Audit()


@pytest.fixture
def operator_world(live_app: Flask, app: Flask, clock: Any) -> str:
    clock.set(taipei(2027, 7, 20, 10, 0))
    with live_app.test_request_context():
        factory = Factory()
        elementary = factory.school(Stage.ELEMENTARY, name="瀏覽器國小")
        junior = factory.school(Stage.JUNIOR, name="瀏覽器國中")
        for school, names in ((elementary, ("甲老師", "乙老師")), (junior, ("丙老師",))):
            for name in names:
                factory.teacher(school, name=name)
        operator = factory.account(None, kind=AccountKind.OPERATOR, username="operator01")
        db.session.commit()
        username = operator.username
        db.session.remove()
    return username


def _window(page: Page, kind: str, stage: str, opens: str, closes: str) -> None:
    box = page.locator(f"#schedule-{kind}-{stage}")
    box.get_by_role("checkbox").check()
    box.get_by_label("開始", exact=True).fill(opens)
    box.get_by_label("截止", exact=True).fill(closes)


def _questionnaire(page: Page, audit: Audit, title: str, file_name: str) -> None:
    page.get_by_role("link", name=title, exact=True).click()
    page.get_by_label("問卷檔（YAML）").set_input_files(str(QUESTIONNAIRES / file_name))
    page.get_by_role("button", name="檢查並預覽").click()
    expect(page.get_by_role("heading", name=f"預覽：{file_name} 第 2 版")).to_be_visible()
    audit.check(page, f"questionnaire preview {file_name}")
    page.get_by_role("button", name="附加此問卷").click()
    expect(page.get_by_text("已附加問卷第 2 版。")).to_be_visible()
    page.get_by_role("link", name="回學年度設定").click()


def test_prepare_a_new_academic_year_in_the_browser(
    page: Page, operator_world: str, audit: Audit, live_app: Flask, clock: Any
) -> None:
    page.goto("/school/login")
    page.get_by_label("帳號", exact=True).fill(operator_world)
    page.get_by_label("密碼", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="登入").click()
    audit.check(page, "operator home")
    page.get_by_role("link", name="學年度設定").click()
    expect(page.get_by_text("尚未建立任何學年度。")).to_be_visible()
    audit.check(page, "cycle list")

    page.get_by_role("link", name="新增學年度").click()
    page.get_by_label("學年度", exact=True).fill("116")
    page.get_by_label("複製自").select_option("")
    page.get_by_label("名單基準日").fill("2027-08-02T17:00")
    audit.check(page, "new cycle")
    page.get_by_role("button", name="建立").click()
    expect(page.get_by_role("heading", name="116學年度", exact=True)).to_be_visible()
    expect(page.locator("#cycle-status")).to_have_text("草稿")

    # The schedule: one window closing before it opens is refused beside its field.
    school = page.locator("#schedule-school")
    school.get_by_label("整體期間開始").fill("2027-08-05T00:00")
    school.get_by_label("整體期間截止").fill("2027-08-23T17:00")
    _window(page, "school", "E", "2027-08-14T00:00", "2027-08-10T17:00")
    _window(page, "school", "J", "2027-08-12T00:00", "2027-08-21T17:00")
    teacher = page.locator("#schedule-teacher")
    teacher.get_by_label("整體期間開始").fill("2027-09-01T00:00")
    teacher.get_by_label("整體期間截止").fill("2027-09-27T17:00")
    _window(page, "teacher", "E", "2027-09-16T00:00", "2027-09-27T17:00")
    _window(page, "teacher", "J", "2027-09-09T00:00", "2027-09-20T17:00")
    page.get_by_role("button", name="儲存填寫期間").click()
    closes = page.locator("#schedule-school-E").get_by_label("截止", exact=True)
    expect(closes).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#school_E_closes-error")).to_have_text("截止時間須晚於開始時間")
    expect(closes).to_have_value("2027-08-10T17:00")  # what was typed stays
    audit.check(page, "schedule refused")
    closes.fill("2027-08-23T17:00")
    page.get_by_role("button", name="儲存填寫期間").click()
    expect(page.get_by_text("已儲存 116學年度 的填寫期間。")).to_be_visible()
    expect(page.get_by_text("民國 116年8月14日 00:00（臺北時間）")).to_be_visible()
    audit.check(page, "cycle page")

    # Publishing waits for the questionnaires; then both are uploaded, previewed, attached.
    page.get_by_role("button", name="公告此學年度").click()
    expect(page.locator("#publish-error")).to_contain_text("尚未上傳問卷")
    _questionnaire(page, audit, "學校本位進修規劃", "school-113.yaml")
    _questionnaire(page, audit, "教師自我專業進修規劃", "teacher-113.yaml")
    page.get_by_role("button", name="公告此學年度").click()
    expect(page.get_by_text("已公告 116學年度。")).to_be_visible()
    expect(page.locator("#cycle-status")).to_have_text("已公告")

    # The snapshot: refused before the cutoff, taken after it, and taken only once.
    page.get_by_role("link", name="擷取教師名單").click()
    page.get_by_role("button", name="擷取教師名單").click()
    expect(page.locator("#force-error")).to_contain_text("尚未到名單基準日（116年8月2日 17:00）")
    audit.check(page, "snapshot refused")
    clock.set(taipei(2027, 8, 3, 9, 0))
    page.get_by_role("button", name="擷取教師名單").click()
    expect(page.get_by_text("已擷取教師名單：3 人。")).to_be_visible()
    expect(page.locator("#snapshot-taken")).to_have_text("116年8月3日 09:00")
    stages = page.locator("#snapshot-stages")
    expect(stages.get_by_role("row", name="國小 2")).to_be_visible()
    expect(stages.get_by_role("row", name="國中 1")).to_be_visible()
    audit.check(page, "snapshot taken")
    page.get_by_role("button", name="擷取教師名單").click()
    expect(page.get_by_text("未重複擷取")).to_be_visible()

    page.goto("/operator/cycles/")
    row = page.locator('tr[data-year="116"]')
    expect(row).to_contain_text("已公告")
    expect(row.locator("td").nth(2)).to_have_text("2")
    expect(row.locator("td").nth(3)).to_have_text("3")
    with live_app.app_context():
        from app.cycles.windows import cycle_by_year

        cycle = cycle_by_year(116)
        assert cycle is not None
        assert cycle.status == CycleStatus.PUBLISHED
        db.session.remove()
    audit.assert_clean()


def test_announcements_in_the_browser(
    page: Page, operator_world: str, audit: Audit, clock: Any
) -> None:
    page.goto("/school/login")
    page.get_by_label("帳號", exact=True).fill(operator_world)
    page.get_by_label("密碼", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="登入").click()
    page.get_by_role("link", name="最新消息").click()
    page.get_by_role("link", name="新增最新消息").click()
    page.get_by_label("標題").fill("116學年度填寫時程公告")
    page.get_by_label("內容").fill("請於期限內完成填寫。")
    page.get_by_label("刊登日期").fill("2027-07-31")
    page.get_by_label("下架日期").fill("2027-07-01")
    page.get_by_role("button", name="儲存").click()
    expect(page.locator("#shows_until-error")).to_have_text("下架日期不能早於刊登日期")
    audit.check(page, "announcement refused")
    page.get_by_label("刊登日期").fill("2027-07-15")
    page.get_by_label("下架日期").fill("2027-08-31")
    page.get_by_role("button", name="儲存").click()
    expect(page.get_by_role("row", name="116學年度填寫時程公告")).to_contain_text("刊登中")
    audit.check(page, "announcement list")
    page.get_by_role("button", name="登出").click()
    page.goto("/")
    news = page.locator("section.announcements")
    expect(news.get_by_role("heading", name="116年7月15日 116學年度填寫時程公告")).to_be_visible()
    audit.check(page, "home with announcements")
    audit.assert_clean()
