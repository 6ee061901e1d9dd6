"""In Chromium at 1024×768: a county authority grants a bulk extension (typhoon day) and
sends reminders, which a local SMTP server receives; every page axe-core clean."""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from flask import Flask
from playwright.sync_api import Page, expect
from sqlalchemy import select

from app.extensions import db
from app.models import (
    AccountKind,
    AccountType,
    BusinessAccount,
    Cycle,
    Extension,
    PlanKind,
    ReminderBatch,
    Stage,
)
from app.timeutil import taipei
from tests.browser.test_accessibility import Audit
from tests.conftest import PASSWORD, Factory
from tests.plan_helpers import setup_113
from tests.test_mail import Inbox

pytestmark = pytest.mark.browser

AFTER_SCHOOL_CLOSE = taipei(2024, 8, 24, 10, 0)  # 國小 school plan closed 8/23 17:00


@pytest.fixture
def page(new_page: Callable[..., Page]) -> Page:
    return new_page(bypass_csp=True)  # axe-core is injected as an inline script


@pytest.fixture
def smtp(live_app: Flask, monkeypatch: pytest.MonkeyPatch) -> Iterator[Inbox]:
    """A real SMTP server on localhost that the live server sends to."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    handler = Inbox()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    monkeypatch.setitem(live_app.config, "MAIL_SERVER", "127.0.0.1")
    monkeypatch.setitem(live_app.config, "MAIL_PORT", port)
    try:
        yield handler
    finally:
        controller.stop()


@pytest.fixture
def county_username(live_app: Flask, app: Flask, clock: Any) -> str:
    """The 113 cycle with two 國小 in Kaohsiung (each with a chief who has an address)
    and Kaohsiung's education bureau (with `app` requested, tables are emptied after)."""
    with live_app.test_request_context():
        factory = Factory()
        seeded = setup_113(factory, stages=(Stage.ELEMENTARY,))
        second = factory.school(Stage.ELEMENTARY, name="高雄市立颱風國小")
        for n, school in enumerate((seeded["schools"][Stage.ELEMENTARY], second)):
            factory.account(school, AccountType.CHIEF, email=f"chief{n}@school.edu.tw")
        factory.account(
            None,
            kind=AccountKind.AUTHORITY,
            authority_id=factory.authority(factory.county()).id,
            username="browser-county",
        )
        db.session.commit()
        db.session.remove()
    clock.set(AFTER_SCHOOL_CLOSE)
    return "browser-county"


def test_an_authority_extends_a_typhoon_day_and_reminds_the_schools(
    page: Page, county_username: str, smtp: Inbox
) -> None:
    audit = Audit()
    page.goto("/school/login")
    page.get_by_label("帳號", exact=True).fill(county_username)
    page.get_by_label("密碼", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="登入").click()
    expect(page.get_by_role("heading", name="主管機關")).to_be_visible()
    audit.check(page, "authority home")

    page.get_by_role("link", name="批次延長（縣市 × 教育階段）").click()
    expect(page.get_by_role("heading", name="批次延長（縣市 × 教育階段）")).to_be_visible()
    audit.check(page, "bulk extension form")
    page.get_by_label("縣市", exact=True).select_option("64000")
    page.get_by_label("教育階段", exact=True).select_option("E")
    page.get_by_label("學校本位進修規劃", exact=True).check()
    page.get_by_label("延長至（日期）", exact=True).fill("2024-08-20")  # before now: refused
    page.get_by_label("延長至（時間）", exact=True).fill("17:00")
    page.get_by_label("延長原因", exact=True).fill("颱風停班停課")
    page.get_by_role("button", name="核定批次延長").click()
    refusal = page.locator("#until_date-error")
    expect(refusal).to_contain_text("必須晚於現在")
    expect(page.get_by_label("延長原因", exact=True)).to_have_value("颱風停班停課")
    audit.check(page, "bulk extension refused")
    page.get_by_label("延長至（日期）", exact=True).fill("2024-08-30")
    page.get_by_role("button", name="核定批次延長").click()
    expect(page.get_by_role("status")).to_contain_text("共 2 所學校")
    expect(page.get_by_role("link", name="撤銷批次 #1")).to_be_visible()
    audit.check(page, "extensions list")
    until = db.session.scalars(select(Extension.until)).all()
    assert until == [taipei(2024, 8, 30, 17, 0)] * 2

    page.goto("/oversight/reminders/new?county=64000&stage=E")
    expect(page.get_by_role("heading", name="寄送催填提醒")).to_be_visible()
    audit.check(page, "reminder form")
    page.get_by_role("button", name="寄送提醒").click()
    summary = page.locator("[data-summary]")
    expect(summary).to_contain_text("已寄出 2 封提醒")
    expect(page.get_by_role("progressbar", name="寄送進度")).to_be_visible()
    audit.check(page, "reminder sent")
    assert sorted(m["To"] for m in smtp.messages) == [
        "chief0@school.edu.tw",
        "chief1@school.edu.tw",
    ]
    assert "填寫期限已延長至 113年8月30日 17:00" in smtp.body()

    page.get_by_role("link", name="再寄送一次提醒").click()
    page.get_by_label("縣市", exact=True).select_option("64000")
    page.get_by_label("教育階段", exact=True).select_option("E")
    page.get_by_role("button", name="寄送提醒").click()
    expect(page.locator("[data-summary]")).to_contain_text("今日已提醒過 2 位")
    assert len(smtp.messages) == 2
    audit.assert_clean()


def test_the_batch_page_follows_a_running_batch_until_it_ends(
    page: Page, county_username: str
) -> None:
    """The progress fragment polls itself while the worker sends, then shows the count."""
    county = db.session.scalar(
        select(BusinessAccount).where(BusinessAccount.username == county_username)
    )
    cycle = db.session.scalar(select(Cycle))
    batch = ReminderBatch(
        cycle_id=cycle.id,
        plan_kind=PlanKind.SCHOOL,
        county_code="64000",
        stage=Stage.ELEMENTARY,
        sent_by_id=county.id,
        status="running",
        total=3,
        sent=1,
    )
    db.session.add(batch)
    db.session.commit()
    page.goto("/school/login")
    page.get_by_label("帳號", exact=True).fill(county_username)
    page.get_by_label("密碼", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="登入").click()
    expect(page.get_by_role("heading", name="主管機關")).to_be_visible()
    page.goto(f"/oversight/reminders/{batch.id}")
    expect(page.get_by_role("status").filter(has_text="寄送中")).to_contain_text("1／3")
    batch.sent, batch.skipped_today = 2, 1
    db.session.commit()
    expect(page.get_by_role("status").filter(has_text="寄送中")).to_contain_text("2／3")
    batch.sent, batch.status = 3, "done"
    db.session.commit()
    expect(page.locator("[data-summary]")).to_contain_text("已寄出 3 封提醒")
    expect(page.locator("[data-summary]")).to_contain_text("今日已提醒過 1 位")
    audit = Audit()
    audit.check(page, "finished batch")
    audit.assert_clean()
