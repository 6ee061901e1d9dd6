"""延長填寫: grants to a school or a teacher, bulk grants, revocation, scope and display."""

from __future__ import annotations

import re
from datetime import datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from app.deadlines import services
from app.deadlines.services import ExtensionRefused
from app.extensions import db
from app.models import (
    AccountKind,
    AuditEntry,
    Authority,
    AuthorityKind,
    County,
    Extension,
    ExtensionBatch,
    PlanKind,
    Region,
    Stage,
)
from app.timeutil import taipei
from tests.conftest import login_account, login_teacher
from tests.plan_helpers import school_form, setup_113, teacher_form
from tests.test_plan_fuzz import HOSTILE

AFTER_SCHOOL_CLOSE = taipei(2024, 8, 24, 10, 0)  # 國小 school plan closed 8/23 17:00
AFTER_TEACHER_CLOSE = taipei(2024, 9, 28, 10, 0)  # 國小 teacher plan closed 9/27 17:00


@pytest.fixture
def world(factory):
    """Kaohsiung: two 國小 and one 國中; Taipei: one 國小; authorities and an operator."""
    seeded = setup_113(factory, stages=(Stage.ELEMENTARY, Stage.JUNIOR))
    kaohsiung = factory.county()
    north = Region(code="N", name="北區")
    db.session.add(north)
    db.session.flush()
    taipei_county = County(code="63000", name="臺北市", region_id=north.id)
    db.session.add(taipei_county)
    db.session.flush()
    second = factory.school(Stage.ELEMENTARY, name="高雄市立第二國小")
    far = factory.school(Stage.ELEMENTARY, name="臺北市立遠方國小", county=taipei_county)
    national = Authority(name="教育部國民及學前教育署", kind=AuthorityKind.NATIONAL)
    db.session.add(national)
    db.session.flush()
    seeded.update(
        elementary=seeded["schools"][Stage.ELEMENTARY],
        junior=seeded["schools"][Stage.JUNIOR],
        second=second,
        far=far,
        second_planner=factory.account(second, *[_planning()]),
        far_planner=factory.account(far, *[_planning()]),
        county=factory.account(
            None, kind=AccountKind.AUTHORITY, authority_id=factory.authority(kaohsiung).id
        ),
        other_county=factory.account(
            None, kind=AccountKind.AUTHORITY, authority_id=factory.authority(taipei_county).id
        ),
        national=factory.account(None, kind=AccountKind.AUTHORITY, authority_id=national.id),
        operator=factory.account(None, kind=AccountKind.OPERATOR),
    )
    db.session.commit()
    return seeded


def _planning():
    from app.models import AccountType

    return AccountType.PLANNING


def _grant_form(**overrides: str) -> dict[str, str]:
    data = {
        "plan_kind": "school",
        "target": "school",
        "school_code": "",
        "national_id": "",
        "until_date": "2024-08-30",
        "until_time": "17:00",
        "reason": "颱風停班停課",
    }
    data.update(overrides)
    return data


def _bulk_form(**overrides: str) -> dict[str, str]:
    data = {
        "county": "64000",
        "stage": "E",
        "plan_kind": "school",
        "until_date": "2024-08-30",
        "until_time": "17:00",
        "reason": "颱風停班停課",
    }
    data.update(overrides)
    return data


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model)) or 0


# ---- the rules, without the HTTP client ----------------------------------------------------


def test_a_grant_to_a_school_is_recorded_and_audited(app, world, clock):
    clock.set(AFTER_SCHOOL_CLOSE)
    until = taipei(2024, 8, 30, 17, 0)
    extension = services.grant_to_school(
        world["county"], world["cycle"], PlanKind.SCHOOL, world["elementary"], until, "颱風"
    )
    assert extension.until == until
    assert extension.concerns_school_id == world["elementary"].id
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "extension.grant"))
    assert entry.object_id == str(extension.id)
    assert entry.school_id == world["elementary"].id
    assert entry.actor == f"account:{world['county'].id}"


