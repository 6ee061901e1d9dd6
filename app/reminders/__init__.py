"""/oversight/reminders/: 催填 — remind those who have not submitted their plan, by mail."""

from flask import Blueprint

bp = Blueprint("reminders", __name__)

from app.reminders import routes  # noqa: E402,F401
