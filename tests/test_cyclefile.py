"""Cycle files: the real 113 file, the relative demo file, and every kind of refusal."""

from __future__ import annotations

import copy
import json
import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from app import timeutil
from app.questionnaires.cyclefile import (
    CycleFileError,
    fingerprint,
    load_cycle_file,
    load_questionnaire_file,
    parse_cycle,
    parse_questionnaire,
)
from app.questionnaires.engine import ACTIVITY_FIELDS, question_map

ROOT = Path(__file__).resolve().parents[1]
CYCLES = ROOT / "data" / "cycles"
QUESTIONNAIRES = ROOT / "data" / "questionnaires"
TAIPEI = timeutil.TAIPEI


def taipei(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=TAIPEI)


@pytest.fixture(scope="module")
def cycle_113():
    return load_cycle_file(CYCLES / "113.yaml")


# --- the 113 cycle -------------------------------------------------------------------


def test_113_has_the_letters_dates(cycle_113) -> None:
    assert cycle_113.academic_year == 113
    assert cycle_113.name == "113學年度"
    assert cycle_113.status == "published"
    assert cycle_113.kindergarten_teachers_take_part is False
    assert cycle_113.roster_cutoff == taipei(2024, 8, 2, 17, 0)
    assert cycle_113.roster_cutoff.utcoffset() == timedelta(hours=8)
    school, teacher = cycle_113.plans["school"], cycle_113.plans["teacher"]
    assert (school.overall_opens_at, school.overall_closes_at) == (
        taipei(2024, 8, 5, 0, 0),
        taipei(2024, 8, 23, 17, 0),
    )
    assert (teacher.overall_opens_at, teacher.overall_closes_at) == (
        taipei(2024, 9, 2, 0, 0),
        taipei(2024, 9, 27, 17, 0),
    )
    assert cycle_113.contact == {
        "unit": "國立高雄師範大學",
        "phone": "07-7258600",
        "email": "inservice@mail.nknu.edu.tw",
    }


@pytest.mark.parametrize(
    ("kind", "stage", "opens", "closes"),
    [
        ("school", "S", (8, 5), (8, 14)),
        ("school", "V", (8, 5), (8, 14)),
        ("school", "X", (8, 5), (8, 23)),
        ("school", "J", (8, 12), (8, 21)),
        ("school", "E", (8, 14), (8, 23)),
        ("teacher", "S", (9, 2), (9, 13)),
        ("teacher", "V", (9, 2), (9, 13)),
        ("teacher", "X", (9, 2), (9, 13)),
        ("teacher", "J", (9, 9), (9, 20)),
        ("teacher", "E", (9, 16), (9, 27)),
    ],
)
def test_113_stage_windows(cycle_113, kind, stage, opens, closes) -> None:
    window = cycle_113.window_for(kind, stage)
    assert window.opens_at == taipei(2024, *opens, 0, 0)
    assert window.closes_at == taipei(2024, *closes, 17, 0)
    opens_at, closes_at = window  # other code unpacks it as a pair
    assert opens_at < closes_at


def test_113_stages_take_part_as_configured(cycle_113) -> None:
    assert sorted(cycle_113.plans["school"].stages) == ["E", "J", "S", "V", "X"]
    assert sorted(cycle_113.plans["teacher"].stages) == ["E", "J", "S", "V", "X"]
    assert cycle_113.window_for("school", "K") is None
    assert cycle_113.window_for("nope", "E") is None


def test_113_school_questionnaire(cycle_113) -> None:
    definition = cycle_113.plans["school"].questionnaire
    assert definition["version"] == 2  # 2: the areas named their stages
    assert [s["code"] for s in definition["sections"]] == [
        "contact",
        "priorities",
        "activities",
        "support",
        "remarks",
    ]
    questions = question_map(definition)
    assert {code: q["type"] for code, q in questions.items()} == {
        "school_name": "fact",
        "school_code": "fact",
        "stage_name": "fact",
        "contact_name": "text",
        "contact_title": "text",
        "contact_phone": "text",
        "contact_email": "text",
        "priority_issues": "multiple",
        "priority_areas": "multiple",
        "priority_description": "long_text",
        "activities": "rows",
        "needs_support": "single",
        "support_types": "multiple",
        "support_details": "long_text",
        "remarks": "long_text",
    }
    issues = questions["priority_issues"]
    assert (issues["min"], issues["max"], len(issues["options"])) == (1, 5, 19)
    activities = questions["activities"]
    assert (activities["min_rows"], activities["max_rows"]) == (1, 30)
    fields = {f["code"]: f for f in activities["fields"]}
    assert list(fields) == [*ACTIVITY_FIELDS, "audience", "expected_participants"]
    assert (fields["hours"]["min"], fields["hours"]["max"]) == (1, 200)
    assert (fields["expected_participants"]["min"], fields["expected_participants"]["max"]) == (
        1,
        500,
    )
    assert [o["code"] for o in fields["topic_category"]["options"]] == [
        f"std{i:02d}" for i in range(1, 11)
    ]
    assert len(fields["mode"]["options"]) == 9
    assert [o["label"]["zh"] for o in fields["audience"]["options"]] == [
        "全校教師",
        "領域/學科教師",
        "新進教師",
        "行政人員",
        "特定對象",
    ]
    assert questions["support_details"]["show_if"] == {
        "question": "needs_support",
        "values": ["yes"],
    }


