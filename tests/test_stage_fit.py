"""Questionnaires fit the stage: `stages:` lists, the cycle-file check of them, the
definition trimmed to a stage, and the plan pages, submit and PDF that use it."""

from __future__ import annotations

import copy
import io
from datetime import date
from pathlib import Path

import pytest
import yaml
from sqlalchemy import select

from app.config import ROOT
from app.cycles.services import import_cycle, take_snapshot
from app.extensions import db
from app.models import AccountKind, PlanStatus, Stage, TeacherPlan
from app.questionnaires import engine
from app.questionnaires.cyclefile import (
    CycleFileError,
    load_cycle_file,
    parse_cycle,
    parse_questionnaire,
)
from app.timeutil import taipei
from tests.conftest import login_account, login_teacher
from tests.pdf_checks import assert_no_embedded_files
from tests.plan_helpers import teacher_form
from tests.test_cyclefile import refusal, text, valid_cycle
from tests.test_reports_support import (  # noqa: F401 - fixtures
    download,
    pdf_text,
    reports_fixture,
    squash,
)

KINDERGARTEN_AREAS = ("身體動作與健康", "認知", "語文", "社會", "情緒", "美感")


# --- the cycle-file check ------------------------------------------------------------------


def _with_stages() -> dict:
    """The valid test cycle with a stage-limited option list and a stage-limited question."""
    data = valid_cycle()
    data["kindergarten_teachers_take_part"] = True
    teacher = data["plans"]["teacher"]
    teacher["windows"]["K"] = copy.deepcopy(teacher["windows"]["E"])
    data["option_lists"]["areas"] = [
        {"code": "mathematics", "label": text("數學"), "stages": ["E", "J"]},
        {"code": "ece_cognition", "label": text("認知"), "stages": ["K"]},
    ]
    teacher["questionnaire"]["sections"][0]["questions"].append(
        {"code": "areas", "type": "multiple", "label": text("領域"), "options": "areas"}
    )
    return data


def test_stage_limits_are_accepted_and_kept_in_the_definition() -> None:
    cycle = parse_cycle(_with_stages(), "113.yaml", today=date(2024, 7, 1))
    areas = engine.question_map(cycle.plans["teacher"].questionnaire)["areas"]
    assert [o.get("stages") for o in areas["options"]] == [["E", "J"], ["K"]]
    assert "stages" not in areas  # no limit: nothing is added


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            lambda d: d["option_lists"]["areas"][0].update(stages=["E", "Q"]),
            "113.yaml: option_lists.areas[0].stages[1]: 不明的教育階段代碼「Q」"
            "（可用：E, J, S, V, X, K）",
        ),
        (
            lambda d: d["option_lists"]["areas"][0].update(stages=[]),
            "113.yaml: option_lists.areas[0].stages: "
            "須為至少一個教育階段代碼的清單（可用：E, J, S, V, X, K）",
        ),
        (
            lambda d: d["option_lists"]["areas"][0].update(stages=["E", "E"]),
            "113.yaml: option_lists.areas[0].stages[1]: 教育階段代碼重複「E」",
        ),
        (  # a question limited to stages the cycle's teacher plan does not include
            lambda d: d["plans"]["teacher"]["questionnaire"]["sections"][0]["questions"][2].update(
                stages=["S", "V"]
            ),
            "113.yaml: plans.teacher.questionnaire.sections[0].questions[2].stages: "
            "此題只給S（高中）、V（高職），但本週期的教師自我專業進修規劃沒有這些教育階段看得到此題",
        ),
        (  # kindergartens never fill the school plan
            lambda d: d["plans"]["school"]["questionnaire"]["sections"][0]["questions"][2].update(
                stages=["K", "E"]
            ),
            "113.yaml: plans.school.questionnaire.sections[0].questions[2].stages: "
            "學校本位進修規劃不含K（幼兒園）",
        ),
        (  # an inline option for a stage that does not see its question
            lambda d: d["plans"]["teacher"]["questionnaire"]["sections"][0]["questions"].append(
                {
                    "code": "late",
                    "type": "single",
                    "label": text("晚"),
                    "stages": ["E"],
                    "options": [
                        {"code": "a", "label": text("甲")},
                        {"code": "b", "label": text("乙"), "stages": ["K"]},
                    ],
                }
            ),
            "113.yaml: plans.teacher.questionnaire.sections[0].questions[5].options[1].stages: "
            "此選項只給K（幼兒園），但本週期的教師自我專業進修規劃沒有這些教育階段看得到此題",
        ),
        (  # a stage that sees the question but is offered none of its options
            lambda d: d["option_lists"]["areas"].pop(),
            "113.yaml: plans.teacher.questionnaire.sections[0].questions[4].options: "
            "K（幼兒園）看得到此題，但沒有任何選項提供給此階段",
        ),
        (  # ... or fewer than it must choose
            lambda d: d["plans"]["teacher"]["questionnaire"]["sections"][0]["questions"][4].update(
                min=2
            ),
            "113.yaml: plans.teacher.questionnaire.sections[0].questions[4].min: "
            "E（國小）只有 1 個選項，少於最少選擇數 2",
        ),
    ],
)
def test_each_stage_mistake_names_file_path_and_problem(change, message) -> None:
    data = _with_stages()
    change(data)
    assert message in refusal(data)


