from __future__ import annotations

from flask import render_template
from sqlalchemy import func

from app import policy
from app.authority import bp
from app.extensions import db
from app.lifecycle import handles, signed_in_account
from app.models import School


@bp.get("/")
@handles("authority.home")
def home() -> str:
    account = signed_in_account()
    schools = db.session.scalar(
        policy.schools_in_scope(account).with_only_columns(func.count(School.id))
    )
    return render_template("authority/home.html", account=account, school_count=schools or 0)
