"""The two manuals: public PDFs written for this product, schedule from the cycle itself."""

from __future__ import annotations

import hashlib
import io
import re

import pytest
from pypdf import PdfReader

from app.cycles.services import import_cycle
from app.extensions import db
from app.models import STAGE_ORDER, PlanKind, Stage
from app.policy import POLICY, Role
from app.questionnaires.cyclefile import load_cycle_file
from app.reports.screenshots import (
    FOLDER,
    TEMPLATES,
    load_manifest,
    stale_screenshots,
    template_hash,
)
from app.timeutil import roc_datetime, taipei
from tests.test_reports_support import (  # noqa: F401 - fixtures
    CYCLE_FILE,
    assert_fonts_embedded_subsets,
    assert_pages_numbered,
    assert_pdf_download,
    download,
    layout_lines,
    pdf_text,
    renders_fixture,
    reports_fixture,
    squash,
)

AUDIENCES = ["school", "teacher"]
# Which schedule tables each manual prints: the school manual shows both for reference.
TABLES = {"school": ["school", "teacher"], "teacher": ["teacher"]}


@pytest.fixture
def cycle(reports, clock):
    clock.set(taipei(2024, 7, 15, 9, 0))
    cycle, _ = import_cycle(load_cycle_file(CYCLE_FILE), "113.yaml")
    db.session.commit()
    return cycle


@pytest.mark.parametrize("audience", AUDIENCES)
def test_manual_is_a_public_pdf_about_this_product(cycle, client, audience):
    response, data = download(client, f"/manuals/{audience}.pdf")

    assert_pdf_download(response, f"manual-{audience}-113.pdf")
    flat = squash(pdf_text(data))
    name = "學校本位進修規劃" if audience == "school" else "教師自我專業進修規劃"
    assert f"113學年度{name}說明手冊" in flat
    login = "學校業務帳號登入" if audience == "school" else "教師登入"
    for words in (login, "自動儲存", "儲存草稿", "送出規劃", "重新開啟修改", "下載", "PDF"):
        assert words in flat, words
    # The questionnaire walkthrough comes from the cycle's own questionnaire.
    question = "聯絡人姓名（必填）" if audience == "school" else "最需要精進的教師專業標準（必填）"
    assert question in flat
    assert "名單基準日113年8月2日17:00" in flat
    # Contact data of the cycle file.
    for value in ("國立高雄師範大學", "07-7258600", "inservice@mail.nknu.edu.tw"):
        assert value in flat
    assert "列印日期：113年7月15日" in flat
    assert_pages_numbered(data)
    assert_fonts_embedded_subsets(data)


@pytest.mark.parametrize("audience", AUDIENCES)
def test_schedule_table_matches_the_cycle_file(cycle, client, audience):
    spec = load_cycle_file(CYCLE_FILE)
    _, data = download(client, f"/manuals/{audience}.pdf")
    lines = layout_lines(data)

    for kind in TABLES[audience]:
        plan = spec.plans[kind]
        expected = [
            squash(f"{stage.label}{roc_datetime(window.opens_at)}{roc_datetime(window.closes_at)}")
            for stage in STAGE_ORDER
            if (window := plan.windows.get(stage.value)) is not None
        ]
        assert len(expected) == len(plan.windows) == 5
        found = [lines.index(row) for row in expected]  # every row, one line each
        assert found == sorted(found)  # in the letter's stage order
        overall = f"{roc_datetime(plan.overall_opens_at)}–{roc_datetime(plan.overall_closes_at)}"
        assert squash(overall) in squash(pdf_text(data))
    if audience == "teacher":  # the teacher manual leaves out the school windows
        assert "高中113年8月5日00:00113年8月14日17:00" not in lines


def test_contact_falls_back_to_the_app_settings(cycle, client, reports, monkeypatch):
    cycle.contact = {}
    db.session.commit()
    monkeypatch.setitem(reports.config, "CONTACT_PHONE", "02-7736-6666")
    monkeypatch.setitem(reports.config, "CONTACT_EMAIL", "help@example.edu.tw")

    _, data = download(client, "/manuals/teacher.pdf")

    flat = squash(pdf_text(data))
    assert "02-7736-6666" in flat
    assert "help@example.edu.tw" in flat


def test_manual_is_rendered_once_until_the_schedule_changes(cycle, client, renders):
    download(client, "/manuals/teacher.pdf")
    download(client, "/manuals/teacher.pdf")
    assert renders == ["manual:teacher:113"]

    window = next(
        w for w in cycle.windows if w.plan_kind == PlanKind.TEACHER and w.stage == Stage.ELEMENTARY
    )
    window.closes_at = taipei(2024, 9, 30, 17, 0)
    db.session.commit()
    _, data = download(client, "/manuals/teacher.pdf")

    assert renders == ["manual:teacher:113", "manual:teacher:113"]
    assert "國小113年9月16日00:00113年9月30日17:00" in layout_lines(data)


def test_manuals_need_a_cycle(reports, client):
    response = client.get("/manuals/school.pdf")
    assert response.status_code == 404


def test_home_page_links_to_both_manuals_of_its_cycle(cycle, client):
    html = client.get("/").get_data(as_text=True)
    year = cycle.academic_year
    assert f'href="/manuals/school.pdf?year={year}"' in html
    assert f'href="/manuals/teacher.pdf?year={year}"' in html


# ---- The manuals tell the truth: every feature they name is a route the policy grants ----

