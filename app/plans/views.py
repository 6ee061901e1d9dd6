"""The request lifecycle shared by the school-plan and teacher-plan pages.

load (one query) → check access (done by the caller) → act → redirect or render; the
request lifecycle (app.lifecycle) commits once, or rolls back an error answer. One URL
serves the page and, for htmx, its partial (app.htmx is the gate).
"""

from __future__ import annotations

import re
from typing import Any

from flask import Response, flash, render_template, request
from flask_babel import gettext as _
from flask_babel import ngettext
from werkzeug.datastructures import MultiDict

from app import htmx, lifecycle, timeutil
from app.i18n import actor_filter, datetime_filter, questionnaire_lang
from app.models import PlanKind, PlanStatus
from app.plans import merge, receipts, services
from app.plans.services import InvalidAnswers, PlanContext, PlanRefused, VersionConflict
from app.questionnaires import engine
from app.questionnaires.markup import field_id

MAX_VERSION = 2**31 - 1
ERROR_ID = re.compile(r"e-[A-Za-z0-9_-]{1,150}")


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


def form_choices(form: MultiDict[str, str]) -> dict[str, str]:
    """The person's choices for fields in conflict: resolve.<code> = mine | theirs."""
    choices = {}
    for key in list(form.keys())[:5000]:
        if key.startswith("resolve.") and len(key) < 80:
            value = form.get(key, "")
            if value in (merge.MINE, merge.THEIRS):
                choices[key.removeprefix("resolve.")] = value
    return choices


def _conflict_rows(ctx: PlanContext, saved: services.Saved | None) -> list[dict[str, Any]]:
    """Each field in conflict with both values as text, for the side-by-side choice."""
    if saved is None or not saved.conflicts:
        return []
    lang = questionnaire_lang()
    questions = engine.question_map(ctx.definition)
    rows = []
    for code, (mine, theirs) in saved.conflicts.items():
        question = questions.get(code)
        if question is None:
            continue
        rows.append(
            {
                "code": code,
                "label": engine.text_in(question.get("label"), lang),
                "mine": _as_text(ctx, question, code, mine),
                "theirs": _as_text(ctx, question, code, theirs),
            }
        )
    return rows


def _as_text(ctx: PlanContext, question: dict[str, Any], code: str, value: Any) -> str:
    lang = questionnaire_lang()
    if question["type"] == "rows":
        lines = []
        for entry in engine.iter_rows(ctx.definition, {code: value}, code):
            cells = [
                engine.display_value(field, entry.get(field["code"]), lang)
                for field in question.get("fields", ())
            ]
            lines.append("／".join(cell for cell in cells if cell))
        return "；".join(lines)
    return engine.display_value(question, value, lang)


def _merge_note(ctx: PlanContext, saved: services.Saved) -> str:
    """Tell which fields were taken from the other side."""
    if not saved.taken:
        return ""
    questions = engine.question_map(ctx.definition)
    lang = questionnaire_lang()
    names = "、".join(
        engine.text_in(questions[code].get("label"), lang).rstrip("？?：:")
        for code in saved.taken
        if code in questions
    )
    return ngettext(
        "已併入他人在您開啟後修改的 %(count)d 個欄位：%(names)s。",
        "已併入他人在您開啟後修改的 %(count)d 個欄位：%(names)s。",
        len(saved.taken),
        count=len(saved.taken),
        names=names,
    )


def render_plan(
    ctx: PlanContext,
    page: str,
    *,
    answers: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    problem: str | None = None,
    conflict: VersionConflict | None = None,
    saved: services.Saved | None = None,
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
    base = ctx.answers
    if conflict is not None and conflict.current is not None:
        # The next save is a deliberate choice made after seeing the other change.
        version = conflict.current.version
        base = dict(conflict.current.answers)
    if saved is not None:
        version, base = saved.version, saved.base
    if errors is None and answers is None and not readonly and ctx.plan is not None:
        # A stored draft may hold what does not validate yet: say so beside each field.
        errors = engine.validate(ctx.definition, shown, final=False, lang=questionnaire_lang())
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
        base_token=services.sign_base(ctx, version, base),
        other=other,
        conflicts=_conflict_rows(ctx, saved),
        draft_key=f"{ctx.kind.value}:{ctx.cycle.id}:{ctx.school.id}:"
        + (str(ctx.teacher.id) if ctx.teacher is not None else ""),
        text_limits=_text_limits(ctx.definition),
        lang=questionnaire_lang(),
        tasks=[] if readonly else services.section_tasks(ctx, shown, errors or {}),
        **plan_state(ctx),
        **extra,
    )


