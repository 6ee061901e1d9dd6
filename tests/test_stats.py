"""Read models: completion and tallies computed in SQL, equal to their Python definition."""

from __future__ import annotations

import random
from typing import Any

import pytest
from sqlalchemy import event, select

from app import stats
from app.extensions import db
from app.models import PlanStatus, School, Stage
from app.stats import Completion, Tally
from tests.test_reports_support import (  # noqa: F401 - fixtures
    DRAFT_ANSWERS,
    TEACHER_ANSWERS,
    build_world,
    make_teacher_plan,
    reports_fixture,
)

# Answers a stored plan may hold, the well-formed and the odd: the SQL must read each
# one exactly as Tally.add (the engine's reading) does.
ODD_ANSWERS: list[Any] = [
    TEACHER_ANSWERS,
    {"needs": ["std04", None, None], "activities": [{"mode": "plc", "hours": "x"}]},
    "not a mapping",
    ["std01"],
    {},
    {"needs": "std01", "activities": {"mode": "plc", "hours": 3}},
    {"needs": {"0": "std01"}, "activities": "plc"},
    {"needs": ["", "std02", 5, True, "std03", "std04", "std05"]},  # ranks after filtering
    {"needs": ["std01", "std01", "標準\"引號'"]},
    {
        "activities": [
            "a text row",
            5,
            None,
            [1, 2],
            {},
            {"mode": "", "hours": True, "term": None},
            {"mode": "lecture_workshop", "hours": 9999.5, "term": "first"},
            {"mode": "plc", "hours": 10000, "topic_category": "std02"},
            {"hours": -3, "topic_category": "std01"},
            {"hours": 0.1, "topic_category": "std01", "term": 7},
            {"hours": 0.2, "topic_category": "std01", "term": "second", "adopted_from": 3},
            {"hours": 1.25, "mode": "<b>x</b>", "topic_category": ["std01"]},
        ]
    },
]
NEED_CODES = ["std01", "std02", "std03", "std04", "std09", "", None, 7]
MODES = ["plc", "lecture_workshop", "online", "", None, 3]
HOURS = [12, 6, 0, 1.5, 2.25, -1, 10000, 9999, "3", None, True, 0.1]


def random_answers(rng: random.Random) -> Any:
    if rng.random() < 0.2:
        return rng.choice(ODD_ANSWERS)
    return {
        "needs": [rng.choice(NEED_CODES) for _ in range(rng.randint(0, 5))],
        "activities": [
            {
                "mode": rng.choice(MODES),
                "topic_category": rng.choice(NEED_CODES),
                "term": rng.choice(["first", "second", "", None]),
                "hours": rng.choice(HOURS),
            }
            for _ in range(rng.randint(0, 4))
        ],
    }


def reference(answers: list[Any], ranks: int = 3) -> Tally:
    tally = Tally(ranks=ranks)
    for one in answers:
        tally.add(one)
    return tally


def assert_same_tally(got: Tally, want: Tally) -> None:
    assert got.plans == want.plans
    assert got.needs == want.needs
    assert dict(got.mode_rows) == dict(want.mode_rows)
    for name in ("mode_hours", "category_hours", "term_hours"):
        got_hours, want_hours = getattr(got, name), getattr(want, name)
        assert got_hours.keys() == want_hours.keys(), name
        for code, hours in want_hours.items():
            assert got_hours[code] == pytest.approx(hours), (name, code)
    assert sorted(got.plan_hours) == pytest.approx(sorted(want.plan_hours))
    got_summary, want_summary = got.hours_summary(), want.hours_summary()
    assert got_summary.buckets == want_summary.buckets
    assert got_summary.total == pytest.approx(want_summary.total)
    assert got_summary.average == pytest.approx(want_summary.average)
    assert got_summary.median == pytest.approx(want_summary.median)


@pytest.fixture
def world(reports, factory, clock):
    return build_world(factory, clock)


def _plans(world, factory, answers: list[Any], *, school=None, submitted=True) -> None:
    school = school or world.school
    for one in answers:
        teacher = factory.teacher(school, name="測試教師")
        make_teacher_plan(world.cycle, teacher, school, one, submitted=submitted)
    db.session.commit()


def test_sql_tally_equals_the_python_definition(world, factory):
    rng = random.Random(7)
    answers = ODD_ANSWERS + [random_answers(rng) for _ in range(40)]
    _plans(world, factory, answers)
    _plans(world, factory, [random_answers(rng) for _ in range(5)], submitted=False)  # drafts

    got = stats.teacher_tally(world.cycle, stats.one_school(world.school.id))

    want = reference([TEACHER_ANSWERS, *answers])  # the world's own submitted plan first
    assert_same_tally(got, want)
    assert got.plans == sum(isinstance(one, dict) for one in [TEACHER_ANSWERS, *answers])
    assert got.plans < len(answers) + 1  # answers that are not an object count nowhere


