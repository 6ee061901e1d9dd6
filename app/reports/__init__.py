"""PDF planning reports, manuals, oversight summaries and bulk exports."""

from flask import Blueprint

bp = Blueprint("reports", __name__)

from app.reports import questions, routes  # noqa: E402,F401
