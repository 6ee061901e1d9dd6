"""進修需求分析: the figures of :mod:`app.stats.needs` as labelled tables and SVG charts.

One computation (:func:`analysis`) reads a cycle and the cycle before it, when that one
exists, for an *area* (the nation, a county, one school); :func:`tables` turns it into
plain data for the web page and for the county and national PDFs alike: each table has
its rows as text cells and a chart drawn from the same numbers.

The web page keeps computed figures in a small per-process cache keyed by a fingerprint
that moves whenever a counted plan can have changed (see :func:`_fingerprint`): a submit
adds a ``plan_version`` row, a reopen lowers the number of submitted plans. The PDFs
compute afresh (they have their own cache, app.reports.cache).
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from flask_babel import get_locale
from flask_babel import gettext as _
from sqlalchemy import func, select

from app import timeutil
from app.cycles.services import latest_questionnaire
from app.cycles.windows import cycle_by_year
from app.extensions import db
from app.i18n import questionnaire_lang
from app.models import (
    STAGE_ORDER,
    Cycle,
    PlanKind,
    PlanStatus,
    PlanVersion,
    Questionnaire,
    SchoolPlan,
    Stage,
    TeacherPlan,
)
from app.questionnaires import engine
from app.reports.charts import comparison_chart
from app.stats import Scope
from app.stats.needs import ACTIVITIES, NEEDS, NeedsFigures, needs_figures, weight

CACHE_ENTRIES = 64
CACHE_SECONDS = 300  # a safety net: schools moving between authorities move no plan


@dataclass(frozen=True)
class Nation:
    """The whole country as the object of the access check: no school, no county, so
    only the roles that see everything pass (app.policy.in_scope)."""


NATION = Nation()


@dataclass(frozen=True)
class Area:
    """What the figures cover: ``kind`` national, county or school, and the schools."""

    kind: str
    key: str
    name: str
    scope: Scope


@dataclass(frozen=True)
class CycleName:
    """A cycle as the analysis keeps it: plain values, safe to share between requests."""

    id: int
    academic_year: int
    name: str

    @classmethod
    def of(cls, cycle: Cycle) -> CycleName:
        return cls(cycle.id, cycle.academic_year, cycle.name)


@dataclass
class Analysis:
    """One cycle's figures, the previous cycle's (if it exists) and the option labels."""

    cycle: CycleName
    previous: CycleName | None
    current: NeedsFigures
    before: NeedsFigures | None
    definitions: dict[str, list[Mapping[str, Any]]]  # plan kind -> definitions, newest first
    # The tables already laid out, by (stage, language): a cached analysis serves the
    # same page many times (filling it twice at once is harmless).
    laid_out: dict[tuple[Stage | None, str], list[dict[str, Any]]] = field(default_factory=dict)
    counted_at: datetime = field(default_factory=timeutil.now)  # shown: "統計時間"


# ---- computing ---------------------------------------------------------------------------


def previous_cycle(cycle: Cycle) -> Cycle | None:
    """The cycle of the academic year before, if there is one."""
    return cycle_by_year(cycle.academic_year - 1)


def _definitions(cycles: Sequence[Cycle]) -> dict[str, list[Mapping[str, Any]]]:
    out: dict[str, list[Mapping[str, Any]]] = {}
    for kind in (PlanKind.TEACHER, PlanKind.SCHOOL):
        found = (latest_questionnaire(cycle, kind) for cycle in cycles)
        out[kind.value] = [q.definition for q in found if q is not None]
    return out


def _ranks(definitions: Mapping[str, list[Mapping[str, Any]]]) -> int:
    for definition in definitions.get(PlanKind.TEACHER.value, ()):
        question = engine.question_map(definition).get(NEEDS)
        if question:
            return int(question.get("ranks") or 3)
    return 3


def compute(cycle: Cycle, scope: Scope, previous: Cycle | None = None) -> Analysis:
    """Count the cycle's submitted plans in ``scope``, and the previous cycle's (found
    here unless given)."""
    previous = previous or previous_cycle(cycle)
    definitions = _definitions([c for c in (cycle, previous) if c is not None])
    ranks = _ranks(definitions)
    current = needs_figures(cycle, scope, ranks=ranks)
    before = needs_figures(previous, scope, ranks=ranks) if previous else None
    return Analysis(
        CycleName.of(cycle),
        CycleName.of(previous) if previous else None,
        current,
        before,
        definitions,
    )


class _Cache:
    """A few recent analyses per process, by (cycles, area); thread-safe.

    An entry is served while its fingerprint is unchanged (up to ``seconds``), and also,
    once a plan has moved, for ``stale`` seconds after it was computed: at the peak of a
    window a submit lands every second, and counting every submitted plan of the nation
    again for each page view would cost seconds each time. So the figures of an area are
    counted at most once per ``stale`` seconds per process, and the page says when.
    """

    def __init__(
        self, entries: int = CACHE_ENTRIES, seconds: float = CACHE_SECONDS, stale: float = 60
    ) -> None:
        self.entries, self.seconds, self.stale = entries, seconds, stale
        self._items: OrderedDict[tuple[Any, ...], tuple[float, Any, Analysis]] = OrderedDict()
        self._lock = threading.Lock()
        self._counting: dict[tuple[Any, ...], threading.Lock] = {}

    def _fresh(self, key: tuple[Any, ...], fingerprint: Any) -> Analysis | None:
        with self._lock:
            found = self._items.get(key)
            if found is None:
                return None
            age = time.monotonic() - found[0]
            if (found[1] == fingerprint and age < self.seconds) or age < self.stale:
                self._items.move_to_end(key)
                return found[2]
            return None

    def get(self, key: tuple[Any, ...], fingerprint: Any, make: Callable[[], Analysis]) -> Analysis:
        found = self._fresh(key, fingerprint)
        if found is not None:
            return found
        with self._lock:
            counting = self._counting.setdefault(key, threading.Lock())
        # One count per area at a time: the others wait for it and take its result; a
        # slow count never blocks another area.
        with counting:
            found = self._fresh(key, fingerprint)
            if found is not None:
                return found
            started = time.monotonic()
            value = make()
            with self._lock:
                self._items[key] = (started, fingerprint, value)
                self._items.move_to_end(key)
                while len(self._items) > self.entries:
                    dropped, _entry = self._items.popitem(last=False)
                    self._counting.pop(dropped, None)
        return value

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self._counting.clear()


cache = _Cache()


def _fingerprint(cycle_ids: list[int]) -> tuple[Any, ...]:
    """What moves when a plan counted here may have changed, in one small statement:
    the newest kept submission (every submit adds one), the submitted plans of these
    cycles (a reopen lowers it) and their newest questionnaire (the labels)."""

    def submitted(model: Any) -> Any:
        return (
            select(func.count())
            .select_from(model)
            .where(model.cycle_id.in_(cycle_ids), model.status == PlanStatus.SUBMITTED)
            .scalar_subquery()
        )

    row = db.session.execute(
        select(
            select(func.max(PlanVersion.id)).scalar_subquery(),
            submitted(TeacherPlan),
            submitted(SchoolPlan),
            select(func.max(Questionnaire.id))
            .where(Questionnaire.cycle_id.in_(cycle_ids))
            .scalar_subquery(),
        )
    ).one()
    return tuple(row)


def analysis(cycle: Cycle, area: Area, previous: Cycle | None) -> Analysis:
    """The analysis of ``area`` for ``cycle`` beside ``previous`` (the cycle of the year
    before, or None), from the cache while nothing moved."""
    ids = [cycle.id] + ([previous.id] if previous else [])
    key = (tuple(ids), area.kind, area.key)
    return cache.get(key, _fingerprint(ids), lambda: compute(cycle, area.scope, previous))


# ---- labelled tables ---------------------------------------------------------------------


def _number(value: float) -> str:
    value = round(float(value), 1)
    return f"{value:,.0f}" if value.is_integer() else f"{value:,.1f}"


class _Labels:
    """Option labels of one question across the cycles' questionnaires (newest first)."""

    def __init__(self, definitions: Sequence[Mapping[str, Any]], code: str, field: str = ""):
        self.questions: list[Mapping[str, Any]] = []
        for definition in definitions:
            question = engine.question_map(definition).get(code)
            if question and field:
                fields = {f["code"]: f for f in question.get("fields", ())}
                question = fields.get(field)
            if question:
                self.questions.append(question)
        self.lang = questionnaire_lang()

    def order(self) -> list[str]:
        codes: list[str] = []
        for question in self.questions:
            codes += [o["code"] for o in question.get("options", ()) if o["code"] not in codes]
        return codes

    def __call__(self, code: str) -> str:
        for question in self.questions:
            if any(option["code"] == code for option in question.get("options", ())):
                return engine.option_label(question, code, self.lang)
        return code


