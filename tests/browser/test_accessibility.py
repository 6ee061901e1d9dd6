"""WCAG 2.1 AA in Chromium at 1024×768: axe-core on every page a school or a teacher
meets, no horizontal scrolling, the skip link first, focus always visible."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from flask import Flask
from playwright.sync_api import Page, expect

from app.timeutil import taipei
from tests.browser.conftest import AXE, World, sign_in_planner, sign_in_teacher
from tests.conftest import PASSWORD
from tests.plan_helpers import school_form, teacher_form


@pytest.fixture
def page(new_page: Callable[..., Page]) -> Page:
    """Pages for the audit: axe-core is injected as an inline script, which the app's
    Content-Security-Policy rightly refuses, so these contexts bypass it."""
    return new_page(bypass_csp=True)


pytestmark = pytest.mark.browser

SCHOOL_PLAN_OPEN = taipei(2024, 8, 20, 10, 0)
TEACHER_PLAN_OPEN = taipei(2024, 9, 20, 10, 0)
WCAG_21_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
RUN_AXE = """async (tags) => {
  const result = await axe.run(document, {runOnly: {type: "tag", values: tags}});
  if (!result.passes.length) throw new Error("axe checked nothing");
  return result.violations.map(v => ({
    id: v.id, impact: v.impact, help: v.help, url: v.helpUrl,
    nodes: v.nodes.map(n => ({target: n.target.join(" "), html: n.html.slice(0, 200),
                              why: n.failureSummary}))}));
}"""


class Audit:
    """Collects each page's problems, so one run reports every page at once."""

    def __init__(self) -> None:
        self.problems: dict[str, list[str]] = {}

    def check(self, page: Page, name: str) -> None:
        page.add_script_tag(path=str(AXE))
        found = [self._describe(v) for v in page.evaluate(RUN_AXE, WCAG_21_AA)]
        width = page.evaluate("document.documentElement.scrollWidth")
        if width > 1024:
            found.append(f"scrolls sideways at 1024×768: scrollWidth {width}")
        if found:
            self.problems[f"{name} ({page.url})"] = found

    @staticmethod
    def _describe(violation: dict) -> str:
        lines = [
            f"[{violation['impact']}] {violation['id']}: {violation['help']}",
            f"    {violation['url']}",
        ]
        for node in violation["nodes"]:
            lines += [f"    at {node['target']}", f"       {node['html']}"]
            lines += [f"       {why}" for why in node["why"].splitlines()]
        return "\n".join(lines)

    def assert_clean(self) -> None:
        if self.problems:
            report = "\n\n".join(
                f"{page}:\n" + "\n".join(f"  - {problem}" for problem in problems)
                for page, problems in self.problems.items()
            )
            pytest.fail(f"accessibility problems:\n\n{report}", pytrace=False)


@pytest.fixture
def audit() -> Audit:
    return Audit()


def _submit_plans(app: Flask, world: World, clock, *, teacher: bool) -> None:
    """Submit the school plan (and the teacher's) through the CSRF-free test client: this is
    set-up; filling the forms in the browser is test_plans_in_browser's job."""
    clock.set(SCHOOL_PLAN_OPEN)
    planner = app.test_client()
    planner.post("/school/login", data={"username": world.planner_username, "password": PASSWORD})
    assert planner.post("/school/plan", data=school_form(0, action="submit")).status_code == 303
    clock.set(TEACHER_PLAN_OPEN)
    if teacher:
        client = app.test_client()
        client.post(
            "/teacher/login", data={"national_id": world.teacher_national_id, "password": PASSWORD}
        )
        assert (
            client.post("/teacher/plan", data=teacher_form(0, action="submit")).status_code == 303
        )


# ---- pages ---------------------------------------------------------------------------------


def test_public_pages(page: Page, world: World, clock, audit: Audit) -> None:
    clock.set(SCHOOL_PLAN_OPEN)
    page.goto("/")
    audit.check(page, "home")
    for path, field in [("/school/login", "帳號"), ("/teacher/login", "身分證字號或居留證號")]:
        page.goto(path)
        audit.check(page, path)
        page.get_by_role("button", name="登入").click()  # nothing typed: errors by the fields
        control = page.get_by_label(field, exact=True)
        expect(control).to_have_attribute("aria-invalid", "true")
        expect(control).to_be_focused()  # the first field in error
        error_id = f"{control.get_attribute('id')}-error"
        expect(control).to_have_attribute("aria-describedby", re.compile(rf"\b{error_id}\b"))
        expect(page.locator(f"#{error_id}")).to_be_visible()
        audit.check(page, f"{path} with field errors")
    page.get_by_label("身分證字號或居留證號", exact=True).fill("A123456789")
    page.get_by_label("密碼", exact=True).fill("wrong-password")
    page.get_by_role("button", name="登入").click()
    expect(page.get_by_role("alert")).to_be_visible()
    audit.check(page, "/teacher/login refused")
    audit.assert_clean()


def test_school_plan_form(page: Page, world: World, clock, audit: Audit) -> None:
    clock.set(SCHOOL_PLAN_OPEN)
    sign_in_planner(page, world)
    audit.check(page, "school dashboard")
    page.goto("/school/plan")
    audit.check(page, "school plan form")
    page.locator("#f-activities-0-hours").fill("999")
    page.locator("#f-contact_email").fill("not-an-email")
    page.get_by_role("button", name="送出規劃", exact=True).click()
    expect(page.locator("#plan-problem")).to_be_focused()
    audit.check(page, "school plan form with errors")
    page.get_by_role("button", name="新增一列", exact=True).click()
    expect(page.locator("#f-activities-1-topic")).to_be_visible()
    audit.check(page, "school plan form with two rows")
    audit.assert_clean()


