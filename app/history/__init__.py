"""Plan history: plans of earlier cycles, every submitted version of a plan compared side
by side with its PDF, and starting a new cycle's plan from last cycle's answers.

The blueprint has no prefix of its own: its pages live in the teacher's and the school's
URL spaces (/teacher/plans/…, /school/plans/…, /teacher/plan/prefill, /school/plan/prefill).
"""

from flask import Blueprint

bp = Blueprint("history", __name__)

from app.history import routes  # noqa: E402,F401
