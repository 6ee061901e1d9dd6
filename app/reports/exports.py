"""Bulk export: one ZIP of a school's submitted teacher-plan PDFs, built by a background job.

A teacher's draft is the teacher's own: the ZIP holds submitted plans only, and its
``index.csv`` lists every teacher of the roster snapshot with the state of their plan
(未填寫 / 草稿 / 已送出) and, when submitted, the file that holds it.

The job row (``Job``) carries the progress the exports page polls; the ZIP is
written aside and renamed into ``PDF_CACHE_DIR/exports`` when complete, and only
the newest ZIP of a school is kept.
"""

from __future__ import annotations

import csv
import io
import logging
import os
import secrets
import tempfile
import zipfile
from datetime import timedelta
from pathlib import Path
from typing import Any

from redis.exceptions import RedisError
from sqlalchemy import select

from app import audit, stats, timeutil
from app.cycles.windows import cycle_by_year
from app.extensions import db
from app.models import BusinessAccount, Cycle, Job, PlanStatus, School, TeacherPlan
from app.reports import cache, jobs
from app.reports.documents import STATUS_LABELS, teacher_plan_document

logger = logging.getLogger(__name__)

EXPORT_KIND = "teacher-plans-zip"
EXPORT_STATUS_LABELS = {
    "queued": "排隊中",
    "running": "產生中",
    "done": "已完成",
    "failed": "失敗，請重新產生",
    "stale": "逾時未完成，請重新產生",
    "replaced": "已由較新的壓縮檔取代",
}
# A job still queued or running after this long lost its worker: stop polling, allow a new one.
EXPORT_STALE_AFTER = timedelta(hours=1)
EXPORT_TIMEOUT = 3600  # seconds a ZIP of a large school may take in the worker


def _owner(school_id: int) -> str:
    return f"school:{school_id}"


def _is_stale(job: Job) -> bool:
    return job.status in ("queued", "running") and (
        timeutil.now() - job.created_at > EXPORT_STALE_AFTER
    )


def export_jobs_of(school: School, limit: int = 10) -> list[dict[str, Any]]:
    """The school's latest export jobs as plain data for the exports page."""
    latest = db.session.scalars(
        select(Job)
        .where(Job.owner == _owner(school.id), Job.kind == EXPORT_KIND)
        .order_by(Job.id.desc())
        .limit(limit)
    )
    rows = []
    for job in latest:
        status = "stale" if _is_stale(job) else job.status
        rows.append(
            {
                "id": job.id,
                "year": job.params.get("year"),
                "status": status,
                "status_label": EXPORT_STATUS_LABELS.get(status, status),
                "active": status in ("queued", "running"),
                "done": job.done,
                "total": job.total,
                "created": timeutil.roc_datetime(job.created_at),
                "finished": timeutil.roc_datetime(job.finished_at),
                "downloadable": status == "done" and bool(job.result_path),
            }
        )
    return rows


def request_export(account: BusinessAccount, school: School, cycle: Cycle) -> Job | None:
    """Add an export job for the school, or return None while another one is under way."""
    active = db.session.scalars(
        select(Job).where(
            Job.owner == _owner(school.id),
            Job.kind == EXPORT_KIND,
            Job.status.in_(("queued", "running")),
        )
    )
    if any(not _is_stale(job) for job in active):
        return None
    job = Job(
        kind=EXPORT_KIND,
        owner=_owner(school.id),
        status="queued",
        params={
            "school_id": school.id,
            "school_code": school.code,
            "year": cycle.academic_year,
            "requested_by": audit.actor_label(account),
        },
    )
    db.session.add(job)
    db.session.flush()
    audit.record("export.request", "job", job.id, after={"kind": EXPORT_KIND}, actor=account)
    return job


def start_export(job_id: int) -> None:
    """Run a committed export job: enqueue it, or build it now when jobs run inline."""
    queue = jobs.pdf_queue()
    if queue is None:
        try:
            build_export(job_id)
        except Exception:  # the job row says "failed"; the page shows it
            logger.exception("export job %s failed", job_id)
        return
    try:
        jobs.enqueue(
            queue, build_export, job_id, timeout=EXPORT_TIMEOUT, description=f"export job {job_id}"
        )
    except RedisError:  # say so on the page now, rather than a job that never starts
        logger.exception("could not queue export job %s", job_id)
        job = db.session.get(Job, job_id)
        if job is not None:
            job.status, job.finished_at = "failed", timeutil.now()
            db.session.commit()