def plan_state(ctx: PlanContext) -> dict[str, Any]:
    """What the plan-state paragraph tells beyond the window: the latest submission's
    receipt and, after the window, whom a teacher asks for an extension."""
    receipt = None
    if ctx.plan is not None and ctx.plan.submitted_at is not None:  # else never submitted
        receipt = receipts.latest_receipt(ctx.kind, ctx.plan_id, ctx.cycle.academic_year)
    contact = None
    if ctx.kind == PlanKind.TEACHER and ctx.state.state == "closed":
        contact = receipts.planning_contact(ctx.school.id)
    return {"receipt": receipt, "extension_contact": contact}


def submitted_message(ctx: PlanContext) -> str:
    """The sentence after a submit: when, which submission, and the receipt reference."""
    receipt = receipts.latest_receipt(ctx.kind, ctx.plan_id, ctx.cycle.academic_year)
    if receipt is None:  # not reached: a submit keeps its version before this is asked
        return _("已送出規劃，謝謝您。送出後於填寫期間內仍可重新開啟修改。")
    return _(
        "已送出規劃，謝謝您。送出時間 %(when)s，第 %(n)s 次送出，收據編號 %(reference)s。"
        "送出後於填寫期間內仍可重新開啟修改。",
        when=datetime_filter(receipt.submitted_at),
        n=receipt.number,
        reference=receipt.reference,
    )


def _text_limits(definition: dict[str, Any]) -> dict[str, int]:
    """Long-text limits by field name (rows: q.<code>.*.<field>) for the live counters."""
    limits = {}
    for question in engine.iter_questions(definition):
        if question["type"] == "long_text":
            limits[f"q.{question['code']}"] = int(question.get("max_length") or 200)
        for entry in question.get("fields", ()) if question["type"] == "rows" else ():
            if entry["type"] == "long_text":
                limits[f"q.{question['code']}.*.{entry['code']}"] = int(
                    entry.get("max_length") or 200
                )
    return limits


def _row_anchor(definition: dict[str, Any], answers: dict[str, Any], action: str) -> str:
    """The id of the first field of the row a row button concerned (URL fragment)."""
    code = "activities" if action.startswith("adopt:") else action.split(":")[1]
    question = engine.question_map(definition).get(code)
    if not question or question["type"] != "rows" or not question.get("fields"):
        return ""
    rows = answers.get(code)
    last = max(engine.rows_shown(question, rows), 1) - 1
    index = last
    parts = action.split(":")
    if action.startswith("remove_row:") and len(parts) > 2 and parts[2].isdigit():
        index = min(int(parts[2]), last)
    return f"f-{code}-{index}-{question['fields'][0]['code']}"


def _adopted_into(answers: dict[str, Any], raw: str) -> int | None:
    """The index of the teacher's row already taken from school row `raw` (None: none)."""
    rows = answers.get(engine.ACTIVITIES)
    if not raw.isdigit() or len(raw) > 4 or not isinstance(rows, list):
        return None
    for index, row in enumerate(rows):
        if isinstance(row, dict) and row.get(engine.ADOPTED_FROM) == int(raw):
            return index
    return None


def _adoption_repeated(raw: str, index: int) -> str:
    return _(
        "學校規劃的第 %(item)s 項活動已在您的第 %(row)s 列，沒有重複加入。",
        item=int(raw) + 1,
        row=index + 1,
    )


def _shown_error_ids(form: MultiDict[str, str]) -> list[str]:
    """The ids of the field errors on the person's screen (drafts.js sends them)."""
    ids: list[str] = []
    for value in form.getlist("shown_error")[:1000]:
        if ERROR_ID.fullmatch(value) and value not in ids:
            ids.append(value)
    return ids


def field_problems(
    ctx: PlanContext, saved: services.Saved, shown: list[str]
) -> tuple[dict[str, str], dict[str, str]]:
    """Each error on screen decided again as a submission would decide it (the one
    validator, final=True): its message now, or "" when fixed; and the draft problems of
    fields showing none yet. Those can only be in what was typed (an untouched blank field
    has no draft problem), so a required field not yet reached never lights up mid-typing."""
    updates: dict[str, str] = {}
    if shown:
        final = engine.validate(ctx.definition, saved.shown, final=True, lang=questionnaire_lang())
        by_id = {field_id("e", name): text for name, text in final.items()}
        updates = {error_id: by_id.get(error_id, "") for error_id in shown}
    new = {name: text for name, text in saved.errors.items() if field_id("e", name) not in updates}
    return updates, new