def test_113_teacher_questionnaire(cycle_113) -> None:
    questions = question_map(cycle_113.plans["teacher"].questionnaire)
    needs = questions["needs"]
    assert (needs["type"], needs["ranks"], needs["min"], needs["required"]) == (
        "ranking",
        3,
        3,
        True,
    )
    assert needs["option_list"] == "standards"
    assert len(needs["options"]) == 10
    assert (questions["interest_areas"]["max"], questions["preferred_times"]["min"]) == (3, 1)
    assert [o["label"]["zh"] for o in questions["preferred_times"]["options"]] == [
        "週間白天",
        "週間晚上",
        "週末",
        "寒暑假",
    ]
    activities = questions["activities"]
    assert [f["code"] for f in activities["fields"]] == list(ACTIVITY_FIELDS)
    assert (activities["min_rows"], activities["max_rows"]) == (1, 20)
    assert {questions["teacher_name"]["fact"], questions["school_name"]["fact"]} == {
        "teacher_name",
        "school_name",
    }


def test_shared_option_lists_are_identical_in_both_questionnaires() -> None:
    school = yaml.safe_load((QUESTIONNAIRES / "school-113.yaml").read_text(encoding="utf-8"))
    teacher = yaml.safe_load((QUESTIONNAIRES / "teacher-113.yaml").read_text(encoding="utf-8"))
    shared = set(school["option_lists"]) & set(teacher["option_lists"])
    assert shared == {"standards", "areas", "modes", "terms"}
    for name in shared:
        assert school["option_lists"][name] == teacher["option_lists"][name], name


def test_every_label_has_zh_and_en(cycle_113) -> None:
    def walk(node):
        if isinstance(node, dict):
            if set(node) == {"zh", "en"}:
                assert node["zh"].strip()
                assert node["en"].strip()
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    for plan in cycle_113.plans.values():
        walk(plan.questionnaire)


def test_definitions_are_json_and_fingerprinted(cycle_113) -> None:
    definition = cycle_113.plans["school"].questionnaire
    assert json.loads(json.dumps(definition)) == definition
    assert re.fullmatch(r"[0-9a-f]{64}", definition["fingerprint"])
    assert definition["fingerprint"] == fingerprint(definition)
    again = load_cycle_file(CYCLES / "113.yaml").plans["school"].questionnaire
    assert again["fingerprint"] == definition["fingerprint"]
    assert definition["fingerprint"] != cycle_113.plans["teacher"].questionnaire["fingerprint"]


def test_fingerprint_ignores_the_version_but_sees_every_change() -> None:
    raw = yaml.safe_load((QUESTIONNAIRES / "teacher-113.yaml").read_text(encoding="utf-8"))
    same = parse_questionnaire(raw, "teacher-113.yaml")
    bumped = copy.deepcopy(raw)
    bumped["version"] = 2
    assert parse_questionnaire(bumped, "t.yaml")["fingerprint"] == same["fingerprint"]
    relabelled = copy.deepcopy(raw)
    relabelled["option_lists"]["terms"][0]["label"]["zh"] = "第一學期"
    assert parse_questionnaire(relabelled, "t.yaml")["fingerprint"] != same["fingerprint"]
    direct = load_questionnaire_file(QUESTIONNAIRES / "teacher-113.yaml")
    assert direct == same


# --- the demo cycle --------------------------------------------------------------------


def state(window, moment: datetime) -> str:
    if moment < window.opens_at:
        return "not_open"
    return "open" if moment < window.closes_at else "closed"


