"""Shared set-up of the report and manual tests: a small 113 world, PDF text and fonts.

Holds no tests; test_reports*.py and test_manuals.py import from it (the fixtures by
their function names, e.g. reports_fixture; tests ask for "reports", "renders", …).
"""

from __future__ import annotations

import io
import re
import shutil
import signal
import subprocess
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pypdf
import pytest
from sqlalchemy import select

from app.config import ROOT
from app.cycles.services import import_cycle, latest_questionnaire, take_snapshot
from app.extensions import db
from app.models import (
    AccountKind,
    AccountType,
    Authority,
    AuthorityKind,
    BusinessAccount,
    Cycle,
    GeneratedDocument,
    PlanKind,
    PlanStatus,
    PlanVersion,
    School,
    SchoolPlan,
    Stage,
    Teacher,
    TeacherPlan,
)
from app.questionnaires.cyclefile import load_cycle_file
from app.reports import cache
from app.timeutil import taipei
from tests.pdf_checks import assert_no_embedded_files  # noqa: F401 - re-exported

CYCLE_FILE = ROOT / "data" / "cycles" / "113.yaml"
PDFTOTEXT = shutil.which("pdftotext")
A4_WIDTH = 595.28
RIGHT_MARGIN = 16 * 72 / 25.4

TEACHER_ANSWERS: dict[str, Any] = {
    "needs": ["std04", "std06", "std09"],
    "needs_description": "希望精進差異化教學，\n照顧學習落後的學生。",
    "interest_areas": ["mathematics"],
    "activities": [
        {
            "topic_category": "std04",
            "topic": "差異化教學策略",
            "mode": "plc",
            "hours": 12,
            "term": "second",
        },
        {
            "topic_category": "std06",
            "topic": "正向班級經營工作坊",
            "mode": "lecture_workshop",
            "hours": 6,
            "term": "first",
        },
    ],
    "preferred_times": ["weekday_day", "vacation"],
    "remarks": "感謝學校安排共同備課時間。",
}

DRAFT_ANSWERS: dict[str, Any] = {
    "needs": ["std02", None, None],
    "activities": [{"topic_category": "std02", "topic": "閱讀理解教學", "mode": "online"}],
}

SCHOOL_ANSWERS: dict[str, Any] = {
    "contact_name": "黃承辦",
    "contact_title": "教務主任",
    "contact_phone": "07-7258600 分機 123",
    "contact_email": "office@school.edu.tw",
    "priority_issues": ["gender_equality", "reading"],
    "priority_description": "以素養導向教學精進全校教師專業。",
    "activities": [
        {
            "topic_category": "std03",
            "topic": "素養導向課程設計工作坊",
            "mode": "lecture_workshop",
            "hours": 6,
            "term": "first",
            "audience": "all_teachers",
            "expected_participants": 40,
        }
    ],
    "needs_support": "no",
}


@dataclass
class World:
    """Cycle 113, one county with two schools, their people and plans."""

    cycle: Cycle
    school: School
    other_school: School
    teachers: dict[str, Teacher] = field(default_factory=dict)
    plans: dict[str, TeacherPlan] = field(default_factory=dict)
    school_plan: SchoolPlan | None = None
    accounts: dict[str, BusinessAccount] = field(default_factory=dict)


def make_teacher_plan(
    cycle: Cycle,
    teacher: Teacher,
    school: School,
    answers: dict[str, Any],
    *,
    submitted: bool = True,
    version: int = 2,
) -> TeacherPlan:
    questionnaire = latest_questionnaire(cycle, PlanKind.TEACHER)
    plan = TeacherPlan(
        cycle_id=cycle.id,
        teacher_id=teacher.id,
        school_id=school.id,
        questionnaire_id=questionnaire.id,
        answers=answers,
        status=PlanStatus.SUBMITTED if submitted else PlanStatus.DRAFT,
        version=version,
        submitted_at=taipei(2024, 9, 18, 14, 3) if submitted else None,
        updated_at=taipei(2024, 9, 18, 14, 3),
        updated_by=f"teacher:{teacher.id}",
    )
    db.session.add(plan)
    db.session.flush()
    if submitted:
        keep_submission(PlanKind.TEACHER, plan)
    return plan


