"""Checks on rendered PDFs shared by the renderer's and the reports' tests."""

from __future__ import annotations

import io
import re
import subprocess
import tempfile
from dataclasses import dataclass
from html import unescape
from xml.etree import ElementTree

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


@dataclass
class PageLayout:
    """One printed page: its body lines (text squashed) and how far down the body reaches."""

    lines: list[str]
    filled: float  # the body's share of the page's text block, 0..1


# The text block of css/pdf.css in points: A4 height less the 22 mm top, 20 mm bottom margin.
_TOP, _BOTTOM = 22 * 72 / 25.4, 20 * 72 / 25.4


def page_layouts(data: bytes) -> list[PageLayout]:
    """Each page's body lines, top to bottom, without the running header and page number."""
    with tempfile.NamedTemporaryFile(suffix=".pdf") as handle:
        handle.write(data)
        handle.flush()
        xhtml = subprocess.run(
            ["pdftotext", "-bbox-layout", handle.name, "-"],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
    root = ElementTree.fromstring(re.sub(r"<!DOCTYPE[^>]*>", "", xhtml))  # noqa: S314 - ours
    ns = {"h": "http://www.w3.org/1999/xhtml"}
    pages = []
    for page in root.iterfind(".//h:page", ns):
        height = float(page.get("height", "0"))
        body = []
        for line in page.iterfind(".//h:line", ns):
            top, bottom = float(line.get("yMin", "0")), float(line.get("yMax", "0"))
            if top > _TOP - 3 and bottom < height - _BOTTOM:
                text = "".join(word.text or "" for word in line.iterfind("h:word", ns))
                body.append((top, bottom, text))
        body.sort()
        reach = max((b for _, b, _ in body), default=_TOP)
        filled = (reach - _TOP) / (height - _TOP - _BOTTOM)
        pages.append(PageLayout([re.sub(r"\s+", "", t) for _, _, t in body], filled))
    return pages


def heading_texts(html: str) -> set[str]:
    """The headings (and answer labels) of a document's HTML, whitespace removed."""
    found = re.findall(r'<(h[1-4])[^>]*>(.*?)</\1>|<div class="q">(.*?)</div>', html, re.S)
    texts = {re.sub(r"<[^>]+>|\s+", "", heading or label) for _, heading, label in found}
    return {unescape(text) for text in texts if text}


def assert_fit_to_print(data: bytes, html: str) -> None:
    """No page but the last under a fifth filled, none ending with a heading."""
    pages = page_layouts(data)
    headings = heading_texts(html)
    for number, page in enumerate(pages, start=1):
        assert page.lines, f"page {number} is empty"
        assert page.lines[-1] not in headings, f"page {number} ends with {page.lines[-1]}"
        if number < len(pages):
            assert page.filled >= 0.2, f"page {number} is {page.filled:.0%} filled"
