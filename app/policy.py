"""Who may see or do what (SPEC §2): the one access policy.

Two questions, each answered here and nowhere else:

* **Which rows are mine to see?** The scopes, as query builders: `schools_in_scope`,
  `teachers_in_scope`, `school_plans_in_scope`, `teacher_plans_in_scope`,
  `counties_in_scope`. A chief or planner sees one school; a regional centre the schools
  of its counties; a county authority the schools it governs; the national authority
  (國教署) and the operator everything; a teacher only his own rows.
* **May this person take this action (on this object)?** `may(user, action, obj)`: the
  user must hold one of the roles that `POLICY[action]` lists, and the object (if any)
  must lie in the user's scope.

So "who may see this school's report" is the `school_report.view` line of `POLICY`: a
chief or a planning account (of the schools in its scope, i.e. its own school).
Views ask through the request lifecycle (`app.lifecycle.handles`), templates through the
Jinja global `may(action, obj)`, services through `may` or the scopes.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Select, false, select, true

from app import timeutil
from app.extensions import db
from app.models import (
    AccountKind,
    AccountType,
    Authority,
    AuthorityKind,
    BusinessAccount,
    County,
    Employment,
    Job,
    School,
    SchoolPlan,
    Teacher,
    TeacherPlan,
)


class Role(enum.StrEnum):
    """What a signed-in person is, for the policy: a teacher, an account type, a staff kind."""

    ANONYMOUS = "anonymous"
    TEACHER = "teacher"  # 教師
    CHIEF = "chief"  # 業務帳號 · 總負責人
    ROSTER = "roster"  # 業務帳號 · 教師資料
    PLANNING = "planning"  # 業務帳號 · 進修規劃
    COURSES = "courses"  # 業務帳號 · 研習課程
    REGION = "region"  # 區管中心
    COUNTY = "county"  # 主管機關 · 縣市教育局處
    NATIONAL = "national"  # 主管機關 · 國教署
    OPERATOR = "operator"  # 系統管理


ACCOUNT_TYPE_ROLES = {
    AccountType.CHIEF: Role.CHIEF,
    AccountType.ROSTER: Role.ROSTER,
    AccountType.PLANNING: Role.PLANNING,
    AccountType.COURSES: Role.COURSES,
}

SCHOOL_STAFF = frozenset({Role.CHIEF, Role.ROSTER, Role.PLANNING, Role.COURSES})
OVERSIGHT = frozenset({Role.REGION, Role.COUNTY, Role.NATIONAL, Role.OPERATOR})
SIGNED_IN = frozenset({Role.TEACHER}) | SCHOOL_STAFF | OVERSIGHT
EVERYONE = frozenset({Role.ANONYMOUS}) | SIGNED_IN

# THE table. Every action a route, template or service may ask about, and the roles that
# may take it; an object, when one is named, must also lie in the user's scope (below).
# Keep one line per action and the comment saying what it guards.
POLICY: dict[str, frozenset[Role]] = {
    # public pages: home, schedules, manuals, health check, language choice
    "public.view": EVERYONE,
    # a teacher's own pages (/teacher/…): dashboard, plan form and its review before
    # submitting (/teacher/plan/review), the plan's PDF
    "teacher.home": frozenset({Role.TEACHER}),
    "teacher_plan.edit": frozenset({Role.TEACHER}),
    "teacher_report.view": frozenset({Role.TEACHER}),
    # 業務專區 (/school/): every business account; staff kinds are shown their own landing
    "business.home": SCHOOL_STAFF | OVERSIGHT,
    # one school's plan (its form and its review before submitting, /school/plan/review),
    # its PDF and the bulk export of its teachers' plans
    "school_plan.edit": frozenset({Role.CHIEF, Role.PLANNING}),
    "school_report.view": frozenset({Role.CHIEF, Role.PLANNING}),
    "school_export.create": frozenset({Role.CHIEF, Role.PLANNING}),
    "school_export.download": frozenset({Role.CHIEF, Role.PLANNING}),
    # aggregate reports (/oversight/…)
    "county_report.view": frozenset({Role.COUNTY, Role.OPERATOR}),
    "national_report.view": frozenset({Role.NATIONAL, Role.OPERATOR}),
    # landing pages of the staff kinds
    "region.home": frozenset({Role.REGION}),
    "authority.home": frozenset({Role.COUNTY, Role.NATIONAL}),
    "operator.home": frozenset({Role.OPERATOR}),
    # features to come (school administration, oversight): already decided here
    "account.manage": frozenset({Role.CHIEF, Role.REGION, Role.OPERATOR}),
    "roster.edit": frozenset({Role.CHIEF, Role.ROSTER, Role.OPERATOR}),
    # lift a sign-in lock of the school's teachers and accounts (/school/locks)
    "sign_in_lock.release": frozenset({Role.CHIEF, Role.ROSTER}),
    # keep a signed-in session alive from the idle warning (/session/keepalive)
    "session.keepalive": SIGNED_IN,
    "extension.grant": frozenset({Role.COUNTY, Role.NATIONAL, Role.OPERATOR}),
    # school administration (applying for an account, /school/apply, is public.view)
    # the chief's list of the school's accounts; the region's list of its schools' chiefs
    "school_accounts.list": frozenset({Role.CHIEF}),
    "chief_accounts.overview": frozenset({Role.REGION}),
    # a business account's own contact data (職稱, e-mail, phone)
    "account.own_contact": SCHOOL_STAFF,
    # 研習課程: the school's courses (list) and registering / moving one on
    "course.view": SCHOOL_STAFF,
    "course.manage": frozenset({Role.CHIEF, Role.COURSES}),
    # the audit trail: a school's (chief), a region's chief changes, everything (operator)
    "audit.school": frozenset({Role.CHIEF}),
    "audit.region": frozenset({Role.REGION}),
    "audit.all": frozenset({Role.OPERATOR}),
    # one's own password and contact data (/account/…): teachers and every business account
    "profile.edit": SIGNED_IN,
    # the nightly roster feeds' run records (/operator/sync-runs/)
    "sync_runs.view": frozenset({Role.OPERATOR}),
    # single sign-on for business accounts (/sso/account…): link, see and unlink one's own
    # 教育體系單一簽入 identity
    "sso_link.manage": SCHOOL_STAFF | OVERSIGHT,
    # plan history: one's own plans of earlier cycles, every submitted version compared
    # side by side, their PDFs (/teacher/plans/…; the school's: /school/plans/…)
    "teacher_plan.history": frozenset({Role.TEACHER}),
    "school_plan.history": frozenset({Role.CHIEF, Role.PLANNING}),
    # operator console (/operator/cycles/…, /operator/announcements/…): cycles, their
    # schedule, questionnaires, publishing and the roster snapshot; 最新消息
    "cycle.setup": frozenset({Role.OPERATOR}),
    "announcement.manage": frozenset({Role.OPERATOR}),
    # 延長填寫 and 催填 (/oversight/extensions/…, /oversight/reminders/…): extensions in the
    # granter's scope (extension.grant above); reminders by authorities and the operator to
    # schools in scope, and by a school's chief or planner to its own teachers
    "extension.view": frozenset({Role.COUNTY, Role.NATIONAL, Role.OPERATOR}),
    "extension.revoke": frozenset({Role.COUNTY, Role.NATIONAL, Role.OPERATOR}),
    "reminder.send": frozenset(
        {Role.COUNTY, Role.NATIONAL, Role.OPERATOR, Role.CHIEF, Role.PLANNING}
    ),
    # ---- 進修需求分析 (needs analytics) ----
    # an area's aggregated needs (/oversight/analytics): the nation (國教署, operator) or a
    # county in scope (?county=); a school's own (/school/analytics)
    "needs_analytics.view": frozenset({Role.REGION, Role.COUNTY, Role.NATIONAL, Role.OPERATOR}),
    "school_analytics.view": frozenset({Role.CHIEF, Role.PLANNING}),
    # ---- completion dashboards and their CSV/XLSX exports (/oversight/dashboard…) ----
    # the authorities, counties and schools in scope (a county bureau: its own county)
    "dashboard.view": frozenset({Role.REGION, Role.COUNTY, Role.NATIONAL, Role.OPERATOR}),
    # 國教署's national schools (those in a region's counties, for a regional centre)
    "dashboard.national_schools": frozenset({Role.REGION, Role.NATIONAL, Role.OPERATOR}),
    # one school's completion and its teachers: the school's chief or planner, or oversight
    "dashboard.school": frozenset({Role.CHIEF, Role.PLANNING}) | OVERSIGHT,
}

# Where each kind of signed-in user lands after sign-in (endpoint names).
LANDING = {
    Role.TEACHER: "teacher.dashboard",
    Role.REGION: "region.home",
    Role.COUNTY: "authority.home",
    Role.NATIONAL: "authority.home",
    Role.OPERATOR: "operator.home",
}
SCHOOL_LANDING = "school.dashboard"


@dataclass(frozen=True)
class CountyRef:
    """A county named by its code (e.g. in a query string), whether or not it exists."""

    code: str


# ---- who is this ---------------------------------------------------------------------------


def roles_of(user: Any) -> frozenset[Role]:
    """The policy roles of a user (anonymous, a teacher, or a business account).

    An account without the unit its kind needs (a school account with no school, …) is
    nobody in particular: it holds only the anonymous role, i.e. the public pages.
    """
    return _roles(user) or frozenset({Role.ANONYMOUS})


def _roles(user: Any) -> frozenset[Role]:
    if isinstance(user, Teacher):
        return frozenset({Role.TEACHER})
    if not isinstance(user, BusinessAccount):
        return frozenset({Role.ANONYMOUS})
    if user.kind == AccountKind.SCHOOL:
        if user.school_id is None:
            return frozenset()
        return frozenset(ACCOUNT_TYPE_ROLES[t] for t in user.types)
    if user.kind == AccountKind.REGION:
        return frozenset({Role.REGION}) if user.region_id is not None else frozenset()
    if user.kind == AccountKind.AUTHORITY:
        authority = user.authority
        if authority is None:
            return frozenset()
        national = authority.kind == AuthorityKind.NATIONAL
        return frozenset({Role.NATIONAL if national else Role.COUNTY})
    if user.kind == AccountKind.OPERATOR:
        return frozenset({Role.OPERATOR})
    return frozenset()


def landing_endpoint(user: Any) -> str:
    """The page a user starts from: the teacher's, a school account's or a staff kind's."""
    for role in sorted(roles_of(user)):
        if role in LANDING:
            return LANDING[role]
    return SCHOOL_LANDING


