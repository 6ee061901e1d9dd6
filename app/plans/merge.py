"""Three-way merge of plan answers: the base the form started from, the answers the
person sent, and the answers stored now. Pure functions, no database, no request.

A field (top-level question code) changed by one side only takes that side's value; a
rows question changed by both sides is merged row by row (rows edited in place, rows
appended by either side); anything changed by both sides differently is a conflict:
the stored value stays until the person chooses (`choices`: code → "mine" | "theirs").

The base is also what a form carries between saves (see services.sign_base): a field
in conflict is marked CONFLICTED in it, so it stays in conflict on every later save
until a choice is made, whatever the version.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

# Stands for "not known" in a base: equal to no answer, so both sides differ from it.
CONFLICTED: dict[str, bool] = {"__conflicted__": True}
MINE, THEIRS = "mine", "theirs"


@dataclass
class MergeResult:
    """What to store, what was taken from the other side and what needs a choice."""

    answers: dict[str, Any]
    taken: list[str] = field(default_factory=list)
    conflicts: dict[str, tuple[Any, Any]] = field(default_factory=dict)


def _choices_merge(base: list[Any], mine: list[Any], theirs: list[Any]) -> list[Any]:
    """Merge two edits of a multiple choice as sets: what one side added or removed."""
    removed = [code for code in base if code not in mine]
    added = [code for code in mine if code not in base and code not in theirs]
    return [code for code in theirs if code not in removed] + added


def _rows_merge(base: Any, mine: Any, theirs: Any) -> list[Any] | None:
    """Merge two edits of one rows question (or a list of choices); None when they cannot
    be told apart."""
    if not all(isinstance(v, list) for v in (base, mine, theirs)):
        return None
    if all(isinstance(v, str) for v in [*base, *mine, *theirs]) and not (
        len(base) == len(mine) == len(theirs)
    ):
        return _choices_merge(base, mine, theirs)
    n = len(base)
    if len(mine) < n or len(theirs) < n:
        return None  # a side removed rows: positions no longer say which row is which
    merged: list[Any] = []
    for old, ours, other in zip(base, mine, theirs, strict=False):
        row = _value_merge(old, ours, other)
        if row is _UNRESOLVED and all(isinstance(r, Mapping) for r in (old, ours, other)):
            row = _dict_merge(old, ours, other)
        if row is _UNRESOLVED:
            return None
        merged.append(row)
    added_by_them = theirs[n:]
    merged += added_by_them
    merged += [row for row in mine[n:] if row not in added_by_them]
    return merged


def _dict_merge(base: Mapping, mine: Mapping, theirs: Mapping) -> Any:
    merged: dict[str, Any] = {}
    for key in dict.fromkeys([*base, *mine, *theirs]):
        value = _value_merge(base.get(key), mine.get(key), theirs.get(key))
        if value is _UNRESOLVED:
            return _UNRESOLVED
        if value is not None:
            merged[key] = value
    return merged


_UNRESOLVED = object()


def _value_merge(base: Any, mine: Any, theirs: Any) -> Any:
    if mine == theirs:
        return mine
    if mine == base:
        return theirs
    if theirs == base:
        return mine
    return _UNRESOLVED


def three_way(
    base: Mapping[str, Any] | None,
    mine: Mapping[str, Any],
    theirs: Mapping[str, Any],
    choices: Mapping[str, str] | None = None,
) -> MergeResult:
    """Merge `mine` into `theirs` given the `base` both started from (None: unknown,
    so every field that differs is a conflict). Never drops a stored value without a
    choice: a conflict keeps `theirs` in `answers` and is listed with both values."""
    choices = choices or {}
    result = MergeResult(answers={})
    for code in dict.fromkeys([*theirs, *mine]):
        ours, other = mine.get(code), theirs.get(code)
        old = base.get(code) if base is not None else CONFLICTED
        choice = choices.get(code)
        if ours != other and choice == MINE:
            old = other  # chosen deliberately over what is stored
        elif ours != other and choice == THEIRS:
            ours = other
        value = _value_merge(old, ours, other)
        if value is _UNRESOLVED and old != CONFLICTED:
            # A rows question nobody had answered at the base started as no rows.
            start = [] if old is None and isinstance(ours, list) else old
            rows = _rows_merge(start, ours, other)
            value = _UNRESOLVED if rows is None else rows
        if value is _UNRESOLVED:
            result.conflicts[code] = (ours, other)
            value = other
        elif value != ours:
            result.taken.append(code)
        if value is not None:
            result.answers[code] = value
    return result


def shown(result: MergeResult) -> dict[str, Any]:
    """What the form shows after a merge: the merged answers, the person's own value
    where a choice is still to be made."""
    answers = dict(result.answers)
    for code, (ours, _other) in result.conflicts.items():
        if ours is None:
            answers.pop(code, None)
        else:
            answers[code] = ours
    return answers


def next_base(form_answers: Mapping[str, Any], result: MergeResult | None) -> dict[str, Any]:
    """The base a form carries after a save: what it shows, with open conflicts marked."""
    base = dict(form_answers)
    if result is not None:
        for code in result.conflicts:
            base[code] = CONFLICTED
    return base
