"""/operator/announcements/…: write, change and remove 最新消息 (operator only)."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, render_template, request, url_for
from flask_babel import gettext as _

from app import htmx
from app.announcements import bp, services
from app.announcements.forms import AnnouncementForm
from app.extensions import db
from app.forms import EmptyForm
from app.lifecycle import handles, signed_in_account
from app.models import ANNOUNCEMENT_AUDIENCE_LABELS, Announcement, AnnouncementAudience


@bp.app_template_global()
def announcements_for(page_audience: str = "everyone") -> list[Announcement]:
    """The announcements a page shows (templates/announcements/_list.html)."""
    return services.shown_to(page_audience)


def announcement_by_id(_user: Any, announcement_id: int) -> Announcement | None:
    return db.session.get(Announcement, announcement_id)


@bp.get("/")
@handles("announcement.manage")
def index() -> Any:
    return render_template(
        "announcements/index.html",
        announcements=services.every_announcement(),
        today=services.today_in_taipei(),
        audience_labels=ANNOUNCEMENT_AUDIENCE_LABELS,
    )


def _edit(announcement: Announcement | None) -> Any:
    form = AnnouncementForm(obj=announcement if request.method == "GET" else None)
    if request.method == "GET" and announcement is not None:
        form.audience.data = announcement.audience.value
    if request.method == "POST" and form.validate_on_submit():
        if form.shows_from.data is None or form.shows_until.data is None:  # InputRequired
            abort(400)
        saved = services.save(
            announcement,
            services.AnnouncementData(
                title=form.title.data or "",
                body=form.body.data or "",
                shows_from=form.shows_from.data,
                shows_until=form.shows_until.data,
                audience=AnnouncementAudience(form.audience.data),
            ),
            actor=signed_in_account(),
        )
        flash(_("已儲存最新消息「%(title)s」。", title=saved.title), "ok")
        return htmx.redirect_to(url_for("announcements.index"))
    status = 422 if request.method == "POST" else 200
    return (
        render_template("announcements/edit.html", form=form, announcement=announcement),
        status,
    )


@bp.route("/new", methods=["GET", "POST"])
@handles("announcement.manage")
def new() -> Any:
    return _edit(None)


@bp.route("/<id:announcement_id>/edit", methods=["GET", "POST"])
@handles("announcement.manage", load=announcement_by_id)
def edit(announcement: Announcement, announcement_id: int) -> Any:
    return _edit(announcement)


@bp.route("/<id:announcement_id>/delete", methods=["GET", "POST"])
@handles("announcement.manage", load=announcement_by_id)
def delete(announcement: Announcement, announcement_id: int) -> Any:
    form = EmptyForm()
    if request.method == "POST" and form.validate_on_submit():
        title = announcement.title
        services.delete(announcement, actor=signed_in_account())
        flash(_("已刪除最新消息「%(title)s」。", title=title), "ok")
        return htmx.redirect_to(url_for("announcements.index"))
    status = 400 if request.method == "POST" else 200
    return render_template(
        "announcements/delete.html", form=form, announcement=announcement
    ), status
