from __future__ import annotations

from flask import render_template
from sqlalchemy import func

from app import policy
from app.extensions import db
from app.lifecycle import handles, signed_in_account
from app.models import County, School
from app.region import bp


@bp.get("/")
@handles("region.home")
def home() -> str:
    account = signed_in_account()
    counties = db.session.scalars(policy.counties_in_scope(account).order_by(County.code)).all()
    schools = db.session.scalar(
        policy.schools_in_scope(account).with_only_columns(func.count(School.id))
    )
    return render_template(
        "region/home.html", account=account, counties=counties, school_count=schools or 0
    )
