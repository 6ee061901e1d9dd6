"""`flask demo seed`: counties, ~40 schools over every stage, ~400 teachers, accounts, cycles."""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass, field

from sqlalchemy import select

from app import timeutil
from app.auth.services import find_teacher
from app.config import ROOT
from app.extensions import db
from app.i18n import teacher_actor
from app.identity import make_national_id
from app.models import (
    AccountGrant,
    AccountKind,
    AccountStatus,
    AccountType,
    Authority,
    AuthorityKind,
    BusinessAccount,
    County,
    Course,
    CourseStatus,
    Region,
    RosterSource,
    School,
    Stage,
)
from app.reference import COUNTIES, NATIONAL_AUTHORITY, REGIONS
from app.roster import employ, new_teacher
from app.security import hash_password

DEMO_PASSWORD = "demo-1130"  # noqa: S105 - public demo password, printed on purpose

# (code, name, county, stage, public, roster source, national school?)
SCHOOLS = [
    ("523601", "高雄市立示範國民小學", "64000", Stage.ELEMENTARY, True, "local", False),
    ("523602", "高雄市立和平國民小學", "64000", Stage.ELEMENTARY, True, "local", False),
    ("523603", "高雄市立苓雅國民小學", "64000", Stage.ELEMENTARY, True, "local", False),
    ("523501", "高雄市立示範國民中學", "64000", Stage.JUNIOR, True, "local", False),
    ("523502", "高雄市立五福國民中學", "64000", Stage.JUNIOR, True, "local", False),
    ("520301", "高雄市立示範高級中學", "64000", Stage.SENIOR, True, "local", False),
    ("520401", "高雄市立示範高級工業職業學校", "64000", Stage.VOCATIONAL, True, "local", False),
    ("520501", "國立高雄特殊教育學校", "64000", Stage.SPECIAL, True, "local", True),
    ("524801", "高雄市立示範幼兒園", "64000", Stage.KINDERGARTEN, True, "ece", False),
    ("353601", "臺北市立示範國民小學", "63000", Stage.ELEMENTARY, True, "taipei", False),
    ("353501", "臺北市立示範國民中學", "63000", Stage.JUNIOR, True, "taipei", False),
    ("353301", "臺北市立示範高級中學", "63000", Stage.SENIOR, True, "taipei", False),
    ("014601", "新北市立板橋國民小學", "65000", Stage.ELEMENTARY, True, "local", False),
    ("014602", "新北市立中和國民小學", "65000", Stage.ELEMENTARY, True, "local", False),
    ("014501", "新北市立板橋國民中學", "65000", Stage.JUNIOR, True, "local", False),
    ("014301", "國立華僑高級中等學校", "65000", Stage.SENIOR, True, "local", True),
    ("011401", "私立示範高級商工職業學校", "65000", Stage.VOCATIONAL, False, "local", False),
    ("034601", "桃園市立中壢國民小學", "68000", Stage.ELEMENTARY, True, "local", False),
    ("034501", "桃園市立中壢國民中學", "68000", Stage.JUNIOR, True, "local", False),
    ("030301", "國立中壢高級中等學校", "68000", Stage.SENIOR, True, "local", True),
    ("193601", "臺中市立忠孝國民小學", "66000", Stage.ELEMENTARY, True, "local", False),
    ("193501", "臺中市立忠孝國民中學", "66000", Stage.JUNIOR, True, "local", False),
    ("190401", "國立臺中高級工業職業學校", "66000", Stage.VOCATIONAL, True, "local", True),
    ("194801", "臺中市立示範幼兒園", "66000", Stage.KINDERGARTEN, True, "ece", False),
    ("213601", "臺南市立勝利國民小學", "67000", Stage.ELEMENTARY, True, "local", False),
    ("213501", "臺南市立建興國民中學", "67000", Stage.JUNIOR, True, "local", False),
    ("210501", "國立臺南大學附屬啟聰學校", "67000", Stage.SPECIAL, True, "local", True),
    ("024601", "宜蘭縣宜蘭市中山國民小學", "10002", Stage.ELEMENTARY, True, "local", False),
    ("024501", "宜蘭縣立宜蘭國民中學", "10002", Stage.JUNIOR, True, "local", False),
    ("074601", "彰化縣彰化市中山國民小學", "10007", Stage.ELEMENTARY, True, "local", False),
    ("074501", "彰化縣立彰化國民中學", "10007", Stage.JUNIOR, True, "local", False),
    ("134601", "屏東縣屏東市中正國民小學", "10013", Stage.ELEMENTARY, True, "local", False),
    ("134501", "屏東縣立中正國民中學", "10013", Stage.JUNIOR, True, "local", False),
    ("144601", "臺東縣臺東市光明國民小學", "10014", Stage.ELEMENTARY, True, "local", False),
    ("154601", "花蓮縣花蓮市明禮國民小學", "10015", Stage.ELEMENTARY, True, "local", False),
    ("154501", "花蓮縣立花崗國民中學", "10015", Stage.JUNIOR, True, "local", False),
    ("164601", "澎湖縣馬公市中正國民小學", "10016", Stage.ELEMENTARY, True, "local", False),
    ("174601", "基隆市仁愛區仁愛國民小學", "10017", Stage.ELEMENTARY, True, "local", False),
    ("714601", "金門縣金城鎮中正國民小學", "09020", Stage.ELEMENTARY, True, "local", False),
    ("724601", "連江縣南竿鄉介壽國民小學", "09007", Stage.ELEMENTARY, True, "local", False),
]

