"""Bulk export: a ZIP of all teacher-plan PDFs of a school, built by a job, polled by htmx."""

from __future__ import annotations

import csv
import io
import os
import re
import zipfile
from datetime import timedelta

import pytest
from flask import g
from sqlalchemy import func, select

from app import timeutil
from app.extensions import db
from app.models import AuditEntry, Job, PlanStatus
from app.reports import cache, exports, jobs
from tests.conftest import PASSWORD, login_account
from tests.test_reports_support import (  # noqa: F401 - fixtures
    build_world,
    download,
    pdf_text,
    renders_fixture,
    reports_fixture,
    restore_signals_fixture,
)

HX = {"HX-Request": "true"}


def _job(world, *, status="running", done=1, total=3, age=timedelta(0)) -> Job:
    job = Job(
        kind=exports.EXPORT_KIND,
        owner=f"school:{world.school.id}",
        status=status,
        done=done,
        total=total,
        params={"school_id": world.school.id, "school_code": world.school.code, "year": 113},
        created_at=timeutil.now() - age,
    )
    db.session.add(job)
    db.session.commit()
    return job


def _jobs() -> list[Job]:
    return list(db.session.scalars(select(Job).order_by(Job.id)))


def test_export_builds_a_zip_of_the_submitted_teacher_plans(reports, client, factory, clock):
    world = build_world(factory, clock)
    login_account(client, world.accounts["planner"])

    response = client.post("/school/exports")

    assert response.status_code == 303
    assert response.headers["Location"].endswith("/school/exports")
    (job,) = _jobs()
    db.session.refresh(job)
    assert (job.status, job.done, job.total) == ("done", 1, 1)
    page = client.get("/school/exports").get_data(as_text=True)
    assert "已完成" in page
    assert f'href="/school/exports/{job.id}.zip"' in page
    assert "hx-trigger" not in page  # nothing to poll

    response, data = download(client, f"/school/exports/{job.id}.zip")

    assert response.status_code == 200
    assert response.mimetype == "application/zip"
    assert response.headers["Content-Disposition"] == (
        f"attachment; filename=teacher-plans-113-{world.school.code}.zip"
    )
    assert response.headers["Cache-Control"] == "no-store"
    archive = zipfile.ZipFile(io.BytesIO(data))
    assert archive.namelist() == ["teacher-plan-113-0002.pdf", "index.csv"]
    index = list(csv.reader(io.StringIO(archive.read("index.csv").decode("utf-8-sig"))))
    assert index[0] == ["序號", "檔案", "教師姓名", "狀態", "送出時間"]
    assert index[1:] == [
        ["1", "", "林志豪", "未填寫", ""],
        ["2", "teacher-plan-113-0002.pdf", "王小明", "已送出", "113年9月18日 14:03"],
        ["3", "", "陳美玲", "草稿", ""],
    ]
    text = pdf_text(archive.read("teacher-plan-113-0002.pdf"))
    assert "王小明" in text
    assert "草稿" not in text
    assert "張大同" not in text  # another school's teacher
    audit = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "export.request"))
    assert audit.actor == f"account:{world.accounts['planner'].id}"


def test_a_teacher_s_draft_never_leaves_in_the_school_export(reports, client, factory, clock):
    """Issue 9 (13): the school sees submitted plans and the others' progress, not drafts."""
    world = build_world(factory, clock)
    reopened = world.plans["submitted"]
    reopened.status = PlanStatus.DRAFT  # reopened by its teacher: the teacher's own again
    db.session.commit()
    login_account(client, world.accounts["planner"])

    client.post("/school/exports")
    (job,) = _jobs()
    _, data = download(client, f"/school/exports/{job.id}.zip")

    archive = zipfile.ZipFile(io.BytesIO(data))
    assert archive.namelist() == ["index.csv"]  # no PDF at all: nobody has submitted
    index = list(csv.reader(io.StringIO(archive.read("index.csv").decode("utf-8-sig"))))
    assert [row[2:4] for row in index[1:]] == [
        ["林志豪", "未填寫"],
        ["王小明", "草稿"],
        ["陳美玲", "草稿"],
    ]
    assert all(row[1] == "" for row in index[1:])
    assert b"%PDF" not in data


def test_export_reuses_cached_pdfs(reports, client, factory, clock, renders):
    world = build_world(factory, clock)
    jobs.schedule_plan_pdf("teacher", world.plans["submitted"].id)
    assert len(renders) == 1
    login_account(client, world.accounts["planner"])

    client.post("/school/exports")
    first = _jobs()[0].result_path
    client.post("/school/exports")  # the second one renders nothing at all

    assert renders == [f"teacher-plan:{world.plans['submitted'].id}"]  # drafts are not exported
    # The newer ZIP replaces the older one on disk.
    assert [job.status for job in _jobs()] == ["replaced", "done"]
    assert not (cache.cache_dir() / first).exists()
    assert "已由較新的壓縮檔取代" in client.get("/school/exports").get_data(as_text=True)


