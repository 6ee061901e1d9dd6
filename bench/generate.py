"""A national-scale-shaped data set for benchmarks (SPEC §7: ~4,000 schools, ~200,000 teachers).

    python -m bench.generate --schools 400 --teachers-per-school 50 [--migrate]
    python -m bench.generate --full            # 4,000 schools × 50 = 200,000 teachers

Reads DATABASE_URL and PERSONAL_DATA_KEY like the app (the keys must be the server's, or
nobody can sign in). First runs the demo seed (reference data, demo schools and teachers,
the 113 and demo cycles), then bulk-inserts on top of it:

- schools over every stage and county, in national proportions (codes 8xxxxx);
- a chief and a planning business account per school;
- teachers with valid national IDs, encrypted with the real vault, all sharing one argon2
  hash of the demo password; ~4 % transferred once (two employments, one ended);
- the demo cycle's roster snapshot, taken again with `take_snapshot(force=True)`;
- plans as at the peak: in open windows about half the teachers hold a draft (a few have
  submitted), in closed windows most have submitted; most schools submitted their plan.
"""

from __future__ import annotations

import argparse
import random
import secrets
import sys
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, insert, select
from werkzeug.datastructures import MultiDict

from app import timeutil
from app.cycles.services import latest_questionnaire, take_snapshot
from app.cycles.windows import current_cycle, state_between, windows_of
from app.demo.seed import DEMO_PASSWORD, GIVEN, SUBJECTS, SURNAMES, TITLES, seed
from app.extensions import db
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
SUBMITTED_SCHOOL_PLANS = 0.7

# Answers as a browser posts them; parsed and validated by the real engine at start.
TEACHER_FORMS = (
    {
        "q.needs.1": "std04", "q.needs.2": "std06", "q.needs.3": "std09",
        "q.interest_areas": ["mathematics"],
        "q.activities.0.topic_category": "std04", "q.activities.0.topic": "差異化教學策略",
        "q.activities.0.mode": "plc", "q.activities.0.hours": "12",
        "q.activities.0.term": "second",
        "q.preferred_times": ["weekday_day"],
    },
    {
        "q.needs.1": "std03", "q.needs.2": "std05", "q.needs.3": "std07",
        "q.interest_areas": ["mandarin", "local_languages"],
        "q.activities.0.topic_category": "std03", "q.activities.0.topic": "素養導向課程設計",
        "q.activities.0.mode": "lecture_workshop", "q.activities.0.hours": "6",
        "q.activities.0.term": "first",
        "q.activities.1.topic_category": "std05", "q.activities.1.topic": "多元評量實作",
        "q.activities.1.mode": "open_class", "q.activities.1.hours": "3",
        "q.activities.1.term": "second",
        "q.preferred_times": ["weekday_day", "vacation"],
        "q.needs_description": "希望精進評量設計，回應學生學習差異。",
    },
    {
        "q.needs.1": "std10", "q.needs.2": "std08", "q.needs.3": "std01",
        "q.interest_areas": ["natural_sciences", "technology"],
        "q.activities.0.topic_category": "std10", "q.activities.0.topic": "跨校專業社群領導",
        "q.activities.0.mode": "plc", "q.activities.0.hours": "18",
        "q.activities.0.term": "first",
        "q.preferred_times": ["weekday_evening", "weekend"],
        "q.remarks": "可協助辦理校內社群。",
    },
)  # fmt: skip
SCHOOL_FORMS = (
    {
        "q.contact_name": "黃承辦", "q.contact_title": "教務主任",
        "q.contact_phone": "07-7258600", "q.contact_email": "office@school.edu.tw",
        "q.priority_issues": ["gender_equality", "human_rights"],
        "q.priority_description": "以素養導向教學精進全校教師專業。",
        "q.activities.0.topic_category": "std03",
        "q.activities.0.topic": "素養導向課程設計工作坊", "q.activities.0.mode": "lecture_workshop",
        "q.activities.0.hours": "6", "q.activities.0.term": "first",
        "q.activities.0.audience": "all_teachers", "q.activities.0.expected_participants": "40",
        "q.activities.1.topic_category": "std06",
        "q.activities.1.topic": "正向管教與班級經營", "q.activities.1.mode": "plc",
        "q.activities.1.hours": "12", "q.activities.1.term": "second",
        "q.activities.1.audience": "all_teachers", "q.activities.1.expected_participants": "25",
        "q.needs_support": "no",
    },
    {
        "q.contact_name": "林組長", "q.contact_title": "教學組長",
        "q.contact_phone": "02-23566000", "q.contact_email": "teach@school.edu.tw",
        "q.priority_issues": ["environment", "ocean", "reading"],
        "q.priority_description": "推動閱讀素養與海洋教育的跨領域課程。",
        "q.activities.0.topic_category": "std02",
        "q.activities.0.topic": "閱讀理解策略", "q.activities.0.mode": "open_class",
        "q.activities.0.hours": "3", "q.activities.0.term": "first",
        "q.activities.0.audience": "all_teachers", "q.activities.0.expected_participants": "30",
        "q.needs_support": "no",
    },
)  # fmt: skip


