"""The school dashboard (/school/): the school plan's state, the teachers' progress from the
roster snapshot, links only to what exists, kindergartens, rosters kept by another system."""

from __future__ import annotations

import io
import re
from html import unescape

import pypdf
import pytest

from app.cycles.services import take_snapshot
from app.extensions import db
from app.feeds.services import FeedStatus
from app.models import (
    AccountType,
    PlanKind,
    PlanStatus,
    RosterSource,
    Stage,
    SyncRun,
    Window,
)
from app.school import routes as school_routes
from app.timeutil import taipei
from tests.conftest import login_account
from tests.pdf_checks import watermarked_pages
from tests.plan_helpers import import_113
from tests.test_reports_support import (  # noqa: F401 - fixtures
    TEACHER_ANSWERS,
    assert_no_embedded_files,
    build_world,
    download,
    make_teacher_plan,
    pdf_text,
    reports_fixture,
    squash,
)

ROW = re.compile(r'<th scope="row">([^<]+)</th>\s*<td>[^<]*</td>\s*<td>([^<]+)</td>')
# Links that act rather than show: signing out and switching the language redirect.
NOT_FOLLOWED = ("/logout", "/lang/", "/static/")


def _page(client, url: str = "/school/") -> str:
    response = client.get(url)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html)))


def _links(html: str) -> list[str]:
    main = html[html.index("<main") : html.index("</main>")]
    hrefs = {unescape(h) for h in re.findall(r'href="(/[^"]*)"', main)}
    return sorted(h for h in hrefs if not h.startswith(NOT_FOLLOWED))


def _follow_every_link(client, html: str) -> dict[str, bytes]:
    """GET each link of the page: each answers 200 (a PDF where it says so)."""
    bodies = {}
    for href in _links(html):
        response, body = download(client, href)
        assert response.status_code == 200, href
        bodies[href] = body
    return bodies


def _set_school_plan(world, status: PlanStatus | None) -> None:
    if status is None:
        db.session.delete(world.school_plan)
    else:
        world.school_plan.status = status
        if status == PlanStatus.DRAFT:
            world.school_plan.submitted_at = None
            world.school_plan.updated_at = taipei(2024, 8, 22, 9, 15)
    db.session.commit()


# ---- the school plan's state and its report ------------------------------------------------


def test_no_plan_says_why_there_is_no_report(reports, client, factory, clock):
    world = build_world(factory, clock)
    _set_school_plan(world, None)
    login_account(client, world.accounts["planner"])

    html = _page(client)

    text = _text(html)
    assert "填報狀態 未填寫" in text
    assert "/school/plan.pdf" not in html
    assert "尚未填寫學校本位進修規劃，因此還沒有學校規劃報表" in text
    bodies = _follow_every_link(client, html)
    assert "/school/plan" in bodies
    assert client.get("/school/plan.pdf").status_code == 404  # what the page no longer offers


def test_draft_offers_the_watermarked_pdf(reports, client, factory, clock):
    world = build_world(factory, clock)
    _set_school_plan(world, PlanStatus.DRAFT)
    login_account(client, world.accounts["chief"])

    html = _page(client)

    assert "草稿，最後儲存 113年8月22日 09:15" in _text(html)
    assert "下載學校規劃報表草稿（PDF，加註「草稿」浮水印）" in html
    bodies = _follow_every_link(client, html)
    data = bodies["/school/plan.pdf"]
    assert data.startswith(b"%PDF-")
    assert_no_embedded_files(data)
    text = pdf_text(data)
    pages = len(pypdf.PdfReader(io.BytesIO(data)).pages)
    assert watermarked_pages(pdf_text(data, "-bbox")) == pages  # the watermark, every page
    assert text.count("學校本位進修規劃（草稿）") == pages  # and the running header
    assert "草稿，尚未送出（最後儲存113年8月22日09:15" in squash(text)


def test_submitted_plan_shows_its_time_and_the_report(reports, client, factory, clock):
    world = build_world(factory, clock)
    login_account(client, world.accounts["planner"])

    html = _page(client)

    assert "已送出 113年8月20日 16:30" in _text(html)
    assert "下載學校規劃報表（PDF）" in html
    assert "草稿，最後儲存" not in html
    data = _follow_every_link(client, html)["/school/plan.pdf"]
    assert data.startswith(b"%PDF-")
    assert watermarked_pages(pdf_text(data, "-bbox")) == 0
    assert "學校本位進修規劃（草稿）" not in pdf_text(data)


def test_english_dashboard(reports, client, factory, clock):
    world = build_world(factory, clock)
    _set_school_plan(world, PlanStatus.DRAFT)
    login_account(client, world.accounts["planner"])
    client.get("/lang/en")

    text = _text(_page(client))

    assert "Draft, last saved 113年8月22日 09:15 (2024-08-22 09:15)" in text
    assert "Download the draft school plan report (PDF, watermarked “draft”)" in text
    assert "Roster 3: submitted 1, draft 1, not started 1 (completion 33.3%)" in text
    assert "Not started" in text  # 林志豪's plan


# ---- the teachers ----------------------------------------------------------------------------