def keep_submission(kind: PlanKind, plan: TeacherPlan | SchoolPlan) -> None:
    """The version row a real submit keeps (app.plans.services.submit): its receipt."""
    assert plan.submitted_at is not None
    db.session.add(
        PlanVersion(
            plan_kind=kind,
            plan_id=plan.id,
            version=plan.version,
            answers=plan.answers,
            submitted_at=plan.submitted_at,
            submitted_by=plan.updated_by,
        )
    )
    db.session.flush()


def build_world(factory: Any, clock: Any, *, teacher_answers: dict | None = None) -> World:
    """Cycle 113 from its file; 示範國小 with three teachers (submitted, draft, none)."""
    clock.set(taipei(2024, 9, 20, 10, 0))
    cycle, _ = import_cycle(load_cycle_file(CYCLE_FILE), "113.yaml")
    school = factory.school(Stage.ELEMENTARY, name="高雄市立示範國民小學")
    other = factory.school(Stage.JUNIOR, name="高雄市立五福國民中學")
    world = World(cycle=cycle, school=school, other_school=other)
    world.teachers = {
        "submitted": factory.teacher(school, name="王小明"),
        "draft": factory.teacher(school, name="陳美玲"),
        "none": factory.teacher(school, name="林志豪"),
        "other": factory.teacher(other, name="張大同"),
    }
    take_snapshot(cycle, force=True, moment=taipei(2024, 8, 2, 17, 0))
    world.plans = {
        "submitted": make_teacher_plan(
            cycle, world.teachers["submitted"], school, teacher_answers or TEACHER_ANSWERS
        ),
        "draft": make_teacher_plan(
            cycle, world.teachers["draft"], school, DRAFT_ANSWERS, submitted=False
        ),
        "other": make_teacher_plan(
            cycle,
            world.teachers["other"],
            other,
            {**TEACHER_ANSWERS, "needs": ["std01", "std02", "std03"]},
        ),
    }
    world.school_plan = SchoolPlan(
        cycle_id=cycle.id,
        school_id=school.id,
        questionnaire_id=latest_questionnaire(cycle, PlanKind.SCHOOL).id,
        answers=SCHOOL_ANSWERS,
        status=PlanStatus.SUBMITTED,
        version=4,
        submitted_at=taipei(2024, 8, 20, 16, 30),
        updated_at=taipei(2024, 8, 20, 16, 30),
        updated_by="account:1",
    )
    db.session.add(world.school_plan)
    db.session.flush()
    keep_submission(PlanKind.SCHOOL, world.school_plan)
    county_authority = factory.authority()
    national = Authority(name="教育部國民及學前教育署", kind=AuthorityKind.NATIONAL)
    db.session.add(national)
    db.session.flush()
    world.accounts = {
        "planner": factory.account(school, AccountType.PLANNING),
        "chief": factory.account(school, AccountType.CHIEF),
        "roster": factory.account(school, AccountType.ROSTER),
        "other_planner": factory.account(other, AccountType.PLANNING),
        "county": factory.account(
            None, kind=AccountKind.AUTHORITY, authority_id=county_authority.id
        ),
        "national": factory.account(None, kind=AccountKind.AUTHORITY, authority_id=national.id),
        "operator": factory.account(None, kind=AccountKind.OPERATOR),
    }
    db.session.commit()
    return world


@pytest.fixture(name="reports")
def reports_fixture(app, tmp_path, monkeypatch):
    """The app with its own PDF cache folder and RQ queue; the queue is dropped afterwards."""
    monkeypatch.setitem(app.config, "PDF_CACHE_DIR", str(tmp_path / "pdf"))
    monkeypatch.setitem(app.config, "JOBS_QUEUE", f"pdf-test-{uuid.uuid4().hex[:12]}")
    monkeypatch.setitem(app.config, "PDF_RENDER_ON_SUBMIT", True)
    yield app
    if app.config.get("REDIS_URL"):
        from redis import Redis
        from rq import Queue

        connection = Redis.from_url(app.config["REDIS_URL"])
        Queue(app.config["JOBS_QUEUE"], connection=connection).delete(delete_jobs=True)
        connection.close()


