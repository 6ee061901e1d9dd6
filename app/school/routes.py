"""/school/: 業務專區 of a school's business accounts — the school plan, its PDF, exports."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from flask import (
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from werkzeug.wrappers import Response as BaseResponse

from app import events, htmx, lifecycle, policy, timeutil
from app.cycles.windows import WindowState, current_cycle
from app.extensions import db
from app.forms import EmptyForm
from app.history import services as history
from app.lifecycle import handles, signed_in_account
from app.models import (
    ACCOUNT_TYPE_LABELS,
    BusinessAccount,
    Cycle,
    Job,
    PlanKind,
    School,
    SchoolPlan,
    Stage,
)
from app.oversight.dashboard import rate_text, school_plan_label
from app.plans import services
from app.plans.services import PlanContext
from app.plans.views import (
    confirm_review,
    handle_autosave,
    handle_post,
    handle_reopen,
    render_plan,
    show_review,
)
from app.reports import documents, exports
from app.reports.delivery import requested_cycle, serve
from app.roster_admin.routes import external_roster
from app.school import bp
from app.stats.completion import Completion
from app.stats.dashboards import (
    TeacherRow,
    extended_state,
    school_extensions,
    teacher_counts,
    teacher_rows,
    window_states,
)
from app.stats.scope import one_school

PAGE = "school/plan.html"
TEACHER_CAP = 30  # the dashboard lists this many teachers; 本校填報進度 lists them all


def _actor(account: BusinessAccount) -> str:
    return f"{account.name}（{account.username}）"


# ---- loaders -----------------------------------------------------------------------------


def own_school(account: BusinessAccount) -> School | None:
    """The account's own school (the only one in a school account's scope)."""
    return db.session.scalar(policy.schools_in_scope(account).where(School.id == account.school_id))


def school_plan_context(account: BusinessAccount) -> PlanContext | None:
    """The school plan's context; 403 for a stage that does not fill a school plan."""
    if account.school_id is None:
        return None
    ctx = services.load_school_context(account.school_id)
    if ctx is None or ctx.questionnaire is None:
        return None
    if not ctx.taking_part:
        abort(403)
    return ctx


def school_plan_of_cycle(account: BusinessAccount) -> SchoolPlan | None:
    """The school plan of the cycle asked for (?year=), read through the account's scope."""
    cycle = requested_cycle()
    return db.session.scalar(
        policy.school_plans_in_scope(account).where(
            SchoolPlan.cycle_id == cycle.id, SchoolPlan.school_id == account.school_id
        )
    )


def export_job(account: BusinessAccount, job_id: int) -> Job | None:
    """An export job by id, read through the account's scope: another school's job is
    missing (404) exactly as one that does not exist, so nothing tells it exists."""
    job = db.session.get(Job, job_id)
    if job is None or job.kind != exports.EXPORT_KIND or not policy.in_scope(account, job):
        return None
    return job


# ---- views -------------------------------------------------------------------------------


@dataclass(frozen=True)
class TeacherProgress:
    """The school's teachers on its dashboard: the roster snapshot against their plans.

    ``rows`` holds at most TEACHER_CAP teachers, those still to fill first (未填寫, then
    草稿); ``counts`` covers the whole snapshot. ``reason`` says why there is no list.
    """

    window: WindowState | None = None
    counts: Completion = field(default_factory=Completion)
    rows: list[TeacherRow] = field(default_factory=list)
    reason: str = ""  # "not_taking_part", "no_snapshot" (before the roster cutoff), or ""

    @property
    def more(self) -> int:
        """Teachers of the snapshot not listed on the dashboard."""
        return self.counts.roster - len(self.rows)


def teacher_progress(cycle: Cycle, school: School) -> TeacherProgress:
    """The teacher plan window as the school sees it and its teachers' progress: two
    grouped reads of the snapshot (the counts, one capped page), whatever the roster."""
    moment = timeutil.now()
    window = window_states(cycle, moment).get((PlanKind.TEACHER, school.stage))
    if window is None or (
        school.stage == Stage.KINDERGARTEN and not cycle.kindergarten_teachers_take_part
    ):
        return TeacherProgress(reason="not_taking_part")
    until = school_extensions(cycle, one_school(school.id)).get(school.id)
    window = extended_state(window, until.teacher_plan_until if until else None)
    if cycle.snapshot_taken_at is None:
        return TeacherProgress(window, reason="no_snapshot")
    counts = teacher_counts(cycle, school.id)
    rows = []
    if counts.roster:
        rows = teacher_rows(cycle, school.id, sort="state", descending=True, limit=TEACHER_CAP)
    return TeacherProgress(window, counts, rows)