@pytest.mark.parametrize(
    ("moment", "until", "message"),
    [
        # an end before now
        (taipei(2024, 8, 26, 9, 0), taipei(2024, 8, 25, 17, 0), "必須晚於現在"),
        # an end before the window's own close (8/23 17:00), while the window is still open
        (taipei(2024, 8, 20, 9, 0), taipei(2024, 8, 22, 17, 0), "必須晚於原填寫期間的截止時間"),
        # an end after the end of the academic year (2025-07-31 24:00)
        (AFTER_SCHOOL_CLOSE, taipei(2025, 8, 1, 0, 1), "不可晚於本學年度結束"),
    ],
)
def test_an_end_that_moves_nothing_or_too_far_is_refused(app, world, clock, moment, until, message):
    clock.set(moment)
    with pytest.raises(ExtensionRefused) as refused:
        services.grant_to_school(
            world["county"], world["cycle"], PlanKind.SCHOOL, world["elementary"], until, "颱風"
        )
    assert message in refused.value.errors["until_date"]
    assert _count(Extension) == 0


def test_the_last_moment_of_the_academic_year_is_allowed(app, world, clock):
    clock.set(AFTER_SCHOOL_CLOSE)
    services.grant_to_school(
        world["operator"],
        world["cycle"],
        PlanKind.SCHOOL,
        world["far"],
        taipei(2025, 8, 1, 0, 0),
        "年度結束前",
    )
    assert _count(Extension) == 1


def test_a_school_outside_the_granters_scope_is_refused(app, world, clock):
    clock.set(AFTER_SCHOOL_CLOSE)
    until = taipei(2024, 8, 30, 17, 0)
    with pytest.raises(ExtensionRefused) as refused:
        services.grant_to_school(
            world["county"], world["cycle"], PlanKind.SCHOOL, world["far"], until, "越權"
        )
    assert "不在您的管轄範圍" in refused.value.errors["school_code"]
    # The national authority and the operator see every school.
    for who in ("national", "operator"):
        services.grant_to_school(
            world[who], world["cycle"], PlanKind.SCHOOL, world["far"], until, "全國"
        )
    assert _count(Extension) == 2


def test_a_kindergarten_school_plan_cannot_be_extended(app, world, factory, clock):
    clock.set(AFTER_SCHOOL_CLOSE)
    kindergarten = factory.school(Stage.KINDERGARTEN)
    with pytest.raises(ExtensionRefused) as refused:
        services.grant_to_school(
            world["county"],
            world["cycle"],
            PlanKind.SCHOOL,
            kindergarten,
            taipei(2024, 8, 30, 17, 0),
            "幼兒園",
        )
    assert "不填寫" in refused.value.errors["plan_kind"]


def test_a_teacher_outside_the_scope_or_the_roster_is_refused(app, world, factory, clock):
    clock.set(AFTER_TEACHER_CLOSE)
    newcomer = factory.teacher(world["elementary"], name="名單後到職")  # not in the snapshot
    db.session.commit()
    until = taipei(2024, 10, 4, 17, 0)
    for granter, teacher in (
        (world["other_county"], world["teachers"][Stage.ELEMENTARY]),
        (world["county"], newcomer),
    ):
        with pytest.raises(ExtensionRefused) as refused:
            services.grant_to_teacher(granter, world["cycle"], teacher, until, "病假")
        assert "教師名單" in refused.value.errors["national_id"]
    assert _count(Extension) == 0


def test_a_revoked_extension_closes_the_window_again(app, client, world, clock):
    clock.set(AFTER_SCHOOL_CLOSE)
    extension = services.grant_to_school(
        world["county"],
        world["cycle"],
        PlanKind.SCHOOL,
        world["elementary"],
        taipei(2024, 8, 30, 17, 0),
        "颱風",
    )
    services.revoke(world["county"], extension)
    db.session.commit()
    login_account(client, world["planners"][Stage.ELEMENTARY])
    assert client.post("/school/plan", data=school_form(0)).status_code == 409
    with pytest.raises(ExtensionRefused):
        services.revoke(world["county"], extension)
    actions = db.session.scalars(
        select(AuditEntry.action)
        .where(AuditEntry.object_type == "extension")
        .order_by(AuditEntry.id)
    ).all()
    assert actions == ["extension.grant", "extension.revoke"]


# ---- through the pages ------------------------------------------------------------------------


