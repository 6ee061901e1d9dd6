"""/oversight/reminders/: send a reminder (催填) and follow its progress.

Endpoints and the query parameters that prefill them (for links from the dashboards):

* ``reminders.new``   — ``?school=ID`` (one school) or ``?county=CODE&stage=K|E|J|S|V|X``,
  and ``?kind=school|teacher`` (a teacher-plan reminder names one school);
* ``reminders.index`` — the batches in scope, ``?page=N``;
* ``reminders.batch`` — one batch: the page, or for htmx its status fragment (polled).
"""

from __future__ import annotations

from typing import Any

from flask import Response, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select
from werkzeug.wrappers import Response as BaseResponse

from app import htmx, lifecycle, policy
from app.accounts.paging import page_number, paginate
from app.cycles.windows import current_cycle
from app.deadlines.forms import choice_values
from app.deadlines.services import PLAN_KIND_LABELS
from app.extensions import db
from app.lifecycle import handles, signed_in_account
from app.models import STAGE_LABELS, BusinessAccount, County, PlanKind, ReminderBatch, School, Stage
from app.params import query_code, query_int
from app.reminders import bp, services
from app.reminders.forms import ReminderForm
from app.reminders.services import (
    ReminderRefused,
    ScopedCountyReminder,
    ScopedSchoolReminder,
)

# ---- loaders -----------------------------------------------------------------------------


def scoped_batch(
    user: BusinessAccount, batch_id: int
) -> ScopedSchoolReminder | ScopedCountyReminder | None:
    """A reminder batch the user may see (see `services.batches_in_scope`), else missing."""
    batch = db.session.scalar(services.batches_in_scope(user).where(ReminderBatch.id == batch_id))
    if batch is None:
        return None
    if batch.school_id is not None:
        return ScopedSchoolReminder(batch, batch.school_id)
    return ScopedCountyReminder(batch.county_code or "", batch)


# ---- views -------------------------------------------------------------------------------


def _counties(account: BusinessAccount) -> list[tuple[str, str]]:
    if not services.is_authority(account):
        return []
    rows = db.session.scalars(policy.counties_in_scope(account).order_by(County.code))
    return [(county.code, county.name) for county in rows]


def _labels() -> dict[str, Any]:
    return {"kind_labels": PLAN_KIND_LABELS, "stage_labels": STAGE_LABELS}


@bp.get("/")
@handles("reminder.send")
def index() -> Response:
    account = signed_in_account()
    listing = paginate(services.batches_in_scope(account), page_number(request.args.get("page")))
    return htmx.render(
        "reminders/index.html",
        "reminders/index.html",
        listing=listing,
        summary=services.summary,
        **_labels(),
    )


def _prefill(account: BusinessAccount, form: ReminderForm, counties: list[tuple[str, str]]) -> None:
    kind = request.args.get("kind", "")
    if kind in choice_values(form.plan_kind):
        form.plan_kind.data = kind
    school_id = query_int("school")
    if school_id is not None:
        form.target.data = "school"
        school = db.session.scalar(policy.schools_in_scope(account).where(School.id == school_id))
        if school is None:
            form.school_code.errors = [_("此學校不在您的管轄範圍內。")]
        else:
            form.school_code.data = school.code
    code = query_code("county", r"[0-9]{5}")
    if code and not form.own_school:
        form.target.data = "area"
        if code in {value for value, _name in counties}:
            form.county.data = code
        else:
            form.county.errors = [_("您不主管此縣市，無法提醒其學校。")]
    stage = request.args.get("stage", "")
    if stage in {s.value for s in Stage}:
        form.stage.data = stage


@bp.route("/new", methods=["GET", "POST"])
@handles("reminder.send")
def new() -> BaseResponse:
    account = signed_in_account()
    cycle = current_cycle()
    if cycle is None:
        return htmx.render(
            "deadlines/no_cycle.html", "deadlines/no_cycle.html", title=_("催填提醒")
        )
    counties = _counties(account)
    own_school = not services.is_authority(account)
    form = ReminderForm(counties, own_school=own_school)
    status = 200
    if request.method == "GET":
        if not form.plan_kind.data:
            form.plan_kind.data = "school"
        _prefill(account, form, counties)
    elif form.validate_on_submit():
        try:
            school = None
            if form.target.data == "school":
                if own_school:
                    school = account.school
                else:
                    code = form.school_code.data
                    school = db.session.scalar(select(School).where(School.code == code))
                    if school is None:
                        raise ReminderRefused({"school_code": _("查無此學校代碼。")})
            batch = services.plan_reminder(
                account,
                cycle,
                PlanKind(form.plan_kind.data),
                school=school,
                county_code=form.county.data or "",
                stage=Stage(form.stage.data) if form.stage.data else None,
            )
        except ReminderRefused as refused:
            for name, message in refused.errors.items():
                field = getattr(form, name)
                field.errors = [*field.errors, message]
            status = 422
        else:
            batch_id = batch.id
            links = {
                "school": url_for("auth.school_login", _external=True),
                "teacher": url_for("auth.teacher_login", _external=True),
            }
            if batch.status == "queued":
                lifecycle.after_commit(lambda: services.start(batch_id, links))
            return htmx.redirect_to(url_for("reminders.batch", batch_id=batch_id))
    else:
        status = 422
    return htmx.render(
        "reminders/new.html",
        "reminders/new.html",
        status=status,
        form=form,
        cycle=cycle,
        own_school=account.school if own_school else None,
    )


@bp.get("/<id:batch_id>")
@handles("reminder.send", load=scoped_batch)
def batch(scoped: ScopedSchoolReminder | ScopedCountyReminder, batch_id: int) -> Response:
    found = scoped.batch
    assert found is not None
    return htmx.render(
        "reminders/batch.html",
        "reminders/_progress.html",
        batch=found,
        active=found.status in ("queued", "running"),
        summary=services.summary(found),
        **_labels(),
    )
