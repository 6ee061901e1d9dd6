"""Announcements: who sees which, and the operator's writes (flushed and audited)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select

from app import audit, timeutil
from app.extensions import db
from app.models import Announcement, AnnouncementAudience

# Where each page shows announcements: the home page only those for everyone.
PAGE_AUDIENCES = {
    "everyone": (AnnouncementAudience.EVERYONE,),
    "schools": (AnnouncementAudience.EVERYONE, AnnouncementAudience.SCHOOLS),
    "teachers": (AnnouncementAudience.EVERYONE, AnnouncementAudience.TEACHERS),
}
SHOWN_AT_MOST = 10


def today_in_taipei() -> date:
    return timeutil.to_taipei(timeutil.now()).date()


def shown_to(page_audience: str, today: date | None = None) -> list[Announcement]:
    """The announcements a page shows today, newest first."""
    today = today or today_in_taipei()
    audiences = PAGE_AUDIENCES.get(page_audience, PAGE_AUDIENCES["everyone"])
    return list(
        db.session.scalars(
            select(Announcement)
            .where(
                Announcement.audience.in_(audiences),
                Announcement.shows_from <= today,
                Announcement.shows_until >= today,
            )
            .order_by(Announcement.shows_from.desc(), Announcement.id.desc())
            .limit(SHOWN_AT_MOST)
        )
    )


def every_announcement() -> list[Announcement]:
    return list(
        db.session.scalars(
            select(Announcement).order_by(Announcement.shows_from.desc(), Announcement.id.desc())
        )
    )


@dataclass
class AnnouncementData:
    title: str
    body: str
    shows_from: date
    shows_until: date
    audience: AnnouncementAudience


def _facts(announcement: Announcement) -> dict[str, object]:
    return {
        "title": announcement.title,
        "shows_from": announcement.shows_from.isoformat(),
        "shows_until": announcement.shows_until.isoformat(),
        "audience": announcement.audience.value,
    }


def save(
    announcement: Announcement | None, data: AnnouncementData, *, actor: object
) -> Announcement:
    """Create an announcement (None) or change one; audited either way."""
    before = None if announcement is None else _facts(announcement)
    if announcement is None:
        announcement = Announcement(created_by=audit.actor_label(actor))
        db.session.add(announcement)
    announcement.title = data.title.strip()
    announcement.body = data.body.strip()
    announcement.shows_from = data.shows_from
    announcement.shows_until = data.shows_until
    announcement.audience = data.audience
    db.session.flush()
    audit.record(
        "announcement.create" if before is None else "announcement.update",
        "announcement",
        announcement.id,
        before=before,
        after=_facts(announcement),
        actor=actor,
    )
    return announcement


def delete(announcement: Announcement, *, actor: object) -> None:
    """Remove an announcement; the audit entry keeps what it said."""
    audit.record(
        "announcement.delete",
        "announcement",
        announcement.id,
        before=_facts(announcement),
        actor=actor,
    )
    db.session.delete(announcement)
    db.session.flush()
