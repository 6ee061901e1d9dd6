from __future__ import annotations

from flask import render_template
from flask_login import current_user

from app.access import account_required
from app.cycles.windows import current_cycle, state_for
from app.models import ACCOUNT_TYPE_LABELS, PlanKind
from app.school import bp


@bp.get("/")
@account_required()
def dashboard():
    account = current_user._get_current_object()
    cycle = current_cycle()
    state = None
    if cycle is not None and account.school is not None:
        state = state_for(cycle, PlanKind.SCHOOL, account.school)
    types = [ACCOUNT_TYPE_LABELS[t] for t in sorted(account.types)]
    return render_template(
        "school/dashboard.html", account=account, cycle=cycle, state=state, type_labels=types
    )
