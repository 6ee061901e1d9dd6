"""/operator/cycles/…: the operator console for academic-year cycles (SPEC §4.3).

Views are thin: they read the form, call `app.cycles.services` (the same services as
`flask cycle import|snapshot`), and show every refusal beside its field.
"""

from __future__ import annotations

from typing import Any

from flask import abort, current_app, flash, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from sqlalchemy import select

from app import htmx, timeutil
from app.cycles import services
from app.cycles.services import PLAN_STAGES, CycleImportError, CycleRefused
from app.cycles.windows import cycle_by_year
from app.extensions import db
from app.forms import EmptyForm
from app.i18n import questionnaire_lang
from app.lifecycle import handles, signed_in_account
from app.models import Cycle, CycleStatus, PlanKind
from app.operator import bp
from app.operator.forms import (
    KIND_TITLES,
    NewCycleForm,
    QuestionnaireAttachForm,
    QuestionnaireUploadForm,
    ScheduleForm,
    SelectChoice,
    SnapshotForm,
    schedule_form_data,
)
from app.questionnaires.cyclefile import CycleFileError, parse_questionnaire_text

# An uploaded questionnaire is a few dozen KB; the request itself is capped by
# MAX_CONTENT_LENGTH (app/config.py), which answers 413 before any view runs.
QUESTIONNAIRE_MAX_BYTES = 256 * 1024

STATUS_LABELS = {
    CycleStatus.DRAFT: _l("草稿"),
    CycleStatus.PUBLISHED: _l("已公告"),
    CycleStatus.CLOSED: _l("已結束"),
}


def cycle_of_year(_user: Any, year: int, **_args: Any) -> Cycle | None:
    """The cycle of an academic year (the operator sees every cycle)."""
    return cycle_by_year(year)


def _status_label(cycle: Cycle) -> str:
    return str(STATUS_LABELS[cycle.status])


@bp.get("/cycles/")
@handles("cycle.setup")
def cycles() -> Any:
    rows = db.session.scalars(select(Cycle).order_by(Cycle.academic_year.desc())).all()
    return render_template(
        "operator/cycles/index.html",
        cycles=rows,
        figures=services.cycle_figures(),
        empty=services.CycleFigures(),
        status_label=_status_label,
    )


@bp.route("/cycles/new", methods=["GET", "POST"])
@handles("cycle.setup")
def cycle_new() -> Any:
    years = db.session.scalars(select(Cycle.academic_year).order_by(Cycle.academic_year.desc()))
    form = NewCycleForm()
    choices = [SelectChoice("", _("不複製，建立空白學年度"))]
    choices += [SelectChoice(str(year), _("%(year)s 學年度", year=year)) for year in years]
    form.copy_from.choices = choices
    if request.method == "GET" and len(choices) > 1:
        form.copy_from.data = choices[1].value  # last year by default
    if request.method == "POST" and form.validate_on_submit():
        source = cycle_by_year(int(form.copy_from.data)) if form.copy_from.data else None
        try:
            cycle = services.create_cycle(
                form.academic_year.data or 0,
                form.name.data or "",
                form.roster_cutoff.data,
                contact={
                    "unit": current_app.config["CONTACT_UNIT"],
                    "phone": current_app.config["CONTACT_PHONE"],
                    "email": current_app.config["CONTACT_EMAIL"],
                },
                copy_from=source,
                actor=signed_in_account(),
            )
        except CycleRefused as refusal:
            for name, message in refusal.problems.items():
                form[name].errors = [*form[name].errors, message]
        else:
            flash(_("已建立 %(name)s（草稿）。", name=cycle.label), "ok")
            return htmx.redirect_to(url_for("operator.cycle", year=cycle.academic_year))
    status = 422 if request.method == "POST" else 200
    return render_template("operator/cycles/new.html", form=form), status


def _cycle_page(cycle: Cycle, form: ScheduleForm, status: int = 200, **extra: Any) -> Any:
    questionnaires = {kind: services.latest_questionnaire(cycle, kind) for kind in PLAN_STAGES}
    frozen = {
        kind: q is not None and services.questionnaire_has_answers(q)
        for kind, q in questionnaires.items()
    }
    return (
        render_template(
            "operator/cycles/cycle.html",
            cycle=cycle,
            form=form,
            plan_stages=PLAN_STAGES,
            kind_titles=KIND_TITLES,
            questionnaires=questionnaires,
            frozen=frozen,
            status_label=_status_label(cycle),
            by_stage=services.snapshot_by_stage(cycle),
            button=EmptyForm(),
            **extra,
        ),
        status,
    )


