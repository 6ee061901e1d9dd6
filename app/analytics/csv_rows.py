"""Rows -> CSV for the analytics download.

FOR THE LEAD: a minimal writer, written while the shared export writer was being built
in parallel; fold it into that one when merging (same rules: UTF-8 with a BOM so that
Excel reads Chinese, and formula cells neutralised).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence

BOM = "\ufeff"
# A cell a spreadsheet would run as a formula (CSV injection): these first characters.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralised(cell: object) -> str:
    """The cell as text, with a leading apostrophe if a spreadsheet would run it."""
    text = "" if cell is None else str(cell)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def to_csv(rows: Iterable[Sequence[object]]) -> str:
    """The rows as CSV text (CRLF line ends, a BOM first)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    for row in rows:
        writer.writerow([neutralised(cell) for cell in row])
    return BOM + buffer.getvalue()