def test_an_authority_grants_a_school_and_only_that_school_may_submit_late(
    app, client, world, clock
):
    clock.set(AFTER_SCHOOL_CLOSE)
    login_account(client, world["county"])
    page = client.get(f"/oversight/extensions/new?school={world['elementary'].id}")
    assert f'value="{world["elementary"].code}"' in page.get_data(as_text=True)
    response = client.post(
        "/oversight/extensions/new", data=_grant_form(school_code=world["elementary"].code)
    )
    assert response.status_code == 303
    listing = client.get("/oversight/extensions/").get_data(as_text=True)
    assert world["elementary"].name in listing
    assert "113年8月30日 17:00" in listing

    planner = app.test_client()
    login_account(planner, world["planners"][Stage.ELEMENTARY])
    dashboard = planner.get("/school/").get_data(as_text=True)
    assert "延長至 113年8月30日 17:00" in dashboard
    assert "延長至" in planner.get("/school/plan").get_data(as_text=True)
    assert planner.post("/school/plan", data=school_form(0, action="submit")).status_code == 303

    other = app.test_client()
    login_account(other, world["second_planner"])
    assert "延長至" not in other.get("/school/").get_data(as_text=True)
    assert other.post("/school/plan", data=school_form(0)).status_code == 409

    clock.set(taipei(2024, 8, 30, 17, 0))  # the extension's end: closed again
    assert planner.post("/school/plan", data=school_form(1)).status_code == 409


def test_the_home_page_table_is_unchanged_by_an_extension(app, client, world, clock):
    clock.set(AFTER_SCHOOL_CLOSE)
    before = client.get("/").get_data(as_text=True)
    services.grant_to_school(
        world["county"],
        world["cycle"],
        PlanKind.SCHOOL,
        world["elementary"],
        taipei(2024, 8, 30, 17, 0),
        "颱風",
    )
    db.session.commit()
    after = client.get("/").get_data(as_text=True)
    assert after == before
    assert "延長至" not in after


def test_a_teacher_extension_lets_that_teacher_save_and_submit_after_the_close(
    app, client, world, factory, clock
):
    school = world["elementary"]
    lucky = world["teachers"][Stage.ELEMENTARY]
    clock.set(AFTER_TEACHER_CLOSE)
    login_account(client, world["county"])
    response = client.post(
        "/oversight/extensions/new",
        data=_grant_form(
            plan_kind="teacher",
            target="teacher",
            national_id=lucky.plain_national_id,
            until_date="2024-10-04",
        ),
    )
    assert response.status_code == 303, response.get_data(as_text=True)
    extension = db.session.scalar(select(Extension))
    assert extension.teacher_id == lucky.id
    assert extension.school_id is None
    assert extension.concerns_school_id == school.id
    listing = client.get("/oversight/extensions/").get_data(as_text=True)
    assert lucky.plain_national_id not in listing  # masked on screen
    assert lucky.national_id_masked in listing

    teacher = app.test_client()
    login_teacher(teacher, lucky)
    assert "延長至 113年10月4日 17:00" in teacher.get("/teacher/").get_data(as_text=True)
    assert teacher.post("/teacher/plan", data=teacher_form(0)).status_code == 303
    assert teacher.post("/teacher/plan", data=teacher_form(1, action="submit")).status_code == 303

    # Another teacher of the same school keeps the stage's close.
    colleague = world["teachers"][Stage.JUNIOR]
    other = app.test_client()
    login_teacher(other, colleague)
    assert "延長至" not in other.get("/teacher/").get_data(as_text=True)
    assert other.post("/teacher/plan", data=teacher_form(0)).status_code == 409


