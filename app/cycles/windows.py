"""Is a window open? Decided here, on the server, for every read and write."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, select

from app import timeutil
from app.extensions import db
from app.models import (
    STAGE_ORDER,
    Cycle,
    CycleStatus,
    PlanKind,
    Window,
)

STATE_LABELS = {
    "not_open": _l("未開放"),
    "open": _l("填寫中"),
    "closed": _l("已截止"),
    "not_taking_part": _l("不適用"),
}


@dataclass(frozen=True)
class WindowState:
    state: str  # not_open | open | closed | not_taking_part
    opens_at: datetime | None = None
    closes_at: datetime | None = None
    extended: bool = False
    moment: datetime | None = None

    @property
    def label(self) -> str:
        return STATE_LABELS[self.state]

    @property
    def is_open(self) -> bool:
        return self.state == "open"

    @property
    def time_left(self) -> str:
        if self.state != "open" or self.closes_at is None or self.moment is None:
            return ""
        return timeutil.remaining(self.closes_at, self.moment)

    @property
    def time_to_open(self) -> str:
        """還有 3 天 4 小時 before a window that has not opened yet, else empty."""
        if self.state != "not_open" or self.opens_at is None or self.moment is None:
            return ""
        return timeutil.until_opening(self.opens_at, self.moment)


def state_between(
    opens_at: datetime, closes_at: datetime, moment: datetime, *, extended: bool = False
) -> WindowState:
    """Classify `moment` against [opens_at, closes_at): at closes_at exactly it is closed."""
    if moment < opens_at:
        state = "not_open"
    elif moment < closes_at:
        state = "open"
    else:
        state = "closed"
    return WindowState(state, opens_at, closes_at, extended, moment)


def current_cycle_id() -> Select:
    """The id of the current cycle: the published one of the latest academic year."""
    return (
        select(Cycle.id)
        .where(Cycle.status == CycleStatus.PUBLISHED)
        .order_by(Cycle.academic_year.desc())
        .limit(1)
    )


def current_cycle() -> Cycle | None:
    return db.session.scalar(select(Cycle).where(Cycle.id == current_cycle_id().scalar_subquery()))


def cycle_by_year(year: int) -> Cycle | None:
    return db.session.scalar(select(Cycle).where(Cycle.academic_year == year))


def windows_of(cycle: Cycle) -> dict[PlanKind, list[Window]]:
    """The cycle's windows grouped by plan kind, stages in the letter's order."""
    grouped: dict[PlanKind, list[Window]] = {PlanKind.SCHOOL: [], PlanKind.TEACHER: []}
    for window in sorted(cycle.windows, key=lambda w: STAGE_ORDER.index(w.stage)):
        grouped[window.plan_kind].append(window)
    return grouped
