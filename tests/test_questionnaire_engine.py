"""The questionnaire engine: form parsing, validation, rows, ranking, rendering."""

from __future__ import annotations

import json
import re
import unicodedata
from html.parser import HTMLParser
from pathlib import Path

import pytest
from babel.support import Translations
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jinja2 import Environment, FileSystemLoader
from werkzeug.datastructures import MultiDict

from app.questionnaires import engine, markup
from app.questionnaires.cyclefile import load_cycle_file, parse_questionnaire
from app.questionnaires.engine import (
    activity_rows,
    adopt_rows,
    apply_row_action,
    clean,
    iter_rows,
    parse_form,
    ranked_choices,
    summarise,
    validate,
    visible,
)

ROOT = Path(__file__).resolve().parents[1]


def label(zh: str, en: str | None = None) -> dict:
    return {"zh": zh, "en": en or zh}


def options(*codes: str) -> list[dict]:
    return [{"code": code, "label": label(f"選項{code}", f"Option {code}")} for code in codes]


SPEC = {
    "version": 1,
    "option_lists": {
        "colours": options("red", "green", "blue"),
        "standards": options("std01", "std02", "std03", "std04", "std05"),
    },
    "sections": [
        {
            "code": "basics",
            "title": label("基本資料", "Basics"),
            "questions": [
                {
                    "code": "school_name",
                    "type": "fact",
                    "fact": "school_name",
                    "label": label("學校", "School"),
                },
                {
                    "code": "name",
                    "type": "text",
                    "label": label("姓名", "Name"),
                    "required": True,
                    "max_length": 10,
                },
                {"code": "email", "type": "text", "label": label("電子郵件"), "format": "email"},
                {"code": "phone", "type": "text", "label": label("電話"), "format": "phone"},
                {"code": "story", "type": "long_text", "label": label("說明"), "max_length": 20},
                {
                    "code": "age",
                    "type": "number",
                    "label": label("年資", "Years"),
                    "min": 0,
                    "max": 200,
                    "required": True,
                },
                {
                    "code": "ratio",
                    "type": "number",
                    "label": label("比例"),
                    "min": 0,
                    "max": 10,
                    "step": 0.5,
                },
                {
                    "code": "colour",
                    "type": "single",
                    "label": label("顏色", "Colour"),
                    "options": "colours",
                    "required": True,
                },
                {
                    "code": "colours",
                    "type": "multiple",
                    "label": label("多種顏色"),
                    "options": "colours",
                    "min": 1,
                    "max": 2,
                },
                {"code": "born", "type": "date", "label": label("日期")},
            ],
        },
        {
            "code": "more",
            "title": label("更多", "More"),
            "questions": [
                {
                    "code": "needs",
                    "type": "ranking",
                    "label": label("需求排序", "Needs"),
                    "options": "standards",
                    "ranks": 3,
                    "required": True,
                },
                {
                    "code": "wants_more",
                    "type": "single",
                    "label": label("需要更多嗎", "More?"),
                    "options": [
                        {"code": "yes", "label": label("是", "Yes")},
                        {"code": "no", "label": label("否", "No")},
                    ],
                    "required": True,
                },
                {
                    "code": "more_detail",
                    "type": "long_text",
                    "label": label("更多說明"),
                    "required": True,
                    "show_if": {"question": "wants_more", "equals": "yes"},
                },
                {
                    "code": "more_colour",
                    "type": "multiple",
                    "label": label("更多顏色"),
                    "options": "colours",
                    "show_if": {"question": "colours", "in": ["red", "blue"]},
                },
                {
                    "code": "activities",
                    "type": "rows",
                    "label": label("活動", "Activities"),
                    "required": True,
                    "min_rows": 1,
                    "max_rows": 3,
                    "fields": [
                        {
                            "code": "topic",
                            "type": "text",
                            "label": label("主題", "Topic"),
                            "max_length": 20,
                            "required": True,
                        },
                        {
                            "code": "hours",
                            "type": "number",
                            "label": label("時數", "Hours"),
                            "min": 1,
                            "max": 200,
                            "required": True,
                        },
                        {
                            "code": "mode",
                            "type": "single",
                            "label": label("方式"),
                            "options": "colours",
                        },
                        {
                            "code": "tags",
                            "type": "multiple",
                            "label": label("標籤"),
                            "options": "colours",
                        },
                        {"code": "held_on", "type": "date", "label": label("日期")},
                    ],
                },
            ],
        },
    ],
}

DEFINITION = parse_questionnaire(SPEC, "test.yaml")

COMPLETE = {
    "name": "王小明",
    "age": 12,
    "colour": "red",
    "colours": ["green"],
    "needs": ["std03", "std01", "std05"],
    "wants_more": "no",
    "activities": [{"topic": "閱讀素養", "hours": 3}],
}


@pytest.fixture(scope="module")
def cycle_113():
    return load_cycle_file(ROOT / "data" / "cycles" / "113.yaml")


def form(**pairs) -> MultiDict:
    data = MultiDict()
    for key, value in pairs.items():
        for item in value if isinstance(value, list) else [value]:
            data.add(key.replace("__", "."), item)
    return data


# --- parse_form ------------------------------------------------------------------


def test_parse_form_reads_every_type() -> None:
    data = MultiDict(
        [
            ("q.school_name", "偽造的學校"),
            ("q.name", "  王小明 "),
            ("q.email", "ｔｅａｃｈｅｒ＠example.tw"),
            ("q.story", "第一行\r\n第二行"),
            ("q.age", "１２"),
            ("q.ratio", "２．５"),
            ("q.colour", "red"),
            ("q.colours", "blue"),
            ("q.colours", "red"),
            ("q.colours", "red"),
            ("q.born", "2024/8/5"),
            ("q.needs.1", "std02"),
            ("q.needs.2", ""),
            ("q.needs.3", "std04"),
            ("q.activities.0.topic", "主題一"),
            ("q.activities.0.hours", "3"),
            ("q.activities.0.tags", "green"),
            ("q.activities.0.tags", "red"),
            ("q.unknown", "ignored"),
        ]
    )
    answers = parse_form(DEFINITION, data)
    assert answers == {
        "name": "王小明",
        "email": "teacher@example.tw",
        "story": "第一行\n第二行",
        "age": 12,
        "ratio": 2.5,
        "colour": "red",
        "colours": ["red", "blue"],
        "born": "2024-08-05",
        "needs": ["std02", None, "std04"],
        "activities": [{"topic": "主題一", "hours": 3, "tags": ["red", "green"]}],
    }
    assert "school_name" not in answers  # facts never come from the form