def test_a_teacher_chosen_from_a_list_is_named_masked_and_granted(app, client, world, clock):
    clock.set(AFTER_TEACHER_CLOSE)
    lucky = world["teachers"][Stage.ELEMENTARY]
    login_account(client, world["county"])
    page = client.get(f"/oversight/extensions/new?teacher={lucky.id}").get_data(as_text=True)
    assert lucky.name in page
    assert lucky.national_id_masked in page
    assert lucky.plain_national_id not in page
    response = client.post(
        "/oversight/extensions/new",
        data=_grant_form(
            plan_kind="teacher", target="teacher", teacher_id=str(lucky.id), until_date="2024-10-04"
        ),
    )
    assert response.status_code == 303
    # Another county's authority cannot name the teacher by id.
    other = app.test_client()
    login_account(other, world["other_county"])
    page = other.get(f"/oversight/extensions/new?teacher={lucky.id}").get_data(as_text=True)
    assert lucky.name not in page
    assert "教師名單" in page
    refused = other.post(
        "/oversight/extensions/new",
        data=_grant_form(
            plan_kind="teacher", target="teacher", teacher_id=str(lucky.id), until_date="2024-10-04"
        ),
    )
    assert refused.status_code == 422
    assert _count(Extension) == 1


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"until_date": "2024-08-20"}, "until_date", "必須晚於現在"),
        ({"until_date": "2025-08-02"}, "until_date", "不可晚於本學年度結束"),
        ({"until_date": "30/08/2024"}, "until_date", "日期格式不正確"),
        ({"until_time": "25:99"}, "until_time", "時間格式不正確"),
        ({"school_code": "999999"}, "school_code", "查無此學校代碼"),
        ({"school_code": ""}, "school_code", "請輸入學校代碼"),
        ({"reason": ""}, "reason", "請說明延長原因"),
        ({"reason": "長" * 201}, "reason", "最多 200 個字"),
        ({"plan_kind": "everything"}, "plan_kind", "請從清單中選擇"),
        ({"target": "teacher", "national_id": "A123"}, "national_id", ""),
        ({"target": "teacher", "plan_kind": "school"}, "plan_kind", "教師自我專業進修規劃"),
    ],
)
def test_bad_grants_are_refused_beside_the_field_keeping_what_was_typed(
    client, world, clock, fields, field, message
):
    clock.set(AFTER_SCHOOL_CLOSE)
    login_account(client, world["county"])
    data = _grant_form(school_code=world["elementary"].code, reason="颱風停班停課")
    data.update(fields)
    response = client.post("/oversight/extensions/new", data=data)
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    assert f'id="{field}-error"' in body
    assert message in body
    assert re.search(rf'aria-describedby="[^"]*{field}-error"', body)  # tied to its field
    if "reason" not in fields:
        assert "颱風停班停課" in body  # kept as typed
    assert _count(Extension) == 0


def test_a_school_of_another_county_is_refused_beside_the_field(client, world, clock):
    clock.set(AFTER_SCHOOL_CLOSE)
    login_account(client, world["county"])
    page = client.get(f"/oversight/extensions/new?school={world['far'].id}").get_data(as_text=True)
    assert world["far"].code not in page
    assert "不在您的管轄範圍" in page
    response = client.post(
        "/oversight/extensions/new", data=_grant_form(school_code=world["far"].code)
    )
    assert response.status_code == 422
    assert "不在您的管轄範圍" in response.get_data(as_text=True)
    assert _count(Extension) == 0


# ---- bulk grants ------------------------------------------------------------------------------


def test_a_bulk_grant_extends_every_school_of_the_county_and_stage_at_once(
    app, client, world, clock
):
    clock.set(AFTER_SCHOOL_CLOSE)
    login_account(client, world["county"])
    form = client.get("/oversight/extensions/bulk?county=64000&stage=E&kind=school")
    assert re.search(r"<option[^>]*selected[^>]*value=\"64000\"", form.get_data(as_text=True))
    response = client.post("/oversight/extensions/bulk", data=_bulk_form())
    assert response.status_code == 303
    batch = db.session.scalar(select(ExtensionBatch))
    assert batch.school_count == 2
    granted = db.session.scalars(select(Extension.school_id).order_by(Extension.school_id)).all()
    assert sorted(granted) == sorted([world["elementary"].id, world["second"].id])
    flashed = client.get("/oversight/extensions/").get_data(as_text=True)
    assert "共 2 所學校" in flashed
    assert f"撤銷批次 #{batch.id}" in flashed
    audit = db.session.scalars(select(AuditEntry.action)).all()
    assert audit.count("extension.grant") == 2
    assert audit.count("extension_batch.grant") == 1

    for planner in (world["planners"][Stage.ELEMENTARY], world["second_planner"]):
        other = app.test_client()
        login_account(other, planner)
        assert other.post("/school/plan", data=school_form(0)).status_code == 303
    for planner in (world["planners"][Stage.JUNIOR], world["far_planner"]):
        other = app.test_client()
        login_account(other, planner)
        assert other.post("/school/plan", data=school_form(0)).status_code == 409


