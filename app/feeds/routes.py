"""/operator/sync-runs/: every feed run, filterable by feed and date, newest first."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any

from flask import Response, request
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from app import htmx
from app.extensions import db
from app.feeds import bp
from app.feeds.forms import SyncRunFilter
from app.lifecycle import handles
from app.models import SyncRun
from app.timeutil import TAIPEI

PER_PAGE = 25
FEED_LABELS = {"ece": _l("全國教保資訊網"), "taipei": _l("臺北市教師研習網")}
STATUS_LABELS = {
    "applied": _l("已套用"),
    "partial": _l("已套用（部分列退回）"),
    "refused": _l("未套用（檔案不可用）"),
    "locked": _l("未執行（另一次同步進行中）"),
    "running": _l("進行中"),
}
LABELS = {"feeds": FEED_LABELS, "statuses": STATUS_LABELS}


def _sync_run(_user: Any, run_id: int) -> SyncRun | None:
    return db.session.get(SyncRun, run_id)


@bp.get("/")
@handles("sync_runs.view")
def sync_runs() -> Response:
    form = SyncRunFilter(request.args)
    query = select(SyncRun)
    if form.validate():
        if form.feed.data:
            query = query.where(SyncRun.feed == form.feed.data)
        if form.since.data:
            query = query.where(SyncRun.started_at >= _taipei_midnight(form.since.data))
        if form.until.data:
            end = _taipei_midnight(form.until.data) + timedelta(days=1)
            query = query.where(SyncRun.started_at < end)
    total = db.session.scalar(select(func.count()).select_from(query.subquery())) or 0
    pages = max(1, -(-total // PER_PAGE))
    page = min(max(request.args.get("page", 1, type=int) or 1, 1), pages)
    runs = db.session.scalars(
        query.order_by(SyncRun.started_at.desc(), SyncRun.id.desc())
        .offset((page - 1) * PER_PAGE)
        .limit(PER_PAGE)
    ).all()
    args = {k: v for k, v in request.args.items() if k != "page"}
    return htmx.render(
        "feeds/sync_runs.html",
        "feeds/_runs.html",
        form=form,
        runs=runs,
        current_page=page,
        pages=pages,
        total=total,
        args=args,
        labels=LABELS,
    )


@bp.get("/<id:run_id>")
@handles("sync_runs.view", load=_sync_run)
def sync_run(run: SyncRun, run_id: int) -> Response:
    return htmx.render("feeds/sync_run.html", "feeds/_run.html", run=run, labels=LABELS)


def _taipei_midnight(day: Any) -> datetime:
    return datetime.combine(day, time(0, 0), tzinfo=TAIPEI)
