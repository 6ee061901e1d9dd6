"""PDF planning reports and manuals: rendering, the cache, jobs, bulk exports.

The blueprint serves only its own URL space, /manuals/…; the features that own the other
pages serve their documents with `app.reports.delivery`. When the blueprint is registered,
the package subscribes to `app.events.plan_submitted` and pre-renders the plan's PDF.
"""

from typing import Any

from flask import Blueprint
from flask.blueprints import BlueprintSetupState

from app import events

bp = Blueprint("reports", __name__)


def _queue_plan_pdf(sender: Any, plan_id: int, **_data: Any) -> None:
    jobs.schedule_plan_pdf(str(sender), plan_id)


@bp.record_once
def _subscribe(_state: BlueprintSetupState) -> None:
    events.plan_submitted.connect(_queue_plan_pdf)


from app.reports import jobs, questions, routes  # noqa: E402,F401