def _saved_message(
    saved: services.Saved,
    moment_text: str,
    *,
    auto: bool,
    problems: int | None = None,
    fixed: int = 0,
) -> str:
    """One sentence saying exactly what happened to this save."""
    if not saved.written:
        text = ngettext(
            "尚未儲存：%(count)d 個欄位與他人儲存的內容不同，請逐欄選擇要保留的內容。",
            "尚未儲存：%(count)d 個欄位與他人儲存的內容不同，請逐欄選擇要保留的內容。",
            len(saved.conflicts),
            count=len(saved.conflicts),
        )
        return text
    if auto:
        text = _("已自動儲存 %(time)s", time=moment_text)
    else:
        text = _("已儲存草稿（%(time)s）", time=moment_text)
    if fixed:
        text += ngettext("，%(num)d 個欄位已修正", "，%(num)d 個欄位已修正", fixed)
    problems = len(saved.errors) if problems is None else problems
    if problems:
        text += ngettext(
            "，%(count)d 個欄位需修正", "，%(count)d 個欄位需修正", problems, count=problems
        )
    if saved.conflicts:
        text += ngettext(
            "；%(count)d 個欄位與他人的修改不同，請按「儲存草稿」逐欄選擇",
            "；%(count)d 個欄位與他人的修改不同，請按「儲存草稿」逐欄選擇",
            len(saved.conflicts),
            count=len(saved.conflicts),
        )
    if saved.taken:
        text += ngettext(
            "；已併入他人修改的 %(count)d 個欄位（重新整理頁面即可看到）",
            "；已併入他人修改的 %(count)d 個欄位（重新整理頁面即可看到）",
            len(saved.taken),
            count=len(saved.taken),
        )
    return text if auto else text + _("。")


def handle_post(
    ctx: PlanContext,
    page: str,
    actor_name: str,
    *,
    self_url: str,
    review_url: str = "",
    after_submit: Any = None,
    adopt: Any = None,
    **extra: Any,
) -> Response:
    """Apply one POST of the plan form: save, save and review (送出規劃), submit, add or
    remove a row, or adopt rows."""
    form = request.form
    action = form.get("action", "save")[:200]
    version = expected_version(form)
    answers = engine.parse_form(ctx.definition, form, adoptable=adoptable(ctx))
    base = services.read_base(ctx, form.get("base", ""), version)
    choices = form_choices(form)
    anchor_action = action
    if action.startswith(("add_row:", "remove_row:")):
        answers = engine.apply_row_action(ctx.definition, answers, action)
    elif action.startswith("adopt:") and adopt is not None:
        already = _adopted_into(answers, action.removeprefix("adopt:"))
        if already is not None:
            # Taken before: say where it is rather than add a second copy.
            flash(_adoption_repeated(action.removeprefix("adopt:"), already), "info")
            anchor_action = f"remove_row:{engine.ACTIVITIES}:{already}"
        else:
            answers = adopt(answers, action.removeprefix("adopt:"))
    moment = timeutil.roc_time(ctx.moment)
    try:
        if action == "submit":
            saved = services.submit(ctx, answers, version, actor_name, base=base, choices=choices)
        else:
            saved = services.save_draft(
                ctx, answers, version, actor_name, base=base, choices=choices
            )
    except InvalidAnswers as refused:
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
        return render_plan(ctx, page, answers=answers, problem=refused.message, status=409, **extra)
    if saved.submitted:
        if after_submit is not None:
            after_submit(ctx)
        flash(submitted_message(ctx), "ok")
        return htmx.redirect_to(self_url)
    if saved.conflicts or saved.taken:
        # Show what was merged and ask for each field both sides changed.
        services.refresh(ctx)
        problem = " ".join(
            part
            for part in (
                _conflict_sentence(ctx, saved),
                _merge_note(ctx, saved),
                _("請確認後再送出。") if action in ("submit", "review") else "",
            )
            if part
        )
        lifecycle.keep()  # the merged fields are stored; the 409 asks about the rest
        return render_plan(
            ctx,
            page,
            answers=saved.shown,
            errors=saved.errors,
            problem=problem,
            saved=saved,
            status=409,
            **extra,
        )
    if action == "review" and review_url:
        # 送出規劃: the draft is stored; review it if it can be submitted, else say why.
        errors = services.submission_errors(ctx, saved.shown)
        if not errors:
            return htmx.redirect_to(review_url)
        services.refresh(ctx)
        lifecycle.keep()  # the draft is stored; the 422 shows what to correct
        return render_plan(
            ctx,
            page,
            answers=saved.shown,
            errors=errors,
            problem=InvalidAnswers(errors).message,
            saved=saved,
            status=422,
            **extra,
        )
    if action.startswith(("add_row:", "remove_row:", "adopt:")):
        # Back to the form at the row concerned (a URL fragment works without JavaScript).
        anchor = _row_anchor(ctx.definition, answers, anchor_action)
        return htmx.redirect_to(self_url + (f"#{anchor}" if anchor else ""))
    flash(_saved_message(saved, moment, auto=False), "error" if saved.errors else "ok")
    return htmx.redirect_to(self_url)


