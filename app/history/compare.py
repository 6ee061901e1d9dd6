"""Compare two submitted versions of a plan, question by question and row by row.

Rows have no identity of their own, so they are lined up as a diff of sequences: rows
equal in both versions match first; between them, rows taken out are "removed", rows
put in are "added", and where rows were replaced one for one they are "changed" with
the fields that differ. Plain data in, plain data out (for the page and the tests).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from typing import Any

from app.questionnaires import engine
from app.questionnaires.types import is_empty

SAME, ADDED, REMOVED, CHANGED = "same", "added", "removed", "changed"


@dataclass
class RowChange:
    state: str  # same | added | removed | changed
    old: list[str] | None  # the row's cells in the older version (None: not there)
    new: list[str] | None
    changed_fields: list[int] = field(default_factory=list)  # cell indexes that differ


@dataclass
class QuestionChange:
    code: str
    label: str
    state: str
    old: str = ""
    new: str = ""
    columns: list[str] = field(default_factory=list)  # rows questions only
    rows: list[RowChange] = field(default_factory=list)

    @property
    def is_rows(self) -> bool:
        return bool(self.columns)


@dataclass
class SectionChange:
    title: str
    questions: list[QuestionChange]


def _state(old: Any, new: Any) -> str:
    if is_empty(old) and is_empty(new):
        return SAME
    if is_empty(old):
        return ADDED
    if is_empty(new):
        return REMOVED
    return SAME if old == new else CHANGED


def _cells(question: Mapping[str, Any], row: Mapping[str, Any], lang: str) -> list[str]:
    return [
        engine.display_value(sub, row.get(sub["code"]), lang) for sub in question.get("fields", ())
    ]


def compare_rows(
    question: Mapping[str, Any], old_rows: list[dict], new_rows: list[dict], lang: str = "zh"
) -> list[RowChange]:
    """Line up two versions' rows: same, added, removed, or changed field by field."""
    old_cells = [_cells(question, row, lang) for row in old_rows]
    new_cells = [_cells(question, row, lang) for row in new_rows]
    matcher = SequenceMatcher(
        a=[tuple(cells) for cells in old_cells],
        b=[tuple(cells) for cells in new_cells],
        autojunk=False,
    )
    changes: list[RowChange] = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            changes += [
                RowChange(SAME, old_cells[i], new_cells[j1 + i - i1]) for i in range(i1, i2)
            ]
            continue
        paired = min(i2 - i1, j2 - j1) if tag == "replace" else 0
        for k in range(paired):
            old, new = old_cells[i1 + k], new_cells[j1 + k]
            differing = [n for n, (a, b) in enumerate(zip(old, new, strict=True)) if a != b]
            changes.append(RowChange(CHANGED, old, new, differing))
        changes += [RowChange(REMOVED, old_cells[i], None) for i in range(i1 + paired, i2)]
        changes += [RowChange(ADDED, None, new_cells[j]) for j in range(j1 + paired, j2)]
    return changes


def compare(
    definition: Mapping[str, Any],
    old_answers: Mapping[str, Any],
    new_answers: Mapping[str, Any],
    lang: str = "zh",
) -> list[SectionChange]:
    """Every stored question of the questionnaire with its state between two versions."""
    sections = []
    for section in definition.get("sections", ()):
        questions = []
        for question in section.get("questions", ()):
            if question["type"] == "fact":
                continue
            code = question["code"]
            label = engine.text_in(question.get("label"), lang)
            if question["type"] == "rows":
                old_rows = list(engine.iter_rows(definition, old_answers, code))
                new_rows = list(engine.iter_rows(definition, new_answers, code))
                rows = compare_rows(question, old_rows, new_rows, lang)
                states = {row.state for row in rows}
                state = _state(old_rows, new_rows)
                if state == SAME and states - {SAME}:
                    state = CHANGED
                columns = [engine.text_in(f.get("label"), lang) for f in question["fields"]]
                questions.append(QuestionChange(code, label, state, columns=columns, rows=rows))
                continue
            old, new = old_answers.get(code), new_answers.get(code)
            questions.append(
                QuestionChange(
                    code,
                    label,
                    _state(old, new),
                    engine.display_value(question, old, lang),
                    engine.display_value(question, new, lang),
                )
            )
        sections.append(SectionChange(engine.text_in(section.get("title"), lang), questions))
    return sections


def count_changes(sections: list[SectionChange]) -> dict[str, int]:
    """How many questions were added, removed and changed (for the summary line)."""
    counts = {ADDED: 0, REMOVED: 0, CHANGED: 0}
    for section in sections:
        for question in section.questions:
            if question.state in counts:
                counts[question.state] += 1
    return counts