@bp.route("/cycles/<year:year>", methods=["GET", "POST"])
@handles("cycle.setup", load=cycle_of_year)
def cycle(cycle: Cycle, year: int) -> Any:
    if request.method == "GET":
        return _cycle_page(
            cycle, ScheduleForm(data=schedule_form_data(services.schedule_of(cycle)))
        )
    form = ScheduleForm()
    form.validate_on_submit()
    schedule, missing = form.to_schedule()
    for name, message in missing.items():
        form[name].errors = [*form[name].errors, message]
    if schedule is None:
        return _cycle_page(cycle, form, 422)
    try:
        changed = services.save_schedule(
            cycle, schedule, actor=signed_in_account(), confirmed=bool(form.confirm.data)
        )
    except CycleRefused as refusal:
        for name, message in refusal.problems.items():
            form[name].errors = [*form[name].errors, message]
        return _cycle_page(cycle, form, 422)
    except services.ConfirmationNeeded:
        form.confirm.errors = [
            _("此學年度已公告，學校與教師正依這些期間填寫；請勾選確認後再儲存。")
        ]
        return _cycle_page(cycle, form, 422, confirming=True)
    if changed:
        flash(_("已儲存 %(name)s 的填寫期間。", name=cycle.label), "ok")
    else:
        flash(_("填寫期間沒有變更。"), "ok")
    return htmx.redirect_to(url_for("operator.cycle", year=year))


@bp.post("/cycles/<year:year>/publish")
@handles("cycle.setup", load=cycle_of_year)
def cycle_publish(cycle: Cycle, year: int) -> Any:
    form = ScheduleForm(data=schedule_form_data(services.schedule_of(cycle)), formdata=None)
    if not EmptyForm().validate_on_submit():
        return _cycle_page(cycle, form, 400, publish_error=_("表單已過期，請重新整理頁面後再試。"))
    try:
        services.publish(cycle, actor=signed_in_account())
    except CycleRefused as refusal:
        return _cycle_page(cycle, form, 422, publish_error=refusal.problems["publish"])
    flash(_("已公告 %(name)s。", name=cycle.label), "ok")
    return htmx.redirect_to(url_for("operator.cycle", year=year))


@bp.route("/cycles/<year:year>/close", methods=["GET", "POST"])
@handles("cycle.setup", load=cycle_of_year)
def cycle_close(cycle: Cycle, year: int) -> Any:
    form = EmptyForm()
    problem = None
    if request.method == "POST" and form.validate_on_submit():
        try:
            services.close(cycle, actor=signed_in_account())
        except CycleRefused as refusal:
            problem = refusal.problems["close"]
        else:
            flash(_("已結束 %(name)s。", name=cycle.label), "ok")
            return htmx.redirect_to(url_for("operator.cycle", year=year))
    status = 422 if request.method == "POST" else 200
    return (
        render_template(
            "operator/cycles/close.html",
            cycle=cycle,
            form=form,
            problem=problem,
            status_label=_status_label(cycle),
        ),
        status,
    )


@bp.route("/cycles/<year:year>/snapshot", methods=["GET", "POST"])
@handles("cycle.setup", load=cycle_of_year)
def cycle_snapshot(cycle: Cycle, year: int) -> Any:
    form = SnapshotForm()
    result = None
    if request.method == "POST" and form.validate_on_submit():
        force, reason = bool(form.force.data), (form.reason.data or "").strip()
        moment = timeutil.now()
        if force and not reason:
            form.reason.errors = [_("強制擷取須填寫原因")]
        elif moment < cycle.roster_cutoff and not force:
            form.force.errors = [
                _(
                    "尚未到名單基準日（%(cutoff)s），不能擷取教師名單；若確定要提前擷取，"
                    "請勾選強制擷取並填寫原因。",
                    cutoff=timeutil.roc_datetime(cycle.roster_cutoff),
                )
            ]
        else:
            result = services.take_snapshot(
                cycle, force=force, moment=moment, actor=signed_in_account(), reason=reason
            )
            if result.already:
                flash(
                    ngettext(
                        "教師名單已於 %(when)s 擷取（%(count)s 人），未重複擷取。",
                        "教師名單已於 %(when)s 擷取（%(count)s 人），未重複擷取。",
                        result.taken,
                        when=timeutil.roc_datetime(cycle.snapshot_taken_at),
                        count=result.taken,
                    ),
                    "ok",
                )
            else:
                flash(
                    ngettext(
                        "已擷取教師名單：%(count)s 人。",
                        "已擷取教師名單：%(count)s 人。",
                        result.taken,
                        count=result.taken,
                    ),
                    "ok",
                )
            return htmx.redirect_to(url_for("operator.cycle_snapshot", year=year))
    status = 422 if request.method == "POST" else 200
    return (
        render_template(
            "operator/cycles/snapshot.html",
            cycle=cycle,
            form=form,
            by_stage=services.snapshot_by_stage(cycle),
            before_cutoff=timeutil.now() < cycle.roster_cutoff,
        ),
        status,
    )


