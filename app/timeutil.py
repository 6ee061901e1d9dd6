"""Time: aware datetimes everywhere, Asia/Taipei for people, ROC dates for display."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

TAIPEI = ZoneInfo("Asia/Taipei")
ROC_OFFSET = 1911


def _system_now() -> datetime:
    return datetime.now(UTC)


# Tests replace this to put the whole app at a chosen instant.
clock = _system_now


def now() -> datetime:
    """Return the current instant as an aware UTC datetime."""
    return clock()


def taipei(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0
) -> datetime:
    """Build an aware datetime from a Taipei wall-clock time."""
    return datetime(year, month, day, hour, minute, second, tzinfo=TAIPEI)


def to_taipei(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        raise ValueError("naive datetime: every instant in this app must be aware")
    return moment.astimezone(TAIPEI)


def roc_date(value: date | datetime | None) -> str:
    """Format as 113年8月23日 (Taipei calendar day for datetimes)."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = to_taipei(value).date()
    return f"{value.year - ROC_OFFSET}年{value.month}月{value.day}日"


def roc_datetime(value: datetime | None) -> str:
    """Format as 113年8月23日 17:00 in Asia/Taipei."""
    if value is None:
        return ""
    local = to_taipei(value)
    return f"{roc_date(local)} {local:%H:%M}"


def roc_time(value: datetime | None) -> str:
    if value is None:
        return ""
    return f"{to_taipei(value):%H:%M}"


def _days_hours_minutes(left: timedelta) -> tuple[int, int, int]:
    days, rest = divmod(int(left.total_seconds()), 86400)
    hours, rest = divmod(rest, 3600)
    return days, hours, rest // 60


def remaining(until: datetime, moment: datetime) -> str:
    """Describe the time left before `until` in zh-TW (剩 3 天 4 小時)."""
    from flask_babel import gettext as _

    left = until - moment
    if left <= timedelta(0):
        return _("已截止")
    days, hours, minutes = _days_hours_minutes(left)
    if days:
        return _("剩 %(days)d 天 %(hours)d 小時", days=days, hours=hours)
    if hours:
        return _("剩 %(hours)d 小時 %(minutes)d 分", hours=hours, minutes=minutes)
    return _("剩 %(minutes)d 分鐘", minutes=max(minutes, 1))


def until_opening(opens_at: datetime, moment: datetime) -> str:
    """Describe the time before `opens_at` in zh-TW (還有 3 天 4 小時)."""
    from flask_babel import gettext as _

    left = opens_at - moment
    if left <= timedelta(0):
        return ""
    days, hours, minutes = _days_hours_minutes(left)
    if days:
        return _("還有 %(days)d 天 %(hours)d 小時", days=days, hours=hours)
    if hours:
        return _("還有 %(hours)d 小時 %(minutes)d 分", hours=hours, minutes=minutes)
    return _("還有 %(minutes)d 分鐘", minutes=max(minutes, 1))
