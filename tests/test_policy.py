"""The access policy: `may()` and the scopes for every role, and every route × every role.

The route table below lists every URL rule of the app with the policy action its view
runs under; the expected answer of each role is derived from `app.policy.POLICY`, not
written out by hand. A route added without a line here fails `test_every_route_is_listed`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from app import policy
from app.deadlines.services import ScopedBatch, ScopedExtension
from app.extensions import db
from app.models import (
    AccountKind,
    AccountType,
    Authority,
    AuthorityKind,
    BusinessAccount,
    County,
    Course,
    Cycle,
    Extension,
    ExtensionBatch,
    Job,
    PlanKind,
    Questionnaire,
    Region,
    ReminderBatch,
    School,
    SchoolPlan,
    SyncRun,
    Teacher,
    TeacherPlan,
)
from app.policy import CountyRef, Role, may
from app.reminders.services import ScopedSchoolReminder
from app.reports import exports, jobs
from app.timeutil import taipei
from tests.conftest import login_account, login_teacher
from tests.plan_helpers import import_113

ROLES = [
    "anonymous",
    "teacher",
    "chief",
    "planning",
    "roster_only",
    "other_planning",
    "region",
    "county",
    "other_county",
    "national",
    "operator",
]


@dataclass
class World:
    school: School
    other_school: School  # same county, another school
    far_school: School  # another county, another region
    users: dict[str, Any] = field(default_factory=dict)
    job: Job | None = None
    other_job: Job | None = None
    course: Course | None = None
    sync_run: SyncRun | None = None
    # 延長填寫 and 催填 (app/deadlines, app/reminders)
    extension: Extension | None = None
    extension_batch: ExtensionBatch | None = None
    reminder: ReminderBatch | None = None


def build_world(factory) -> World:
    """Two counties in two regions, three schools, one user of every role."""
    south = factory.region()
    north = Region(code="N", name="北區")
    db.session.add(north)
    db.session.flush()
    kaohsiung = factory.county()
    taipei = County(code="63000", name="臺北市", region_id=north.id)
    db.session.add(taipei)
    db.session.flush()
    school = factory.school(name="高雄市立甲國小")
    other = factory.school(name="高雄市立乙國小")
    far = factory.school(name="臺北市立丙國小", county=taipei)
    national = Authority(name="教育部國民及學前教育署", kind=AuthorityKind.NATIONAL)
    db.session.add(national)
    db.session.flush()
    world = World(school, other, far)
    world.users = {
        "anonymous": None,
        "teacher": factory.teacher(school),
        "chief": factory.account(school, AccountType.CHIEF),
        "planning": factory.account(school, AccountType.PLANNING),
        "roster_only": factory.account(school, AccountType.ROSTER),
        "other_planning": factory.account(other, AccountType.PLANNING),
        "region": factory.account(None, kind=AccountKind.REGION, region_id=south.id),
        "county": factory.account(
            None, kind=AccountKind.AUTHORITY, authority_id=factory.authority(kaohsiung).id
        ),
        "other_county": factory.account(
            None, kind=AccountKind.AUTHORITY, authority_id=factory.authority(taipei).id
        ),
        "national": factory.account(None, kind=AccountKind.AUTHORITY, authority_id=national.id),
        "operator": factory.account(None, kind=AccountKind.OPERATOR),
    }
    world.job = _export_job(school)
    world.other_job = _export_job(other)
    world.course = Course(
        school_id=school.id, registered_by_id=world.users["chief"].id, title="閱讀教學研習"
    )
    db.session.add(world.course)
    world.sync_run = SyncRun(feed="taipei", status="applied", errors=[])
    db.session.add(world.sync_run)
    _extensions_and_reminders(world)
    db.session.commit()
    return world


def _extensions_and_reminders(world: World) -> None:
    """An extension, a bulk grant and a reminder of the first school (a draft cycle)."""
    cycle = Cycle(academic_year=112, name="112學年度", roster_cutoff=taipei(2023, 8, 2, 17, 0))
    db.session.add(cycle)
    db.session.flush()
    county = world.users["county"]
    batch = ExtensionBatch(
        cycle_id=cycle.id,
        plan_kind=PlanKind.SCHOOL,
        county_code="64000",
        stage=world.school.stage,
        until=taipei(2024, 8, 30, 17, 0),
        reason="颱風",
        school_count=1,
        granted_by_id=county.id,
    )
    db.session.add(batch)
    db.session.flush()
    world.extension_batch = batch
    world.extension = Extension(
        cycle_id=cycle.id,
        plan_kind=PlanKind.SCHOOL,
        school_id=world.school.id,
        concerns_school_id=world.school.id,
        until=taipei(2024, 8, 30, 17, 0),
        granted_by_id=county.id,
        reason="颱風",
        batch_id=batch.id,
    )
    world.reminder = ReminderBatch(
        cycle_id=cycle.id,
        plan_kind=PlanKind.TEACHER,
        school_id=world.school.id,
        sent_by_id=world.users["chief"].id,
        status="done",
    )
    db.session.add_all([world.extension, world.reminder])
    db.session.flush()


def _export_job(school: School) -> Job:
    job = Job(
        kind=exports.EXPORT_KIND,
        owner=f"school:{school.id}",
        status="done",
        result_path="exports/none.zip",
        params={"school_id": school.id, "school_code": school.code, "year": 113},
    )
    db.session.add(job)
    db.session.flush()
    return job


@pytest.fixture
def world(factory) -> World:
    return build_world(factory)


def _names(query) -> set[str]:
    return {row.name for row in db.session.scalars(query)}


# ---- roles ----------------------------------------------------------------------------------


def test_roles_of_every_kind_of_user(world):
    expected = {
        "anonymous": {Role.ANONYMOUS},
        "teacher": {Role.TEACHER},
        "chief": {Role.CHIEF},
        "planning": {Role.PLANNING},
        "roster_only": {Role.ROSTER},
        "other_planning": {Role.PLANNING},
        "region": {Role.REGION},
        "county": {Role.COUNTY},
        "other_county": {Role.COUNTY},
        "national": {Role.NATIONAL},
        "operator": {Role.OPERATOR},
    }
    for who, roles in expected.items():
        assert policy.roles_of(world.users[who]) == roles, who


def test_an_account_without_its_unit_holds_no_role(factory):
    homeless = factory.account(None, AccountType.CHIEF)  # a school account with no school
    no_region = factory.account(None, kind=AccountKind.REGION)
    no_authority = factory.account(None, kind=AccountKind.AUTHORITY)
    for account in (homeless, no_region, no_authority):
        # For the policy such an account is nobody in particular: public pages only.
        assert policy.roles_of(account) == {Role.ANONYMOUS}
        assert {action for action in policy.POLICY if may(account, action)} == {"public.view"}


def test_every_action_names_known_roles_and_unknown_actions_fail():
    for action, roles in policy.POLICY.items():
        assert roles, action
        assert roles <= set(Role), action
    with pytest.raises(KeyError, match="no such action"):
        may(None, "school_plan.delete")


# ---- who may see this school's report (and the other object rules) --------------------------


def test_who_may_see_a_schools_report(world):
    allowed = {who for who in ROLES if may(world.users[who], "school_report.view", world.school)}
    assert allowed == {"chief", "planning"}
    # The other school's planner holds the role, but the school is outside its scope.
    assert may(world.users["other_planning"], "school_report.view")
    assert not may(world.users["other_planning"], "school_report.view", world.school)
    assert may(world.users["other_planning"], "school_report.view", world.other_school)


def test_export_jobs_belong_to_their_school(world):
    planner = world.users["planning"]
    assert may(planner, "school_export.download", world.job)
    assert not may(planner, "school_export.download", world.other_job)
    assert not may(world.users["roster_only"], "school_export.download", world.job)
    assert not may(world.users["operator"], "school_export.download", world.job)  # no role


def test_county_reports_by_county(world):
    kaohsiung, taipei = CountyRef("64000"), CountyRef("63000")
    county, other = world.users["county"], world.users["other_county"]
    assert may(county, "county_report.view", kaohsiung)
    assert not may(county, "county_report.view", taipei)
    assert not may(county, "county_report.view", CountyRef("99999"))  # no such county
    assert may(other, "county_report.view", taipei)
    assert not may(other, "county_report.view", kaohsiung)
    assert may(world.users["operator"], "county_report.view", CountyRef("99999"))
    assert not may(world.users["national"], "county_report.view", kaohsiung)  # no role
    assert not may(world.users["region"], "county_report.view", kaohsiung)


def test_national_report_and_landing_pages(world):
    def holders(action: str) -> set[str]:
        return {who for who in ROLES if may(world.users[who], action)}

    assert holders("national_report.view") == {"national", "operator"}
    assert holders("region.home") == {"region"}
    assert holders("authority.home") == {"county", "other_county", "national"}
    assert holders("operator.home") == {"operator"}
    assert holders("teacher.home") == {"teacher"}
    assert holders("public.view") == set(ROLES)
    assert holders("business.home") == set(ROLES) - {"anonymous", "teacher"}


def test_rules_for_features_to_come(world):
    def holders(action: str, obj: Any = None) -> set[str]:
        return {who for who in ROLES if may(world.users[who], action, obj)}

    assert holders("account.manage", world.school) == {"chief", "region", "operator"}
    assert holders("account.manage", world.far_school) == {"operator"}  # region: not its county
    assert holders("roster.edit", world.school) == {"chief", "roster_only", "operator"}
    assert holders("extension.grant", world.school) == {"county", "national", "operator"}
    assert holders("extension.grant", world.far_school) == {"other_county", "national", "operator"}


def test_a_teacher_sees_only_his_own_plan(world, factory):
    teacher = world.users["teacher"]
    colleague = factory.teacher(world.school, name="同事")
    own = TeacherPlan(teacher_id=teacher.id, school_id=world.school.id)
    theirs = TeacherPlan(teacher_id=colleague.id, school_id=world.school.id)
    assert may(teacher, "teacher_plan.edit", own)
    assert not may(teacher, "teacher_plan.edit", theirs)
    assert policy.in_scope(world.users["planning"], theirs)  # the school sees its teachers'
    assert not policy.in_scope(world.users["other_planning"], theirs)
    assert policy.in_scope(world.users["county"], theirs)
    assert not policy.in_scope(world.users["other_county"], theirs)


def test_landing_pages(world):
    landing = {who: policy.landing_endpoint(world.users[who]) for who in ROLES[1:]}
    assert landing == {
        "teacher": "teacher.dashboard",
        "chief": "school.dashboard",
        "planning": "school.dashboard",
        "roster_only": "school.dashboard",
        "other_planning": "school.dashboard",
        "region": "region.home",
        "county": "authority.home",
        "other_county": "authority.home",
        "national": "authority.home",
        "operator": "operator.home",
    }


# ---- scopes ---------------------------------------------------------------------------------


def test_school_scopes(world):
    everything = {"高雄市立甲國小", "高雄市立乙國小", "臺北市立丙國小"}
    expected = {
        "anonymous": set(),
        "teacher": {"高雄市立甲國小"},
        "chief": {"高雄市立甲國小"},
        "planning": {"高雄市立甲國小"},
        "roster_only": {"高雄市立甲國小"},
        "other_planning": {"高雄市立乙國小"},
        "region": {"高雄市立甲國小", "高雄市立乙國小"},  # not the school outside its counties
        "county": {"高雄市立甲國小", "高雄市立乙國小"},
        "other_county": {"臺北市立丙國小"},
        "national": everything,
        "operator": everything,
    }
    for who, names in expected.items():
        assert _names(policy.schools_in_scope(world.users[who])) == names, who
        for school in (world.school, world.other_school, world.far_school):
            assert policy.in_scope(world.users[who], school) == (school.name in names), who


def test_county_scopes(world):
    expected = {
        "anonymous": set(),
        "teacher": {"高雄市"},
        "planning": {"高雄市"},
        "region": {"高雄市"},
        "county": {"高雄市"},
        "other_county": {"臺北市"},
        "national": {"高雄市", "臺北市"},
        "operator": {"高雄市", "臺北市"},
    }
    for who, names in expected.items():
        assert _names(policy.counties_in_scope(world.users[who])) == names, who


def test_teacher_scopes(world, factory):
    far_teacher = factory.teacher(world.far_school, name="臺北老師")
    db.session.commit()
    expected = {
        "anonymous": set(),
        "teacher": {"王小明"},
        "chief": {"王小明"},
        "other_planning": set(),
        "region": {"王小明"},
        "county": {"王小明"},
        "other_county": {"臺北老師"},
        "national": {"王小明", "臺北老師"},
        "operator": {"王小明", "臺北老師"},
    }
    for who, names in expected.items():
        assert _names(policy.teachers_in_scope(world.users[who])) == names, who
    assert policy.in_scope(world.users["other_county"], far_teacher)
    assert not policy.in_scope(world.users["county"], far_teacher)


def test_plan_scopes(world, factory):
    cycle = import_113()
    questionnaires = {q.plan_kind: q for q in db.session.scalars(select(Questionnaire)).all()}
    teacher = world.users["teacher"]
    far_teacher = factory.teacher(world.far_school, name="臺北老師")
    for school in (world.school, world.far_school):
        db.session.add(
            SchoolPlan(
                cycle_id=cycle.id,
                school_id=school.id,
                questionnaire_id=questionnaires[PlanKind.SCHOOL].id,
            )
        )
    for who, school in ((teacher, world.school), (far_teacher, world.far_school)):
        db.session.add(
            TeacherPlan(
                cycle_id=cycle.id,
                teacher_id=who.id,
                school_id=school.id,
                questionnaire_id=questionnaires[PlanKind.TEACHER].id,
            )
        )
    db.session.commit()

    def school_plans(who: str) -> set[int]:
        query = policy.school_plans_in_scope(world.users[who])
        return {plan.school_id for plan in db.session.scalars(query)}

    def teacher_plans(who: str) -> set[int]:
        query = policy.teacher_plans_in_scope(world.users[who])
        return {plan.teacher_id for plan in db.session.scalars(query)}

    both = {world.school.id, world.far_school.id}
    assert school_plans("planning") == {world.school.id}
    assert school_plans("other_planning") == set()
    assert school_plans("teacher") == {world.school.id}  # his own school's plan
    assert school_plans("region") == {world.school.id}
    assert school_plans("other_county") == {world.far_school.id}
    assert school_plans("national") == both
    assert school_plans("anonymous") == set()
    assert teacher_plans("teacher") == {teacher.id}
    assert teacher_plans("planning") == {teacher.id}
    assert teacher_plans("county") == {teacher.id}
    assert teacher_plans("other_county") == {far_teacher.id}
    assert teacher_plans("operator") == {teacher.id, far_teacher.id}
    assert teacher_plans("anonymous") == set()


# ---- the route × role matrix ---------------------------------------------------------------

# endpoint → (method, path, action). Every rule of app.url_map but static; the action is
# the one the view runs under (checked against the view), None for the sign-in pages,
# which the auth feature serves outside the policy (anyone may open them).
ROUTES: dict[str, tuple[str, str, str | None]] = {
    "main.home": ("GET", "/", "public.view"),
    "main.cycle_schedule": ("GET", "/cycles/113", "public.view"),
    "main.healthz": ("GET", "/healthz", "public.view"),
    "main.choose_language": ("GET", "/lang/zh", "public.view"),
    "reports.manual_pdf": ("GET", "/manuals/school.pdf", "public.view"),
    "auth.school_login": ("GET", "/school/login", None),
    "auth.teacher_login": ("GET", "/teacher/login", None),
    "sso.login": ("GET", "/sso/login", None),  # single sign-on: sign-in pages too
    "sso.callback": ("GET", "/sso/callback", None),
    "teacher.dashboard": ("GET", "/teacher/", "teacher.home"),
    "teacher.plan": ("GET", "/teacher/plan", "teacher_plan.edit"),
    "teacher.autosave": ("POST", "/teacher/plan/autosave", "teacher_plan.edit"),
    "teacher.reopen_plan": ("POST", "/teacher/plan/reopen", "teacher_plan.edit"),
    "teacher.review_plan": ("GET", "/teacher/plan/review", "teacher_plan.edit"),
    "teacher.plan_pdf": ("GET", "/teacher/plan.pdf", "teacher_report.view"),
    "school.dashboard": ("GET", "/school/", "business.home"),
    "school.plan": ("GET", "/school/plan", "school_plan.edit"),
    "school.autosave": ("POST", "/school/plan/autosave", "school_plan.edit"),
    "school.reopen_plan": ("POST", "/school/plan/reopen", "school_plan.edit"),
    "school.review_plan": ("GET", "/school/plan/review", "school_plan.edit"),
    "school.plan_pdf": ("GET", "/school/plan.pdf", "school_report.view"),
    "school.exports_page": ("GET", "/school/exports", "school_export.create"),
    "school.export_download": ("GET", "/school/exports/{job}.zip", "school_export.download"),
    "oversight.county_pdf": ("GET", "/oversight/county.pdf", "county_report.view"),
    "oversight.national_pdf": ("GET", "/oversight/national.pdf", "national_report.view"),
    "plans.fresh_token": ("GET", "/plans/token", "public.view"),
    "plans.signed_in": ("GET", "/plans/signed-in", "public.view"),
    "region.home": ("GET", "/region/", "region.home"),
    "authority.home": ("GET", "/authority/", "authority.home"),
    "operator.home": ("GET", "/operator/", "operator.home"),
    "auth.keepalive": ("POST", "/session/keepalive", "session.keepalive"),
    "auth.school_locks": ("GET", "/school/locks", "sign_in_lock.release"),
    "accounts.apply": ("GET", "/school/apply", "public.view"),
    "accounts.school_suggestions": ("GET", "/school/apply/schools?school_query=甲", "public.view"),
    "accounts.school_accounts": ("GET", "/school/accounts", "school_accounts.list"),
    "accounts.change_status": ("GET", "/school/accounts/{account}/disable", "account.manage"),
    "accounts.change_types": ("GET", "/school/accounts/{account}/types", "account.manage"),
    "accounts.own_contact": ("GET", "/school/account", "account.own_contact"),
    "accounts.region_schools": ("GET", "/region/schools", "chief_accounts.overview"),
    "accounts.region_school": ("GET", "/region/schools/{school}", "chief_accounts.overview"),
    "courses.index": ("GET", "/school/courses/", "course.view"),
    "courses.register": ("GET", "/school/courses/new", "course.manage"),
    "courses.advance": ("POST", "/school/courses/{course}/advance", "course.manage"),
    "audit_log.school_audit": ("GET", "/school/audit", "audit.school"),
    "audit_log.region_audit": ("GET", "/region/audit", "audit.region"),
    "audit_log.operator_audit": ("GET", "/operator/audit", "audit.all"),
    "roster_admin.roster": ("GET", "/school/roster", "roster.edit"),
    "roster_admin.register": ("GET", "/school/roster/register", "roster.edit"),
    "roster_admin.edit": ("GET", "/school/roster/{teacher}/edit", "roster.edit"),
    "roster_admin.end": ("GET", "/school/roster/{teacher}/end", "roster.edit"),
    "roster_admin.reset_link": ("POST", "/school/roster/{teacher}/reset-link", "roster.edit"),
    "profile.password": ("GET", "/account/password", "profile.edit"),
    "profile.contact": ("GET", "/account/contact", "profile.edit"),
    "profile.forgot": ("GET", "/password/forgot", "public.view"),
    "profile.use_link": ("GET", "/password/link/no-such-token", "public.view"),
    "feeds.sync_runs": ("GET", "/operator/sync-runs/", "sync_runs.view"),
    "feeds.sync_run": ("GET", "/operator/sync-runs/{run}", "sync_runs.view"),
    # single sign-on for business accounts: one's own link
    "sso.account": ("GET", "/sso/account", "sso_link.manage"),
    "sso.link": ("POST", "/sso/account/link", "sso_link.manage"),
    "sso.unlink": ("GET", "/sso/account/unlink", "sso_link.manage"),
    # plan history: earlier cycles, versions, comparisons, PDFs; prefill from last cycle
    "history.teacher_plans": ("GET", "/teacher/plans", "teacher_plan.history"),
    "history.teacher_plan": ("GET", "/teacher/plans/113", "teacher_plan.history"),
    "history.teacher_plan_pdf": ("GET", "/teacher/plans/113/plan.pdf", "teacher_plan.history"),
    "history.teacher_versions": ("GET", "/teacher/plans/113/versions", "teacher_plan.history"),
    "history.teacher_version": ("GET", "/teacher/plans/113/versions/1", "teacher_plan.history"),
    "history.teacher_version_pdf": (
        "GET",
        "/teacher/plans/113/versions/1.pdf",
        "teacher_plan.history",
    ),
    "history.teacher_compare": ("GET", "/teacher/plans/113/compare", "teacher_plan.history"),
    "history.teacher_prefill": ("POST", "/teacher/plan/prefill", "teacher_plan.edit"),
    "history.school_plans": ("GET", "/school/plans", "school_plan.history"),
    "history.school_plan": ("GET", "/school/plans/113", "school_plan.history"),
    "history.school_plan_pdf": ("GET", "/school/plans/113/plan.pdf", "school_plan.history"),
    "history.school_versions": ("GET", "/school/plans/113/versions", "school_plan.history"),
    "history.school_version": ("GET", "/school/plans/113/versions/1", "school_plan.history"),
    "history.school_version_pdf": (
        "GET",
        "/school/plans/113/versions/1.pdf",
        "school_plan.history",
    ),
    "history.school_compare": ("GET", "/school/plans/113/compare", "school_plan.history"),
    "history.school_prefill": ("POST", "/school/plan/prefill", "school_plan.edit"),
    # operator console: cycles (by academic year; none exists here, so an operator gets a
    # 404 after passing the policy) and 最新消息
    "operator.cycles": ("GET", "/operator/cycles/", "cycle.setup"),
    "operator.cycle_new": ("GET", "/operator/cycles/new", "cycle.setup"),
    "operator.cycle": ("GET", "/operator/cycles/113", "cycle.setup"),
    "operator.cycle_publish": ("POST", "/operator/cycles/113/publish", "cycle.setup"),
    "operator.cycle_close": ("GET", "/operator/cycles/113/close", "cycle.setup"),
    "operator.cycle_snapshot": ("GET", "/operator/cycles/113/snapshot", "cycle.setup"),
    "operator.cycle_questionnaire": (
        "GET",
        "/operator/cycles/113/questionnaires/school",
        "cycle.setup",
    ),
    "announcements.index": ("GET", "/operator/announcements/", "announcement.manage"),
    "announcements.new": ("GET", "/operator/announcements/new", "announcement.manage"),
    "announcements.edit": ("GET", "/operator/announcements/1/edit", "announcement.manage"),
    "announcements.delete": ("GET", "/operator/announcements/1/delete", "announcement.manage"),
    # 延長填寫 and 催填
    "deadlines.index": ("GET", "/oversight/extensions/", "extension.view"),
    "deadlines.grant": ("GET", "/oversight/extensions/new", "extension.grant"),
    "deadlines.bulk": ("GET", "/oversight/extensions/bulk", "extension.grant"),
    "deadlines.revoke": ("GET", "/oversight/extensions/{extension}/revoke", "extension.revoke"),
    "deadlines.revoke_batch": (
        "GET",
        "/oversight/extensions/batches/{extension_batch}/revoke",
        "extension.revoke",
    ),
    "reminders.index": ("GET", "/oversight/reminders/", "reminder.send"),
    "reminders.new": ("GET", "/oversight/reminders/new", "reminder.send"),
    "reminders.batch": ("GET", "/oversight/reminders/{reminder}", "reminder.send"),
    # 進修需求分析 (needs analytics)
    "analytics.oversight": ("GET", "/oversight/analytics", "needs_analytics.view"),
    "analytics.school": ("GET", "/school/analytics", "school_analytics.view"),
    "analytics.oversight_export": ("GET", "/oversight/analytics.xlsx", "needs_analytics.view"),
    "analytics.school_export": ("GET", "/school/analytics.csv", "school_analytics.view"),
    # ---- completion dashboards and their exports ----
    "oversight.dashboard": ("GET", "/oversight/dashboard", "dashboard.view"),
    "oversight.dashboard_export": ("GET", "/oversight/dashboard.csv", "dashboard.view"),
    "oversight.county": ("GET", "/oversight/dashboard/counties/64000", "dashboard.view"),
    "oversight.county_export": (
        "GET",
        "/oversight/dashboard/counties/64000.xlsx",
        "dashboard.view",
    ),
    "oversight.national_schools": (
        "GET",
        "/oversight/dashboard/national-schools",
        "dashboard.national_schools",
    ),
    "oversight.national_schools_export": (
        "GET",
        "/oversight/dashboard/national-schools.csv",
        "dashboard.national_schools",
    ),
    "oversight.schools": ("GET", "/oversight/dashboard/schools", "dashboard.view"),
    "oversight.schools_export": ("GET", "/oversight/dashboard/schools.csv", "dashboard.view"),
    "oversight.school": ("GET", "/oversight/dashboard/schools/{school}", "dashboard.school"),
    "oversight.school_export": (
        "GET",
        "/oversight/dashboard/schools/{school}.csv",
        "dashboard.school",
    ),
    "auth.logout": ("POST", "/logout", None),  # last: it ends the session
}

# The object each route acts on, as the policy sees it (None: no object).
OBJECTS = {
    "school.plan": lambda w, user: _own_school(user),
    "school.autosave": lambda w, user: _own_school(user),
    "school.reopen_plan": lambda w, user: _own_school(user),
    "school.review_plan": lambda w, user: _own_school(user),
    "school.exports_page": lambda w, user: _own_school(user),
    "school.plan_pdf": lambda w, user: _own_school(user),
    "school.export_download": lambda w, user: w.job,
    "oversight.county_pdf": lambda w, user: _own_county(user),
    "analytics.oversight": lambda w, user: _own_county(user) or _analytics_area(user),
    "analytics.school": lambda w, user: _own_school(user),
    "analytics.oversight_export": lambda w, user: _own_county(user) or _analytics_area(user),
    "analytics.school_export": lambda w, user: _own_school(user),
    "accounts.school_accounts": lambda w, user: _own_school(user),
    "accounts.change_status": lambda w, user: w.users["planning"],
    "accounts.change_types": lambda w, user: w.users["planning"],
    "accounts.region_school": lambda w, user: w.school,
    "courses.index": lambda w, user: _own_school(user),
    "courses.register": lambda w, user: _own_school(user),
    "courses.advance": lambda w, user: w.course,
    "audit_log.school_audit": lambda w, user: _own_school(user),
    "roster_admin.roster": lambda w, user: _own_school(user),
    "roster_admin.register": lambda w, user: _own_school(user),
    "roster_admin.edit": lambda w, user: _own_school(user),
    "roster_admin.end": lambda w, user: _own_school(user),
    "roster_admin.reset_link": lambda w, user: _own_school(user),
    # plan history: a school account's own school's plans (a teacher's: his own, by id)
    "history.school_plans": lambda w, user: _own_school(user),
    "history.school_plan": lambda w, user: _own_school(user),
    "history.school_plan_pdf": lambda w, user: _own_school(user),
    "history.school_versions": lambda w, user: _own_school(user),
    "history.school_version": lambda w, user: _own_school(user),
    "history.school_version_pdf": lambda w, user: _own_school(user),
    "history.school_compare": lambda w, user: _own_school(user),
    "history.school_prefill": lambda w, user: _own_school(user),
    "deadlines.revoke": lambda w, user: ScopedExtension(w.extension, w.school.id),
    "deadlines.revoke_batch": lambda w, user: ScopedBatch("64000", w.extension_batch),
    "reminders.batch": lambda w, user: ScopedSchoolReminder(w.reminder, w.school.id),
    "oversight.county": lambda w, user: CountyRef("64000"),
    "oversight.county_export": lambda w, user: CountyRef("64000"),
    "oversight.school": lambda w, user: w.school,
    "oversight.school_export": lambda w, user: w.school,
}


# Routes whose loader reads through the user's scope: another school's object is a 404.
SCOPED_LOADERS = {
    "school.export_download",
    "deadlines.revoke",
    "deadlines.revoke_batch",
    "reminders.batch",
    "oversight.school",
    "oversight.school_export",
}


def _own_school(user: Any) -> School | None:
    return user.school if isinstance(user, BusinessAccount) else None


def _analytics_area(user: Any) -> Any:
    """/oversight/analytics without ?county=: a region's first county, else the nation."""
    from app.analytics.services import NATION

    if isinstance(user, BusinessAccount) and user.kind == AccountKind.REGION:
        return CountyRef("64000")
    return NATION


