"""進修需求分析: figures against hand-computed ones, scopes, the year before, the stage
filter, the charts, the PDF section and the per-process cache."""

from __future__ import annotations

import dataclasses
import io
import re
from typing import Any

import openpyxl  # type: ignore[import-untyped]
import pytest
from sqlalchemy import select

from app.analytics import services
from app.analytics.services import Area
from app.cycles.services import import_cycle, latest_questionnaire
from app.extensions import db
from app.models import (
    AccountKind,
    AccountType,
    County,
    PlanKind,
    PlanStatus,
    Region,
    School,
    SchoolPlan,
    Stage,
    TeacherPlan,
)
from app.questionnaires.cyclefile import load_cycle_file
from app.reports import documents
from app.stats import one_school
from app.stats.needs import needs_figures, weight
from app.timeutil import taipei
from tests.conftest import login_account, login_teacher
from tests.test_reports_support import (  # noqa: F401 - fixtures
    CYCLE_FILE,
    DRAFT_ANSWERS,
    TEACHER_ANSWERS,
    World,
    build_world,
    download,
    layout_lines,
    make_teacher_plan,
    reports_fixture,
)

FAR_ANSWERS: dict[str, Any] = {
    "needs": ["std10", "std09", "std08"],
    "interest_areas": ["english", "mathematics"],
    "activities": [
        {"topic_category": "std10", "topic": "領導", "mode": "visit", "hours": 20, "term": "summer"}
    ],
    "preferred_times": ["weekday_evening"],
}
PREVIOUS_ANSWERS: dict[str, Any] = {
    "needs": ["std04", "std01", "std02"],
    "interest_areas": ["english"],
    "activities": [
        {"topic_category": "std04", "topic": "線上", "mode": "online", "hours": 10, "term": "first"}
    ],
    "preferred_times": ["weekend"],
}


@dataclasses.dataclass
class Analytics:
    world: World
    far: School
    region: Any
    far_planner: Any


def _school_plan(cycle: Any, school: School, answers: dict, *, submitted: bool) -> SchoolPlan:
    plan = SchoolPlan(
        cycle_id=cycle.id,
        school_id=school.id,
        questionnaire_id=latest_questionnaire(cycle, PlanKind.SCHOOL).id,
        answers=answers,
        status=PlanStatus.SUBMITTED if submitted else PlanStatus.DRAFT,
        version=2,
        submitted_at=taipei(2024, 8, 20, 16, 30) if submitted else None,
        updated_at=taipei(2024, 8, 20, 16, 30),
        updated_by="account:1",
    )
    db.session.add(plan)
    db.session.flush()
    return plan


def build(factory: Any, clock: Any, *, previous: bool = True) -> Analytics:
    """build_world (高雄市: 示範國小 E, 五福國中 J), plus 臺北市 in another region with a
    高中 (S), and cycle 112 with one submitted and one draft plan at 示範國小."""
    world = build_world(factory, clock)
    north = Region(code="N", name="北區")
    db.session.add(north)
    db.session.flush()
    taipei_county = County(code="63000", name="臺北市", region_id=north.id)
    db.session.add(taipei_county)
    db.session.flush()
    far = factory.school(Stage.SENIOR, name="臺北市立建國高中", county=taipei_county)
    far_teacher = factory.teacher(far, name="周大華")
    make_teacher_plan(world.cycle, far_teacher, far, FAR_ANSWERS)
    make_teacher_plan(world.cycle, factory.teacher(far), far, DRAFT_ANSWERS, submitted=False)
    _school_plan(world.cycle, far, {"priority_issues": ["reading", "ocean"]}, submitted=True)
    draft_issues = {"priority_issues": ["human_rights"], "priority_areas": ["arts"]}
    _school_plan(world.cycle, world.other_school, draft_issues, submitted=False)
    if previous:
        spec = load_cycle_file(CYCLE_FILE)
        older = dataclasses.replace(spec, academic_year=112, name="112學年度", status="closed")
        cycle112, _ = import_cycle(older, "112.yaml")
        make_teacher_plan(cycle112, world.teachers["submitted"], world.school, PREVIOUS_ANSWERS)
        make_teacher_plan(
            cycle112, world.teachers["draft"], world.school, DRAFT_ANSWERS, submitted=False
        )
    region = factory.account(None, kind=AccountKind.REGION, region_id=factory.region().id)
    far_planner = factory.account(far, AccountType.PLANNING)
    db.session.commit()
    services.cache.clear()
    return Analytics(world, far, region, far_planner)


@pytest.fixture(autouse=True)
def _empty_cache():
    services.cache.clear()
    yield
    services.cache.clear()


