"""Plan history: earlier cycles read-only, prefill from last cycle, version history and
comparison, each version's PDF; scope (404 for what is not one's own) on both databases."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.history.carry import carry_over, fill_empty
from app.history.compare import ADDED, CHANGED, REMOVED, SAME, compare, compare_rows
from app.models import (
    AccountType,
    AuditEntry,
    PlanKind,
    PlanStatus,
    PlanVersion,
    SchoolPlan,
    Stage,
    TeacherPlan,
)
from app.questionnaires import engine
from app.reports import documents, jobs
from app.reports.versions import version_document
from tests.conftest import login_account, login_teacher
from tests.history_helpers import (
    ROW_COMMUNITY,
    ROW_READING,
    SCHOOL_114,
    TEACHER_114,
    import_114,
    school_v1,
    school_v2,
    submit_school,
    submit_teacher,
    teacher_v1,
    teacher_v3,
)
from tests.plan_helpers import setup_113
from tests.test_reports_support import assert_pdf_download, download

# ---- carrying answers over: a pure function ------------------------------------------------

OLD = {
    "sections": [
        {
            "code": "s",
            "title": {"zh": "甲"},
            "questions": [
                {"code": "name", "type": "fact", "fact": "teacher_name", "label": {"zh": "姓名"}},
                {"code": "note", "type": "text", "label": {"zh": "備註"}},
                {
                    "code": "pick",
                    "type": "single",
                    "label": {"zh": "單選"},
                    "options": [{"code": "a", "label": {"zh": "A"}}, {"code": "b", "label": {}}],
                },
                {
                    "code": "many",
                    "type": "multiple",
                    "label": {"zh": "複選"},
                    "options": [{"code": "x", "label": {}}, {"code": "y", "label": {}}],
                },
                {
                    "code": "rank",
                    "type": "ranking",
                    "ranks": 3,
                    "label": {"zh": "排序"},
                    "options": [{"code": c, "label": {}} for c in ("r1", "r2", "r3")],
                },
                {"code": "hours", "type": "number", "label": {"zh": "時數"}},
                {
                    "code": "rows",
                    "type": "rows",
                    "label": {"zh": "活動"},
                    "max_rows": 5,
                    "fields": [
                        {"code": "topic", "type": "text", "label": {"zh": "主題"}},
                        {
                            "code": "mode",
                            "type": "single",
                            "label": {"zh": "方式"},
                            "options": [
                                {"code": "m1", "label": {"zh": "研習"}},
                                {"code": "m2", "label": {"zh": "社群"}},
                            ],
                        },
                    ],
                },
            ],
        }
    ]
}


def _new_definition() -> dict[str, Any]:
    """OLD with option b, y, r2 and m2 gone, `hours` now a text, and a new question."""
    new = {"sections": [{**OLD["sections"][0], "questions": []}]}
    for question in OLD["sections"][0]["questions"]:
        question = dict(question)
        if question["code"] in ("pick", "many", "rank"):
            gone = {"b", "y", "r2"}
            question["options"] = [o for o in question["options"] if o["code"] not in gone]
        if question["code"] == "hours":
            question["type"] = "text"
        if question["code"] == "rows":
            mode = dict(question["fields"][1])
            mode["options"] = mode["options"][:1]
            question["fields"] = [question["fields"][0], mode]
        new["sections"][0]["questions"].append(question)
    new["sections"][0]["questions"].append(
        {"code": "goal", "type": "text", "label": {"zh": "目標"}}
    )
    return new


def test_carry_keeps_codes_that_still_exist_and_marks_new_questions() -> None:
    old_answers = {
        "note": "去年的備註",
        "pick": "b",  # option gone: not carried at all
        "many": ["x", "y"],  # y gone: x carried, marked partial
        "rank": ["r1", "r2", "r3"],  # r2 gone: r3 moves up
        "hours": 6,  # the question changed type
        "rows": [
            {"topic": "甲", "mode": "m1", "adopted_from": 0},
            {"topic": "乙", "mode": "m2"},
        ],
    }
    carry = carry_over(OLD, old_answers, _new_definition())
    assert carry.answers == {
        "note": "去年的備註",
        "many": ["x"],
        "rank": ["r1", "r3", None],
        # The adoption marker names last cycle's school plan: never carried.
        "rows": [{"topic": "甲", "mode": "m1"}, {"topic": "乙"}],
    }
    assert carry.new == ["goal"]
    assert sorted(carry.not_carried) == ["hours", "pick"]
    assert sorted(carry.partial) == ["many", "rank", "rows"]
    assert "name" not in carry.new  # facts are never stored, never new


def test_prefill_fills_only_what_is_still_unanswered() -> None:
    carry = carry_over(OLD, {"note": "去年", "many": ["x"]}, OLD)
    answers, filled = fill_empty({"note": "今年已寫", "rows": [{}]}, carry)
    assert answers["note"] == "今年已寫"
    assert answers["many"] == ["x"]
    assert filled == ["many"]


# ---- comparing versions: a pure function ---------------------------------------------------

ROWS_QUESTION = OLD["sections"][0]["questions"][6]


def test_rows_added_and_removed_line_up_around_the_rows_kept() -> None:
    first, second, third = ({"topic": t, "mode": "m1"} for t in ("甲", "乙", "丙"))
    changes = compare_rows(ROWS_QUESTION, [first, second], [second, third])
    assert [c.state for c in changes] == [REMOVED, SAME, ADDED]
    assert changes[0].old == ["甲", "研習"]
    assert changes[0].new is None
    assert changes[2].new == ["丙", "研習"]
    assert changes[2].old is None


def test_a_row_replaced_in_place_is_changed_field_by_field() -> None:
    before = {"topic": "甲", "mode": "m1"}
    after = {"topic": "甲", "mode": "m2"}
    changes = compare_rows(ROWS_QUESTION, [before], [after])
    assert [(c.state, c.changed_fields) for c in changes] == [(CHANGED, [1])]


def test_compare_gives_each_question_its_state() -> None:
    sections = compare(OLD, {"note": "舊", "pick": "a"}, {"note": "新", "many": ["x"]})
    states = {q.code: q.state for q in sections[0].questions}
    assert states["note"] == CHANGED
    assert states["pick"] == REMOVED
    assert states["many"] == ADDED
    assert states["rank"] == SAME
    assert "name" not in states  # facts are not compared


# ---- the database: earlier cycles and versions ---------------------------------------------


@pytest.fixture
def history(factory, clock, tmp_path) -> dict[str, Any]:
    """Cycle 113 with a teacher plan and a school plan submitted twice each; cycle 114
    (current) published, with a changed teacher questionnaire."""
    world = setup_113(factory)
    school = world["schools"][Stage.ELEMENTARY]
    teacher = world["teachers"][Stage.ELEMENTARY]
    other_teacher = factory.teacher(school, name="另一位老師")
    other_school = factory.school(Stage.ELEMENTARY)
    world.update(
        school=school,
        teacher=teacher,
        other_teacher=other_teacher,
        other_school=other_school,
        planner=world["planners"][Stage.ELEMENTARY],
        chief=factory.account(school, AccountType.CHIEF),
        other_planner=factory.account(other_school, AccountType.PLANNING),
        roster=factory.account(school, AccountType.ROSTER),
    )
    from app.cycles.services import take_snapshot
    from app.timeutil import taipei

    take_snapshot(world["cycle"], force=True, moment=taipei(2024, 8, 2, 17, 0))
    db.session.commit()
    world["teacher_versions"] = [
        submit_teacher(teacher, teacher_v1(), clock),
        submit_teacher(teacher, teacher_v3(), clock),
    ]
    world["other_teacher_versions"] = [submit_teacher(other_teacher, teacher_v1(), clock)]
    world["school_versions"] = [
        submit_school(school.id, school_v1(), clock),
        submit_school(school.id, school_v2(), clock),
    ]
    submit_school(other_school.id, school_v1(), clock)
    world["cycle_114"] = import_114(tmp_path)
    return world


def test_submitting_twice_keeps_two_versions(history) -> None:
    assert history["teacher_versions"] == [1, 3]
    assert history["school_versions"] == [1, 3]


def test_a_teacher_lists_and_reads_the_plan_of_an_earlier_cycle(client, history) -> None:
    login_teacher(client, history["teacher"])
    listing = client.get("/teacher/plans").get_data(as_text=True)
    assert "113學年度" in listing
    assert "/teacher/plans/113/versions" in listing
    page = client.get("/teacher/plans/113")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "數學領域共備社群" in text
    assert 'id="plan-form"' not in text  # read-only: no form to change it
    assert "/teacher/plans/113/plan.pdf" in text


def test_the_current_cycle_is_the_plan_page(client, history) -> None:
    login_teacher(client, history["teacher"])
    response = client.get("/teacher/plans/114")
    assert response.status_code == 303
    assert response.headers["Location"] == "/teacher/plan"
    assert client.get("/teacher/plan").status_code == 200  # the old URL: the current cycle


@pytest.mark.parametrize("path", ["/teacher/plans/112", "/teacher/plans/99999"])
def test_a_year_without_a_cycle_is_missing(client, history, path) -> None:
    login_teacher(client, history["teacher"])
    assert client.get(path).status_code == 404


def test_a_cycle_not_yet_published_is_missing_everywhere(client, factory, clock, tmp_path) -> None:
    setup_113(factory)
    import_114(tmp_path, status="draft")
    assert client.get("/cycles/114").status_code == 404
    assert client.get("/cycles/113").status_code == 200
    assert client.get("/cycles/115").status_code == 404
    planner = factory.account(factory.school(), AccountType.PLANNING)
    login_account(client, planner)
    assert client.get("/school/plans/114").status_code == 404


def test_the_version_history_says_when_and_by_whom(client, history) -> None:
    login_teacher(client, history["teacher"])
    page = client.get("/teacher/plans/113/versions").get_data(as_text=True)
    # Submissions are counted (第 N 次送出); the URLs keep the version each was kept at.
    assert "第 1 次送出" in page
    assert "第 2 次送出" in page
    assert "第 3 版" not in page
    assert "教師 國小老師" in page
    assert "113年9月20日" in page
    one = client.get("/teacher/plans/113/versions/1").get_data(as_text=True)
    assert "差異化教學策略" in one  # version 1 still holds the row removed later
    assert "數學領域共備社群" not in one


def test_a_comparison_highlights_rows_added_and_removed(client, history) -> None:
    login_teacher(client, history["teacher"])
    response = client.get("/teacher/plans/113/compare?a=1&b=3")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert 'data-row-state="removed"' in page
    assert 'data-row-state="added"' in page
    assert 'data-row-state="same"' in page  # 閱讀素養教學 stayed
    assert 'data-question="needs" data-state="changed"' in page
    assert 'data-question="remarks" data-state="added"' in page
    assert "<del>" in page
    assert "<ins>" in page
    # Without choosing, the two latest versions; reversed choices read oldest first.
    assert client.get("/teacher/plans/113/compare").get_data(as_text=True).count("第 1 次送出") >= 1
    assert client.get("/teacher/plans/113/compare?a=3&b=1").status_code == 200


@pytest.mark.parametrize(
    ("query", "status"),
    [("a=2&b=3", 404), ("a=1&b=99", 404), ("a=abc&b=3", 400), ("a=0&b=3", 404)],
)
def test_a_version_the_plan_never_had_is_missing(client, history, query, status) -> None:
    login_teacher(client, history["teacher"])
    assert client.get(f"/teacher/plans/113/compare?{query}").status_code == status


def test_another_teachers_plan_and_versions_are_missing(client, history) -> None:
    # The other teacher's plan has only version 1: version 3 is the first teacher's.
    login_teacher(client, history["other_teacher"])
    assert client.get("/teacher/plans/113/versions/3").status_code == 404
    assert client.get("/teacher/plans/113/versions/3.pdf").status_code == 404
    assert client.get("/teacher/plans/113/compare?a=1&b=3").status_code == 404
    assert client.get("/teacher/plans/113/versions/1").status_code == 200  # his own


def test_a_teacher_without_a_plan_that_year_finds_nothing(client, history, factory) -> None:
    newcomer = factory.teacher(history["school"], name="新進老師")
    login_teacher(client, newcomer)
    assert client.get("/teacher/plans/113").status_code == 404
    assert client.get("/teacher/plans/113/versions").status_code == 404
    assert "目前沒有任何學年度的規劃" in client.get("/teacher/plans").get_data(as_text=True)


def test_the_school_history_is_the_chief_and_planners_only(client, history) -> None:
    for who in ("planner", "chief"):
        login_account(client, history[who])
        page = client.get("/school/plans/113/versions").get_data(as_text=True)
        assert "第 2 次送出" in page, who
        compared = client.get("/school/plans/113/compare?a=1&b=3").get_data(as_text=True)
        assert 'data-row-state="added"' in compared  # the second activity
        assert 'data-question="contact_name" data-state="changed"' in compared
        client.post("/logout")
    login_account(client, history["roster"])
    assert client.get("/school/plans/113/versions").status_code == 403
    client.post("/logout")
    login_teacher(client, history["teacher"])
    assert client.get("/school/plans/113/versions").status_code == 403
    assert client.get("/school/plans").status_code == 403


def test_another_schools_versions_are_missing(client, history) -> None:
    login_account(client, history["other_planner"])
    assert client.get("/school/plans/113/versions/3").status_code == 404  # only the first's
    assert client.get("/school/plans/113/versions/1").status_code == 200


def test_a_versions_pdf_comes_from_that_versions_answers(client, history, monkeypatch) -> None:
    version = db.session.scalar(
        select(PlanVersion).where(
            PlanVersion.plan_kind == PlanKind.TEACHER, PlanVersion.version == 1
        )
    )
    document = version_document(version)
    assert document is not None
    data = document.build()
    text = str(data["sections"])
    assert "差異化教學策略" in text
    assert "數學領域共備社群" not in text
    assert data["status_line"].startswith("第 1 次送出")
    later = db.session.scalar(
        select(PlanVersion).where(
            PlanVersion.plan_kind == PlanKind.TEACHER, PlanVersion.version == 3
        )
    )
    assert version_document(later).key != document.key
    assert documents.document_for(document.ref).key == document.key  # the worker's way back
    login_teacher(client, history["teacher"])
    response, _data = download(client, "/teacher/plans/113/versions/1.pdf")
    assert_pdf_download(response, "teacher-plan-113-v1.pdf")


def test_the_pdf_of_an_earlier_cycles_plan(client, history, monkeypatch) -> None:
    served = []

    def record(document):  # the access and the document chosen, not the rendering
        served.append(document)
        raise jobs.RenderPending(document.ref_key)

    monkeypatch.setattr(jobs, "obtain", record)
    login_account(client, history["planner"])
    assert client.get("/school/plans/113/plan.pdf").status_code == 503
    assert served[0].filename.startswith("school-plan-113-")
    assert client.get("/school/plans/113/versions/1.pdf").status_code == 503
    assert served[1].ref[0] == "plan-version"
    assert client.get("/school/plans/112/plan.pdf").status_code == 404


# ---- prefill from last cycle ---------------------------------------------------------------


def _teacher_plan_114(history) -> TeacherPlan | None:
    return db.session.scalar(
        select(TeacherPlan).where(
            TeacherPlan.teacher_id == history["teacher"].id,
            TeacherPlan.cycle_id == history["cycle_114"].id,
        )
    )


def _entries(action: str) -> list[AuditEntry]:
    return list(db.session.scalars(select(AuditEntry).where(AuditEntry.action == action)))


def test_the_plan_page_offers_last_years_answers_without_storing_them(
    client, history, clock
) -> None:
    clock.set(TEACHER_114)
    login_teacher(client, history["teacher"])
    page = client.get("/teacher/plan").get_data(as_text=True)
    assert "帶入去年資料" in page
    assert "/teacher/plan/prefill" in page
    assert 'data-code="year_goal"' in page  # the new question is named as new
    assert _teacher_plan_114(history) is None  # nothing prefilled without the click


def test_prefill_carries_existing_codes_in_one_audited_draft_save(client, history, clock) -> None:
    clock.set(TEACHER_114)
    login_teacher(client, history["teacher"])
    response = client.post("/teacher/plan/prefill", data={"version": "0"})
    assert response.status_code == 303
    plan = _teacher_plan_114(history)
    assert plan is not None
    assert plan.status == PlanStatus.DRAFT
    answers = plan.answers
    assert answers["needs"] == ["std04", "std06", "std10"]
    assert answers["remarks"] == "希望多參加社群。"
    assert answers["preferred_times"] == ["weekday_day"]  # 週末 no longer exists
    community = answers["activities"][1]
    assert community["topic"] == ROW_COMMUNITY["topic"]
    assert "mode" not in community  # 專業學習社群 no longer exists
    assert answers["activities"][0]["mode"] == ROW_READING["mode"]
    assert "interest_areas" not in answers  # no longer asked
    assert "year_goal" not in answers
    prefills = _entries("plan.prefill")
    assert len(prefills) == 1
    assert _entries("plan.save") == []  # one save, audited once
    after = prefills[0].after
    assert after["prefill_from"] == 113
    assert after["new"] == ["year_goal"]
    assert sorted(after["partial"]) == ["activities", "preferred_times"]
    # The page marks what was carried and what is new, beside a link to each question.
    page = client.get("/teacher/plan").get_data(as_text=True)
    assert "已自 113 學年度的規劃帶入下列答案" in page
    carried = page.split('data-prefill="carried"')[1].split('data-prefill="partial"')[0]
    assert 'data-code="needs"' in carried
    assert 'href="#q-needs"' in carried
    new = page.split('data-prefill="new"')[1].split('data-prefill="not_carried"')[0]
    assert 'data-code="year_goal"' in new
    # The draft keeps validation beside the fields: the row without a mode says so.
    assert "q.activities.1.mode" in engine.validate(
        plan.questionnaire.definition, answers, final=True
    )


def test_prefill_never_overwrites_and_refuses_a_stale_form(client, history, clock) -> None:
    clock.set(TEACHER_114)
    login_teacher(client, history["teacher"])
    client.post("/teacher/plan", data={"version": "0", "q.remarks": "今年自己寫的"})
    plan = _teacher_plan_114(history)
    assert plan is not None
    assert plan.version == 1
    stale = client.post("/teacher/plan/prefill", data={"version": "0"}, follow_redirects=True)
    assert "請重新整理頁面" in stale.get_data(as_text=True)
    db.session.expire_all()
    assert _teacher_plan_114(history).version == 1  # nothing written
    client.post("/teacher/plan/prefill", data={"version": "1"})
    plan = _teacher_plan_114(history)
    assert plan.answers["remarks"] == "今年自己寫的"
    assert plan.answers["needs"] == ["std04", "std06", "std10"]
    again = client.post("/teacher/plan/prefill", data={"version": str(plan.version)})
    assert again.status_code == 303
    db.session.expire_all()
    assert _teacher_plan_114(history).version == plan.version  # nothing left to carry


def test_prefill_outside_the_window_is_refused(client, history, clock) -> None:
    clock.set(TEACHER_114.replace(year=2026))
    login_teacher(client, history["teacher"])
    response = client.post("/teacher/plan/prefill", data={"version": "0"}, follow_redirects=True)
    assert "已於" in response.get_data(as_text=True)
    assert _teacher_plan_114(history) is None


def test_a_school_prefills_from_its_own_plan_only(client, history, clock) -> None:
    clock.set(SCHOOL_114)
    login_account(client, history["planner"])
    assert "帶入去年資料" in client.get("/school/plan").get_data(as_text=True)
    assert client.post("/school/plan/prefill", data={"version": "0"}).status_code == 303
    plan = db.session.scalar(
        select(SchoolPlan).where(SchoolPlan.cycle_id == history["cycle_114"].id)
    )
    assert plan is not None
    assert plan.school_id == history["school"].id
    assert plan.answers["contact_name"] == "林承辦"
    assert len(plan.answers["activities"]) == 2
    count = select(func.count()).select_from(SchoolPlan)
    assert db.session.scalar(count.where(SchoolPlan.cycle_id == history["cycle_114"].id)) == 1


def test_a_teacher_may_not_prefill_the_school_plan(client, history, clock) -> None:
    clock.set(SCHOOL_114)
    login_teacher(client, history["teacher"])
    assert client.post("/school/plan/prefill", data={"version": "0"}).status_code == 403


# ---- the demo data -------------------------------------------------------------------------


def test_the_demo_has_earlier_plans_with_versions(app, client) -> None:
    from app.demo.seed import DEMO_PASSWORD, seed

    report = seed()
    db.session.commit()
    teacher_login = next(login for who, login, where in report.logins if where == "/teacher/")
    client.post("/teacher/login", data={"national_id": teacher_login, "password": DEMO_PASSWORD})
    assert "/teacher/plans" in client.get("/teacher/").get_data(as_text=True)
    assert "帶入去年資料" in client.get("/teacher/plan").get_data(as_text=True)
    compared = client.get("/teacher/plans/113/compare").get_data(as_text=True)
    assert 'data-row-state="removed"' in compared
    assert 'data-row-state="added"' in compared
    client.post("/logout")
    client.post("/school/login", data={"username": "plan523601", "password": DEMO_PASSWORD})
    assert "/school/plans" in client.get("/school/").get_data(as_text=True)
    assert "帶入去年資料" in client.get("/school/plan").get_data(as_text=True)
    assert client.get("/school/plans/113/versions/3").status_code == 200
    for kind in PlanKind:
        version = db.session.scalar(select(PlanVersion).where(PlanVersion.plan_kind == kind))
        plan_model: Any = SchoolPlan if kind == PlanKind.SCHOOL else TeacherPlan
        plan = db.session.get(plan_model, version.plan_id)
        assert engine.validate(plan.questionnaire.definition, version.answers, final=True) == {}
    counts = {}
    for kind in PlanKind:
        counts[kind] = db.session.scalar(
            select(func.count()).select_from(PlanVersion).where(PlanVersion.plan_kind == kind)
        )
        assert counts[kind] >= 2, kind
    seed()
    db.session.commit()
    for kind in PlanKind:
        again = db.session.scalar(
            select(func.count()).select_from(PlanVersion).where(PlanVersion.plan_kind == kind)
        )
        assert again == counts[kind], kind