def _too_large() -> str:
    return _("檔案過大：問卷檔上限為 %(kb)s KB", kb=QUESTIONNAIRE_MAX_BYTES // 1024)


def _attached_text(
    attach: QuestionnaireAttachForm, upload: QuestionnaireUploadForm
) -> tuple[str, str] | None:
    """The previewed file carried back by 附加此問卷 (checked again: never trusted)."""
    if not attach.validate_on_submit():
        upload.file.errors = [_("表單已過期，請重新上傳問卷檔。")]
        return None
    text = attach.source_text.data or ""
    if len(text.encode("utf-8")) > QUESTIONNAIRE_MAX_BYTES:
        upload.file.errors = [_too_large()]
        return None
    return (attach.file_name.data or "questionnaire.yaml")[:100], text


def _read_upload(form: QuestionnaireUploadForm) -> tuple[str, str] | None:
    """The uploaded file's name and text, or None with the reason beside the field."""
    if not form.validate_on_submit():
        form.file.errors = [*form.file.errors, _("表單已過期，請重新整理頁面後再試。")]
        return None
    upload = form.file.data
    if upload is None or not getattr(upload, "filename", ""):
        form.file.errors = [_("請選擇要上傳的問卷檔")]
        return None
    raw = upload.stream.read(QUESTIONNAIRE_MAX_BYTES + 1)
    if len(raw) > QUESTIONNAIRE_MAX_BYTES:
        form.file.errors = [_too_large()]
        return None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        form.file.errors = [_("檔案須為 UTF-8 編碼的 YAML 文字檔")]
        return None
    name = (upload.filename or "questionnaire.yaml").replace("\\", "/").rsplit("/", 1)[-1]
    return name[:100], text


@bp.route("/cycles/<year:year>/questionnaires/<kind>", methods=["GET", "POST"])
@handles("cycle.setup", load=cycle_of_year)
def cycle_questionnaire(cycle: Cycle, year: int, kind: str) -> Any:
    if kind not in {k.value for k in PlanKind}:
        abort(404)
    plan_kind = PlanKind(kind)
    upload = QuestionnaireUploadForm()
    attach = QuestionnaireAttachForm()
    current = services.latest_questionnaire(cycle, plan_kind)
    context: dict[str, Any] = {
        "cycle": cycle,
        "kind": plan_kind,
        "kind_title": KIND_TITLES[plan_kind],
        "current": current,
        "frozen": current is not None and services.questionnaire_has_answers(current),
        "upload": upload,
        "attach": attach,
        "problems": [],
        "preview": None,
        "lang": questionnaire_lang(),
    }
    if request.method == "GET":
        return render_template("operator/cycles/questionnaire.html", **context)
    attaching = request.form.get("step") == "attach"
    submitted = _attached_text(attach, upload) if attaching else _read_upload(upload)
    if submitted is None:
        return render_template("operator/cycles/questionnaire.html", **context), 422
    name, text = submitted
    try:
        definition = parse_questionnaire_text(text, name, plan_kind=plan_kind.value)
        if attaching:
            outcome = services.attach_questionnaire(
                cycle, plan_kind, definition, name, actor=signed_in_account()
            )
    except (CycleFileError, CycleImportError) as error:
        context["problems"] = error.messages
        upload.file.errors = [
            ngettext(
                "問卷檔有 %(n)s 個問題，未套用任何變更。",
                "問卷檔有 %(n)s 個問題，未套用任何變更。",
                len(error.messages),
                n=len(error.messages),
            )
        ]
        return render_template("operator/cycles/questionnaire.html", **context), 422
    if attaching:
        messages = {
            "created": _("已附加問卷第 %(v)s 版。", v=definition["version"]),
            "updated": _("已更新問卷第 %(v)s 版（尚無人填答）。", v=definition["version"]),
            "unchanged": _("問卷內容與第 %(v)s 版相同，未變更。", v=definition["version"]),
        }
        flash(messages[outcome], "ok")
        return htmx.redirect_to(url_for("operator.cycle_questionnaire", year=year, kind=kind))
    attach.source_text.data, attach.file_name.data = text, name
    context["preview"] = definition
    context["file_name"] = name
    return render_template("operator/cycles/questionnaire.html", **context)