def _conflict_sentence(ctx: PlanContext, saved: services.Saved) -> str:
    if not saved.conflicts:
        who = actor_filter(saved.other_by) if saved.other_by else _("您的另一個視窗")
        return _("這份規劃已在您開啟後被更新（%(who)s）。", who=who)
    if saved.other_by:
        return ngettext(
            "這份規劃已在您開啟後被更新（%(who)s），有 %(count)d 個欄位兩邊都改了："
            "請在下方逐欄選擇要保留的內容，選擇前不會覆蓋任何一方。",
            "這份規劃已在您開啟後被更新（%(who)s），有 %(count)d 個欄位兩邊都改了："
            "請在下方逐欄選擇要保留的內容，選擇前不會覆蓋任何一方。",
            len(saved.conflicts),
            who=actor_filter(saved.other_by),
            count=len(saved.conflicts),
        )
    return ngettext(
        "這份規劃已在您的另一個視窗或分頁更新，有 %(count)d 個欄位兩邊不同："
        "請在下方逐欄選擇要保留的內容。",
        "這份規劃已在您的另一個視窗或分頁更新，有 %(count)d 個欄位兩邊不同："
        "請在下方逐欄選擇要保留的內容。",
        len(saved.conflicts),
        count=len(saved.conflicts),
    )


def handle_autosave(ctx: PlanContext, actor_name: str) -> Response:
    """Save the draft quietly; answer with the status line, the new version and base, and
    each field's problem for the page to show beside it."""
    form = request.form
    answers = engine.parse_form(ctx.definition, form, adoptable=adoptable(ctx))
    version = expected_version(form)
    base_answers = services.read_base(ctx, form.get("base", ""), version)
    saved: services.Saved | None = None
    message, kind = "", "ok"
    updates: dict[str, str] = {}
    new: dict[str, str] = {}
    try:
        saved = services.save_draft(
            ctx, answers, version, actor_name, base=base_answers, choices=form_choices(form)
        )
        updates, new = field_problems(ctx, saved, _shown_error_ids(form))
        problems = len(new) + sum(1 for text in updates.values() if text)
        message = _saved_message(
            saved,
            timeutil.roc_time(ctx.moment),
            auto=True,
            problems=problems,
            fixed=sum(1 for text in updates.values() if not text),
        )
        if problems or saved.conflicts or not saved.written:
            kind = "warning"
    except VersionConflict:
        lifecycle.discard()
        kind = "error"
        message = _("尚未自動儲存：這份規劃已在別處更新，請按「儲存草稿」查看差異。")
    except PlanRefused as refused:
        lifecycle.discard()
        kind = "error"
        message = _("尚未自動儲存：") + refused.message
    base: dict[str, Any] | None = base_answers
    new_version = version
    if saved is not None:
        new_version, base = saved.version, saved.base
    token = form.get("base", "") if base is None else services.sign_base(ctx, new_version, base)
    response = Response(
        render_template(
            "plans/_status.html",
            version=new_version,
            base_token=token,
            message=message,
            kind=kind,
            field_errors=new,
            field_updates=updates,
            saved_at=(
                ctx.moment
                if saved is not None and saved.written
                else (ctx.plan.updated_at if ctx.plan is not None else None)
            ),
            confirmed=saved is not None and saved.written,
        )
    )
    response.headers["Vary"] = "HX-Request"
    return response


def handle_reopen(
    ctx: PlanContext, page: str, actor_name: str, *, self_url: str, **extra: Any
) -> Response:
    try:
        services.reopen(ctx, expected_version(request.form), actor_name)
    except VersionConflict as refused:
        return render_plan(
            ctx, page, problem=refused.message, conflict=refused, status=409, **extra
        )
    except PlanRefused as refused:
        return render_plan(ctx, page, problem=refused.message, status=409, **extra)
    flash(_("已重新開啟，請修改後再次送出。"), "ok")
    return htmx.redirect_to(self_url)


# ---- review before submit (check your answers) -------------------------------------------


