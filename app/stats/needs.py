"""進修需求分析: what the submitted plans of a cycle ask for, by stage, counted in SQL.

Only SUBMITTED plans count (a draft is the teacher's own until it is submitted), and only
those whose answers are a JSON object, as in :mod:`app.stats.tally`. Every figure is
grouped by the stage of the plan's school, so one computation serves every stage filter
and the breakdown by stage; Python receives grouped rows only.

From teacher plans:

* ``needs``: for each standard and rank 1..k, the teachers who ranked it there (the
  first k non-empty codes of the ranking, as ``engine.ranked_choices`` reads it). A
  standard's **weighted score** is the sum over its ranks of teachers × (k + 1 − rank):
  with k = 3, a first place counts 3, a second 2, a third 1;
* ``interest_areas`` and ``preferred_times``: teachers who chose each option;
* ``activities``: rows and planned hours by mode and by term (hours as in the tally:
  a number in (0, 10 000), anything else counts no hours).

From school plans: ``priority_issues`` (curriculum issues) and ``priority_areas``:
schools that chose each option.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, and_, func, select

from app.extensions import db
from app.models import Cycle, PlanStatus, School, SchoolPlan, Stage, TeacherPlan
from app.stats._json import JsonSql
from app.stats.scope import Scope, in_scope

NEEDS = "needs"
ACTIVITIES = "activities"
# Multiple-choice questions counted option by option: (plan kind, question code).
TEACHER_CHOICES = ("interest_areas", "preferred_times")
SCHOOL_CHOICES = ("priority_issues", "priority_areas")

StageCode = tuple[Stage, str]


def weight(rank: int, ranks: int) -> int:
    """Points of a need ranked ``rank`` (1 = most needed) among the top ``ranks``."""
    return ranks + 1 - rank if 1 <= rank <= ranks else 0


@dataclass
class NeedsFigures:
    """Counts of one cycle's submitted plans, each keyed by the stage of the school."""

    ranks: int = 3
    teacher_plans: dict[Stage, int] = field(default_factory=dict)
    school_plans: dict[Stage, int] = field(default_factory=dict)
    # (stage, standard) -> teachers at rank 1..ranks
    needs: dict[StageCode, list[int]] = field(default_factory=dict)
    # question code -> (stage, option) -> plans that chose it
    choices: dict[str, dict[StageCode, int]] = field(default_factory=dict)
    # (stage, mode, term) -> [activity rows, planned hours]
    activities: dict[tuple[Stage, str | None, str | None], list[float]] = field(
        default_factory=dict
    )

    # ---- sums over a set of stages (None: every stage) ----------------------------------

    @staticmethod
    def _wanted(stage: Stage, stages: Iterable[Stage] | None) -> bool:
        return stages is None or stage in stages

    def plans(self, stages: Iterable[Stage] | None = None, *, school: bool = False) -> int:
        """Submitted teacher (or school) plans of these stages."""
        counts = self.school_plans if school else self.teacher_plans
        wanted = None if stages is None else set(stages)
        return sum(n for stage, n in counts.items() if self._wanted(stage, wanted))

    def need_ranks(self, stages: Iterable[Stage] | None = None) -> dict[str, list[int]]:
        """Teachers per rank of each standard."""
        wanted = None if stages is None else set(stages)
        out: dict[str, list[int]] = {}
        for (stage, code), counts in self.needs.items():
            if self._wanted(stage, wanted):
                mine = out.setdefault(code, [0] * self.ranks)
                for index, count in enumerate(counts):
                    mine[index] += count
        return out

    def need_scores(self, stages: Iterable[Stage] | None = None) -> dict[str, int]:
        """The weighted score of each standard (see the module docstring)."""
        return {
            code: sum(count * weight(rank, self.ranks) for rank, count in enumerate(counts, 1))
            for code, counts in self.need_ranks(stages).items()
        }

    def chosen(self, question: str, stages: Iterable[Stage] | None = None) -> dict[str, int]:
        """Plans that chose each option of a multiple-choice question."""
        wanted = None if stages is None else set(stages)
        out: dict[str, int] = {}
        for (stage, code), count in self.choices.get(question, {}).items():
            if self._wanted(stage, wanted):
                out[code] = out.get(code, 0) + count
        return out

    def activity_sums(
        self, by: str, stages: Iterable[Stage] | None = None
    ) -> dict[str, tuple[int, float]]:
        """Activity rows and planned hours by ``mode`` or by ``term``."""
        wanted = None if stages is None else set(stages)
        out: dict[str, tuple[int, float]] = {}
        for (stage, mode, term), (rows, hours) in self.activities.items():
            code = mode if by == "mode" else term
            if code and self._wanted(stage, wanted):
                old_rows, old_hours = out.get(code, (0, 0.0))
                out[code] = (old_rows + int(rows), old_hours + float(hours))
        return out

    def hours(self, stages: Iterable[Stage] | None = None) -> float:
        """Planned hours of every activity of these stages' submitted teacher plans."""
        wanted = None if stages is None else set(stages)
        return sum(
            float(hours)
            for (stage, _mode, _term), (_rows, hours) in self.activities.items()
            if self._wanted(stage, wanted)
        )

    def stages(self) -> set[Stage]:
        """The stages with at least one submitted plan."""
        return {s for s, n in self.teacher_plans.items() if n} | {
            s for s, n in self.school_plans.items() if n
        }


