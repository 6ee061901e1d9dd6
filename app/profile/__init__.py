"""One's own account (/account/…: password, contact data) and the password links
(/password/…: forgot, activation and reset). When the blueprint is registered, the
package subscribes to `app.events.account_changed` and mails who activates a new
business-account application."""

from typing import Any

from flask import Blueprint
from flask.blueprints import BlueprintSetupState

from app import events

bp = Blueprint("profile", __name__)


def _application_notice(sender: Any, **data: Any) -> None:
    services.notify_application(sender, **data)


@bp.record_once
def _subscribe(_state: BlueprintSetupState) -> None:
    events.account_changed.connect(_application_notice)


from app.profile import routes, services  # noqa: E402,F401