def _sees_everything(roles: frozenset[Role]) -> bool:
    return bool(roles & {Role.NATIONAL, Role.OPERATOR})


# ---- scopes: which rows are mine -----------------------------------------------------------


def _school_condition(user: Any) -> ColumnElement[bool]:
    roles = roles_of(user)
    if _sees_everything(roles):
        return true()
    if Role.TEACHER in roles:
        now = timeutil.now()
        current = Employment.at(now).where(Employment.teacher_id == user.id)
        return School.id.in_(current.with_only_columns(Employment.school_id))
    if roles & SCHOOL_STAFF:
        return School.id == user.school_id
    if Role.REGION in roles:
        counties = select(County.code).where(County.region_id == user.region_id)
        return School.county_code.in_(counties)
    if Role.COUNTY in roles:
        return School.authority_id == user.authority_id
    return false()


def schools_in_scope(user: Any) -> Select[School]:
    """The schools this user may see."""
    return select(School).where(_school_condition(user))


def _school_ids(user: Any) -> Select[int]:
    return select(School.id).where(_school_condition(user))


def counties_in_scope(user: Any) -> Select[County]:
    """The counties this user may see: a region's, a county authority's, or all."""
    roles = roles_of(user)
    if _sees_everything(roles):
        return select(County)
    if Role.REGION in roles:
        return select(County).where(County.region_id == user.region_id)
    if Role.COUNTY in roles:
        own = select(Authority.county_code).where(Authority.id == user.authority_id)
        return select(County).where(County.code.in_(own))
    schools = select(School.county_code).where(_school_condition(user))
    return select(County).where(County.code.in_(schools))