def test_an_option_list_may_name_stages_a_plan_never_includes() -> None:
    """The school plan shares `areas` with the teacher plan: its kindergarten entries are
    simply never offered there; and 113 (no kindergartens) keeps the same lists."""
    data = _with_stages()
    data["plans"]["school"]["questionnaire"]["sections"][0]["questions"].append(
        {"code": "areas", "type": "multiple", "label": text("領域"), "options": "areas"}
    )
    parse_cycle(data, "113.yaml", today=date(2024, 7, 1))
    assert load_cycle_file(ROOT / "data" / "cycles" / "113.yaml").plans["teacher"]


def test_a_standalone_questionnaire_is_checked_for_every_stage_of_its_plan_kind() -> None:
    """The operator's upload has no cycle stages yet: it checks all the plan kind can have."""
    questionnaire = {
        "version": 1,
        "sections": [
            {
                "code": "main",
                "title": text("主要"),
                "questions": [
                    {
                        "code": "areas",
                        "type": "single",
                        "label": text("領域"),
                        "options": [{"code": "a", "label": text("甲"), "stages": ["E"]}],
                    }
                ],
            }
        ],
    }
    with pytest.raises(CycleFileError) as caught:
        parse_questionnaire(questionnaire, "q.yaml")
    assert (
        "q.yaml: sections[0].questions[0].options: J（國中）看得到此題，但沒有任何選項提供給此階段"
        in (caught.value.messages)
    )
    questionnaire["sections"][0]["questions"][0]["stages"] = ["E"]
    assert parse_questionnaire(questionnaire, "q.yaml")["sections"][0]["questions"][0]["stages"]


def test_the_cli_import_runs_the_stage_check(app, tmp_path: Path) -> None:
    source = (ROOT / "data" / "questionnaires" / "teacher-113.yaml").read_text("utf-8")
    (tmp_path / "cycles").mkdir()
    (tmp_path / "questionnaires").mkdir()
    for name in ("school-113.yaml",):
        (tmp_path / "questionnaires" / name).write_text(
            (ROOT / "data" / "questionnaires" / name).read_text("utf-8"), "utf-8"
        )
    (tmp_path / "questionnaires" / "teacher-113.yaml").write_text(
        source.replace("stages: [S, V]}", "stages: [S, W]}", 1), "utf-8"
    )
    target = tmp_path / "cycles" / "113.yaml"
    target.write_text((ROOT / "data" / "cycles" / "113.yaml").read_text("utf-8"), "utf-8")
    result = app.test_cli_runner().invoke(args=["cycle", "import", str(target)])
    assert result.exit_code == 1
    assert "teacher-113.yaml: option_lists.areas[13].stages[1]: 不明的教育階段代碼「W」" in (
        result.output
    )