def _table(page: str, key: str) -> list[list[str]]:
    """The rows of one analytics table of a page, each as its cell texts."""
    match = re.search(
        rf'<section class="analytics-table" aria-labelledby="analytics-{key}">(.*?)</section>',
        page,
        re.S,
    )
    assert match, key
    body = match.group(1).split("<tbody>")[1]
    rows = re.findall(r"<tr>(.*?)</tr>", body, re.S)
    return [
        [
            re.sub(r"<[^>]+>", "", cell).strip()
            for cell in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", r)
        ]
        for r in rows
    ]


# ---- the read model ----------------------------------------------------------------------


def test_weight_is_k_plus_one_minus_rank():
    assert [weight(rank, 3) for rank in (0, 1, 2, 3, 4)] == [0, 3, 2, 1, 0]
    assert [weight(rank, 5) for rank in (1, 5)] == [5, 1]


def test_figures_count_submitted_plans_only_by_stage(app, factory, clock):
    data = build(factory, clock)
    figures = needs_figures(data.world.cycle)

    assert figures.teacher_plans == {Stage.ELEMENTARY: 1, Stage.JUNIOR: 1, Stage.SENIOR: 1}
    assert figures.school_plans == {Stage.ELEMENTARY: 1, Stage.SENIOR: 1}  # the draft: no
    # Weighted: 3 for a first place, 2 for a second, 1 for a third. The draft (std02 first,
    # worth 3) does not count: std02 has only the 五福國中 teacher's second place.
    assert figures.need_scores() == {
        "std04": 3, "std06": 2, "std09": 1 + 2, "std01": 3, "std02": 2, "std03": 1,
        "std10": 3, "std08": 1,
    }  # fmt: skip
    assert figures.need_ranks()["std09"] == [0, 1, 1]
    assert figures.chosen("interest_areas") == {"mathematics": 3, "english": 1}
    assert figures.chosen("preferred_times") == {
        "weekday_day": 2,
        "vacation": 2,
        "weekday_evening": 1,
    }
    assert figures.chosen("priority_issues") == {"gender_equality": 1, "reading": 2, "ocean": 1}
    assert figures.chosen("priority_areas") == {}  # only the draft named one
    assert figures.activity_sums("mode") == {
        "plc": (2, 24.0),
        "lecture_workshop": (2, 12.0),
        "visit": (1, 20.0),
    }
    assert figures.activity_sums("term") == {
        "second": (2, 24.0),
        "first": (2, 12.0),
        "summer": (1, 20.0),
    }
    assert figures.hours() == 56.0
    # One stage alone.
    assert figures.need_scores([Stage.JUNIOR]) == {"std01": 3, "std02": 2, "std03": 1}
    assert figures.plans([Stage.SENIOR], school=True) == 1
    # A scope: one school.
    own = needs_figures(data.world.cycle, one_school(data.world.school.id))
    assert own.need_scores() == {"std04": 3, "std06": 2, "std09": 1}
    assert own.teacher_plans == {Stage.ELEMENTARY: 1}


def test_odd_answers_count_as_the_engine_reads_them(app, factory, clock):
    data = build(factory, clock, previous=False)
    odd = {
        "needs": ["", "std05", 7, None, "std05", "std07"],  # std05 first and second
        "interest_areas": "mathematics",  # not a list: nothing
        "preferred_times": ["weekend", "weekend", ""],  # twice: one teacher
        "activities": [{"mode": "plc", "hours": "3", "term": "first"}, "text", {"hours": 2}],
    }
    make_teacher_plan(data.world.cycle, factory.teacher(data.far), data.far, odd)
    db.session.commit()
    figures = needs_figures(data.world.cycle, one_school(data.far.id))
    assert figures.need_ranks()["std05"] == [1, 1, 0]
    assert figures.need_ranks()["std07"] == [0, 0, 1]
    assert figures.chosen("interest_areas") == {"mathematics": 1, "english": 1}
    assert figures.chosen("preferred_times") == {"weekday_evening": 1, "weekend": 1}
    assert figures.activity_sums("mode")["plc"] == (1, 0.0)  # "3" is no number of hours
    assert figures.hours() == 20.0 + 2.0


# ---- the pages ---------------------------------------------------------------------------