def test_parse_form_accepts_a_plain_dict() -> None:
    answers = parse_form(DEFINITION, {"q.name": "甲", "q.colours": ["red", "blue"], "q.age": 7})
    assert answers == {"name": "甲", "colours": ["red", "blue"]}  # non-strings are ignored


def test_parse_form_keeps_invalid_input_as_typed() -> None:
    answers = parse_form(DEFINITION, form(q__age="十二", q__born="2024-02-30", q__colour="red"))
    assert answers == {"age": "十二", "born": "2024-02-30", "colour": "red"}
    errors = validate(DEFINITION, answers, final=False)
    assert errors == {"q.age": "請輸入 0 到 200 之間的整數", "q.born": "日期不存在"}


def test_parse_form_drops_unknown_option_codes_and_reports_them() -> None:
    # An unknown code cannot be shown (no radio button or box carries it): dropped, said.
    data = form(
        q__colour="pink",
        q__colours=["red", "mauve"],
        q__needs__1="std09",
        q__needs__2="std01",
        q__activities__0__mode="pink",
        q__activities__0__topic="一",
    )
    parsed = engine.parse(DEFINITION, data)
    assert parsed.answers == {
        "colours": ["red"],
        "needs": [None, "std01", None],
        "activities": [{"topic": "一"}],
    }
    assert parsed.problems == {
        "q.colour": "已移除不在清單中的選項",
        "q.colours": "已移除不在清單中的選項",
        "q.needs.1": "已移除不在清單中的選項",
        "q.activities.0.mode": "已移除不在清單中的選項",
    }
    english = engine.parse(DEFINITION, data, lang="en").problems
    assert english["q.colour"] == "Options that are not in the list were removed."


def test_parse_form_strips_control_characters() -> None:
    answers = parse_form(
        DEFINITION, form(q__name="王\x00小\x1b明\ud800", q__story="甲\x07\n乙\t丙")
    )
    assert answers["name"] == "王小明"
    assert answers["story"] == "甲\n乙\t丙"


def test_parse_form_rows_drop_trailing_blank_rows_and_keep_middle_ones() -> None:
    data = form(
        q__activities__0__topic="一",
        q__activities__1__topic="",
        q__activities__2__topic="三",
        q__activities__3__topic="",
        q__activities__3__hours="",
    )
    assert parse_form(DEFINITION, data)["activities"] == [{"topic": "一"}, {}, {"topic": "三"}]
    assert "activities" not in parse_form(DEFINITION, form(q__activities__0__topic=" "))


@pytest.mark.parametrize(
    "key",
    [
        "q.activities.1000000000.topic",
        "q.activities.-1.topic",
        "q.activities.x.topic",
        "q.activities.13.topic",  # beyond max_rows + slack
        "q.activities.0.nope",
        "q.activities..topic",
        "q.activities.0.topic.extra",
    ],
)
def test_parse_form_ignores_absurd_row_keys(key: str) -> None:
    assert "activities" not in parse_form(DEFINITION, MultiDict([(key, "x")]))


def test_parse_form_keeps_rows_over_the_limit_within_slack_so_validate_can_say_so() -> None:
    data = MultiDict([(f"q.activities.{i}.topic", f"t{i}") for i in range(5)])
    answers = parse_form(DEFINITION, data)
    assert len(answers["activities"]) == 5
    assert validate(DEFINITION, answers, final=False)["q.activities"] == "最多 3 列"


def test_parse_form_keeps_the_adopted_from_marker_only_for_a_real_school_row() -> None:
    data = form(q__activities__0__topic="一", q__activities__0__adopted_from="4")
    assert parse_form(DEFINITION, data, adoptable={4})["activities"] == [
        {"topic": "一", "adopted_from": 4}
    ]
    # Forged (no such school row), or posted where nothing may be adopted (the school plan).
    assert parse_form(DEFINITION, data, adoptable={0, 1})["activities"] == [{"topic": "一"}]
    assert parse_form(DEFINITION, data, adoptable=frozenset())["activities"] == [{"topic": "一"}]
    assert parse_form(DEFINITION, data)["activities"] == [{"topic": "一"}]
    data = form(q__activities__0__topic="一", q__activities__0__adopted_from="x")
    assert parse_form(DEFINITION, data, adoptable={4})["activities"] == [{"topic": "一"}]


# --- validate ----------------------------------------------------------------------


def test_complete_answers_are_valid() -> None:
    assert validate(DEFINITION, COMPLETE, final=True) == {}


def test_a_draft_is_not_checked_for_required_answers() -> None:
    assert validate(DEFINITION, {}, final=False) == {}
    errors = validate(DEFINITION, {}, final=True)
    assert errors == {
        "q.name": "此欄為必填",
        "q.age": "此欄為必填",
        "q.colour": "此欄為必填",
        "q.colours": "請至少選擇 1 項",
        "q.needs": "請至少排序 3 項",
        "q.wants_more": "此欄為必填",
        "q.activities": "第 1 列尚未填完：缺少 主題、時數",
    }


def test_messages_in_english() -> None:
    errors = validate(DEFINITION, {"age": 300}, final=True, lang="en")
    assert errors["q.name"] == "This field is required."
    assert errors["q.age"] == "Enter a whole number from 0 to 200."