SURNAMES = "陳林黃張李王吳劉蔡楊許鄭謝郭洪曾邱廖賴周徐蘇葉莊呂江何蕭羅高"
GIVEN = "志明淑芬家豪怡君俊傑雅婷冠宇佳蓉建宏美玲宗翰欣怡承恩詩涵柏翰婉婷文彥思妤"
SUBJECTS = [
    "國語文",
    "數學",
    "英語文",
    "自然科學",
    "社會",
    "藝術",
    "健康與體育",
    "綜合活動",
    "科技",
    "本土語文",
    "特殊需求領域",
    "生活課程",
]
TITLES = ["教師", "導師", "專任教師", "教師兼組長", "教師兼主任"]
TEACHERS_PER_SCHOOL = 10


@dataclass
class SeedReport:
    created: dict[str, int] = field(default_factory=dict)
    logins: list[tuple[str, str, str]] = field(default_factory=list)  # who, login, where

    def count(self, what: str, n: int = 1) -> None:
        self.created[what] = self.created.get(what, 0) + n


def _one(model, **where):
    return db.session.scalar(select(model).filter_by(**where))


def seed_reference(report: SeedReport) -> dict[str, Authority]:
    """Regions, the 22 counties and their authorities, and the national authority."""
    regions = {}
    for code, name in REGIONS:
        region = _one(Region, code=code)
        if region is None:
            region = Region(code=code, name=name)
            db.session.add(region)
            report.count("regions")
        regions[code] = region
    db.session.flush()
    authorities = {}
    for code, name, region_code, authority_name in COUNTIES:
        if _one(County, code=code) is None:
            db.session.add(County(code=code, name=name, region_id=regions[region_code].id))
            report.count("counties")
        authority = _one(Authority, name=authority_name)
        if authority is None:
            authority = Authority(name=authority_name, kind=AuthorityKind.COUNTY, county_code=code)
            db.session.add(authority)
        authorities[code] = authority
    national = _one(Authority, name=NATIONAL_AUTHORITY)
    if national is None:
        national = Authority(name=NATIONAL_AUTHORITY, kind=AuthorityKind.NATIONAL)
        db.session.add(national)
    authorities["national"] = national
    db.session.flush()
    return authorities


def _account(
    report: SeedReport,
    password_hash: str,
    username: str,
    name: str,
    kind: AccountKind,
    types: tuple[AccountType, ...] = (),
    **where: object,
) -> None:
    if _one(BusinessAccount, username=username) is not None:
        return
    account = BusinessAccount(
        username=username,
        name=name,
        kind=kind,
        status=AccountStatus.ACTIVE,
        password_hash=password_hash,
        email=f"{username}@demo.invalid",
        **where,
    )
    account.grants = [AccountGrant(type=t) for t in types]
    db.session.add(account)
    report.count("business accounts")