@dataclass
class GenerateReport:
    created: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0
    cycle_year: int | None = None
    # (national ID, teacher id) of generated teachers who can write their plan right now
    # (window open, no submitted plan): the benchmark signs them in. Synthetic IDs.
    logins: list[tuple[str, int]] = field(default_factory=list)
    # The school given `roster_teachers` current teachers (issue 10's roster benchmark):
    # {"id", "code", "teachers", "username"} (its chief, who also holds 教師資料).
    roster_school: dict[str, Any] | None = None

    def count(self, what: str, n: int = 1) -> None:
        self.created[what] = self.created.get(what, 0) + n


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


def _stage_at(index: int, total: int) -> Stage:
    """Spread the stages over the schools in their national proportions (deterministic)."""
    point = (index + 0.5) / total
    cumulative = 0.0
    for stage, share in STAGE_SHARES:
        cumulative += share
        if point < cumulative:
            return stage
    return STAGE_SHARES[-1][0]


def _answers(definition: dict[str, Any], forms: tuple[dict[str, Any], ...]) -> list[dict]:
    """Parse each canned form with the real engine; refuse if the questionnaire moved on."""
    parsed = []
    for form in forms:
        data: MultiDict[str, str] = MultiDict()
        for key, value in form.items():
            for item in value if isinstance(value, list) else [value]:
                data.add(key, item)
        answers = engine.parse_form(definition, data)
        errors = engine.validate(definition, answers, final=True)
        if errors:
            raise RuntimeError(f"bench answers no longer fit the questionnaire: {errors}")
        parsed.append(engine.clean(definition, answers))
    return parsed


def _schools(rng: random.Random, count: int, report: GenerateReport) -> list[_School]:
    if count > 99_999:
        raise ValueError("at most 99,999 generated schools (six-digit codes)")
    taken = db.session.scalar(
        select(func.count()).select_from(School).where(School.code.like(f"{CODE_PREFIX}%"))
    )
    if taken:
        raise RuntimeError("this database already holds generated schools; use a fresh one")
    counties = {c.code: c.name for c in db.session.scalars(select(County))}
    authorities = {
        (a.county_code if a.kind == AuthorityKind.COUNTY else "national"): a.id
        for a in db.session.scalars(select(Authority))
    }
    codes = sorted(counties)
    weights = [COUNTY_WEIGHTS.get(code, 3) for code in codes]
    rows = []
    for index in range(count):
        stage = _stage_at(index, count)
        county = rng.choices(codes, weights)[0]
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