# (words in the manual, the endpoint that does it). A manual that says the words must be
# about a route that exists and that its reader's role may use (sign-in pages: anyone).
CLAIMS = {
    "teacher": [
        ("教師登入", "auth.teacher_login"),
        ("忘記密碼", "profile.forgot"),
        ("寄送重設密碼連結", "profile.forgot"),
        ("變更密碼", "profile.password"),
        ("聯絡資料", "profile.contact"),
        ("填寫我的進修規劃", "teacher.plan"),
        ("歷年教師自我專業進修規劃", "history.teacher_plans"),
        ("帶入去年資料", "history.teacher_prefill"),
        ("重新開啟修改", "teacher.reopen_plan"),
        ("下載我的規劃", "teacher.plan_pdf"),
    ],
    "school": [
        ("學校業務帳號登入", "auth.school_login"),
        ("申請業務帳號", "accounts.apply"),
        ("填寫學校本位進修規劃", "school.plan"),
        ("帶入去年資料", "history.school_prefill"),
        ("歷年學校本位進修規劃", "history.school_plans"),
        ("本校填報進度", "oversight.school"),
        ("重新開啟修改", "school.reopen_plan"),
        ("下載學校規劃報表", "school.plan_pdf"),
        ("匯出全校教師規劃", "school.exports_page"),
    ],
}
READER = {"teacher": Role.TEACHER, "school": Role.PLANNING}
# What the manuals said once and the product never did.
UNTRUE = ["請洽學校的業務承辦人協助重設", "單一簽入"]


@pytest.mark.parametrize("audience", AUDIENCES)
def test_manual_names_only_routes_its_reader_may_use(cycle, client, reports, audience):
    _, data = download(client, f"/manuals/{audience}.pdf")
    flat = squash(pdf_text(data))

    for words, endpoint in CLAIMS[audience]:
        assert words in flat, f"the claim list is stale: the manual no longer says {words}"
        view = reports.view_functions[endpoint]
        action = view.__dict__.get("policy_action")
        if action is not None:  # None: a sign-in page, open to anyone
            assert READER[audience] in POLICY[action], (words, endpoint, action)
    for words in UNTRUE:  # single sign-on is not configured here
        assert words not in flat, words


@pytest.mark.parametrize("audience", AUDIENCES)
def test_manual_names_single_sign_on_where_it_is_configured(
    cycle, client, reports, monkeypatch, audience
):
    monkeypatch.setitem(reports.config, "SSO_DISCOVERY_URL", "https://sso.example/.well-known")
    monkeypatch.setitem(reports.config, "SSO_CLIENT_ID", "inservice")

    _, data = download(client, f"/manuals/{audience}.pdf")

    assert "以教育體系單一簽入服務登入" in squash(pdf_text(data))
    assert any(rule.endpoint == "sso.login" for rule in reports.url_map.iter_rules())


# ---- Pictures: screenshots of the real pages, remade when their templates change ----

SHOT_SRC = re.compile(r'shot\("([^"]+\.png)"')


def test_screenshots_are_as_new_as_their_templates():
    stale = stale_screenshots(load_manifest())
    assert not stale, "\n".join(str(s) for s in stale)


def test_screenshot_folder_holds_what_the_manifest_and_the_manuals_name():
    manifest = load_manifest()
    on_disk = {path.name for path in FOLDER.glob("*.png")}
    assert on_disk == set(manifest["shots"])
    used = set()
    for template in (TEMPLATES / "manuals").glob("*.html"):
        used |= set(SHOT_SRC.findall(template.read_text(encoding="utf-8")))
    assert used == on_disk, "photograph only the pages a manual shows, and every one of them"
    for name, entry in manifest["shots"].items():
        png = (FOLDER / name).read_bytes()
        assert png.startswith(b"\x89PNG"), name
        assert hashlib.sha256(png).hexdigest() == entry["sha256"], name
        assert entry["templates"], name  # a page shows at least its own template


def test_a_changed_template_names_the_screenshot_to_remake(tmp_path):
    (tmp_path / "auth").mkdir()
    (tmp_path / "auth" / "login.html").write_text("old", encoding="utf-8")
    (tmp_path / "base.html").write_text("base", encoding="utf-8")
    recorded = {name: template_hash(name, tmp_path) for name in ("auth/login.html", "base.html")}
    manifest = {"shots": {"login.png": {"templates": recorded}, "home.png": {"templates": {}}}}
    assert stale_screenshots(manifest, tmp_path) == []

    (tmp_path / "auth" / "login.html").write_text("new", encoding="utf-8")

    (stale,) = stale_screenshots(manifest, tmp_path)
    assert stale.shot == "login.png"
    assert stale.changed == ("auth/login.html",)
    assert "static/screenshots/login.png" in str(stale)
    assert "make screenshots" in str(stale)


@pytest.mark.parametrize("audience", AUDIENCES)
def test_manual_embeds_its_screenshots(cycle, client, audience):
    _, data = download(client, f"/manuals/{audience}.pdf")

    template = (TEMPLATES / "manuals" / f"{audience}.html").read_text(encoding="utf-8")
    shown = SHOT_SRC.findall(template)
    # pypdf lists an image on every page that shares the resources holding it: one per digest
    images = {
        hashlib.sha256(image.data).hexdigest(): image
        for page in PdfReader(io.BytesIO(data)).pages
        for image in page.images
    }
    assert len(images) == len(set(shown))
    assert all(image.image.size == (1024, 768) for image in images.values())
    assert "圖1" in squash(pdf_text(data))