def test_teacher_plan_form(app: Flask, page: Page, world: World, clock, audit: Audit) -> None:
    _submit_plans(app, world, clock, teacher=False)  # the school's rows to adopt
    sign_in_teacher(page, world)
    audit.check(page, "teacher dashboard")
    page.goto("/teacher/plan")
    expect(page.locator("section.adopt")).to_be_visible()
    audit.check(page, "teacher plan form with the school's rows")
    page.locator("#f-needs-1").select_option("std04")
    page.locator("#f-needs-2").select_option("std04")
    page.get_by_role("button", name="送出規劃", exact=True).click()
    expect(page.locator("#plan-problem")).to_be_focused()
    audit.check(page, "teacher plan form with errors")
    audit.assert_clean()


def test_task_list_and_review_pages(
    app: Flask, new_page: Callable[..., Page], world: World, clock, audit: Audit
) -> None:
    """The task list (some sections done, one needing correction) and the review page."""
    clock.set(SCHOOL_PLAN_OPEN)
    planner = app.test_client()
    planner.post("/school/login", data={"username": world.planner_username, "password": PASSWORD})
    assert planner.post("/school/plan", data=school_form(0, action="review")).status_code == 303
    page = new_page(bypass_csp=True)
    sign_in_planner(page, world)
    page.goto("/school/plan/review")
    expect(page.get_by_role("button", name="確認送出")).to_be_visible()
    audit.check(page, "school plan review")
    page.locator("#review-area a[href$='#f-contact_email']").click()
    expect(page.locator("#f-contact_email")).to_be_focused()
    page.locator("#f-contact_email").fill("not-an-email")
    page.get_by_role("button", name="送出規劃", exact=True).click()
    expect(page.locator("nav.task-list .task-needs_fix")).to_have_count(1)
    audit.check(page, "school plan task list with a section to correct")
    clock.set(TEACHER_PLAN_OPEN)
    teacher = new_page(bypass_csp=True)
    sign_in_teacher(teacher, world)
    teacher.goto("/lang/en")
    teacher.goto("/teacher/plan")
    expect(teacher.locator("nav.task-list")).to_contain_text("Not started")
    audit.check(teacher, "teacher plan task list in English")
    audit.assert_clean()


def test_submitted_plans_read_only(
    app: Flask, new_page: Callable[..., Page], world: World, clock, audit: Audit
) -> None:
    _submit_plans(app, world, clock, teacher=True)
    teacher = new_page(bypass_csp=True)
    sign_in_teacher(teacher, world)
    teacher.goto("/teacher/plan")
    expect(teacher.get_by_role("button", name="重新開啟修改")).to_be_visible()
    audit.check(teacher, "teacher plan submitted")
    clock.set(taipei(2024, 9, 28, 9, 0))
    teacher.goto("/teacher/plan")
    expect(teacher.locator(".badge")).to_have_text("已截止")
    audit.check(teacher, "teacher plan after the window")

    clock.set(SCHOOL_PLAN_OPEN)
    planner = new_page(bypass_csp=True)
    sign_in_planner(planner, world)
    planner.goto("/school/plan")
    expect(planner.get_by_role("button", name="重新開啟修改")).to_be_visible()
    audit.check(planner, "school plan submitted")
    audit.assert_clean()


# ---- keyboard ----------------------------------------------------------------------------


FOCUS_STYLE = """el => { const s = getComputedStyle(el);
  return {outline: s.outlineStyle !== "none" && parseFloat(s.outlineWidth) >= 2,
          shadow: s.boxShadow !== "none"}; }"""


def _expect_visible_focus(page: Page, what: str) -> None:
    focused = page.locator(":focus")
    expect(focused).to_be_in_viewport()
    style = focused.evaluate(FOCUS_STYLE)
    assert style["outline"] or style["shadow"], f"no visible focus on {what}"


def test_skip_link_is_the_first_tab_stop_and_focus_is_visible(
    page: Page, world: World, clock
) -> None:
    clock.set(SCHOOL_PLAN_OPEN)
    for path in ["/", "/school/login"]:
        page.goto(path)
        page.keyboard.press("Tab")
        skip = page.locator(":focus")
        expect(skip).to_have_text("跳到主要內容")
        expect(skip).to_have_attribute("href", "#main")
        _expect_visible_focus(page, f"the skip link of {path}")
        page.keyboard.press("Enter")
        expect(page.locator("#main")).to_be_focused()
        page.keyboard.press("Tab")  # the first control inside main, not the header
        assert page.locator(":focus").evaluate("el => !!el.closest('main')")
        _expect_visible_focus(page, f"the first control in main on {path}")

    # Every stop of the sign-in form shows where the focus is, through to the button.
    page.goto("/teacher/login")
    page.locator("#main").focus()
    for _ in range(3):  # ID, password, 登入
        page.keyboard.press("Tab")
        _expect_visible_focus(page, page.locator(":focus").evaluate("el => el.outerHTML"))
    expect(page.locator(":focus")).to_have_text("登入")
