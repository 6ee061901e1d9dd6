"""A national-scale data set (SPEC §7: ~4,000 schools, ~200,000 teachers) for benchmarks.

    flask --app wsgi demo generate --schools 4000 --teachers 200000 [--seed 115]
    python -m bench.generate --schools 400 --teachers-per-school 50 [--migrate]

Uses the app's DATABASE_URL and PERSONAL_DATA_KEY (the keys must be the server's, or
nobody can sign in). Refuses a database that holds anything but the demo seed (it is
meant for a fresh, throwaway database). Runs the demo seed (reference data, demo schools
and teachers, the 113 and demo cycles), then bulk-inserts on top of it, in multi-row
INSERTs of 2,000 rows:

- schools over all 22 counties and every stage, in national proportions (codes 8xxxxx);
  with a total of teachers, school sizes follow the stage (a senior high school has more
  teachers than a kindergarten) and vary around it;
- a chief and a planning business account per school, an authority account per county
  (`edu<county code>`), and 0–3 courses per school in every course status;
- teachers with valid national IDs, encrypted with the real vault, all sharing one argon2
  hash of the demo password; ~4 % transferred once (an ended employment elsewhere), ~2 %
  retired before the roster cutoff (ended employment, not in the roster);
- the demo cycle's roster snapshot, taken again with `take_snapshot(force=True)`;
- plans as at the peak: in open windows about half the teachers hold a draft (a few have
  submitted), in closed windows most have submitted; most schools submitted their plan.
  Answers are composed per plan from the questionnaire's own option codes (ranked needs,
  1–4 activity rows, areas, times, texts) and checked by the real engine: a submitted plan
  passes submit validation, a draft is partly filled.

The same seed gives the same data set (schools, names, IDs, employments, answers);
only secrets (session tokens, password salts, encryption nonces) and times differ.
"""

from __future__ import annotations

import random
import secrets
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, insert, select
from werkzeug.datastructures import MultiDict

from app import timeutil
from app.cycles.services import latest_questionnaire, take_snapshot
from app.cycles.windows import current_cycle, state_between, windows_of
from app.demo.seed import DEMO_PASSWORD, GIVEN, SCHOOLS, SUBJECTS, SURNAMES, TITLES, seed
from app.extensions import db
from app.identity import make_national_id
from app.models import (
    AccountGrant,
    AccountKind,
    AccountStatus,
    AccountType,
    AuditEntry,
    Authority,
    AuthorityKind,
    BusinessAccount,
    County,
    Course,
    CourseStatus,
    Cycle,
    Employment,
    EndReason,
    PlanKind,
    PlanStatus,
    PlanVersion,
    RosterSource,
    School,
    SchoolPlan,
    Stage,
    SyncRun,
    Teacher,
    TeacherPlan,
)
from app.questionnaires import engine
from app.security import hash_password, vault

DEFAULT_SCHOOLS = 400
DEFAULT_TEACHERS_PER_SCHOOL = 50
ROSTER_SCHOOL_TEACHERS = 300  # issue 10: the roster pages on a school of 300 teachers
FULL_SCHOOLS = 4000  # × 50 = 200,000 teachers: SPEC §7
CODE_PREFIX = "8"  # the demo seed and the tests use other first digits
CHUNK = 2000

# Roughly the national mix of school units (國小 ~2,600, 國中 ~740, 高中職 ~500, ...).
STAGE_SHARES = (
    (Stage.ELEMENTARY, 0.56),
    (Stage.JUNIOR, 0.19),
    (Stage.SENIOR, 0.09),
    (Stage.VOCATIONAL, 0.05),
    (Stage.SPECIAL, 0.01),
    (Stage.KINDERGARTEN, 0.10),
)
SUFFIX = {
    Stage.ELEMENTARY: "國民小學",
    Stage.JUNIOR: "國民中學",
    Stage.SENIOR: "高級中學",
    Stage.VOCATIONAL: "高級職業學校",
    Stage.SPECIAL: "特殊教育學校",
    Stage.KINDERGARTEN: "幼兒園",
}
# Relative number of schools per county (the six municipalities carry most); default 3.
COUNTY_WEIGHTS = {
    "65000": 14, "64000": 12, "66000": 11, "67000": 10, "63000": 8, "68000": 8,
    "10007": 6, "10013": 6, "10008": 5, "10009": 5, "10010": 4, "10005": 4,
    "09020": 1, "09007": 1, "10016": 1, "10020": 1, "10018": 2, "10017": 2,
}  # fmt: skip
NATIONAL_SHARE = 0.3  # of senior, vocational and special schools: 國立
TRANSFER_SHARE = 0.04  # teachers with an earlier, ended employment elsewhere
RETIRED_SHARE = 0.02  # teachers whose only employment ended (退休) before the cutoff
SUBMITTED_SCHOOL_PLANS = 0.7
# Teachers per school relative to an elementary school, when a national total is given.
STAGE_SIZE = {
    Stage.ELEMENTARY: 1.0,
    Stage.JUNIOR: 1.4,
    Stage.SENIOR: 2.0,
    Stage.VOCATIONAL: 1.8,
    Stage.SPECIAL: 1.2,
    Stage.KINDERGARTEN: 0.25,
}
ANSWER_POOL = 400  # distinct composed answer sets per plan kind, stage and state
COURSES_PER_SCHOOL = 3  # at most

