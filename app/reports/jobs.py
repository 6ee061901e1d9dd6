"""Background work of the reports feature: the queue, PDF renders, the worker.

With ``REDIS_URL`` set, work goes to the RQ queue ``JOBS_QUEUE`` (default
"pdf") and runs in ``flask jobs worker``: one long-lived process per worker,
jobs run in that process (no fork per job), so the WeasyPrint font
configuration is loaded once and memory stays flat. Without Redis, or with
``JOBS_INLINE`` (the default under TESTING), the same functions run at once in
the calling process; with Redis and ``JOBS_INLINE`` they still pass through RQ
(``is_async=False``) so the serialised path is exercised.
"""

from __future__ import annotations

import ctypes
import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import click
from flask import Flask, current_app, has_app_context
from flask.globals import app_ctx
from redis import Redis
from redis.exceptions import RedisError
from rq import Queue, SimpleWorker
from rq.job import Job as RQJob
from rq.job import JobStatus

from app.config import PDF_WAIT_SECONDS
from app.extensions import db
from app.reports import cache
from app.reports.cache import CachedFile
from app.reports.cache_keys import Document
from app.reports.documents import document_for

logger = logging.getLogger(__name__)

RENDER_TIMEOUT = 300  # seconds an RQ render may take before the worker gives up
QUEUED_TTL = 6 * 3600  # a render nobody ran in 6 hours is dropped, not run stale


class RenderPending(RuntimeError):
    """The worker has not rendered the document within PDF_WAIT_SECONDS."""


class RenderFailed(RuntimeError):
    """The worker tried to render the document and failed."""


# ---- the queue ---------------------------------------------------------------------------


def jobs_inline() -> bool:
    """Run jobs in the calling process (always without Redis; by default under TESTING)."""
    app = current_app
    return bool(app.config.get("JOBS_INLINE", app.testing)) or not app.config.get("REDIS_URL")


def redis_connection() -> Redis | None:
    """The app's Redis connection (one pool per app), or None without REDIS_URL."""
    url = current_app.config.get("REDIS_URL")
    if not url:
        return None
    connections = current_app.extensions.setdefault("reports_redis", {})
    if url not in connections:
        connections[url] = Redis.from_url(url)
    return connections[url]


def pdf_queue() -> Queue | None:
    """The RQ queue of PDF work, or None when there is no Redis."""
    connection = redis_connection()
    if connection is None:
        return None
    name = current_app.config.get("JOBS_QUEUE", "pdf")
    return Queue(name, connection=connection, is_async=not jobs_inline())


def enqueue(queue: Queue, func: Any, *args: Any, timeout: int, description: str) -> RQJob:
    """Put one call on the queue: runs once, is dropped if nobody ran it within 6 hours."""
    return queue.enqueue(
        func,
        *args,
        job_timeout=timeout,
        ttl=QUEUED_TTL,
        result_ttl=600,
        failure_ttl=24 * 3600,
        description=description,
    )


_worker_app: Flask | None = None


@contextmanager
def app_context() -> Iterator[None]:
    """Run a job inside an app context: the caller's, or one made once per worker process."""
    global _worker_app
    if has_app_context():
        yield
        return
    if _worker_app is None:  # a plain `rq worker`, not `flask jobs worker`
        from app import create_app

        _worker_app = create_app()
    with _worker_app.app_context():
        yield


# ---- rendering documents -----------------------------------------------------------------


def render_document_job(ref: list[str]) -> str | None:
    """RQ entry point: render the document named by ``ref`` into the cache; return its key."""
    with app_context():
        document = document_for(ref)
        if document is None:
            return None
        return cache.get_or_render(document).key


def _enqueue_render(queue: Queue, ref: tuple[str, ...]) -> RQJob:
    return enqueue(
        queue,
        render_document_job,
        list(ref),
        timeout=RENDER_TIMEOUT,
        description=f"render {':'.join(ref)}",
    )


def schedule_plan_pdf(plan_kind: str, plan_id: int) -> None:
    """Render a just-submitted plan's PDF into the cache, in the worker when there is one.

    Never raises: a failed pre-render must not fail the submit; the download
    then renders on demand.
    """
    # Off by default under TESTING: other features' tests submit plans by the hundred.
    if not current_app.config.get("PDF_RENDER_ON_SUBMIT", not current_app.testing):
        return
    ref = ("teacher-plan" if plan_kind == "teacher" else "school-plan", str(int(plan_id)))
    try:
        queue = pdf_queue()
        if queue is not None:
            _enqueue_render(queue, ref)
            return
        document = document_for(ref)
        if document is not None:
            cache.get_or_render(document)
    except Exception:
        db.session.rollback()
        logger.exception("pre-rendering %s failed", ":".join(ref))