def needs_figures(cycle: Cycle, scope: Scope = None, *, ranks: int = 3) -> NeedsFigures:
    """Count the submitted plans of ``cycle`` in ``scope``: seven GROUP BY statements."""
    dialect = db.session.get_bind().dialect.name
    figures = NeedsFigures(ranks=ranks)
    teacher_json = JsonSql(dialect)
    school_json = JsonSql(dialect, SchoolPlan.answers)
    teacher = _counted(TeacherPlan, teacher_json, cycle, scope)
    school = _counted(SchoolPlan, school_json, cycle, scope)
    figures.teacher_plans = _plans(TeacherPlan, teacher)
    figures.school_plans = _plans(SchoolPlan, school)
    _count_needs(figures, teacher_json, teacher)
    for question in TEACHER_CHOICES:
        figures.choices[question] = _choices(TeacherPlan, teacher_json, teacher, question)
    for question in SCHOOL_CHOICES:
        figures.choices[question] = _choices(SchoolPlan, school_json, school, question)
    _count_activities(figures, teacher_json, teacher)
    return figures


def _counted(model: Any, json: JsonSql, cycle: Cycle, scope: Scope) -> ColumnElement[bool]:
    return and_(
        model.cycle_id == cycle.id,
        model.status == PlanStatus.SUBMITTED,
        in_scope(model.school_id, scope),
        json.answers_are_object(),
    )


def _plans(model: Any, counted: ColumnElement[bool]) -> dict[Stage, int]:
    rows = db.session.execute(
        select(School.stage, func.count())
        .select_from(model)
        .join(School, School.id == model.school_id)
        .where(counted)
        .group_by(School.stage)
    )
    return {Stage(stage): int(count) for stage, count in rows}


def _count_needs(figures: NeedsFigures, json: JsonSql, counted: ColumnElement[bool]) -> None:
    needs = json.elements(NEEDS)
    code = json.element_text(needs)
    ranked = (
        select(
            School.stage.label("stage"),
            code.label("code"),
            func.row_number()
            .over(partition_by=TeacherPlan.id, order_by=needs.position)
            .label("rank"),
        )
        .select_from(TeacherPlan)
        .join(School, School.id == TeacherPlan.school_id)
        .join(needs.table, needs.on)
        .where(counted, code.is_not(None))
        .subquery("ranked_needs")
    )
    rows = db.session.execute(
        select(ranked.c.stage, ranked.c.code, ranked.c.rank, func.count())
        .where(ranked.c.rank <= figures.ranks)
        .group_by(ranked.c.stage, ranked.c.code, ranked.c.rank)
    )
    for stage, code_value, rank, teachers in rows:
        counts = figures.needs.setdefault((Stage(stage), code_value), [0] * figures.ranks)
        counts[int(rank) - 1] += int(teachers)


def _choices(
    model: Any, json: JsonSql, counted: ColumnElement[bool], question: str
) -> dict[StageCode, int]:
    elements = json.elements(question)
    code = json.element_text(elements)
    chosen = (
        select(School.stage.label("stage"), code.label("code"), model.id.label("plan_id"))
        .select_from(model)
        .join(School, School.id == model.school_id)
        .join(elements.table, elements.on)
        .where(counted, code.is_not(None))
        .subquery(f"chosen_{question}")
    )
    rows = db.session.execute(
        # An option named twice in one answer counts once: plans, not mentions.
        select(chosen.c.stage, chosen.c.code, func.count(func.distinct(chosen.c.plan_id))).group_by(
            chosen.c.stage, chosen.c.code
        )
    )
    return {(Stage(stage), code_value): int(plans) for stage, code_value, plans in rows}


def _count_activities(figures: NeedsFigures, json: JsonSql, counted: ColumnElement[bool]) -> None:
    rows = json.elements(ACTIVITIES, objects_only=True)
    activity = (
        select(
            School.stage.label("stage"),
            json.field_text(rows, "mode").label("mode"),
            json.field_text(rows, "term").label("term"),
            json.field_hours(rows, "hours").label("hours"),
        )
        .select_from(TeacherPlan)
        .join(School, School.id == TeacherPlan.school_id)
        .join(rows.table, rows.on)
        .where(counted)
        .subquery("activity_rows")
    )
    grouped = db.session.execute(
        select(
            activity.c.stage,
            activity.c.mode,
            activity.c.term,
            func.count(),
            func.coalesce(func.sum(activity.c.hours), 0),
        ).group_by(activity.c.stage, activity.c.mode, activity.c.term)
    )
    for stage, mode, term, count, hours in grouped:
        figures.activities[(Stage(stage), mode, term)] = [int(count), float(hours)]