def _own_county(user: Any) -> CountyRef | None:
    if isinstance(user, BusinessAccount) and user.authority is not None:
        code = user.authority.county_code
        return CountyRef(code) if code else None
    return None


def test_every_route_is_listed(app: Flask):
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules() if rule.endpoint != "static"}
    assert endpoints == set(ROUTES), "list every new route in ROUTES (and in app.policy)"
    for endpoint, (method, _path, action) in ROUTES.items():
        rules = [rule for rule in app.url_map.iter_rules() if rule.endpoint == endpoint]
        assert any(method in (rule.methods or ()) for rule in rules), endpoint
        assert app.view_functions[endpoint].__dict__.get("policy_action") == action, endpoint
        if action is not None:
            assert action in policy.POLICY


def _expected(world: World, who: str, endpoint: str, action: str | None) -> str:
    """What the policy says this role gets: "login", "forbidden" or "allowed"."""
    user = world.users[who]
    if action is None:
        return "login" if endpoint == "auth.logout" and user is None else "allowed"
    if user is None and Role.ANONYMOUS not in policy.POLICY[action]:
        return "login"
    if not may(user, action):
        return "forbidden"
    obj = OBJECTS.get(endpoint, lambda w, u: None)(world, user)
    if obj is not None and not may(user, action, obj):
        # Loaders that read through the scope answer an out-of-scope object as missing.
        return "missing" if endpoint in SCOPED_LOADERS else "forbidden"
    return "allowed"


