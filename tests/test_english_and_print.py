"""English pages stay English (cycle names, actors, audit actions, counts, colons) and the
report PDFs are fit to print and sign (page fill, headings, column widths, contact table)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from flask import g, render_template
from flask_babel import force_locale
from sqlalchemy import select

from app import config
from app.extensions import db
from app.i18n import actor_filter, cycle_name
from app.models import PlanKind, PlanVersion, Stage
from app.plans.services import InvalidAnswers
from app.reports import cache, documents, layout
from tests.conftest import login_account, login_teacher
from tests.pdf_checks import assert_fit_to_print, page_layouts
from tests.test_reports_support import (  # noqa: F401 - fixtures
    build_world,
    download,
    layout_lines,
    reports_fixture,
)

# An ASCII letter or digit, then a full-width colon: a Chinese colon after an English label.
LETTER_COLON = re.compile(r"[A-Za-z0-9)]\s*：")


@contextmanager
def _request(app, lang: str = "zh_Hant_TW") -> Iterator[None]:
    """A request in one language (the catalog is kept on g, which the tests' app context
    outlives: start each request without it)."""
    with app.test_request_context("/"), force_locale(lang):
        g.pop("_catalog", None)
        yield


def _text(html: str) -> str:
    return re.sub(r"<[^>]+>", " ", html)


def test_a_cycle_is_named_from_its_year_in_english(app) -> None:
    with _request(app):
        assert cycle_name(113, "113學年度") == "113學年度"
        assert actor_filter("教師 王小明") == "教師 王小明"
    with _request(app, "en"):
        assert cycle_name(113, "113學年度") == "Academic year 2024–2025 (ROC 113)"
        assert actor_filter("教師 王小明") == "Teacher 王小明"
        assert actor_filter("cli") == "Operator command"
        assert actor_filter("黃承辦（chief01）") == "黃承辦（chief01）"


ENTRIES = '{{ ngettext("共 %(num)d 筆", "共 %(num)d 筆", n) }}'
SCHOOLS = '{{ ngettext("共 %(count)d 所學校", "共 %(count)d 所學校", n, count=n) }}'


@pytest.mark.parametrize(
    ("source", "count", "text"),
    [
        (ENTRIES, 1, "1 entry"),
        (ENTRIES, 2, "2 entries"),
        (ENTRIES, 0, "0 entries"),
        (SCHOOLS, 1, "1 school"),
        (SCHOOLS, 3, "3 schools"),
        ('{{ ngettext("%(n)s 題", "%(n)s 題", n, n=n) }}', 1, "1 question"),
    ],
)
def test_counts_take_the_plural_they_need(app, source, count, text) -> None:
    with _request(app):
        assert str(count) in app.jinja_env.from_string(source).render(n=count)
    with _request(app, "en"):
        assert app.jinja_env.from_string(source).render(n=count) == text


def test_english_pages_name_the_cycle_and_actors_in_english(reports, client, factory, clock):
    world = build_world(factory, clock)
    plan = world.plans["submitted"]
    kept = db.session.scalars(
        select(PlanVersion.version).where(
            PlanVersion.plan_kind == PlanKind.TEACHER, PlanVersion.plan_id == plan.id
        )
    ).all()
    number = max(kept, default=1) + 1  # after what a real submit kept
    db.session.add(
        PlanVersion(
            plan_kind=PlanKind.TEACHER,
            plan_id=plan.id,
            version=number,
            answers=plan.answers,
            submitted_at=plan.submitted_at,
            submitted_by="教師 王小明",
        )
    )
    db.session.commit()
    client.get("/lang/en")

    home = client.get("/cycles/113").get_data(as_text=True)
    assert "Academic year 2024–2025 (ROC 113)" in home
    assert "113學年度" not in home
    # The manuals of a cycle are that cycle's.
    assert "/manuals/school.pdf?year=113" in home
    assert "/manuals/teacher.pdf?year=113" in home

    login_teacher(client, world.teachers["submitted"])
    plans = client.get("/teacher/plans").get_data(as_text=True)
    versions = client.get("/teacher/plans/113/versions").get_data(as_text=True)
    version = client.get(f"/teacher/plans/113/versions/{number}").get_data(as_text=True)
    assert "Academic year 2024–2025 (ROC 113)" in plans
    assert "Academic year 2024–2025 (ROC 113)" in versions
    for page in (versions, version):
        assert "Teacher 王小明" in page
        assert "教師 王小明" not in page
    for page in (home, plans, versions, version):
        assert not LETTER_COLON.search(_text(page)), LETTER_COLON.search(_text(page))


def test_english_account_pages_show_english_account_types(reports, client, factory, clock):
    world = build_world(factory, clock)
    client.get("/lang/en")
    login_account(client, world.accounts["chief"])
    page = client.get("/school/").get_data(as_text=True)
    assert "Chief account" in page
    assert "總負責人" not in page


def test_english_oversight_and_audit_pages(reports, client, factory, clock):
    from app import audit

    world = build_world(factory, clock)
    audit.record("cycle.publish", "cycle", 113, actor="cli")
    db.session.commit()
    client.get("/lang/en")
    login_account(client, world.accounts["county"])
    schools = client.get("/oversight/dashboard/schools").get_data(as_text=True)
    assert "Academic year 2024–2025 (ROC 113)" in schools
    assert "2 schools" in schools
    client.get("/logout")
    client.get("/lang/en")
    login_account(client, world.accounts["operator"])
    trail = client.get("/operator/audit").get_data(as_text=True)
    assert "Academic year published" in trail
    assert "Operator command" in trail
    assert re.search(r"\b1 entry\b|\b\d+ entries\b", trail)
    for page in (schools, trail):
        assert not LETTER_COLON.search(_text(page)), LETTER_COLON.search(_text(page))


def test_audit_actions_are_translated(app) -> None:
    from app.audit_log.services import ACTION_LABELS, action_label

    with _request(app):
        assert action_label("extension.grant") == "核定延長填寫"
    with _request(app, "en"):
        assert action_label("extension.grant") == "Extension granted"
        chinese = [a for a in ACTION_LABELS if re.search(r"[\u4e00-\u9fff]", action_label(a))]
        assert chinese == []


# ---- PDFs fit to print and sign -------------------------------------------------------


def _html(app, document) -> str:
    with app.test_request_context("/"):
        return render_template(document.template, **document.build())


def test_plan_pdfs_fit_the_page_and_keep_short_columns_whole(reports, app, client, factory, clock):
    world = build_world(factory, clock)
    login_teacher(client, world.teachers["submitted"])
    _, teacher_pdf = download(client, "/teacher/plan.pdf")
    teacher_lines = layout_lines(teacher_pdf)
    # A sample row's category, mode, hours and term each on one line (the topic may wrap).
    first = next(line for line in teacher_lines if line.startswith("1標準4"))
    assert first.startswith("1標準4善用教學策略進行有效教學差異化教學")
    assert first.endswith("專業學習社群12小時下學期（2月–7月）")
    assert any(
        line.startswith("2標準6發揮班級經營效能營造支持性學習環境") for line in teacher_lines
    )
    assert_fit_to_print(
        teacher_pdf, _html(app, documents.teacher_plan_document(world.plans["submitted"]))
    )

    school_document = documents.school_plan_document(world.school_plan)
    school_pdf = cache.render(school_document)
    school_lines = layout_lines(school_pdf)
    assert any(line.startswith("1標準3具備課程與教學設計能力") for line in school_lines)
    assert_fit_to_print(school_pdf, _html(app, school_document))
    signatures = next(p for p in page_layouts(school_pdf) if "核章" in p.lines)
    # The signature block (承辦人, 單位主管, 校長, each with a date line) ends the plan, whole.
    assert {"承辦人", "單位主管", "校長"} <= set(signatures.lines)
    assert sum(line.startswith("日期：") for line in signatures.lines) == 3
    assert "承辦人單位主管校長" in school_lines
    assert "日期：年月日日期：年月日日期：年月日" in school_lines


def test_county_report_leaves_no_page_almost_empty(reports, app, factory, clock):
    world = build_world(factory, clock)
    county = world.school.county
    for n in range(24):  # enough schools that the per-school lists run onto a second page
        factory.school(Stage.ELEMENTARY if n % 2 else Stage.JUNIOR, county=county)
    db.session.commit()
    document = documents.county_document(world.cycle, world.accounts["county"].authority)
    data = cache.render(document)
    assert len(page_layouts(data)) >= 3
    assert_fit_to_print(data, _html(app, document))


def test_manual_keeps_its_contact_table_on_one_page(reports, client, factory, clock):
    build_world(factory, clock)
    for audience in ("school", "teacher"):
        _, data = download(client, f"/manuals/{audience}.pdf")
        pages = page_layouts(data)
        holding = [
            n
            for n, page in enumerate(pages)
            for line in page.lines
            if line.startswith(("承辦單位", "諮詢電話", "諮詢信箱"))
        ]
        assert len(holding) == 3, holding
        assert len(set(holding)) == 1, holding


def test_columns_are_sized_to_what_they_hold() -> None:
    headers = ["主題類別", "主題", "時數"]
    widths = layout.column_widths(
        headers, [["標準3 具備課程與教學設計能力", "素養導向", "6 小時"]], [False, True, False]
    )
    assert sum(widths) == pytest.approx(layout.TABLE_MM - layout.NUMBER_COLUMN_MM, abs=0.5)
    category, _topic, hours = widths
    assert category > 3 * hours
    assert category >= 15.1 * layout.EM_MM  # the whole label on one line


def test_the_plan_form_counts_fields_in_english_and_names_no_lock_counter(app) -> None:
    """The plan page's refusals count fields in the singular or plural, and a conflict
    names who and when, never the optimistic-lock counter ("version 9" after one submit)."""
    with _request(app, "en"):
        assert InvalidAnswers({"q.a": "x"}).message.startswith("1 field needs correcting")
        assert InvalidAnswers({"q.a": "x", "q.b": "y"}).message.startswith(
            "2 fields need correcting"
        )
    catalog = (config.ROOT / "translations/en/LC_MESSAGES/messages.po").read_text(encoding="utf-8")
    assert "%(version)s 版" not in catalog
    assert "version %(version)s" not in catalog
