"""The PDF cache: a rendered document is a file, found by what it depends on.

Files live under ``PDF_CACHE_DIR``, named by a hash of the cache key (so a key
never becomes a path); a ``GeneratedDocument`` row records each one. A hit is a
stat and a file read, no query. Each document (``ref``) keeps only its newest
file: storing a new version deletes the older ones.

GET requests never write through the request's session. A download that misses
renders the PDF (in the worker when there is one) and :func:`store` records the
file in its own short transaction, on its own connection from the pool, committed
before the file is served: the bookkeeping is the cache's, not the request's, and
it must be visible to every process as soon as the file is. The request's session
only ever reads, so a GET has nothing to commit or roll back; a failed render
leaves no row, and a lost row only costs a re-render (the file name is the key).
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
from sqlalchemy import delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from app import timeutil
from app.extensions import db
from app.models import GeneratedDocument
from app.pdf import pdf_response, render_pdf
from app.reports.cache_keys import Document

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

    The row is written in its own transaction on its own connection (see the module
    docstring): never through the caller's session, which may be a GET request's.
    """
    relative = _relative_path(document.key)
    path = cache_dir() / relative
    write_atomically(path, data)
    pages = page_count(data)
    for old_path in _record(document, relative, len(data), pages):
        if old_path != relative:
            (cache_dir() / old_path).unlink(missing_ok=True)
    return CachedFile(document.key, path, len(data), pages)


def _record(document: Document, relative: str, size: int, pages: int) -> list[str]:
    """Record the file of ``document`` and drop its older versions' rows; return their paths."""
    engine = db.engine
    if engine is None:
        raise RuntimeError("the database is not initialised")
    older = GeneratedDocument.cache_key.startswith(document.ref_key + ":", autoescape=True) & (
        GeneratedDocument.cache_key != document.key
    )
    try:
        with engine.begin() as connection:
            stale = list(connection.scalars(select(GeneratedDocument.path).where(older)))
            connection.execute(delete(GeneratedDocument).where(older))
            found = connection.execute(
                update(GeneratedDocument)
                .where(GeneratedDocument.cache_key == document.key)
                .values(path=relative, size=size, pages=pages)
            )
            if not found.rowcount:  # the usual case; else the row outlived its file
                connection.execute(
                    insert(GeneratedDocument).values(
                        cache_key=document.key,
                        path=relative,
                        size=size,
                        pages=pages,
                        created_at=timeutil.now(),
                    )
                )
    except IntegrityError:
        # Another process stored the same key a moment ago: same bytes, same file.
        return []
    return stale


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
