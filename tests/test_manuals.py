"""The two manuals: public PDFs written for this product, schedule from the cycle itself."""

from __future__ import annotations

import pytest

from app.cycles.services import import_cycle
from app.extensions import db
from app.models import STAGE_ORDER, PlanKind, Stage
from app.questionnaires.cyclefile import load_cycle_file
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
