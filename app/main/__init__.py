"""Public pages: the home page with the cycle's schedule, health check, language choice."""

from flask import Blueprint

bp = Blueprint("main", __name__)

from app.main import routes  # noqa: E402,F401
