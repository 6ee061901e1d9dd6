"""What submitted teacher plans ask for, counted inside their answers by the database.

``Tally.add`` is the definition, in Python, of what each answer contributes (it reads
the answers through the questionnaire engine); :func:`teacher_tally` computes the same
figures in SQL, and the tests hold the two equal on SQLite and PostgreSQL.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, and_, func, select

from app.extensions import db
from app.models import Cycle, PlanStatus, TeacherPlan
from app.questionnaires import engine
from app.stats._json import MAX_HOURS, JsonSql
from app.stats.scope import Scope, in_scope

# The question codes of the teacher questionnaire these figures read.
NEEDS = "needs"  # a ranking of the professional standards a teacher most needs
ACTIVITIES = "activities"  # rows of topic_category, topic, mode, hours, term
# Plans by their total planned hours: [low, high) in hours; None is open-ended.
HOUR_BUCKETS: tuple[tuple[float, float | None], ...] = ((0, 10), (10, 20), (20, 40), (40, None))


def _hours(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return 0.0
    return float(value) if 0 < value < MAX_HOURS else 0.0


def _code(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


@dataclass(frozen=True)
class HoursSummary:
    """Total, mean and median planned hours per plan, and plans per bucket of HOUR_BUCKETS."""

    total: float
    average: float
    median: float
    buckets: tuple[int, ...]


@dataclass
class Tally:
    """Needs, modes and hours summed over submitted teacher plans (by stable option codes)."""

    ranks: int = 3
    plans: int = 0
    needs: dict[str, list[int]] = field(default_factory=dict)
    mode_rows: Counter[str] = field(default_factory=Counter)
    mode_hours: dict[str, float] = field(default_factory=dict)
    category_hours: dict[str, float] = field(default_factory=dict)
    term_hours: dict[str, float] = field(default_factory=dict)
    # Plans by their total planned hours, {hours: plans}: a histogram, never a list of plans.
    plan_totals: Counter[float] = field(default_factory=Counter)

    @property
    def plan_hours(self) -> list[float]:
        """Each plan's total hours (expanded from the histogram: for small tallies)."""
        return [hours for hours, plans in self.plan_totals.items() for _ in range(plans)]

    def add(self, answers: Any) -> None:
        """Count one plan's ranked needs and activity rows (the definition the SQL follows)."""
        if not isinstance(answers, Mapping):
            return
        self.plans += 1
        for rank, code in enumerate(engine.ranked_choices(answers, NEEDS)[: self.ranks]):
            self.needs.setdefault(code, [0] * self.ranks)[rank] += 1
        total = 0.0
        for row in engine.activity_rows(answers, ACTIVITIES):
            hours = _hours(row.get("hours"))
            total += hours
            mode, category, term = (_code(row.get(k)) for k in ("mode", "topic_category", "term"))
            self._count_activity(mode, category, term, 1, hours)
        self.plan_totals[total] += 1

    def _count_activity(
        self, mode: str | None, category: str | None, term: str | None, rows: int, hours: float
    ) -> None:
        if mode:
            self.mode_rows[mode] += rows
            self.mode_hours[mode] = self.mode_hours.get(mode, 0.0) + hours
        if category:
            self.category_hours[category] = self.category_hours.get(category, 0.0) + hours
        if term:
            self.term_hours[term] = self.term_hours.get(term, 0.0) + hours

    def hours_summary(self) -> HoursSummary:
        """Total, average, median and buckets of the plans' total hours."""
        plans = sum(self.plan_totals.values())
        total = sum(hours * count for hours, count in self.plan_totals.items())
        buckets = tuple(
            sum(
                count
                for hours, count in self.plan_totals.items()
                if low <= hours and (high is None or hours < high)
            )
            for low, high in HOUR_BUCKETS
        )
        return HoursSummary(
            total, total / plans if plans else 0.0, _median(self.plan_totals), buckets
        )


def _median(histogram: Mapping[float, int]) -> float:
    """statistics.median of the values a {value: count} histogram stands for."""
    size = sum(histogram.values())
    if not size:
        return 0.0
    positions = ((size - 1) // 2, size // 2)  # the middle one or two, 0-based
    middle: list[float] = []
    seen = 0
    for value, count in sorted(histogram.items()):
        middle.extend(value for position in positions if seen <= position < seen + count)
        seen += count
    return (middle[0] + middle[1]) / 2


def teacher_tally(cycle: Cycle, scope: Scope = None, *, ranks: int = 3) -> Tally:
    """Tally the submitted teacher plans of ``cycle`` in ``scope``: three GROUP BY statements."""
    json = JsonSql(db.session.get_bind().dialect.name)
    counted = and_(
        TeacherPlan.cycle_id == cycle.id,
        TeacherPlan.status == PlanStatus.SUBMITTED,
        in_scope(TeacherPlan.school_id, scope),
        json.answers_are_object(),
    )
    tally = Tally(ranks=ranks)
    _count_needs(tally, json, counted)
    _count_activities(tally, json, counted)
    _count_plan_totals(tally, json, counted)
    return tally


def _count_needs(tally: Tally, json: JsonSql, counted: ColumnElement[bool]) -> None:
    needs = json.elements(NEEDS)
    code = json.element_text(needs)
    ranked = (
        select(
            code.label("code"),
            func.row_number()
            .over(partition_by=TeacherPlan.id, order_by=needs.position)
            .label("rank"),
        )
        .select_from(TeacherPlan)
        .join(needs.table, needs.on)
        .where(counted, code.is_not(None))
        .subquery("ranked_needs")
    )
    rows = db.session.execute(
        select(ranked.c.code, ranked.c.rank, func.count())
        .where(ranked.c.rank <= tally.ranks)
        .group_by(ranked.c.code, ranked.c.rank)
    )
    for code_value, rank, plans in rows:
        tally.needs.setdefault(code_value, [0] * tally.ranks)[int(rank) - 1] += int(plans)


def _count_activities(tally: Tally, json: JsonSql, counted: ColumnElement[bool]) -> None:
    rows = json.elements(ACTIVITIES, objects_only=True)
    activity = (
        select(
            json.field_text(rows, "mode").label("mode"),
            json.field_text(rows, "topic_category").label("category"),
            json.field_text(rows, "term").label("term"),
            json.field_hours(rows, "hours").label("hours"),
        )
        .select_from(TeacherPlan)
        .join(rows.table, rows.on)
        .where(counted)
        .subquery("activity_rows")
    )
    grouped = db.session.execute(
        select(
            activity.c.mode,
            activity.c.category,
            activity.c.term,
            func.count(),
            func.coalesce(func.sum(activity.c.hours), 0),
        ).group_by(activity.c.mode, activity.c.category, activity.c.term)
    )
    for mode, category, term, count, hours in grouped:
        tally._count_activity(mode, category, term, int(count), float(hours))


def _count_plan_totals(tally: Tally, json: JsonSql, counted: ColumnElement[bool]) -> None:
    rows = json.elements(ACTIVITIES, objects_only=True)
    per_plan = (
        select(func.coalesce(func.sum(json.field_hours(rows, "hours")), 0).label("total"))
        .select_from(TeacherPlan)
        .outerjoin(rows.table, rows.on)
        .where(counted)
        .group_by(TeacherPlan.id)
        .subquery("plan_totals")
    )
    histogram = db.session.execute(
        select(per_plan.c.total, func.count()).group_by(per_plan.c.total)
    )
    for total, plans in histogram:
        tally.plan_totals[float(total)] += int(plans)
        tally.plans += int(plans)
