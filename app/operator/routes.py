from __future__ import annotations

from flask import render_template

from app import policy
from app.cycles.windows import current_cycle
from app.extensions import db
from app.lifecycle import handles, signed_in_account
from app.models import County
from app.operator import bp


@bp.get("/")
@handles("operator.home")
def home() -> str:
    account = signed_in_account()
    counties = db.session.scalars(policy.counties_in_scope(account).order_by(County.code)).all()
    return render_template(
        "operator/home.html", account=account, counties=counties, cycle=current_cycle()
    )