@bp.get("/")
@handles("business.home")
def dashboard() -> Any:
    account = signed_in_account()
    landing = policy.landing_endpoint(account)
    if landing != policy.SCHOOL_LANDING:
        # The 業務專區 link and old bookmarks reach staff kinds here: show their own page.
        return current_app.view_functions[landing]()
    cycle = current_cycle()
    school = account.school
    ctx = None
    if cycle is not None and school is not None:
        ctx = services.load_school_context(school.id)
    teachers = None
    if ctx is not None and policy.may(account, "dashboard.school", school):
        teachers = teacher_progress(ctx.cycle, ctx.school)
    types = [ACCOUNT_TYPE_LABELS[t] for t in sorted(account.types)]
    return render_template(
        "school/dashboard.html",
        account=account,
        cycle=cycle,
        ctx=ctx,
        state=ctx.state if ctx else None,
        plan=ctx.plan if ctx else None,
        teachers=teachers,
        external=external_roster(school) if school is not None else None,
        school_plan_label=school_plan_label,
        rate_text=rate_text,
        kindergarten=school is not None and school.stage == Stage.KINDERGARTEN,
        type_labels=types,
    )


def _extra(ctx: PlanContext) -> dict[str, Any]:
    return {
        "history": history.prefill_panel(ctx),  # 帶入去年資料 and the version history
        "urls": {
            "self": url_for("school.plan"),
            "autosave": url_for("school.autosave"),
            "reopen": url_for("school.reopen_plan"),
        },
    }


@bp.route("/plan", methods=["GET", "POST"])
@handles("school_plan.edit", load=school_plan_context)
def plan(ctx: PlanContext) -> Response:
    if request.method == "GET":
        return render_plan(ctx, PAGE, **_extra(ctx))
    return handle_post(
        ctx,
        PAGE,
        _actor(signed_in_account()),
        self_url=url_for("school.plan"),
        review_url=url_for("school.review_plan"),
        after_submit=events.plan_was_submitted,
        **_extra(ctx),
    )


@bp.post("/plan/autosave")
@handles("school_plan.edit", load=school_plan_context)
def autosave(ctx: PlanContext) -> Response:
    return handle_autosave(ctx, _actor(signed_in_account()))


@bp.post("/plan/reopen")
@handles("school_plan.edit", load=school_plan_context)
def reopen_plan(ctx: PlanContext) -> Response:
    return handle_reopen(
        ctx, PAGE, _actor(signed_in_account()), self_url=url_for("school.plan"), **_extra(ctx)
    )


@bp.get("/plan.pdf")
@handles("school_report.view", load=school_plan_of_cycle)
def plan_pdf(plan: SchoolPlan) -> Response:
    return serve(documents.school_plan_document(plan))


@bp.route("/exports", methods=["GET", "POST"])
@handles("school_export.create", load=own_school)
def exports_page(school: School) -> BaseResponse:
    cycle = requested_cycle()
    form = EmptyForm()
    if request.method == "POST":
        if form.validate_on_submit():
            job = exports.request_export(signed_in_account(), school, cycle)
            if job is None:
                flash("已有匯出工作進行中，請待其完成後再重新產生。", "info")
            else:
                job_id = job.id
                lifecycle.after_commit(lambda: exports.start_export(job_id))
                flash("已開始產生全校教師進修規劃 PDF 壓縮檔。", "ok")
        return redirect(url_for("school.exports_page"), 303)
    rows = exports.export_jobs_of(school)
    return htmx.render(
        "reports/exports.html",
        "reports/_export_jobs.html",
        form=form,
        cycle_name=cycle.label,
        school_name=school.name,
        jobs=rows,
        polling=any(row["active"] for row in rows),
    )


@bp.get("/exports/<id:job_id>.zip")
@handles("school_export.download", load=export_job)
def export_download(job: Job, job_id: int) -> Response:
    path = exports.export_path(job)
    if path is None:
        abort(404)
    response = send_file(
        path,
        mimetype="application/zip",
        as_attachment=True,
        download_name=exports.export_filename(job),
        conditional=False,
        etag=False,
        max_age=None,
    )
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@bp.route("/plan/review", methods=["GET", "POST"])
@handles("school_plan.edit", load=school_plan_context)
def review_plan(ctx: PlanContext) -> Response:
    """Check every answer before submitting (GET); 確認送出 submits what was shown (POST)."""
    urls = {"self_url": url_for("school.plan"), "review_url": url_for("school.review_plan")}
    if request.method == "GET":
        return show_review(ctx, **urls)
    return confirm_review(
        ctx,
        PAGE,
        _actor(signed_in_account()),
        after_submit=events.plan_was_submitted,
        **urls,
        **_extra(ctx),
    )
