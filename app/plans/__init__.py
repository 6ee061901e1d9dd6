"""Filling plans: load the plan with its window in one query, save, submit, reopen; keep
what was typed through an ended session (resume.py) and merge concurrent edits (merge.py)."""

from flask import Blueprint

bp = Blueprint("plans", __name__, url_prefix="/plans")

from app.plans import routes  # noqa: E402,F401
