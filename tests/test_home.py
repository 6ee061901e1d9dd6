"""The home page: current cycle, windows per stage with their state, contact, entries."""

from __future__ import annotations

import re

import pytest

from app.timeutil import taipei
from tests.plan_helpers import import_113

STATE_TEXT = {"not_open": "未開放", "open": "填寫中", "closed": "已截止"}


def _states(html: str, kind: str) -> dict[str, str]:
    table = html.split(f'id="schedule-{kind}"', 1)[1].split("</table>", 1)[0]
    states = {}
    for stage, row in re.findall(r'data-stage="(\w)">(.*?)</tr>', table, re.S):
        states[stage] = next(k for k, text in STATE_TEXT.items() if text in row)
    return states


@pytest.mark.parametrize(
    ("moment", "school", "teacher"),
    [
        (
            taipei(2024, 8, 4, 23, 59, 59),
            dict(S="not_open", V="not_open", X="not_open", J="not_open", E="not_open"),
            dict(S="not_open", V="not_open", X="not_open", J="not_open", E="not_open"),
        ),
        (
            taipei(2024, 8, 5, 0, 0),
            dict(S="open", V="open", X="open", J="not_open", E="not_open"),
            None,
        ),
        (
            taipei(2024, 8, 14, 16, 59, 59),
            dict(S="open", V="open", X="open", J="open", E="open"),
            None,
        ),
        (
            taipei(2024, 8, 14, 17, 0),
            dict(S="closed", V="closed", X="open", J="open", E="open"),
            None,
        ),
        (
            taipei(2024, 8, 23, 17, 0),
            dict(S="closed", V="closed", X="closed", J="closed", E="closed"),
            dict(S="not_open", V="not_open", X="not_open", J="not_open", E="not_open"),
        ),
        (
            taipei(2024, 9, 13, 17, 0),
            None,
            dict(S="closed", V="closed", X="closed", J="open", E="not_open"),
        ),
        (
            taipei(2024, 9, 27, 16, 59, 59),
            None,
            dict(S="closed", V="closed", X="closed", J="closed", E="open"),
        ),
        (
            taipei(2024, 9, 27, 17, 0),
            None,
            dict(S="closed", V="closed", X="closed", J="closed", E="closed"),
        ),
    ],
)
def test_home_shows_113_window_states_at_chosen_instants(client, clock, moment, school, teacher):
    import_113()
    from app.extensions import db

    db.session.commit()
    clock.set(moment)
    html = client.get("/").get_data(as_text=True)
    if school is not None:
        assert _states(html, "school") == school
    if teacher is not None:
        assert _states(html, "teacher") == teacher


def test_home_shows_dates_contact_and_entry_points(client, clock):
    import_113()
    from app.extensions import db

    db.session.commit()
    clock.set(taipei(2024, 8, 20, 10, 0))
    html = client.get("/").get_data(as_text=True)
    assert "113學年度" in html
    assert "113年8月2日 17:00" in html  # roster cutoff
    assert "113年8月23日 17:00" in html
    assert "113年9月27日 17:00" in html
    assert "07-7258600" in html
    assert "inservice@mail.nknu.edu.tw" in html
    assert 'href="/school/"' in html
    assert 'href="/teacher/"' in html
    assert "剩 3 天 7 小時" in html  # time left for 國小 (closes 8/23 17:00)
    assert "/manuals/school.pdf?year=113" in html  # the manuals of the cycle shown
    assert "/manuals/teacher.pdf?year=113" in html


def test_home_without_any_cycle(client):
    response = client.get("/")
    assert response.status_code == 200
    assert "目前沒有開放中的學年度" in response.get_data(as_text=True)


def test_healthz(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}


def test_browser_zh_tw_is_matched_and_english_selectable(client):
    page = client.get("/", headers={"Accept-Language": "zh-TW,zh;q=0.9,en;q=0.5"})
    assert 'lang="zh-Hant-TW"' in page.get_data(as_text=True)
    english = client.get("/", headers={"Accept-Language": "en-US"})
    assert 'lang="en"' in english.get_data(as_text=True)
    client.get("/lang/zh")
    assert 'lang="zh-Hant-TW"' in client.get("/", headers={"Accept-Language": "en-US"}).get_data(
        as_text=True
    )


def test_unknown_page_is_a_zh_tw_404(client):
    response = client.get("/no-such-page")
    assert response.status_code == 404
    assert "找不到頁面" in response.get_data(as_text=True)


def test_production_refuses_demo_secrets(make_app):
    from app.config import ConfigError

    with pytest.raises(ConfigError, match="SECRET_KEY"):
        make_app(ENV_NAME="production", SECRET_KEY="demo-secret-key-do-not-use-in-production")


def test_each_role_finds_its_reports_on_the_dashboard(client, factory):
    from app.cycles.services import latest_questionnaire
    from app.models import AccountKind, AccountType, AuthorityKind, PlanKind, SchoolPlan
    from tests.conftest import login_account

    cycle = import_113()
    county = factory.authority()
    school = factory.school()
    # The school report is offered once there is a plan to print (a draft at least).
    draft_plan = SchoolPlan(
        cycle_id=cycle.id,
        school_id=school.id,
        questionnaire_id=latest_questionnaire(cycle, PlanKind.SCHOOL).id,
        answers={},
        updated_by="test",
    )
    checks = [
        (factory.account(school, AccountType.PLANNING), "/school/plan.pdf"),
        (
            factory.account(None, kind=AccountKind.AUTHORITY, authority_id=county.id),
            "/oversight/county.pdf",
        ),
        (factory.account(None, kind=AccountKind.OPERATOR), "/oversight/national.pdf"),
    ]
    from app.extensions import db
    from app.models import Authority

    national = Authority(name="教育部國民及學前教育署", kind=AuthorityKind.NATIONAL)
    db.session.add_all([national, draft_plan])
    db.session.flush()
    checks.append(
        (
            factory.account(None, kind=AccountKind.AUTHORITY, authority_id=national.id),
            "/oversight/national.pdf",
        )
    )
    for account, link in checks:
        login_account(client, account)
        assert link in client.get("/school/").get_data(as_text=True)
        client.post("/logout")


def test_english_is_selectable(client, clock):
    import_113()
    from app.extensions import db

    db.session.commit()
    clock.set(taipei(2024, 8, 20, 10, 0))
    client.get("/lang/en")
    html = client.get("/").get_data(as_text=True)
    assert 'lang="en"' in html
    assert "Schedule" in html
    assert "Elementary" in html
    assert "3 days 7 hours left" in html
    login = client.get("/teacher/login").get_data(as_text=True)
    assert "Teacher sign-in" in login
    assert "National ID or resident certificate number" in login


def test_pages_carry_security_headers(client):
    response = client.get("/")
    policy = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy
    assert "frame-ancestors 'none'" in policy
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"


def test_english_home_puts_the_gregorian_date_beside_the_roc_date(client, clock):
    import_113()
    from app.extensions import db

    db.session.commit()
    clock.set(taipei(2024, 8, 20, 10, 0))
    client.get("/lang/en")
    html = client.get("/").get_data(as_text=True)
    assert "Roster cutoff: <strong>113年8月2日 17:00 (2024-08-02 17:00)</strong>" in html
    assert "113年8月23日 17:00 (2024-08-23 17:00)" in html
    assert "Roster cutoff：" not in html  # no full-width colon after an English label

    client.get("/lang/zh")
    html = client.get("/").get_data(as_text=True)
    assert "教師名單基準日：<strong>113年8月2日 17:00</strong>" in html
    assert "(2024-08-02" not in html
