"""/school/: business accounts — the school plan and the school's oversight."""

from flask import Blueprint

bp = Blueprint("school", __name__)

from app.school import routes  # noqa: E402,F401
