"""The PDF cache: a rendered document is a file, found by what it depends on.

Files live under ``PDF_CACHE_DIR``, named by a hash of the cache key (so a key
never becomes a path); a ``GeneratedDocument`` row records each one. A hit is a
stat and a file read, no query. Each document (``ref``) keeps only
its newest file: storing a new version deletes the older ones.
"""

from __future__ import annotations

import functools
import hashlib
import io
import logging
import os
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path

import pypdf
from flask import Response, current_app, send_file
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from app.extensions import db
from app.models import GeneratedDocument
from app.pdf import pdf_response, render_pdf
from app.reports.documents import Document

logger = logging.getLogger(__name__)

# Striped locks: two threads of one process missing the same key render it once.
_LOCKS = [threading.Lock() for _ in range(64)]


@dataclass(frozen=True)
class CachedFile:
    key: str
    path: Path
    size: int
    pages: int | None = None  # known when just stored


def cache_dir() -> Path:
    """The folder holding rendered PDFs (and export ZIPs below it)."""
    return Path(current_app.config["PDF_CACHE_DIR"])


def _relative_path(key: str) -> str:
    digest = hashlib.sha256(key.encode()).hexdigest()
    return f"{digest[:2]}/{digest}.pdf"


def lookup(key: str) -> CachedFile | None:
    """Return the cached file for ``key`` if it exists.

    The file name is a hash of the key and files appear whole (written aside, then
    renamed), so a hit needs no database query: the row is for bookkeeping (size,
    pages, and finding a document's older files to delete).
    """
    path = cache_dir() / _relative_path(key)
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        return None
    return CachedFile(key, path, size)


def page_count(data: bytes) -> int:
    """Count the pages of a PDF (reads the page tree only)."""
    return len(pypdf.PdfReader(io.BytesIO(data)).pages)


def write_atomically(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` so that readers see the old file or the whole new one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=path.suffix)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def store(document: Document, data: bytes) -> CachedFile:
    """Keep ``data`` as the file of ``document`` and forget the document's older versions.

    Commits: the row must be visible to every other process as soon as the file is,
    and the callers (GET views, background jobs) have nothing else to commit.
    """
    relative = _relative_path(document.key)
    path = cache_dir() / relative
    write_atomically(path, data)
    pages = page_count(data)
    row = db.session.scalar(
        select(GeneratedDocument).where(GeneratedDocument.cache_key == document.key)
    )
    if row is None:
        row = GeneratedDocument(cache_key=document.key, path=relative, size=len(data), pages=pages)
        db.session.add(row)
    else:  # the row outlived its file (a wiped cache folder): point it at the new one
        row.path, row.size, row.pages = relative, len(data), pages
    stale = list(
        db.session.scalars(
            select(GeneratedDocument).where(
                GeneratedDocument.cache_key.startswith(document.ref_key + ":", autoescape=True),
                GeneratedDocument.cache_key != document.key,
            )
        )
    )
    for old in stale:
        db.session.delete(old)
    try:
        db.session.commit()
    except IntegrityError:
        # Another process stored the same key a moment ago: same bytes, same file.
        db.session.rollback()
    else:
        for old in stale:
            if old.path != relative:
                (cache_dir() / old.path).unlink(missing_ok=True)
    return CachedFile(document.key, path, len(data), pages)


def render(document: Document) -> bytes:
    """Render ``document`` to PDF bytes (no cache involved)."""
    return render_pdf(
        document.template, document.build(), title=document.title, subject=document.subject
    )


def get_or_render(document: Document) -> CachedFile:
    """Return the cached file of ``document``, rendering and storing it on a miss."""
    cached = lookup(document.key)
    if cached is not None:
        return cached
    with _LOCKS[hash(document.key) % len(_LOCKS)]:
        cached = lookup(document.key)  # rendered by another thread while we waited
        if cached is not None:
            return cached
        logger.info("rendering %s", document.ref_key)
        return store(document, render(document))


def file_response(cached: CachedFile, filename: str) -> Response:
    """Send a cached PDF as a no-store attachment, streamed from disk."""
    response = send_file(
        cached.path,
        mimetype="application/pdf",
        conditional=False,
        etag=False,
        last_modified=None,
        max_age=None,
    )
    response.headers.update(_download_headers(filename))
    return response


@functools.lru_cache(maxsize=1024)
def _download_headers(filename: str) -> dict[str, str]:
    # One place decides the headers of every PDF download: pdf_response. File names
    # repeat (teacher-plan-113.pdf), so each is worked out once.
    headers = pdf_response(b"", filename).headers
    names = ("Content-Disposition", "Cache-Control", "X-Content-Type-Options")
    return {name: headers[name] for name in names}
