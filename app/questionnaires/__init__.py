"""Questionnaires as data: cycle files, the form engine and its one macro file.

Pure Python, no database: other packages store the JSON-serialisable
definitions (``CycleSpec.plans[kind].questionnaire``) and answers dicts.
Fields render through ``templates/questionnaires/_fields.html``.
"""

from app.questionnaires.cyclefile import (
    CycleFileError,
    CycleSpec,
    PlanSpec,
    Window,
    load_cycle_file,
    load_questionnaire_file,
    parse_cycle,
    parse_questionnaire,
)
from app.questionnaires.engine import (
    activity_rows,
    adopt_rows,
    apply_row_action,
    clean,
    iter_rows,
    parse_form,
    ranked_choices,
    summarise,
    validate,
    visible,
)

__all__ = [
    "CycleFileError",
    "CycleSpec",
    "PlanSpec",
    "Window",
    "activity_rows",
    "adopt_rows",
    "apply_row_action",
    "clean",
    "iter_rows",
    "load_cycle_file",
    "load_questionnaire_file",
    "parse_cycle",
    "parse_form",
    "parse_questionnaire",
    "ranked_choices",
    "summarise",
    "validate",
    "visible",
]