def test_national_page_shows_ranked_needs_with_the_year_before(app, client, factory, clock):
    data = build(factory, clock)
    login_account(client, data.world.accounts["national"])

    response = client.get("/oversight/analytics")

    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "全國｜113學年度" in page
    needs = _table(page, "needs")
    # Ties keep the standards' order; columns: ranks 1–3, score, the score of 112.
    assert needs[:5] == [
        ["標準1 具備教育專業知識並掌握重要教育議題", "1", "0", "0", "3", "2"],
        ["標準4 善用教學策略進行有效教學", "1", "0", "0", "3", "3"],
        ["標準9 致力於專業成長", "0", "1", "1", "3", "0"],
        ["標準10 展現協作與領導能力", "1", "0", "0", "3", "0"],
        ["標準2 具備領域/學科知識及相關教學知能", "0", "1", "0", "2", "1"],
    ]
    assert "加權分數＝各順位人數×權重的總和" in page
    summary = _table(page, "summary")
    assert summary[0] == ["已送出的教師規劃（份）", "3", "1"]
    assert summary[2] == ["預定進修時數合計（小時）", "56", "10"]
    assert summary[3] == ["每位教師平均預定時數（小時）", "18.7", "10"]
    assert _table(page, "issues") == [
        ["閱讀素養教育", "2", "0"],
        ["性別平等教育", "1", "0"],
        ["海洋教育", "1", "0"],
    ]
    assert _table(page, "modes")[0][1:] == ["2", "24", "0"]  # 專業學習社群: rows, hours, 112
    assert ["週末", "0", "1"] in _table(page, "times")
    stages = _table(page, "stages")
    assert [row[0] for row in stages] == ["高中", "國中", "國小"]
    # 國小: teacher plans, school plans, hours, hours per teacher, top standard; 112's plans.
    assert stages[2] == ["國小", "1", "1", "18", "18", "標準4 善用教學策略進行有效教學", "1"]
    # Charts: server-rendered SVG in the CJK font, hidden from screen readers (the table is
    # the accessible version), with a second bar and a legend for 112.
    assert (
        page.count('<svg xmlns="http://www.w3.org/2000/svg" class="chart" aria-hidden="true"') >= 7
    )
    assert 'font-family="Noto Sans CJK TC"' in page
    assert ">112學年度</text>" in page


def test_without_a_previous_cycle_there_is_no_second_column(app, client, factory, clock):
    data = build(factory, clock, previous=False)
    login_account(client, data.world.accounts["operator"])
    page = client.get("/oversight/analytics").get_data(as_text=True)
    assert "沒有前一學年度的資料可供比較" in page
    assert len(_table(page, "needs")[0]) == 1 + 3 + 1
    assert "112學年度" not in page


def test_stage_filter_narrows_every_table(app, client, factory, clock):
    data = build(factory, clock)
    login_account(client, data.world.accounts["national"])

    page = client.get("/oversight/analytics?stage=J").get_data(as_text=True)

    assert "全國｜113學年度｜國中" in page
    assert _table(page, "summary")[0] == ["已送出的教師規劃（份）", "1", "0"]
    scored = [row[0][:4] for row in _table(page, "needs") if row[4] != "0"]
    assert scored == ["標準1 ", "標準2 ", "標準3 "]
    assert 'id="analytics-stages"' not in page  # one stage: no breakdown
    assert '<option value="J" selected>' in page
    # htmx asks for the figures only, with the status line for screen readers.
    partial = client.get("/oversight/analytics?stage=J", headers={"HX-Request": "true"})
    body = partial.get_data(as_text=True)
    assert body.lstrip().startswith('<div id="analytics-figures">')
    assert 'id="analytics-status" data-hx-swap-oob="innerHTML"' in body
    assert "<html" not in body
    assert "HX-Request" in partial.headers["Vary"]
    assert client.get("/oversight/analytics?stage=Q").status_code == 404


def test_cycle_selection_shows_the_older_cycle(app, client, factory, clock):
    data = build(factory, clock)
    login_account(client, data.world.accounts["national"])
    page = client.get("/oversight/analytics?year=112").get_data(as_text=True)
    assert "全國｜112學年度" in page
    assert _table(page, "summary")[0] == ["已送出的教師規劃（份）", "1"]  # no 111 cycle
    assert client.get("/oversight/analytics?year=99").status_code == 404
    assert client.get("/oversight/analytics?year=abc").status_code == 400


def test_county_authority_sees_its_own_county_only(app, client, factory, clock):
    data = build(factory, clock)
    login_account(client, data.world.accounts["county"])

    page = client.get("/oversight/analytics").get_data(as_text=True)
    assert "高雄市｜113學年度" in page
    assert _table(page, "summary")[0] == ["已送出的教師規劃（份）", "2", "1"]
    assert "標準10" not in "".join(row[0] for row in _table(page, "needs") if row[4] != "0")
    assert '<option value="">全國</option>' not in page
    # Another county, existing or not, is refused; the nation too (no county is named,
    # so its own county is shown); a malformed code names nothing.
    assert client.get("/oversight/analytics?county=63000").status_code == 403
    assert client.get("/oversight/analytics?county=99999").status_code == 403
    assert client.get("/oversight/analytics?county=6400").status_code == 404