def test_the_operator_upload_runs_the_stage_check(client, factory) -> None:
    login_account(client, factory.account(None, kind=AccountKind.OPERATOR))
    client.post(
        "/operator/cycles/new",
        data={"academic_year": "114", "copy_from": "", "roster_cutoff": "2025-08-01T17:00"},
    )
    source = (ROOT / "data" / "questionnaires" / "teacher-113.yaml").read_text("utf-8")
    raw = source.replace("stages: [K]}", "stages: [KG]}", 1).encode("utf-8")
    answer = client.post(
        "/operator/cycles/114/questionnaires/teacher",
        data={"step": "preview", "file": (io.BytesIO(raw), "teacher-114.yaml")},
        content_type="multipart/form-data",
    )
    assert answer.status_code == 422
    assert "不明的教育階段代碼「KG」" in answer.get_data(as_text=True)


# --- the trimmed definition ------------------------------------------------------------------


@pytest.fixture(scope="module")
def teacher_113() -> dict:
    return load_cycle_file(ROOT / "data" / "cycles" / "113.yaml").plans["teacher"].questionnaire


def _area_codes(definition: dict) -> list[str]:
    return [o["code"] for o in engine.question_map(definition)["interest_areas"]["options"]]


def test_for_stage_offers_each_stage_its_own_areas(teacher_113) -> None:
    kindergarten = engine.for_stage(teacher_113, Stage.KINDERGARTEN)
    assert _area_codes(kindergarten) == [
        "ece_physical",
        "ece_cognition",
        "ece_language",
        "ece_social",
        "ece_emotion",
        "ece_aesthetics",
    ]
    assert "defense" not in _area_codes(engine.for_stage(teacher_113, Stage.ELEMENTARY))
    assert "vocational" not in _area_codes(engine.for_stage(teacher_113, Stage.ELEMENTARY))
    assert {"defense", "vocational"} <= set(_area_codes(engine.for_stage(teacher_113, "S")))
    assert "life_curriculum" not in _area_codes(engine.for_stage(teacher_113, "S"))
    # The same object per (version, stage); the stored definition is left untouched.
    assert engine.for_stage(teacher_113, "K") is kindergarten
    assert len(_area_codes(teacher_113)) == 21
    # Options not offered keep their labels for answers stored before.
    areas = engine.question_map(kindergarten)["interest_areas"]
    assert engine.option_label(areas, "defense") == "全民國防教育（高中）"


def test_for_stage_leaves_out_questions_limited_to_other_stages() -> None:
    definition = {
        "version": 1,
        "sections": [
            {"code": "a", "questions": [{"code": "x", "type": "text", "stages": ["S"]}]},
            {"code": "b", "questions": [{"code": "y", "type": "text"}]},
        ],
    }
    assert [s["code"] for s in engine.for_stage(definition, "E")["sections"]] == ["b"]
    assert engine.question_map(engine.for_stage(definition, "S")).keys() == {"x", "y"}


def test_an_option_not_offered_is_kept_by_a_draft_and_refused_on_submit(teacher_113) -> None:
    kindergarten = engine.for_stage(teacher_113, "K")
    parsed = engine.parse(kindergarten, {"q.interest_areas": ["ece_cognition", "defense"]})
    assert parsed.answers["interest_areas"] == ["ece_cognition", "defense"]
    assert "q.interest_areas" not in parsed.problems
    errors = engine.validate(kindergarten, parsed.answers, final=False)
    assert errors["q.interest_areas"] == (
        "「全民國防教育（高中）」不提供給貴校的教育階段，請改選其他選項"
    )
    assert (
        engine.validate(kindergarten, parsed.answers, final=True)["q.interest_areas"]
        == (errors["q.interest_areas"])
    )
    assert "q.interest_areas" not in engine.validate(
        engine.for_stage(teacher_113, "S"), parsed.answers | {"interest_areas": ["defense"]}
    )