def seed_schools(
    report: SeedReport, authorities: dict[str, Authority], password_hash: str
) -> list[School]:
    schools = []
    for code, name, county, stage, public, source, national in SCHOOLS:
        school = _one(School, code=code)
        if school is None:
            authority = authorities["national" if national else county]
            school = School(
                code=code,
                name=name,
                county_code=county,
                stage=stage,
                is_public=public,
                roster_source=RosterSource(source),
                authority_id=authority.id,
            )
            db.session.add(school)
            report.count("schools")
        schools.append(school)
    db.session.flush()
    for school in schools:
        _account(
            report,
            password_hash,
            f"chief{school.code}",
            f"{school.name[:6]}總負責人",
            AccountKind.SCHOOL,
            (AccountType.CHIEF, AccountType.ROSTER),
            school_id=school.id,
        )
        if school.stage != Stage.KINDERGARTEN:
            _account(
                report,
                password_hash,
                f"plan{school.code}",
                f"{school.name[:6]}進修承辦",
                AccountKind.SCHOOL,
                (AccountType.PLANNING,),
                school_id=school.id,
            )
    return schools


def seed_teachers(
    report: SeedReport, schools: list[School], password_hash: str
) -> list[tuple[School, str, str]]:
    """Ten teachers a school, with valid IDs from a fixed seed; returns (school, ID, name)
    of the first teacher of each school."""
    rng = random.Random(113)
    started = timeutil.taipei(2020, 8, 1)
    sample_ids: list[tuple[School, str, str]] = []
    for school in schools:
        for n in range(TEACHERS_PER_SCHOOL):
            # Draw every random value first so a second run makes the same people.
            national_id = make_national_id(rng)
            name = rng.choice(SURNAMES) + "".join(rng.sample(GIVEN, 2))
            title, subjects = rng.choice(TITLES), "、".join(rng.sample(SUBJECTS, 2))
            if n == 0:
                sample_ids.append((school, national_id, name))
            if find_teacher(national_id) is not None:  # under any configured key
                continue
            teacher = new_teacher(
                national_id,
                name,
                password_hash=password_hash,
                email=f"t{school.code}{n:02d}@demo.invalid",
            )
            employ(teacher, school, since=started, title=title, subjects=subjects)
            report.count("teachers")
    return sample_ids


# The demo primary school's school-administration accounts and courses.
ADMIN_SCHOOL = "523601"
DEMO_COURSES = [
    ("113學年度閱讀素養教學研習", CourseStatus.LIST_CONFIRMED, (2024, 10, 16), 3),
    ("數位學習融入課堂工作坊", CourseStatus.ENROLLING, (2025, 3, 12), 6),
    ("校園安全與危機處理研習", CourseStatus.EDITING, (2025, 4, 9), 2),
]


def seed_school_administration(report: SeedReport, password_hash: str) -> None:
    """At the demo primary school: a roster and a courses account, a pending application
    (it cannot sign in until the chief activates it), and a few courses."""
    from datetime import date

    school = _one(School, code=ADMIN_SCHOOL)
    where = {"school_id": school.id}
    _account(
        report,
        password_hash,
        f"roster{ADMIN_SCHOOL}",
        f"{school.name[:6]}教師資料承辦",
        AccountKind.SCHOOL,
        (AccountType.ROSTER,),
        **where,
    )
    _account(
        report,
        password_hash,
        f"course{ADMIN_SCHOOL}",
        f"{school.name[:6]}研習承辦",
        AccountKind.SCHOOL,
        (AccountType.COURSES,),
        **where,
    )
    if _one(BusinessAccount, username=f"apply{ADMIN_SCHOOL}") is None:
        pending = BusinessAccount(
            username=f"apply{ADMIN_SCHOOL}",
            name="林申請",
            job_title="教學組長",
            kind=AccountKind.SCHOOL,
            status=AccountStatus.APPLIED,
            password_hash=password_hash,
            email=f"apply{ADMIN_SCHOOL}@demo.invalid",
            phone="07-1234567",
            school_id=school.id,
        )
        pending.grants = [AccountGrant(type=AccountType.PLANNING)]
        db.session.add(pending)
        report.count("business accounts")
    db.session.flush()
    registrar = _one(BusinessAccount, username=f"course{ADMIN_SCHOOL}")
    for title, status, (year, month, day), hours in DEMO_COURSES:
        if _one(Course, school_id=school.id, title=title) is not None:
            continue
        held_on = date(year, month, day)
        db.session.add(
            Course(
                school_id=school.id,
                registered_by_id=registrar.id,
                title=title,
                starts_on=held_on,
                ends_on=held_on,
                hours=hours,
                status=status,
            )
        )
        report.count("courses")
    db.session.flush()