EXPECTED_DEMO = {
    "school": {"S": "closed", "V": "closed", "X": "open", "E": "open", "J": "not_open"},
    "teacher": {
        "S": "closed",
        "V": "closed",
        "X": "open",
        "E": "open",
        "K": "open",
        "J": "not_open",
    },
}


@pytest.mark.parametrize(
    ("today", "hour", "minute"),
    [
        (date(2025, 3, 1), 0, 0),
        (date(2025, 3, 1), 12, 0),
        (date(2024, 12, 31), 16, 59),
        (date(2024, 12, 31), 17, 0),
        (date(2028, 2, 29), 23, 59),
    ],
)
def test_demo_has_open_not_open_and_closed_stages(today, hour, minute) -> None:
    cycle = load_cycle_file(CYCLES / "demo.yaml", today=today)
    assert (cycle.academic_year, cycle.name) == (115, "115學年度（示範）")
    assert cycle.kindergarten_teachers_take_part is True
    moment = datetime(today.year, today.month, today.day, hour, minute, tzinfo=TAIPEI)
    for kind, expected in EXPECTED_DEMO.items():
        windows = cycle.plans[kind].windows
        assert {stage: state(w, moment) for stage, w in windows.items()} == expected, kind
    yesterday = today - timedelta(days=1)
    assert cycle.window_for("school", "S").closes_at == datetime.combine(
        yesterday, datetime.min.time().replace(hour=17), TAIPEI
    )
    assert cycle.roster_cutoff < cycle.plans["teacher"].overall_opens_at
    assert (
        cycle.plans["school"].questionnaire
        == load_cycle_file(CYCLES / "113.yaml").plans["school"].questionnaire
    )


def test_demo_defaults_to_today_in_taipei(monkeypatch) -> None:
    # 2025-03-01 20:00 UTC is already 2025-03-02 in Taipei.
    monkeypatch.setattr(timeutil, "clock", lambda: datetime(2025, 3, 1, 20, 0, tzinfo=UTC))
    cycle = load_cycle_file(CYCLES / "demo.yaml")
    assert cycle.window_for("school", "J").opens_at == taipei(2025, 3, 3, 0, 0)


# --- refusals ----------------------------------------------------------------------------


def text(zh: str) -> dict:
    return {"zh": zh, "en": zh.upper() or "x"}


def window(opens: str, closes: str) -> dict:
    return {"opens_at": opens, "closes_at": closes}


def valid_cycle() -> dict:
    questionnaire = {
        "version": 1,
        "sections": [
            {
                "code": "main",
                "title": text("主要"),
                "questions": [
                    {"code": "pick", "type": "single", "label": text("方式"), "options": "modes"},
                    {
                        "code": "detail",
                        "type": "text",
                        "label": text("說明"),
                        "show_if": {"question": "pick", "equals": "plc"},
                    },
                    {
                        "code": "hours",
                        "type": "number",
                        "label": text("時數"),
                        "min": 1,
                        "max": 200,
                    },
                    {
                        "code": "rows",
                        "type": "rows",
                        "label": text("列"),
                        "max_rows": 5,
                        "fields": [{"code": "topic", "type": "text", "label": text("主題")}],
                    },
                ],
            }
        ],
    }
    return {
        "academic_year": 113,
        "name": "113學年度",
        "status": "published",
        "roster_cutoff": "2024-08-02 17:00",
        "kindergarten_teachers_take_part": False,
        "contact": {"unit": "國立高雄師範大學", "phone": "07-7258600", "email": "a@b.tw"},
        "option_lists": {
            "modes": [
                {"code": "lecture", "label": text("研習")},
                {"code": "plc", "label": text("社群")},
                {"code": "online", "label": text("線上")},
            ]
        },
        "plans": {
            "school": {
                "overall": window("2024-08-05 00:00", "2024-08-23 17:00"),
                "windows": {"E": window("2024-08-14 00:00", "2024-08-23 17:00")},
                "questionnaire": questionnaire,
            },
            "teacher": {
                "overall": window("2024-09-02 00:00", "2024-09-27 17:00"),
                "windows": {"E": window("2024-09-16 00:00", "2024-09-27 17:00")},
                "questionnaire": {
                    **copy.deepcopy(questionnaire),
                    "sections": [*copy.deepcopy(questionnaire["sections"]), reported_section()],
                },
            },
        },
    }