# Words the composed answers draw from (the option codes come from the questionnaire).
TOPICS = (
    "差異化教學策略", "素養導向課程設計", "多元評量實作", "跨校專業社群領導", "正向管教與班級經營",
    "閱讀理解策略", "數位學習融入教學", "學習扶助策略", "特殊需求學生輔導", "雙語教學實務",
    "探究與實作課程", "自主學習引導", "生涯輔導知能", "性別平等教育融入", "戶外教育課程設計",
    "AI 工具融入教學", "公開授課與觀課議課", "校訂課程發展", "親師溝通技巧", "教學檔案製作",
)  # fmt: skip
NEEDS_TEXTS = (
    "希望精進評量設計，回應學生學習差異。", "班上學生程度落差大，需要分組教學的方法。",
    "想把數位工具用在課堂討論與回饋。", "新接導師，希望加強班級經營與親師溝通。",
    "希望與同領域教師共同備課，發展校訂課程。", "",
)  # fmt: skip
REMARKS = ("可協助辦理校內社群。", "週三下午較方便參加。", "希望有線上課程可選。", "", "", "")
PRIORITY_TEXTS = (
    "以素養導向教學精進全校教師專業。", "推動閱讀素養與海洋教育的跨領域課程。",
    "發展校訂課程，強化學生自主學習。", "落實學習扶助，縮小學習落差。",
    "推動數位學習與雙語教學，建立教師社群。",
)  # fmt: skip
CONTACTS = (
    ("黃承辦", "教務主任"), ("林組長", "教學組長"), ("陳主任", "教務主任"),
    ("張組長", "研究組長"), ("李老師", "教師兼組長"),
)  # fmt: skip
HOURS = (2, 3, 3, 6, 6, 9, 12, 12, 18, 24, 36)


@dataclass
class GenerateReport:
    created: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0
    cycle_year: int | None = None
    # (national ID, teacher id) of generated teachers who can write their plan right now
    # (window open, no submitted plan): the benchmark signs them in. Synthetic IDs.
    logins: list[tuple[str, int]] = field(default_factory=list)
    # (username, school id) of planning accounts whose school plan is writable right now.
    school_logins: list[tuple[str, int]] = field(default_factory=list)
    # Usernames of the generated county authority accounts (edu<county code>).
    authority_logins: list[str] = field(default_factory=list)
    # The school given `roster_teachers` current teachers (issue 10's roster benchmark):
    # {"id", "code", "teachers", "username"} (its chief, who also holds 教師資料).
    roster_school: dict[str, Any] | None = None

    def count(self, what: str, n: int = 1) -> None:
        self.created[what] = self.created.get(what, 0) + n


class ForeignData(RuntimeError):
    """The database holds data the generator did not make: it refuses to touch it."""


@dataclass(frozen=True)
class _School:
    id: int
    code: str
    stage: Stage


def _chunks(rows: Iterable[dict[str, Any]], size: int = CHUNK) -> Iterator[list[dict[str, Any]]]:
    batch: list[dict[str, Any]] = []
    for row in rows:
        batch.append(row)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def _insert_returning_ids(model: Any, rows: list[dict[str, Any]]) -> list[int]:
    """One multi-row INSERT ... RETURNING id, ids in the order of `rows`."""
    if not rows:
        return []
    result = db.session.execute(
        insert(model).returning(model.id, sort_by_parameter_order=True), rows
    )
    return list(result.scalars())


