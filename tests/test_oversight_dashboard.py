"""Completion dashboards (/oversight/dashboard…): scopes, totals that add up, bad input,
and the CSV/XLSX exports (formula neutralisation, BOM, masked IDs, file names)."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from typing import Any

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from app import stats
from app.cycles.services import latest_questionnaire, take_snapshot
from app.extensions import db
from app.models import (
    AccountKind,
    AccountType,
    Authority,
    AuthorityKind,
    County,
    Cycle,
    Extension,
    PlanKind,
    PlanStatus,
    PlanVersion,
    Region,
    School,
    SchoolPlan,
    Stage,
    Teacher,
)
from app.reports import tables
from app.reports.documents import county_document, national_document
from app.stats import dashboards
from app.stats.dashboards import dashboard_schools, stage_rows, teacher_rows, unit_rows
from app.timeutil import taipei
from tests.conftest import login_account, login_teacher
from tests.plan_helpers import import_113
from tests.test_reports_support import DRAFT_ANSWERS, TEACHER_ANSWERS, make_teacher_plan

NOW = taipei(2024, 9, 18, 10, 0)  # 國小's teacher window is open, 國中's too


@dataclass
class World:
    cycle: Cycle
    schools: dict[str, School] = field(default_factory=dict)
    users: dict[str, Any] = field(default_factory=dict)
    teachers: dict[str, Teacher] = field(default_factory=dict)


def _school_plan(cycle: Cycle, school: School, status: PlanStatus) -> None:
    db.session.add(
        SchoolPlan(
            cycle_id=cycle.id,
            school_id=school.id,
            questionnaire_id=latest_questionnaire(cycle, PlanKind.SCHOOL).id,
            answers={},
            status=status,
            version=1,
            submitted_at=taipei(2024, 8, 20, 9, 0) if status == PlanStatus.SUBMITTED else None,
            updated_at=taipei(2024, 8, 20, 9, 0),
            updated_by="test",
        )
    )


def build_world(factory, clock) -> World:
    """Kaohsiung (south) with two county schools and a national school, Taipei (north) with
    one school; teachers in every plan state; an extension; a user of every role."""
    clock.set(NOW)
    cycle = import_113()
    south = factory.region()
    north = Region(code="N", name="北區")
    db.session.add(north)
    db.session.flush()
    kaohsiung = factory.county()
    taipei_city = County(code="63000", name="臺北市", region_id=north.id)
    db.session.add(taipei_city)
    national = Authority(name="教育部國民及學前教育署", kind=AuthorityKind.NATIONAL)
    db.session.add(national)
    db.session.flush()
    world = World(cycle)
    s = world.schools
    s["elementary"] = factory.school(Stage.ELEMENTARY, name="高雄市立甲國小")
    s["junior"] = factory.school(Stage.JUNIOR, name="高雄市立乙國中")
    s["kinder"] = factory.school(Stage.KINDERGARTEN, name="高雄市立丙幼兒園")
    s["far"] = factory.school(Stage.ELEMENTARY, name="臺北市立丁國小", county=taipei_city)
    s["national"] = factory.school(Stage.SENIOR, name="國立高雄高中")
    s["national"].authority_id = national.id
    t = world.teachers
    t["submitted"] = factory.teacher(s["elementary"], name="王小明")
    t["draft"] = factory.teacher(s["elementary"], name="陳美玲")
    t["none"] = factory.teacher(s["elementary"], name="林志豪")
    t["junior"] = factory.teacher(s["junior"], name="張大同")
    t["far"] = factory.teacher(s["far"], name="李臺北")
    t["national"] = factory.teacher(s["national"], name="吳國立")
    t["kinder"] = factory.teacher(s["kinder"], name="周幼兒")
    take_snapshot(cycle, force=True, moment=taipei(2024, 8, 2, 17, 0))
    make_teacher_plan(cycle, t["submitted"], s["elementary"], TEACHER_ANSWERS)
    make_teacher_plan(cycle, t["draft"], s["elementary"], DRAFT_ANSWERS, submitted=False)
    make_teacher_plan(cycle, t["junior"], s["junior"], TEACHER_ANSWERS)
    make_teacher_plan(cycle, t["national"], s["national"], TEACHER_ANSWERS)
    _school_plan(cycle, s["elementary"], PlanStatus.SUBMITTED)
    _school_plan(cycle, s["junior"], PlanStatus.DRAFT)
    u = world.users
    u.update(
        anonymous=None,
        teacher=t["none"],
        chief=factory.account(s["elementary"], AccountType.CHIEF),
        planning=factory.account(s["elementary"], AccountType.PLANNING),
        roster=factory.account(s["elementary"], AccountType.ROSTER),
        courses=factory.account(s["elementary"], AccountType.COURSES),
        region=factory.account(None, kind=AccountKind.REGION, region_id=south.id),
        county=factory.account(
            None, kind=AccountKind.AUTHORITY, authority_id=factory.authority(kaohsiung).id
        ),
        other_county=factory.account(
            None, kind=AccountKind.AUTHORITY, authority_id=factory.authority(taipei_city).id
        ),
        national=factory.account(None, kind=AccountKind.AUTHORITY, authority_id=national.id),
        operator=factory.account(None, kind=AccountKind.OPERATOR),
    )
    db.session.add_all(
        [
            Extension(
                cycle_id=cycle.id,
                plan_kind=PlanKind.SCHOOL,
                school_id=s["junior"].id,
                until=taipei(2024, 8, 30, 17, 0),
                granted_by_id=u["county"].id,
                reason="颱風停課",
            ),
            Extension(
                cycle_id=cycle.id,
                plan_kind=PlanKind.TEACHER,
                teacher_id=t["none"].id,
                until=taipei(2024, 10, 4, 17, 0),
                granted_by_id=u["county"].id,
                reason="產假",
            ),
        ]
    )
    db.session.commit()
    return world


@pytest.fixture
def world(factory, clock) -> World:
    dashboards.forget()  # figures kept by an earlier test's identical-looking world
    return build_world(factory, clock)


def sign_in(client, user) -> None:
    if isinstance(user, Teacher):
        login_teacher(client, user)
    elif user is not None:
        login_account(client, user)


def body(response) -> str:
    return response.get_data(as_text=True)


# ---- scopes: each role sees exactly its own -------------------------------------------------

ALL = {"高雄市立甲國小", "高雄市立乙國中", "高雄市立丙幼兒園", "臺北市立丁國小", "國立高雄高中"}
SCHOOLS_SEEN = {
    "national": ALL,
    "operator": ALL,
    "county": {"高雄市立甲國小", "高雄市立乙國中", "高雄市立丙幼兒園"},
    "other_county": {"臺北市立丁國小"},
    # the south region: every school in its county (Kaohsiung), the national one included
    "region": {"高雄市立甲國小", "高雄市立乙國中", "高雄市立丙幼兒園", "國立高雄高中"},
}


@pytest.mark.parametrize("who", sorted(SCHOOLS_SEEN))
def test_each_oversight_role_sees_exactly_its_schools(client, world, who):
    sign_in(client, world.users[who])
    page = body(client.get("/oversight/dashboard/schools"))
    seen = {name for name in ALL if name in page}
    assert seen == SCHOOLS_SEEN[who]
    export = client.get("/oversight/dashboard/schools.csv")
    assert export.status_code == 200
    rows = list(csv.reader(io.StringIO(export.get_data(as_text=True).lstrip("\ufeff"))))
    assert {row[1] for row in rows[1:]} == SCHOOLS_SEEN[who]


def test_the_first_level_lists_authorities_in_scope(client, world):
    sign_in(client, world.users["national"])
    page = body(client.get("/oversight/dashboard"))
    assert "/oversight/dashboard/counties/64000" in page
    assert "/oversight/dashboard/counties/63000" in page
    assert "/oversight/dashboard/national-schools" in page
    client.post("/logout")
    sign_in(client, world.users["region"])
    page = body(client.get("/oversight/dashboard"))
    assert "/oversight/dashboard/counties/64000" in page
    assert "/oversight/dashboard/counties/63000" not in page
    assert "/oversight/dashboard/national-schools" in page  # its counties' national schools
    client.post("/logout")
    sign_in(client, world.users["county"])
    page = body(client.get("/oversight/dashboard"))
    assert "/oversight/dashboard/counties/64000" in page
    assert "/oversight/dashboard/counties/63000" not in page
    assert "/oversight/dashboard/national-schools" not in page


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("national", 200),
        ("operator", 200),
        ("region", 200),
        ("county", 200),
        ("other_county", 403),  # another county's code: refused, whether or not it exists
    ],
)
def test_a_county_page_is_refused_outside_the_scope(client, world, who, status):
    sign_in(client, world.users[who])
    response = client.get("/oversight/dashboard/counties/64000")
    assert response.status_code == status
    assert client.get("/oversight/dashboard/counties/64000.csv").status_code == status
    if status == 403:
        assert "高雄市立甲國小" not in body(response)


def test_forged_scope_parameters_are_refused(client, world):
    sign_in(client, world.users["county"])
    assert client.get("/oversight/dashboard/counties/63000").status_code == 403
    assert client.get("/oversight/dashboard/counties/99999").status_code == 403
    assert client.get("/oversight/dashboard/counties/6400").status_code == 404
    assert client.get("/oversight/dashboard/schools?county=63000").status_code == 403
    assert client.get("/oversight/dashboard/schools.xlsx?county=63000").status_code == 403
    assert client.get("/oversight/dashboard/schools?county=abc").status_code == 404
    far = world.schools["far"].id
    assert client.get(f"/oversight/dashboard/schools/{far}").status_code == 404
    assert client.get(f"/oversight/dashboard/schools/{far}.csv").status_code == 404
    assert client.get("/oversight/dashboard/national-schools").status_code == 403
    # The region sees its county, not another region's
    client.post("/logout")
    sign_in(client, world.users["region"])
    assert client.get("/oversight/dashboard/counties/63000").status_code == 403
    assert client.get(f"/oversight/dashboard/schools/{far}").status_code == 404


def test_a_school_account_sees_its_own_school_only(client, world):
    own, other = world.schools["elementary"].id, world.schools["junior"].id
    for who in ("chief", "planning"):
        sign_in(client, world.users[who])
        assert f"/oversight/dashboard/schools/{own}" in body(client.get("/school/"))
        page = body(client.get(f"/oversight/dashboard/schools/{own}"))
        names = set(re.findall(r"<th scope=\"row\">([^<]+)<", page))
        assert {"王小明", "陳美玲", "林志豪"} <= names
        assert client.get(f"/oversight/dashboard/schools/{other}").status_code == 404
        assert client.get("/oversight/dashboard").status_code == 403
        assert client.get("/oversight/dashboard/counties/64000").status_code == 403
        client.post("/logout")


@pytest.mark.parametrize("who", ["teacher", "roster", "courses"])
def test_teachers_and_other_accounts_are_refused(client, world, who):
    sign_in(client, world.users[who])
    own = world.schools["elementary"].id
    if who != "teacher":
        assert "/oversight/dashboard" not in body(client.get("/school/"))
    for url in (
        "/oversight/dashboard",
        "/oversight/dashboard.csv",
        "/oversight/dashboard/counties/64000",
        "/oversight/dashboard/schools",
        f"/oversight/dashboard/schools/{own}",
        f"/oversight/dashboard/schools/{own}.xlsx",
    ):
        assert client.get(url).status_code == 403, url


def test_anonymous_is_sent_to_sign_in(client, world):
    response = client.get("/oversight/dashboard")
    assert response.status_code in (302, 303)
    assert "/login" in response.headers["Location"]


# ---- numbers that add up ------------------------------------------------------------------


def _ints(text: str) -> list[int]:
    return [int(n) for n in re.findall(r"\d+", text)]


def test_totals_equal_the_sum_of_rows_and_the_pdf_figures(app, world):
    cycle = world.cycle
    with app.test_request_context():
        units = unit_rows(cycle, None)
        schools = dashboard_schools(cycle, None, NOW)
        stages = stage_rows(cycle, None, NOW)
    overall = stats.completion(cycle)
    assert sum((u.completion for u in units), stats.Completion()) == overall
    assert sum((s.completion for s in schools), stats.Completion()) == overall
    assert sum((s.completion for s in stages), stats.Completion()) == overall
    assert overall.roster == 7
    assert (overall.submitted, overall.draft, overall.not_started) == (3, 1, 3)
    assert overall.school_plans_due == 4  # the kindergarten fills none
    assert (overall.school_plans_submitted, overall.school_plans_draft) == (1, 1)
    assert overall.school_plans_not_started == 2

    # The PDFs' figures: the county and national summaries read the same counts.
    national = national_document(cycle).build()
    assert national["totals"]["roster"] == overall.roster
    assert national["totals"]["submitted"] == overall.submitted
    by_county = {row["county"]: row for row in national["counties"]}
    kaohsiung_schools = [s for s in schools if s.row.county_code == "64000"]
    assert by_county["高雄市"]["roster"] == sum(s.completion.roster for s in kaohsiung_schools)
    authority = db.session.scalar(
        select(Authority).where(Authority.county_code == "64000", Authority.kind == "county")
    )
    county_pdf = county_document(cycle, authority).build()
    county_unit = next(u for u in units if u.county_code == "64000")
    assert county_pdf["totals"]["roster"] == county_unit.completion.roster
    assert county_pdf["totals"]["submitted"] == county_unit.completion.submitted
    assert county_pdf["totals"]["draft"] == county_unit.completion.draft
    assert county_pdf["totals"]["school_plans_submitted"] == (
        county_unit.completion.school_plans_submitted
    )


def test_the_page_total_line_adds_up(client, world):
    sign_in(client, world.users["national"])
    page = body(client.get("/oversight/dashboard/schools"))
    footer = page.split("<tfoot>")[1].split("</tfoot>")[0]
    assert _ints(footer)[:6] == [1, 1, 2, 7, 3, 1]  # school plans 1/1/2, roster 7, 3 + 1
    page = body(client.get("/oversight/dashboard"))
    footer = page.split("<tfoot>")[1].split("</tfoot>")[0]
    assert _ints(footer)[:8] == [5, 1, 1, 2, 7, 3, 1, 3]


def test_a_filter_narrows_rows_and_totals_alike(client, world):
    sign_in(client, world.users["national"])
    page = body(client.get("/oversight/dashboard/schools?stage=E"))
    assert "高雄市立甲國小" in page
    assert "臺北市立丁國小" in page
    assert "高雄市立乙國中" not in page
    footer = page.split("<tfoot>")[1].split("</tfoot>")[0]
    assert _ints(footer)[3:6] == [4, 1, 1]  # roster 4, submitted 1, draft 1
    page = body(client.get("/oversight/dashboard/schools?state=draft"))
    assert "高雄市立乙國中" in page
    assert "高雄市立甲國小" not in page
    page = body(client.get("/oversight/dashboard/schools?q=臺北"))
    assert "臺北市立丁國小" in page
    assert "高雄市立甲國小" not in page
    code = world.schools["junior"].code
    page = body(client.get(f"/oversight/dashboard/schools?q={code}"))
    assert "高雄市立乙國中" in page
    assert "高雄市立甲國小" not in page
    page = body(client.get("/oversight/dashboard/schools?q=%25"))  # LIKE wildcards are text
    assert "共 0 所學校" in page


def test_windows_and_extensions_are_shown(client, world):
    sign_in(client, world.users["county"])
    page = body(client.get("/oversight/dashboard/counties/64000"))
    assert "填寫中" in page  # the teacher windows of 國小 and 國中 are open on 9/18
    assert "已截止" in page  # the school windows closed in August
    assert "113年8月30日 17:00" in page  # 乙國中's school-plan extension
    assert "已延長" in page
    school = body(client.get(f"/oversight/dashboard/schools/{world.schools['elementary'].id}"))
    assert "113年10月4日 17:00" in school  # 林志豪's own extension


def test_sorting_orders_rows(client, world):
    sign_in(client, world.users["national"])
    page = body(client.get("/oversight/dashboard/schools?sort=rate&dir=desc"))
    order = re.findall(r">([^<>]+?(?:國小|國中|高中|幼兒園))</a>", page)
    assert order[0] in {"高雄市立乙國中", "國立高雄高中"}  # 100 %
    assert order[-1] == "高雄市立丙幼兒園"  # no plan at all: 0 % ... or none
    page = body(client.get("/oversight/dashboard/schools?sort=name&dir=asc"))
    names = re.findall(r">([^<>]+?(?:國小|國中|高中|幼兒園))</a>", page)
    assert names == sorted(names)


# ---- bad input: never a 500, never another scope's data -------------------------------------


@pytest.mark.parametrize(
    ("query", "status"),
    [
        ("sort=password", 400),
        ("sort=code;drop", 400),
        ("dir=sideways", 400),
        ("stage=Q", 400),
        ("state=maybe", 400),
        ("page=-1", 400),
        ("page=abc", 400),
        ("page=0", 404),
        ("page=99999999999", 404),
        ("year=abc", 400),
        ("year=999", 404),
        ("page=50", 200),
        ("q=" + "長" * 500, 200),
        ("q=%27%3B--", 200),
    ],
)
def test_bad_query_strings_get_clear_answers(client, world, query, status):
    sign_in(client, world.users["national"])
    own = world.schools["elementary"].id
    for url in (
        "/oversight/dashboard",
        "/oversight/dashboard/schools",
        "/oversight/dashboard/counties/64000",
        f"/oversight/dashboard/schools/{own}",
    ):
        if "state=maybe" in query and url == "/oversight/dashboard":
            continue  # no state filter there: the parameter is ignored
        response = client.get(f"{url}?{query}")
        assert response.status_code == status, (url, query, response.status_code)


def test_a_page_past_the_end_is_empty(client, world):
    sign_in(client, world.users["national"])
    page = body(client.get("/oversight/dashboard/schools?page=7"))
    assert "這一頁沒有資料" in page
    assert "高雄市立甲國小" not in page
    assert 'rel="prev"' in page  # back to the last page


def test_htmx_gets_only_the_rows(client, world):
    sign_in(client, world.users["national"])
    response = client.get("/oversight/dashboard/schools?stage=J", headers={"HX-Request": "true"})
    page = body(response)
    assert page.lstrip().startswith('<div id="dashboard-rows">')
    assert "<html" not in page
    assert 'data-hx-swap-oob="true"' in page
    assert "HX-Request" in response.headers["Vary"]


# ---- exports ----------------------------------------------------------------------------------


def test_csv_has_a_bom_zh_headers_masked_ids_and_a_safe_name(client, world):
    sign_in(client, world.users["planning"])
    school = world.schools["elementary"]
    response = client.get(f"/oversight/dashboard/schools/{school.id}.csv")
    assert response.status_code == 200
    raw = response.get_data()
    assert raw.startswith(b"\xef\xbb\xbf")
    text = raw.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0][:2] == ["姓名", "身分證字號（遮蔽）"]
    assert len(rows) == 4
    plain = {t.plain_national_id for t in world.teachers.values()}
    for row in rows[1:]:
        assert row[1].endswith("****")
        assert row[1] not in plain
    assert not any(value in text for value in plain)
    disposition = response.headers["Content-Disposition"]
    assert f'filename="completion-113-{school.code}-teachers.csv"' in disposition
    assert "王小明" not in disposition


def test_xlsx_export_of_the_county_schools(client, world):
    sign_in(client, world.users["county"])
    with client.get("/oversight/dashboard/counties/64000.xlsx?sort=code") as response:
        assert response.status_code == 200
        assert response.mimetype == tables.XLSX_MIMETYPE
        disposition = response.headers["Content-Disposition"]
        data = response.get_data()
    assert "filename=completion-113-64000-schools.xlsx" in disposition
    sheet = load_workbook(io.BytesIO(data)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "學校代碼"
    assert {row[1] for row in rows[1:]} == {"高雄市立甲國小", "高雄市立乙國中", "高雄市立丙幼兒園"}
    assert sum(row[7] for row in rows[1:]) == 5  # roster column adds up to the county's


def test_the_national_export_names_the_scope(client, world):
    sign_in(client, world.users["national"])
    with client.get("/oversight/dashboard.xlsx") as response:
        disposition = response.headers["Content-Disposition"]
        data = response.get_data()
    assert "filename=completion-113-national-authorities.xlsx" in disposition
    sheet = load_workbook(io.BytesIO(data)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert len(rows) == 1 + 3  # Kaohsiung, Taipei, 國教署
    assert sum(row[7] for row in rows[1:]) == 7


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
def test_formula_cells_are_neutralised_in_both_formats(start):
    value = f'{start}HYPERLINK("http://evil")'
    assert tables.neutralise(value) == "'" + value
    text = "".join(tables.write_csv([[value, 3, -2.5, None]], ["名稱", "數", "負數", "空"]))
    assert text.startswith("\ufeff名稱,數,負數,空\r\n")
    row = next(csv.reader(io.StringIO(text.lstrip("\ufeff").split("\r\n", 1)[1])))
    assert row[0].startswith("'")
    assert row[1:] == ["3", "-2.5", ""]
    target = io.BytesIO()
    assert tables.write_xlsx([[value + "\x00\x07", 3]], ["名稱", "數"], target, "表") == 1
    sheet = load_workbook(io.BytesIO(target.getvalue())).active
    assert sheet["A2"].value.startswith("'")
    assert sheet["A2"].data_type == "s"
    assert "\x00" not in sheet["A2"].value
    assert sheet["B2"].value == 3


def test_a_school_name_that_looks_like_a_formula_is_exported_as_text(client, world):
    world.schools["far"].name = "=cmd|' /C calc'!A0"
    db.session.commit()
    sign_in(client, world.users["other_county"])
    text = client.get("/oversight/dashboard/schools.csv").get_data(as_text=True)
    assert "'=cmd|" in text
    assert ",=cmd" not in text
    with client.get("/oversight/dashboard/schools.xlsx") as response:
        sheet = load_workbook(io.BytesIO(response.get_data())).active
    assert sheet["B2"].value == "'=cmd|' /C calc'!A0"


def test_export_file_names_refuse_anything_but_plain_ascii():
    with pytest.raises(ValueError, match="plain ASCII"):
        tables.csv_response([], ["a"], "王小明.csv")
    with pytest.raises(ValueError, match="plain ASCII"):
        tables.csv_response([], ["a"], "../etc/passwd")


def test_teacher_rows_sort_and_page_in_sql(app, world):
    school = world.schools["elementary"]
    rows = teacher_rows(world.cycle, school.id, sort="state")
    assert [r.state for r in rows] == ["submitted", "draft", "none"]
    rows = teacher_rows(world.cycle, school.id, sort="name", descending=True, limit=1, offset=1)
    assert len(rows) == 1
    assert rows[0].national_id_masked.endswith("****")
    assert teacher_rows(world.cycle, school.id, limit=5, offset=50) == []


def test_kept_figures_follow_every_change_they_count(client, world, factory):
    sign_in(client, world.users["national"])

    def footer() -> list[int]:
        page = body(client.get("/oversight/dashboard"))
        return _ints(page.split("<tfoot>")[1].split("</tfoot>")[0])[:8]

    assert footer() == [5, 1, 1, 2, 7, 3, 1, 3]
    assert footer() == [5, 1, 1, 2, 7, 3, 1, 3]  # kept: the same answer
    # A teacher starts a plan (draft +1), then the draft is submitted (a kept version).
    plan = make_teacher_plan(
        world.cycle,
        world.teachers["none"],
        world.schools["elementary"],
        DRAFT_ANSWERS,
        submitted=False,
    )
    db.session.commit()
    assert footer() == [5, 1, 1, 2, 7, 3, 2, 2]
    plan.status = PlanStatus.SUBMITTED
    db.session.add(
        PlanVersion(
            plan_kind=PlanKind.TEACHER,
            plan_id=plan.id,
            version=3,
            answers={},
            submitted_at=NOW,
            submitted_by="test",
        )
    )
    db.session.commit()
    assert footer() == [5, 1, 1, 2, 7, 4, 1, 2]
    # A new school appears.
    factory.school(Stage.JUNIOR, name="高雄市立新國中")
    db.session.commit()
    assert footer()[0] == 6


def test_the_benchmark_measures_the_dashboards_at_tiny_scale(app):
    from bench.generate import generate
    from bench.oversight import measure

    generate(schools=3, teachers_per_school=4, logins=5)
    db.session.commit()
    dashboards.forget()
    figures = measure(app, samples=1, export_samples=1)
    assert figures["schools"] == db.session.scalar(select(func.count(School.id)))
    for name in ("national", "county", "all_schools_page"):
        assert figures[f"{name}_ms"] > 0
        assert figures[f"{name}_ratio"] is not None
    assert figures["xlsx_rows_per_second"] > 0
    assert figures["xlsx_bytes"] > 0


@pytest.mark.parametrize(
    ("who", "extend", "remind"),
    [
        ("county", True, True),
        ("national", True, True),
        ("region", False, False),  # a regional centre manages accounts, not deadlines
    ],
)
def test_school_rows_link_the_extension_and_reminder_forms(client, world, who, extend, remind):
    sign_in(client, world.users[who])
    page = body(client.get("/oversight/dashboard/schools"))
    school = world.schools["elementary"].id
    assert (f"/oversight/extensions/new?school={school}&amp;kind=school" in page) == extend
    assert (f"/oversight/reminders/new?school={school}&amp;kind=teacher" in page) == remind
    if extend:
        form = client.get(f"/oversight/extensions/new?school={school}&kind=school")
        assert form.status_code == 200
    if remind:
        form = client.get(f"/oversight/reminders/new?school={school}&kind=teacher")
        assert form.status_code == 200


def test_a_process_reads_what_the_figures_depend_on_at_most_once_a_window(
    make_app, world, monkeypatch
):
    """With DASHBOARD_CHECK_SECONDS, a change shows once the window has passed."""
    app = make_app(DASHBOARD_CHECK_SECONDS=5)
    client = app.test_client()
    sign_in(client, world.users["national"])
    moment = [1000.0]
    monkeypatch.setattr(dashboards.time, "monotonic", lambda: moment[0])

    def drafts() -> int:
        page = body(client.get("/oversight/dashboard"))
        return _ints(page.split("<tfoot>")[1].split("</tfoot>")[0])[6]

    assert drafts() == 1
    make_teacher_plan(
        world.cycle,
        world.teachers["none"],
        world.schools["elementary"],
        DRAFT_ANSWERS,
        submitted=False,
    )
    db.session.commit()
    moment[0] += 4.9
    assert drafts() == 1  # within the window: the figures read before
    moment[0] += 0.2
    assert drafts() == 2  # the window has passed: read again, counted again
