"""Checks on rendered PDFs shared by the renderer's and the reports' tests."""

from __future__ import annotations

import io
import re

import pypdf


def assert_no_embedded_files(data: bytes) -> None:
    reader = pypdf.PdfReader(io.BytesIO(data))
    names = reader.trailer["/Root"].get("/Names")
    assert names is None or "/EmbeddedFiles" not in names.get_object()
    for page in reader.pages:
        for annot in page.get("/Annots") or []:
            assert annot.get_object().get("/Subtype") != "/FileAttachment"
    assert b"/EmbeddedFile" not in data
    assert b"/FileAttachment" not in data


WORD = re.compile(
    r'<word xMin="[\d.]+" yMin="([\d.]+)" xMax="[\d.]+" yMax="([\d.]+)">([^<]*)</word>'
)


def watermarked_pages(bbox: str, mark: str = "草稿", min_height: float = 60.0) -> int:
    """How many pages of a ``pdftotext -bbox`` dump carry the watermark: each character of
    ``mark`` drawn large (rotated, it comes out one character per word, in no set order)."""
    count = 0
    for page in bbox.split("<page ")[1:]:
        large = "".join(
            text
            for y_min, y_max, text in WORD.findall(page)
            if float(y_max) - float(y_min) >= min_height
        )
        count += all(character in large for character in mark)
    return count
