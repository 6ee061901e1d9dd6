"""Small helpers of the questionnaire macro file, in Python.

A Jinja macro call costs several times a function call, and these run hundreds of
times a page (make bench: the plan page spent most of its time in them). The wording
stays in the template's UI table, passed in as `ui`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from markupsafe import Markup, escape

from app.questionnaires.engine import option_label, text_in

_REQUIRED_MARK = Markup('<span class="required" aria-hidden="true">＊</span>')


def field_id(prefix: str, name: str) -> str:
    """The HTML id of a field name: ("f", "q.a.0.b") gives "f-a-0-b"."""
    return f"{prefix}-{name[2:].replace('.', '-')}"


def required_mark(required: Any) -> Markup:
    return _REQUIRED_MARK if required else Markup("")


def label_text(question: Mapping, lang: str) -> str:
    unit = question.get("unit")
    label = text_in(question.get("label"), lang)
    return f"{label}（{text_in(unit, lang)}）" if unit else label


def _fill(template: str, **values: Any) -> str:
    for key, value in values.items():
        template = template.replace("{" + key + "}", str(value))
    return template


def hint(q: Mapping, ui: Mapping[str, str]) -> str:
    """The question's constraints in words, shown under its label (WCAG 3.3.2)."""
    kind = q["type"]
    if kind == "long_text":
        return _fill(ui["max_length"], n=q.get("max_length"))
    if kind == "number":
        number = ui["integer"] if q.get("integer") else ui["decimal"]
        low, high = q.get("min"), q.get("max")
        if low is not None and high is not None:
            return _fill(ui["between"], min=low, max=high, kind=number)
        if low is not None:
            return _fill(ui["at_least"], min=low, kind=number)
        if high is not None:
            return _fill(ui["at_most"], max=high, kind=number)
        return ""
    if kind == "multiple":
        low, high = q.get("min"), q.get("max")
        limited = high is not None and high < len(q.get("options") or ())
        if low and limited and low == high:
            return _fill(ui["choose_min"], min=low)
        if low and limited:
            return _fill(ui["choose_between"], min=low, max=high)
        if limited:
            return _fill(ui["choose_max"], max=high)
        return _fill(ui["choose_min"], min=low) if low else ""
    if kind == "rows":
        if q.get("min_rows"):
            return _fill(ui["rows_between"], min=q["min_rows"], max=q.get("max_rows"))
        return _fill(ui["rows_max"], max=q.get("max_rows"))
    if kind == "ranking":
        return _fill(ui["ranks"], n=q.get("ranks"))
    if kind == "date":
        return ui["date"]
    return ""


def described_by(
    q: Mapping, name: str, error: Any, ui: Mapping[str, str], condition: Any = False
) -> str:
    """The ids that describe a field: its error, its help, its show-if condition."""
    ids = []
    if error:
        ids.append(field_id("e", name))
    if q.get("help") or hint(q, ui):
        ids.append(field_id("h", name))
    if condition:
        ids.append(f"c-{q['code']}")
    return " ".join(ids)


# Built with f-strings: every interpolated value goes through escape() (Markup.format
# is slower than the Jinja loop it replaces).


def select_options(question: Mapping, shown: Any, lang: str) -> Markup:
    """The <option>s of a select, the shown one selected; an unknown stored code is kept."""
    parts = []
    known = False
    for option in question.get("options") or ():
        selected = option["code"] == shown
        known = known or selected
        parts.append(
            f'\n  <option value="{escape(option["code"])}"{" selected" if selected else ""}>'
            f"{escape(text_in(option['label'], lang))}</option>"
        )
    if shown and not known:
        parts.append(f'\n  <option value="{escape(shown)}" selected>{escape(shown)}</option>')
    return Markup("".join(parts))  # noqa: S704 - every value above is escaped


def choice_inputs(
    question: Mapping, name: str, kind: str, chosen: Any, error: Any, lang: str
) -> Markup:
    """The radio buttons or check boxes of a choice question, each with its label."""
    kind = "radio" if kind == "radio" else "checkbox"
    base, name = field_id("f", name), escape(name)
    invalid = ' aria-invalid="true"' if error else ""
    parts = []
    for option in question.get("options") or ():
        code = option["code"]
        oid = escape(f"{base}-{code}")
        checked = " checked" if code in chosen else ""
        parts.append(
            f'\n    <div class="q-option">\n      <input type="{kind}" id="{oid}" '
            f'name="{name}" value="{escape(code)}"{checked}{invalid}>\n'
            f'      <label for="{oid}">{escape(text_in(option["label"], lang))}</label>\n'
            "    </div>"
        )
    return Markup("".join(parts))  # noqa: S704 - every value above is escaped


def wide(field: Mapping) -> bool:
    """Whether a row field needs two grid columns: free text, or choices with long labels."""
    if field["type"] in ("text", "long_text"):
        return True
    labels = [text_in(option.get("label"), "zh") for option in field.get("options") or ()]
    return any(len(label) > 9 for label in labels)


GLOBALS = {
    "q_choices": choice_inputs,
    "q_options": select_options,
    "q_wide": wide,
    "q_text": text_in,
    "q_id": field_id,
    "q_mark": required_mark,
    "q_label": label_text,
    "q_hint": hint,
    "q_described": described_by,
    "q_option": option_label,
}


def install(env: Any) -> None:
    """Make the helpers available to templates rendered by this Jinja environment."""
    env.globals.update(GLOBALS)