@pytest.mark.parametrize(
    ("answers", "name", "message"),
    [
        ({"name": "一二三四五六七八九十壹"}, "q.name", "最多 10 字（目前 11 字）"),
        ({"story": "字" * 21}, "q.story", "最多 20 字（目前 21 字）"),
        ({"email": "not-an-email"}, "q.email", "電子郵件格式不正確"),
        ({"phone": "call me"}, "q.phone", "電話格式不正確（例：07-7258600 或 0912-345678）"),
        ({"age": 201}, "q.age", "請輸入 0 到 200 之間的整數"),
        ({"age": -1}, "q.age", "請輸入 0 到 200 之間的整數"),
        ({"age": 1.5}, "q.age", "請輸入 0 到 200 之間的整數"),
        ({"age": "十二"}, "q.age", "請輸入 0 到 200 之間的整數"),
        ({"age": True}, "q.age", "請輸入 0 到 200 之間的整數"),
        ({"age": float("nan")}, "q.age", "請輸入 0 到 200 之間的整數"),
        ({"ratio": 2.25}, "q.ratio", "數值須以 0.5 為單位"),
        ({"ratio": 11}, "q.ratio", "請輸入 0 到 10 之間的數字"),
        ({"colour": "pink"}, "q.colour", "選項不在清單中"),
        ({"colour": ["red"]}, "q.colour", "選項不在清單中"),
        ({"colours": ["red", "pink"]}, "q.colours", "選項不在清單中"),
        ({"colours": ["red", "green", "blue"]}, "q.colours", "最多選擇 2 項"),
        ({"colours": "red"}, "q.colours", "格式不正確"),
        ({"born": "5/8/2024"}, "q.born", "日期格式應為 YYYY-MM-DD"),
        ({"born": "2024-02-30"}, "q.born", "日期不存在"),
        ({"needs": ["std01", "std01"]}, "q.needs.2", "排序不可重複"),
        ({"needs": ["std09"]}, "q.needs.1", "選項不在清單中"),
        ({"needs": ["std01", "std02", "std03", "std04"]}, "q.needs", "格式不正確"),
        (
            {"activities": [{"topic": "x", "hours": 0}]},
            "q.activities.0.hours",
            "請輸入 1 到 200 之間的整數",
        ),
        ({"activities": [{"topic": "x" * 21}]}, "q.activities.0.topic", "最多 20 字（目前 21 字）"),
        ({"activities": [{"mode": "pink"}]}, "q.activities.0.mode", "選項不在清單中"),
        (
            {"activities": [{"held_on": "soon"}]},
            "q.activities.0.held_on",
            "日期格式應為 YYYY-MM-DD",
        ),
        ({"activities": [{"topic": "x"}] * 4}, "q.activities", "最多 3 列"),
        ({"activities": "rows"}, "q.activities", "格式不正確"),
        ({"activities": [["x"]]}, "q.activities", "格式不正確"),
    ],
)
def test_draft_checks_types_bounds_lengths_and_codes(answers, name, message) -> None:
    assert validate(DEFINITION, answers, final=False)[name] == message
    assert validate(DEFINITION, {**COMPLETE, **answers}, final=True)[name] == message


@pytest.mark.parametrize(
    ("answers", "name", "message"),
    [
        ({"colours": []}, "q.colours", "請至少選擇 1 項"),
        ({"needs": ["std01", "std02"]}, "q.needs", "請至少排序 3 項"),
        ({"needs": [None, "std02", "std03"]}, "q.needs.1", "請依序填寫，第 1 順位不可空白"),
        ({"activities": []}, "q.activities", "第 1 列尚未填完：缺少 主題、時數"),
        ({"activities": [{}, {}]}, "q.activities", "第 1 列尚未填完：缺少 主題、時數"),
        ({"activities": [{"hours": 2}]}, "q.activities.0.topic", "此欄為必填"),
        ({"wants_more": "yes"}, "q.more_detail", "此欄為必填"),
    ],
)
def test_submission_also_checks_required_answers_and_minimums(answers, name, message) -> None:
    assert name not in validate(DEFINITION, {**COMPLETE, **answers}, final=False)
    assert validate(DEFINITION, {**COMPLETE, **answers}, final=True)[name] == message


def test_blank_rows_in_the_middle_are_not_errors() -> None:
    answers = {
        **COMPLETE,
        "activities": [{"topic": "a", "hours": 1}, {}, {"topic": "b", "hours": 2}],
    }
    assert validate(DEFINITION, answers, final=True) == {}
    assert clean(DEFINITION, answers)["activities"] == [
        {"topic": "a", "hours": 1},
        {"topic": "b", "hours": 2},
    ]


@pytest.mark.parametrize("typed", ["１２", " 12 ", "12.0", "+12", "１，２"])
def test_full_width_and_padded_numbers_are_stored_normalised(typed: str) -> None:
    answers = parse_form(DEFINITION, form(q__age=typed))
    assert answers["age"] == 12
    assert isinstance(answers["age"], int)
    assert "q.age" not in validate(DEFINITION, answers, final=False)
    assert json.loads(json.dumps(answers)) == answers


def test_huge_numbers_do_not_break_int_parsing() -> None:
    answers = parse_form(DEFINITION, form(q__age="9" * 5000))
    assert isinstance(answers["age"], str)
    assert validate(DEFINITION, answers, final=False)["q.age"] == "請輸入 0 到 200 之間的整數"


# --- show_if -----------------------------------------------------------------------


def test_show_if_equals() -> None:
    assert not visible(DEFINITION, {}, "more_detail")
    assert not visible(DEFINITION, {"wants_more": "no"}, "more_detail")
    assert visible(DEFINITION, {"wants_more": "yes"}, "more_detail")
    assert visible(DEFINITION, {}, "name")
    assert not visible(DEFINITION, {}, "no_such_question")


def test_show_if_in_against_a_multiple_choice() -> None:
    assert visible(DEFINITION, {"colours": ["green", "blue"]}, "more_colour")
    assert not visible(DEFINITION, {"colours": ["green"]}, "more_colour")