def _sorted(values: Mapping[str, float], before: Mapping[str, float], order: list[str]) -> list:
    codes = [c for c in set(values) | set(before) if values.get(c) or before.get(c)]
    position = {code: index for index, code in enumerate(order)}
    return sorted(codes, key=lambda c: (-values.get(c, 0), position.get(c, len(order)), c))


def _table(
    key: str,
    title: str,
    first: str,
    columns: list[str],
    rows: Sequence[tuple[str, list[str], float, float | None]],
    a: Analysis,
    *,
    unit: str,
    note: str = "",
    chart: bool = True,
) -> dict[str, Any]:
    """One table as plain data: headers, text cells, and its chart of the charted figure
    (``value``, and ``before`` for the previous cycle)."""
    compare = a.before is not None
    drawn = None
    if chart:
        drawn = comparison_chart(
            [(label, value, before) for label, _cells, value, before in rows],
            title=title,
            current=a.cycle.name,
            previous=a.previous.name if compare and a.previous else None,
            unit=unit,
            empty=_("尚無已送出的資料"),
        )
    return {
        "key": key,
        "title": title,
        "note": note,
        "headers": [first, *columns],
        "rows": [{"label": label, "cells": cells} for label, cells, _v, _p in rows],
        "chart": drawn,
    }


