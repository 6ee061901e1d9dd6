"""The audit views: a school's trail (chief), a region's chief changes, everything (operator)."""

from flask import Blueprint

bp = Blueprint("audit_log", __name__)

from app.audit_log import routes  # noqa: E402,F401
