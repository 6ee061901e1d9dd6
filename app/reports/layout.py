"""Column widths of the answer tables in the plan PDFs, sized to what the cells hold.

A fixed table layout gives every column the same width: a category label wrapped over
three lines beside an almost empty hours column. Here every column starts at the width
of its longest entry; when the page is too narrow the free-text columns wrap first (down
to a floor), then the chosen values (a category, a mode, a term) give up the part after
a bracket ("研習（講座/工作坊）"), the largest saving first; the free text takes what is
left over. Widths are estimated from the characters (CJK 1 em, others about half).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from app.questionnaires import engine

# The text block of an A4 page in css/pdf.css (210 mm less 16 mm margins), the row-number
# column (th.n) and, per column, the cell's padding and border; table text is 9 pt.
TABLE_MM = 178.0
NUMBER_COLUMN_MM = 9.0
CELL_MM = 3.2
EM_MM = 9 * 25.4 / 72
FREE_TEXT = frozenset({"text", "long_text"})
FREE_TEXT_FLOOR_EM = 6.0  # a free-text column keeps room for six characters a line


def text_width(text: str) -> float:
    """The printed width of a text in em: wide (CJK) characters 1, the others ~0.55."""
    return sum(1.0 if unicodedata.east_asian_width(c) in "WF" else 0.55 for c in text)


def _pieces(text: str) -> list[str]:
    """The text cut before each opening bracket, where a narrow cell may break it."""
    pieces, start = [], 0
    for index, char in enumerate(text):
        if char in "（(" and index > start:
            pieces.append(text[start:index])
            start = index
    pieces.append(text[start:])
    return pieces


def column_widths(
    headers: Sequence[str], rows: Iterable[Sequence[str]], free: Sequence[bool]
) -> list[float]:
    """Per column, its width in mm (together the table's width less the row-number column)."""
    rows = list(rows)
    cells = [
        [headers[i], *(str(row[i]) for row in rows if i < len(row))] for i in range(len(headers))
    ]
    whole = [max(text_width(t) for t in column) for column in cells]
    broken = [max(text_width(p) for t in column for p in _pieces(t)) for column in cells]
    room = (TABLE_MM - NUMBER_COLUMN_MM) / EM_MM - len(headers) * CELL_MM / EM_MM
    widths = list(whole)
    if sum(widths) > room and any(free):  # first the free text wraps, down to its floor
        fixed = sum(w for w, f in zip(widths, free, strict=True) if not f)
        share = max((room - fixed) / sum(free), FREE_TEXT_FLOOR_EM)
        widths = [min(w, share) if f else w for w, f in zip(widths, free, strict=True)]
    if sum(widths) > room:  # then chosen values break at a bracket, the largest saving first
        for i in sorted(range(len(widths)), key=lambda i: broken[i] - whole[i]):
            if sum(widths) <= room:
                break
            if not free[i]:
                widths[i] = broken[i]
    spare = room - sum(widths)
    if spare > 0:  # what is left goes to the free text (else to every column alike)
        takers = [i for i, f in enumerate(free) if f] or list(range(len(widths)))
        for i in takers:
            widths[i] += spare / len(takers)
    padded = [w * EM_MM + CELL_MM for w in widths]
    scale = (TABLE_MM - NUMBER_COLUMN_MM) / sum(padded)
    return [round(w * scale, 1) for w in padded]


def answer_sections(
    definition: Mapping, answers: Mapping, facts: Mapping | None = None
) -> list[dict[str, Any]]:
    """`engine.summarise`'s sections, each rows answer with its column widths (`widths`)."""
    sections = engine.summarise(definition, answers, facts=facts)
    questions = engine.question_map(definition)
    for section in sections:
        for entry in section["questions"]:
            if entry.get("type") != "rows" or not entry.get("rows"):
                continue
            fields = questions.get(entry["code"], {}).get("fields", ())
            free = [sub.get("type") in FREE_TEXT for sub in fields]
            if len(free) == len(entry["columns"]):
                entry["widths"] = column_widths(entry["columns"], entry["rows"], free)
    return sections