def reported_section() -> dict:
    """The teacher questions the reports read (app/reports/questions.py)."""
    return {
        "code": "reported",
        "title": text("報表"),
        "questions": [
            {
                "code": "needs",
                "type": "ranking",
                "label": text("需求"),
                "options": "modes",
                "ranks": 2,
            },
            {
                "code": "activities",
                "type": "rows",
                "label": text("活動"),
                "fields": [
                    {
                        "code": "topic_category",
                        "type": "single",
                        "label": text("類別"),
                        "options": "modes",
                    },
                    {"code": "mode", "type": "single", "label": text("方式"), "options": "modes"},
                    {"code": "hours", "type": "number", "label": text("時數")},
                    {"code": "term", "type": "single", "label": text("期間"), "options": "modes"},
                ],
            },
        ],
    }


DELETE = object()


def mutate(data: dict, path: str, value) -> dict:
    parts = [int(p) if p.isdigit() else p for p in re.findall(r"[^.\[\]]+", path)]
    node = data
    for part in parts[:-1]:
        node = node[part]
    if value is DELETE:
        del node[parts[-1]]
    else:
        node[parts[-1]] = value
    return data


def refusal(data: dict) -> list[str]:
    with pytest.raises(CycleFileError) as caught:
        parse_cycle(data, "cycles/113.yaml", today=date(2024, 7, 1))
    return caught.value.messages


def test_the_valid_base_is_accepted() -> None:
    cycle = parse_cycle(valid_cycle(), "113.yaml", today=date(2024, 7, 1))
    assert question_map(cycle.plans["school"].questionnaire)["pick"]["option_list"] == "modes"