def _insert(model: Any, rows: list[dict[str, Any]]) -> None:
    for batch in _chunks(rows):
        db.session.execute(insert(model), batch)


def _count(model: Any, *where: Any) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where)) or 0


def refuse_foreign_data() -> None:
    """Raise ForeignData unless the database is empty or holds only the demo seed.

    The generator is for a fresh, throwaway database: it must never mix thousands of
    synthetic schools and teachers into real data (or into a data set it made before)."""
    if _count(School, School.code.like(f"{CODE_PREFIX}%")):
        raise ForeignData("this database already holds generated schools; use a fresh one")
    demo_codes = {row[0] for row in SCHOOLS}
    other = _count(School, School.code.not_in(demo_codes))
    if other:
        raise ForeignData(
            f"this database holds {other:,} schools that are not demo or generated data; "
            "the generator only runs on a fresh database"
        )
    for model, what in (
        (SchoolPlan, "school plans"),
        (TeacherPlan, "teacher plans"),
        (AuditEntry, "audit entries"),
        (SyncRun, "feed runs"),
    ):
        found = _count(model)
        if found:
            raise ForeignData(
                f"this database holds {found:,} {what}, which the demo seed never writes; "
                "the generator only runs on a fresh database"
            )


def _stage_at(index: int, total: int) -> Stage:
    """Spread the stages over the schools in their national proportions (deterministic)."""
    point = (index + 0.5) / total
    cumulative = 0.0
    for stage, share in STAGE_SHARES:
        cumulative += share
        if point < cumulative:
            return stage
    return STAGE_SHARES[-1][0]


# ---- answers ------------------------------------------------------------------------------


def _options(question: dict[str, Any]) -> list[str]:
    return [option["code"] for option in question.get("options") or ()]


def _field_options(question: dict[str, Any]) -> dict[str, list[str]]:
    return {f["code"]: _options(f) for f in question.get("fields") or ()}


def _rows_form(
    rng: random.Random, question: dict[str, Any], count: int, school: bool
) -> dict[str, Any]:
    options = _field_options(question)
    form: dict[str, Any] = {}
    for i in range(count):
        row = f"q.{question['code']}.{i}"
        form[f"{row}.topic_category"] = rng.choice(options["topic_category"])
        form[f"{row}.topic"] = rng.choice(TOPICS)
        form[f"{row}.mode"] = rng.choice(options["mode"])
        form[f"{row}.hours"] = str(rng.choice(HOURS))
        form[f"{row}.term"] = rng.choice(options["term"])
        if school:
            form[f"{row}.audience"] = rng.choice(options["audience"])
            form[f"{row}.expected_participants"] = str(rng.randint(8, 80))
    return form