# --- plan pages, submit and PDF ------------------------------------------------------------------


def cycle_with_kindergartens():
    """The 113 cycle with kindergarten teachers taking part and every teacher window open
    over the whole teacher period."""
    path = ROOT / "data" / "cycles" / "113.yaml"
    data = yaml.safe_load(path.read_text("utf-8"))
    data["kindergarten_teachers_take_part"] = True
    teacher = data["plans"]["teacher"]
    teacher["windows"] = {stage: dict(teacher["overall"]) for stage in ("E", "S", "K")}
    spec = parse_cycle(data, str(path), base_dir=path.parent)
    cycle, _ = import_cycle(spec, "113.yaml")
    db.session.flush()
    return cycle


@pytest.fixture
def stage_world(factory, clock):
    cycle = cycle_with_kindergartens()
    teachers = {}
    for stage in (Stage.KINDERGARTEN, Stage.ELEMENTARY, Stage.SENIOR):
        teachers[stage] = factory.teacher(factory.school(stage), name=f"{stage.label}老師")
    take_snapshot(cycle, force=True, moment=taipei(2024, 8, 2, 17, 0))
    db.session.commit()
    clock.set(taipei(2024, 9, 10, 10, 0))
    return teachers


def test_each_stage_sees_its_own_areas_on_the_plan_page(app, stage_world) -> None:
    pages = {}
    for stage, teacher in stage_world.items():
        client = app.test_client()
        login_teacher(client, teacher)
        page = client.get("/teacher/plan")
        assert page.status_code == 200
        pages[stage] = page.get_data(as_text=True)
    kindergarten = pages[Stage.KINDERGARTEN]
    for area in KINDERGARTEN_AREAS:
        assert f"{area}（幼兒園）" in kindergarten, area
    assert "全民國防教育（高中）" not in kindergarten
    assert 'value="mathematics"' not in kindergarten
    assert "技術型高中群科專業" not in pages[Stage.ELEMENTARY]
    assert "全民國防教育（高中）" not in pages[Stage.ELEMENTARY]
    assert "身體動作與健康" not in pages[Stage.ELEMENTARY]
    assert 'value="mathematics"' in pages[Stage.ELEMENTARY]
    assert "技術型高中群科專業" in pages[Stage.SENIOR]
    assert "全民國防教育（高中）" in pages[Stage.SENIOR]


def test_submit_refuses_an_area_not_offered_and_a_draft_keeps_it(client, stage_world) -> None:
    login_teacher(client, stage_world[Stage.KINDERGARTEN])
    form = teacher_form(0, action="submit", **{"q.interest_areas": ["ece_social", "defense"]})
    refused = client.post("/teacher/plan", data=form)
    assert refused.status_code == 422
    body = refused.get_data(as_text=True)
    assert "「全民國防教育（高中）」不提供給貴校的教育階段，請改選其他選項" in body
    assert db.session.scalar(select(TeacherPlan)) is None
    del form["action"]
    assert client.post("/teacher/plan", data=form).status_code == 303
    plan = db.session.scalar(select(TeacherPlan))
    assert plan is not None
    assert plan.status == PlanStatus.DRAFT
    assert plan.answers["interest_areas"] == ["ece_social", "defense"]
    page = client.get("/teacher/plan").get_data(as_text=True)
    assert "「全民國防教育（高中）」不提供給貴校的教育階段" in page


def test_a_kindergarten_plan_pdf_names_its_areas(reports, client, stage_world) -> None:
    login_teacher(client, stage_world[Stage.KINDERGARTEN])
    form = teacher_form(
        0, action="submit", **{"q.interest_areas": ["ece_physical", "ece_aesthetics"]}
    )
    assert client.post("/teacher/plan", data=form).status_code == 303
    response, data = download(client, "/teacher/plan.pdf")
    assert response.status_code == 200
    flat = squash(pdf_text(data))
    assert "身體動作與健康（幼兒園）、美感（幼兒園）" in flat
    assert "全民國防" not in flat
    assert_no_embedded_files(data)
