"""The request lifecycle shared by the school-plan and teacher-plan pages.

load (one query) → check access (done by the caller) → act → commit once → redirect or
render. One URL serves the page and, for htmx, its partial (app.htmx is the gate).
"""

from __future__ import annotations

from typing import Any

from flask import Response, flash, render_template, request
from flask_babel import gettext as _
from werkzeug.datastructures import MultiDict

from app import htmx, timeutil
from app.extensions import db
from app.i18n import questionnaire_lang
from app.models import PlanKind, PlanStatus
from app.plans import services
from app.plans.services import InvalidAnswers, PlanContext, PlanRefused, VersionConflict
from app.questionnaires import engine

MAX_VERSION = 2**31 - 1


def expected_version(form: MultiDict[str, str]) -> int:
    """The version the form was opened at; anything malformed counts as stale."""
    raw = form.get("version", "")
    if not raw.isdigit() or len(raw) > 10 or int(raw) > MAX_VERSION:
        return -1
    return int(raw)


def adoptable(ctx: PlanContext) -> frozenset[int] | None:
    """The school-plan rows a teacher's activity may name in adopted_from (None: none)."""
    if ctx.kind != PlanKind.TEACHER or ctx.school_plan is None:
        return None
    return engine.adoptable_rows(ctx.school_plan.definition, ctx.school_plan.answers)


def render_plan(
    ctx: PlanContext,
    page: str,
    *,
    answers: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    problem: str | None = None,
    conflict: VersionConflict | None = None,
    status: int = 200,
    **extra: Any,
) -> Response:
    """Render the plan page (or its form partial for htmx) with what the user typed."""
    readonly = (not ctx.state.is_open) or (
        ctx.plan is not None and ctx.plan.status == PlanStatus.SUBMITTED and answers is None
    )
    shown = answers if answers is not None else ctx.answers
    other = None
    if conflict is not None and conflict.current is not None:
        other = engine.summarise(
            ctx.definition, conflict.current.answers, questionnaire_lang(), facts=ctx.facts
        )
    version = ctx.version
    if conflict is not None and conflict.current is not None:
        # The next save is a deliberate choice made after seeing the other change.
        version = conflict.current.version
    return htmx.render(
        page,
        "plans/_form.html",
        status=status,
        ctx=ctx,
        answers=shown,
        errors=errors or {},
        problem=problem,
        readonly=readonly,
        version=version,
        other=other,
        lang=questionnaire_lang(),
        **extra,
    )


def handle_post(
    ctx: PlanContext,
    page: str,
    actor_name: str,
    *,
    self_url: str,
    after_submit: Any = None,
    adopt: Any = None,
    **extra: Any,
) -> Response:
    """Apply one POST of the plan form: save, submit, add/remove a row, or adopt rows."""
    form = request.form
    action = form.get("action", "save")[:200]
    version = expected_version(form)
    answers = engine.parse_form(ctx.definition, form, adoptable=adoptable(ctx))
    if action.startswith(("add_row:", "remove_row:")):
        answers = engine.apply_row_action(ctx.definition, answers, action)
    elif action.startswith("adopt:") and adopt is not None:
        answers = adopt(answers, action.removeprefix("adopt:"))
    try:
        if action == "submit":
            services.submit(ctx, answers, version, actor_name)
            message = _("已送出規劃，謝謝您。送出後於填寫期間內仍可重新開啟修改。")
        else:
            services.save_draft(ctx, answers, version, actor_name)
            message = _("已儲存草稿（%(time)s）。", time=timeutil.roc_time(ctx.moment))
        db.session.commit()
    except InvalidAnswers as refused:
        db.session.rollback()
        return render_plan(
            ctx,
            page,
            answers=answers,
            errors=refused.errors,
            problem=refused.message,
            status=422,
            **extra,
        )
    except VersionConflict as refused:
        db.session.rollback()
        return render_plan(
            ctx,
            page,
            answers=answers,
            problem=refused.message,
            conflict=refused,
            status=409,
            **extra,
        )
    except PlanRefused as refused:
        db.session.rollback()
        return render_plan(ctx, page, answers=answers, problem=refused.message, status=409, **extra)
    if action == "submit" and after_submit is not None:
        after_submit(ctx)
    if action.startswith(("add_row:", "remove_row:", "adopt:")):
        # Stay on the form, showing the new row set; the draft is already saved.
        services.refresh(ctx)
        return render_plan(ctx, page, answers=answers, problem=None, **extra)
    flash(message, "ok")
    return htmx.redirect_to(self_url)


def handle_autosave(ctx: PlanContext, actor_name: str) -> Response:
    """Save the draft quietly; answer with the status line (and the new version)."""
    form = request.form
    answers = engine.parse_form(ctx.definition, form, adoptable=adoptable(ctx))
    version = expected_version(form)
    saved, message, kind = version, "", "ok"
    try:
        saved = services.save_draft(ctx, answers, version, actor_name)
        db.session.commit()
        message = _("已自動儲存 %(time)s", time=timeutil.roc_time(ctx.moment))
    except InvalidAnswers as refused:
        db.session.rollback()
        kind = "error"
        message = _(
            "尚未自動儲存：有 %(count)d 個欄位需要修正，請按「儲存草稿」查看說明。",
            count=len(refused.errors),
        )
    except VersionConflict:
        db.session.rollback()
        kind = "error"
        message = _("尚未自動儲存：這份規劃已在別處更新，請按「儲存草稿」查看差異。")
    except PlanRefused as refused:
        db.session.rollback()
        kind = "error"
        message = _("尚未自動儲存：") + refused.message
    response = Response(
        render_template("plans/_status.html", version=saved, message=message, kind=kind)
    )
    response.headers["Vary"] = "HX-Request"
    return response


def handle_reopen(
    ctx: PlanContext, page: str, actor_name: str, *, self_url: str, **extra: Any
) -> Response:
    try:
        services.reopen(ctx, expected_version(request.form), actor_name)
        db.session.commit()
    except VersionConflict as refused:
        db.session.rollback()
        return render_plan(
            ctx, page, problem=refused.message, conflict=refused, status=409, **extra
        )
    except PlanRefused as refused:
        db.session.rollback()
        return render_plan(ctx, page, problem=refused.message, status=409, **extra)
    flash(_("已重新開啟，請修改後再次送出。"), "ok")
    return htmx.redirect_to(self_url)
