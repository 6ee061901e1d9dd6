"""Roster maintenance (教師資料): the school's teacher list, registering, updating, ending.

Services flush and audit; the request lifecycle commits. National IDs arrive validated,
are looked up only through the keyed hash (the unique index on teacher.national_id_hash)
and are never written to the audit trail or a log: entries name teachers by id and
masked ID.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import exists, func, or_, select
from sqlalchemy.orm import aliased

from app import audit, events, security, timeutil
from app.cycles.windows import current_cycle_id
from app.extensions import db
from app.feeds import last_sync
from app.models import (
    Employment,
    EndReason,
    RosterSnapshot,
    RosterSource,
    School,
    SyncRun,
    Teacher,
)
from app.roster import employ, new_teacher

PAGE_SIZE = 25
SORT_KEYS: dict[str, Any] = {
    "name": Teacher.name,
    "id": Teacher.national_id_masked,
    "title": Employment.title,
    "since": Employment.valid_from,
}
DEFAULT_SORT = "name"

# Schools whose roster another system maintains, and the feed whose runs update it.
EXTERNAL_FEEDS = {RosterSource.ECE: "ece", RosterSource.TAIPEI: "taipei"}


class RosterError(ValueError):
    """A refused roster change; `field` names the form field the message belongs beside."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


# ---- reading ------------------------------------------------------------------------------


@dataclass(frozen=True)
class RosterQuery:
    """What the list shows: search text, sort key and direction, page, current or former."""

    text: str = ""
    sort: str = DEFAULT_SORT
    descending: bool = False
    page: int = 1
    former: bool = False

    @classmethod
    def from_args(cls, args: Any) -> RosterQuery:
        """Parse query-string arguments; anything unknown falls back to the default."""
        sort = args.get("sort", DEFAULT_SORT)
        try:
            page = max(1, min(int(args.get("page", 1)), 100_000))
        except (TypeError, ValueError):
            page = 1
        return cls(
            text=(args.get("q") or "").strip()[:50],
            sort=sort if sort in SORT_KEYS else DEFAULT_SORT,
            descending=args.get("dir") == "desc",
            page=page,
            former=args.get("show") == "former",
        )

    def args(self, **changes: Any) -> dict[str, Any]:
        """The query-string arguments of this query with some changed (for links)."""
        values = {
            "q": self.text,
            "sort": self.sort,
            "dir": "desc" if self.descending else "asc",
            "page": self.page,
            "show": "former" if self.former else "current",
        } | changes
        return {k: v for k, v in values.items() if v not in ("", None)}


@dataclass(frozen=True)
class RosterRow:
    teacher: Teacher
    employment: Employment
    in_snapshot: bool

    @property
    def account_state(self) -> str:
        """activated, locked or not_activated (the page names each)."""
        teacher = self.teacher
        if not teacher.password_hash:
            return "not_activated"
        if teacher.locked_until is not None and teacher.locked_until > timeutil.now():
            return "locked"
        return "activated"


@dataclass(frozen=True)
class RosterPage:
    rows: list[RosterRow]
    total: int
    page: int
    pages: int


def _current_here(school: School, moment: datetime) -> Any:
    return Employment.at(moment).where(Employment.school_id == school.id)


def roster_page(school: School, query: RosterQuery) -> RosterPage:
    """One page of the school's current (or former) teachers, searched and sorted."""
    now = timeutil.now()
    if query.former:
        current = aliased(Employment)
        still_here = exists().where(
            current.teacher_id == Employment.teacher_id,
            current.school_id == school.id,
            current.valid_from <= now,
            or_(current.valid_to.is_(None), current.valid_to > now),
        )
        base = select(Employment).where(
            Employment.school_id == school.id,
            Employment.valid_to.is_not(None),
            Employment.valid_to <= now,
            ~still_here,
        )
    else:
        base = _current_here(school, now)
    base = base.join(Teacher, Teacher.id == Employment.teacher_id)
    if query.text:
        pattern = "%" + query.text.replace("%", "").replace("_", "").upper() + "%"
        like = "%" + query.text.replace("%", "").replace("_", "") + "%"
        base = base.where(
            or_(
                Teacher.name.like(like),
                func.upper(Teacher.national_id_masked).like(pattern),
                Employment.title.like(like),
                Employment.subjects.like(like),
            )
        )
    total = db.session.scalar(base.with_only_columns(func.count()).order_by(None)) or 0
    pages = max(1, math.ceil(total / PAGE_SIZE))
    page = min(query.page, pages)
    key = SORT_KEYS[query.sort]
    order = [key.desc() if query.descending else key.asc(), Employment.id.asc()]
    snapshot = select(RosterSnapshot.teacher_id).where(
        RosterSnapshot.cycle_id == current_cycle_id().scalar_subquery(),
        RosterSnapshot.school_id == school.id,
    )
    statement = (
        base.with_only_columns(Employment, Teacher, Teacher.id.in_(snapshot))
        .order_by(*order)
        .limit(PAGE_SIZE)
        .offset((page - 1) * PAGE_SIZE)
    )
    rows = [
        RosterRow(teacher=teacher, employment=employment, in_snapshot=bool(in_snapshot))
        for employment, teacher, in_snapshot in db.session.execute(statement)
    ]
    return RosterPage(rows=rows, total=total, page=page, pages=pages)