def test_a_bulk_batch_is_revoked_at_once_after_a_confirmation(app, client, world, clock):
    clock.set(AFTER_SCHOOL_CLOSE)
    login_account(client, world["county"])
    client.post("/oversight/extensions/bulk", data=_bulk_form())
    batch = db.session.scalar(select(ExtensionBatch))
    confirm = client.get(f"/oversight/extensions/batches/{batch.id}/revoke")
    assert confirm.status_code == 200
    assert "確定撤銷批次延長" in confirm.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).where(Extension.revoked_at.is_(None))) == 2
    response = client.post(f"/oversight/extensions/batches/{batch.id}/revoke")
    assert response.status_code == 303
    db.session.refresh(batch)
    assert batch.revoked_at is not None
    assert batch.revoked_by_id == world["county"].id
    assert db.session.scalar(select(func.count()).where(Extension.revoked_at.is_(None))) == 0
    audit = db.session.scalars(select(AuditEntry.action)).all()
    assert audit.count("extension.revoke") == 2
    assert audit.count("extension_batch.revoke") == 1
    planner = app.test_client()
    login_account(planner, world["second_planner"])
    assert planner.post("/school/plan", data=school_form(0)).status_code == 409
    again = client.post(f"/oversight/extensions/batches/{batch.id}/revoke")
    assert again.status_code == 409
    assert "已經撤銷" in again.get_data(as_text=True)


@pytest.mark.parametrize("county", ["63000", "99999", "abc"])
def test_a_bulk_grant_to_a_county_not_governed_is_refused_beside_the_field(
    client, world, clock, county
):
    clock.set(AFTER_SCHOOL_CLOSE)
    login_account(client, world["county"])
    response = client.post("/oversight/extensions/bulk", data=_bulk_form(county=county))
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    assert 'id="county-error"' in body
    assert "您不主管此縣市" in body
    assert "臺北市立遠方國小" not in body
    assert _count(Extension) == 0
    assert _count(ExtensionBatch) == 0
    prefilled = client.get(f"/oversight/extensions/bulk?county={county}")
    assert prefilled.status_code in (200, 404)  # a malformed code names no county


def test_a_bulk_grant_with_no_school_in_scope_is_refused(client, world, factory, clock):
    clock.set(AFTER_SCHOOL_CLOSE)
    login_account(client, world["county"])
    response = client.post("/oversight/extensions/bulk", data=_bulk_form(stage="S"))
    assert response.status_code == 422
    assert "沒有您所轄的此教育階段學校" in response.get_data(as_text=True)
    assert _count(ExtensionBatch) == 0


def test_the_national_authority_may_bulk_grant_any_county(client, world, clock):
    clock.set(AFTER_SCHOOL_CLOSE)
    login_account(client, world["national"])
    response = client.post("/oversight/extensions/bulk", data=_bulk_form(county="63000"))
    assert response.status_code == 303
    assert db.session.scalars(select(Extension.school_id)).all() == [world["far"].id]


# ---- the list and revoking one -----------------------------------------------------------------


def _grant_all(world) -> tuple[Extension, Extension]:
    until = taipei(2024, 8, 30, 17, 0)
    own = services.grant_to_school(
        world["county"], world["cycle"], PlanKind.SCHOOL, world["elementary"], until, "本縣"
    )
    far = services.grant_to_school(
        world["other_county"], world["cycle"], PlanKind.SCHOOL, world["far"], until, "外縣"
    )
    db.session.commit()
    return own, far


def test_the_list_shows_only_the_viewers_scope(client, world, clock):
    clock.set(AFTER_SCHOOL_CLOSE)
    _own, far = _grant_all(world)
    login_account(client, world["county"])
    page = client.get("/oversight/extensions/").get_data(as_text=True)
    assert world["elementary"].name in page
    assert world["far"].name not in page
    # Another county's extension is missing, not forbidden: nothing tells it exists.
    assert client.get(f"/oversight/extensions/{far.id}/revoke").status_code == 404
    assert client.post(f"/oversight/extensions/{far.id}/revoke").status_code == 404
    db.session.refresh(far)
    assert far.revoked_at is None


def test_revoking_one_extension_asks_first(client, world, clock):
    clock.set(AFTER_SCHOOL_CLOSE)
    own, _far = _grant_all(world)
    login_account(client, world["county"])
    confirm = client.get(f"/oversight/extensions/{own.id}/revoke")
    assert "確定撤銷延長" in confirm.get_data(as_text=True)
    db.session.refresh(own)
    assert own.revoked_at is None  # GET never writes
    assert client.post(f"/oversight/extensions/{own.id}/revoke").status_code == 303
    db.session.refresh(own)
    assert own.revoked_at is not None
    page = client.get("/oversight/extensions/?status=revoked").get_data(as_text=True)
    assert "已撤銷" in page
    assert world["elementary"].name in page
    assert (
        world["elementary"].name
        not in client.get("/oversight/extensions/")
        .get_data(as_text=True)
        .split("各校與教師的延長")[1]
    )


