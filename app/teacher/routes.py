"""/teacher/: a teacher's own dashboard, plan form and the plan's PDF."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Response, abort, make_response, render_template, request, url_for

from app import events
from app.cycles.windows import current_cycle
from app.history import services as history
from app.i18n import questionnaire_lang, teacher_actor
from app.lifecycle import handles, signed_in_teacher
from app.models import Teacher
from app.params import query_int
from app.plans import services
from app.plans.services import PlanContext
from app.plans.views import (
    confirm_review,
    handle_autosave,
    handle_post,
    handle_reopen,
    plan_state,
    render_plan,
    show_review,
)
from app.questionnaires import engine
from app.reports import documents
from app.reports.delivery import serve
from app.roster import school_of
from app.teacher import bp

PAGE = "teacher/plan.html"


def _actor(teacher: Teacher) -> str:
    return teacher_actor(teacher.name)


# ---- loaders: the teacher's own plan context, or an explanation --------------------------


def _context_or_explain(teacher: Teacher, *, with_school_plan: bool) -> PlanContext:
    ctx = services.load_teacher_context(teacher, with_school_plan=with_school_plan)
    if ctx is None or ctx.questionnaire is None:
        abort(_not_in_snapshot(teacher))
    return ctx


def plan_with_school_plan(teacher: Teacher) -> PlanContext:
    """The teacher's plan context with the own school's submitted plan to adopt from."""
    return _context_or_explain(teacher, with_school_plan=True)


def plan_only(teacher: Teacher) -> PlanContext:
    """The teacher's plan context for autosave: with the school plan (a join, no extra
    query), so that adopted rows keep their marker."""
    return _context_or_explain(teacher, with_school_plan=True)


def _not_in_snapshot(teacher: Teacher) -> Response:
    cycle = current_cycle()
    return make_response(
        render_template("teacher/not_in_roster.html", teacher=teacher, cycle=cycle), 403
    )


# ---- views -------------------------------------------------------------------------------


@bp.get("/")
@handles("teacher.home")
def dashboard() -> str:
    teacher = signed_in_teacher()
    cycle = current_cycle()
    school = school_of(teacher)
    # The window that governs the plan is the snapshot school's, as on the plan page.
    ctx = services.load_teacher_context(teacher) if cycle else None
    return render_template(
        "teacher/dashboard.html",
        teacher=teacher,
        school=school,
        cycle=cycle,
        state=ctx.state if ctx else None,
        ctx=ctx,
        **(plan_state(ctx) if ctx else {}),
    )


def _school_plan_rows(ctx: PlanContext) -> dict[str, Any] | None:
    """The own school's submitted plan, as plain rows the teacher may adopt."""
    plan = ctx.school_plan
    if plan is None:
        return None
    summary = engine.summarise(plan.definition, plan.answers, questionnaire_lang())
    activities = next(
        (q for s in summary for q in s["questions"] if q["code"] == engine.ACTIVITIES), None
    )
    rows = list(engine.iter_rows(plan.definition, plan.answers, engine.ACTIVITIES))
    return {"rows": rows, "activities": activities}


def _extra(ctx: PlanContext) -> dict[str, Any]:
    return {
        "school_plan": _school_plan_rows(ctx),
        "history": history.prefill_panel(ctx),  # 帶入去年資料 and the version history
        "urls": {
            "self": url_for("teacher.plan"),
            "autosave": url_for("teacher.autosave"),
            "reopen": url_for("teacher.reopen_plan"),
            "pdf": url_for("teacher.plan_pdf"),
        },
    }


def _adopter(ctx: PlanContext) -> Callable[[dict[str, Any], str], dict[str, Any]]:
    def adopt(answers: dict[str, Any], raw: str) -> dict[str, Any]:
        school = ctx.school_plan or services.submitted_school_plan(ctx.cycle.id, ctx.school.id)
        if school is None or not raw.isdigit() or len(raw) > 4:
            return answers
        adopted: dict[str, Any] = engine.adopt_rows(
            school.definition, school.answers, ctx.definition, answers, [int(raw)]
        )
        return adopted

    return adopt


@bp.route("/plan", methods=["GET", "POST"])
@handles("teacher_plan.edit", load=plan_with_school_plan)
def plan(ctx: PlanContext) -> Response:
    if request.method == "GET":
        return render_plan(ctx, PAGE, **_extra(ctx))
    return handle_post(
        ctx,
        PAGE,
        _actor(signed_in_teacher()),
        self_url=url_for("teacher.plan"),
        review_url=url_for("teacher.review_plan"),
        after_submit=events.plan_was_submitted,
        adopt=_adopter(ctx),
        **_extra(ctx),
    )


@bp.post("/plan/autosave")
@handles("teacher_plan.edit", load=plan_only)
def autosave(ctx: PlanContext) -> Response:
    return handle_autosave(ctx, _actor(signed_in_teacher()))


@bp.post("/plan/reopen")
@handles("teacher_plan.edit", load=plan_with_school_plan)
def reopen_plan(ctx: PlanContext) -> Response:
    return handle_reopen(
        ctx, PAGE, _actor(signed_in_teacher()), self_url=url_for("teacher.plan"), **_extra(ctx)
    )


@bp.get("/plan.pdf")
@handles("teacher_report.view")
def plan_pdf() -> Response:
    # The document is built from the signed-in teacher's own id: in scope by construction.
    teacher = signed_in_teacher()
    document = documents.teacher_plan_download(teacher.id, query_int("year"))
    if document is None:
        abort(404)
    return serve(document)


@bp.route("/plan/review", methods=["GET", "POST"])
@handles("teacher_plan.edit", load=plan_with_school_plan)
def review_plan(ctx: PlanContext) -> Response:
    """Check every answer before submitting (GET); 確認送出 submits what was shown (POST)."""
    urls = {"self_url": url_for("teacher.plan"), "review_url": url_for("teacher.review_plan")}
    if request.method == "GET":
        return show_review(ctx, **urls)
    return confirm_review(
        ctx,
        PAGE,
        _actor(signed_in_teacher()),
        after_submit=events.plan_was_submitted,
        **urls,
        **_extra(ctx),
    )
