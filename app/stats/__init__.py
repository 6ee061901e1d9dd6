"""Read models: figures about plans, computed in SQL, for PDFs, dashboards and exports.

Every function takes a cycle and an optional *scope*: a ``Select`` of school ids (such
as ``select(School.id).where(...)`` or the access policy's ``schools_in_scope(account)``);
``None`` means every school. Counting happens in the database (``GROUP BY``; inside
the stored answers with the dialect's JSON functions, see ``_json``); Python only
receives grouped rows (per school at most), never every plan.

* :mod:`app.stats.completion`: roster snapshot against plan states (submitted, draft,
  not started) per school, stage, county or in total; the roster of one school.
* :mod:`app.stats.tally`: what submitted teacher plans ask for: ranked needs, modes,
  hours by topic category and term, the distribution of each plan's total hours.
"""

from app.stats.completion import (
    Completion,
    RosterEntry,
    SchoolRow,
    completion,
    completion_by,
    roster_progress,
    school_rows,
)
from app.stats.scope import Scope, in_scope, one_school
from app.stats.tally import ACTIVITIES, HOUR_BUCKETS, NEEDS, HoursSummary, Tally, teacher_tally

__all__ = [
    "ACTIVITIES",
    "HOUR_BUCKETS",
    "NEEDS",
    "Completion",
    "HoursSummary",
    "RosterEntry",
    "SchoolRow",
    "Scope",
    "Tally",
    "completion",
    "completion_by",
    "in_scope",
    "one_school",
    "roster_progress",
    "school_rows",
    "teacher_tally",
]