# ---- plan history: the demo school and its first teacher planned in 113 as well ----------

HISTORY_SCHOOL = "523601"
_SCHOOL_ROW = {
    "topic_category": "std03",
    "topic": "素養導向課程設計工作坊",
    "mode": "lecture_workshop",
    "hours": "6",
    "term": "first",
    "audience": "all_teachers",
    "expected_participants": "40",
}
_SCHOOL_ROW_2 = {
    "topic_category": "std05",
    "topic": "學習評量設計研習",
    "mode": "lecture_workshop",
    "hours": "3",
    "term": "second",
    "audience": "all_teachers",
    "expected_participants": "30",
}
_TEACHER_ROWS = [
    {
        "topic_category": "std04",
        "topic": "差異化教學策略",
        "mode": "plc",
        "hours": "12",
        "term": "first",
    },
    {
        "topic_category": "std03",
        "topic": "閱讀素養教學",
        "mode": "lecture_workshop",
        "hours": "6",
        "term": "first",
    },
    {
        "topic_category": "std09",
        "topic": "數位學習融入教學",
        "mode": "online",
        "hours": "8",
        "term": "second",
    },
]


def _form(fields: Mapping[str, object], rows: list[dict[str, str]]) -> dict[str, object]:
    form = {f"q.{code}": value for code, value in fields.items()}
    for i, row in enumerate(rows):
        form.update({f"q.activities.{i}.{name}": value for name, value in row.items()})
    return form


def _school_versions() -> list[dict[str, object]]:
    fields = {
        "contact_name": "黃承辦",
        "contact_title": "教務主任",
        "contact_phone": "07-7258600",
        "contact_email": "office@demo.invalid",
        "priority_issues": ["gender_equality", "reading"],
        "priority_description": "以素養導向教學精進全校教師專業。",
        "needs_support": "no",
    }
    second = {**fields, "contact_name": "林承辦", "priority_issues": ["reading"]}
    return [_form(fields, [_SCHOOL_ROW]), _form(second, [_SCHOOL_ROW, _SCHOOL_ROW_2])]


def _teacher_versions() -> list[dict[str, object]]:
    fields = {
        "needs.1": "std04",
        "needs.2": "std06",
        "needs.3": "std09",
        "interest_areas": ["mathematics"],
        "preferred_times": ["weekday_day"],
    }
    second = {
        **fields,
        "needs.3": "std10",
        "preferred_times": ["weekday_day", "weekend"],
        "remarks": "希望與同領域教師組成共備社群。",
    }
    return [_form(fields, _TEACHER_ROWS[:2]), _form(second, _TEACHER_ROWS[1:])]


def _history_plan(model, cycle, where: dict, forms, times, actor: str, **extra) -> bool:
    """One plan of a past cycle submitted twice (versions 1 and 3, reopened in between)."""
    from app.cycles.services import latest_questionnaire
    from app.models import PlanKind, PlanStatus, PlanVersion, TeacherPlan
    from app.questionnaires import engine

    if _one(model, cycle_id=cycle.id, **where) is not None:
        return False
    kind = PlanKind.TEACHER if model is TeacherPlan else PlanKind.SCHOOL
    questionnaire = latest_questionnaire(cycle, kind)
    if questionnaire is None:
        return False
    definition = questionnaire.definition
    answers = [engine.clean(definition, engine.parse_form(definition, form)) for form in forms]
    plan = model(
        cycle_id=cycle.id,
        questionnaire_id=questionnaire.id,
        answers=answers[-1],
        status=PlanStatus.SUBMITTED,
        version=3,
        submitted_at=times[-1],
        updated_at=times[-1],
        updated_by=actor,
        **where,
        **extra,
    )
    db.session.add(plan)
    db.session.flush()
    for number, kept, moment in zip((1, 3), answers, times, strict=True):
        db.session.add(
            PlanVersion(
                plan_kind=kind,
                plan_id=plan.id,
                version=number,
                answers=kept,
                submitted_at=moment,
                submitted_by=actor,
            )
        )
    return True


