"""Question types as classes: adding a type is one class and one partial."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
from jinja2 import ChoiceLoader, DictLoader, Environment, FileSystemLoader
from werkzeug.datastructures import MultiDict

from app.questionnaires import engine, markup, types
from app.questionnaires.cyclefile import CycleFileError, parse_questionnaire

ROOT = Path(__file__).resolve().parents[1]


class Colour(types.QuestionType):
    """A colour as #rrggbb: the example of a type added later."""

    name = "colour_test"
    optional_keys = frozenset({"palette"})

    def build(self, builder: Any, question: dict, data: dict, path: str) -> None:
        question["palette"] = (
            builder.reader.choice(data["palette"], f"{path}.palette", ("web", "print"))
            if "palette" in data
            else "web"
        )

    def parse(self, question: Mapping, name: str, state: types.ParseState) -> Any:
        return state.text(state.first(name), name, multiline=False, cap=20).lower()

    def check_value(
        self, question: Mapping, value: Any, name: str, *, final: bool, lang: str, errors: dict
    ) -> None:
        if not re.fullmatch(r"#[0-9a-f]{6}", str(value)):
            errors[name] = types.message("invalid", lang)

    def display(self, question: Mapping, value: Any, lang: str) -> str:
        return "" if types.is_empty(value) else f"{value} ({question['palette']})"


PARTIAL = """
{%- macro control(q, name, value, error, described, lang) -%}
<input type="color" class="q-input" {{ q_attrs(q, name, error, described) }}
  value="{{ q_shown(value) }}">
{%- endmacro -%}
{%- macro readonly(q, value, lang) -%}<span class="swatch">{{ value }}</span>{%- endmacro -%}
"""

SPEC = {
    "version": 1,
    "sections": [
        {
            "code": "s",
            "title": {"zh": "段", "en": "S"},
            "questions": [
                {
                    "code": "wall",
                    "type": "colour_test",
                    "label": {"zh": "牆色", "en": "Wall"},
                    "palette": "print",
                    "required": True,
                },
                {
                    "code": "rooms",
                    "type": "rows",
                    "label": {"zh": "房間", "en": "Rooms"},
                    "fields": [
                        {"code": "door", "type": "colour_test", "label": {"zh": "門", "en": "D"}}
                    ],
                },
            ],
        }
    ],
}


@pytest.fixture
def colour() -> Iterator[None]:
    types.register(Colour)
    try:
        yield
    finally:
        del types.TYPES[Colour.name]


def test_a_new_type_is_one_class_and_one_partial(colour) -> None:
    definition = parse_questionnaire(SPEC, "colours.yaml")
    assert definition["sections"][0]["questions"][0]["palette"] == "print"

    answers = engine.parse_form(
        definition, MultiDict([("q.wall", "#AABBCC"), ("q.rooms.0.door", "red")])
    )
    assert answers == {"wall": "#aabbcc", "rooms": [{"door": "red"}]}
    assert engine.validate(definition, answers, final=True) == {"q.rooms.0.door": "格式不正確"}
    assert engine.validate(definition, {}, final=True) == {"q.wall": "此欄為必填"}
    summary = engine.summarise(definition, answers)[0]["questions"]
    assert summary[0]["text"] == "#aabbcc (print)"
    assert summary[1]["rows"] == [["red (web)"]]

    env = Environment(
        loader=ChoiceLoader(
            [
                DictLoader({"questionnaires/types/colour_test.html": PARTIAL}),
                FileSystemLoader(str(ROOT / "templates")),
            ]
        ),
        autoescape=True,
        extensions=["jinja2.ext.i18n"],
    )
    env.install_null_translations(newstyle=True)
    markup.install(env)
    page = env.from_string(
        '{% from "questionnaires/_fields.html" import render_questionnaire %}'
        "{{ render_questionnaire(d, a, e, {}, readonly=ro) }}"
    )
    errors = engine.validate(definition, answers, final=True)
    html = page.render(d=definition, a=answers, e=errors, ro=False)
    assert re.search(r'<label class="field-label" for="f-wall">牆色</label>', html)
    assert '<input type="color" class="q-input" id="f-wall" name="q.wall"' in html
    assert 'value="#aabbcc">' in html
    assert 'id="f-rooms-0-door" name="q.rooms.0.door" aria-invalid="true"' in html
    readonly = page.render(d=definition, a=answers, e={}, ro=True)
    assert '<span class="swatch">#aabbcc</span>' in readonly


def test_the_cycle_file_knows_only_registered_types() -> None:
    with pytest.raises(CycleFileError) as caught:
        parse_questionnaire(SPEC, "colours.yaml")
    assert (
        "colours.yaml: sections[0].questions[0].type: 不明的題型「colour_test」"
        in (caught.value.messages[0])
    )


def test_every_registered_type_has_its_partial() -> None:
    for name, kind in types.TYPES.items():
        partial = ROOT / "templates" / kind.template
        assert partial.exists(), name
        assert "macro control(" in partial.read_text(encoding="utf-8"), name