def test_region_sees_its_counties_and_national_any(app, client, factory, clock):
    data = build(factory, clock)
    login_account(client, data.region)
    page = client.get("/oversight/analytics").get_data(as_text=True)
    assert "高雄市｜113學年度" in page
    assert client.get("/oversight/analytics?county=64000").status_code == 200
    assert client.get("/oversight/analytics?county=63000").status_code == 403
    client.post("/logout")

    login_account(client, data.world.accounts["national"])
    page = client.get("/oversight/analytics?county=63000").get_data(as_text=True)
    assert "臺北市｜113學年度" in page
    assert _table(page, "summary")[0] == ["已送出的教師規劃（份）", "1", "0"]
    assert client.get("/oversight/analytics?county=99999").status_code == 404


def test_school_accounts_see_their_own_school(app, client, factory, clock):
    data = build(factory, clock)
    login_account(client, data.world.accounts["planner"])
    page = client.get("/school/analytics?county=63000&school=99").get_data(as_text=True)
    assert data.world.school.name + "｜113學年度" in page
    assert [row[0][:4] for row in _table(page, "needs") if row[4] != "0"] == [
        "標準4 ",
        "標準6 ",
        "標準9 ",
    ]
    assert _table(page, "summary")[0] == ["已送出的教師規劃（份）", "1", "1"]
    assert 'name="stage"' not in page
    assert client.get("/oversight/analytics").status_code == 403
    client.post("/logout")

    login_account(client, data.far_planner)
    page = client.get("/school/analytics").get_data(as_text=True)
    assert "臺北市立建國高中｜113學年度" in page
    assert _table(page, "summary")[0] == ["已送出的教師規劃（份）", "1", "0"]
    client.post("/logout")

    for who in ("roster", "county"):
        login_account(client, data.world.accounts[who])
        assert client.get("/school/analytics").status_code == 403
        client.post("/logout")
    login_teacher(client, data.world.teachers["submitted"])
    assert client.get("/school/analytics").status_code == 403
    assert client.get("/oversight/analytics").status_code == 403


def test_landing_pages_link_the_analytics(app, client, factory, clock):
    data = build(factory, clock)
    for account, url in (
        (data.world.accounts["national"], "/authority/"),
        (data.world.accounts["county"], "/authority/"),
        (data.region, "/region/"),
        (data.world.accounts["operator"], "/operator/"),
        (data.world.accounts["planner"], "/school/"),
        (data.world.accounts["chief"], "/school/"),
    ):
        login_account(client, account)
        page = client.get(url).get_data(as_text=True)
        wanted = "/school/analytics" if url == "/school/" else "/oversight/analytics"
        assert f'href="{wanted}"' in page, url
        client.post("/logout")
    login_account(client, data.world.accounts["roster"])
    assert "/analytics" not in client.get("/school/").get_data(as_text=True)


# ---- the cache ---------------------------------------------------------------------------


def test_cache_follows_submits_and_reopens(app, factory, clock, monkeypatch):
    data = build(factory, clock)
    area = Area("national", "", "全國", None)
    previous = services.previous_cycle(data.world.cycle)
    assert previous is not None
    first = services.analysis(data.world.cycle, area, previous)
    assert services.analysis(data.world.cycle, area, previous) is first  # nothing moved

    plan = data.world.plans["submitted"]
    plan.status = PlanStatus.DRAFT  # a reopen
    db.session.commit()
    # Within the stale window the figures counted a moment ago are still served …
    assert services.analysis(data.world.cycle, area, previous) is first
    # … after it, the moved fingerprint counts them again.
    monkeypatch.setattr(services.cache, "stale", 0)
    reopened = services.analysis(data.world.cycle, area, previous)
    assert reopened is not first
    assert reopened.current.plans() == 2
    assert services.analysis(data.world.cycle, area, previous) is reopened

    make_teacher_plan(data.world.cycle, factory.teacher(data.far), data.far, FAR_ANSWERS)
    db.session.commit()
    assert services.analysis(data.world.cycle, area, previous).current.plans() == 3


# ---- the PDFs ----------------------------------------------------------------------------


