from __future__ import annotations

from flask import abort, make_response, render_template, request, url_for
from flask_login import current_user

from app.access import teacher_required
from app.cycles.windows import current_cycle
from app.i18n import questionnaire_lang
from app.models import Teacher
from app.plans import services
from app.plans.services import PlanContext
from app.plans.views import handle_autosave, handle_post, handle_reopen, render_plan
from app.questionnaires import engine
from app.roster import school_of
from app.teacher import bp

PAGE = "teacher/plan.html"


def _teacher() -> Teacher:
    return current_user._get_current_object()


def _actor(teacher: Teacher) -> str:
    return f"教師 {teacher.name}"


@bp.get("/")
@teacher_required
def dashboard():
    teacher = _teacher()
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
    )


def _context_or_explain(teacher: Teacher, *, with_school_plan: bool = False) -> PlanContext:
    ctx = services.load_teacher_context(teacher, with_school_plan=with_school_plan)
    if ctx is None or ctx.questionnaire is None:
        abort(_not_in_snapshot(teacher))
    return ctx


def _not_in_snapshot(teacher: Teacher):
    cycle = current_cycle()
    return make_response(
        render_template("teacher/not_in_roster.html", teacher=teacher, cycle=cycle), 403
    )


def _school_plan_rows(ctx: PlanContext) -> dict | None:
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


def _extra(ctx: PlanContext) -> dict:
    return {
        "school_plan": _school_plan_rows(ctx),
        "urls": {
            "self": url_for("teacher.plan"),
            "autosave": url_for("teacher.autosave"),
            "reopen": url_for("teacher.reopen_plan"),
        },
    }


def _adopter(ctx: PlanContext):
    def adopt(answers: dict, raw: str) -> dict:
        school = ctx.school_plan or services.submitted_school_plan(ctx.cycle.id, ctx.school.id)
        if school is None or not raw.isdigit() or len(raw) > 4:
            return answers
        return engine.adopt_rows(
            school.definition, school.answers, ctx.definition, answers, [int(raw)]
        )

    return adopt


@bp.route("/plan", methods=["GET", "POST"])
@teacher_required
def plan():
    teacher = _teacher()
    ctx = _context_or_explain(teacher, with_school_plan=True)
    if request.method == "GET":
        return render_plan(ctx, PAGE, **_extra(ctx))
    return handle_post(
        ctx,
        PAGE,
        _actor(teacher),
        self_url=url_for("teacher.plan"),
        after_submit=_after_submit,
        adopt=_adopter(ctx),
        **_extra(ctx),
    )


@bp.post("/plan/autosave")
@teacher_required
def autosave():
    teacher = _teacher()
    # With the school plan (a join, no extra query): adopted rows keep their marker.
    ctx = _context_or_explain(teacher, with_school_plan=True)
    return handle_autosave(ctx, _actor(teacher))


@bp.post("/plan/reopen")
@teacher_required
def reopen_plan():
    teacher = _teacher()
    ctx = _context_or_explain(teacher, with_school_plan=True)
    return handle_reopen(
        ctx, PAGE, _actor(teacher), self_url=url_for("teacher.plan"), **_extra(ctx)
    )


def _after_submit(ctx: PlanContext) -> None:
    from app.reports.jobs import schedule_plan_pdf

    schedule_plan_pdf(ctx.kind.value, ctx.plan_id)