def _accounts(schools: list[_School], password_hash: str, report: GenerateReport) -> None:
    """A chief (總負責人 + 教師資料) and, except kindergartens, a planning account per school."""
    wanted: list[tuple[dict[str, Any], tuple[AccountType, ...]]] = []
    for school in schools:
        kinds: list[tuple[str, str, tuple[AccountType, ...]]] = [
            ("chief", "總負責人", (AccountType.CHIEF, AccountType.ROSTER))
        ]
        if school.stage != Stage.KINDERGARTEN:
            kinds.append(("plan", "進修承辦", (AccountType.PLANNING,)))
        for prefix, title, types in kinds:
            username = f"{prefix}{school.code}"
            row = {
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
    for start in range(0, len(wanted), CHUNK):
        batch = wanted[start : start + CHUNK]
        ids = _insert_returning_ids(BusinessAccount, [row for row, _ in batch])
        grants = [
            {"account_id": account_id, "type": t}
            for account_id, (_, types) in zip(ids, batch, strict=True)
            for t in types
        ]
        _insert(AccountGrant, grants)
    report.count("business accounts", len(wanted))


def _teachers(
    rng: random.Random,
    schools: list[_School],
    per_school: int,
    password_hash: str,
    report: GenerateReport,
    sizes: dict[int, int] | None = None,
) -> list[tuple[int, _School, str]]:
    """Insert the teachers and their employments; return (teacher id, school, national ID).
    `sizes` overrides the number of teachers of some schools (by school id)."""
    the_vault = vault()
    used = set(db.session.scalars(select(Teacher.national_id_hash)))
    started = timeutil.taipei(2020, 8, 1)
    earlier = timeutil.taipei(2016, 8, 1)
    moved = timeutil.taipei(2023, 8, 1)
    now = timeutil.now()

    def people() -> Iterator[tuple[dict[str, Any], _School, str]]:
        for school in schools:
            for n in range((sizes or {}).get(school.id, per_school)):
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
                yield row, school, national_id

    out: list[tuple[int, _School, str]] = []
    batch: list[tuple[dict[str, Any], _School, str]] = []

    def flush() -> None:
        ids = _insert_returning_ids(Teacher, [row for row, _, _ in batch])
        employments = []
        for teacher_id, (_, school, national_id) in zip(ids, batch, strict=True):
            subjects = "、".join(rng.sample(SUBJECTS, 2))
            title = rng.choice(TITLES)
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

    for person in people():
        batch.append(person)
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
    """School and teacher plans as at the peak; returns the teachers free to write now."""
    moment = timeutil.now()
    school_q = latest_questionnaire(cycle, PlanKind.SCHOOL)
    teacher_q = latest_questionnaire(cycle, PlanKind.TEACHER)
    if school_q is None or teacher_q is None:
        raise RuntimeError(f"cycle {cycle.academic_year} lacks a questionnaire")
    school_answers = _answers(school_q.definition, SCHOOL_FORMS)
    teacher_answers = _answers(teacher_q.definition, TEACHER_FORMS)
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
            continue
        rows.append(
            _plan_row(
                rng,
                cycle,
                school,
                school_q.id,
                rng.choice(school_answers),
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
        row = _plan_row(
            rng,
            cycle,
            school,
            teacher_q.id,
            rng.choice(teacher_answers),
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
    seed_value: int = 115,
    plan_share: float = 0.5,
    logins: int = 500,
    roster_teachers: int | None = None,
) -> GenerateReport:
    """Build the data set in the current app context; the caller commits (like `seed()`).

    With `roster_teachers`, the first locally kept school gets that many current teachers
    instead of `teachers_per_school` (report.roster_school names it)."""
    clock = time.perf_counter()
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
    _accounts(generated, password_hash, report)
    big = _roster_school(generated) if roster_teachers else None
    sizes = {big.id: roster_teachers} if big is not None and roster_teachers else None
    teachers = _teachers(rng, generated, teachers_per_school, password_hash, report, sizes)
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
    free = _plans(rng, cycle, generated, teachers, plan_share, report)
    db.session.flush()
    report.logins = rng.sample(free, min(logins, len(free)))
    report.seconds = time.perf_counter() - clock
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.generate",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--schools", type=int, default=DEFAULT_SCHOOLS)
    parser.add_argument("--teachers-per-school", type=int, default=DEFAULT_TEACHERS_PER_SCHOOL)
    parser.add_argument(
        "--full",
        action="store_true",
        help=f"national scale: {FULL_SCHOOLS} schools (× teachers per school)",
    )
    parser.add_argument(
        "--roster-teachers",
        type=int,
        default=ROSTER_SCHOOL_TEACHERS,
        help="current teachers of one locally kept school (0: none bigger than the rest)",
    )
    parser.add_argument("--seed", type=int, default=115, help="random seed (deterministic)")
    parser.add_argument(
        "--plan-share",
        type=float,
        default=0.5,
        help="share of teachers in open windows who already hold a plan",
    )
    parser.add_argument("--migrate", action="store_true", help="run `db upgrade` first")
    args = parser.parse_args(argv)

    from app import create_app

    app = create_app()
    if args.migrate:
        from app.migrate import upgrade

        upgrade(app.config["DATABASE_URL"])
    with app.app_context():
        report = generate(
            FULL_SCHOOLS if args.full else args.schools,
            args.teachers_per_school,
            seed_value=args.seed,
            plan_share=args.plan_share,
            roster_teachers=args.roster_teachers or None,
        )
        db.session.commit()
    created = "，".join(f"{k} {v:,}" for k, v in report.created.items())
    print(f"generated in {report.seconds:.1f} s: {created}")
    if report.logins:
        print(
            f"{len(report.logins)} teachers can write now; password {DEMO_PASSWORD}, e.g. "
            f"{report.logins[0][0]} (synthetic ID)"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
