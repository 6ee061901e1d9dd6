"""A business account links and uses the education single sign-on in Chromium, through the
real local provider: the link button (a form with CSRF, whose answer leaves for the
provider), the provider's consent page, the callback, the sign-in button, unlinking; the
account's pages pass axe-core (WCAG 2.1 AA)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator

import pytest
from flask import Flask
from playwright.sync_api import Page, expect
from werkzeug.serving import make_server

from app.extensions import db
from app.models import AccountType, SsoIdentity
from tests.browser.test_accessibility import Audit
from tests.conftest import PASSWORD
from tests.sso_support import count, sso_config

pytest_plugins = ["tests.sso_fixtures"]
pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("insecure_transport")]


@pytest.fixture(scope="module")
def base_url(make_app: Callable[..., Flask], provider) -> Iterator[str]:
    """This module's live server: the real app with CSRF on and single sign-on configured."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("AUTHLIB_INSECURE_TRANSPORT", "1")  # plain HTTP to 127.0.0.1 only
        app = make_app(WTF_CSRF_ENABLED=True, **sso_config(provider.base))
        server = make_server("127.0.0.1", 0, app, threaded=True)
        thread = threading.Thread(target=server.serve_forever, name="sso-live", daemon=True)
        thread.start()
        yield f"http://127.0.0.1:{server.server_port}"
        server.shutdown()
        thread.join(timeout=5)
        server.server_close()


@pytest.fixture
def page(new_page: Callable[..., Page]) -> Page:
    return new_page(bypass_csp=False)  # the app's own Content-Security-Policy applies


def _consent(page: Page, sub: str) -> None:
    """The provider's page: type the subject and authorize."""
    page.get_by_placeholder("sub").fill(sub)
    page.get_by_role("button", name="Authorize").click()


def test_link_sign_in_and_unlink_in_the_browser(page: Page, new_page, factory):
    account = factory.account(factory.school(), AccountType.PLANNING, username="planner9")
    db.session.commit()
    page.goto("/school/login")
    page.get_by_label("帳號", exact=True).fill(account.username)
    page.get_by_label("密碼", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="登入").click()
    expect(page.get_by_role("button", name="登出")).to_be_visible()
    page.get_by_role("link", name="教育體系單一簽入").click()
    expect(page.get_by_text("尚未連結")).to_be_visible()
    page.get_by_role("button", name="連結教育體系單一簽入").click()
    _consent(page, "browser-1")
    expect(page.get_by_text("已連結教育體系單一簽入；")).to_be_visible()
    assert page.url.endswith("/sso/account")
    assert count(SsoIdentity) == 1
    page.wait_for_load_state("load")
    audit = Audit()
    checker = new_page(bypass_csp=True)  # axe is injected inline: its own context
    checker.context.add_cookies(page.context.cookies())
    checker.goto("/sso/account")
    audit.check(checker, "sso account (linked)")
    checker.goto("/sso/account/unlink")
    audit.check(checker, "sso unlink confirmation")
    # Signed out, the school sign-in page's button signs the account in.
    page.get_by_role("button", name="登出").click()
    expect(page.get_by_text("您已登出。")).to_be_visible()
    page.wait_for_load_state("load")  # no request cut off by the next navigation
    page.goto("/school/login")
    page.get_by_role("link", name="以教育體系單一簽入服務登入").click()
    _consent(page, "browser-1")
    expect(page.get_by_role("button", name="登出")).to_be_visible()
    assert page.url.endswith("/school/")
    # Unlink, with its confirmation step.
    page.wait_for_load_state("load")
    page.goto("/sso/account")
    page.get_by_role("link", name="解除連結").click()
    page.get_by_role("button", name="確定解除連結").click()
    expect(page.get_by_text("已解除教育體系單一簽入連結")).to_be_visible()
    checker.goto("/sso/account")
    audit.check(checker, "sso account (not linked)")
    assert count(SsoIdentity) == 0
    audit.assert_clean()