def teachers_in_scope(user: Any) -> Select[Teacher]:
    """The teachers this user may see: oneself, or those now serving at schools in scope."""
    roles = roles_of(user)
    if Role.TEACHER in roles:
        return select(Teacher).where(Teacher.id == user.id)
    if _sees_everything(roles):
        return select(Teacher)
    serving = Employment.at(timeutil.now()).where(Employment.school_id.in_(_school_ids(user)))
    return select(Teacher).where(Teacher.id.in_(serving.with_only_columns(Employment.teacher_id)))


def school_plans_in_scope(user: Any) -> Select[SchoolPlan]:
    """The school plans this user may see (a teacher: his own schools')."""
    if _sees_everything(roles_of(user)):
        return select(SchoolPlan)
    return select(SchoolPlan).where(SchoolPlan.school_id.in_(_school_ids(user)))


def teacher_plans_in_scope(user: Any) -> Select[TeacherPlan]:
    """The teacher plans this user may see (a teacher: only his own)."""
    roles = roles_of(user)
    if Role.TEACHER in roles:
        return select(TeacherPlan).where(TeacherPlan.teacher_id == user.id)
    if _sees_everything(roles):
        return select(TeacherPlan)
    return select(TeacherPlan).where(TeacherPlan.school_id.in_(_school_ids(user)))