@pytest.mark.parametrize(
    "query",
    ["kind=everything", "status=maybe", "county=63000", "county=x", "school=%27%3B--", "page=-3"],
)
def test_forged_filters_are_refused_in_words_never_a_500(client, world, clock, query):
    clock.set(AFTER_SCHOOL_CLOSE)
    _grant_all(world)
    login_account(client, world["county"])
    response = client.get(f"/oversight/extensions/?{query}")
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert world["far"].name not in body
    if query.startswith(("kind", "status", "county")):
        assert 'class="error"' in body


def test_the_filter_answers_htmx_with_the_rows_only(client, world, clock):
    clock.set(AFTER_SCHOOL_CLOSE)
    _grant_all(world)
    login_account(client, world["operator"])
    response = client.get("/oversight/extensions/?county=63000", headers={"HX-Request": "true"})
    body = response.get_data(as_text=True)
    assert body.lstrip().startswith('<div id="extension-rows">')
    assert world["far"].name in body
    assert world["elementary"].name not in body
    assert "HX-Request" in response.headers["Vary"]


def test_a_school_account_may_not_grant(client, world):
    login_account(client, world["planners"][Stage.ELEMENTARY])
    assert client.get("/oversight/extensions/").status_code == 403
    assert client.post("/oversight/extensions/bulk", data=_bulk_form()).status_code == 403


def test_without_a_published_cycle_the_pages_say_so(client, factory):
    county = factory.county()
    account = factory.account(
        None, kind=AccountKind.AUTHORITY, authority_id=factory.authority(county).id
    )
    login_account(client, account)
    for path in (
        "/oversight/extensions/",
        "/oversight/extensions/new",
        "/oversight/extensions/bulk",
    ):
        response = client.get(path)
        assert response.status_code == 200
        assert "目前沒有已公告的學年度" in response.get_data(as_text=True)


def test_cycle_end_is_the_end_of_the_academic_year(app, world):
    ends: datetime = services.cycle_ends_at(world["cycle"])
    assert ends == taipei(2025, 8, 1, 0, 0)


# ---- hostile input ------------------------------------------------------------------------------

FUZZ = settings(
    max_examples=80,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
GRANT_FIELDS = ["plan_kind", "target", "school_code", "national_id", "teacher_id"]
GRANT_FIELDS += ["until_date", "until_time", "reason"]
VALUES = st.one_of(st.sampled_from(HOSTILE), st.text(max_size=30))


@FUZZ
@given(
    grant=st.dictionaries(
        st.sampled_from(GRANT_FIELDS),
        VALUES,
        max_size=4,
    ),
    bulk=st.dictionaries(
        st.sampled_from(["county", "stage", "plan_kind", "until_date", "until_time", "reason"]),
        VALUES,
        max_size=3,
    ),
)
def test_hostile_grants_never_fail_and_never_reach_another_county(
    client, world, clock, grant, bulk
):
    clock.set(AFTER_SCHOOL_CLOSE)
    login_account(client, world["county"])
    response = client.post(
        "/oversight/extensions/new",
        data=_grant_form(school_code=world["elementary"].code) | grant,
    )
    assert response.status_code in (303, 422), response.status_code
    response = client.post("/oversight/extensions/bulk", data=_bulk_form() | bulk)
    assert response.status_code in (303, 422), response.status_code
    far = select(func.count()).where(Extension.concerns_school_id == world["far"].id)
    assert db.session.scalar(far) == 0


def test_the_list_is_paginated_and_keeps_its_filters(client, world, factory, clock):
    clock.set(AFTER_SCHOOL_CLOSE)
    for n in range(30):
        factory.school(Stage.ELEMENTARY, name=f"高雄市立分頁{n:02d}國小")
    db.session.commit()
    login_account(client, world["county"])
    client.post("/oversight/extensions/bulk", data=_bulk_form())
    assert _count(Extension) == 32
    first = client.get("/oversight/extensions/?kind=school").get_data(as_text=True)
    assert "共 32 筆" in first
    assert "第 1／2 頁" in first
    assert "page=2" in first
    assert "kind=school" in first.split('rel="next"')[0].rsplit("href=", 1)[1]
    second = client.get("/oversight/extensions/?kind=school&page=2").get_data(as_text=True)
    assert "第 2／2 頁" in second
    assert second.count("/revoke") == 2 + 1  # two rows, and the batch's revoke link
