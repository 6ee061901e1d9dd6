"""Single sign-on for business accounts, against the real local provider: linking one's
identity while signed in, signing in with it, the refusals (an unlinked identity, an
account not active, a forged state, an identity linked elsewhere), unlinking, and the
teacher's and the account's links kept apart."""

from __future__ import annotations

import logging
from urllib.parse import urlsplit

import pytest
import requests
from sqlalchemy import select

from app.extensions import db
from app.models import AccountStatus, AccountType, AuditEntry, BusinessAccount, SsoIdentity
from app.sso import services
from tests.conftest import PASSWORD, login_account
from tests.sso_support import authorize, closed_port, count, sign_in, sso_config, start

pytest_plugins = ["tests.sso_fixtures"]
pytestmark = pytest.mark.usefixtures("insecure_transport")

SCHOOL_LOGIN = "/sso/login?realm=school"


def _account(factory, **kwargs) -> BusinessAccount:
    account = factory.account(factory.school(), AccountType.PLANNING, **kwargs)
    db.session.commit()
    return account


def _start_link(client) -> str:
    """The signed-in account's 「連結教育體系單一簽入」 button: the provider's URL."""
    response = client.post("/sso/account/link")
    assert response.status_code == 303
    return response.headers["Location"]


def _link(client, sub: str):
    return client.get(authorize(_start_link(client), sub))


def _identity(provider, account: BusinessAccount, sub: str) -> SsoIdentity:
    """A link made earlier (the linking itself is tested through the provider below)."""
    identity = SsoIdentity(
        issuer=provider.base,
        subject=sub,
        realm="school",
        business_account_id=account.id,
        linked_by="signed_in",
    )
    db.session.add(identity)
    db.session.commit()
    return identity


def _signed_in_as_account(client) -> bool:
    return client.get("/school/").status_code == 200


def _audit(action: str) -> list[AuditEntry]:
    return list(db.session.scalars(select(AuditEntry).where(AuditEntry.action == action)))


def _page(client, path: str = "/school/login") -> str:
    return client.get(path).get_data(as_text=True)


# ---- the entry points ------------------------------------------------------------------------


def test_the_school_login_button_shows_only_when_configured(client, sso_client):
    assert "以教育體系單一簽入服務登入" not in _page(client)
    page = _page(sso_client)
    assert "以教育體系單一簽入服務登入" in page
    assert 'href="/sso/login?realm=school"' in page
    assert 'href="/sso/login"' in _page(sso_client, "/teacher/login")  # the teacher's unchanged


def test_the_account_page_without_configuration_offers_no_link(client, factory):
    account = _account(factory)
    login_account(client, account)
    page = _page(client, "/sso/account")
    assert "尚未連結" in page
    assert "本系統目前未啟用教育體系單一簽入服務" in page
    assert client.post("/sso/account/link").status_code == 404


# ---- linking while signed in, then signing in ------------------------------------------------


def test_link_while_signed_in_then_sign_in_with_it(sso_client, provider, factory):
    account = _account(factory, username="planner1")
    login_account(sso_client, account)
    page = _page(sso_client, "/sso/account")
    assert "尚未連結" in page
    assert "連結教育體系單一簽入" in page
    response = _link(sso_client, "biz-1")
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/sso/account")
    identity = db.session.scalar(select(SsoIdentity))
    assert identity is not None
    assert (identity.realm, identity.business_account_id, identity.teacher_id) == (
        "school",
        account.id,
        None,
    )
    assert (identity.issuer, identity.subject, identity.linked_by) == (
        provider.base,
        "biz-1",
        "signed_in",
    )
    page = _page(sso_client, "/sso/account")
    assert "已連結教育體系單一簽入" in page  # the notice
    assert "data-sso-linked" in page
    assert _signed_in_as_account(sso_client)  # still the same session, still signed in
    [linked] = _audit("sso.link")
    assert (linked.actor, linked.object_type, linked.object_id) == (
        f"account:{account.id}",
        "business_account",
        str(account.id),
    )
    assert linked.school_id == account.school_id
    # Signed out, single sign-on alone signs the account in: no password, no eduinfo call
    # (the provider knows no eduinfo for biz-1: a teacher flow would stop on its 404).
    sso_client.post("/logout")
    assert not _signed_in_as_account(sso_client)
    signed = sign_in(sso_client, "biz-1", SCHOOL_LOGIN)
    assert signed.status_code == 303
    assert signed.headers["Location"].endswith("/school/")
    assert _signed_in_as_account(sso_client)
    [entry] = _audit("sso.sign_in")
    assert entry.actor == f"account:{account.id}"
    assert count(SsoIdentity) == 1
    assert count(BusinessAccount) == 1


def test_an_account_that_is_linked_cannot_start_a_second_link(sso_client, provider, factory):
    account = _account(factory)
    _identity(provider, account, "biz-2")
    login_account(sso_client, account)
    response = sso_client.post("/sso/account/link")
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/sso/account")
    assert "請先解除連結" in _page(sso_client, "/sso/account")
    assert count(SsoIdentity) == 1


