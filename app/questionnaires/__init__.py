"""Questionnaires as data: cycle files, the form engine and its one macro file.

Pure Python, no database: other packages store the JSON-serialisable
definitions (``CycleSpec.plans[kind].questionnaire``) and answers dicts.
Each question type is a class in ``app.questionnaires.types`` with its partial
``templates/questionnaires/types/<type>.html``; fields render through
``templates/questionnaires/_fields.html``. Features that read particular questions
declare them (``app.questionnaires.requirements``).
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
    Parsed,
    activity_rows,
    adopt_rows,
    adoptable_rows,
    apply_row_action,
    clean,
    for_stage,
    iter_rows,
    parse,
    parse_form,
    ranked_choices,
    summarise,
    validate,
    visible,
)

__all__ = [
    "CycleFileError",
    "CycleSpec",
    "Parsed",
    "PlanSpec",
    "Window",
    "activity_rows",
    "adopt_rows",
    "adoptable_rows",
    "apply_row_action",
    "clean",
    "for_stage",
    "iter_rows",
    "load_cycle_file",
    "load_questionnaire_file",
    "parse",
    "parse_cycle",
    "parse_form",
    "parse_questionnaire",
    "ranked_choices",
    "summarise",
    "validate",
    "visible",
]
