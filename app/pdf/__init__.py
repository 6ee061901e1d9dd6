"""PDF output: one renderer (WeasyPrint), one base template, one stylesheet."""

from __future__ import annotations

import unicodedata
from urllib.parse import quote

from flask import Response

from app.pdf.render import (
    check_pdf_environment,
    cjk_font_available,
    harfbuzz_subsetting_available,
    render_pdf,
)

__all__ = [
    "check_pdf_environment",
    "cjk_font_available",
    "harfbuzz_subsetting_available",
    "pdf_response",
    "render_pdf",
]


def _ascii_fallback(filename: str) -> str:
    ascii_name = unicodedata.normalize("NFKD", filename).encode("ascii", "ignore").decode()
    ascii_name = "".join(
        char for char in ascii_name if char.isprintable() and char not in '"\\/;'
    ).strip()
    stem = ascii_name.removesuffix(".pdf").strip(" ._-")
    return f"{stem}.pdf" if stem else "document.pdf"


def pdf_response(data: bytes, filename: str) -> Response:
    """Return ``data`` as a PDF download named ``filename`` (UTF-8 names via RFC 5987)."""
    if not filename.lower().endswith(".pdf"):
        filename += ".pdf"
    filename = "".join(char for char in filename if char.isprintable() and char not in "/\\")
    disposition = f'attachment; filename="{_ascii_fallback(filename)}"'
    if not filename.isascii() or _ascii_fallback(filename) != filename:
        disposition += f"; filename*=UTF-8''{quote(filename, safe='')}"
    response = Response(data, mimetype="application/pdf")
    response.headers["Content-Disposition"] = disposition
    response.headers["Content-Length"] = str(len(data))
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
