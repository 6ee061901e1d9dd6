"""最新消息: the operator writes announcements (/operator/announcements/…); the home page
and the dashboards show the ones meant for their audience (`announcements_for`)."""

from flask import Blueprint

bp = Blueprint("announcements", __name__)

from app.announcements import routes  # noqa: E402,F401
