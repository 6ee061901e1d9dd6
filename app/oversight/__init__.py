"""/oversight/: aggregate reports of the schools under an authority, or of the whole country,
and the completion dashboards (``dashboard``) with their CSV/XLSX exports."""

from flask import Blueprint

bp = Blueprint("oversight", __name__)

from app.oversight import dashboard, routes  # noqa: E402,F401
