"""Questions other features read by code: declared once, checked when a cycle file loads.

A report that counts the teachers' ranked needs or sums their activity hours reads
``answers["needs"]`` and ``answers["activities"]``; a questionnaire without them (or
with them as another type) would give empty reports without anyone noticing. So the
reading feature declares what it reads::

    require("teacher", "needs", "ranking", by="教師專業成長需求統計")
    require("teacher", "activities", "rows", by="…", fields={"hours": "number"})

and ``app.questionnaires.cyclefile`` refuses a questionnaire that lacks a declared
question, a declared row field, or has one of another type (``file: path: message``).

The declaring modules are listed in ``DECLARATIONS`` and imported before a check, so a
check never depends on which modules happen to be imported already.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

# Modules whose import declares requirements (each calls require() at import time).
DECLARATIONS: tuple[str, ...] = ("app.reports.questions",)


@dataclass(frozen=True)
class Requirement:
    """One question a feature reads: plan kind, code, type and, for rows, field types."""

    plan_kind: str
    code: str
    type: str
    by: str  # who reads it, in zh-TW: shown in the refusal message
    fields: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))


_REQUIRED: dict[tuple[str, str, str], Requirement] = {}


def require(
    plan_kind: str,
    code: str,
    type: str,
    *,
    by: str,
    fields: Mapping[str, str] | None = None,
) -> Requirement:
    """Declare that a feature reads one question of a plan kind's questionnaire."""
    from app.questionnaires.types import TYPES

    if type not in TYPES or any(kind not in TYPES for kind in (fields or {}).values()):
        raise ValueError(f"unknown question type in the requirement of {code!r}")
    requirement = Requirement(plan_kind, code, type, by, MappingProxyType(dict(fields or {})))
    _REQUIRED[(plan_kind, code, by)] = requirement
    return requirement


def requirements(plan_kind: str) -> list[Requirement]:
    """Every declared requirement on a plan kind's questionnaire (declarations loaded)."""
    for module in DECLARATIONS:
        importlib.import_module(module)
    return [r for r in _REQUIRED.values() if r.plan_kind == plan_kind]


def problems(
    plan_kind: str, definition: Mapping, paths: Mapping[str, str], root: str = "sections"
) -> Iterator[tuple[str, str]]:
    """Yield (path, message) for each declared question the definition lacks or mistypes.

    ``paths`` gives the file path of each top-level question (``sections[2].questions[0]``);
    a missing question is reported at ``root``.
    """
    questions = {
        q["code"]: q for s in definition.get("sections", ()) for q in s.get("questions", ())
    }
    for need in requirements(plan_kind):
        question = questions.get(need.code)
        if question is None:
            yield root, f"缺少「{need.by}」所需的題目「{need.code}」（題型 {need.type}）"
            continue
        path = paths.get(need.code, root)
        if question["type"] != need.type:
            yield (
                f"{path}.type",
                f"「{need.by}」讀取題目「{need.code}」，題型須為 {need.type}"
                f"（目前為 {question['type']}）",
            )
            continue
        sub = {f["code"]: f for f in question.get("fields", ())}
        for code, kind in need.fields.items():
            if code not in sub:
                yield (
                    f"{path}.fields",
                    f"缺少「{need.by}」所需的欄位「{need.code}.{code}」（題型 {kind}）",
                )
            elif sub[code]["type"] != kind:
                yield (
                    f"{path}.fields",
                    f"「{need.by}」讀取欄位「{need.code}.{code}」，題型須為 {kind}"
                    f"（目前為 {sub[code]['type']}）",
                )