# Each blocking read for a result stays under redis-py's socket timeout (5 s by default):
# one long read would end in a TimeoutError, taken for "Redis is down".
_RESULT_POLL_SECONDS = 4


def _wait_for_result(job: RQJob, seconds: int) -> bool:
    """Wait up to ``seconds`` for the worker to finish ``job``, in short blocking reads."""
    if seconds <= 0:
        return job.latest_result() is not None
    deadline = time.monotonic() + seconds
    while (remaining := deadline - time.monotonic()) > 0:
        block = max(1, min(_RESULT_POLL_SECONDS, int(remaining)))
        if job.latest_result(timeout=block) is not None:
            return True
    return False


def obtain(document: Document) -> CachedFile:
    """Return the cached file of ``document``; on a miss render it, in the worker if any.

    Rendering takes a CPU core for about a second: with a worker, web processes
    only wait for it (up to PDF_WAIT_SECONDS, 3 s), so ordinary pages stay fast; past that
    the download answers with the pending page, which asks again by itself.
    """
    cached = cache.lookup(document.key)
    if cached is not None:
        return cached
    try:
        queue = pdf_queue()
        if queue is not None:
            job = _enqueue_render(queue, document.ref)
            wait = int(current_app.config.get("PDF_WAIT_SECONDS", PDF_WAIT_SECONDS))
            if queue.is_async and not _wait_for_result(job, wait):
                raise RenderPending(document.ref_key)
            if job.get_status() == JobStatus.FAILED:
                raise RenderFailed(document.ref_key)
            cached = cache.lookup(document.key)
            if cached is not None:
                return cached
    except RedisError:
        logger.warning("Redis unavailable: rendering %s in the web process", document.ref_key)
    # No worker, or the data changed between our lookup and the worker's render.
    return cache.get_or_render(document)


# ---- the worker --------------------------------------------------------------------------


def _release_free_memory() -> None:
    """Hand freed heap back to the OS (glibc): each render reads whole font files
    (~20 MB) into short-lived buffers, and glibc would otherwise keep the pages."""
    global _malloc_trim
    if _malloc_trim is None:
        try:
            _malloc_trim = ctypes.CDLL("libc.so.6").malloc_trim
        except (OSError, AttributeError):  # not glibc: nothing to do
            _malloc_trim = False
    if _malloc_trim:
        _malloc_trim(0)


_malloc_trim: Any = None


class AppWorker(SimpleWorker):
    """An RQ worker that runs each job in this process inside a fresh app context.

    SimpleWorker does not fork: the WeasyPrint font configuration and imports are
    paid once. The app context per job gives each job a fresh database session.
    """

    def __init__(self, *args: Any, app: Flask, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.app = app

    def execute_job(self, job: RQJob, queue: Queue) -> Any:
        try:
            with self.app.app_context():
                return super().execute_job(job, queue)
        finally:
            _release_free_memory()


@click.group("jobs", help="背景工作（RQ：PDF 產生與匯出）")
def jobs_group() -> None:
    pass


@jobs_group.command("worker", help="Run an RQ worker for the PDF queue (needs REDIS_URL).")
@click.option("--burst", is_flag=True, help="Stop when the queue is empty.")
@click.option("--queue", default=None, help="Queue name (default: JOBS_QUEUE or pdf).")
def worker_command(burst: bool, queue: str | None) -> None:
    app = app_ctx.app  # the application itself, not the context-local proxy
    if redis_connection() is None:
        raise click.ClickException("REDIS_URL 未設定：沒有 Redis 時 PDF 會在網站程序內直接產生。")
    run_worker(app, queue or app.config.get("JOBS_QUEUE", "pdf"), burst=burst)


def run_worker(app: Flask, queue_name: str, *, burst: bool = False) -> bool:
    """Process the PDF queue in this process until stopped (or until empty with ``burst``)."""
    from app.pdf import check_pdf_environment

    with app.app_context():
        connection = redis_connection()
        if connection is None:
            raise RuntimeError("REDIS_URL is not set")
        check_pdf_environment(app)
    worker = AppWorker([Queue(queue_name, connection=connection)], connection=connection, app=app)
    return worker.work(burst=burst, with_scheduler=False)


def register_job_commands(app: Flask) -> None:
    """Add `flask jobs worker` to the app's commands."""
    app.cli.add_command(jobs_group)