def test_county_and_national_pdfs_hold_the_analytics(reports, client, factory, clock):
    data = build(factory, clock)
    login_account(client, data.world.accounts["county"])
    response, pdf = download(client, "/oversight/county.pdf")
    assert response.status_code == 200
    lines = layout_lines(pdf)
    assert "進修需求分析" in lines
    assert "教師專業標準需求排序（加權）" in lines
    # 標準4: ranks 1/0/0, weighted 3 in 113 and 3 in 112 (所屬學校: 高雄市 only).
    assert "標準4善用教學策略進行有效教學10033" in lines
    assert "已送出的教師規劃（份）21" in lines
    client.post("/logout")

    login_account(client, data.world.accounts["national"])
    response, pdf = download(client, "/oversight/national.pdf")
    assert response.status_code == 200
    lines = layout_lines(pdf)
    assert "學校優先推動的課程議題" in lines
    assert "已送出的教師規劃（份）31" in lines
    assert any(line.startswith("標準9致力於專業成長01130") for line in lines)


def test_summary_cache_key_follows_the_year_before(app, factory, clock):
    data = build(factory, clock)
    before = documents.national_document(data.world.cycle).key
    assert documents.national_document(data.world.cycle).key == before
    older = db.session.scalar(
        select(TeacherPlan).where(
            TeacherPlan.status == PlanStatus.SUBMITTED,
            TeacherPlan.cycle_id != data.world.cycle.id,
        )
    )
    older.status = PlanStatus.DRAFT  # reopened in 112: no new submission anywhere
    db.session.commit()
    assert documents.national_document(data.world.cycle).key != before


# ---- the benchmark's figure (bench/analytics.py), at a tiny scale ---------------------------


def test_benchmark_figures_are_produced(app):
    from bench.analytics import time_analytics
    from bench.generate import generate

    generate(schools=2, teachers_per_school=3, logins=5)
    db.session.commit()
    figures = time_analytics(app, samples=3, cold=1)
    assert figures["samples"] == 3
    assert figures["teacher_plans"] > 0
    for key in ("page_ms", "cold_ms", "count_ms", "ratio", "cold_ratio"):
        assert figures[key] > 0


# ---- the CSV download --------------------------------------------------------------------


def test_csv_download_holds_the_tables_safely(app, client, factory, clock):
    data = build(factory, clock)
    login_account(client, data.world.accounts["county"])
    page = client.get("/oversight/analytics?stage=E").get_data(as_text=True)
    assert 'href="/oversight/analytics.csv?county=64000&amp;year=113&amp;stage=E"' in page
    assert 'href="/oversight/analytics.xlsx?county=64000&amp;year=113&amp;stage=E"' in page
    response = client.get("/oversight/analytics.csv?county=64000&year=113&stage=E")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert response.headers["Content-Disposition"] == (
        'attachment; filename="needs-analytics-113-64000-E.csv"'
    )
    body = response.get_data()
    assert body.startswith("\ufeff".encode())
    lines = body.decode("utf-8-sig").splitlines()
    assert lines[0] == "進修需求分析,高雄市,113學年度,國小"
    assert "標準4 善用教學策略進行有效教學,1,0,0,3,3" in lines
    assert client.get("/oversight/analytics.csv?county=63000").status_code == 403

    workbook = client.get("/oversight/analytics.xlsx?county=64000&year=113&stage=E")
    assert workbook.headers["Content-Disposition"].endswith("needs-analytics-113-64000-E.xlsx")
    content = workbook.get_data()
    workbook.close()  # the download is a temporary file, closed with the response
    sheet = openpyxl.load_workbook(io.BytesIO(content)).active
    values = [
        [cell for cell in row if cell is not None] for row in sheet.iter_rows(values_only=True)
    ]
    assert values[0] == ["進修需求分析", "高雄市", "113學年度", "國小"]
    assert ["標準4 善用教學策略進行有效教學", "1", "0", "0", "3", "3"] in values
    client.post("/logout")
    login_account(client, data.world.accounts["planner"])
    response = client.get("/school/analytics.csv")
    assert response.headers["Content-Disposition"] == (
        f'attachment; filename="needs-analytics-113-school-{data.world.school.code}.csv"'
    )


def test_one_count_per_area_at_a_time():
    import threading

    cache = services._Cache()
    started, release = threading.Event(), threading.Event()
    calls: list[int] = []
    counted = object()

    def make() -> Any:
        calls.append(1)
        started.set()
        release.wait()
        return counted

    results: list[Any] = []
    first = threading.Thread(target=lambda: results.append(cache.get(("a",), 1, make)))
    first.start()
    started.wait()
    second = threading.Thread(target=lambda: results.append(cache.get(("a",), 1, make)))
    second.start()
    release.set()
    first.join()
    second.join()
    assert calls == [1]
    assert results == [counted, counted]
    assert cache.get(("b",), 1, lambda: "other") == "other"  # another area: its own count
