"""Any table of rows as CSV (UTF-8 with BOM, so Excel opens it) or XLSX (openpyxl,
write-only), with spreadsheet formulas neutralised in one place.

    headers = ["學校代碼", "學校名稱", "填報率"]
    return csv_response(rows, headers, "completion-113-64000-schools.csv")
    return xlsx_response(rows, headers, "completion-113-64000-schools.xlsx", sheet="學校")

Cells are plain values (str, int, float, None); the caller chooses them, masked IDs only.
A text cell that a spreadsheet would read as a formula (it starts with ``= + - @``, a tab
or a carriage return) gets a leading apostrophe: shown as text, never evaluated.
File names are the caller's: the cycle and a unit code, never personal data.
"""

from __future__ import annotations

import csv
import io
import re
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from typing import IO, Any

from flask import Response, send_file
from openpyxl import Workbook  # type: ignore[import-untyped]
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE  # type: ignore[import-untyped]

Cell = str | int | float | None
BOM = "\ufeff"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
CSV_MIMETYPE = "text/csv; charset=utf-8"
XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_SAFE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,120}")
_CHUNK = 500  # rows per piece of a streamed CSV


def neutralise(value: Any) -> Cell:
    """A cell value a spreadsheet shows as it is: text that looks like a formula is quoted."""
    if value is None or isinstance(value, bool):
        return None if value is None else int(value)
    if isinstance(value, int | float):
        return value
    text = str(value)
    if text.startswith(FORMULA_STARTS):
        return "'" + text
    return text


def _checked_name(filename: str) -> str:
    if not _SAFE_NAME.fullmatch(filename):
        raise ValueError(f"an export file name is plain ASCII: {filename!r}")
    return filename


def write_csv(rows: Iterable[Sequence[Any]], headers: Sequence[str]) -> Iterator[str]:
    """The CSV text in pieces: the BOM and the header line first, then rows in chunks."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([neutralise(h) for h in headers])
    yield BOM + buffer.getvalue()
    buffer.seek(0)
    buffer.truncate()
    for count, row in enumerate(rows, start=1):
        writer.writerow([neutralise(cell) for cell in row])
        if count % _CHUNK == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    if buffer.tell():
        yield buffer.getvalue()


def _xlsx_cell(value: Any) -> Cell:
    cell = neutralise(value)
    if isinstance(cell, str):
        cell = ILLEGAL_CHARACTERS_RE.sub("", cell)  # XML cannot hold them; openpyxl refuses
    return cell


def write_xlsx(
    rows: Iterable[Sequence[Any]], headers: Sequence[str], target: IO[bytes], sheet: str = "Sheet1"
) -> int:
    """Write one worksheet (write-only mode: rows go straight to the file); the row count."""
    workbook = Workbook(write_only=True)
    worksheet = workbook.create_sheet(title=sheet[:31] or "Sheet1")
    worksheet.append([_xlsx_cell(h) for h in headers])
    count = 0
    for row in rows:
        worksheet.append([_xlsx_cell(cell) for cell in row])
        count += 1
    workbook.save(target)
    return count


def csv_response(rows: Iterable[Sequence[Any]], headers: Sequence[str], filename: str) -> Response:
    """A streamed CSV download (a generator response).

    The text is written while the answer is sent, after the view returned: ``rows`` must
    be plain values by then (a list, or a generator that needs neither the request nor
    the database session).
    """
    name = _checked_name(filename)
    pieces = (piece.encode("utf-8") for piece in write_csv(rows, headers))
    response = Response(pieces, content_type=CSV_MIMETYPE)
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    response.headers["Cache-Control"] = "no-store"
    return response


def xlsx_response(
    rows: Iterable[Sequence[Any]], headers: Sequence[str], filename: str, sheet: str = "Sheet1"
) -> Response:
    """An XLSX download, built into an anonymous temporary file (gone once it is sent)."""
    name = _checked_name(filename)
    handle = tempfile.TemporaryFile()  # noqa: SIM115 - send_file closes it with the response
    try:
        write_xlsx(rows, headers, handle, sheet)
        handle.seek(0)
    except BaseException:
        handle.close()
        raise
    response = send_file(handle, mimetype=XLSX_MIMETYPE, as_attachment=True, download_name=name)
    response.headers["Cache-Control"] = "no-store"
    return response


def table_response(
    fmt: str, rows: Iterable[Sequence[Any]], headers: Sequence[str], stem: str, sheet: str
) -> Response:
    """The table as ``fmt`` ("csv" or "xlsx"), named ``stem.fmt``."""
    if fmt == "csv":
        return csv_response(rows, headers, f"{stem}.csv")
    if fmt == "xlsx":
        return xlsx_response(rows, headers, f"{stem}.xlsx", sheet)
    raise ValueError(f"unknown table format {fmt!r}")