def seed_plan_history(report: SeedReport, teacher_id: int | None) -> None:
    """The 113 school plan of the demo primary school and its first teacher's 113 plan,
    each submitted twice: the history pages and 帶入去年資料 have something to show."""
    from app.models import Cycle, SchoolPlan, Teacher, TeacherPlan

    cycle = _one(Cycle, academic_year=113)
    school = _one(School, code=HISTORY_SCHOOL)
    planner = _one(BusinessAccount, username=f"plan{HISTORY_SCHOOL}")
    if cycle is None or school is None or planner is None:
        return
    actor = f"{planner.name}（{planner.username}）"
    times = [timeutil.taipei(2024, 8, 16, 15, 20), timeutil.taipei(2024, 8, 21, 10, 5)]
    if _history_plan(SchoolPlan, cycle, {"school_id": school.id}, _school_versions(), times, actor):
        report.count("plans of earlier cycles")
    teacher = db.session.get(Teacher, teacher_id) if teacher_id else None
    if teacher is None:
        return
    times = [timeutil.taipei(2024, 9, 17, 20, 40), timeutil.taipei(2024, 9, 25, 21, 15)]
    where = {"teacher_id": teacher.id}
    forms = _teacher_versions()
    if _history_plan(
        TeacherPlan, cycle, where, forms, times, teacher_actor(teacher.name), school_id=school.id
    ):
        report.count("plans of earlier cycles")
    db.session.flush()


def seed(today=None) -> SeedReport:
    """Create (or complete) the whole demo data set; safe to run again."""
    from app.cycles.services import import_cycle, take_snapshot
    from app.questionnaires.cyclefile import load_cycle_file

    report = SeedReport()
    password_hash = hash_password(DEMO_PASSWORD)
    authorities = seed_reference(report)
    schools = seed_schools(report, authorities, password_hash)
    samples = seed_teachers(report, schools, password_hash)

    region = _one(Region, code="S")
    _account(
        report,
        password_hash,
        "region-south",
        "南區區管中心承辦",
        AccountKind.REGION,
        region_id=region.id,
    )
    _account(
        report,
        password_hash,
        "edu-kaohsiung",
        "高雄市政府教育局承辦",
        AccountKind.AUTHORITY,
        authority_id=authorities["64000"].id,
    )
    _account(
        report,
        password_hash,
        "k12ea",
        "國教署承辦",
        AccountKind.AUTHORITY,
        authority_id=authorities["national"].id,
    )
    _account(report, password_hash, "operator", "系統管理者", AccountKind.OPERATOR)
    db.session.flush()
    seed_school_administration(report, password_hash)

    for name in ("113.yaml", "demo.yaml"):
        path = ROOT / "data" / "cycles" / name
        spec = load_cycle_file(path, today=today) if name == "demo.yaml" else load_cycle_file(path)
        cycle, _ = import_cycle(spec, name)
        if cycle.roster_cutoff <= timeutil.now():
            take_snapshot(cycle)
    report.count("cycles refreshed", 2)
    history_teacher = next(
        (
            find_teacher(national_id)
            for school, national_id, _name in samples
            if school.code == HISTORY_SCHOOL
        ),
        None,
    )
    seed_plan_history(report, history_teacher.id if history_teacher else None)

    for school, national_id, name in samples:
        if school.code in ("523601", "523501", "520301", "524801", "353601"):
            report.logins.append((f"教師 {name}（{school.name}）", national_id, "/teacher/"))
    for code in ("523601", "523501", "520301"):
        school = _one(School, code=code)
        report.logins.append((f"進修規劃承辦（{school.name}）", f"plan{code}", "/school/"))
        report.logins.append((f"總負責人（{school.name}）", f"chief{code}", "/school/"))
    school = _one(School, code=ADMIN_SCHOOL)
    report.logins += [
        (f"教師資料承辦（{school.name}）", f"roster{ADMIN_SCHOOL}", "/school/"),
        (f"研習課程承辦（{school.name}）", f"course{ADMIN_SCHOOL}", "/school/"),
        (
            f"待啟用的申請（{school.name}，總負責人啟用後才能登入）",
            f"apply{ADMIN_SCHOOL}",
            "/school/",
        ),
        ("南區區管中心", "region-south", "/school/"),
        ("高雄市政府教育局", "edu-kaohsiung", "/school/"),
        ("國教署", "k12ea", "/school/"),
        ("系統管理", "operator", "/school/"),
    ]
    return report
