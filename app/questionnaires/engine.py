"""Questionnaire engine: form parsing, validation, cleaning and read-only views.

Everything here works on the *normalised* definition built by
``app.questionnaires.cyclefile`` (plain JSON data, options inlined in each
question) and on plain answers dicts, so callers can store both as JSON.

Answers shape, keyed by question code (unanswered questions are absent):

- text, long_text, single, date: ``str``
- number: ``int`` or ``float`` once valid; the typed ``str`` while invalid
- multiple: ``list[str]`` of option codes
- ranking: ``list[str | None]`` of length ``ranks``, rank 1 first
- rows: ``list[dict]``, one dict per row holding its non-empty fields, plus
  ``adopted_from`` (school row index) on rows taken over from the school plan
- fact: never stored; the value comes from the ``facts`` context
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Iterable, Iterator, Mapping
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

ROW_FIELD_TYPES = frozenset({"text", "long_text", "number", "single", "multiple", "date"})
# Rows beyond max_rows are kept up to this slack so the user is told "最多 N 列"
# instead of losing what was typed; anything further is ignored as hostile.
ROW_SLACK = 10
ADOPTED_FROM = "adopted_from"
ACTIVITIES = "activities"
ACTIVITY_FIELDS = ("topic_category", "topic", "mode", "hours", "term")
# Facts a view may supply to `fact` questions (the cycle file refuses others).
KNOWN_FACTS = frozenset(
    {
        "academic_year",
        "county_name",
        "school_code",
        "school_name",
        "stage_name",
        "teacher_name",
    }
)

_ROW_KEY = re.compile(r"q\.([a-z][a-z0-9_]{0,63})\.([0-9]{1,9})\.([a-z][a-z0-9_]{0,63})")
_ADD_ROW = re.compile(r"add_row:([a-z][a-z0-9_]{0,63})")
_REMOVE_ROW = re.compile(r"remove_row:([a-z][a-z0-9_]{0,63}):([0-9]{1,9})")
_NUMBER = re.compile(r"[+-]?[0-9]{1,15}(?:\.[0-9]{1,10})?")
_LOOSE_DATE = re.compile(r"([0-9]{4})[-/.]([0-9]{1,2})[-/.]([0-9]{1,2})")
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_EMAIL = re.compile(r"[^@\s]+@[^@\s.]+(?:\.[^@\s.]+)+")
_PHONE = re.compile(r"\+?[0-9()#\- ]{6,30}(?:(?:分機|轉|ext\.?|#) ?[0-9]{1,6})?")
_OPTION_CODE_CAP = 100
_LIST_CAP_SLACK = 10

_MESSAGES: dict[str, tuple[str, str]] = {
    "required": ("此欄為必填", "This field is required."),
    "invalid": ("格式不正確", "This value is not valid."),
    "too_long": (
        "最多 {limit} 字（目前 {count} 字）",
        "At most {limit} characters (currently {count}).",
    ),
    "email": ("電子郵件格式不正確", "Enter a valid email address."),
    "phone": (
        "電話格式不正確（例：07-7258600 或 0912-345678）",
        "Enter a valid phone number (e.g. 07-7258600).",
    ),
    "number_between": ("請輸入 {low} 到 {high} 之間的{kind}", "Enter {kind} from {low} to {high}."),
    "number_min": ("請輸入不小於 {low} 的{kind}", "Enter {kind} of at least {low}."),
    "number_max": ("請輸入不大於 {high} 的{kind}", "Enter {kind} of at most {high}."),
    "number_any": ("請輸入{kind}", "Enter {kind}."),
    "number_step": ("數值須以 {step} 為單位", "The value must be a multiple of {step}."),
    "not_in_list": ("選項不在清單中", "This option is not in the list."),
    "choose_min": ("請至少選擇 {count} 項", "Choose at least {count}."),
    "choose_max": ("最多選擇 {count} 項", "Choose at most {count}."),
    "date_format": ("日期格式應為 YYYY-MM-DD", "Enter the date as YYYY-MM-DD."),
    "date_invalid": ("日期不存在", "This date does not exist."),
    "rows_min": ("至少需要 {count} 列", "At least {count} rows are needed."),
    "rows_max": ("最多 {count} 列", "At most {count} rows."),
    "rank_duplicate": ("排序不可重複", "Each choice may be ranked only once."),
    "rank_gap": (
        "請依序填寫，第 {rank} 順位不可空白",
        "Fill the ranks in order: rank {rank} is empty.",
    ),
    "rank_min": ("請至少排序 {count} 項", "Rank at least {count}."),
}
_KIND = {"zh": ("整數", "數字"), "en": ("a whole number", "a number")}


def message(key: str, lang: str = "zh", **values: Any) -> str:
    """Return one validation message in zh-TW (or English when lang is "en")."""
    zh, en = _MESSAGES[key]
    return (en if lang == "en" else zh).format(**values)


# --- definition helpers -------------------------------------------------------


def iter_questions(definition: Mapping) -> Iterator[dict]:
    """Yield every top-level question of the definition, in order."""
    for section in definition.get("sections", ()):
        yield from section.get("questions", ())


def question_map(definition: Mapping) -> dict[str, dict]:
    """Return the top-level questions keyed by code."""
    return {q["code"]: q for q in iter_questions(definition)}


def option_label(question: Mapping, code: Any, lang: str = "zh") -> str:
    """Return the label of an option code, or the code itself when unknown."""
    for option in question.get("options", ()):
        if option["code"] == code:
            return text_in(option["label"], lang)
    return "" if code is None else str(code)


def text_in(pair: Mapping | None, lang: str = "zh") -> str:
    """Pick the zh/en text of a label pair, falling back to zh."""
    if not pair:
        return ""
    return pair.get(lang) or pair.get("zh") or ""


def _is_empty(value: Any) -> bool:
    if value is None or value == "" or value == []:
        return True
    return isinstance(value, list) and all(v is None or v == "" for v in value)


def _row_is_empty(question: Mapping, row: Any) -> bool:
    if not isinstance(row, Mapping):
        return True
    return all(_is_empty(row.get(field["code"])) for field in question.get("fields", ()))


# --- visibility -----------------------------------------------------------------


def visible(definition: Mapping, answers: Mapping, code: str) -> bool:
    """Tell whether a question is shown, given the current answers."""
    return _visible(question_map(definition), answers, code)


def _visible(qmap: Mapping, answers: Mapping, code: str, depth: int = 0) -> bool:
    question = qmap.get(code)
    if question is None:
        return False
    condition = question.get("show_if")
    if not condition:
        return True
    # Conditions only point at earlier questions, so this terminates; the depth
    # guard protects against a hand-made definition with a loop.
    if depth > len(qmap) or not _visible(qmap, answers, condition["question"], depth + 1):
        return False
    wanted = condition["values"]
    value = answers.get(condition["question"]) if isinstance(answers, Mapping) else None
    if isinstance(value, str):
        return value in wanted
    if isinstance(value, list):
        return any(isinstance(v, str) and v in wanted for v in value)
    return False


# --- parsing the form -----------------------------------------------------------


def _form_values(formdata: Any, name: str) -> list[str]:
    if hasattr(formdata, "getlist"):
        raw = formdata.getlist(name)
    else:
        raw = formdata.get(name) if isinstance(formdata, Mapping) else None
        if raw is None:
            raw = []
        elif not isinstance(raw, list | tuple):
            raw = [raw]
    return [value for value in raw if isinstance(value, str)]


def _first(formdata: Any, name: str) -> str:
    values = _form_values(formdata, name)
    return values[0] if values else ""


def _clean_text(value: str, *, multiline: bool, cap: int) -> str:
    """Drop control characters and lone surrogates (they break PDFs and PostgreSQL)."""
    value = value[: cap * 2].replace("\r\n", "\n").replace("\r", "\n")
    chars = []
    for char in value:
        if char in "\n\t":
            chars.append(char if multiline else " ")
        elif unicodedata.category(char) not in ("Cc", "Cs"):
            chars.append(char)
    return "".join(chars).strip()[:cap]


def _to_number(text: str) -> int | float | None:
    text = unicodedata.normalize("NFKC", text).strip().replace(",", "")
    if not _NUMBER.fullmatch(text):
        return None
    number = Decimal(text)
    if number == number.to_integral_value():
        return int(number)
    return float(number)


def _parse_scalar(question: Mapping, values: list[str]) -> Any:
    kind = question["type"]
    raw = values[0] if values else ""
    if kind in ("text", "long_text"):
        cap = max(int(question.get("max_length") or 200) * 4, 1000)
        text = _clean_text(raw, multiline=kind == "long_text", cap=cap)
        if question.get("format") in ("email", "phone"):
            text = unicodedata.normalize("NFKC", text)
        return text
    if kind == "number":
        text = _clean_text(raw, multiline=False, cap=100)
        number = _to_number(text)
        return text if number is None else number
    if kind == "single":
        return _clean_text(raw, multiline=False, cap=_OPTION_CODE_CAP)
    if kind == "multiple":
        return _parse_choices(question, values)
    if kind == "date":
        text = _clean_text(raw, multiline=False, cap=40)
        match = _LOOSE_DATE.fullmatch(unicodedata.normalize("NFKC", text))
        if match:
            try:
                return date(*(int(part) for part in match.groups())).isoformat()
            except ValueError:
                return text
        return text
    return None


def _parse_choices(question: Mapping, values: list[str]) -> list[str]:
    order = {option["code"]: i for i, option in enumerate(question.get("options", ()))}
    cap = len(order) + _LIST_CAP_SLACK
    chosen: dict[str, None] = {}
    for value in values:
        code = _clean_text(value, multiline=False, cap=_OPTION_CODE_CAP)
        if code:
            chosen[code] = None
        if len(chosen) >= cap:
            break
    # Known codes in the definition's order, then unknown ones for validate to flag.
    return sorted(chosen, key=lambda code: order.get(code, len(order)))


def _parse_rows(question: Mapping, formdata: Any, row_keys: Mapping[int, set[str]]) -> list[dict]:
    fields = {field["code"]: field for field in question.get("fields", ())}
    code = question["code"]
    rows: list[dict] = []
    for index in sorted(row_keys):
        row: dict[str, Any] = {}
        for field_code, field in fields.items():
            value = _parse_scalar(field, _form_values(formdata, f"q.{code}.{index}.{field_code}"))
            if not _is_empty(value):
                row[field_code] = value
        if row:
            adopted = _first(formdata, f"q.{code}.{index}.{ADOPTED_FROM}").strip()
            if adopted.isascii() and adopted.isdigit() and len(adopted) <= 6:
                row[ADOPTED_FROM] = int(adopted)
        rows.append(row)
    # Trailing blank rows are dropped; blank rows in the middle stay so that row
    # numbers keep matching the rendered form (a "刪除此列" click names a row index).
    while rows and not rows[-1]:
        rows.pop()
    return rows


def _collect_row_keys(definition: Mapping, formdata: Any) -> dict[str, dict[int, set[str]]]:
    limits = {
        q["code"]: int(q.get("max_rows") or 0) + ROW_SLACK
        for q in iter_questions(definition)
        if q["type"] == "rows"
    }
    found: dict[str, dict[int, set[str]]] = {code: {} for code in limits}
    try:
        keys = list(formdata.keys())
    except (AttributeError, TypeError):
        return found
    for key in keys:
        if not isinstance(key, str) or len(key) > 140:
            continue
        match = _ROW_KEY.fullmatch(key)
        if not match or match.group(1) not in limits:
            continue
        index = int(match.group(2))
        if index < limits[match.group(1)]:
            found[match.group(1)].setdefault(index, set()).add(match.group(3))
    return found


def parse_form(definition: Mapping, formdata: Any) -> dict:
    """Turn a form post (MultiDict or dict) into an answers dict; never raises."""
    answers: dict[str, Any] = {}
    row_keys = _collect_row_keys(definition, formdata)
    for question in iter_questions(definition):
        code, kind = question["code"], question["type"]
        if kind == "fact":
            continue
        if kind == "rows":
            value: Any = _parse_rows(question, formdata, row_keys.get(code, {}))
        elif kind == "ranking":
            value = []
            for rank in range(1, int(question.get("ranks") or 0) + 1):
                raw = _first(formdata, f"q.{code}.{rank}")
                value.append(_clean_text(raw, multiline=False, cap=_OPTION_CODE_CAP) or None)
        else:
            value = _parse_scalar(question, _form_values(formdata, f"q.{code}"))
        if not _is_empty(value):
            answers[code] = value
    return answers


# --- validation -----------------------------------------------------------------


def _format_number(value: float | int | None) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def number_rule(question: Mapping, lang: str = "zh") -> str:
    """Describe what a number question accepts (請輸入 0 到 200 之間的整數)."""
    low, high = question.get("min"), question.get("max")
    kind = _KIND["en" if lang == "en" else "zh"][0 if question.get("integer", True) else 1]
    values = {"low": _format_number(low), "high": _format_number(high), "kind": kind}
    if low is not None and high is not None:
        return message("number_between", lang, **values)
    if low is not None:
        return message("number_min", lang, **values)
    if high is not None:
        return message("number_max", lang, **values)
    return message("number_any", lang, **values)


def _number_error(question: Mapping, value: Any, lang: str) -> str | None:
    if isinstance(value, str):
        value = _to_number(value)
    if isinstance(value, bool) or not isinstance(value, int | float):
        return number_rule(question, lang)
    if isinstance(value, float) and not math.isfinite(value):
        return number_rule(question, lang)
    low, high = question.get("min"), question.get("max")
    if question.get("integer", True) and not float(value).is_integer():
        return number_rule(question, lang)
    if (low is not None and value < low) or (high is not None and value > high):
        return number_rule(question, lang)
    step = question.get("step")
    if step:
        try:
            offset = Decimal(str(value)) - Decimal(str(low or 0))
            if offset % Decimal(str(step)) != 0:
                return message("number_step", lang, step=_format_number(step))
        except (InvalidOperation, ValueError):
            return number_rule(question, lang)
    return None


def _codes(question: Mapping) -> set[str]:
    return {option["code"] for option in question.get("options", ())}


def _check_scalar(
    question: Mapping, value: Any, name: str, *, final: bool, lang: str, errors: dict
) -> None:
    kind = question["type"]
    if _is_empty(value):
        if final:
            if kind == "multiple" and question.get("min", 0) > 0:
                errors[name] = message("choose_min", lang, count=question["min"])
            elif question.get("required"):
                errors[name] = message("required", lang)
        return
    if kind in ("text", "long_text"):
        if not isinstance(value, str):
            errors[name] = message("invalid", lang)
        elif len(value) > int(question.get("max_length") or 200):
            errors[name] = message(
                "too_long", lang, limit=question.get("max_length") or 200, count=len(value)
            )
        elif question.get("format") == "email" and not _EMAIL.fullmatch(value):
            errors[name] = message("email", lang)
        elif question.get("format") == "phone" and not _PHONE.fullmatch(value):
            errors[name] = message("phone", lang)
    elif kind == "number":
        problem = _number_error(question, value, lang)
        if problem:
            errors[name] = problem
    elif kind == "single":
        if not isinstance(value, str) or value not in _codes(question):
            errors[name] = message("not_in_list", lang)
    elif kind == "multiple":
        _check_choices(question, value, name, final=final, lang=lang, errors=errors)
    elif kind == "date":
        if not isinstance(value, str) or not _ISO_DATE.fullmatch(value):
            errors[name] = message("date_format", lang)
        else:
            try:
                date.fromisoformat(value)
            except ValueError:
                errors[name] = message("date_invalid", lang)


def _check_choices(
    question: Mapping, value: Any, name: str, *, final: bool, lang: str, errors: dict
) -> None:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        errors[name] = message("invalid", lang)
        return
    codes = _codes(question)
    chosen = set(value)
    high = question.get("max")
    low = max(int(question.get("min") or 0), 1 if question.get("required") else 0)
    if chosen - codes:
        errors[name] = message("not_in_list", lang)
    elif high is not None and len(chosen) > high:
        errors[name] = message("choose_max", lang, count=high)
    elif final and len(chosen) < low:
        errors[name] = message("choose_min", lang, count=low)


def _check_rows(
    question: Mapping, value: Any, name: str, *, final: bool, lang: str, errors: dict
) -> None:
    if value is None:
        value = []
    if not isinstance(value, list):
        errors[name] = message("invalid", lang)
        return
    max_rows = int(question.get("max_rows") or 0)
    min_rows = max(int(question.get("min_rows") or 0), 1 if question.get("required") else 0)
    filled = [i for i, row in enumerate(value) if not _row_is_empty(question, row)]
    if any(not isinstance(row, Mapping) for row in value if row is not None):
        errors[name] = message("invalid", lang)
    elif len(filled) > max_rows:
        errors[name] = message("rows_max", lang, count=max_rows)
    elif final and len(filled) < min_rows:
        errors[name] = message("rows_min", lang, count=min_rows)
    for index in filled[: max_rows + ROW_SLACK]:
        row = value[index]
        for field in question.get("fields", ()):
            field_name = f"{name}.{index}.{field['code']}"
            _check_scalar(
                field, row.get(field["code"]), field_name, final=final, lang=lang, errors=errors
            )


def _check_ranking(
    question: Mapping, value: Any, name: str, *, final: bool, lang: str, errors: dict
) -> None:
    if value is None:
        value = []
    ranks = int(question.get("ranks") or 0)
    if not isinstance(value, list) or len(value) > ranks:
        errors[name] = message("invalid", lang)
        return
    codes = _codes(question)
    seen: set[str] = set()
    for rank, code in enumerate(value, start=1):
        if code is None or code == "":
            continue
        if not isinstance(code, str) or code not in codes:
            errors[f"{name}.{rank}"] = message("not_in_list", lang)
        elif code in seen:
            errors[f"{name}.{rank}"] = message("rank_duplicate", lang)
        if isinstance(code, str):
            seen.add(code)
    if not final:
        return
    filled = [rank for rank, code in enumerate(value, start=1) if isinstance(code, str) and code]
    last = filled[-1] if filled else 0
    for rank in range(1, last):
        if rank not in filled:
            errors.setdefault(f"{name}.{rank}", message("rank_gap", lang, rank=rank))
    low = max(int(question.get("min") or 0), 1 if question.get("required") else 0)
    if len(filled) < low:
        errors[name] = message("rank_min", lang, count=low)


def validate(
    definition: Mapping, answers: Mapping, *, final: bool, lang: str = "zh"
) -> dict[str, str]:
    """Check answers; errors are keyed by form field name (q.<code>, q.<code>.<i>.<field>).

    A draft (final=False) checks types, bounds, lengths, option codes and upper
    limits; a submission (final=True) also checks required answers and minimums.
    Hidden questions (show_if not met) are skipped: they are dropped by clean().
    """
    if not isinstance(answers, Mapping):
        answers = {}
    qmap = question_map(definition)
    errors: dict[str, str] = {}
    for question in qmap.values():
        code, kind = question["code"], question["type"]
        if kind == "fact" or not _visible(qmap, answers, code):
            continue
        name, value = f"q.{code}", answers.get(code)
        options = {"final": final, "lang": lang, "errors": errors}
        if kind == "rows":
            _check_rows(question, value, name, **options)
        elif kind == "ranking":
            _check_ranking(question, value, name, **options)
        else:
            _check_scalar(question, value, name, **options)
    return errors


def clean(definition: Mapping, answers: Mapping) -> dict:
    """Keep only answers of known, visible questions; drop blank rows and facts."""
    if not isinstance(answers, Mapping):
        return {}
    qmap = question_map(definition)
    cleaned: dict[str, Any] = {}
    for code, question in qmap.items():
        if question["type"] == "fact" or code not in answers:
            continue
        if not _visible(qmap, answers, code):
            continue
        value = answers[code]
        if question["type"] == "rows" and isinstance(value, list):
            value = list(iter_rows(definition, answers, code))
        if not _is_empty(value):
            cleaned[code] = value
    return cleaned


# --- rows -------------------------------------------------------------------------


def iter_rows(definition: Mapping, answers: Mapping, code: str) -> Iterator[dict]:
    """Yield the non-blank rows of a rows question, limited to its known fields."""
    question = question_map(definition).get(code)
    rows = answers.get(code) if isinstance(answers, Mapping) else None
    if not question or question["type"] != "rows" or not isinstance(rows, list):
        return
    known = [field["code"] for field in question.get("fields", ())] + [ADOPTED_FROM]
    for row in rows:
        if not _row_is_empty(question, row):
            yield {key: row[key] for key in known if key in row}


def activity_rows(answers: Mapping, code: str = ACTIVITIES) -> list[dict]:
    """Return the non-blank planned-activity rows of a school or teacher plan."""
    rows = answers.get(code) if isinstance(answers, Mapping) else None
    if not isinstance(rows, list):
        return []
    return [
        dict(row)
        for row in rows
        if isinstance(row, Mapping)
        and any(not _is_empty(v) for k, v in row.items() if k != ADOPTED_FROM)
    ]


def ranked_choices(answers: Mapping, code: str) -> list[str]:
    """Return the ranked option codes of a ranking question, rank 1 first."""
    value = answers.get(code) if isinstance(answers, Mapping) else None
    if not isinstance(value, list):
        return []
    return [code for code in value if isinstance(code, str) and code]


def rows_shown(question: Mapping, rows: Any) -> int:
    """How many rows the form shows: the stored ones, at least max(min_rows, 1)."""
    count = len(rows) if isinstance(rows, list) else 0
    floor = min(max(int(question.get("min_rows") or 0), 1), int(question.get("max_rows") or 1))
    return max(count, floor)


def apply_row_action(definition: Mapping, answers: Mapping, action: str) -> dict:
    """Apply "add_row:<code>" or "remove_row:<code>:<i>" and return new answers.

    Rows are first padded to what the form showed (blank rows included), so the
    index of a "刪除此列" button always names the row the user saw.
    """
    answers = dict(answers) if isinstance(answers, Mapping) else {}
    if not isinstance(action, str) or len(action) > 200:
        return answers
    add, remove = _ADD_ROW.fullmatch(action), _REMOVE_ROW.fullmatch(action)
    match = add or remove
    question = question_map(definition).get(match.group(1)) if match else None
    if not question or question["type"] != "rows":
        return answers
    code = question["code"]
    current = answers.get(code)
    rows = (
        [dict(row) if isinstance(row, Mapping) else {} for row in current or []]
        if isinstance(current, list)
        else []
    )
    rows += [{} for _ in range(rows_shown(question, rows) - len(rows))]
    if add and len(rows) < int(question.get("max_rows") or 0):
        rows.append({})
    elif remove:
        index = int(remove.group(2))
        if index < len(rows):
            del rows[index]
    answers[code] = rows
    return answers


def adopt_rows(
    school_definition: Mapping,
    school_answers: Mapping,
    teacher_definition: Mapping,
    teacher_answers: Mapping,
    row_indexes: Iterable[int],
    *,
    code: str = ACTIVITIES,
) -> dict:
    """Copy chosen school-plan activity rows into the teacher plan's activities.

    Fields are matched by code; option codes the teacher question does not know
    are left out. Each copied row records ``adopted_from`` (the school row
    index); a school row already adopted is not copied twice; max_rows holds.
    """
    teacher_answers = dict(teacher_answers) if isinstance(teacher_answers, Mapping) else {}
    school_question = question_map(school_definition).get(code)
    teacher_question = question_map(teacher_definition).get(code)
    if not school_question or not teacher_question:
        return teacher_answers
    if school_question["type"] != "rows" or teacher_question["type"] != "rows":
        return teacher_answers
    source = school_answers.get(code) if isinstance(school_answers, Mapping) else None
    source = source if isinstance(source, list) else []
    rows = list(iter_rows(teacher_definition, teacher_answers, code))
    taken = {row.get(ADOPTED_FROM) for row in rows}
    limit = int(teacher_question.get("max_rows") or 0)
    for index in dict.fromkeys(row_indexes):
        if len(rows) >= limit:
            break
        if isinstance(index, bool) or not isinstance(index, int) or index in taken:
            continue
        if not 0 <= index < len(source) or _row_is_empty(school_question, source[index]):
            continue
        row = _copy_row(teacher_question, source[index])
        if row:
            row[ADOPTED_FROM] = index
            rows.append(row)
            taken.add(index)
    teacher_answers[code] = rows
    return teacher_answers


def _copy_row(question: Mapping, source: Mapping) -> dict:
    row: dict[str, Any] = {}
    for field in question.get("fields", ()):
        value = source.get(field["code"])
        if _is_empty(value):
            continue
        if field["type"] == "single" and value not in _codes(field):
            continue
        if field["type"] == "multiple":
            if not isinstance(value, list):
                continue
            value = [v for v in value if v in _codes(field)]
        row[field["code"]] = list(value) if isinstance(value, list) else value
    return row


# --- read-only view -----------------------------------------------------------------


def display_value(question: Mapping, value: Any, lang: str = "zh") -> str:
    """Render one answer as text (option labels, units, ranks)."""
    if _is_empty(value):
        return ""
    kind = question["type"]
    if kind in ("single",):
        return option_label(question, value, lang)
    if kind == "multiple" and isinstance(value, list):
        return ("、" if lang != "en" else ", ").join(option_label(question, v, lang) for v in value)
    if kind == "ranking" and isinstance(value, list):
        parts = [
            f"{rank}. {option_label(question, code, lang)}"
            for rank, code in enumerate(value, start=1)
            if code
        ]
        return ("；" if lang != "en" else "; ").join(parts)
    if kind == "number":
        unit = text_in(question.get("unit"), lang)
        text = _format_number(value) if isinstance(value, int | float) else str(value)
        return f"{text} {unit}".strip()
    return str(value)


def summarise(
    definition: Mapping, answers: Mapping, lang: str = "zh", facts: Mapping | None = None
) -> list[dict]:
    """Return a plain-data view of the answers for PDFs and read-only pages.

    [{"code", "title", "questions": [{"code", "type", "label", "answered",
    "text", "items" (multiple/ranking), "columns" and "rows" (rows type)}]}].
    Hidden questions are left out; facts come from ``facts``.
    """
    answers = answers if isinstance(answers, Mapping) else {}
    facts = facts or {}
    qmap = question_map(definition)
    sections = []
    for section in definition.get("sections", ()):
        items = []
        for question in section.get("questions", ()):
            code, kind = question["code"], question["type"]
            if not _visible(qmap, answers, code):
                continue
            entry: dict[str, Any] = {
                "code": code,
                "type": kind,
                "label": text_in(question["label"], lang),
            }
            if kind == "fact":
                value = facts.get(question.get("fact"), "")
                entry["text"] = "" if value is None else str(value)
            elif kind == "rows":
                fields = question.get("fields", ())
                entry["columns"] = [text_in(field["label"], lang) for field in fields]
                entry["rows"] = [
                    [display_value(field, row.get(field["code"]), lang) for field in fields]
                    for row in iter_rows(definition, answers, code)
                ]
                entry["text"] = (
                    f"{len(entry['rows'])} rows" if lang == "en" else f"共 {len(entry['rows'])} 列"
                )
                entry["answered"] = bool(entry["rows"])
            else:
                value = answers.get(code)
                entry["text"] = display_value(question, value, lang)
                if kind in ("multiple", "ranking") and isinstance(value, list):
                    entry["items"] = [option_label(question, v, lang) for v in value if v]
            entry.setdefault("answered", bool(entry["text"]))
            items.append(entry)
        sections.append(
            {"code": section["code"], "title": text_in(section["title"], lang), "questions": items}
        )
    return sections
