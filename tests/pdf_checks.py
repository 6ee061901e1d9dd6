"""Checks on rendered PDFs shared by the renderer's and the reports' tests."""

from __future__ import annotations

import io

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