@pytest.fixture(name="restore_signals")
def restore_signals_fixture():
    """An in-process RQ worker installs its own SIGINT/SIGTERM handlers: put pytest's back."""
    saved = {number: signal.getsignal(number) for number in (signal.SIGINT, signal.SIGTERM)}
    yield
    for number, handler in saved.items():
        signal.signal(number, handler)


@pytest.fixture(name="renders")
def renders_fixture(monkeypatch) -> list[str]:
    """Every real render (cache miss), by document ref."""
    calls: list[str] = []
    original = cache.render

    def counting(document):
        calls.append(document.ref_key)
        return original(document)

    monkeypatch.setattr(cache, "render", counting)
    return calls


def pdf_text(data: bytes, *args: str) -> str:
    """Text of the PDF by poppler's pdftotext."""
    assert PDFTOTEXT, "poppler-utils (pdftotext) is required"
    result = subprocess.run(
        [PDFTOTEXT, "-enc", "UTF-8", *args, "-", "-"], input=data, capture_output=True, check=True
    )
    return result.stdout.decode()


def body_text(data: bytes) -> str:
    """Text inside the page margins only: no running header or page footer in between."""
    return pdf_text(data, "-x", "0", "-y", "63", "-W", "596", "-H", "722")


def layout_lines(data: bytes) -> list[str]:
    """Each printed line (table rows stay on one line), whitespace removed."""
    return [squash(line) for line in pdf_text(data, "-layout").splitlines() if line.strip()]


def squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


def page_count(data: bytes) -> int:
    return len(pypdf.PdfReader(io.BytesIO(data)).pages)


def assert_pages_numbered(data: bytes) -> None:
    total = page_count(data)
    text = pdf_text(data)
    for number in range(1, total + 1):
        assert f"第 {number} 頁／共 {total} 頁" in text


def assert_fonts_embedded_subsets(data: bytes) -> None:
    reader = pypdf.PdfReader(io.BytesIO(data))
    names = []
    for page in reader.pages:
        for font in page["/Resources"].get_object()["/Font"].get_object().values():
            font = font.get_object()
            name = str(font["/BaseFont"])
            names.append(name)
            assert re.fullmatch(r"/[A-Z]{6}\+.+", name), name  # subset tag
            assert not re.search(r"CJK-(JP|KR|SC|HK)", name), name
            for descendant in font.get("/DescendantFonts", []):
                descriptor = descendant.get_object()["/FontDescriptor"].get_object()
                assert {"/FontFile", "/FontFile2", "/FontFile3"} & set(descriptor), name
    assert any(re.fullmatch(r"/[A-Z]{6}\+Noto-Sans-CJK-TC(-Bold)?", n) for n in names), names


def assert_nothing_past_right_margin(data: bytes) -> None:
    bbox = pdf_text(data, "-bbox")
    x_max = [float(x) for x in re.findall(r'xMax="([\d.]+)"', bbox)]
    assert x_max
    assert max(x_max) <= A4_WIDTH - RIGHT_MARGIN + 1


def cache_rows() -> list[GeneratedDocument]:
    return list(db.session.scalars(select(GeneratedDocument).order_by(GeneratedDocument.id)))


def assert_pdf_download(response: Any, filename: str) -> bytes:
    assert response.status_code == 200, response.status_code
    assert response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"] == f'attachment; filename="{filename}"'
    assert response.headers["Cache-Control"] == "no-store"
    data = response.get_data()
    assert data.startswith(b"%PDF-")
    return data


def repo_path(*parts: str) -> Path:
    return Path(ROOT, *parts)


def download(client: Any, url: str, **kwargs: Any) -> tuple[Any, bytes]:
    """GET ``url`` and read the body, closing the streamed file (send_file keeps it open)."""
    response = client.get(url, **kwargs)
    try:
        return response, response.get_data()
    finally:
        response.close()