def serving_employment(school_id: int, teacher_id: int) -> Employment | None:
    """The teacher's employment now in force at this school (None: not a current teacher)."""
    return db.session.scalar(
        Employment.at(timeutil.now())
        .where(Employment.school_id == school_id, Employment.teacher_id == teacher_id)
        .order_by(Employment.valid_from.desc())
        .limit(1)
    )


def latest_sync(school: School) -> SyncRun | None:
    """The last run of the feed that maintains this school's roster and applied its file
    (None: a local roster, or never ran)."""
    return last_sync(school.roster_source)


def is_read_only(school: School) -> bool:
    """Whether another system maintains this school's roster (全國教保資訊網, 臺北市)."""
    return school.roster_source in EXTERNAL_FEEDS


def find_by_national_id(national_id: str) -> Teacher | None:
    """The teacher with this (validated) national ID: one lookup on the keyed-hash index."""
    digest = security.vault().lookup_hash(national_id)
    return db.session.scalar(select(Teacher).where(Teacher.national_id_hash == digest))


# ---- writing ------------------------------------------------------------------------------


def start_of(day: date) -> datetime:
    """Taipei midnight of a calendar day: when a service begins or ends."""
    return timeutil.taipei(day.year, day.month, day.day)


def _ensure_local(school: School) -> None:
    if is_read_only(school):
        raise RosterError("", _("此校教師名單由其他系統維護，本系統僅供檢視。"))


@dataclass(frozen=True)
class Registration:
    """What registering did: the teacher, whether new, and the schools the teacher left."""

    teacher: Teacher
    employment: Employment
    created: bool
    left_schools: list[School]


def register_teacher(
    school: School,
    national_id: str,
    *,
    since: date,
    title: str,
    subjects: str,
    name: str = "",
    email: str | None = None,
    phone: str | None = None,
) -> Registration:
    """Register a teacher at `school`: transfer an existing one in, or create a new one."""
    _ensure_local(school)
    begins = start_of(since)
    teacher = find_by_national_id(national_id)
    left: list[School] = []
    created = teacher is None
    if teacher is None:
        if not name.strip():
            raise RosterError("name", _("新登錄的教師請填寫姓名。"))
        teacher = new_teacher(national_id, name.strip(), email=email or None)
        teacher.phone = phone or None
    else:
        now = timeutil.now()
        if serving_employment(school.id, teacher.id) is not None:
            raise RosterError("national_id", _("這位教師已在本校的教師名單中。"))
        ongoing = db.session.scalars(
            select(Employment).where(
                Employment.teacher_id == teacher.id,
                or_(Employment.valid_to.is_(None), Employment.valid_to > min(begins, now)),
            )
        ).all()
        for previous in ongoing:
            if previous.valid_from >= begins:
                raise RosterError("since", _("到職日不可早於這位教師在原服務學校的到職日。"))
        for previous in ongoing:
            _end(previous, EndReason.TRANSFERRED, begins)
            left.append(previous.school)
    employment = employ(teacher, school, since=begins, title=title, subjects=subjects)
    db.session.flush()
    audit.record(
        "roster.register",
        "teacher",
        teacher.id,
        after={
            "school_id": school.id,
            "national_id": teacher.national_id_masked,
            "created": created,
            "left_school_ids": [s.id for s in left],
            "since": begins.isoformat(),
            "title": title,
            "subjects": subjects,
        },
    )
    events.announce(events.roster_changed, school.id, teacher_ids=[teacher.id])
    for other in left:
        events.announce(events.roster_changed, other.id, teacher_ids=[teacher.id])
    return Registration(teacher, employment, created, left)


def update_teacher(employment: Employment, *, title: str, subjects: str) -> Employment:
    """Change a current teacher's title and actual teaching subjects at this school."""
    _ensure_local(employment.school)
    before = {"title": employment.title, "subjects": employment.subjects}
    employment.title = title
    employment.subjects = subjects
    db.session.flush()
    audit.record(
        "roster.update",
        "teacher",
        employment.teacher_id,
        before=before,
        after={"title": title, "subjects": subjects, "school_id": employment.school_id},
    )
    events.announce(
        events.roster_changed, employment.school_id, teacher_ids=[employment.teacher_id]
    )
    return employment


def _end(employment: Employment, reason: EndReason, ends: datetime) -> None:
    before = {
        "valid_to": employment.valid_to.isoformat() if employment.valid_to else None,
        "end_reason": employment.end_reason.value if employment.end_reason else None,
    }
    employment.valid_to = ends
    employment.end_reason = reason
    audit.record(
        "roster.end",
        "teacher",
        employment.teacher_id,
        before=before,
        after={
            "school_id": employment.school_id,
            "valid_to": ends.isoformat(),
            "end_reason": reason.value,
        },
    )


def end_employment(employment: Employment, reason: EndReason, on: date) -> Employment:
    """Record leaving, transfer or retirement from `on`; the teacher keeps account and plans."""
    _ensure_local(employment.school)
    ends = start_of(on)
    if ends <= employment.valid_from:
        raise RosterError("ends_on", _("離校日期必須晚於到職日。"))
    _end(employment, reason, ends)
    db.session.flush()
    events.announce(
        events.roster_changed, employment.school_id, teacher_ids=[employment.teacher_id]
    )
    return employment