def field_anchor(question: dict[str, Any], value: Any) -> str:
    """The id of the control a 修改 link puts the keyboard on (app.js focuses #f-…)."""
    code, kind = question["code"], question["type"]
    if kind in ("single", "multiple"):
        options = [option["code"] for option in question.get("options") or ()]
        chosen = value if isinstance(value, list) else [value]
        first = next((option for option in chosen if option in options), None)
        if first is None and kind == "single" and not question.get("required"):
            return f"f-{code}--none"  # the checked （不選擇） radio
        return f"f-{code}-{first or (options[0] if options else '')}"
    if kind == "ranking":
        return f"f-{code}-1"
    if kind == "rows":
        fields = question.get("fields") or ()
        return f"f-{code}-0-{fields[0]['code']}" if fields else f"q-{code}"
    return f"f-{code}"


def review_sections(ctx: PlanContext) -> list[dict[str, Any]]:
    """Every section and every shown answer as text, each editable one with its anchor."""
    answers = ctx.answers
    questions = engine.question_map(ctx.definition)
    sections = engine.summarise(ctx.definition, answers, questionnaire_lang(), facts=ctx.facts)
    for section in sections:
        for entry in section["questions"]:
            question = questions[entry["code"]]
            stored = engine.type_of(question).stored
            entry["anchor"] = field_anchor(question, answers.get(entry["code"])) if stored else ""
    return sections


def render_review(
    ctx: PlanContext,
    *,
    self_url: str,
    review_url: str,
    problem: str = "",
    status: int = 200,
    submittable: bool | None = None,
) -> Response:
    """The check-your-answers page (or its partial for htmx) of the stored draft;
    `submittable` is decided here unless the caller has just checked it."""
    if submittable is None:
        submittable = (
            ctx.state.is_open
            and ctx.plan is not None
            and ctx.plan.status == PlanStatus.DRAFT
            and not services.submission_errors(ctx, ctx.answers)
        )
    return htmx.render(
        "plans/review.html",
        "plans/_review.html",
        status=status,
        ctx=ctx,
        sections=review_sections(ctx),
        problem=problem,
        submittable=submittable,
        version=ctx.version,
        self_url=self_url,
        review_url=review_url,
    )


def show_review(ctx: PlanContext, *, self_url: str, review_url: str) -> Response:
    """GET …/plan/review: the review of a draft that can be submitted, else the plan page."""
    try:
        services.require_open(ctx)
    except PlanRefused as refused:
        flash(refused.message, "error")
        return htmx.redirect_to(self_url)
    if ctx.plan is None or ctx.plan.status != PlanStatus.DRAFT:
        return htmx.redirect_to(self_url)  # nothing to review yet, or already submitted
    errors = services.submission_errors(ctx, ctx.answers)
    if errors:
        flash(InvalidAnswers(errors).message, "error")
        return htmx.redirect_to(self_url)
    # Open, a draft, nothing in the way: checked just above, not again.
    return render_review(ctx, self_url=self_url, review_url=review_url, submittable=True)


def confirm_review(
    ctx: PlanContext,
    page: str,
    actor_name: str,
    *,
    self_url: str,
    review_url: str,
    after_submit: Any = None,
    **extra: Any,
) -> Response:
    """POST …/plan/review (確認送出): submit the draft at the version that was reviewed."""
    try:
        saved = services.submit_reviewed(ctx, expected_version(request.form), actor_name)
    except VersionConflict as refused:
        services.refresh(ctx)
        problem = _review_conflict(refused)
        return render_review(
            ctx, self_url=self_url, review_url=review_url, problem=problem, status=409
        )
    except InvalidAnswers as refused:
        errors, problem = refused.errors, refused.message
        return render_plan(
            ctx, page, answers=ctx.answers, errors=errors, problem=problem, status=422, **extra
        )
    except PlanRefused as refused:
        # The window closed (or was never open): the stored draft is shown as it is.
        return render_plan(ctx, page, problem=refused.message, status=409, **extra)
    if saved.written and after_submit is not None:
        after_submit(ctx)
    flash(submitted_message(ctx), "ok")
    return htmx.redirect_to(self_url)


def _review_conflict(conflict: VersionConflict) -> str:
    current = conflict.current
    if current is None:
        return conflict.message
    details = {
        "who": actor_filter(current.updated_by),
        "when": timeutil.roc_datetime(current.updated_at),
    }
    if current.status == PlanStatus.SUBMITTED:
        return _(
            "這份規劃已在您檢視後由 %(who)s 送出（%(when)s），下方是送出的內容。",
            **details,
        )
    return _(
        "這份規劃已在您檢視後更新（%(who)s，%(when)s），尚未送出。"
        "下方是目前儲存的內容，請再檢查一次後按「確認送出」。",
        **details,
    )