def _outcome(response) -> str:
    location = response.headers.get("Location", "")
    if response.status_code in (302, 303) and "/login" in location:
        return "login"
    body = response.get_data(as_text=True)
    if response.status_code == 403 and 'data-error="forbidden"' in body:
        return "forbidden"
    assert response.status_code < 500, response.status_code
    return "allowed"


@pytest.mark.parametrize("who", ROLES)
def test_route_role_matrix(app, client, world, monkeypatch, who):
    def no_rendering(document):  # the matrix checks access, not PDFs
        raise jobs.RenderPending(document.ref_key)

    monkeypatch.setattr(jobs, "obtain", no_rendering)
    user = world.users[who]
    if isinstance(user, Teacher):
        login_teacher(client, user)
    elif user is not None:
        login_account(client, user)
    wrong = []
    for endpoint, (method, path, action) in ROUTES.items():
        url = path.format(
            job=world.job.id,
            account=world.users["planning"].id,
            school=world.school.id,
            course=world.course.id,
            teacher=world.users["teacher"].id,
            run=world.sync_run.id,
            extension=world.extension.id,
            extension_batch=world.extension_batch.id,
            reminder=world.reminder.id,
        )
        response = client.open(url, method=method, data={"version": "0"})
        expected = _expected(world, who, endpoint, action)
        got = _outcome(response)
        if expected == "missing" and response.status_code == 404:
            got = "missing"
        if got != expected:
            wrong.append(f"{method} {url}: expected {expected}, got {got} ({response.status_code})")
    assert not wrong, "\n".join(wrong)