Q = "plans.school.questionnaire"
QS = f"{Q}.sections[0].questions"
LISTED = "academic_year、county_name、school_code、school_name、stage_name、teacher_name"
ROW_TYPES = "date, long_text, multiple, number, single, text"


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        ("name", DELETE, "name: 缺少必要欄位"),
        ("roster_cutof", "2024-08-02 17:00", "roster_cutof: 未知的欄位，是否為「roster_cutoff」？"),
        ("academic_year", "113", "academic_year: 須為整數"),
        ("status", "open", "status: 須為 draft、published、closed 之一"),
        (
            "kindergarten_teachers_take_part",
            "no",
            "kindergarten_teachers_take_part: 須為 true 或 false",
        ),
        (
            "roster_cutoff",
            "2024/08/02",
            "roster_cutoff: 時間格式應為 YYYY-MM-DD HH:MM（臺北時間）或 today+Nd HH:MM",
        ),
        (
            "roster_cutoff",
            "2024-02-30 17:00",
            "roster_cutoff: 「2024-02-30 17:00」不是有效的日期時間",
        ),
        (
            "roster_cutoff",
            "2024-09-03 00:00",
            "roster_cutoff: 名單基準日須早於教師自我專業進修規劃開始時間",
        ),
        ("contact.email", "nope", "contact.email: 電子郵件格式不正確"),
        ("contact.fax", "07-1", "contact.fax: 未知的欄位（可用：email, phone, unit）"),
        ("plans.teacher", DELETE, "plans.teacher: 缺少必要欄位"),
        (
            "plans.school.windows.E.closes_at",
            "2024-08-14 00:00",
            "plans.school.windows.E.closes_at: 截止時間須晚於開始時間",
        ),
        (
            "plans.school.overall.closes_at",
            "2024-08-01 00:00",
            "plans.school.overall.closes_at: 截止時間須晚於開始時間",
        ),
        (
            "plans.school.windows.E.closes_at",
            "2024-08-24 17:00",
            "plans.school.windows.E.closes_at: 填寫期間須在整體期間之內"
            "（2024-08-05 00:00 – 2024-08-23 17:00）",
        ),
        (
            "plans.school.windows.J",
            window("2024-08-01 00:00", "2024-08-10 17:00"),
            "plans.school.windows.J.opens_at: 填寫期間須在整體期間之內"
            "（2024-08-05 00:00 – 2024-08-23 17:00）",
        ),
        (
            "plans.school.windows.K",
            window("2024-08-05 00:00", "2024-08-10 17:00"),
            "plans.school.windows.K: 學校本位進修規劃不含幼兒園（K）",
        ),
        (
            "plans.school.windows.Q",
            window("2024-08-05 00:00", "2024-08-10 17:00"),
            "plans.school.windows.Q: 不明的教育階段代碼「Q」（可用：E, J, S, V, X, K）",
        ),
        (
            "plans.teacher.windows.K",
            window("2024-09-02 00:00", "2024-09-10 17:00"),
            "plans.teacher.windows.K: "
            "kindergarten_teachers_take_part 為 false，不可設定 K 的填寫期間",
        ),
        (
            "kindergarten_teachers_take_part",
            True,
            "plans.teacher.windows.K: 幼兒園教師參與時須設定 K 的填寫期間",
        ),
        (
            "plans.school.windows",
            {},
            "plans.school.windows: 須為對應表（教育階段代碼: 填寫期間），至少一個階段",
        ),
        (
            "plans.school.windows.E.opens",
            "2024-08-14 00:00",
            "plans.school.windows.E.opens: 未知的欄位，是否為「opens_at」？",
        ),
        (
            "plans.school.questionnaire_file",
            "school.yaml",
            "plans.school: 須有 questionnaire 或 questionnaire_file 其中之一",
        ),
        (f"{Q}.version", 0, f"{Q}.version: 須介於 1 到 1000000 之間"),
        (f"{Q}.sections", [], f"{Q}.sections: 須為至少一個段落的清單"),
        (f"{QS}[1].code", "pick", f"{QS}[1].code: 題目代碼重複「pick」"),
        (
            f"{QS}[1].code",
            "Detail",
            f"{QS}[1].code: 代碼「Detail」格式不正確（須為小寫英文字母開頭，只含 a-z、0-9、_）",
        ),
        (
            f"{QS}[0].options",
            "colours",
            f"{QS}[0].options: 找不到選項清單「colours」（可用：modes）",
        ),
        ("option_lists.modes[0].code", "plc", "option_lists.modes[1].code: 選項代碼重複「plc」"),
        (
            "option_lists.modes[0].code",
            "Plc!",
            "option_lists.modes[0].code: "
            "選項代碼「Plc!」格式不正確（只含小寫英文字母、數字、_，最長 40 字）",
        ),
        (
            f"{QS}[0].options",
            [{"code": "a", "label": text("甲")}, {"code": "a", "label": text("乙")}],
            f"{QS}[0].options[1].code: 選項代碼重複「a」",
        ),
        (
            f"{QS}[1].show_if.question",
            "hours",
            f"{QS}[1].show_if.question: 條件引用的題目「hours」不存在或不在此題之前",
        ),
        (
            f"{QS}[1].show_if.equals",
            "pink",
            f"{QS}[1].show_if.equals: 選項「pink」不在題目「pick」的選項中",
        ),
        (
            f"{QS}[1].show_if.in",
            ["plc"],
            f"{QS}[1].show_if: 須有 equals 或 in 其中之一",
        ),
        (
            f"{QS}[3].show_if",
            {"question": "hours", "equals": "1"},
            f"{QS}[3].show_if.question: 條件只能引用單選題或複選題",
        ),
        (f"{QS}[2].min", 300, f"{QS}[2].min: 下限 300 不可大於上限 200"),
        (f"{QS}[2].max", 2.5, f"{QS}[2].max: 整數題的上下限與間距須為整數"),
        (f"{QS}[2].step", 0, f"{QS}[2].step: 間距須大於 0"),
        (f"{QS}[2].max", "200", f"{QS}[2].max: 須為數字"),
        (f"{QS}[2].max", float("inf"), f"{QS}[2].max: 須為有限的數字"),
        (f"{QS}[2].requird", True, f"{QS}[2].requird: 未知的欄位，是否為「required」？"),
        (f"{QS}[2].type", "slider", f"{QS}[2].type: 不明的題型「slider」"),
        (f"{QS}[2].label", {"zh": "時數"}, f"{QS}[2].label.en: 缺少必要欄位"),
        (f"{QS}[2].label", "時數", f"{QS}[2].label: 須為對應表（key: value）"),
        (f"{QS}[3].min_rows", 6, f"{QS}[3].min_rows: 最少列數 6 不可大於最多列數 5"),
        (f"{QS}[3].max_rows", 1000, f"{QS}[3].max_rows: 須介於 1 到 200 之間"),
        (
            f"{QS}[3].fields[0].type",
            "rows",
            f"{QS}[3].fields[0].type: 列內欄位不可使用題型「rows」（可用：{ROW_TYPES}）",
        ),
        (
            f"{QS}[3].fields[0].code",
            "adopted_from",
            f"{QS}[3].fields[0].code: 「adopted_from」是保留的代碼",
        ),
        (
            f"{QS}[3].fields[0].show_if",
            {"question": "pick", "equals": "plc"},
            f"{QS}[3].fields[0].show_if: 未知的欄位",
        ),
        (
            f"{QS}[2]",
            {
                "code": "rank",
                "type": "ranking",
                "label": text("排序"),
                "options": "modes",
                "ranks": 5,
            },
            f"{QS}[2].ranks: 須介於 1 到 3 之間",
        ),
        (
            f"{QS}[2]",
            {"code": "f", "type": "fact", "fact": "principal", "label": text("校長")},
            f"{QS}[2].fact: 須為 {LISTED} 之一",
        ),
        (
            f"{QS}[2]",
            {
                "code": "f",
                "type": "fact",
                "fact": "school_name",
                "label": text("校"),
                "required": True,
            },
            f"{QS}[2].required: 未知的欄位",
        ),
        (
            f"{QS}[2]",
            {
                "code": "m",
                "type": "multiple",
                "label": text("多"),
                "options": "modes",
                "min": 3,
                "max": 2,
            },
            f"{QS}[2].min: 最少選擇數 3 不可大於最多選擇數 2",
        ),
        (
            f"{QS}[2]",
            {"code": "m", "type": "multiple", "label": text("多"), "options": "modes", "max": 4},
            f"{QS}[2].max: 須介於 1 到 3 之間",
        ),
        (
            f"{QS}[2]",
            {"code": "t", "type": "text", "label": text("文"), "format": "url"},
            f"{QS}[2].format: 須為 email、phone 之一",
        ),
        (
            f"{Q}.option_lists",
            {"modes": [{"code": "x", "label": text("x")}]},
            f"{Q}.option_lists.modes: 與週期檔的選項清單同名",
        ),
    ],
)
def test_each_kind_of_mistake_names_file_path_and_problem(path, value, message) -> None:
    messages = refusal(mutate(valid_cycle(), path, value))
    expected = f"113.yaml: {message}"
    assert any(m.startswith(expected) for m in messages), messages