@pytest.mark.parametrize("ranks", [1, 3, 5])
def test_needs_rank_after_dropping_blanks_and_stop_at_the_question_s_ranks(world, factory, ranks):
    answers = [{"needs": ["", None, "std02", "std03", "std02", "std04", "std05", "std01"]}]
    _plans(world, factory, answers, school=world.other_school)
    scope = stats.one_school(world.other_school.id)

    got = stats.teacher_tally(world.cycle, scope, ranks=ranks)

    # The other school's world plan ranks std01, std02, std03.
    assert_same_tally(
        got, reference([{**TEACHER_ANSWERS, "needs": ["std01", "std02", "std03"]}, *answers], ranks)
    )


def test_tally_counts_only_submitted_plans_of_the_cycle_in_scope(world, factory):
    everywhere = stats.teacher_tally(world.cycle)
    one = stats.teacher_tally(world.cycle, stats.one_school(world.school.id))
    nowhere = stats.teacher_tally(world.cycle, select(School.id).where(School.id == -1))

    as_subquery = stats.teacher_tally(world.cycle, stats.one_school(world.school.id).subquery())

    assert (everywhere.plans, one.plans, nowhere.plans) == (2, 1, 0)
    assert as_subquery == one
    assert one.needs == {"std04": [1, 0, 0], "std06": [0, 1, 0], "std09": [0, 0, 1]}
    assert "std02" not in one.needs  # the draft's need
    assert everywhere.needs["std01"] == [1, 0, 0]  # the other school's
    assert dict(one.mode_rows) == {"plc": 1, "lecture_workshop": 1}
    assert one.hours_summary().total == 18
    assert nowhere.hours_summary() == stats.HoursSummary(0.0, 0.0, 0.0, (0, 0, 0, 0))


def test_hours_summary_is_the_median_and_buckets_of_plan_totals():
    tally = Tally()
    for hours in (0, 9.5, 10, 19, 20, 39.5, 40, 120):
        tally.add({"activities": [{"hours": hours}]})
    summary = tally.hours_summary()
    assert summary.buckets == (2, 2, 2, 2)
    assert summary.median == 19.5
    assert summary.total == 258
    assert summary.average == 258 / 8
    tally.add({})
    assert tally.hours_summary().median == 19


def test_completion_counts_the_roster_against_plan_states(world, factory):
    # A teacher outside the snapshot with a plan counts nowhere (only the snapshot fills).
    late = factory.teacher(world.school, name="晚到的老師")
    make_teacher_plan(world.cycle, late, world.school, TEACHER_ANSWERS)
    db.session.commit()

    total = stats.completion(world.cycle)
    by_stage = stats.completion_by(world.cycle, None, School.stage)
    by_county = stats.completion_by(world.cycle, None, School.county_code)

    assert total == Completion(
        schools=2,
        school_plans_due=2,
        school_plans_submitted=1,
        school_plans_draft=0,
        roster=4,
        submitted=2,
        draft=1,
    )
    assert total.not_started == 1
    assert by_stage[(Stage.ELEMENTARY,)] == Completion(1, 1, 1, 0, 3, 1, 1)
    assert by_stage[(Stage.JUNIOR,)] == Completion(1, 1, 0, 0, 1, 1, 0)
    assert by_stage[(Stage.ELEMENTARY,)] + by_stage[(Stage.JUNIOR,)] == total
    assert by_county == {("64000",): total}
    one = select(School.id).where(School.id == world.other_school.id)
    assert stats.completion(world.cycle, one) == stats.completion(world.cycle, one.subquery())
    assert stats.completion(world.cycle, one) == by_stage[(Stage.JUNIOR,)]


def test_school_rows_and_roster_progress(world, factory):
    kindergarten = factory.school(Stage.KINDERGARTEN, name="高雄市立幼兒園")
    world.school_plan.status = PlanStatus.DRAFT
    db.session.commit()

    rows = stats.school_rows(world.cycle)

    assert [(r.name, r.school_plan, r.completion.roster) for r in rows] == [
        ("高雄市立五福國民中學", "none", 1),
        ("高雄市立示範國民小學", "draft", 3),
        ("高雄市立幼兒園", "exempt", 0),
    ]
    assert rows[2].id == kindergarten.id
    roster = stats.roster_progress(world.cycle, world.school.id)
    assert [(r.name, r.state) for r in roster] == [
        ("林志豪", "none"),
        ("王小明", "submitted"),
        ("陳美玲", "draft"),
    ]
    assert roster[1].plan_id == world.plans["submitted"].id
    assert roster[1].submitted_at is not None


def test_counting_returns_grouped_rows_never_a_row_per_plan(world, factory):
    _plans(world, factory, [TEACHER_ANSWERS] * 12)
    fetched: list[int] = []

    def count_rows(conn, cursor, statement, parameters, context, executemany):
        fetched.append(statement)

    engine = db.engine
    event.listen(engine, "after_cursor_execute", count_rows)
    try:
        tally = stats.teacher_tally(world.cycle)
        stats.school_rows(world.cycle)
    finally:
        event.remove(engine, "after_cursor_execute", count_rows)

    assert tally.plans == 14
    assert len(fetched) == 4  # three tally statements, one completion statement
    assert all("GROUP BY" in statement for statement in fetched)
