"""One translation path: the Babel catalog is the only source of interface strings.

`make messages` extracts the texts marked in app/ and templates/ and updates
translations/en/LC_MESSAGES/messages.po, the edited source of the English interface;
these tests fail while a text has no English translation.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest
from babel.messages.frontend import CommandLineInterface
from babel.messages.pofile import read_po
from flask_babel import force_locale

from app.models import ACCOUNT_TYPE_LABELS, COURSE_STATUS_LABELS, AccountType, CourseStatus
from app.questionnaires import engine

ROOT = Path(__file__).resolve().parents[1]
PO = ROOT / "translations" / "en" / "LC_MESSAGES" / "messages.po"


def _extract_arguments() -> list[str]:
    """The `pybabel extract` options of the Makefile's `messages` target (one source)."""
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    line = re.search(r"pybabel extract (.*)", makefile)
    assert line, "the Makefile's messages target extracts with pybabel"
    arguments = shlex.split(line.group(1))
    output = arguments.index("-o")
    del arguments[output : output + 2]
    return arguments


@pytest.fixture(scope="module")
def extracted(tmp_path_factory: pytest.TempPathFactory):
    pot = tmp_path_factory.mktemp("messages") / "messages.pot"
    arguments = _extract_arguments()
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(ROOT)
        CommandLineInterface().run(["pybabel", "-q", "extract", *arguments, "-o", str(pot)])
    with pot.open("rb") as handle:
        return read_po(handle)


@pytest.fixture(scope="module")
def english():
    with PO.open("rb") as handle:
        return read_po(handle, locale="en")


def test_every_interface_text_has_an_english_translation(extracted, english) -> None:
    missing = [
        (message.context, message.id)
        for message in extracted
        if message.id
        and (
            english.get(message.id, message.context) is None
            or not english.get(message.id, message.context).string
            or english.get(message.id, message.context).fuzzy
        )
    ]
    assert missing == [], "run `make messages` and translate these in messages.po"


def test_the_catalog_holds_no_stale_texts(extracted, english) -> None:
    stale = [(m.context, m.id) for m in english if m.id and extracted.get(m.id, m.context) is None]
    assert stale == []


def test_translations_keep_their_placeholders(english) -> None:
    problems = [(message.id, errors) for message, errors in english.check() if errors]
    assert problems == []


def test_no_python_dict_or_template_table_generates_interface_texts() -> None:
    assert not (ROOT / "scripts" / "translations_en.py").exists()
    for template in (ROOT / "templates").rglob("*.html"):
        source = template.read_text(encoding="utf-8")
        assert not re.search(r'"zh"\s*:\s*\{', source), f"{template}: a UI table by language"
        assert not re.search(r'"en"\s*:\s*"', source), f"{template}: an English text inline"
    engine_source = (ROOT / "app" / "questionnaires").glob("*.py")
    for module in engine_source:
        # (zh, en) pairs: the engine's messages go through the catalog.
        assert not re.search(r'\(\s*"[^"\n]*[\u4e00-\u9fff][^"\n]*",\s*"[A-Z]', module.read_text())


def test_engine_messages_follow_the_questionnaire_language() -> None:
    assert engine.message("required") == "此欄為必填"
    assert engine.message("required", "en") == "This field is required."
    assert engine.message("too_long", "en", limit=10, count=12) == (
        "At most 10 characters (currently 12)."
    )
    definition = {
        "sections": [
            {
                "code": "s",
                "title": {"zh": "段", "en": "S"},
                "questions": [
                    {
                        "code": "rows",
                        "type": "rows",
                        "label": {"zh": "列", "en": "Rows"},
                        "fields": [{"code": "t", "type": "text", "label": {"zh": "t"}}],
                        "max_rows": 3,
                    }
                ],
            }
        ]
    }
    answers = {"rows": [{"t": "a"}, {"t": "b"}]}
    assert engine.summarise(definition, answers)[0]["questions"][0]["text"] == "共 2 列"
    assert engine.summarise(definition, answers, "en")[0]["questions"][0]["text"] == "2 rows"


def test_account_types_and_course_states_are_translated_on_english_pages(app) -> None:
    with app.test_request_context("/"):
        assert str(ACCOUNT_TYPE_LABELS[AccountType.PLANNING]) == "進修規劃"
        with force_locale("en"):
            assert str(ACCOUNT_TYPE_LABELS[AccountType.CHIEF]) == "Chief account"
            assert str(ACCOUNT_TYPE_LABELS[AccountType.PLANNING]) == "Planning"
            assert str(COURSE_STATUS_LABELS[CourseStatus.LIST_CONFIRMED]) == "List confirmed"