# ---- what is refused -------------------------------------------------------------------------


def test_an_unlinked_identity_is_refused_and_creates_nothing(sso_client, provider, factory):
    account = _account(factory, email="planner@example.edu.tw")
    provider.set_claims("biz-3", {"email": "planner@example.edu.tw", "name": "王小明"})
    response = sign_in(sso_client, "biz-3", SCHOOL_LOGIN)
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/school/login")
    page = _page(sso_client)
    assert "尚未連結業務帳號" in page
    assert "請先以業務帳號密碼登入" in page
    assert not _signed_in_as_account(sso_client)  # never linked by e-mail alone
    assert count(SsoIdentity) == 0
    assert count(BusinessAccount) == 1
    assert db.session.get(BusinessAccount, account.id) is not None


@pytest.mark.parametrize(
    ("status", "message"),
    [
        (AccountStatus.DISABLED, "此業務帳號已停用"),
        (AccountStatus.APPLIED, "此業務帳號仍在申請中"),
        (AccountStatus.DELETED, "此業務帳號已刪除"),
    ],
)
def test_an_account_that_is_not_active_is_refused(sso_client, provider, factory, status, message):
    account = _account(factory, status=status)
    _identity(provider, account, "biz-4")
    response = sign_in(sso_client, "biz-4", SCHOOL_LOGIN)
    assert response.headers["Location"].endswith("/school/login")
    assert message in _page(sso_client)
    assert not _signed_in_as_account(sso_client)
    assert _audit("sso.sign_in") == []


def test_a_forged_state_is_refused(sso_client, provider, factory, caplog):
    account = _account(factory)
    _identity(provider, account, "biz-5")
    callback = authorize(start(sso_client, SCHOOL_LOGIN), "biz-5")
    with caplog.at_level(logging.WARNING, logger="app.sso.routes"):
        response = sso_client.get(callback.replace("state=", "state=forged"))
    assert "MismatchingStateError" in caplog.text
    assert response.headers["Location"].endswith("/school/login")  # the flow's own page
    assert "驗證資料不正確或已過期" in _page(sso_client)
    assert not _signed_in_as_account(sso_client)
    # Only the forged state was spent: the genuine callback still finishes its own flow.
    assert sso_client.get(callback).headers["Location"].endswith("/school/")


def test_a_forged_state_on_the_link_links_nothing(sso_client, provider, factory):
    account = _account(factory)
    login_account(sso_client, account)
    callback = authorize(_start_link(sso_client), "biz-6")
    response = sso_client.get(callback.replace("state=", "state=forged"))
    assert response.headers["Location"].endswith("/sso/account")
    assert "驗證資料不正確或已過期" in _page(sso_client, "/sso/account")
    assert count(SsoIdentity) == 0
    assert _audit("sso.link") == []


def test_an_identity_linked_to_another_account_is_refused(sso_client, provider, factory):
    owner = _account(factory)
    _identity(provider, owner, "biz-7")
    other = _account(factory)
    login_account(sso_client, other)
    response = _link(sso_client, "biz-7")
    assert response.headers["Location"].endswith("/sso/account")
    page = _page(sso_client, "/sso/account")
    assert "已連結其他業務帳號" in page
    assert "尚未連結" in page
    assert [i.business_account_id for i in db.session.scalars(select(SsoIdentity))] == [owner.id]
    assert _audit("sso.link") == []


def test_an_identity_of_a_deleted_account_moves_to_the_new_one(sso_client, provider, factory):
    gone = _account(factory, status=AccountStatus.DELETED)
    _identity(provider, gone, "biz-8")
    new = _account(factory)
    login_account(sso_client, new)
    assert _link(sso_client, "biz-8").headers["Location"].endswith("/sso/account")
    assert [i.business_account_id for i in db.session.scalars(select(SsoIdentity))] == [new.id]
    [unlinked] = _audit("sso.unlink")
    assert (unlinked.object_id, unlinked.after) == (str(gone.id), {"reason": "account_deleted"})


def test_the_link_callback_needs_the_account_that_started_it(sso_client, provider, factory):
    account = _account(factory)
    other = _account(factory)
    login_account(sso_client, account)
    callback = authorize(_start_link(sso_client), "biz-9")
    with sso_client.session_transaction() as session:  # the flow says: another account's
        flows = dict(session["sso_flows"])
        [state] = flows
        flows[state] = {"purpose": "link", "account_id": other.id}
        session["sso_flows"] = flows
    response = sso_client.get(callback)
    assert response.headers["Location"].endswith("/school/login")
    assert count(SsoIdentity) == 0


# ---- unlinking -------------------------------------------------------------------------------