def test_all_mistakes_are_collected_not_just_the_first() -> None:
    data = valid_cycle()
    mutate(data, "status", "open")
    mutate(data, "plans.school.windows.E.closes_at", "2024-08-14 00:00")
    mutate(data, f"{QS}[1].code", "pick")
    mutate(data, "plans.teacher.questionnaire.sections[0].questions[2].max", -5)
    messages = refusal(data)
    assert len(messages) == 4
    assert all(m.startswith("113.yaml: ") for m in messages)


def paths(node, prefix: str = "") -> list[str]:
    found = []
    items = node.items() if isinstance(node, dict) else enumerate(node)
    for key, value in items:
        path = f"{prefix}[{key}]" if isinstance(key, int) else f"{prefix}.{key}".lstrip(".")
        found.append(path)
        if isinstance(value, dict | list):
            found.extend(paths(value, path))
    return found


ANYTHING = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()
    | st.text(max_size=12)
    | st.sampled_from(["plc", "pick", "E", "K", "today+1d 00:00", "2024-08-10 12:00", "rows"]),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3)
    ),
    max_leaves=8,
)


@settings(max_examples=300, deadline=None, database=None)
@given(
    changes=st.lists(
        st.tuples(st.sampled_from(paths(valid_cycle())), ANYTHING | st.just(DELETE)),
        min_size=1,
        max_size=3,
    )
)
def test_any_damage_is_refused_as_a_whole_never_with_a_crash(changes) -> None:
    data = valid_cycle()
    for path, value in changes:
        try:
            mutate(data, path, value)
        except (KeyError, IndexError, TypeError):
            continue  # an earlier change removed the parent
    messages = ["113.yaml: accepted"]
    try:
        parse_cycle(data, "113.yaml", today=date(2024, 7, 1))
    except CycleFileError as error:
        messages = error.messages
    assert messages
    assert all(message.startswith("113.yaml: ") for message in messages)


def test_a_cycle_must_be_a_mapping() -> None:
    assert refusal(["not", "a", "mapping"]) == ["113.yaml: （檔案根層）: 須為對應表（key: value）"]


# --- YAML files ---------------------------------------------------------------------


def test_yaml_syntax_errors_name_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("academic_year: 113\nname: [unclosed\nstatus: draft\n", encoding="utf-8")
    with pytest.raises(CycleFileError) as caught:
        load_cycle_file(path)
    [message] = caught.value.messages
    assert re.match(r"bad\.yaml: 第 \d+ 行第 \d+ 欄: YAML 語法錯誤：", message), message