def test_hidden_questions_are_neither_required_nor_checked_nor_kept() -> None:
    answers = {**COMPLETE, "wants_more": "no", "more_detail": "x" * 5000}
    assert validate(DEFINITION, answers, final=True) == {}
    assert "more_detail" not in clean(DEFINITION, answers)
    shown = {**answers, "wants_more": "yes"}
    assert (
        validate(DEFINITION, shown, final=True)["q.more_detail"] == "最多 2000 字（目前 5000 字）"
    )
    assert clean(DEFINITION, shown)["more_detail"] == "x" * 5000


def test_clean_drops_unknown_keys_facts_and_blank_values() -> None:
    answers = {**COMPLETE, "school_name": "偽造", "bogus": 1, "story": "", "needs": [None] * 3}
    cleaned = clean(DEFINITION, answers)
    assert "school_name" not in cleaned
    assert "bogus" not in cleaned
    assert "story" not in cleaned
    assert "needs" not in cleaned


# --- rows: add / remove -------------------------------------------------------------


def test_add_row_pads_to_what_was_shown_then_appends() -> None:
    # An empty rows question shows one blank row; "新增一列" makes it two.
    assert apply_row_action(DEFINITION, {}, "add_row:activities")["activities"] == [{}, {}]
    answers = {"activities": [{"topic": "a"}]}
    assert apply_row_action(DEFINITION, answers, "add_row:activities")["activities"] == [
        {"topic": "a"},
        {},
    ]
    assert answers == {"activities": [{"topic": "a"}]}  # not mutated


def test_add_row_respects_max_rows() -> None:
    full = {"activities": [{"topic": str(i)} for i in range(3)]}
    assert apply_row_action(DEFINITION, full, "add_row:activities") == full


def test_remove_row_removes_the_row_the_user_saw() -> None:
    answers = {"activities": [{"topic": "a"}, {}, {"topic": "c"}]}
    after = apply_row_action(DEFINITION, answers, "remove_row:activities:2")
    assert after["activities"] == [{"topic": "a"}, {}]
    after = apply_row_action(DEFINITION, answers, "remove_row:activities:1")
    assert after["activities"] == [{"topic": "a"}, {"topic": "c"}]


@pytest.mark.parametrize(
    "action",
    [
        "remove_row:activities:9",
        "remove_row:activities:-1",
        "remove_row:activities:1000000000000",
        "remove_row:activities",
        "add_row:name",
        "add_row:nope",
        "remove_row:name:0",
        "explode",
        "",
        "add_row:activities\x00",
        "x" * 10000,
    ],
)
def test_row_actions_never_raise_on_hostile_input(action: str) -> None:
    answers = {"activities": [{"topic": "a"}]}
    assert apply_row_action(DEFINITION, answers, action) == answers


def test_row_actions_accept_odd_answers() -> None:
    assert apply_row_action(DEFINITION, {"activities": "x"}, "add_row:activities") == {
        "activities": [{}, {}]
    }
    assert apply_row_action(DEFINITION, None, "add_row:activities") == {"activities": [{}, {}]}


def test_iter_rows_and_activity_rows_skip_blank_rows() -> None:
    answers = {"activities": [{"topic": "a", "x": 1}, {}, {"adopted_from": 3}, "junk"]}
    assert list(iter_rows(DEFINITION, answers, "activities")) == [{"topic": "a"}]
    assert activity_rows(answers) == [{"topic": "a", "x": 1}]
    assert activity_rows({}) == []
    assert ranked_choices({"needs": ["std01", None, "std03", 4]}, "needs") == ["std01", "std03"]


# --- adopting school rows -------------------------------------------------------------


def test_adopt_rows_copies_shared_fields_and_respects_max_rows(cycle_113) -> None:
    school = cycle_113.plans["school"].questionnaire
    teacher = cycle_113.plans["teacher"].questionnaire
    school_rows = [
        {
            "topic_category": f"std0{i + 1}",
            "topic": f"主題{i}",
            "mode": "plc",
            "hours": 3,
            "term": "first",
            "audience": "all_teachers",
            "expected_participants": 30,
        }
        for i in range(5)
    ]
    school_answers = {"activities": school_rows}
    mine = {"activities": [{"topic": "自己的", "hours": 2}, {}]}
    result = adopt_rows(school, school_answers, teacher, mine, [3, 0, 3, 99, -1, "1", True])
    assert result["activities"] == [
        {"topic": "自己的", "hours": 2},
        {
            "topic_category": "std04",
            "topic": "主題3",
            "mode": "plc",
            "hours": 3,
            "term": "first",
            "adopted_from": 3,
        },
        {
            "topic_category": "std01",
            "topic": "主題0",
            "mode": "plc",
            "hours": 3,
            "term": "first",
            "adopted_from": 0,
        },
    ]
    again = adopt_rows(school, school_answers, teacher, result, [3])
    assert again == result  # a school row is adopted once

    many = {"activities": [{"topic": str(i)} for i in range(19)]}
    full = adopt_rows(school, school_answers, teacher, many, [0, 1, 2])
    assert len(full["activities"]) == 20


def test_adopted_rows_validate_in_the_teacher_plan(cycle_113) -> None:
    school = cycle_113.plans["school"].questionnaire
    teacher = cycle_113.plans["teacher"].questionnaire
    row = {"topic_category": "std02", "topic": "差異化教學", "mode": "lecture_workshop"}
    row |= {"hours": 6, "term": "second", "audience": "area_teachers"}
    adopted = adopt_rows(school, {"activities": [row]}, teacher, {}, [0])
    assert validate(teacher, adopted, final=False) == {}
    assert "q.activities" not in validate(teacher, adopted, final=True)


# --- summarise ----------------------------------------------------------------------


