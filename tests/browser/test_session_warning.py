"""The idle warning in Chromium: shown before the idle timeout as a keyboard-usable alert
dialog, 「繼續使用」 renews the session, and no page breaks the style-src policy.

The browser's timers run on Playwright's fake clock: time is moved, never waited for.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import World, sign_in_planner, sign_in_teacher

pytestmark = pytest.mark.browser


def _csp_violations(page: Page) -> list[str]:
    seen: list[str] = []
    page.on(
        "console",
        lambda message: (
            seen.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    return seen


def test_idle_warning_is_announced_and_extends_the_session(
    new_page: Callable[..., Page], world: World, clock
) -> None:
    page = new_page()
    violations = _csp_violations(page)
    page.clock.install()
    sign_in_teacher(page, world)
    page.wait_for_load_state("load")  # session.js has set its timer on the fake clock
    dialog = page.get_by_role("alertdialog", name="即將自動登出")
    expect(dialog).to_be_hidden()
    page.clock.fast_forward("57:00")
    expect(dialog).to_be_hidden()
    page.clock.fast_forward("01:01")  # 58 minutes idle: two minutes before the timeout
    expect(dialog).to_be_visible()
    extend = dialog.get_by_role("button", name="繼續使用")
    expect(extend).to_be_focused()
    with page.expect_response(lambda r: r.url.endswith("/session/keepalive")) as answer:
        page.keyboard.press("Enter")
    assert answer.value.status == 200
    expect(dialog).to_be_hidden()
    page.clock.fast_forward("57:00")  # the timer restarted with the renewed session
    expect(dialog).to_be_hidden()
    page.get_by_role("link", name="我的進修規劃", exact=True).click()
    expect(page.get_by_role("button", name="登出")).to_be_visible()
    assert violations == []


def test_pages_with_htmx_break_no_style_policy(
    new_page: Callable[..., Page], world: World, clock
) -> None:
    page = new_page()
    violations = _csp_violations(page)
    sign_in_planner(page, world)
    page.goto("/school/plan")
    expect(page.get_by_role("button", name="登出")).to_be_visible()
    assert violations == []
