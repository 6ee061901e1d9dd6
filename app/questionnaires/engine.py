"""Questionnaire engine: form parsing, validation, cleaning and read-only views.

Everything here works on the *normalised* definition built by
``app.questionnaires.cyclefile`` (plain JSON data, options inlined in each
question) and on plain answers dicts, so callers can store both as JSON.
What each question type does lives in its class in ``app.questionnaires.types``;
this module is the definition-level facade the rest of the app calls.

Answers shape, keyed by question code (unanswered questions are absent):

- text, long_text, single, date: ``str``
- number: ``int`` or ``float`` once valid; the typed ``str`` while invalid
  (a draft stores what was typed: see ``app.questionnaires.types`` for the bounds)
- multiple: ``list[str]`` of option codes
- ranking: ``list[str | None]`` of length ``ranks``, rank 1 first
- rows: ``list[dict]``, one dict per row holding its non-empty fields, plus
  ``adopted_from`` (school row index) on rows taken over from the school plan
- fact: never stored; the value comes from the ``facts`` context
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, cast

from app.questionnaires import types
from app.questionnaires.types import (
    ACTIVITIES,
    ADOPTED_FROM,
    FIELD_LIMIT,
    KNOWN_FACTS,
    PLAN_LIMIT,
    ROW_SLACK,
    TYPES,
    ParseState,
    is_empty,
    message,
    option_label,
    row_is_empty,
    text_in,
    type_of,
)

__all__ = [
    "ACTIVITIES",
    "ACTIVITY_FIELDS",
    "ADOPTED_FROM",
    "FIELD_LIMIT",
    "KNOWN_FACTS",
    "PLAN_LIMIT",
    "ROW_FIELD_TYPES",
    "ROW_SLACK",
    "Parsed",
    "activity_rows",
    "adopt_rows",
    "adoptable_rows",
    "apply_row_action",
    "clean",
    "display_value",
    "for_stage",
    "iter_questions",
    "iter_rows",
    "message",
    "number_rule",
    "option_label",
    "parse",
    "parse_form",
    "question_map",
    "ranked_choices",
    "rows_shown",
    "summarise",
    "text_in",
    "validate",
    "visible",
]

ROW_FIELD_TYPES = frozenset(name for name, kind in TYPES.items() if kind.in_rows)
ACTIVITY_FIELDS = ("topic_category", "topic", "mode", "hours", "term")

_ROW_KEY = re.compile(r"q\.([a-z][a-z0-9_]{0,63})\.([0-9]{1,9})\.([a-z][a-z0-9_]{0,63})")
_ADD_ROW = re.compile(r"add_row:([a-z][a-z0-9_]{0,63})")
_REMOVE_ROW = re.compile(r"remove_row:([a-z][a-z0-9_]{0,63}):([0-9]{1,9})")


# --- definition helpers -------------------------------------------------------


def iter_questions(definition: Mapping) -> Iterator[dict]:
    """Yield every top-level question of the definition, in order."""
    for section in definition.get("sections", ()):
        yield from section.get("questions", ())


def question_map(definition: Mapping) -> dict[str, dict]:
    """Return the top-level questions keyed by code."""
    return {q["code"]: q for q in iter_questions(definition)}


# --- stages -----------------------------------------------------------------------

# Trimmed definitions by (fingerprint, version, stage): a definition is the same JSON for
# every request of a questionnaire version, so each stage is trimmed once per process.
_TRIMMED: dict[tuple[str, Any, str], dict] = {}
_TRIMMED_MAX = 512


def offered_to(item: Mapping, stage: str) -> bool:
    """Whether a question or option is offered to a stage (no `stages` list: to all)."""
    stages = item.get("stages")
    return not stages or stage in stages


def for_stage(definition: Mapping, stage: str | None) -> dict:
    """The definition as a stage sees it: questions and options limited to other stages
    are left out (cached per questionnaire version and stage).

    A choice question keeps the options it does not offer under ``withheld``, so that
    an answer naming one is still shown with its label, kept by a draft and refused on
    submit with a message beside the field (``types.withheld_codes``).
    """
    if not stage:
        return dict(definition)
    stage = str(stage)
    fingerprint, version = definition.get("fingerprint"), definition.get("version")
    key = (fingerprint, version, stage) if isinstance(fingerprint, str) else None
    found = _TRIMMED.get(key) if key else None
    if found is None:
        found = _trim(definition, stage)
        if key:
            if len(_TRIMMED) >= _TRIMMED_MAX:
                _TRIMMED.clear()
            _TRIMMED[key] = found
    return found


def _trim(definition: Mapping, stage: str) -> dict:
    sections = []
    for section in definition.get("sections", ()):
        questions = [
            _trim_question(question, stage)
            for question in section.get("questions", ())
            if offered_to(question, stage)
        ]
        if questions:
            sections.append({**section, "questions": questions})
    return {**definition, "sections": sections}


def _trim_question(question: Mapping, stage: str) -> dict:
    trimmed = dict(question)
    if "fields" in question:
        trimmed["fields"] = [_trim_question(sub, stage) for sub in question["fields"]]
    options = question.get("options")
    if options and any(option.get("stages") for option in options):
        trimmed["options"] = [o for o in options if offered_to(o, stage)]
        trimmed["withheld"] = [o for o in options if not offered_to(o, stage)]
    return trimmed


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


@dataclass
class Parsed:
    """A parsed form post: the answers as typed, and what parsing had to leave out.

    ``problems`` is keyed by form field name like ``validate``'s errors (an option code
    not in the list, text cut at its hard bound, rows beyond the hard bound); show
    ``{**parsed.problems, **validate(...)}`` beside the fields.
    """

    answers: dict[str, Any]
    problems: dict[str, str] = field(default_factory=dict)


def _collect_row_keys(definition: Mapping, state: ParseState) -> None:
    limits = {
        q["code"]: int(q.get("max_rows") or 0) + ROW_SLACK
        for q in iter_questions(definition)
        if q["type"] == "rows"
    }
    found: dict[str, dict[int, set[str]]] = {code: {} for code in limits}
    state.row_keys = found
    try:
        keys = list(state.formdata.keys())
    except (AttributeError, TypeError):
        return
    for key in keys:
        if not isinstance(key, str) or len(key) > 140:
            continue
        match = _ROW_KEY.fullmatch(key)
        if not match or match.group(1) not in limits:
            continue
        code, index = match.group(1), int(match.group(2))
        if index < limits[code]:
            found[code].setdefault(index, set()).add(match.group(3))
        elif any(value.strip() for value in types.form_values(state.formdata, key)):
            state.problems[f"q.{code}"] = message(
                "rows_cut", state.lang, count=limits[code] - ROW_SLACK
            )


def parse(
    definition: Mapping,
    formdata: Any,
    *,
    adoptable: Collection[int] | None = None,
    lang: str = "zh",
) -> Parsed:
    """Turn a form post (MultiDict or dict) into answers kept as typed; never raises.

    ``adoptable``: the row indexes of the visible (submitted) school plan's activities
    that a teacher's activity row may name in ``adopted_from``; None (the school plan,
    or no school plan) accepts none, so a hand-made marker is never stored.
    """
    state = ParseState(formdata, lang=lang, adoptable=adoptable)
    _collect_row_keys(definition, state)
    answers: dict[str, Any] = {}
    for question in iter_questions(definition):
        kind = type_of(question)
        if not kind.stored:
            continue
        value = kind.parse(question, f"q.{question['code']}", state)
        if not is_empty(value):
            answers[question["code"]] = value
    return Parsed(answers, state.problems)


def parse_form(
    definition: Mapping, formdata: Any, *, adoptable: Collection[int] | None = None
) -> dict:
    """Turn a form post into an answers dict (see ``parse``); never raises."""
    return parse(definition, formdata, adoptable=adoptable).answers


# --- validation -----------------------------------------------------------------


def number_rule(question: Mapping, lang: str = "zh") -> str:
    """Describe what a number question accepts (請輸入 0 到 200 之間的整數)."""
    return cast(types.Number, TYPES["number"]).rule(question, lang)


def validate(
    definition: Mapping, answers: Mapping, *, final: bool = False, lang: str = "zh"
) -> dict[str, str]:
    """Check answers; errors are keyed by form field name (q.<code>, q.<code>.<i>.<field>).

    A draft (final=False) checks types, bounds, lengths, option codes and upper
    limits, so its problems can be shown beside their fields while it is stored anyway;
    a submission (final=True) also checks required answers and minimums.
    Hidden questions (show_if not met) are skipped: they are dropped by clean().
    """
    if not isinstance(answers, Mapping):
        answers = {}
    qmap = question_map(definition)
    errors: dict[str, str] = {}
    for question in qmap.values():
        code = question["code"]
        kind = type_of(question)
        if not kind.stored or not _visible(qmap, answers, code):
            continue
        kind.check(question, answers.get(code), f"q.{code}", final=final, lang=lang, errors=errors)
    return errors


def clean(definition: Mapping, answers: Mapping) -> dict:
    """Keep only answers of known, visible questions; drop blank rows and facts."""
    if not isinstance(answers, Mapping):
        return {}
    qmap = question_map(definition)
    cleaned: dict[str, Any] = {}
    for code, question in qmap.items():
        if not type_of(question).stored or code not in answers:
            continue
        if not _visible(qmap, answers, code):
            continue
        value = answers[code]
        if question["type"] == "rows" and isinstance(value, list):
            value = list(iter_rows(definition, answers, code))
        if not is_empty(value):
            cleaned[code] = value
    return cleaned


# --- rows -------------------------------------------------------------------------


def iter_rows(definition: Mapping, answers: Mapping, code: str) -> Iterator[dict]:
    """Yield the non-blank rows of a rows question, limited to its known fields."""
    question = question_map(definition).get(code)
    rows = answers.get(code) if isinstance(answers, Mapping) else None
    if not question or question["type"] != "rows":
        return
    yield from cast(types.Rows, TYPES["rows"]).rows(question, rows)


def activity_rows(answers: Mapping, code: str = ACTIVITIES) -> list[dict]:
    """Return the non-blank planned-activity rows of a school or teacher plan."""
    rows = answers.get(code) if isinstance(answers, Mapping) else None
    if not isinstance(rows, list):
        return []
    return [
        dict(row)
        for row in rows
        if isinstance(row, Mapping)
        and any(not is_empty(v) for k, v in row.items() if k != ADOPTED_FROM)
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
        if not 0 <= index < len(source) or row_is_empty(school_question, source[index]):
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
    for sub in question.get("fields", ()):
        value = source.get(sub["code"])
        if is_empty(value):
            continue
        if sub["type"] == "single" and value not in types.codes_of(sub):
            continue
        if sub["type"] == "multiple":
            if not isinstance(value, list):
                continue
            value = [v for v in value if v in types.codes_of(sub)]
        row[sub["code"]] = list(value) if isinstance(value, list) else value
    return row


def adoptable_rows(
    school_definition: Mapping, school_answers: Mapping, *, code: str = ACTIVITIES
) -> frozenset[int]:
    """The row indexes of a (submitted) school plan that a teacher row may be adopted from."""
    question = question_map(school_definition).get(code)
    rows = school_answers.get(code) if isinstance(school_answers, Mapping) else None
    if not question or question["type"] != "rows" or not isinstance(rows, list):
        return frozenset()
    return frozenset(i for i, row in enumerate(rows) if not row_is_empty(question, row))


# --- read-only view -----------------------------------------------------------------


def display_value(question: Mapping, value: Any, lang: str = "zh") -> str:
    """Render one answer as text (option labels, units, ranks); raw values as typed."""
    kind = TYPES.get(question.get("type", ""))
    if kind is None:
        return "" if is_empty(value) else str(value)
    return kind.display(question, value, lang)


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
            code = question["code"]
            if not _visible(qmap, answers, code):
                continue
            entry: dict[str, Any] = {
                "code": code,
                "type": question["type"],
                "label": text_in(question["label"], lang),
            }
            kind = type_of(question)
            if kind.stored:
                kind.summarise(question, answers.get(code), lang, entry)
            else:
                value = facts.get(question.get("fact"), "")
                entry["text"] = "" if value is None else str(value)
            entry.setdefault("answered", bool(entry["text"]))
            items.append(entry)
        sections.append(
            {"code": section["code"], "title": text_in(section["title"], lang), "questions": items}
        )
    return sections