def export_path(job: Job) -> Path | None:
    """The ZIP of a finished export job, if it is still on disk."""
    if job.status != "done" or not job.result_path:
        return None
    path = cache.cache_dir() / job.result_path
    return path if path.is_file() else None


def export_filename(job: Job) -> str:
    return f"teacher-plans-{job.params.get('year')}-{job.params.get('school_code')}.zip"


def _index_csv(rows: list[list[str]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["序號", "檔案", "教師姓名", "狀態", "送出時間"])
    writer.writerows(rows)
    return ("\ufeff" + buffer.getvalue()).encode()  # BOM: Excel opens UTF-8 CSV correctly


def build_export(job_id: int) -> None:
    """RQ entry point: write one ZIP of all teacher-plan PDFs of the job's school."""
    with jobs.app_context():
        job = db.session.get(Job, job_id, populate_existing=True)
        if job is None or job.status != "queued":
            return
        try:
            _build_export(job)
        except Exception:
            db.session.rollback()
            job = db.session.get(Job, job_id, populate_existing=True)
            if job is not None:
                job.status = "failed"
                job.finished_at = timeutil.now()
                db.session.commit()
            raise


def _build_export(job: Job) -> None:
    school_id, year = int(job.params["school_id"]), int(job.params["year"])
    cycle = cycle_by_year(year)
    roster = stats.roster_progress(cycle, school_id) if cycle else []
    job.status, job.done = "running", 0
    job.total = sum(1 for entry in roster if entry.status == PlanStatus.SUBMITTED)
    db.session.commit()

    folder = cache.cache_dir() / "exports"
    folder.mkdir(parents=True, exist_ok=True)
    # An unguessable name: the file is only ever sent by the access-checked view.
    relative = f"exports/{job.id}-{secrets.token_hex(8)}.zip"
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".tmp-", suffix=".zip")
    os.close(fd)
    try:
        index = []
        with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_STORED) as archive:
            for number, entry in enumerate(roster, start=1):
                name = submitted_at = ""
                plan = _submitted_plan(entry)
                if plan is not None:
                    cached = cache.get_or_render(teacher_plan_document(plan))
                    # Entry names carry no personal data; index.csv says whose plan is which.
                    name = f"teacher-plan-{year}-{number:04d}.pdf"
                    archive.write(cached.path, name)
                    submitted_at = timeutil.roc_datetime(plan.submitted_at)
                    job.done += 1
                    db.session.commit()
                # A plan reopened since the roster was read is a draft again.
                state = "submitted" if plan else "draft" if entry.status else "none"
                index.append([str(number), name, entry.name, STATUS_LABELS[state], submitted_at])
            archive.writestr("index.csv", _index_csv(index))
        os.replace(tmp, cache.cache_dir() / relative)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    job.status, job.result_path, job.finished_at = "done", relative, timeutil.now()
    _replace_older_exports(job)
    db.session.commit()


def _submitted_plan(entry: stats.RosterEntry) -> TeacherPlan | None:
    """The roster teacher's plan if it is submitted, read again (it may have changed since)."""
    if entry.plan_id is None or entry.status != PlanStatus.SUBMITTED:
        return None
    plan = db.session.get(TeacherPlan, entry.plan_id, populate_existing=True)
    return plan if plan is not None and plan.status == PlanStatus.SUBMITTED else None


def _replace_older_exports(job: Job) -> None:
    """Delete the school's earlier ZIPs: one copy of every teacher's plan on disk is enough."""
    older = db.session.scalars(
        select(Job).where(
            Job.owner == job.owner,
            Job.kind == EXPORT_KIND,
            Job.status == "done",
            Job.id != job.id,
        )
    )
    for old in older:
        if old.result_path:
            (cache.cache_dir() / old.result_path).unlink(missing_ok=True)
        old.status, old.result_path = "replaced", None