def test_summarise_gives_labels_and_display_text() -> None:
    answers = {**COMPLETE, "colours": ["red", "blue"], "wants_more": "yes", "more_detail": "多"}
    summary = summarise(DEFINITION, answers, facts={"school_name": "示範國小"})
    assert [section["code"] for section in summary] == ["basics", "more"]
    by_code = {q["code"]: q for section in summary for q in section["questions"]}
    assert by_code["school_name"]["text"] == "示範國小"
    assert by_code["colour"]["text"] == "選項red"
    assert by_code["colours"]["items"] == ["選項red", "選項blue"]
    assert by_code["needs"]["text"] == "1. 選項std03；2. 選項std01；3. 選項std05"
    assert by_code["more_detail"]["text"] == "多"
    assert by_code["activities"]["columns"][:2] == ["主題", "時數"]
    assert by_code["activities"]["rows"] == [["閱讀素養", "3", "", "", ""]]
    assert by_code["story"]["answered"] is False
    assert "more_colour" in by_code  # red chosen, so shown
    hidden = summarise(DEFINITION, {**answers, "wants_more": "no"})
    assert "more_detail" not in {q["code"] for s in hidden for q in s["questions"]}
    english = summarise(DEFINITION, answers, lang="en")
    assert english[0]["title"] == "Basics"
    json.dumps(summary, ensure_ascii=False)


# --- hostile input --------------------------------------------------------------------

KEYS = st.one_of(
    st.sampled_from(
        [
            "q.name",
            "q.age",
            "q.ratio",
            "q.colour",
            "q.colours",
            "q.born",
            "q.story",
            "q.email",
            "q.needs.1",
            "q.needs.2",
            "q.needs.3",
            "q.needs.0",
            "q.activities.0.topic",
            "q.activities.0.hours",
            "q.activities.0.tags",
            "q.activities.0.adopted_from",
            "q.activities.2.mode",
            "q.activities.1000000000.topic",
            "q.activities.-5.topic",
            "q.activities.99999999999999999999.hours",
            "q.school_name",
        ]
    ),
    st.builds(
        lambda i, f: f"q.activities.{i}.{f}",
        st.integers(-(10**12), 10**12),
        st.sampled_from(["topic", "hours", "mode", "tags", "held_on", "adopted_from", "x"]),
    ),
    st.text(max_size=40),
)
VALUES = st.one_of(
    st.text(max_size=60),
    st.text(alphabet=st.characters(max_codepoint=0x1F), max_size=20),
    st.sampled_from(["１２", "-0", "1e9", "NaN", "inf", "2024-13-45", "red", "std01", "9" * 5000]),
    st.just("長" * 100_000),
)


@settings(
    max_examples=150,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(pairs=st.lists(st.tuples(KEYS, VALUES), max_size=25), final=st.booleans())
def test_hostile_formdata_never_raises(pairs, final) -> None:
    answers = parse_form(DEFINITION, MultiDict(pairs))
    json.dumps(answers)
    errors = validate(DEFINITION, answers, final=final)
    assert all(isinstance(k, str) and isinstance(v, str) for k, v in errors.items())
    assert len(answers.get("activities", [])) <= 3 + engine.ROW_SLACK
    for value in answers.values():
        if isinstance(value, str):
            assert len(value) <= 8000
    clean(DEFINITION, answers)
    summarise(DEFINITION, answers)


JSONISH = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=20,
)


@settings(max_examples=150, deadline=None, database=None)
@given(
    answers=st.dictionaries(
        st.sampled_from([q["code"] for q in engine.iter_questions(DEFINITION)] + ["x"]),
        JSONISH,
    ),
    final=st.booleans(),
    action=st.text(max_size=30)
    | st.sampled_from(["add_row:activities", "remove_row:activities:0"]),
)
def test_stored_answers_of_any_shape_never_raise(answers, final, action) -> None:
    validate(DEFINITION, answers, final=final)
    clean(DEFINITION, answers)
    summarise(DEFINITION, answers)
    apply_row_action(DEFINITION, answers, action)
    render(DEFINITION, answers, {}, {})
    render(DEFINITION, answers, {}, {}, readonly=True)


# --- the macro file -----------------------------------------------------------------


def _environment(lang: str) -> Environment:
    """The macro file outside Flask: interface texts from the catalog of one language."""
    env = Environment(
        loader=FileSystemLoader(str(ROOT / "templates")),
        autoescape=True,
        extensions=["jinja2.ext.i18n"],
    )
    if lang == "en":
        catalog = Translations.load(str(ROOT / "translations"), ["en"])
        assert isinstance(catalog, Translations), "run `make setup` to compile the catalog"
        env.install_gettext_translations(catalog, newstyle=True)
    else:
        env.install_null_translations(newstyle=True)
    markup.install(env)
    return env


MACROS = {
    lang: _environment(lang).from_string(
        '{% from "questionnaires/_fields.html" import render_questionnaire %}'
        "{{ render_questionnaire(definition, answers, errors, facts, readonly=readonly, "
        "lang=lang) }}"
    )
    for lang in ("zh", "en")
}


def render(definition, answers, errors, facts, *, readonly=False, lang="zh") -> str:
    return MACROS[lang].render(
        definition=definition,
        answers=answers,
        errors=errors,
        facts=facts,
        readonly=readonly,
        lang=lang,
    )