def test_a_key_written_twice_is_refused_with_its_line(tmp_path: Path) -> None:
    path = tmp_path / "dup.yaml"
    path.write_text("academic_year: 113\nname: 甲\nname: 乙\n", encoding="utf-8")
    with pytest.raises(CycleFileError) as caught:
        load_cycle_file(path)
    assert caught.value.messages == ["dup.yaml: 第 3 行第 1 欄: YAML 語法錯誤：重複的鍵「name」"]


def test_missing_and_undecodable_files(tmp_path: Path) -> None:
    with pytest.raises(CycleFileError) as caught:
        load_cycle_file(tmp_path / "nope.yaml")
    assert caught.value.messages == ["nope.yaml: 找不到檔案"]
    (tmp_path / "big5.yaml").write_bytes("name: 學年度".encode("big5"))
    with pytest.raises(CycleFileError) as caught:
        load_cycle_file(tmp_path / "big5.yaml")
    assert caught.value.messages == ["big5.yaml: 檔案須為 UTF-8 編碼"]


def write_cycle(tmp_path: Path, questionnaire_yaml: str | None) -> Path:
    data = valid_cycle()
    del data["plans"]["school"]["questionnaire"]
    data["plans"]["school"]["questionnaire_file"] = "../q/school.yaml"
    (tmp_path / "cycles").mkdir()
    (tmp_path / "q").mkdir()
    if questionnaire_yaml is not None:
        (tmp_path / "q" / "school.yaml").write_text(questionnaire_yaml, encoding="utf-8")
    path = tmp_path / "cycles" / "113.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


QUESTIONNAIRE_YAML = """\
version: 3
option_lists:
  answers:
    - {code: yes, label: {zh: 是, en: "Yes"}}
    - {code: no, label: {zh: 否, en: "No"}}
sections:
  - code: main
    title: {zh: 主要, en: Main}
    questions:
      - {code: ok, type: single, label: {zh: 好嗎, en: "OK?"}, options: answers}
      - {code: why, type: text, label: {zh: 原因, en: Why}, show_if: {question: ok, equals: no}}
      - {code: how, type: single, label: {zh: 方式, en: How}, options: modes}
"""


def test_questionnaire_files_are_relative_and_read_yes_no_as_text(tmp_path: Path) -> None:
    cycle = load_cycle_file(write_cycle(tmp_path, QUESTIONNAIRE_YAML))
    plan = cycle.plans["school"]
    assert plan.questionnaire_source == "../q/school.yaml"
    assert plan.questionnaire["version"] == 3
    questions = question_map(plan.questionnaire)
    assert [o["code"] for o in questions["ok"]["options"]] == ["yes", "no"]
    assert questions["why"]["show_if"] == {"question": "ok", "values": ["no"]}
    assert questions["how"]["option_list"] == "modes"  # the cycle's shared list


def test_errors_in_a_questionnaire_file_name_that_file(tmp_path: Path) -> None:
    broken = QUESTIONNAIRE_YAML.replace("code: why", "code: Why")
    with pytest.raises(CycleFileError) as caught:
        load_cycle_file(write_cycle(tmp_path, broken))
    assert caught.value.messages == [
        "school.yaml: sections[0].questions[1].code: "
        "代碼「Why」格式不正確（須為小寫英文字母開頭，只含 a-z、0-9、_）"
    ]


def test_a_missing_questionnaire_file_is_reported(tmp_path: Path) -> None:
    with pytest.raises(CycleFileError) as caught:
        load_cycle_file(write_cycle(tmp_path, None))
    assert caught.value.messages == ["school.yaml: 找不到檔案"]


def test_questionnaire_file_paths_must_be_relative(tmp_path: Path) -> None:
    data = valid_cycle()
    del data["plans"]["school"]["questionnaire"]
    data["plans"]["school"]["questionnaire_file"] = str(tmp_path / "q.yaml")
    assert refusal(data) == ["113.yaml: plans.school.questionnaire_file: 須為相對於週期檔的路徑"]


def test_times_may_be_relative_to_today() -> None:
    data = valid_cycle()
    data["roster_cutoff"] = "today-3d 17:00"
    cycle = parse_cycle(data, "113.yaml", today=date(2024, 8, 10))
    assert cycle.roster_cutoff == taipei(2024, 8, 7, 17, 0)
    data["roster_cutoff"] = datetime(2024, 8, 2, 17, 0)  # naive means Taipei wall clock
    assert parse_cycle(data, "113.yaml").roster_cutoff == taipei(2024, 8, 2, 17, 0)


