"""Carry last cycle's answers into this cycle's questionnaire, code by code.

A question is carried when its code exists in both questionnaires with the same type;
an option is carried when its code still exists (stable codes are what make this
possible). Nothing here reads or writes the database.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from app.questionnaires import engine
from app.questionnaires.types import ADOPTED_FROM, codes_of, is_empty


@dataclass
class Carry:
    """What last cycle's answers give this cycle's questionnaire.

    ``answers``: the carried answers by question code; ``partial``: carried codes that
    lost some options or row fields on the way; ``not_carried``: codes answered last
    cycle whose answer cannot be carried (every option gone, or the question changed
    type); ``new``: stored questions of this cycle that last cycle did not ask.
    """

    answers: dict[str, Any] = field(default_factory=dict)
    partial: list[str] = field(default_factory=list)
    not_carried: list[str] = field(default_factory=list)
    new: list[str] = field(default_factory=list)

    @property
    def carried(self) -> list[str]:
        return list(self.answers)


def _choice(question: Mapping[str, Any], value: Any) -> tuple[Any, bool]:
    """(the carried value, whether something was dropped) of a single or multiple."""
    codes = codes_of(question)
    if question["type"] == "single":
        return (value, False) if isinstance(value, str) and value in codes else (None, True)
    if not isinstance(value, list):
        return None, True
    kept = [code for code in value if isinstance(code, str) and code in codes]
    return kept, len(kept) != len(value)


def _ranking(question: Mapping[str, Any], value: Any) -> tuple[Any, bool]:
    """Ranked codes that still exist move up to close the gaps; ranks beyond the new
    number of ranks are dropped."""
    if not isinstance(value, list):
        return None, True
    codes = codes_of(question)
    named = [code for code in value if isinstance(code, str) and code]
    kept = [code for code in named if code in codes]
    ranks = int(question.get("ranks") or 0)
    carried: list[str | None] = list(kept[:ranks])
    carried += [None] * (ranks - len(carried))
    return carried, len(kept) != len(named) or len(kept) > ranks


def _row(question: Mapping[str, Any], old_fields: Mapping[str, Any], row: Any) -> tuple[dict, bool]:
    """One row's fields whose code and type still exist (the adoption marker points at
    last cycle's school plan, so it is never carried)."""
    if not isinstance(row, Mapping):
        return {}, True
    carried: dict[str, Any] = {}
    lost = False
    for sub in question.get("fields", ()):
        value = row.get(sub["code"])
        if is_empty(value):
            continue
        before = old_fields.get(sub["code"])
        if before is None or before["type"] != sub["type"]:
            lost = True
            continue
        value, dropped = _value(sub, value)
        lost = lost or dropped
        if not is_empty(value):
            carried[sub["code"]] = value
    known = {sub["code"] for sub in question.get("fields", ())} | {ADOPTED_FROM}
    lost = lost or any(not is_empty(v) for k, v in row.items() if k not in known)
    return carried, lost


def _value(question: Mapping[str, Any], value: Any) -> tuple[Any, bool]:
    kind = question["type"]
    if kind in ("single", "multiple"):
        return _choice(question, value)
    if kind == "ranking":
        return _ranking(question, value)
    return value, False  # text, long text, number, date: as stored


def _rows(
    question: Mapping[str, Any], old: Mapping[str, Any], value: Any
) -> tuple[list[dict], bool]:
    if not isinstance(value, list):
        return [], True
    old_fields = {sub["code"]: sub for sub in old.get("fields", ())}
    rows, lost = [], False
    for row in value:
        carried, dropped = _row(question, old_fields, row)
        lost = lost or dropped
        if carried:
            rows.append(carried)
    limit = int(question.get("max_rows") or len(rows))
    return rows[:limit], lost or len(rows) > limit


def carry_over(
    old_definition: Mapping[str, Any],
    old_answers: Mapping[str, Any],
    new_definition: Mapping[str, Any],
) -> Carry:
    """Carry the answers of one questionnaire into another where codes still exist."""
    old_questions = engine.question_map(old_definition)
    old_answers = old_answers if isinstance(old_answers, Mapping) else {}
    result = Carry()
    for question in engine.iter_questions(new_definition):
        if question["type"] == "fact":
            continue
        code = question["code"]
        old = old_questions.get(code)
        if old is None or old["type"] == "fact":
            result.new.append(code)
            continue
        value = old_answers.get(code)
        if is_empty(value):
            continue
        if old["type"] != question["type"]:
            result.not_carried.append(code)
            continue
        if question["type"] == "rows":
            carried, lost = _rows(question, old, value)
        else:
            carried, lost = _value(question, value)
        if is_empty(carried):
            result.not_carried.append(code)
            continue
        result.answers[code] = carried
        if lost:
            result.partial.append(code)
    # A carried answer to a question hidden by this cycle's conditions is not carried.
    visible = engine.clean(new_definition, result.answers)
    for code in [code for code in result.answers if code not in visible]:
        del result.answers[code]
        result.not_carried.append(code)
        if code in result.partial:
            result.partial.remove(code)
    return result


def fill_empty(current: Mapping[str, Any], carry: Carry) -> tuple[dict[str, Any], list[str]]:
    """The current answers with the carried ones in the questions still unanswered, and
    the codes actually filled: what someone typed already is never replaced."""
    answers = dict(current)
    filled = []
    for code, value in carry.answers.items():
        if is_empty(answers.get(code)) or (
            isinstance(answers.get(code), list)
            and all(isinstance(row, Mapping) and not any(row.values()) for row in answers[code])
        ):
            answers[code] = value
            filled.append(code)
    return answers, filled