def test_unlink_after_confirmation(sso_client, provider, factory):
    account = _account(factory)
    _identity(provider, account, "biz-10")
    login_account(sso_client, account)
    confirm = _page(sso_client, "/sso/account/unlink")
    assert "確定解除連結" in confirm
    assert count(SsoIdentity) == 1  # the confirmation page changes nothing
    response = sso_client.post("/sso/account/unlink")
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/sso/account")
    assert "已解除教育體系單一簽入連結" in _page(sso_client, "/sso/account")
    assert count(SsoIdentity) == 0
    [entry] = _audit("sso.unlink")
    assert entry.actor == f"account:{account.id}"
    assert entry.before is not None
    assert entry.before["issuer"] == provider.base
    # Unlinked: the identity no longer signs the account in.
    sso_client.post("/logout")
    assert sign_in(sso_client, "biz-10", SCHOOL_LOGIN).headers["Location"].endswith("/school/login")
    assert not _signed_in_as_account(sso_client)
    # Nothing left to unlink: the page says so instead of confirming.
    login_account(sso_client, account)
    again = sso_client.get("/sso/account/unlink")
    assert again.status_code == 303


# ---- a teacher's link and an account's link are kept apart ------------------------------------


def test_teacher_and_account_links_are_not_confused(sso_client, provider, factory):
    school = factory.school()
    teacher = factory.teacher(school)
    account = _account(factory)
    db.session.commit()
    provider.set_claims("both-1", {"national_id": teacher.plain_national_id})
    provider.eduinfo["both-1"] = {"schoolid": school.code, "titles": []}
    # The teacher's sign-in links the identity to the teacher (national-ID claim) …
    assert sign_in(sso_client, "both-1").headers["Location"].endswith("/teacher/")
    sso_client.post("/logout")
    # … which does not sign any business account in.
    refused = sign_in(sso_client, "both-1", SCHOOL_LOGIN)
    assert refused.headers["Location"].endswith("/school/login")
    assert "尚未連結業務帳號" in _page(sso_client)
    # The account holder may link the same identity to the account as well.
    login_account(sso_client, account)
    _link(sso_client, "both-1")
    realms = {
        (i.realm, i.teacher_id, i.business_account_id)
        for i in db.session.scalars(select(SsoIdentity))
    }
    assert realms == {("teacher", teacher.id, None), ("school", None, account.id)}
    sso_client.post("/logout")
    assert sign_in(sso_client, "both-1", SCHOOL_LOGIN).headers["Location"].endswith("/school/")
    sso_client.post("/logout")
    assert sign_in(sso_client, "both-1").headers["Location"].endswith("/teacher/")


# ---- the provider down -----------------------------------------------------------------------


def test_provider_down_keeps_password_sign_in_working(make_app, app, factory):
    account = _account(factory)
    client = make_app(**sso_config(f"http://127.0.0.1:{closed_port()}")).test_client()
    response = client.get(SCHOOL_LOGIN)
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/school/login")
    page = _page(client)
    assert "教育體系單一簽入服務目前無法連線" in page
    assert "改用業務帳號密碼登入" in page
    assert (
        client.post(
            "/school/login", data={"username": account.username, "password": PASSWORD}
        ).status_code
        == 303
    )
    assert _signed_in_as_account(client)
    down = client.post("/sso/account/link")  # linking says so too, and keeps the session
    assert down.headers["Location"].endswith("/sso/account")
    assert "請稍後再試連結" in _page(client, "/sso/account")
    assert _signed_in_as_account(client)


def test_the_account_page_lets_its_link_form_leave_for_the_provider(sso_client, provider, factory):
    """The link button is a form whose answer is a redirect to the provider: form-action
    must name the provider's origin there (Chromium blocks it otherwise), and only there."""
    account = _account(factory)
    login_account(sso_client, account)
    policy = sso_client.get("/sso/account").headers["Content-Security-Policy"]
    assert f"form-action 'self' {provider.base};" in policy
    assert "form-action 'self';" in sso_client.get("/school/").headers["Content-Security-Policy"]


def test_denying_at_the_provider_links_nothing(sso_client, provider, factory):
    account = _account(factory)
    login_account(sso_client, account)
    location = _start_link(sso_client)
    answer = requests.post(location, data={"action": "deny"}, allow_redirects=False, timeout=5)
    assert answer.status_code == 302
    callback = urlsplit(answer.headers["Location"])
    assert "error=access_denied" in callback.query
    response = sso_client.get(f"{callback.path}?{callback.query}")
    assert response.headers["Location"].endswith("/sso/account")
    assert "已在教育體系單一簽入服務取消" in _page(sso_client, "/sso/account")
    assert count(SsoIdentity) == 0
    assert _signed_in_as_account(sso_client)


def test_a_link_that_loses_a_race_is_refused_cleanly(sso_client, provider, factory, monkeypatch):
    """Two links of one identity at once: the database's unique (issuer, subject, realm)
    refuses the second even when both passed the check before writing."""
    owner = _account(factory)
    _identity(provider, owner, "biz-11")
    other = _account(factory)
    login_account(sso_client, other)
    monkeypatch.setattr(services, "linked_account", lambda issuer, subject: None)  # both see none
    response = _link(sso_client, "biz-11")
    assert response.headers["Location"].endswith("/sso/account")
    assert "剛剛已有其他連結" in _page(sso_client, "/sso/account")
    assert [i.business_account_id for i in db.session.scalars(select(SsoIdentity))] == [owner.id]
    assert _audit("sso.link") == []
