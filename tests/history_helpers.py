"""Shared set-up for the plan-history tests: plans of cycle 113 with submitted versions,
and a cycle 114 whose teacher questionnaire dropped options and asks a new question."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from app.config import ROOT
from app.cycles.services import import_cycle, take_snapshot
from app.extensions import db
from app.models import Cycle, Teacher
from app.plans import services as plans
from app.questionnaires import engine
from app.questionnaires.cyclefile import load_cycle_file
from app.timeutil import taipei
from tests.plan_helpers import school_form, teacher_form

SCHOOL_113 = taipei(2024, 8, 20, 10, 0)  # 國小 school window: 08-14 – 08-23
TEACHER_113 = taipei(2024, 9, 20, 10, 0)  # 國小 teacher window: 09-16 – 09-27
SCHOOL_114 = taipei(2025, 8, 20, 10, 0)
TEACHER_114 = taipei(2025, 9, 20, 10, 0)

CYCLES = ROOT / "data" / "cycles"
QUESTIONNAIRES = ROOT / "data" / "questionnaires"

# Version 1 of the 113 teacher plan: two activities; version 3: the first removed, one added.
ROW_DIFFERENTIATION = {
    "topic_category": "std04",
    "topic": "差異化教學策略",
    "mode": "lecture_workshop",
    "hours": "12",
    "term": "first",
}
ROW_READING = {
    "topic_category": "std03",
    "topic": "閱讀素養教學",
    "mode": "lecture_workshop",
    "hours": "6",
    "term": "first",
}
ROW_COMMUNITY = {
    "topic_category": "std09",
    "topic": "數學領域共備社群",
    "mode": "plc",  # gone from 114's modes
    "hours": "18",
    "term": "second",
}


def _rows(*rows: dict[str, str]) -> dict[str, str]:
    return {
        f"q.activities.{i}.{name}": value
        for i, row in enumerate(rows)
        for name, value in row.items()
    }


def teacher_v1() -> dict[str, Any]:
    form = teacher_form(0, **_rows(ROW_DIFFERENTIATION, ROW_READING))
    form["q.needs.3"] = "std09"
    return form


def teacher_v3() -> dict[str, Any]:
    form = teacher_form(0, **_rows(ROW_READING, ROW_COMMUNITY))
    form["q.needs.3"] = "std10"
    form["q.preferred_times"] = ["weekday_day", "weekend"]  # weekend is gone in 114
    form["q.remarks"] = "希望多參加社群。"
    return form


def submit_teacher(teacher: Teacher, form: dict[str, Any], clock: Any, year: int = 113) -> int:
    """Submit the teacher's plan of ``year`` through the services (reopening it first
    when it is already submitted); returns the version kept."""
    clock.set(TEACHER_113 if year == 113 else TEACHER_114)
    ctx = plans.load_teacher_context(teacher, year=year, with_school_plan=True)
    assert ctx is not None
    actor = f"教師 {teacher.name}"
    if ctx.plan is not None and ctx.plan.status.value == "submitted":
        plans.reopen(ctx, ctx.version, actor)
        db.session.commit()
        db.session.expire_all()  # the session keeps objects across commits
        ctx = plans.load_teacher_context(teacher, year=year, with_school_plan=True)
        assert ctx is not None
    saved = plans.submit(ctx, engine.parse_form(ctx.definition, form), ctx.version, actor)
    db.session.commit()
    return saved.version


def submit_school(school_id: int, form: dict[str, Any], clock: Any, who: str = "承辦") -> int:
    clock.set(SCHOOL_113)
    ctx = plans.load_school_context(school_id, year=113)
    assert ctx is not None
    if ctx.plan is not None and ctx.plan.status.value == "submitted":
        plans.reopen(ctx, ctx.version, who)
        db.session.commit()
        db.session.expire_all()  # the session keeps objects across commits
        ctx = plans.load_school_context(school_id, year=113)
        assert ctx is not None
    saved = plans.submit(ctx, engine.parse_form(ctx.definition, form), ctx.version, who)
    db.session.commit()
    return saved.version


def school_v1() -> dict[str, Any]:
    return school_form(0)


def school_v2() -> dict[str, Any]:
    return school_form(
        0,
        **{
            "q.contact_name": "林承辦",
            "q.activities.1.topic_category": "std05",
            "q.activities.1.topic": "學習評量設計研習",
            "q.activities.1.mode": "lecture_workshop",
            "q.activities.1.hours": "3",
            "q.activities.1.term": "second",
            "q.activities.1.audience": "all_teachers",
            "q.activities.1.expected_participants": "30",
        },
    )


def write_cycle_114(folder: Path, *, status: str = "published") -> Path:
    """Cycle 114 as files: 113's windows a year later; the teacher questionnaire without
    the mode 專業學習社群 and the time 週末, without interest areas, with a new question."""
    text = (CYCLES / "113.yaml").read_text(encoding="utf-8")
    text = text.replace("2024-", "2025-").replace("academic_year: 113", "academic_year: 114")
    text = text.replace("name: 113學年度", "name: 114學年度")
    text = text.replace("status: published", f"status: {status}")
    text = text.replace("../questionnaires/teacher-113.yaml", "teacher-114.yaml")
    text = text.replace("../questionnaires/school-113.yaml", "school-114.yaml")
    (folder / "114.yaml").write_text(text, encoding="utf-8")
    school = (QUESTIONNAIRES / "school-113.yaml").read_text(encoding="utf-8")
    (folder / "school-114.yaml").write_text(school, encoding="utf-8")
    teacher = yaml.safe_load((QUESTIONNAIRES / "teacher-113.yaml").read_text(encoding="utf-8"))
    lists = teacher["option_lists"]
    lists["modes"] = [o for o in lists["modes"] if o["code"] != "plc"]
    lists["preferred_times"] = [o for o in lists["preferred_times"] if o["code"] != "weekend"]
    for section in teacher["sections"]:
        section["questions"] = [q for q in section["questions"] if q["code"] != "interest_areas"]
        if section["code"] == "remarks":
            section["questions"].insert(
                0,
                {
                    "code": "year_goal",
                    "type": "text",
                    "label": {"zh": "本學年度進修目標", "en": "This year's goal"},
                    "max_length": 100,
                },
            )
    (folder / "teacher-114.yaml").write_text(
        yaml.safe_dump(teacher, allow_unicode=True, sort_keys=False), encoding="utf-8"
    )
    return folder / "114.yaml"


def import_114(folder: Path, *, status: str = "published") -> Cycle:
    cycle, _ = import_cycle(load_cycle_file(write_cycle_114(folder, status=status)), "114.yaml")
    db.session.flush()
    take_snapshot(cycle, force=True, moment=taipei(2025, 8, 1, 17, 0))
    db.session.commit()
    return cycle
