from __future__ import annotations

from flask import render_template
from flask_login import current_user

from app.access import teacher_required
from app.cycles.windows import current_cycle, state_for
from app.models import PlanKind
from app.roster import school_of
from app.teacher import bp


@bp.get("/")
@teacher_required
def dashboard():
    teacher = current_user._get_current_object()
    cycle = current_cycle()
    school = school_of(teacher)
    state = None
    if cycle is not None and school is not None:
        state = state_for(cycle, PlanKind.TEACHER, school, teacher)
    return render_template(
        "teacher/dashboard.html", teacher=teacher, school=school, cycle=cycle, state=state
    )
