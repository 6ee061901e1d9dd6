"""Issue 8 in Debian's Chromium at 1024×768, with and without JavaScript: each of the four
ways typed text used to be lost, reproduced and shown gone; the status always in view,
a warning before leaving unsaved changes, live counters, row buttons that return to the row."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from flask import Flask
from playwright.sync_api import BrowserContext, Page, expect
from sqlalchemy import select

from app.extensions import db
from app.models import AccountType, School, SchoolPlan, TeacherPlan
from app.timeutil import taipei
from tests.browser.conftest import World, sign_in_planner, sign_in_teacher
from tests.conftest import PASSWORD, Factory

pytestmark = pytest.mark.browser

SCHOOL_PLAN_OPEN = taipei(2024, 8, 20, 10, 0)
TEACHER_PLAN_OPEN = taipei(2024, 9, 20, 10, 0)
STATUS = "#autosave-status [role=status]"
LONG_REMARK = "這是一段很長的備註。" * 250  # 2,500 characters; the limit is 2,000


def _stored(live_app: Flask, model) -> dict:
    with live_app.app_context():
        plan = db.session.scalar(select(model))
        answers = dict(plan.answers) if plan else {}
        db.session.remove()
    return answers


def _open_teacher_plan(page: Page, world: World, clock) -> None:
    clock.set(TEACHER_PLAN_OPEN)
    sign_in_teacher(page, world)
    page.goto("/teacher/plan")


def _autosaved(page: Page, text: str = "已自動儲存 10:00") -> None:
    expect(page.locator(STATUS)).to_contain_text(text)


# ---- 1. one invalid field no longer stops the draft --------------------------------------


def test_an_invalid_draft_is_autosaved_and_survives_a_reload(
    page: Page, world: World, clock, live_app: Flask
) -> None:
    _open_teacher_plan(page, world, clock)
    expect(page.locator(STATUS)).to_have_text("內容會自動儲存為草稿。")
    page.locator("#f-activities-0-topic").fill("差異化教學策略")
    page.locator("#f-activities-0-hours").fill("十二")  # letters in a number
    page.locator("#f-remarks").fill(LONG_REMARK)  # over the limit
    _autosaved(page, "已自動儲存 10:00，2 個欄位需修正")
    # Each problem beside its field, announced with it.
    hours = page.locator("#f-activities-0-hours")
    expect(page.locator("#e-activities-0-hours")).to_contain_text("整數")
    expect(hours).to_have_attribute("aria-invalid", "true")
    expect(hours).to_have_attribute("aria-describedby", re.compile(r"\be-activities-0-hours\b"))
    expect(page.locator("#e-remarks")).to_contain_text("最多 2000 字")
    # Typing on after the mistake is saved too.
    with page.expect_response(lambda r: r.url.endswith("/autosave")) as answer:
        page.locator("#f-needs_description").fill("錯誤之後繼續打的字")
    assert answer.value.ok
    expect(page.locator(STATUS)).to_have_text("已自動儲存 10:00，2 個欄位需修正")
    page.wait_for_function(
        "() => +document.querySelector('#plan-form input[name=version]').value >= 2"
    )
    page.wait_for_function(
        "() => !localStorage.length"  # the server confirmed: the local copy is dropped
    )

    page.reload()
    expect(page.locator("#f-activities-0-hours")).to_have_value("十二")
    expect(page.locator("#f-remarks")).to_have_value(LONG_REMARK)
    expect(page.locator("#f-needs_description")).to_have_value("錯誤之後繼續打的字")
    expect(page.locator("#e-remarks")).to_be_visible()
    # Correcting a field clears its problem on the next autosave.
    page.locator("#f-activities-0-hours").fill("12")
    expect(page.locator(STATUS)).to_have_text("已自動儲存 10:00，1 個欄位已修正，1 個欄位需修正")
    expect(page.locator("#e-activities-0-hours")).to_have_count(0)
    expect(page.locator("#f-activities-0-hours")).not_to_have_attribute("aria-invalid", "true")
    assert _stored(live_app, TeacherPlan)["remarks"] == LONG_REMARK


def test_an_invalid_draft_is_saved_without_javascript(
    new_page: Callable[..., Page], world: World, clock, live_app: Flask
) -> None:
    page = new_page(java_script_enabled=False)
    _open_teacher_plan(page, world, clock)
    expect(page.locator(STATUS)).not_to_contain_text("自動")
    page.locator("#f-activities-0-hours").fill("abc")
    page.locator("#f-remarks").fill(LONG_REMARK)
    page.get_by_role("button", name="儲存草稿", exact=True).click()
    expect(page.locator(".flash-error")).to_have_text("已儲存草稿（10:00），2 個欄位需修正。")
    page.goto("/teacher/plan")
    expect(page.locator("#f-activities-0-hours")).to_have_value("abc")
    expect(page.locator("#f-remarks")).to_have_value(LONG_REMARK)
    expect(page.locator("#e-activities-0-hours")).to_be_visible()
    assert _stored(live_app, TeacherPlan)["activities"][0]["hours"] == "abc"


# ---- 2. a session ended elsewhere, 3. a stale token ---------------------------------------


def _sign_out_everywhere(browser_context_page: Page, world: World) -> None:
    """Sign in as the same teacher on another device and sign out: every session ends."""
    sign_in_teacher(browser_context_page, world)
    browser_context_page.get_by_role("button", name="登出").click()
    expect(browser_context_page.locator(".flash")).to_contain_text("您已登出")


def _sign_in_form(page: Page, world: World) -> None:
    page.get_by_label("身分證字號或居留證號", exact=True).fill(world.teacher_national_id)
    page.get_by_label("密碼", exact=True).fill(PASSWORD)


def test_a_session_ended_elsewhere_keeps_the_text_and_saves_it_after_signing_in(
    new_page: Callable[..., Page], world: World, clock, live_app: Flask
) -> None:
    page = new_page()
    _open_teacher_plan(page, world, clock)
    _sign_out_everywhere(new_page(), world)

    page.locator("#f-remarks").fill("登入結束後打的字")
    notice = page.locator("#session-notice")
    expect(notice).to_contain_text("您的登入已結束")
    expect(page).to_have_url(re.compile(r"/teacher/plan$"))  # no redirect: the page stays
    expect(page.locator("#f-remarks")).to_have_value("登入結束後打的字")

    with page.expect_popup() as opened:
        notice.get_by_role("button", name="在新分頁重新登入").click()
    sign_in = opened.value
    _sign_in_form(sign_in, world)
    sign_in.get_by_role("button", name="登入").click()
    expect(sign_in.get_by_role("heading", name="已重新登入")).to_be_visible()

    _autosaved(page)  # a fresh token, then the kept text saved
    expect(notice).to_be_hidden()
    assert _stored(live_app, TeacherPlan)["remarks"] == "登入結束後打的字"
    page.reload()
    expect(page.locator("#f-remarks")).to_have_value("登入結束後打的字")


def test_a_stale_token_after_signing_in_again_in_another_tab_saves_the_text(
    new_page: Callable[..., Page], world: World, clock, live_app: Flask
) -> None:
    page = new_page()
    _open_teacher_plan(page, world, clock)
    other_tab = page.context.new_page()
    sign_in_teacher(other_tab, world)  # a new session: this tab's token is stale
    page.locator("#f-remarks").fill("換了驗證碼也要存")
    _autosaved(page)
    expect(page.locator("#autosave-status")).not_to_contain_text("請求無法處理")
    assert _stored(live_app, TeacherPlan)["remarks"] == "換了驗證碼也要存"
    # 儲存草稿 after that carries the fresh token too.
    page.locator("#f-needs_description").fill("按鈕儲存")
    page.get_by_role("button", name="儲存草稿", exact=True).click()
    expect(page.locator(".flash-ok")).to_contain_text("已儲存草稿")
    expect(page.locator("#f-needs_description")).to_have_value("按鈕儲存")


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_a_plain_save_with_a_stale_token_keeps_the_text(
    new_page: Callable[..., Page], world: World, clock, live_app: Flask, javascript: bool
) -> None:
    page = new_page(java_script_enabled=javascript)
    _open_teacher_plan(page, world, clock)
    if javascript:
        page.route("**/autosave", lambda route: route.abort())  # only the button saves
    sign_in_teacher(page.context.new_page(), world)
    page.locator("#f-remarks").fill("按鈕遇到舊驗證碼")
    page.get_by_role("button", name="儲存草稿", exact=True).click()
    if not javascript:
        expect(page.get_by_role("heading", name="儲存剛才輸入的內容")).to_be_visible()
        page.get_by_role("button", name="儲存剛才輸入的內容").click()
    expect(page.locator(".flash-ok")).to_contain_text("已儲存草稿")
    expect(page.locator("#f-remarks")).to_have_value("按鈕遇到舊驗證碼")
    assert _stored(live_app, TeacherPlan)["remarks"] == "按鈕遇到舊驗證碼"


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_a_plain_save_with_an_ended_session_signs_in_and_saves(
    new_page: Callable[..., Page], world: World, clock, live_app: Flask, javascript: bool
) -> None:
    page = new_page(java_script_enabled=javascript)
    _open_teacher_plan(page, world, clock)
    if javascript:
        page.route("**/autosave", lambda route: route.abort())
    _sign_out_everywhere(new_page(), world)
    page.locator("#f-remarks").fill("按鈕遇到登入結束")
    page.get_by_role("button", name="儲存草稿", exact=True).click()
    expect(page.get_by_role("heading", name="請重新登入以儲存內容")).to_be_visible()
    _sign_in_form(page, world)
    page.get_by_role("button", name="登入並儲存").click()
    if not javascript:
        page.get_by_role("button", name="儲存剛才輸入的內容").click()
    expect(page.locator(".flash-ok")).to_contain_text("已儲存草稿")
    expect(page).to_have_url(re.compile(r"/teacher/plan$"))
    expect(page.locator("#f-remarks")).to_have_value("按鈕遇到登入結束")
    assert _stored(live_app, TeacherPlan)["remarks"] == "按鈕遇到登入結束"


# ---- the copy kept in the browser ------------------------------------------------------


def test_the_local_copy_comes_back_after_the_tab_closed_with_the_server_unreachable(
    new_page: Callable[..., Page], world: World, clock, live_app: Flask
) -> None:
    page = new_page()
    _open_teacher_plan(page, world, clock)
    context: BrowserContext = page.context
    context.route("**/autosave", lambda route: route.abort("internetdisconnected"))
    page.locator("#f-remarks").fill("斷線時打的字")
    expect(page.locator(STATUS)).to_contain_text("無法連線到伺服器")
    page.wait_for_function("() => Object.keys(localStorage).some(k => k.startsWith('plan-draft:'))")
    page.close()
    context.unroute("**/autosave")
    assert "remarks" not in _stored(live_app, TeacherPlan)

    page = context.new_page()
    page.goto("/teacher/plan")
    offer = page.get_by_role("region", name="尚未儲存的內容")
    expect(offer).to_contain_text("這台電腦保留了一份尚未儲存到伺服器的內容")
    expect(page.locator("#f-remarks")).to_have_value("")
    offer.get_by_role("button", name="還原這份內容").click()
    expect(page.locator("#f-remarks")).to_have_value("斷線時打的字")
    _autosaved(page)
    assert _stored(live_app, TeacherPlan)["remarks"] == "斷線時打的字"
    page.wait_for_function("() => !Object.keys(localStorage).length")
    page.reload()
    expect(page.get_by_role("region", name="尚未儲存的內容")).to_have_count(0)


def test_leaving_with_unsaved_changes_asks_first(page: Page, world: World, clock) -> None:
    _open_teacher_plan(page, world, clock)
    page.route("**/autosave", lambda route: route.abort())
    page.locator("#f-remarks").fill("還沒存")
    expect(page.locator(STATUS)).to_contain_text("無法連線到伺服器")
    with page.expect_event("dialog") as asked:
        page.close(run_before_unload=True)
    assert asked.value.type == "beforeunload"
    asked.value.dismiss()
    expect(page.locator("#f-remarks")).to_have_value("還沒存")


# ---- 4. conflicts merge field by field ----------------------------------------------------


def _second_planner(live_app: Flask) -> str:
    with live_app.test_request_context():
        school = db.session.scalar(select(School))
        account = Factory().account(school, AccountType.CHIEF)
        username = account.username
        db.session.commit()
        db.session.remove()
    return username


def _sign_in_as(page: Page, username: str) -> None:
    page.goto("/school/login")
    page.get_by_label("帳號", exact=True).fill(username)
    page.get_by_label("密碼", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="登入").click()
    expect(page.get_by_role("button", name="登出")).to_be_visible()


def _two_editors(new_page, world: World, clock, live_app: Flask) -> tuple[Page, Page]:
    clock.set(SCHOOL_PLAN_OPEN)
    alice, bob = new_page(), new_page()
    sign_in_planner(alice, world)
    _sign_in_as(bob, _second_planner(live_app))
    for page in (alice, bob):
        page.goto("/school/plan")
    return alice, bob


def test_two_editors_changing_different_fields_both_keep_their_changes(
    new_page: Callable[..., Page], world: World, clock, live_app: Flask
) -> None:
    alice, bob = _two_editors(new_page, world, clock, live_app)
    alice.locator("#f-contact_name").fill("甲填的承辦人")
    _autosaved(alice)
    bob.locator("#f-remarks").fill("乙填的備註")
    _autosaved(bob)
    expect(bob.locator(STATUS)).to_contain_text("已併入他人修改的 1 個欄位")
    with alice.expect_response(lambda r: r.url.endswith("/autosave")) as answer:
        alice.locator("#f-contact_title").fill("教務主任")
    assert answer.value.ok
    _autosaved(alice)
    stored = _stored(live_app, SchoolPlan)
    assert stored["contact_name"] == "甲填的承辦人"
    assert stored["remarks"] == "乙填的備註"
    assert stored["contact_title"] == "教務主任"
    for page in (alice, bob):
        page.reload()
        expect(page.locator("#f-contact_name")).to_have_value("甲填的承辦人")
        expect(page.locator("#f-remarks")).to_have_value("乙填的備註")
        expect(page.locator("#f-contact_title")).to_have_value("教務主任")


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_two_editors_changing_one_field_are_asked_to_choose(
    new_page: Callable[..., Page], world: World, clock, live_app: Flask, javascript: bool
) -> None:
    clock.set(SCHOOL_PLAN_OPEN)
    alice = new_page()
    sign_in_planner(alice, world)
    bob = new_page(java_script_enabled=javascript)
    _sign_in_as(bob, _second_planner(live_app))
    alice.goto("/school/plan")
    bob.goto("/school/plan")
    alice.locator("#f-contact_name").fill("甲填的承辦人")
    _autosaved(alice)
    bob.locator("#f-contact_name").fill("乙填的承辦人")
    bob.locator("#f-remarks").fill("乙的備註")
    if javascript:
        expect(bob.locator(STATUS)).to_contain_text("1 個欄位與他人")
    bob.get_by_role("button", name="儲存草稿", exact=True).click()

    choice = bob.locator("#conflict-contact_name")
    expect(choice).to_contain_text("甲填的承辦人")
    expect(choice).to_contain_text("乙填的承辦人")
    expect(bob.locator("#plan-problem")).to_contain_text("逐欄選擇")
    expect(bob.locator("#f-contact_name")).to_have_value("乙填的承辦人")
    stored = _stored(live_app, SchoolPlan)
    assert stored["contact_name"] == "甲填的承辦人"  # nothing overwritten without a choice
    assert stored["remarks"] == "乙的備註"  # the field only Bob changed is kept

    # Saving again without a choice still asks; choosing one side settles it.
    bob.get_by_role("button", name="儲存草稿", exact=True).click()
    expect(bob.locator("#conflict-contact_name")).to_be_visible()
    bob.get_by_label("保留我的").check()
    bob.get_by_role("button", name="儲存草稿", exact=True).click()
    expect(bob.locator(".flash-ok")).to_contain_text("已儲存草稿")
    assert _stored(live_app, SchoolPlan)["contact_name"] == "乙填的承辦人"


# ---- always in view, counters, rows -----------------------------------------------------


def test_the_status_and_last_saved_time_stay_in_view(page: Page, world: World, clock) -> None:
    _open_teacher_plan(page, world, clock)
    page.locator("#f-remarks").fill("捲到最下面")
    _autosaved(page)
    page.get_by_role("button", name="送出規劃", exact=True).scroll_into_view_if_needed()
    expect(page.locator(STATUS)).to_be_in_viewport()
    expect(page.locator("#autosave-status .last-saved")).to_be_in_viewport()
    expect(page.locator("#autosave-status .last-saved")).to_contain_text("10:00")


def test_long_text_has_a_live_counter(page: Page, world: World, clock) -> None:
    _open_teacher_plan(page, world, clock)
    remarks = page.locator("#f-remarks")
    counter = page.locator("#cc-f-remarks")
    expect(counter).to_have_text("0／2000 字")
    expect(remarks).to_have_attribute("aria-describedby", re.compile(r"\bcc-f-remarks\b"))
    remarks.fill("一二三")
    expect(counter).to_have_text("3／2000 字")
    spoken = page.locator("#cc-f-remarks + [aria-live=polite]")
    expect(spoken).to_have_text("")  # not chatty: nothing said while far from the limit
    remarks.fill("字" * 1850)
    expect(spoken).to_have_text("剩 150 字")
    remarks.fill("字" * 2001)
    expect(counter).to_have_class(re.compile(r"\bchar-count-over\b"))
    expect(spoken).to_have_text("已超過上限 2000 字，多了 1 字")


@pytest.mark.parametrize(
    ("button", "fragment"),
    [
        ("新增一列", "#f-activities-1-topic_category"),
        ('button[value="remove_row:activities:1"]', "#f-activities-0-topic_category"),
    ],
)
def test_row_buttons_return_to_the_row_without_javascript(
    new_page: Callable[..., Page], world: World, clock, button: str, fragment: str
) -> None:
    page = new_page(java_script_enabled=False)
    _open_teacher_plan(page, world, clock)
    if button.startswith("button["):
        page.get_by_role("button", name="新增一列", exact=True).click()
        page.locator(button).click()
    else:
        page.get_by_role("button", name=button, exact=True).click()
    expect(page).to_have_url(re.compile(re.escape(fragment) + "$"))
    page.wait_for_load_state("load")  # the browser scrolls to the fragment as the page loads
    # Not the top of the page: the row (waits for the scroll, fails if it never comes).
    page.wait_for_function("() => window.scrollY > 0")
    assert page.evaluate("() => window.scrollY") > 0


# ---- accessibility of what issue 8 adds -------------------------------------------------


def test_conflicts_notices_and_the_kept_copy_pass_axe(
    new_page: Callable[..., Page], world: World, clock, live_app: Flask
) -> None:
    from tests.browser.test_accessibility import Audit

    audit = Audit()
    clock.set(SCHOOL_PLAN_OPEN)
    alice = new_page()
    sign_in_planner(alice, world)
    bob = new_page(bypass_csp=True)
    _sign_in_as(bob, _second_planner(live_app))
    alice.goto("/school/plan")
    bob.goto("/school/plan")
    alice.locator("#f-contact_name").fill("甲")
    _autosaved(alice)
    bob.locator("#f-contact_name").fill("乙")
    bob.locator("#f-remarks").fill("一二三")
    expect(bob.locator("#cc-f-remarks")).to_have_text("3／2000 字")
    bob.get_by_role("button", name="儲存草稿", exact=True).click()
    expect(bob.locator("#conflict-contact_name")).to_be_visible()
    audit.check(bob, "school plan with a conflict to choose")

    clock.set(TEACHER_PLAN_OPEN)
    page = new_page(bypass_csp=True)
    _open_teacher_plan(page, world, clock)
    page.route("**/autosave", lambda route: route.abort())
    page.locator("#f-remarks").fill("斷線")
    expect(page.locator(STATUS)).to_contain_text("無法連線到伺服器")
    page.wait_for_function("() => Object.keys(localStorage).some(k => k.startsWith('plan-draft:'))")
    page.unroute("**/autosave")
    page.reload()
    expect(page.get_by_role("region", name="尚未儲存的內容")).to_be_visible()
    audit.check(page, "teacher plan offering the kept copy")
    _sign_out_everywhere(new_page(), world)
    page.locator("#f-needs_description").fill("登入已結束")
    expect(page.locator("#session-notice")).to_be_visible()
    audit.check(page, "teacher plan after the session ended")
    audit.assert_clean()