class Page(HTMLParser):
    """Collects controls, labels, ids and what a browser would submit."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.controls: list[dict] = []
        self.label_for: set[str] = set()
        self.ids: list[str] = []
        self.submitted: list[tuple[str, str]] = []
        self.buttons: list[dict] = []
        self._select: dict | None = None
        self._textarea: dict | None = None
        self.feed(html)

    def handle_starttag(self, tag, attrs) -> None:
        attrs = dict(attrs)
        if "id" in attrs:
            self.ids.append(attrs["id"])
        if tag == "label" and "for" in attrs:
            self.label_for.add(attrs["for"])
        if tag == "button":
            self.buttons.append(attrs)
        if tag == "input" and attrs.get("type") not in ("hidden", "submit", "button"):
            self.controls.append({"tag": tag, **attrs})
            if attrs.get("type") in ("radio", "checkbox"):
                if "checked" in attrs:
                    self.submitted.append((attrs["name"], attrs["value"]))
            else:
                self.submitted.append((attrs["name"], attrs.get("value", "")))
        if tag == "input" and attrs.get("type") == "hidden":
            self.submitted.append((attrs["name"], attrs["value"]))
        if tag == "select":
            self.controls.append({"tag": tag, **attrs})
            self._select = {"name": attrs["name"], "value": None}
        selected = self._select is not None and (
            self._select["value"] is None or "selected" in attrs
        )
        if tag == "option" and selected:
            self._select["value"] = attrs.get("value", "")
        if tag == "textarea":
            self.controls.append({"tag": tag, **attrs})
            self._textarea = {"name": attrs["name"], "text": ""}

    def handle_data(self, data) -> None:
        if self._textarea is not None:
            self._textarea["text"] += data

    def handle_endtag(self, tag) -> None:
        if tag == "select" and self._select is not None:
            self.submitted.append((self._select["name"], self._select["value"] or ""))
            self._select = None
        if tag == "textarea" and self._textarea is not None:
            self.submitted.append((self._textarea["name"], self._textarea["text"]))
            self._textarea = None


def test_every_control_has_a_label_and_ids_are_unique(cycle_113) -> None:
    for kind in ("school", "teacher"):
        definition = cycle_113.plans[kind].questionnaire
        page = Page(render(definition, {}, {}, {"school_name": "示範國小"}))
        assert page.controls
        for control in page.controls:
            assert control.get("id") in page.label_for or control.get("aria-label"), control
        assert len(page.ids) == len(set(page.ids))
    page = Page(render(DEFINITION, COMPLETE, {}, {}))
    for control in page.controls:
        assert control["id"] in page.label_for, control


def test_errors_sit_beside_their_fields_and_are_referenced(cycle_113) -> None:
    definition = cycle_113.plans["school"].questionnaire
    answers = {"activities": [{"topic": "x", "hours": 900}], "contact_email": "nope"}
    errors = validate(definition, answers, final=True)
    assert errors["q.activities.0.hours"] == "請輸入 1 到 200 之間的整數"
    html = render(definition, answers, errors, {})
    page = Page(html)
    by_name = {c["name"]: c for c in page.controls}
    for name in ("q.contact_email", "q.activities.0.hours", "q.contact_name"):
        control = by_name[name]
        assert control["aria-invalid"] == "true"
        error_id = "e-" + name[2:].replace(".", "-")
        assert error_id in control["aria-describedby"].split()
        assert re.search(rf'<p class="error" id="{error_id}">{re.escape(errors[name])}</p>', html)
    group = re.search(r'<fieldset[^>]*id="q-priority_issues"[^>]*>', html).group(0)
    assert 'aria-describedby="e-priority_issues h-priority_issues"' in group
    assert "aria-invalid" not in by_name["q.remarks"]


def test_required_fields_are_marked_visually_and_for_assistive_technology(cycle_113) -> None:
    definition = cycle_113.plans["school"].questionnaire
    page = Page(render(definition, {}, {}, {}))
    by_name = {c["name"]: c for c in page.controls}
    assert by_name["q.contact_name"]["aria-required"] == "true"
    assert "aria-required" not in by_name["q.remarks"]
    html = render(definition, {}, {}, {})
    assert re.search(r'for="f-contact_name">聯絡人姓名</label><span class="required"', html)
    group = '<fieldset class="field q-question q-choices q-type-multiple" id="q-priority_issues"'
    assert group in html


def test_values_are_escaped(cycle_113) -> None:
    definition = cycle_113.plans["school"].questionnaire
    evil = '"><script>alert(1)</script>'
    answers = {"contact_name": evil, "remarks": "</textarea><script>x</script>"}
    answers["activities"] = [{"topic": evil}]
    for readonly in (False, True):
        html = render(
            definition, answers, {"q.contact_name": evil}, {"school_name": evil}, readonly=readonly
        )
        assert "<script>" not in html
        assert "&lt;script&gt;" in html


def test_rendered_form_round_trips_through_parse_form(cycle_113) -> None:
    definition = cycle_113.plans["school"].questionnaire
    answers = {
        "contact_name": "王小明",
        "contact_email": "a@b.tw",
        "priority_issues": ["gender_equality", "ocean"],
        "priority_description": "第一行\n第二行",
        "activities": [
            {"topic_category": "std03", "topic": "素養導向", "mode": "plc", "hours": 12},
            {"topic": "第二", "expected_participants": 30},
        ],
        "needs_support": "yes",
        "support_types": ["funding"],
    }
    page = Page(render(definition, answers, {}, {}))
    assert parse_form(definition, MultiDict(page.submitted)) == answers
    teacher = cycle_113.plans["teacher"].questionnaire
    mine = {
        "needs": ["std09", "std01", "std04"],
        "preferred_times": ["weekend"],
        "activities": [{"topic": "取自學校", "hours": 3, "adopted_from": 1}, {"topic": "自訂"}],
    }
    page = Page(render(teacher, mine, {}, {}))
    assert parse_form(teacher, MultiDict(page.submitted), adoptable={0, 1}) == mine


def test_rows_render_as_fieldsets_with_buttons_that_work_without_javascript(cycle_113) -> None:
    definition = cycle_113.plans["teacher"].questionnaire
    html = render(definition, {}, {}, {})
    group = re.search(r'<fieldset class="field q-question q-type-rows.*?</ol>', html, re.S).group(0)
    assert re.search(r'<legend class="field-label">預定參加的進修活動', group)
    assert re.search(r'<legend class="q-row-legend">第 1 列', group)
    label = re.search(
        r'<label class="q-cell-label" for="f-activities-0-topic">(.*?)</label>', group, re.S
    ).group(1)
    assert "主題" in label
    assert "（第 1 列）" in label  # each field's name says which row it belongs to
    page = Page(html)
    actions = [b.get("value") for b in page.buttons if b.get("name") == "action"]
    assert actions == ["remove_row:activities:0", "add_row:activities"]
    # The view applies the action and re-renders: now two rows.
    answers = apply_row_action(
        definition, parse_form(definition, MultiDict(page.submitted)), actions[1]
    )
    page = Page(render(definition, answers, {}, {}))
    assert [b.get("value") for b in page.buttons] == [
        "remove_row:activities:0",
        "remove_row:activities:1",
        "add_row:activities",
    ]
    full = {"activities": [{"topic": str(i)} for i in range(20)]}
    html = render(definition, full, {}, {})
    assert "add_row:activities" not in html
    assert "已達上限 20 列。" in html


def test_ranking_renders_one_select_per_rank(cycle_113) -> None:
    definition = cycle_113.plans["teacher"].questionnaire
    errors = validate(definition, {"needs": ["std01", "std01"]}, final=True)
    html = render(definition, {"needs": ["std01", "std01"]}, errors, {})
    page = Page(html)
    ranks = [c for c in page.controls if c["name"].startswith("q.needs.")]
    assert [c["name"] for c in ranks] == ["q.needs.1", "q.needs.2", "q.needs.3"]
    assert ranks[1]["aria-invalid"] == "true"
    assert ranks[1]["aria-describedby"] == "e-needs-2"
    assert '<p class="error" id="e-needs-2">排序不可重複</p>' in html
    assert '<label for="f-needs-1">第 1 順位</label>' in html


def test_conditional_questions_are_wrapped_with_a_visible_hint(cycle_113) -> None:
    definition = cycle_113.plans["school"].questionnaire
    html = render(definition, {}, {}, {})
    assert (
        '<div class="q-conditional" data-show-if-question="needs_support" '
        'data-show-if-values="yes">' in html
    )
    assert "（當「是否需要外部支援？」為「是」時填寫）" in html
    english = render(definition, {}, {}, {}, lang="en")
    assert "(answer when “Does the school need external support?” is “Yes”)" in english
    assert '<label class="field-label" for="f-contact_name">Contact person</label>' in english


def test_readonly_mode_has_no_inputs(cycle_113) -> None:
    definition = cycle_113.plans["school"].questionnaire
    answers = {
        "contact_name": "王小明",
        "priority_issues": ["ocean", "reading"],
        "activities": [{"topic": "閱讀", "hours": 6, "mode": "plc", "adopted_from": 0}],
        "needs_support": "no",
    }
    html = render(definition, answers, {}, {"school_name": "示範國小"}, readonly=True)
    page = Page(html)
    assert page.controls == []
    assert page.buttons == []
    assert "<dd>示範國小</dd>" in html
    assert "<li>海洋教育</li><li>閱讀素養教育</li>" in html
    assert "<td>6 小時</td>" in html
    assert "support_details" not in html  # hidden and unanswered


def test_the_macro_uses_class_names_and_leaves_the_form_tag_to_the_page() -> None:
    source = (ROOT / "templates" / "questionnaires" / "_fields.html").read_text(encoding="utf-8")
    assert "style=" not in source
    html = render(DEFINITION, COMPLETE, validate(DEFINITION, {}, final=True), {})
    assert "<form" not in html
    assert "style=" not in html


def test_python_markup_helpers_escape_everything() -> None:
    question = {
        "code": "mode",
        "options": [{"code": 'a"b', "label": {"zh": "<b>甲</b>", "en": "A"}}],
    }
    options = str(markup.select_options(question, "<script>x</script>", "zh"))
    assert "<script>" not in options
    assert "&lt;script&gt;x&lt;/script&gt;" in options  # an unknown stored code, kept escaped
    assert 'value="a&#34;b"' in options
    assert "&lt;b&gt;甲&lt;/b&gt;" in options
    boxes = str(markup.choice_inputs(question, 'q.x"><img', 'checkbox"><i', ['a"b'], "e", "en"))
    assert "<img" not in boxes
    assert "<i" not in boxes.replace("<input", "")
    assert 'type="checkbox"' in boxes
    assert " checked" in boxes
    assert 'aria-invalid="true"' in boxes


# --- a draft stores what was typed (issue 8 item 1) and no bidi controls (issue 9 item 11) --

BIDI = [chr(c) for c in (*range(0x202A, 0x202F), *range(0x2066, 0x206A))]
NEVER_STORED = {*BIDI, "\x00", "\ufffd"}
TYPED_FIELDS = [
    "q.name",
    "q.email",
    "q.phone",
    "q.story",
    "q.age",
    "q.ratio",
    "q.born",
    "q.activities.0.topic",
    "q.activities.0.hours",
    "q.activities.0.held_on",
    "q.activities.1.topic",
]
TYPED = st.text(
    alphabet=st.one_of(
        st.characters(codec="utf-8"),
        st.sampled_from([*BIDI, "\x00", "\ufffd", "\r", "\n", "\t", "　", "<", "&", '"']),
        st.sampled_from(list("0123456789１２.,-+/年")),
    ),
    max_size=40,
)


def _strings(value):
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def _typed_value(name: str, typed: str):
    """What parse_form keeps of a typed text: cleaned, otherwise as typed."""
    question = question_map_all()[name]
    kind = engine.types.type_of(question)
    state = engine.types.ParseState(MultiDict([(name, typed)]))
    return kind.parse(question, name, state)


def question_map_all() -> dict:
    fields = {}
    for question in engine.iter_questions(DEFINITION):
        fields[f"q.{question['code']}"] = question
        for sub in question.get("fields", ()):
            for index in range(2):
                fields[f"q.{question['code']}.{index}.{sub['code']}"] = sub
    return fields


@settings(max_examples=120, deadline=None, database=None)
@given(posted=st.dictionaries(st.sampled_from(TYPED_FIELDS), TYPED, max_size=8))
def test_a_draft_keeps_what_was_typed_and_shows_it_again(posted) -> None:
    parsed = engine.parse(DEFINITION, MultiDict(list(posted.items())))
    answers = parsed.answers
    # Storable: JSON in UTF-8, no NUL, invalid UTF-8 or bidi control anywhere.
    json.dumps(answers, ensure_ascii=False).encode("utf-8")
    for text in _strings(answers):
        assert not NEVER_STORED & set(text)
    # Each field keeps its typed text (cleaned); a number or date that does not parse
    # stays the typed text.
    for name, typed in posted.items():
        kept = _typed_value(name, typed)
        code, *rest = name[2:].split(".")
        value = answers.get(code)
        if rest:
            # Rows come in the order of the row numbers posted (a form posts them all).
            posted_rows = sorted({int(n.split(".")[2]) for n in posted if n.count(".") == 3})
            rows = value or []
            index, field_code = posted_rows.index(int(rest[0])), rest[1]
            value = rows[index].get(field_code) if index < len(rows) else None
        assert value == (kept if kept != "" else None)
        if isinstance(kept, str) and kept:
            expected = engine.types.clean_text(typed, multiline=code == "story", cap=10**6)
            if code in ("email", "phone"):  # full-width ＠ and digits typed with an IME
                expected = unicodedata.normalize("NFKC", expected).strip()
            assert kept == expected
    # Re-rendered, the form shows exactly that, and posting it again changes nothing.
    errors = {**parsed.problems, **validate(DEFINITION, answers, final=False)}
    page = Page(render(DEFINITION, answers, errors, {}))
    assert parse_form(DEFINITION, MultiDict(page.submitted)) == answers
    # Summaries, display values and the reports' readers take raw values as they are.
    summarise(DEFINITION, answers)
    summarise(DEFINITION, answers, lang="en")
    for question in engine.iter_questions(DEFINITION):
        engine.display_value(question, answers.get(question["code"]))
    activity_rows(answers)
    ranked_choices(answers, "needs")
    render(DEFINITION, answers, {}, {}, readonly=True)


def test_letters_in_a_number_are_kept_and_explained() -> None:
    answers = parse_form(DEFINITION, form(q__age="abc", q__activities__0__hours="十二"))
    assert answers == {"age": "abc", "activities": [{"hours": "十二"}]}
    assert validate(DEFINITION, answers, final=False) == {
        "q.age": "請輸入 0 到 200 之間的整數",
        "q.activities.0.hours": "請輸入 1 到 200 之間的整數",
    }
    page = Page(render(DEFINITION, answers, validate(DEFINITION, answers), {}))
    assert ("q.age", "abc") in page.submitted
    assert ("q.activities.0.hours", "十二") in page.submitted
    assert summarise(DEFINITION, answers)[0]["questions"][5]["text"] == "abc"
    assert engine.display_value(question_map_all()["q.activities.0.hours"], "十二") == "十二"
    assert activity_rows(answers) == [{"hours": "十二"}]


def test_a_date_that_is_no_day_is_shown_as_typed_text() -> None:
    answers = parse_form(DEFINITION, form(q__born="下週三"))
    html = render(DEFINITION, answers, {}, {})
    assert re.search(
        r'<input type="text" class="q-input q-date" id="f-born"[^>]*value="下週三"', html
    )
    good = render(DEFINITION, {"born": "2024-08-05"}, {}, {})
    assert '<input type="date" class="q-input q-date" id="f-born"' in good


def test_over_length_text_is_kept_up_to_its_hard_bound_and_flagged() -> None:
    # name: max_length 10, so the field keeps up to the floor of 1,000 characters.
    parsed = engine.parse(DEFINITION, form(q__name="字" * 600, q__story="長" * 1500))
    assert parsed.answers["name"] == "字" * 600
    assert parsed.answers["story"] == "長" * engine.types.FIELD_FLOOR
    assert parsed.problems == {"q.story": "內容過長，只保留前 1000 字"}
    errors = validate(DEFINITION, parsed.answers, final=False)
    assert errors["q.name"] == "最多 10 字（目前 600 字）"
    assert errors["q.story"] == "最多 20 字（目前 1000 字）"
    assert engine.types.field_cap({"max_length": 20_000}) == engine.FIELD_LIMIT == 20_000


def test_a_plan_keeps_at_most_its_total_bound_of_text() -> None:
    definition = parse_questionnaire(
        {
            "version": 1,
            "sections": [
                {
                    "code": "s",
                    "title": label("段"),
                    "questions": [
                        {
                            "code": f"t{i}",
                            "type": "long_text",
                            "label": label("長"),
                            "max_length": 20_000,
                        }
                        for i in range(12)
                    ],
                }
            ],
        },
        "long.yaml",
    )
    data = MultiDict([(f"q.t{i}", "字" * 20_000) for i in range(12)])
    parsed = engine.parse(definition, data)
    kept = sum(len(value) for value in parsed.answers.values())
    assert kept == engine.PLAN_LIMIT == 200_000
    assert parsed.answers["t9"] == "字" * 20_000
    assert "t10" not in parsed.answers
    assert parsed.problems["q.t10"] == "整份規劃的文字超過 200000 字，超過的部分未保留"


def test_rows_beyond_the_hard_bound_are_reported() -> None:
    data = MultiDict([(f"q.activities.{i}.topic", f"t{i}") for i in range(15)])
    parsed = engine.parse(DEFINITION, data)
    assert len(parsed.answers["activities"]) == 3 + engine.ROW_SLACK
    assert parsed.problems == {"q.activities": "最多 3 列，超過的列未保留"}
    assert validate(DEFINITION, parsed.answers)["q.activities"] == "最多 3 列"


@settings(max_examples=100, deadline=None, database=None)
@given(
    text=st.text(
        alphabet=st.one_of(st.sampled_from(BIDI), st.characters(codec="utf-8")), max_size=30
    ),
    field=st.sampled_from(["q.name", "q.story", "q.activities.0.topic", "q.age", "q.born"]),
)
def test_bidi_controls_never_reach_stored_answers(text, field) -> None:
    answers = parse_form(DEFINITION, MultiDict([(field, "\u202e" + text + "\u2066")]))
    assert all(not set(BIDI) & set(value) for value in _strings(answers))
    assert all(not set(BIDI) & set(value) for value in _strings(clean(DEFINITION, answers)))


def test_a_reversed_name_reads_as_typed() -> None:
    answers = parse_form(
        DEFINITION, form(q__name="\u202e王小明\u202c", q__story="甲\u2067乙\u2069")
    )
    assert answers == {"name": "王小明", "story": "甲乙"}
