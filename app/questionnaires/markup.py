"""Small helpers of the questionnaire macro file and the type partials, in Python.

A Jinja macro call costs several times a function call, and these run hundreds of
times a page (make bench: the plan page spent most of its time in them). Their wording
comes from the Babel catalog (through the question types' ``hint``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from markupsafe import Markup, escape

from app.questionnaires.types import TYPES, QuestionType, option_label, text_in

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


def kind(question: Mapping) -> QuestionType:
    """The type object of a question (its class in app.questionnaires.types)."""
    return TYPES[question["type"]]


def hint(q: Mapping, lang: str) -> str:
    """The question's constraints in words, shown under its label (WCAG 3.3.2)."""
    return TYPES[q["type"]].hint(q, lang)


def help_paragraph(q: Mapping, name: str, lang: str) -> Markup:
    """The help paragraph (the definition's help, then the type's hint); empty if none."""
    rule = hint(q, lang).strip()
    text = text_in(q.get("help"), lang) if q.get("help") else ""
    if not text and not rule:
        return Markup("")
    parts = [f'<p class="hint" id="{escape(field_id("h", name))}">']
    if text:
        parts.append(f'<span class="hint-text">{escape(text)}</span>')
    if text and rule:
        parts.append(" ")
    if rule:
        parts.append(f'<span class="hint-rule">{escape(rule)}</span>')
    parts.append("</p>")
    return Markup("".join(parts))  # noqa: S704 - every value above is escaped


def error_paragraph(name: str, error: Any) -> Markup:
    """The error message beside a field, referenced by its aria-describedby."""
    if not error:
        return Markup("")
    return Markup(  # noqa: S704 - every value is escaped
        f'<p class="error" id="{escape(field_id("e", name))}">{escape(error)}</p>'
    )


def described_by(q: Mapping, name: str, error: Any, lang: str, condition: Any = False) -> str:
    """The ids that describe a field: its error, its help, its show-if condition."""
    ids = []
    if error:
        ids.append(field_id("e", name))
    if q.get("help") or hint(q, lang):
        ids.append(field_id("h", name))
    if condition:
        ids.append(f"c-{q['code']}")
    return " ".join(ids)


def control_attributes(q: Mapping, name: str, error: Any, described: Any) -> Markup:
    """id, name and the ARIA state of a control: required, invalid, described by."""
    parts = [f'id="{escape(field_id("f", name))}" name="{escape(name)}"']
    if q.get("required"):
        parts.append(' aria-required="true"')
    if error:
        parts.append(' aria-invalid="true"')
    described = str(described or "").strip()
    if described:
        parts.append(f' aria-describedby="{escape(described)}"')
    return Markup("".join(parts))  # noqa: S704 - every value above is escaped


def shown(value: Any) -> Any:
    """What a text-like control shows: the value as stored, blank for lists and mappings."""
    if value is None or isinstance(value, Mapping | list | tuple | set):
        return ""
    return value


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
    "q_help": help_paragraph,
    "q_error": error_paragraph,
    "q_described": described_by,
    "q_attrs": control_attributes,
    "q_shown": shown,
    "q_kind": kind,
    "q_option": option_label,
}


def install(env: Any) -> None:
    """Make the helpers available to templates rendered by this Jinja environment.

    ``q_partial(q)`` is the template module of a question's type
    (``templates/questionnaires/types/<type>.html``), loaded once by Jinja's cache.
    """

    modules: dict[str, Any] = {}

    def partial(question: Mapping) -> Any:
        kind = question["type"]
        module = modules.get(kind)
        if module is None:
            module = env.get_template(TYPES[kind].template).module
            if not env.auto_reload:  # while templates reload, Jinja's cache decides
                modules[kind] = module
        return module

    env.globals.update(GLOBALS, q_partial=partial)