def test_progress_partial_polls_while_a_job_runs(reports, client, factory, clock):
    world = build_world(factory, clock)
    job = _job(world, done=1, total=3)
    login_account(client, world.accounts["planner"])

    page = client.get("/school/exports")
    partial = client.get("/school/exports", headers=HX)

    html = page.get_data(as_text=True)
    assert '<div aria-live="polite">' in html
    assert 'id="export-jobs"' in html
    assert "HX-Request" in page.headers["Vary"]
    fragment = partial.get_data(as_text=True)
    assert partial.status_code == 200
    assert "<html" not in fragment
    assert fragment.lstrip().startswith('<div id="export-jobs"')
    assert 'data-hx-get="/school/exports"' in fragment
    assert 'data-hx-trigger="every 2s"' in fragment
    assert 'data-hx-swap="outerHTML"' in fragment
    assert re.search(r'<progress class="progress" max="3" value="1"', fragment)
    assert "已完成 1／3 份" in fragment  # the text equivalent
    assert "產生中" in fragment
    assert ".zip" not in fragment

    job.status, job.done, job.result_path = "done", 3, "exports/x.zip"
    db.session.commit()
    done = client.get("/school/exports", headers=HX).get_data(as_text=True)
    assert "hx-trigger" not in done  # the swapped-in copy stops the polling
    assert "已完成 3／3 份" in done
    assert f"/school/exports/{job.id}.zip" in done


def test_a_second_export_waits_for_the_running_one(reports, client, factory, clock):
    world = build_world(factory, clock)
    _job(world)
    login_account(client, world.accounts["planner"])

    response = client.post("/school/exports", follow_redirects=True)

    assert len(_jobs()) == 1
    assert "已有匯出工作進行中" in response.get_data(as_text=True)


def test_a_stale_job_stops_polling_and_allows_a_new_one(reports, client, factory, clock):
    world = build_world(factory, clock)
    _job(world, age=timedelta(hours=2))
    login_account(client, world.accounts["planner"])

    fragment = client.get("/school/exports", headers=HX).get_data(as_text=True)
    assert "逾時未完成" in fragment
    assert "hx-trigger" not in fragment

    client.post("/school/exports")
    assert len(_jobs()) == 2
    assert _jobs()[1].status == "done"


def test_a_failed_export_says_so(reports, client, factory, clock, monkeypatch):
    world = build_world(factory, clock)

    def broken(document):
        raise RuntimeError("renderer down")

    monkeypatch.setattr(cache, "render", broken)
    login_account(client, world.accounts["planner"])

    response = client.post("/school/exports")

    assert response.status_code == 303
    (job,) = _jobs()
    db.session.refresh(job)
    assert job.status == "failed"
    fragment = client.get("/school/exports", headers=HX).get_data(as_text=True)
    assert "失敗，請重新產生" in fragment
    assert "hx-trigger" not in fragment
    assert not list((cache.cache_dir() / "exports").glob("*"))  # no half-written ZIP


def test_export_form_works_without_js_and_needs_csrf(reports, client, factory, clock, monkeypatch):
    monkeypatch.setitem(reports.config, "WTF_CSRF_ENABLED", True)
    world = build_world(factory, clock)

    def token(html: str) -> str:
        return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)

    login_page = client.get("/school/login").get_data(as_text=True)
    client.post(
        "/school/login",
        data={
            "username": world.accounts["planner"].username,
            "password": PASSWORD,
            "csrf_token": token(login_page),
        },
    )
    # The test's app context (conftest) is shared by every request, and Flask-WTF caches
    # the token in g: drop it, as a new request would, now that sign-in renewed the session.
    g.pop("csrf_token", None)
    page = client.get("/school/exports").get_data(as_text=True)
    assert '<form method="post" action="/school/exports">' in page

    assert client.post("/school/exports").status_code == 400
    assert db.session.scalar(select(func.count()).select_from(Job)) == 0

    response = client.post("/school/exports", data={"csrf_token": token(page)})
    assert response.status_code == 303
    assert db.session.scalar(select(func.count()).select_from(Job)) == 1


@pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="needs REDIS_URL (CI's second run)")
def test_export_runs_in_the_rq_worker(
    reports, client, factory, clock, monkeypatch, restore_signals
):
    monkeypatch.setitem(reports.config, "JOBS_INLINE", False)
    world = build_world(factory, clock)
    login_account(client, world.accounts["planner"])

    client.post("/school/exports")

    (job,) = _jobs()
    assert job.status == "queued"
    assert 'data-hx-trigger="every 2s"' in client.get("/school/exports", headers=HX).get_data(
        as_text=True
    )
    queue = jobs.pdf_queue()
    jobs.AppWorker([queue], connection=queue.connection, app=reports).work(
        burst=True, with_scheduler=False
    )
    job = db.session.get(Job, job.id, populate_existing=True)
    assert (job.status, job.done, job.total) == ("done", 1, 1)
    response, data = download(client, f"/school/exports/{job.id}.zip")
    assert response.status_code == 200
    assert len(zipfile.ZipFile(io.BytesIO(data)).namelist()) == 2  # one PDF, index.csv
