"""Reading a feed file (docs/feeds.md): CSV or JSON Lines, whole-file checks, one dict per row.

A file is *unusable* (`UnusableFile`: nothing is applied) when it is empty, not UTF-8,
cut off (it does not end with a line break, or a quoted field is never closed) or its
header does not name the feed's fields. Otherwise every data row comes back as a `RawRow`;
a row that cannot even be read (wrong number of fields, a JSON line that is not an
object) carries its problem and is reported as rejected.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from flask_babel import gettext as _


@dataclass(frozen=True)
class FeedSpec:
    """One feed: its name, the roster source it replaces and the fields of its rows."""

    name: str
    required: tuple[str, ...]
    optional: tuple[str, ...] = ("title", "subjects", "status")
    creates_units: bool = False

    @property
    def fields(self) -> tuple[str, ...]:
        return self.required + self.optional


# 全國教保資訊網填報系統: kindergartens (units are created from the feed) and their teachers.
ECE = FeedSpec(
    "ece", ("unit_code", "unit_name", "county_code", "national_id", "name"), creates_units=True
)
# 臺北市教師研習網: Taipei teachers at schools already known to the service.
TAIPEI = FeedSpec("taipei", ("unit_code", "national_id", "name"))
FEEDS = {spec.name: spec for spec in (ECE, TAIPEI)}


class UnusableFile(Exception):
    """The file as a whole cannot be trusted; `str(error)` says why (zh-TW)."""


@dataclass
class RawRow:
    """One data row: its row number in the file, its fields, or why it cannot be read."""

    number: int
    values: dict[str, str] = field(default_factory=dict)
    problem: str | None = None


def detect_format(path: Path) -> str:
    """JSON Lines for .jsonl/.ndjson files, CSV otherwise."""
    return "jsonl" if path.suffix.lower() in (".jsonl", ".ndjson") else "csv"


def read_rows(path: Path, spec: FeedSpec, fmt: str | None = None) -> list[RawRow]:
    """Check the whole file, then return its data rows (raises `UnusableFile`)."""
    raw = path.read_bytes()
    if not raw.strip():
        raise UnusableFile(_("檔案是空的"))
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise UnusableFile(_("檔案不是 UTF-8 編碼（可能是 Big5），請以 UTF-8 匯出")) from None
    if not text.endswith(("\n", "\r")):
        raise UnusableFile(_("檔案不完整：最後一列沒有換行，可能在傳送中被截斷"))
    fmt = fmt or detect_format(path)
    rows = list(_jsonl_rows(text, spec) if fmt == "jsonl" else _csv_rows(text, spec))
    if not rows:
        raise UnusableFile(_("檔案只有標題列，沒有任何資料列"))
    return rows


def _check_header(names: list[str], spec: FeedSpec) -> None:
    missing = [name for name in spec.required if name not in names]
    unknown = [name for name in names if name not in spec.fields]
    repeated = sorted({name for name in names if names.count(name) > 1})
    problems = []
    if missing:
        problems.append(_("缺少欄位 %(names)s", names="、".join(missing)))
    if unknown:
        problems.append(_("不認得的欄位 %(names)s", names="、".join(unknown)))
    if repeated:
        problems.append(_("重複的欄位 %(names)s", names="、".join(repeated)))
    if problems:
        raise UnusableFile(_("標題列不符合格式：") + "；".join(problems))


def _csv_rows(text: str, spec: FeedSpec) -> Iterator[RawRow]:
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = next(reader, None)
        if header is None:
            raise UnusableFile(_("檔案是空的"))
        names = [name.strip().lower() for name in header]
        _check_header(names, spec)
        for record in reader:
            if not any(cell.strip() for cell in record):
                continue  # a blank line
            if len(record) != len(names):
                problem = _(
                    "欄位數不符：應有 %(expected)d 欄，這一列有 %(got)d 欄",
                    expected=len(names),
                    got=len(record),
                )
                yield RawRow(reader.line_num, problem=problem)
                continue
            values = {name: cell.strip() for name, cell in zip(names, record, strict=True)}
            yield RawRow(reader.line_num, values)
    except csv.Error:
        raise UnusableFile(_("檔案不完整：引號沒有結束，可能在傳送中被截斷")) from None


def _jsonl_rows(text: str, spec: FeedSpec) -> Iterator[RawRow]:
    first = True
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError:
            record = None
        if not isinstance(record, dict):
            if first:
                raise UnusableFile(_("第一列不是 JSON 物件，檔案不符合 JSON Lines 格式"))
            yield RawRow(number, problem=_("這一列不是 JSON 物件"))
            continue
        names = [str(key).strip().lower() for key in record]
        if first:  # the first object plays the header's part
            _check_header(names, spec)
            first = False
        missing = [name for name in spec.required if name not in names]
        unknown = [name for name in names if name not in spec.fields]
        if missing or unknown:
            problem = _(
                "欄位不符：缺少 %(missing)s，不認得 %(unknown)s",
                missing="、".join(missing) or "—",
                unknown="、".join(unknown) or "—",
            )
            yield RawRow(number, problem=problem)
            continue
        values = {
            str(key).strip().lower(): "" if value is None else str(value).strip()
            for key, value in record.items()
        }
        yield RawRow(number, values)