# --- questions the reports read (app/reports/questions.py) --------------------------------

T = "plans.teacher.questionnaire"
REPORTED = f"{T}.sections[1].questions"
NEEDS_BY = "教師專業成長需求統計（縣市與全國彙整報表）"
HOURS_BY = "教師進修活動時數統計（縣市與全國彙整報表）"


def test_the_reports_declare_the_teacher_questions_they_read() -> None:
    from app.questionnaires.requirements import requirements

    declared = {(r.code, r.type): dict(r.fields) for r in requirements("teacher")}
    assert declared[("needs", "ranking")] == {}
    assert declared[("activities", "rows")] == {
        "hours": "number",
        "mode": "single",
        "topic_category": "single",
        "term": "single",
    }
    # The real questionnaires satisfy them (load_cycle_file would refuse them otherwise).
    teacher = load_cycle_file(CYCLES / "113.yaml").plans["teacher"].questionnaire
    assert question_map(teacher)["needs"]["type"] == "ranking"


def test_a_questionnaire_without_a_reported_question_is_refused() -> None:
    data = valid_cycle()
    del data["plans"]["teacher"]["questionnaire"]["sections"][1]["questions"][0]
    assert refusal(data) == [
        f"113.yaml: {T}.sections: 缺少「{NEEDS_BY}」所需的題目「needs」（題型 ranking）"
    ]


def test_a_reported_question_of_another_type_is_refused() -> None:
    data = mutate(
        valid_cycle(), f"{REPORTED}[0]", {"code": "needs", "type": "text", "label": text("需求")}
    )
    assert refusal(data) == [
        f"113.yaml: {REPORTED}[0].type: 「{NEEDS_BY}」讀取題目「needs」，題型須為 ranking"
        "（目前為 text）"
    ]


def test_reported_row_fields_must_exist_with_their_types() -> None:
    data = valid_cycle()
    fields = data["plans"]["teacher"]["questionnaire"]["sections"][1]["questions"][1]["fields"]
    del fields[3]  # term
    fields[2]["type"] = "text"  # hours
    assert refusal(data) == [
        f"113.yaml: {REPORTED}[1].fields: 「{HOURS_BY}」讀取欄位「activities.hours」，"
        "題型須為 number（目前為 text）",
        f"113.yaml: {REPORTED}[1].fields: 缺少「{HOURS_BY}」所需的欄位「activities.term」"
        "（題型 single）",
    ]


def test_a_questionnaire_file_is_named_in_the_refusal(tmp_path: Path) -> None:
    data = valid_cycle()
    teacher = data["plans"]["teacher"]
    questionnaire = teacher.pop("questionnaire")
    questionnaire["sections"][1]["questions"][1]["type"] = "multiple"
    questionnaire["sections"][1]["questions"][1]["options"] = "modes"
    del questionnaire["sections"][1]["questions"][1]["fields"]
    teacher["questionnaire_file"] = "../q/teacher.yaml"
    (tmp_path / "cycles").mkdir()
    (tmp_path / "q").mkdir()
    questionnaire["option_lists"] = data.pop("option_lists")
    del data["plans"]["school"]  # keep the refusal to the teacher file
    (tmp_path / "q" / "teacher.yaml").write_text(
        yaml.safe_dump(questionnaire, allow_unicode=True), encoding="utf-8"
    )
    path = tmp_path / "cycles" / "113.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    with pytest.raises(CycleFileError) as caught:
        load_cycle_file(path, today=date(2024, 7, 1))
    assert (
        f"teacher.yaml: sections[1].questions[1].type: 「{HOURS_BY}」讀取題目「activities」，"
        "題型須為 rows（目前為 multiple）"
    ) in caught.value.messages


def test_a_standalone_questionnaire_is_checked_when_its_plan_kind_is_named() -> None:
    school_only = valid_cycle()["plans"]["school"]["questionnaire"]
    lists = {"modes": [{"code": "plc", "label": text("社群")}]}
    assert parse_questionnaire(school_only, "s.yaml", lists)["version"] == 1
    with pytest.raises(CycleFileError) as caught:
        parse_questionnaire(school_only, "s.yaml", lists, plan_kind="teacher")
    assert len(caught.value.messages) == 2
    assert all(m.startswith("s.yaml: sections: 缺少") for m in caught.value.messages)
