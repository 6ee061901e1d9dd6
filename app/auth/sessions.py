"""Session lifetimes: an idle timeout and an absolute lifetime, both configurable.

The signed-in moment and the last activity live in the signed session cookie; a request
past either limit signs the user out before any view runs. Flask's own signature check
(PERMANENT_SESSION_LIFETIME, set to the absolute lifetime) refuses older cookies too.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from flask import Flask, current_app, flash, request, session
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import login_user, logout_user

# Real elapsed time, not the app's business clock (tests move that across days and it
# decides deadlines, not how long someone has been away); tests replace this one.
wall_clock: Callable[[], float] = time.time
SIGNED_IN_AT = "signed_in_at"
SEEN_AT = "seen_at"
LANGUAGE = "lang"  # the chosen interface language (main.choose_language, select_locale)


def idle_seconds() -> int:
    return int(current_app.config["SESSION_IDLE_MINUTES"]) * 60


def lifetime_seconds() -> int:
    return int(current_app.config["SESSION_LIFETIME_HOURS"]) * 3600


KIND_LABELS = {
    "school": _l("業務帳號"),
    "region": _l("區管中心"),
    "authority": _l("主管機關"),
    "operator": _l("系統管理"),
}


def clear() -> None:
    """Empty the session but keep the chosen interface language (not personal data), so
    signing in, signing out and an ended session do not switch an English page to Chinese."""
    language = session.get(LANGUAGE)
    session.clear()
    if language is not None:
        session[LANGUAGE] = language


def begin(subject: Any) -> None:
    """Sign `subject` in on a fresh session (no fixation) and start its clocks: the one way
    every sign-in (password, single sign-on, after a password change) starts a session."""
    clear()
    login_user(subject)
    start()


def start(now: float | None = None) -> None:
    """Mark the session as signed in now (called right after login_user)."""
    moment = wall_clock() if now is None else now
    session[SIGNED_IN_AT] = int(moment)
    session[SEEN_AT] = int(moment)


def _expired(now: float) -> str | None:
    signed_in = session.get(SIGNED_IN_AT)
    seen = session.get(SEEN_AT)
    if not isinstance(signed_in, int) or not isinstance(seen, int):
        return "lifetime"  # a session from before lifetimes existed: sign in again
    if now - signed_in > lifetime_seconds():
        return "lifetime"
    if now - seen > idle_seconds():
        return "idle"
    return None


def enforce() -> None:
    """Before each request: end a signed-in session past its limits, else note activity."""
    if request.endpoint == "static" or "_user_id" not in session:
        return
    now = wall_clock()
    reason = _expired(now)
    if reason is None:
        session[SEEN_AT] = int(now)
        return
    logout_user()
    clear()
    if reason == "idle":
        minutes = current_app.config["SESSION_IDLE_MINUTES"]
        flash(
            _("您已閒置超過 %(minutes)s 分鐘，為保護資料已自動登出，請重新登入。", minutes=minutes)
        )
    else:
        hours = current_app.config["SESSION_LIFETIME_HOURS"]
        flash(_("登入已超過 %(hours)s 小時，為保護資料已自動登出，請重新登入。", hours=hours))


def timing() -> dict[str, Any]:
    """What static/js/session.js needs to warn before the idle timeout."""
    return {
        "idle_seconds": idle_seconds(),
        "warning_seconds": int(current_app.config["SESSION_WARNING_MINUTES"]) * 60,
    }


def signed_in_label(user: Any) -> str:
    """Who is signed in, for the header and refusals: the name and the kind of account."""
    from app.models import AccountKind, BusinessAccount

    if not isinstance(user, BusinessAccount):
        return _("%(name)s（教師）", name=user.name)
    if user.kind == AccountKind.SCHOOL and user.school is not None:
        unit = _("%(school)s 業務帳號", school=user.school.name)
    elif user.kind == AccountKind.REGION and user.region is not None:
        unit = user.region.name
    elif user.kind == AccountKind.AUTHORITY and user.authority is not None:
        unit = user.authority.name
    else:
        unit = str(KIND_LABELS[user.kind])
    return _("%(name)s（%(unit)s）", name=user.name, unit=unit)


def init_app(app: Flask) -> None:
    app.permanent_session_lifetime = timedelta(hours=int(app.config["SESSION_LIFETIME_HOURS"]))
    app.before_request(enforce)
    app.jinja_env.globals["session_timing"] = timing
    app.jinja_env.globals["signed_in_label"] = signed_in_label
