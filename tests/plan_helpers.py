"""Shared set-up for plan tests: the 113 cycle, schools per stage, valid form posts."""

from __future__ import annotations

from app.config import ROOT
from app.cycles.services import import_cycle, take_snapshot
from app.extensions import db
from app.models import AccountType, Cycle, Stage
from app.questionnaires.cyclefile import load_cycle_file
from app.timeutil import taipei

CYCLE_113 = ROOT / "data" / "cycles" / "113.yaml"


def import_113() -> Cycle:
    cycle, _ = import_cycle(load_cycle_file(CYCLE_113), "113.yaml")
    db.session.flush()
    return cycle


def setup_113(factory, stages=(Stage.ELEMENTARY,)) -> dict:
    """Cycle 113 with one school, a planner and a teacher per stage, snapshot taken."""
    cycle = import_113()
    world = {"cycle": cycle, "schools": {}, "planners": {}, "teachers": {}}
    for stage in stages:
        school = factory.school(stage)
        world["schools"][stage] = school
        world["planners"][stage] = factory.account(school, AccountType.PLANNING)
        world["teachers"][stage] = factory.teacher(school, name=f"{stage.label}老師")
    take_snapshot(cycle, force=True, moment=taipei(2024, 8, 2, 17, 0))
    db.session.commit()
    return world


def school_form(version: int, **overrides: str) -> dict:
    data = {
        "version": str(version),
        "q.contact_name": "黃承辦",
        "q.contact_title": "教務主任",
        "q.contact_phone": "07-7258600",
        "q.contact_email": "office@school.edu.tw",
        "q.priority_issues": ["gender_equality", "human_rights"],
        "q.priority_description": "以素養導向教學精進全校教師專業。",
        "q.activities.0.topic_category": "std03",
        "q.activities.0.topic": "素養導向課程設計工作坊",
        "q.activities.0.mode": "lecture_workshop",
        "q.activities.0.hours": "6",
        "q.activities.0.term": "first",
        "q.activities.0.audience": "all_teachers",
        "q.activities.0.expected_participants": "40",
        "q.needs_support": "no",
    }
    data.update(overrides)
    return data


def teacher_form(version: int, **overrides: str) -> dict:
    data = {
        "version": str(version),
        "q.needs.1": "std04",
        "q.needs.2": "std06",
        "q.needs.3": "std09",
        "q.interest_areas": ["mathematics"],
        "q.activities.0.topic_category": "std04",
        "q.activities.0.topic": "差異化教學策略",
        "q.activities.0.mode": "plc",
        "q.activities.0.hours": "12",
        "q.activities.0.term": "second",
        "q.preferred_times": ["weekday_day"],
    }
    data.update(overrides)
    return data