def _year_columns(a: Analysis, figure: Callable[[str], str]) -> list[str]:
    """The header of a figure for this cycle, and for the previous one when compared."""
    columns = [figure(a.cycle.name)]
    if a.before is not None and a.previous is not None:
        columns.append(figure(a.previous.name))
    return columns


def _needs_table(a: Analysis, stages: list[Stage] | None) -> dict[str, Any]:
    labels = _Labels(a.definitions.get("teacher", ()), NEEDS)
    ranks = a.current.need_ranks(stages)
    scores = a.current.need_scores(stages)
    before = a.before.need_scores(stages) if a.before else {}
    codes = labels.order()
    codes += sorted(c for c in set(scores) | set(before) if c not in codes)
    position = {code: index for index, code in enumerate(codes)}
    codes.sort(key=lambda c: (-scores.get(c, 0), position[c]))
    k = a.current.ranks
    rows = []
    for code in codes:
        cells = [str(n) for n in ranks.get(code, [0] * k)] + [str(scores.get(code, 0))]
        if a.before is not None:
            cells.append(str(before.get(code, 0)))
        rows.append((labels(code), cells, float(scores.get(code, 0)), before.get(code)))
    weights = "、".join(
        _("第 %(rank)d 順位 %(points)d 分", rank=r, points=weight(r, k)) for r in range(1, k + 1)
    )
    return _table(
        "needs",
        _("教師專業標準需求排序（加權）"),
        _("教師專業標準"),
        [_("第 %(rank)d 順位（人）", rank=r) for r in range(1, k + 1)]
        + _year_columns(a, lambda year: _("%(year)s加權分數", year=year)),
        rows,
        a,
        unit=_("分"),
        note=_(
            "每位教師排序最需要精進的 %(k)d 項標準；加權分數＝各順位人數×權重的總和"
            "（%(weights)s，即 k+1−順位）。",
            k=k,
            weights=weights,
        ),
    )


def _choice_table(
    a: Analysis,
    stages: list[Stage] | None,
    key: str,
    kind: str,
    question: str,
    title: str,
    first: str,
    figure: Callable[[str], str],
    unit: str,
) -> dict[str, Any]:
    labels = _Labels(a.definitions.get(kind, ()), question)
    values = a.current.chosen(question, stages)
    before = a.before.chosen(question, stages) if a.before else {}
    rows = []
    for code in _sorted(values, before, labels.order()):
        cells = [str(values.get(code, 0))]
        if a.before is not None:
            cells.append(str(before.get(code, 0)))
        rows.append((labels(code), cells, float(values.get(code, 0)), before.get(code, 0)))
    return _table(key, title, first, _year_columns(a, figure), rows, a, unit=unit)


def _activity_table(
    a: Analysis, stages: list[Stage] | None, by: str, title: str, first: str
) -> dict[str, Any]:
    labels = _Labels(a.definitions.get("teacher", ()), ACTIVITIES, by)
    values = a.current.activity_sums(by, stages)
    before = a.before.activity_sums(by, stages) if a.before else {}
    hours = {code: h for code, (_rows, h) in values.items()}
    hours_before = {code: h for code, (_rows, h) in before.items()}
    rows = []
    for code in _sorted(hours, hours_before, labels.order()):
        count, planned = values.get(code, (0, 0.0))
        cells = [str(count), _number(planned)]
        if a.before is not None:
            cells.append(_number(hours_before.get(code, 0.0)))
        rows.append((labels(code), cells, planned, hours_before.get(code, 0.0)))
    activities = _("%(year)s活動數（項）", year=a.cycle.name)
    columns = [activities, *_year_columns(a, lambda year: _("%(year)s預定時數（小時）", year=year))]
    return _table(f"{by}s", title, first, columns, rows, a, unit=_("小時"))


