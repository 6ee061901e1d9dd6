from __future__ import annotations

from flask import abort, redirect, render_template, session, url_for
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from app import timeutil
from app.auth import sessions
from app.cycles.windows import current_cycle, cycle_by_year, state_between, windows_of
from app.extensions import db
from app.lifecycle import handles
from app.main import bp
from app.models import Cycle, CycleStatus, PlanKind
from app.params import referrer_path

LANGUAGES = {"zh": "zh_Hant_TW", "en": "en"}


def _schedule(cycle: Cycle) -> dict[PlanKind, list[dict[str, object]]]:
    moment = timeutil.now()
    return {
        kind: [
            {"window": window, "state": state_between(window.opens_at, window.closes_at, moment)}
            for window in windows
        ]
        for kind, windows in windows_of(cycle).items()
    }


@bp.get("/")
@handles("public.view")
def home():
    cycle = current_cycle()
    schedule = _schedule(cycle) if cycle else {}
    return render_template("main/home.html", cycle=cycle, schedule=schedule)


@bp.get("/cycles/<year:year>")
@handles("public.view")
def cycle_schedule(year: int):
    cycle = cycle_by_year(year)
    if cycle is None or cycle.status == CycleStatus.DRAFT:
        abort(404)  # a cycle being set up is not public yet
    return render_template("main/home.html", cycle=cycle, schedule=_schedule(cycle))


@bp.get("/healthz")
@handles("public.view")
def healthz():
    try:
        db.session.execute(text("SELECT 1"))
    except SQLAlchemyError:  # the lifecycle rolls the failed transaction back
        return {"status": "database unavailable"}, 503
    return {"status": "ok"}


@bp.get("/lang/<code>")
@handles("public.view")
def choose_language(code: str):
    if code not in LANGUAGES:
        abort(404)
    session[sessions.LANGUAGE] = LANGUAGES[code]
    # Back to the page the link was on, only when the Referer names this very origin.
    return redirect(referrer_path() or url_for("main.home"), 303)
