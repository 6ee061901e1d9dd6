"""The two manuals (說明手冊), for schools and for teachers, written from the cycle itself.

Each manual is a :class:`~app.reports.cache_keys.Document` like the reports: its key
depends on the cycle's schedule, contact data and questionnaire, so a changed window
or questionnaire version gives a new manual.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import current_app

from app import timeutil
from app.cycles.services import latest_questionnaire
from app.cycles.windows import windows_of
from app.models import Cycle, PlanKind
from app.questionnaires import engine
from app.reports.cache_keys import Document, digest, revision
from app.sso import configured as sso_configured

AUDIENCES = ("school", "teacher")


def contact_of(cycle: Cycle) -> dict[str, str]:
    """The cycle's contact data, falling back to the app's CONTACT_* settings."""
    config = current_app.config
    contact = cycle.contact or {}
    return {
        "unit": contact.get("unit") or config["CONTACT_UNIT"],
        "phone": contact.get("phone") or config["CONTACT_PHONE"],
        "email": contact.get("email") or config["CONTACT_EMAIL"],
    }


def schedule_of(cycle: Cycle) -> dict[str, dict[str, Any]]:
    """The cycle's windows per plan kind and stage, in ROC dates."""
    schedule = {}
    for kind, windows in windows_of(cycle).items():
        schedule[kind.value] = {
            "rows": [
                {
                    "stage": w.stage.value,
                    "stage_label": w.stage.label,
                    "opens_at": timeutil.roc_datetime(w.opens_at),
                    "closes_at": timeutil.roc_datetime(w.closes_at),
                }
                for w in windows
            ],
            "opens_at": timeutil.roc_datetime(min((w.opens_at for w in windows), default=None)),
            "closes_at": timeutil.roc_datetime(max((w.closes_at for w in windows), default=None)),
        }
    return schedule


def _outline(definition: Mapping[str, Any] | None) -> list[dict[str, Any]]:
    """Section titles and question labels of a questionnaire, for the manual's walkthrough."""
    outline = []
    for section in (definition or {}).get("sections", ()):
        questions = []
        for question in section.get("questions", ()):
            if question["type"] == "fact":
                continue
            questions.append(
                {
                    "label": engine.text_in(question["label"]),
                    "required": bool(question.get("required")),
                    "conditional": bool(question.get("show_if")),
                    "type": question["type"],
                    "help": engine.text_in(question.get("help")),
                }
            )
        outline.append({"title": engine.text_in(section["title"]), "questions": questions})
    return outline


def manual_document(cycle: Cycle, audience: str) -> Document:
    """Describe a manual (for schools or teachers) built from the cycle's own schedule."""
    if audience not in AUDIENCES:
        raise ValueError(f"unknown manual audience {audience!r}")
    kind = PlanKind(audience)
    questionnaire = latest_questionnaire(cycle, kind)
    schedule = schedule_of(cycle)
    contact = contact_of(cycle)
    cutoff = timeutil.roc_datetime(cycle.roster_cutoff)
    name = "學校本位進修規劃" if audience == "school" else "教師自我專業進修規劃"
    # The sign-in chapter names single sign-on only where this installation offers it.
    sso = sso_configured(current_app)
    title = f"{cycle.name} {name} 說明手冊"
    deps = {
        "cycle": [cycle.academic_year, cycle.name, cutoff, cycle.kindergarten_teachers_take_part],
        "schedule": schedule,
        "contact": contact,
        "questionnaire": [questionnaire.id, questionnaire.fingerprint] if questionnaire else None,
        "sso": sso,
    }

    def build() -> dict[str, Any]:
        return {
            "doc_header": f"{cycle.name}｜{contact['unit']}",
            "heading": title,
            "cycle_name": cycle.name,
            "academic_year": cycle.academic_year,
            "cutoff": cutoff,
            "kindergarten_teachers_take_part": cycle.kindergarten_teachers_take_part,
            "schedule": schedule,
            "own": schedule[audience],
            "contact": contact,
            "outline": _outline(questionnaire.definition if questionnaire else None),
            "sso": sso,
        }

    return Document(
        ref=("manual", audience, str(cycle.academic_year)),
        digest=digest(deps, revision()),
        filename=f"manual-{audience}-{cycle.academic_year}.pdf",
        title=title,
        subject=f"{cycle.name}{name}操作說明",
        template=f"manuals/{audience}.html",
        build=build,
    )