def _summary_table(a: Analysis, stages: list[Stage] | None) -> dict[str, Any]:
    def figures(f: NeedsFigures) -> list[float]:
        plans = f.plans(stages)
        hours = f.hours(stages)
        return [plans, f.plans(stages, school=True), hours, hours / plans if plans else 0.0]

    names = [
        _("已送出的教師規劃（份）"),
        _("已送出的學校規劃（份）"),
        _("預定進修時數合計（小時）"),
        _("每位教師平均預定時數（小時）"),
    ]
    now = figures(a.current)
    then = figures(a.before) if a.before else None
    rows = []
    for index, name in enumerate(names):
        cells = [_number(now[index])] + ([_number(then[index])] if then else [])
        rows.append((name, cells, now[index], then[index] if then else None))
    # Four figures of different units: no chart, the table says it all.
    return _table(
        "summary",
        _("填報與時數總覽"),
        _("項目"),
        _year_columns(a, str),
        rows,
        a,
        unit="",
        chart=False,
    )


def _stage_table(a: Analysis) -> dict[str, Any]:
    labels = _Labels(a.definitions.get("teacher", ()), NEEDS)
    position = {code: index for index, code in enumerate(labels.order())}
    present = a.current.stages() | (a.before.stages() if a.before else set())
    rows = []
    for stage in (s for s in STAGE_ORDER if s in present):
        plans = a.current.plans([stage])
        hours = a.current.hours([stage])
        scores = a.current.need_scores([stage])
        ranked = sorted(scores.items(), key=lambda i: (-i[1], position.get(i[0], 99), i[0]))
        top = ranked[0] if ranked else None
        before = a.before.plans([stage]) if a.before else None
        cells = [
            str(plans),
            str(a.current.plans([stage], school=True)),
            _number(hours),
            _number(hours / plans) if plans else "—",
            labels(top[0]) if top and top[1] else "—",
        ]
        if before is not None:
            cells.append(str(before))
        rows.append((stage.label, cells, float(plans), before))
    columns = [
        _("%(year)s教師規劃（份）", year=a.cycle.name),
        _("學校規劃（份）"),
        _("預定時數合計（小時）"),
        _("平均時數（小時）"),
        _("加權分數最高的標準"),
    ]
    if a.before is not None and a.previous is not None:
        columns.append(_("%(year)s教師規劃（份）", year=a.previous.name))
    return _table("stages", _("各教育階段"), _("教育階段"), columns, rows, a, unit=_("份"), note="")


def tables(a: Analysis, stage: Stage | None = None) -> list[dict[str, Any]]:
    """Every table of the analysis, for one stage or (None) all of them."""
    key = (stage, f"{get_locale()}")
    if key not in a.laid_out:
        a.laid_out[key] = _tables(a, stage)
    return a.laid_out[key]


def _tables(a: Analysis, stage: Stage | None) -> list[dict[str, Any]]:
    stages = [stage] if stage else None
    out = [_summary_table(a, stages)]
    if stage is None and len(a.current.stages() | (a.before.stages() if a.before else set())) > 1:
        out.append(_stage_table(a))
    out += [
        _needs_table(a, stages),
        _choice_table(
            a,
            stages,
            "areas",
            "teacher",
            "interest_areas",
            _("教師有興趣精進的領域/科目"),
            _("領域/科目"),
            lambda year: _("%(year)s教師數", year=year),
            _("人"),
        ),
        _choice_table(
            a,
            stages,
            "issues",
            "school",
            "priority_issues",
            _("學校優先推動的課程議題"),
            _("議題"),
            lambda year: _("%(year)s學校數", year=year),
            _("校"),
        ),
        _choice_table(
            a,
            stages,
            "school_areas",
            "school",
            "priority_areas",
            _("學校優先精進的領域/科目"),
            _("領域/科目"),
            lambda year: _("%(year)s學校數", year=year),
            _("校"),
        ),
        _activity_table(a, stages, "mode", _("預定進修方式"), _("進修方式")),
        _activity_table(a, stages, "term", _("預定辦理期間"), _("辦理期間")),
        _choice_table(
            a,
            stages,
            "times",
            "teacher",
            "preferred_times",
            _("方便參加進修的時段"),
            _("時段"),
            lambda year: _("%(year)s教師數", year=year),
            _("人"),
        ),
    ]
    return out


def section(cycle: Cycle, scope: Scope, area_name: str) -> dict[str, Any]:
    """The analytics section of a county or national PDF (computed afresh)."""
    a = compute(cycle, scope)
    return {
        "area": area_name,
        "cycle": cycle.name,
        "previous": a.previous.name if a.before is not None and a.previous else None,
        "tables": tables(a),
    }


def csv_rows(tables_: list[dict[str, Any]], heading: list[str]) -> list[list[str]]:
    """The tables one after another as rows: a title row, the headers, the rows, a blank."""
    rows: list[list[str]] = [heading, []]
    for table in tables_:
        rows.append([table["title"]])
        if table["note"]:
            rows.append([table["note"]])
        rows.append(list(table["headers"]))
        rows += [[row["label"], *row["cells"]] for row in table["rows"]]
        rows.append([])
    return rows