def _teacher_form(rng: random.Random, questions: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """A teacher plan as a browser would post it, fully filled."""
    needs = rng.sample(_options(questions["needs"]), questions["needs"].get("ranks", 3))
    form: dict[str, Any] = {f"q.needs.{rank}": code for rank, code in enumerate(needs, 1)}
    form["q.needs_description"] = rng.choice(NEEDS_TEXTS)
    areas = _options(questions["interest_areas"])
    form["q.interest_areas"] = rng.sample(areas, rng.randint(0, 3))
    form.update(_rows_form(rng, questions["activities"], rng.randint(1, 4), school=False))
    times = _options(questions["preferred_times"])
    form["q.preferred_times"] = rng.sample(times, rng.randint(1, 3))
    form["q.remarks"] = rng.choice(REMARKS)
    return form


def _school_form(rng: random.Random, questions: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """A school plan as a browser would post it, fully filled."""
    name, title = rng.choice(CONTACTS)
    form: dict[str, Any] = {
        "q.contact_name": name,
        "q.contact_title": title,
        "q.contact_phone": f"0{rng.randint(2, 8)}-{rng.randint(2000000, 8999999)}",
        "q.contact_email": f"office{rng.randint(1, 999)}@school.edu.tw",
        "q.priority_issues": rng.sample(_options(questions["priority_issues"]), rng.randint(1, 4)),
        "q.priority_areas": rng.sample(_options(questions["priority_areas"]), rng.randint(0, 3)),
        "q.priority_description": rng.choice(PRIORITY_TEXTS),
    }
    form.update(_rows_form(rng, questions["activities"], rng.randint(1, 5), school=True))
    if rng.random() < 0.35:
        form["q.needs_support"] = "yes"
        support = _options(questions["support_types"])
        form["q.support_types"] = rng.sample(support, rng.randint(1, 3))
        form["q.support_details"] = "希望縣市輔導團協助規劃共備社群。"
    else:
        form["q.needs_support"] = "no"
    form["q.remarks"] = rng.choice(REMARKS)
    return form


def _parsed(definition: dict[str, Any], form: dict[str, Any]) -> dict[str, Any]:
    data: MultiDict[str, str] = MultiDict()
    for key, value in form.items():
        for item in value if isinstance(value, list) else [value]:
            data.add(key, item)
    return engine.clean(definition, engine.parse_form(definition, data))


def answer_pool(
    rng: random.Random, definition: dict[str, Any], kind: PlanKind, size: int = ANSWER_POOL
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Composed answer sets: (complete ones for submitted plans, partial ones for drafts).

    Each is parsed and checked by the real engine; a questionnaire that no longer fits
    the composition is refused loudly rather than stored."""
    questions = engine.question_map(definition)
    compose = _school_form if kind == PlanKind.SCHOOL else _teacher_form
    complete, partial = [], []
    for _ in range(size):
        form = compose(rng, questions)
        answers = _parsed(definition, form)
        errors = engine.validate(definition, answers, final=True)
        if errors:
            raise RuntimeError(
                f"generated {kind} answers no longer fit the questionnaire: {errors}"
            )
        complete.append(answers)
        # A draft: the person stopped somewhere; whole questions are still empty.
        keep = {k: v for k, v in answers.items() if rng.random() < 0.6}
        if errors := engine.validate(definition, keep, final=False):
            raise RuntimeError(f"generated {kind} draft does not fit the questionnaire: {errors}")
        partial.append(keep)
    return complete, partial


# ---- rows ---------------------------------------------------------------------------------


def _counties(count: int, rng: random.Random, codes: list[str]) -> list[str]:
    """A county per school: every county at least once (given as many schools), the rest
    weighted like the real distribution (the six municipalities carry most)."""
    weights = [COUNTY_WEIGHTS.get(code, 3) for code in codes]
    chosen = rng.choices(codes, weights, k=count)
    if count >= len(codes):
        # Spread the guaranteed ones over the list, so each stage band meets other counties.
        step = count // len(codes)
        for n, code in enumerate(codes):
            chosen[n * step] = code
    return chosen


def _schools(rng: random.Random, count: int, report: GenerateReport) -> list[_School]:
    if count > 99_999:
        raise ValueError("at most 99,999 generated schools (six-digit codes)")
    counties = {c.code: c.name for c in db.session.scalars(select(County))}
    authorities = {
        (a.county_code if a.kind == AuthorityKind.COUNTY else "national"): a.id
        for a in db.session.scalars(select(Authority))
    }
    codes = sorted(counties)
    rows = []
    for index, county in enumerate(_counties(count, rng, codes)):
        stage = _stage_at(index, count)
        national = (
            stage in (Stage.SENIOR, Stage.VOCATIONAL, Stage.SPECIAL)
            and rng.random() < NATIONAL_SHARE
        )
        owner = "國立" if national else f"{counties[county]}立"
        if stage == Stage.KINDERGARTEN:
            source = RosterSource.ECE
        elif county == "63000":
            source = RosterSource.TAIPEI
        else:
            source = RosterSource.LOCAL
        rows.append(
            {
                "code": f"{CODE_PREFIX}{index:05d}",
                "name": f"{owner}基準{index + 1:04d}{SUFFIX[stage]}",
                "county_code": county,
                "authority_id": authorities["national" if national else county],
                "stage": stage,
                "is_public": not (
                    stage in (Stage.VOCATIONAL, Stage.KINDERGARTEN) and rng.random() < 0.2
                ),
                "roster_source": source,
            }
        )
    schools = []
    for batch in _chunks(rows):
        ids = _insert_returning_ids(School, batch)
        schools += [_School(i, r["code"], r["stage"]) for i, r in zip(ids, batch, strict=True)]
    report.count("schools", len(schools))
    return schools


def _accounts(schools: list[_School], password_hash: str, report: GenerateReport) -> dict[int, int]:
    """A chief (總負責人 + 教師資料) and, except kindergartens, a planning account per school;
    an authority account per county bureau. Returns the chief's account id per school id."""
    wanted: list[tuple[dict[str, Any], tuple[AccountType, ...]]] = []
    for school in schools:
        kinds: list[tuple[str, str, tuple[AccountType, ...]]] = [
            ("chief", "總負責人", (AccountType.CHIEF, AccountType.ROSTER))
        ]
        if school.stage != Stage.KINDERGARTEN:
            kinds.append(("plan", "進修承辦", (AccountType.PLANNING,)))
        for prefix, title, types in kinds:
            username = f"{prefix}{school.code}"
            row: dict[str, Any] = {
                "username": username,
                "name": f"基準{school.code}{title}",
                "email": f"{username}@bench.invalid",
                "kind": AccountKind.SCHOOL,
                "school_id": school.id,
                "status": AccountStatus.ACTIVE,
                "password_hash": password_hash,
                "session_token": secrets.token_urlsafe(24),
            }
            wanted.append((row, types))
    for authority in db.session.scalars(
        select(Authority).where(Authority.kind == AuthorityKind.COUNTY).order_by(Authority.id)
    ):
        username = f"edu{authority.county_code}"
        if db.session.scalar(
            select(BusinessAccount.id).where(BusinessAccount.username == username)
        ):
            continue
        row = {
            "username": username,
            "name": f"{authority.name[:20]}承辦",
            "email": f"{username}@bench.invalid",
            "kind": AccountKind.AUTHORITY,
            "authority_id": authority.id,
            "status": AccountStatus.ACTIVE,
            "password_hash": password_hash,
            "session_token": secrets.token_urlsafe(24),
        }
        wanted.append((row, ()))
        report.authority_logins.append(username)
    authority_accounts = len(report.authority_logins)
    chiefs: dict[int, int] = {}
    for start in range(0, len(wanted), CHUNK):
        batch = wanted[start : start + CHUNK]
        ids = _insert_returning_ids(BusinessAccount, [row for row, _ in batch])
        grants = []
        for account_id, (row, types) in zip(ids, batch, strict=True):
            grants += [{"account_id": account_id, "type": t} for t in types]
            if AccountType.CHIEF in types:
                chiefs[row["school_id"]] = account_id
        _insert(AccountGrant, grants)
    report.count("business accounts", len(wanted) - authority_accounts)
    report.count("authority accounts", authority_accounts)
    return chiefs


def _courses(rng: random.Random, chiefs: dict[int, int], report: GenerateReport) -> None:
    """0–3 in-service courses per school, registered by its chief, in every status."""
    statuses = list(CourseStatus)
    term_start = timeutil.taipei(2026, 9, 1).date()
    rows = []
    for school_id, account_id in chiefs.items():
        for _ in range(rng.randint(0, COURSES_PER_SCHOOL)):
            starts = term_start.fromordinal(term_start.toordinal() + rng.randint(0, 300))
            rows.append(
                {
                    "school_id": school_id,
                    "registered_by_id": account_id,
                    "title": f"{rng.choice(TOPICS)}{rng.choice(('研習', '工作坊', '社群'))}",
                    "starts_on": starts,
                    "ends_on": starts,
                    "hours": rng.choice((2, 3, 3, 6)),
                    "status": rng.choice(statuses),
                    "created_at": timeutil.now(),
                }
            )
    _insert(Course, rows)
    report.count("courses", len(rows))


def school_sizes(rng: random.Random, schools: list[_School], total: int) -> dict[int, int]:
    """Share `total` teachers over the schools by stage (STAGE_SIZE) with ±50 % spread,
    at least one each; the sum is exactly `total` (or the number of schools if larger)."""
    weights = [STAGE_SIZE[s.stage] * rng.uniform(0.5, 1.5) for s in schools]
    whole = sum(weights)
    sizes = [max(1, int(total * w / whole)) for w in weights]
    order = sorted(range(len(schools)), key=lambda i: -weights[i])
    for n in range(max(0, total - sum(sizes))):
        sizes[order[n % len(order)]] += 1
    for _ in range(max(0, sum(sizes) - max(total, len(schools)))):  # the minimum of one
        biggest = max(range(len(sizes)), key=lambda i: (sizes[i], -i))
        sizes[biggest] -= 1
    return {school.id: size for school, size in zip(schools, sizes, strict=True)}


def _teachers(
    rng: random.Random,
    schools: list[_School],
    per_school: int,
    password_hash: str,
    report: GenerateReport,
    cutoff: datetime,
    sizes: dict[int, int] | None = None,
) -> list[tuple[int, _School, str]]:
    """Insert the teachers and their employments; return (teacher id, school, national ID)
    of those employed now. `sizes` overrides the number of teachers per school (by id).
    About RETIRED_SHARE more retired before the roster cutoff: history only."""
    the_vault = vault()
    used = set(db.session.scalars(select(Teacher.national_id_hash)))
    started = timeutil.taipei(2020, 8, 1)
    earlier = timeutil.taipei(2016, 8, 1)
    moved = timeutil.taipei(2023, 8, 1)
    retired_at = cutoff - timedelta(days=30)
    now = timeutil.now()

    def person(school: _School, n: int) -> tuple[dict[str, Any], str]:
        national_id = make_national_id(rng)
        digest = the_vault.lookup_hash(national_id)
        while digest in used:  # ~40 collisions at 200,000: draw again
            national_id = make_national_id(rng)
            digest = the_vault.lookup_hash(national_id)
        used.add(digest)
        row = {
            "national_id_cipher": the_vault.encrypt(national_id),
            "national_id_hash": digest,
            "national_id_masked": the_vault.masked(national_id),
            "name": rng.choice(SURNAMES) + "".join(rng.sample(GIVEN, 2)),
            "email": f"t{school.code}{n:03d}@bench.invalid",
            "password_hash": password_hash,
            "session_token": secrets.token_urlsafe(24),
            "failed_logins": 0,
            "created_at": now,
        }
        return row, national_id

    def people() -> Iterator[tuple[dict[str, Any], _School, str, bool]]:
        for school in schools:
            current = (sizes or {}).get(school.id, per_school)
            retired = int(current * RETIRED_SHARE + rng.random())  # 2 % on average
            for n in range(current + retired):
                row, national_id = person(school, n)
                yield row, school, national_id, n >= current

    out: list[tuple[int, _School, str]] = []
    batch: list[tuple[dict[str, Any], _School, str, bool]] = []

    def flush() -> None:
        ids = _insert_returning_ids(Teacher, [row for row, _, _, _ in batch])
        employments = []
        for teacher_id, (_, school, national_id, retired) in zip(ids, batch, strict=True):
            subjects = "、".join(rng.sample(SUBJECTS, 2))
            title = rng.choice(TITLES)
            if retired:
                employments.append(
                    {
                        "teacher_id": teacher_id,
                        "school_id": school.id,
                        "title": title,
                        "subjects": subjects,
                        "valid_from": earlier,
                        "valid_to": retired_at,
                        "end_reason": EndReason.RETIRED,
                    }
                )
                report.count("retired teachers")
                continue
            if len(schools) > 1 and rng.random() < TRANSFER_SHARE:
                before = rng.choice(schools)
                while before.id == school.id:
                    before = rng.choice(schools)
                employments.append(
                    {
                        "teacher_id": teacher_id,
                        "school_id": before.id,
                        "title": "教師",
                        "subjects": subjects,
                        "valid_from": earlier,
                        "valid_to": moved,
                        "end_reason": EndReason.TRANSFERRED,
                    }
                )
                report.count("transferred teachers")
                since = moved
            else:
                since = started
            employments.append(
                {
                    "teacher_id": teacher_id,
                    "school_id": school.id,
                    "title": title,
                    "subjects": subjects,
                    "valid_from": since,
                    "valid_to": None,
                    "end_reason": None,
                }
            )
            out.append((teacher_id, school, national_id))
        _insert(Employment, employments)
        report.count("employments", len(employments))
        batch.clear()

    for entry in people():
        batch.append(entry)
        if len(batch) >= CHUNK:
            flush()
    if batch:
        flush()
    report.count("teachers", len(out))
    return out


def _roster_school(schools: list[_School]) -> _School | None:
    """The first generated school that keeps its roster here (not a kindergarten, not a
    Taipei school: those rosters are read-only), deterministic for a given seed."""
    rows = db.session.execute(
        select(School.id, School.roster_source).where(School.id.in_([s.id for s in schools]))
    )
    sources = {row[0]: row[1] for row in rows}
    for school in schools:
        if school.stage != Stage.KINDERGARTEN and sources.get(school.id) == RosterSource.LOCAL:
            return school
    return None


def _window_states(cycle: Cycle, kind: PlanKind, moment: datetime) -> dict[Stage, str]:
    return {
        w.stage: state_between(w.opens_at, w.closes_at, moment).state
        for w in windows_of(cycle)[kind]
    }


def _plan_row(
    rng: random.Random, cycle: Cycle, school: _School, questionnaire_id: int, answers: dict,
    status: PlanStatus, moment: datetime, who: str,
) -> dict[str, Any]:  # fmt: skip
    submitted = status == PlanStatus.SUBMITTED
    return {
        "cycle_id": cycle.id,
        "school_id": school.id,
        "questionnaire_id": questionnaire_id,
        "answers": answers,
        "status": status,
        "version": rng.randint(1, 12),
        "submitted_at": moment if submitted else None,
        "updated_at": moment,
        "updated_by": who,
    }


def _versions(kind: PlanKind, ids: list[int], rows: list[dict[str, Any]]) -> list[dict]:
    """The kept copy of every submitted plan (PlanVersion), as a real submit writes it."""
    return [
        {
            "plan_kind": kind,
            "plan_id": plan_id,
            "version": row["version"],
            "answers": row["answers"],
            "submitted_at": row["submitted_at"],
            "submitted_by": row["updated_by"],
        }
        for plan_id, row in zip(ids, rows, strict=True)
        if row["status"] == PlanStatus.SUBMITTED
    ]


def _plans(
    rng: random.Random,
    cycle: Cycle,
    schools: list[_School],
    teachers: list[tuple[int, _School, str]],
    plan_share: float,
    report: GenerateReport,
) -> list[tuple[str, int]]:
    """School and teacher plans as at the peak; returns the teachers free to write now
    (and records the planning accounts free to write in report.school_logins)."""
    moment = timeutil.now()
    school_q = latest_questionnaire(cycle, PlanKind.SCHOOL)
    teacher_q = latest_questionnaire(cycle, PlanKind.TEACHER)
    if school_q is None or teacher_q is None:
        raise RuntimeError(f"cycle {cycle.academic_year} lacks a questionnaire")
    # One pool per stage: each stage answers the questionnaire as it is offered to it.
    school_pools = {
        stage: answer_pool(rng, engine.for_stage(school_q.definition, stage), PlanKind.SCHOOL)
        for stage in Stage
        if stage != Stage.KINDERGARTEN
    }
    teacher_pools = {
        stage: answer_pool(rng, engine.for_stage(teacher_q.definition, stage), PlanKind.TEACHER)
        for stage in Stage
    }
    school_states = _window_states(cycle, PlanKind.SCHOOL, moment)
    teacher_states = _window_states(cycle, PlanKind.TEACHER, moment)

    rows = []
    for school in schools:
        state = school_states.get(school.stage)
        if school.stage == Stage.KINDERGARTEN or state not in ("open", "closed"):
            continue
        roll = rng.random()
        if roll < SUBMITTED_SCHOOL_PLANS:
            status = PlanStatus.SUBMITTED
        elif state == "open" and roll < SUBMITTED_SCHOOL_PLANS + 0.2:
            status = PlanStatus.DRAFT
        else:
            status = None
        if state == "open" and status != PlanStatus.SUBMITTED:
            report.school_logins.append((f"plan{school.code}", school.id))
        if status is None:
            continue
        school_done, school_drafts = school_pools[school.stage]
        answers = rng.choice(school_done if status == PlanStatus.SUBMITTED else school_drafts)
        rows.append(
            _plan_row(
                rng,
                cycle,
                school,
                school_q.id,
                answers,
                status,
                moment,
                f"基準{school.code}進修承辦",
            )
        )
    for batch in _chunks(rows):
        ids = _insert_returning_ids(SchoolPlan, batch)
        _insert(PlanVersion, _versions(PlanKind.SCHOOL, ids, batch))
    report.count("school plans", len(rows))

    k_take_part = cycle.kindergarten_teachers_take_part
    free: list[tuple[str, int]] = []
    rows = []
    for teacher_id, school, national_id in teachers:
        state = teacher_states.get(school.stage)
        if school.stage == Stage.KINDERGARTEN and not k_take_part:
            state = None
        teacher_status: PlanStatus | None = None
        if state == "open":
            roll = rng.random()
            if roll < plan_share * 0.8:
                teacher_status = PlanStatus.DRAFT
            elif roll < plan_share:
                teacher_status = PlanStatus.SUBMITTED
            if teacher_status != PlanStatus.SUBMITTED:
                free.append((national_id, teacher_id))
        elif state == "closed" and rng.random() < min(0.95, plan_share * 1.8):
            teacher_status = PlanStatus.SUBMITTED
        if teacher_status is None:
            continue
        done = teacher_status == PlanStatus.SUBMITTED
        teacher_done, teacher_drafts = teacher_pools[school.stage]
        row = _plan_row(
            rng,
            cycle,
            school,
            teacher_q.id,
            rng.choice(teacher_done if done else teacher_drafts),
            teacher_status,
            moment,
            "教師",
        )
        row["teacher_id"] = teacher_id
        rows.append(row)
    for batch in _chunks(rows):
        ids = _insert_returning_ids(TeacherPlan, batch)
        _insert(PlanVersion, _versions(PlanKind.TEACHER, ids, batch))
    report.count("teacher plans", len(rows))
    return free


def generate(
    schools: int = DEFAULT_SCHOOLS,
    teachers_per_school: int = DEFAULT_TEACHERS_PER_SCHOOL,
    *,
    teachers: int | None = None,
    seed_value: int = 115,
    plan_share: float = 0.5,
    logins: int = 500,
    roster_teachers: int | None = None,
) -> GenerateReport:
    """Build the data set in the current app context; the caller commits (like `seed()`).

    With `teachers` (a national total), school sizes follow their stage; otherwise every
    school gets `teachers_per_school`. With `roster_teachers`, the first locally kept
    school gets that many current teachers instead (report.roster_school names it).
    Raises ForeignData on a database holding anything but the demo seed."""
    clock = time.perf_counter()
    refuse_foreign_data()
    report = GenerateReport()
    demo = seed()  # reference data, demo schools and teachers, the 113 and demo cycles
    for what, n in demo.created.items():
        report.count(f"demo {what}", n)
    db.session.flush()
    cycle = current_cycle()
    if cycle is None:
        raise RuntimeError("the demo seed published no cycle")
    report.cycle_year = cycle.academic_year

    rng = random.Random(seed_value)
    password_hash = hash_password(DEMO_PASSWORD)  # once: argon2 is slow on purpose
    generated = _schools(rng, schools, report)
    chiefs = _accounts(generated, password_hash, report)
    _courses(rng, chiefs, report)
    sizes = school_sizes(rng, generated, teachers) if teachers is not None else {}
    big = _roster_school(generated) if roster_teachers else None
    if big is not None and roster_teachers:
        sizes[big.id] = roster_teachers
    people = _teachers(
        rng, generated, teachers_per_school, password_hash, report, cycle.roster_cutoff, sizes
    )
    if big is not None and roster_teachers:
        report.roster_school = {
            "id": big.id,
            "code": big.code,
            "teachers": roster_teachers,
            "username": f"chief{big.code}",
        }
    db.session.flush()
    snapshot = take_snapshot(cycle, force=True)
    report.count("snapshot rows", snapshot.taken)
    free = _plans(rng, cycle, generated, people, plan_share, report)
    db.session.flush()
    report.logins = rng.sample(free, min(logins, len(free)))
    report.seconds = time.perf_counter() - clock
    return report


def summary(report: GenerateReport) -> list[str]:
    """What `generate` made, as lines for a terminal."""
    created = "，".join(f"{k} {v:,}" for k, v in report.created.items())
    lines = [f"generated in {report.seconds:.1f} s: {created}"]
    if report.logins:
        lines.append(
            f"{len(report.logins)} teachers can write now; password {DEMO_PASSWORD}, e.g. "
            f"{report.logins[0][0]} (synthetic ID)"
        )
    if report.school_logins:
        lines.append(f"school plans writable now, e.g. {report.school_logins[0][0]}")
    if report.authority_logins:
        lines.append(f"county authority accounts: {report.authority_logins[0]} … (edu<county>)")
    return lines