# ---- object rules --------------------------------------------------------------------------


def _school_id_of(obj: Any) -> int | None:
    if isinstance(obj, School):
        return obj.id
    if isinstance(obj, Job):  # an export job names its school in its parameters
        value = obj.params.get("school_id")
        return value if isinstance(value, int) else None
    value = getattr(obj, "school_id", None)
    if isinstance(value, int):
        return value
    school = getattr(obj, "school", None)
    return school.id if isinstance(school, School) else None


def _teacher_id_of(obj: Any) -> int | None:
    value = getattr(obj, "teacher_id", None)
    if isinstance(value, int):
        return value
    teacher = getattr(obj, "teacher", None)
    return teacher.id if isinstance(teacher, Teacher) else None


def in_scope(user: Any, obj: Any) -> bool:
    """Whether one object lies within the user's scope (see the scope functions)."""
    roles = roles_of(user)
    if _sees_everything(roles):
        return True
    if isinstance(obj, Teacher):
        teachers = teachers_in_scope(user).where(Teacher.id == obj.id)
        return db.session.scalar(teachers.with_only_columns(Teacher.id)) is not None
    if isinstance(obj, County | CountyRef | Authority):
        code = obj.county_code if isinstance(obj, Authority) else obj.code
        if code is None:  # the national authority: nobody's county
            return False
        if Role.COUNTY in roles and user.authority is not None:
            return bool(user.authority.county_code == code)  # no query for the common case
        counties = counties_in_scope(user).where(County.code == code)
        return db.session.scalar(counties.with_only_columns(County.code)) is not None
    if Role.TEACHER in roles:
        owner = _teacher_id_of(obj)
        if owner is not None:  # a teacher's plan (or plan page): his own only
            return bool(owner == user.id)
    school_id = _school_id_of(obj)
    if school_id is None:
        return False
    if roles & SCHOOL_STAFF:
        return bool(school_id == user.school_id)  # no query for the common case
    return db.session.scalar(_school_ids(user).where(School.id == school_id)) is not None


def allowed_roles(action: str) -> frozenset[Role]:
    """The roles that may take an action; an unknown action is a programming error."""
    try:
        return POLICY[action]
    except KeyError:
        raise KeyError(f"no such action in app.policy.POLICY: {action!r}") from None


def may(user: Any, action: str, obj: Any = None) -> bool:
    """May this user take this action (on this object, which must lie in the user's scope)?"""
    allowed = allowed_roles(action)
    if not roles_of(user) & allowed:
        return False
    if Role.ANONYMOUS in allowed:  # a public action has no scope: its objects are everyone's
        return True
    return obj is None or in_scope(user, obj)


def install(jinja_env: Any) -> None:
    """Templates decide which links to show with `may(action, obj=None)` for the current user."""
    from flask_login import current_user

    def template_may(action: str, obj: Any = None) -> bool:
        return may(current_user._get_current_object(), action, obj)

    jinja_env.globals["may"] = template_may
    jinja_env.globals["landing_endpoint"] = lambda: landing_endpoint(
        current_user._get_current_object()
    )