def test_staff_landing_pages_show_what_the_policy_allows(client, world):
    national = world.users["national"]
    login_account(client, national)
    page = client.get("/authority/").get_data(as_text=True)
    assert "/oversight/national.pdf" in page
    assert "/oversight/county.pdf" not in page
    client.post("/logout")
    login_account(client, world.users["county"])
    page = client.get("/authority/").get_data(as_text=True)
    assert "/oversight/county.pdf" in page
    assert "/oversight/national.pdf" not in page
    assert "所轄學校數</dt><dd>2" in page
    client.post("/logout")
    login_account(client, world.users["operator"])
    page = client.get("/operator/").get_data(as_text=True)
    assert "/oversight/national.pdf" in page
    assert 'value="63000"' in page
    assert 'value="64000"' in page
    client.post("/logout")
    login_account(client, world.users["region"])
    page = client.get("/region/").get_data(as_text=True)
    assert "高雄市" in page
    assert "臺北市" not in page
    assert "/oversight/county.pdf" not in page
    assert "/oversight/national.pdf" not in page
    assert "/oversight/dashboard" in page  # the completion dashboard of its counties


@pytest.mark.parametrize(
    ("who", "landing"),
    [
        ("region", "/region/"),
        ("county", "/authority/"),
        ("operator", "/operator/"),
        ("chief", "/school/"),
    ],
)
def test_sign_in_lands_on_each_kinds_page(client, world, who, landing):
    response = login_account(client, world.users[who])
    assert response.status_code == 303
    assert response.headers["Location"] == landing
