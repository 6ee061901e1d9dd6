from __future__ import annotations

from flask import abort, render_template, request, url_for
from flask_login import current_user

from app.access import account_required, require_school_type
from app.cycles.windows import current_cycle
from app.models import ACCOUNT_TYPE_LABELS, AccountKind, AccountType, BusinessAccount
from app.plans import services
from app.plans.services import PlanContext
from app.plans.views import handle_autosave, handle_post, handle_reopen, render_plan
from app.school import bp

PAGE = "school/plan.html"
PLANNERS = (AccountType.PLANNING, AccountType.CHIEF)


def _account() -> BusinessAccount:
    return current_user._get_current_object()


def _actor(account: BusinessAccount) -> str:
    return f"{account.name}（{account.username}）"


@bp.get("/")
@account_required()
def dashboard():
    account = _account()
    cycle = current_cycle()
    ctx = None
    if cycle is not None and account.school_id is not None:
        ctx = services.load_school_context(account.school_id)
    types = [ACCOUNT_TYPE_LABELS[t] for t in sorted(account.types)]
    may_plan = account.kind == AccountKind.SCHOOL and account.has_type(*PLANNERS)
    return render_template(
        "school/dashboard.html",
        account=account,
        cycle=cycle,
        ctx=ctx,
        state=ctx.state if ctx else None,
        type_labels=types,
        may_plan=may_plan,
    )


def _planner_context() -> tuple[BusinessAccount, PlanContext]:
    account = _account()
    require_school_type(account, *PLANNERS)
    ctx = services.load_school_context(account.school_id)
    if ctx is None or ctx.questionnaire is None:
        abort(404)
    if not ctx.taking_part:
        abort(403)
    return account, ctx


def _extra() -> dict:
    return {
        "urls": {
            "self": url_for("school.plan"),
            "autosave": url_for("school.autosave"),
            "reopen": url_for("school.reopen_plan"),
        }
    }


@bp.route("/plan", methods=["GET", "POST"])
@account_required(AccountKind.SCHOOL)
def plan():
    account, ctx = _planner_context()
    if request.method == "GET":
        return render_plan(ctx, PAGE, **_extra())
    return handle_post(
        ctx,
        PAGE,
        _actor(account),
        self_url=url_for("school.plan"),
        after_submit=_after_submit,
        **_extra(),
    )


@bp.post("/plan/autosave")
@account_required(AccountKind.SCHOOL)
def autosave():
    account, ctx = _planner_context()
    return handle_autosave(ctx, _actor(account))


@bp.post("/plan/reopen")
@account_required(AccountKind.SCHOOL)
def reopen_plan():
    account, ctx = _planner_context()
    return handle_reopen(ctx, PAGE, _actor(account), self_url=url_for("school.plan"), **_extra())


def _after_submit(ctx: PlanContext) -> None:
    from app.reports.jobs import schedule_plan_pdf

    schedule_plan_pdf(ctx.kind.value, ctx.plan_id)
