"""Both plans filled in Debian's Chromium at 1024×768: with htmx autosave, and again by
plain POST with JavaScript off, each submitted through its review page (確認送出); a
refused submit shows each error beside its field."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from urllib.parse import parse_qs

import pytest
from playwright.sync_api import Page, Response, expect

from app.timeutil import taipei
from tests.browser.conftest import AutosaveGate, World, sign_in_planner, sign_in_teacher

pytestmark = pytest.mark.browser

SCHOOL_PLAN_OPEN = taipei(2024, 8, 20, 10, 0)  # 國小 school plan: 08-14 – 08-23 17:00
TEACHER_PLAN_OPEN = taipei(2024, 9, 20, 10, 0)  # 國小 teacher plan: 09-16 – 09-27 17:00
AUTOSAVED = "已自動儲存 10:00"  # the status line, in Taipei time, at both instants above

# What a person types, by field id (f-<name with dots as dashes>).
SCHOOL_TEXT = {
    "f-contact_name": "黃承辦",
    "f-contact_title": "教務主任",
    "f-contact_phone": "07-7258600 分機 123",
    "f-contact_email": "office@school.edu.tw",
    "f-priority_description": "以素養導向教學精進全校教師專業。",
    "f-remarks": "第二列活動與鄰近學校合辦。",
}
SCHOOL_CHECKED = [
    "f-priority_issues-gender_equality",
    "f-priority_issues-reading",
    "f-priority_areas-mathematics",
    "f-needs_support-no",
]
SCHOOL_ROWS = [
    {
        "topic_category": "std03",
        "topic": "素養導向課程設計工作坊",
        "mode": "lecture_workshop",
        "hours": "6",
        "term": "first",
        "audience": "all_teachers",
        "expected_participants": "40",
    },
    {
        "topic_category": "std05",
        "topic": "多元評量社群",
        "mode": "plc",
        "hours": "18",
        "term": "second",
        "audience": "area_teachers",
        "expected_participants": "12",
    },
]
TEACHER_RANKS = {"f-needs-1": "std04", "f-needs-2": "std06", "f-needs-3": "std09"}
TEACHER_TEXT = {
    "f-needs_description": "班上學生程度差異大，想學差異化教學。",
    "f-remarks": "週三下午較方便。",
}
TEACHER_CHECKED = [
    "f-interest_areas-mathematics",
    "f-interest_areas-natural_sciences",
    "f-preferred_times-weekday_day",
    "f-preferred_times-vacation",
]
TEACHER_ROWS = [
    {
        "topic_category": "std04",
        "topic": "差異化教學策略",
        "mode": "plc",
        "hours": "12",
        "term": "second",
    },
    {
        "topic_category": "std07",
        "topic": "學生輔導知能研習",
        "mode": "online",
        "hours": "3",
        "term": "winter",
    },
]
# Adopting row 1 of the school plan appends it as the teacher's third row.
ADOPTED_ROW = {key: SCHOOL_ROWS[0][key] for key in TEACHER_ROWS[0]}


# ---- what a person does ------------------------------------------------------------------


def fill_row(page: Page, index: int, row: dict[str, str]) -> None:
    for field, value in row.items():
        control = page.locator(f"#f-activities-{index}-{field}")
        if control.evaluate("el => el.tagName") == "SELECT":
            control.select_option(value)
        else:
            control.fill(value)


def fill(page: Page, text: dict[str, str], checked: list[str], selects: dict[str, str]) -> None:
    for field_id, value in text.items():
        page.locator(f"#{field_id}").fill(value)
    for field_id in checked:
        page.locator(f"#{field_id}").check()
    for field_id, value in selects.items():
        page.locator(f"#{field_id}").select_option(value)


def expect_values(
    page: Page,
    text: dict[str, str],
    checked: list[str],
    selects: dict[str, str],
    rows: list[dict[str, str]],
) -> None:
    for field_id, value in {**text, **selects}.items():
        expect(page.locator(f"#{field_id}")).to_have_value(value)
    for field_id in checked:
        expect(page.locator(f"#{field_id}")).to_be_checked()
    for index, row in enumerate(rows):
        for field, value in row.items():
            expect(page.locator(f"#f-activities-{index}-{field}")).to_have_value(value)
    expect(page.locator(f"#f-activities-{len(rows)}-topic")).to_have_count(0)


@contextmanager
def autosaved(page: Page, name: str, value: str) -> Iterator[None]:
    """Wait for the autosave that carries `name`=`value`, its new version, its status line."""

    def carries(response: Response) -> bool:
        request = response.request
        sent = parse_qs(request.post_data or "")
        return request.url.endswith("/autosave") and sent.get(name) == [value]

    with page.expect_response(carries) as answer:
        yield
    assert answer.value.ok
    saved = re.search(r'name="version" value="(\d+)"', answer.value.text())
    assert saved, answer.value.text()
    page.wait_for_function(
        "v => +document.querySelector('#plan-form input[name=version]').value >= v",
        arg=int(saved.group(1)),
    )
    expect(page.locator("#autosave-status [role=status]")).to_have_text(AUTOSAVED)


def click(page: Page, name: str) -> None:
    page.get_by_role("button", name=name, exact=True).click()


def expect_submitted(page: Page, shown: list[str]) -> None:
    """送出規劃 was pressed: check the answers on the review page, 確認送出, submitted."""
    expect(page).to_have_url(re.compile(r"/plan/review$"))
    expect(page.locator("#review-area")).to_contain_text(shown[0])
    click(page, "確認送出")
    expect(page.locator(".flash-ok")).to_contain_text("已送出規劃")
    expect(page.locator("#plan-form")).to_have_count(0)
    expect(page.get_by_role("button", name="重新開啟修改")).to_be_visible()
    expect(page.locator(".plan-state")).to_contain_text("已送出")
    for text in shown:
        expect(page.locator(".questionnaire-readonly")).to_contain_text(text)


# ---- with JavaScript: autosave ---------------------------------------------------------


def test_both_plans_with_autosave(new_page: Callable[..., Page], world: World, clock) -> None:
    clock.set(SCHOOL_PLAN_OPEN)
    page = new_page()
    sign_in_planner(page, world)
    page.goto("/school/plan")
    status = page.locator("#autosave-status [role=status]")
    expect(status).to_have_text("內容會自動儲存為草稿。")
    live_region = status.element_handle()
    # Conditional questions follow their condition (questionnaire.js).
    page.locator("#f-needs_support-yes").check()
    expect(page.locator("#q-support_types")).to_be_visible()
    fill(page, SCHOOL_TEXT, SCHOOL_CHECKED, {})
    expect(page.locator("#q-support_types")).to_be_hidden()
    with autosaved(page, "q.activities.0.expected_participants", "40"):
        fill_row(page, 0, SCHOOL_ROWS[0])
    # The same live region changed its text, so a screen reader announces it (WCAG 4.1.3).
    assert live_region.evaluate("el => el.isConnected && el.textContent.startsWith('已自動儲存')")

    click(page, "新增一列")
    # The keyboard is on the new row, not back at the top of the page.
    expect(page.locator("#f-activities-1-topic_category")).to_be_focused()
    with autosaved(page, "q.activities.1.expected_participants", "12"):
        fill_row(page, 1, SCHOOL_ROWS[1])

    page.goto("/school/plan")
    expect_values(page, SCHOOL_TEXT, SCHOOL_CHECKED, {}, SCHOOL_ROWS)
    click(page, "送出規劃")
    expect_submitted(page, ["黃承辦", "素養導向課程設計工作坊", "多元評量社群", "閱讀素養教育"])

    clock.set(TEACHER_PLAN_OPEN)
    page = new_page()
    sign_in_teacher(page, world)
    page.goto("/teacher/plan")
    with autosaved(page, "q.activities.0.term", "second"):
        fill(page, TEACHER_TEXT, TEACHER_CHECKED, TEACHER_RANKS)
        fill_row(page, 0, TEACHER_ROWS[0])
    click(page, "新增一列")
    with autosaved(page, "q.activities.1.term", "winter"):
        fill_row(page, 1, TEACHER_ROWS[1])

    school_rows = page.locator("section.adopt tbody tr")
    expect(school_rows).to_have_count(2)
    expect(school_rows.first).to_contain_text("素養導向課程設計工作坊")
    school_rows.first.get_by_role("button", name=re.compile("^加入我的規劃")).click()
    expect(page.locator("#f-activities-2-topic")).to_have_value(ADOPTED_ROW["topic"])
    expect(page.locator("#f-activities-2-topic_category")).to_be_focused()
    expect(page.locator("#q-activities .q-adopted")).to_have_text("取自學校計畫")
    with autosaved(page, "q.activities.2.hours", "8"):
        page.locator("#f-activities-2-hours").fill("8")

    page.goto("/teacher/plan")
    rows = [*TEACHER_ROWS, {**ADOPTED_ROW, "hours": "8"}]
    expect_values(page, TEACHER_TEXT, TEACHER_CHECKED, TEACHER_RANKS, rows)
    expect(page.locator("#q-activities .q-adopted")).to_have_count(1)
    click(page, "送出規劃")
    expect_submitted(
        page,
        [
            "差異化教學策略",
            "學生輔導知能研習",
            "素養導向課程設計工作坊",
            "取自學校計畫",
            "週間白天",
        ],
    )


# ---- autosave and explicit buttons share one version -----------------------------------


def _open_teacher_plan(page: Page, world: World, clock) -> None:
    clock.set(TEACHER_PLAN_OPEN)
    sign_in_teacher(page, world)
    page.goto("/teacher/plan")
    # Count the autosaves htmx has built (queued ones included).
    page.evaluate("""() => { window.autosavesBuilt = 0;
        document.addEventListener('htmx:config:request', () => { window.autosavesBuilt += 1; });
    }""")


def test_submit_clicked_during_an_autosave_is_not_a_conflict(
    page: Page, world: World, clock, autosave_gate: AutosaveGate
) -> None:
    _open_teacher_plan(page, world, clock)
    with autosaved(page, "q.activities.0.term", "second"):
        fill(page, {}, TEACHER_CHECKED, TEACHER_RANKS)
        fill_row(page, 0, TEACHER_ROWS[0])

    autosave_gate.arm()
    page.locator("#f-remarks").fill("送出前最後補充。")
    assert autosave_gate.saved.wait(timeout=10)  # saved on the server, answer still on its way
    click(page, "送出規劃")
    autosave_gate.release()
    expect_submitted(page, ["送出前最後補充。", "差異化教學策略"])


def test_an_autosave_queued_behind_another_carries_the_new_version(
    page: Page, world: World, clock, autosave_gate: AutosaveGate
) -> None:
    _open_teacher_plan(page, world, clock)
    autosave_gate.arm()
    page.locator("#f-needs-1").select_option("std04")
    assert autosave_gate.saved.wait(timeout=10)
    page.locator("#f-remarks").fill("第二次自動儲存的內容")
    page.wait_for_function("() => window.autosavesBuilt >= 2")  # the second waits in the queue
    autosave_gate.release()
    expect(page.locator("#plan-form input[name=version]")).to_have_value("2")
    expect(page.locator("#autosave-status [role=status]")).to_have_text(AUTOSAVED)

    page.goto("/teacher/plan")
    expect(page.locator("#f-needs-1")).to_have_value("std04")
    expect(page.locator("#f-remarks")).to_have_value("第二次自動儲存的內容")


# ---- without JavaScript: plain POST ----------------------------------------------------


def test_both_plans_without_javascript(new_page: Callable[..., Page], world: World, clock) -> None:
    clock.set(SCHOOL_PLAN_OPEN)
    page = new_page(java_script_enabled=False)
    sign_in_planner(page, world)
    page.goto("/school/plan")
    fill(page, SCHOOL_TEXT, SCHOOL_CHECKED, {})
    fill_row(page, 0, SCHOOL_ROWS[0])
    click(page, "新增一列")
    fill_row(page, 1, SCHOOL_ROWS[1])
    click(page, "儲存草稿")
    expect(page.locator(".flash-ok")).to_contain_text("已儲存草稿")
    page.goto("/school/plan")
    expect_values(page, SCHOOL_TEXT, SCHOOL_CHECKED, {}, SCHOOL_ROWS)
    # Issue 8: without JavaScript nothing is autosaved, and the page does not claim it.
    expect(page.locator("#autosave-status [role=status]")).to_have_text(
        "請記得按「儲存草稿」保存您的內容。"
    )
    expect(page.locator("#plan-form")).not_to_contain_text("自動儲存")
    click(page, "送出規劃")
    expect_submitted(page, ["黃承辦", "素養導向課程設計工作坊", "多元評量社群"])

    clock.set(TEACHER_PLAN_OPEN)
    page = new_page(java_script_enabled=False)
    sign_in_teacher(page, world)
    page.goto("/teacher/plan")
    fill(page, TEACHER_TEXT, TEACHER_CHECKED, TEACHER_RANKS)
    fill_row(page, 0, TEACHER_ROWS[0])
    click(page, "新增一列")
    fill_row(page, 1, TEACHER_ROWS[1])
    page.locator("section.adopt tbody tr").first.get_by_role(
        "button", name=re.compile("^加入我的規劃")
    ).click()
    expect(page.locator("#f-activities-2-topic")).to_have_value(ADOPTED_ROW["topic"])
    click(page, "儲存草稿")
    expect(page.locator(".flash-ok")).to_contain_text("已儲存草稿")
    page.goto("/teacher/plan")
    expect_values(page, TEACHER_TEXT, TEACHER_CHECKED, TEACHER_RANKS, [*TEACHER_ROWS, ADOPTED_ROW])
    click(page, "送出規劃")
    expect_submitted(page, ["差異化教學策略", "學生輔導知能研習", "取自學校計畫"])


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_enter_in_a_field_saves_the_draft_and_keeps_every_row(
    new_page: Callable[..., Page], world: World, clock, javascript: bool
) -> None:
    clock.set(TEACHER_PLAN_OPEN)
    page = new_page(java_script_enabled=javascript)
    sign_in_teacher(page, world)
    page.goto("/teacher/plan")
    fill_row(page, 0, TEACHER_ROWS[0])
    click(page, "新增一列")
    fill_row(page, 1, TEACHER_ROWS[1])
    page.locator("#f-activities-0-topic").press("Enter")
    expect(page.locator(".flash-ok")).to_contain_text("已儲存草稿")
    expect(page.locator("#f-activities-0-topic")).to_have_value(TEACHER_ROWS[0]["topic"])
    expect(page.locator("#f-activities-1-topic")).to_have_value(TEACHER_ROWS[1]["topic"])


# ---- a refused submit: each error beside its field ---------------------------------------


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_submit_errors_are_beside_their_fields_and_reachable_by_keyboard(
    new_page: Callable[..., Page], world: World, clock, javascript: bool
) -> None:
    clock.set(SCHOOL_PLAN_OPEN)
    page = new_page(java_script_enabled=javascript)
    sign_in_planner(page, world)
    page.goto("/school/plan")
    text = {**SCHOOL_TEXT, "f-contact_email": "office-at-school"}
    checked = [c for c in SCHOOL_CHECKED if not c.startswith("f-priority_issues")]
    fill(page, text, checked, {})
    fill_row(page, 0, {**SCHOOL_ROWS[0], "hours": "999"})
    click(page, "送出規劃")

    summary = page.locator("#plan-problem")
    expect(summary).to_have_attribute("role", "alert")
    if javascript:
        expect(summary).to_be_focused()
    for field_id, error_id, message in [
        ("f-activities-0-hours", "e-activities-0-hours", "請輸入 1 到 200 之間的整數"),
        ("f-contact_email", "e-contact_email", "電子郵件"),
    ]:
        control = page.locator(f"#{field_id}")
        expect(page.locator(f"#{error_id}")).to_contain_text(message)
        expect(control).to_have_attribute("aria-invalid", "true")
        expect(control).to_have_attribute("aria-describedby", re.compile(rf"\b{error_id}\b"))
        expect(summary.locator(f"a[href='#{field_id}']")).to_have_count(1)
    expect(page.locator("#q-priority_issues")).to_have_attribute(
        "aria-describedby", re.compile(r"\be-priority_issues\b")
    )
    expect(page.locator("#e-priority_issues")).to_be_visible()
    # What was typed is kept.
    expect(page.locator("#f-activities-0-hours")).to_have_value("999")
    expect(page.locator("#f-contact_email")).to_have_value("office-at-school")
    expect(page.locator("#f-contact_name")).to_have_value(SCHOOL_TEXT["f-contact_name"])

    # Keyboard only: from the summary's link to the field, correct it, submit.
    link = summary.locator("a[href='#f-activities-0-hours']")
    link.focus()
    page.keyboard.press("Enter")
    expect(page.locator("#f-activities-0-hours")).to_be_focused()
    page.keyboard.press("ControlOrMeta+a")
    page.keyboard.type("6")
    page.locator("#f-contact_email").fill("office@school.edu.tw")
    page.locator("#f-priority_issues-ocean").check()
    click(page, "送出規劃")
    expect_submitted(page, ["海洋教育", "office@school.edu.tw"])


def test_removing_a_row_asks_first(new_page: Callable[..., Page], world: World, clock) -> None:
    clock.set(SCHOOL_PLAN_OPEN)
    page = new_page()
    sign_in_planner(page, world)
    page.goto("/school/plan")
    click(page, "新增一列")
    expect(page.locator(".q-row")).to_have_count(2)
    questions = []

    def answer(dialog, accept):
        questions.append(dialog.message)
        dialog.accept() if accept else dialog.dismiss()

    page.once("dialog", lambda dialog: answer(dialog, False))
    page.locator('button[value="remove_row:activities:1"]').click()
    expect(page.locator(".q-row")).to_have_count(2)  # kept: the person said no
    page.once("dialog", lambda dialog: answer(dialog, True))
    page.locator('button[value="remove_row:activities:1"]').click()
    expect(page.locator(".q-row")).to_have_count(1)
    assert questions == ["確定要刪除第 2 列嗎？這一列填寫的內容會一併刪除。"] * 2