def test_teachers_to_fill_come_first_with_the_rate(reports, client, factory, clock):
    world = build_world(factory, clock)
    login_account(client, world.accounts["planner"])

    html = _page(client)

    assert "名單 3 人：已送出 1、草稿 1、未填寫 1（填報率 33.3%）" in _text(html)
    rows = ROW.findall(html)
    assert rows == [("林志豪", "未填寫"), ("陳美玲", "草稿"), ("王小明", "已送出")]
    assert "張大同" not in html  # another school's teacher
    assert world.teachers["none"].national_id_masked not in html


def test_a_long_roster_is_capped_with_a_link_to_the_full_list(
    reports, client, factory, clock, monkeypatch
):
    world = build_world(factory, clock)
    monkeypatch.setattr(school_routes, "TEACHER_CAP", 2)
    login_account(client, world.accounts["planner"])

    html = _page(client)

    assert len(ROW.findall(html)) == 2
    assert "列出 2／3 位" in html
    full = f"/oversight/dashboard/schools/{world.school.id}"
    assert f'href="{full}"' in html
    assert "另有 1 位教師" in html
    assert "王小明" in _follow_every_link(client, html)[full].decode()


def test_roster_accounts_see_no_teacher_progress(reports, client, factory, clock):
    world = build_world(factory, clock)
    login_account(client, world.accounts["roster"])

    html = _page(client)

    assert "teachers-title" not in html
    assert "/school/plan.pdf" not in html
    _follow_every_link(client, html)


def test_before_the_snapshot_the_page_says_when_the_list_comes(client, factory, clock):
    clock.set(taipei(2024, 7, 20, 10, 0))
    import_113()
    school = factory.school(Stage.ELEMENTARY)
    factory.teacher(school)
    planner = factory.account(school, AccountType.PLANNING)
    login_account(client, planner)

    html = _page(client)

    assert "教師名單於名單基準日 113年8月2日 17:00 截止後產生" in _text(html)
    assert "teachers-caption" not in html
    _follow_every_link(client, html)


# ---- kindergartens and rosters kept elsewhere -------------------------------------------------


def _kindergarten(factory, clock, *, take_part: bool):
    """愛河幼兒園 (its roster fed by 全國教保資訊網), two teachers, one plan submitted."""
    clock.set(taipei(2024, 9, 20, 10, 0))
    cycle = import_113()
    school = factory.school(Stage.KINDERGARTEN, name="高雄市立愛河幼兒園", source=RosterSource.ECE)
    submitted = factory.teacher(school, name="李老師")
    factory.teacher(school, name="周老師")
    if take_part:
        cycle.kindergarten_teachers_take_part = True
        db.session.add(
            Window(
                cycle_id=cycle.id,
                plan_kind=PlanKind.TEACHER,
                stage=Stage.KINDERGARTEN,
                opens_at=taipei(2024, 9, 2),
                closes_at=taipei(2024, 9, 27, 17, 0),
            )
        )
    take_snapshot(cycle, force=True, moment=taipei(2024, 8, 2, 17, 0))
    make_teacher_plan(cycle, submitted, school, TEACHER_ANSWERS)
    db.session.add(
        SyncRun(feed="ece", status=FeedStatus.APPLIED, started_at=taipei(2024, 9, 20, 2, 0))
    )
    return factory.account(school, AccountType.PLANNING)


def test_kindergarten_sees_its_teachers_progress(reports, client, factory, clock):
    planner = _kindergarten(factory, clock, take_part=True)
    login_account(client, planner)

    html = _page(client)

    text = _text(html)
    assert "幼兒園不需填寫學校本位進修規劃，只參加教師自我專業進修規劃。" in text
    assert "名單 2 人：已送出 1、草稿 0、未填寫 1（填報率 50.0%）" in text
    assert ROW.findall(html) == [("周老師", "未填寫"), ("李老師", "已送出")]
    assert 'href="/school/plan' not in html  # no school plan: its form, report nor history
    # The roster comes from 全國教保資訊網: where to change it, and the last nightly run.
    assert "本校教師名單由全國教保資訊網填報系統維護" in text
    assert 'href="https://www.ece.moe.edu.tw/"' in html
    assert "每晚自動匯入" in text
    assert "最近一次夜間更新：113年9月20日 02:00" in text
    _follow_every_link(client, html)


def test_kindergarten_whose_teachers_do_not_take_part(reports, client, factory, clock):
    planner = _kindergarten(factory, clock, take_part=False)
    login_account(client, planner)

    html = _page(client)

    assert "本學年度本校教師不需填寫教師自我專業進修規劃。" in _text(html)
    assert "teachers-caption" not in html


@pytest.mark.parametrize(
    ("source", "name", "url"),
    [
        (RosterSource.TAIPEI, "臺北市教師研習網", "https://insc.tp.edu.tw/"),
        (RosterSource.LOCAL, None, None),
    ],
)
def test_the_roster_source_is_named(reports, client, factory, clock, source, name, url):
    world = build_world(factory, clock)
    world.school.roster_source = source
    db.session.commit()
    login_account(client, world.accounts["chief"])

    html = _page(client)

    if name is None:
        assert "每晚自動匯入" not in html
        return
    text = _text(html)
    assert f"本校教師名單由{name}維護：新增、異動或離職請至該系統辦理" in text
    assert f'href="{url}"' in html
    assert "最近一次夜間更新：尚無紀錄" in text
    client.get("/lang/en")
    english = _text(_page(client))
    assert f"maintained in {name}" in english
    assert "arrive here with the nightly import" in english
