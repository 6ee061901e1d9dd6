"""Question types: one class per type, registered by name.

Each class owns everything about its type:

- its YAML schema: the keys a question of the type may have (``required_keys``,
  ``optional_keys``) and ``build``, which checks them and fills the normalised
  definition (``app.questionnaires.cyclefile`` calls it);
- ``parse``: the answer from a form post, kept as typed (see the bounds below);
- ``check``: validation of a draft (``final=False``) or a submission (``final=True``);
- ``display`` and ``summarise``: the answer as text for read-only pages and PDFs;
- ``hint``: the constraints in words under the label;
- its template ``templates/questionnaires/types/<name>.html`` (macros ``control``,
  and optionally ``field``, ``cell``, ``readonly``), which the one macro file
  ``templates/questionnaires/_fields.html`` calls.

Adding a type is one class here (decorated with ``@register``) and one partial.

A draft keeps what was typed. What parsing never keeps (each reported beside its
field): control characters, NUL, invalid UTF-8 (U+FFFD) and bidirectional controls
(U+202A–U+202E, U+2066–U+2069, which reverse text in official PDFs); option codes the
question does not know (they cannot be shown); text beyond the hard bounds below.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any, ClassVar

from app.i18n import N_, translate, translate_plural, ungettext

if TYPE_CHECKING:
    from app.questionnaires.cyclefile import _QuestionnaireBuilder

# --- hard bounds of what a draft keeps --------------------------------------------------

# One field keeps up to FIELD_FACTOR × its max_length characters (at least FIELD_FLOOR,
# at most FIELD_LIMIT): a 2,000-character remark keeps 8,000 typed characters, so the
# user sees "最多 2000 字（目前 5000 字）" and loses nothing; beyond it is hostile.
FIELD_FLOOR = 1_000
FIELD_FACTOR = 4
FIELD_LIMIT = 20_000
# All text of one plan together (every field and row): 200,000 characters.
PLAN_LIMIT = 200_000
# Rows beyond max_rows are kept up to this slack so the user is told "最多 N 列"
# instead of losing what was typed; anything further is dropped and reported.
ROW_SLACK = 10
OPTION_CODE_CAP = 100
LIST_CAP_SLACK = 10
ADOPTED_FROM = "adopted_from"
ACTIVITIES = "activities"
# Facts a view may supply to `fact` questions (the cycle file refuses others).
KNOWN_FACTS = frozenset(
    {
        "academic_year",
        "county_name",
        "school_code",
        "school_name",
        "stage_name",
        "teacher_name",
    }
)

# Bidirectional embeddings, overrides and isolates: U+202A–U+202E, U+2066–U+2069.
BIDI_CONTROLS = frozenset(chr(c) for c in (*range(0x202A, 0x202F), *range(0x2066, 0x206A)))
_DROPPED = BIDI_CONTROLS | {"\ufffd"}  # U+FFFD: what an invalid UTF-8 byte decodes to

_NUMBER = re.compile(r"[+-]?[0-9]{1,15}(?:\.[0-9]{1,10})?")
_LOOSE_DATE = re.compile(r"([0-9]{4})[-/.]([0-9]{1,2})[-/.]([0-9]{1,2})")
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_EMAIL = re.compile(r"[^@\s]+@[^@\s.]+(?:\.[^@\s.]+)+")
_PHONE = re.compile(r"\+?[0-9()#\- ]{6,30}(?:(?:分機|轉|ext\.?|#) ?[0-9]{1,6})?")

# --- messages (zh-TW source texts; English in translations/en/LC_MESSAGES/messages.po) ---

MESSAGES: dict[str, str] = {
    "required": N_("此欄為必填"),
    "invalid": N_("格式不正確"),
    "too_long": N_("最多 %(limit)s 字（目前 %(count)s 字）"),
    "email": N_("電子郵件格式不正確"),
    "phone": N_("電話格式不正確（例：07-7258600 或 0912-345678）"),
    "number_between": N_("請輸入 %(low)s 到 %(high)s 之間的%(kind)s"),
    "number_min": N_("請輸入不小於 %(low)s 的%(kind)s"),
    "number_max": N_("請輸入不大於 %(high)s 的%(kind)s"),
    "number_any": N_("請輸入%(kind)s"),
    "number_step": N_("數值須以 %(step)s 為單位"),
    "not_in_list": N_("選項不在清單中"),
    "choose_min": N_("請至少選擇 %(count)s 項"),
    "choose_max": N_("最多選擇 %(count)s 項"),
    "date_format": N_("日期格式應為 YYYY-MM-DD"),
    "date_invalid": N_("日期不存在"),
    "rank_duplicate": N_("排序不可重複"),
    "rank_gap": N_("請依序填寫，第 %(rank)s 順位不可空白"),
    "rank_min": N_("請至少排序 %(count)s 項"),
    "option_removed": N_("已移除不在清單中的選項"),
    "not_offered": N_("「%(label)s」不提供給貴校的教育階段，請改選其他選項"),
    "cut": N_("內容過長，只保留前 %(limit)s 字"),
    "plan_cut": N_("整份規劃的文字超過 %(limit)s 字，超過的部分未保留"),
}
# Texts with a row count: the English form follows the count ("1 row", "2 rows").
PLURAL_MESSAGES: dict[str, tuple[str, str]] = {
    "rows_min": ungettext("至少需要 %(count)s 列", "至少需要 %(count)s 列"),
    "rows_max": ungettext("最多 %(count)s 列", "最多 %(count)s 列"),
    "rows_cut": ungettext("最多 %(count)s 列，超過的列未保留", "最多 %(count)s 列，超過的列未保留"),
}
_ROW_INCOMPLETE = N_("第 %(n)s 列尚未填完：缺少 %(fields)s")
_INTEGER, _DECIMAL = N_("整數"), N_("數字")
_LIST_SEPARATOR, _RANK_SEPARATOR = N_("、"), N_("；")
_ROW_COUNT = ungettext("共 %(count)s 列", "共 %(count)s 列")


def message(key: str, lang: str = "zh", **values: Any) -> str:
    """Return one validation message in zh-TW (or English when lang is "en")."""
    if key in PLURAL_MESSAGES:
        return translate_plural(lang, PLURAL_MESSAGES[key], int(values.pop("count")), **values)
    return translate(lang, MESSAGES[key], **values)


# --- small helpers shared by the types and the engine -----------------------------------


def text_in(pair: Mapping | None, lang: str = "zh") -> str:
    """Pick the zh/en text of a label pair, falling back to zh."""
    if not pair:
        return ""
    return pair.get(lang) or pair.get("zh") or ""


def option_label(question: Mapping, code: Any, lang: str = "zh") -> str:
    """Return the label of an option code (offered or withheld), or the code itself."""
    for option in (*question.get("options", ()), *question.get("withheld", ())):
        if option["code"] == code:
            return text_in(option["label"], lang)
    return "" if code is None else str(code)


def is_empty(value: Any) -> bool:
    """Whether an answer counts as unanswered (None, "", [], a list of blanks)."""
    if value is None or value == "" or value == []:
        return True
    return isinstance(value, list) and all(v is None or v == "" for v in value)


def row_is_empty(question: Mapping, row: Any) -> bool:
    """Whether a row of a rows question holds nothing in any of its fields."""
    if not isinstance(row, Mapping):
        return True
    return all(is_empty(row.get(f["code"])) for f in question.get("fields", ()))


def codes_of(question: Mapping) -> set[str]:
    return {option["code"] for option in question.get("options", ())}


def withheld_codes(question: Mapping) -> set[str]:
    """The option codes a definition trimmed to a stage does not offer (engine.for_stage).

    A draft keeps them as typed; a check reports them ("not_offered") beside the field.
    """
    return {option["code"] for option in question.get("withheld", ())}


def not_offered(question: Mapping, codes: Iterable[str], lang: str) -> str:
    labels = translate(lang, _LIST_SEPARATOR).join(option_label(question, c, lang) for c in codes)
    return message("not_offered", lang, label=labels)


def format_number(value: float | int | None) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def to_number(text: str) -> int | float | None:
    """Read a typed number (full-width digits, thousands commas); None if it is not one."""
    text = unicodedata.normalize("NFKC", text).strip().replace(",", "")
    if not _NUMBER.fullmatch(text):
        return None
    number = Decimal(text)
    if number == number.to_integral_value():
        return int(number)
    return float(number)


def clean_text(value: str, *, multiline: bool, cap: int) -> str:
    """Drop control, bidi and replacement characters and lone surrogates; cut at cap.

    They break PDFs (bidi controls reverse text) and PostgreSQL (NUL, surrogates).
    """
    value = value[: cap * 2 + 2].replace("\r\n", "\n").replace("\r", "\n")
    chars = []
    for char in value:
        if char in "\n\t":
            chars.append(char if multiline else " ")
        elif char not in _DROPPED and unicodedata.category(char) not in ("Cc", "Cs"):
            chars.append(char)
    return "".join(chars).strip()[:cap]


def field_cap(question: Mapping) -> int:
    """How many typed characters a field keeps (see FIELD_FACTOR)."""
    length = int(question.get("max_length") or 0)
    return min(FIELD_LIMIT, max(FIELD_FACTOR * length, FIELD_FLOOR))


def form_values(formdata: Any, name: str) -> list[str]:
    """The string values posted under a name (MultiDict or plain dict)."""
    if hasattr(formdata, "getlist"):
        raw = formdata.getlist(name)
    else:
        raw = formdata.get(name) if isinstance(formdata, Mapping) else None
        if raw is None:
            raw = []
        elif not isinstance(raw, list | tuple):
            raw = [raw]
    return [value for value in raw if isinstance(value, str)]


@dataclass
class ParseState:
    """One form post being parsed: the data, what was refused, the plan's text budget."""

    formdata: Any
    lang: str = "zh"
    adoptable: Collection[int] | None = None
    problems: dict[str, str] = field(default_factory=dict)
    budget: int = PLAN_LIMIT
    row_keys: dict[str, dict[int, set[str]]] = field(default_factory=dict)

    def first(self, name: str) -> str:
        values = form_values(self.formdata, name)
        return values[0] if values else ""

    def text(self, raw: str, name: str, *, multiline: bool, cap: int) -> str:
        """Clean typed text, keep it within its field's and the plan's bounds."""
        text = clean_text(raw, multiline=multiline, cap=cap + 1)
        if len(text) > cap:
            text = text[:cap]
            self.problems[name] = message("cut", self.lang, limit=cap)
        if len(text) > self.budget:
            text = text[: self.budget]
            self.problems[name] = message("plan_cut", self.lang, limit=PLAN_LIMIT)
        self.budget -= len(text)
        return text

    def code(self, raw: str) -> str:
        return clean_text(raw, multiline=False, cap=OPTION_CODE_CAP)


# --- the types ------------------------------------------------------------------------------

TYPES: dict[str, QuestionType] = {}


def register(cls: type[QuestionType]) -> type[QuestionType]:
    """Class decorator: make a question type known to the cycle file, engine and templates."""
    TYPES[cls.name] = cls()
    return cls


def type_of(question: Mapping) -> QuestionType:
    """The type object of a normalised question (KeyError for an unknown type)."""
    return TYPES[question["type"]]


class QuestionType:
    """The behaviour shared by every type; subclasses override what differs."""

    name: ClassVar[str] = ""
    required_keys: ClassVar[frozenset[str]] = frozenset()
    optional_keys: ClassVar[frozenset[str]] = frozenset()
    in_rows: ClassVar[bool] = True  # may be a field of a rows question
    stored: ClassVar[bool] = True  # facts are not: they come from the view
    condition_target: ClassVar[bool] = False  # a show_if may point at it
    has_required: ClassVar[bool] = True  # accepts the "required" key

    @property
    def template(self) -> str:
        return f"questionnaires/types/{self.name}.html"

    # YAML schema
    def build(self, builder: _QuestionnaireBuilder, question: dict, data: dict, path: str) -> None:
        """Check the type's own keys and fill in their normalised values and defaults."""

    # form
    def parse(self, question: Mapping, name: str, state: ParseState) -> Any:
        """Read the answer posted under name, as typed (cleaned and bounded)."""
        raw = state.first(name)
        return state.text(raw, name, multiline=False, cap=field_cap(question))

    # validation
    def check(
        self, question: Mapping, value: Any, name: str, *, final: bool, lang: str, errors: dict
    ) -> None:
        """Add the problems of one answer to errors, keyed by form field name."""
        if is_empty(value):
            if final and question.get("required"):
                errors[name] = message("required", lang)
            return
        self.check_value(question, value, name, final=final, lang=lang, errors=errors)

    def check_value(
        self, question: Mapping, value: Any, name: str, *, final: bool, lang: str, errors: dict
    ) -> None:
        """Check a non-empty answer."""

    # read-only
    def display(self, question: Mapping, value: Any, lang: str) -> str:
        """The answer as one line of text; a raw unparsed value shows as typed."""
        if is_empty(value):
            return ""
        return str(value)

    def summarise(self, question: Mapping, value: Any, lang: str, entry: dict) -> None:
        """Fill a summary entry ({"text", "answered", …}) for PDFs and read-only pages."""
        entry["text"] = self.display(question, value, lang)

    def hint(self, question: Mapping, lang: str) -> str:
        """The question's constraints in words, shown under its label (WCAG 3.3.2)."""
        return ""

    def blank(self, value: Any) -> bool:
        """Whether the read-only view shows the answer as unanswered."""
        if value is None or value == "":
            return True
        if isinstance(value, str) or not isinstance(value, Iterable):
            return False
        return not any(value)

    def blank_text(self, lang: str) -> str:
        """What the read-only view shows for an unanswered question."""
        return translate(lang, N_("（未填）"))


@register
class Text(QuestionType):
    name = "text"
    optional_keys = frozenset({"max_length", "format", "autocomplete"})
    formats: ClassVar[tuple[str, ...]] = ("email", "phone")
    autocomplete: ClassVar[tuple[str, ...]] = (
        "name",
        "email",
        "tel",
        "organization",
        "organization-title",
    )
    default_length: ClassVar[int] = 200
    length_limit: ClassVar[int] = 10_000
    multiline: ClassVar[bool] = False

    def build(self, builder: _QuestionnaireBuilder, question: dict, data: dict, path: str) -> None:
        reader = builder.reader
        question["max_length"] = (
            reader.integer(data["max_length"], f"{path}.max_length", 1, self.length_limit)
            if "max_length" in data
            else self.default_length
        )
        if self.name != "text":
            return
        question["format"] = (
            reader.choice(data["format"], f"{path}.format", self.formats)
            if "format" in data
            else None
        )
        question["autocomplete"] = (
            reader.choice(data["autocomplete"], f"{path}.autocomplete", self.autocomplete)
            if "autocomplete" in data
            else None
        )

    def parse(self, question: Mapping, name: str, state: ParseState) -> Any:
        raw = state.first(name)
        text = state.text(raw, name, multiline=self.multiline, cap=field_cap(question))
        if question.get("format") in ("email", "phone"):
            # Full-width ＠ and digits typed with an IME; NFKC may add a leading space.
            text = unicodedata.normalize("NFKC", text).strip()
        return text

    def check_value(
        self, question: Mapping, value: Any, name: str, *, final: bool, lang: str, errors: dict
    ) -> None:
        limit = int(question.get("max_length") or self.default_length)
        if not isinstance(value, str):
            errors[name] = message("invalid", lang)
        elif len(value) > limit:
            errors[name] = message("too_long", lang, limit=limit, count=len(value))
        elif question.get("format") == "email" and not _EMAIL.fullmatch(value):
            errors[name] = message("email", lang)
        elif question.get("format") == "phone" and not _PHONE.fullmatch(value):
            errors[name] = message("phone", lang)


@register
class LongText(Text):
    name = "long_text"
    optional_keys = frozenset({"max_length"})
    default_length = 2000
    length_limit = 20_000
    multiline = True

    def hint(self, question: Mapping, lang: str) -> str:
        return translate(lang, N_("最多 %(n)s 字。"), n=question.get("max_length"))


@register
class Number(QuestionType):
    name = "number"
    optional_keys = frozenset({"min", "max", "integer", "step", "unit"})

    def build(self, builder: _QuestionnaireBuilder, question: dict, data: dict, path: str) -> None:
        reader = builder.reader
        low = reader.number(data["min"], f"{path}.min") if "min" in data else None
        high = reader.number(data["max"], f"{path}.max") if "max" in data else None
        step = reader.number(data["step"], f"{path}.step") if "step" in data else None
        if step is not None and step <= 0:
            reader.error(f"{path}.step", "間距須大於 0")
        integer = True
        if "integer" in data:
            integer = bool(reader.boolean(data["integer"], f"{path}.integer"))
        elif step is not None and not float(step).is_integer():
            integer = False
        if integer:
            for key, value in (("min", low), ("max", high), ("step", step)):
                if value is not None and not float(value).is_integer():
                    reader.error(f"{path}.{key}", "整數題的上下限與間距須為整數")
        if low is not None and high is not None and low > high:
            reader.error(f"{path}.min", f"下限 {low} 不可大於上限 {high}")
        question.update(
            {
                "min": _tidy(low),
                "max": _tidy(high),
                "integer": integer,
                "step": _tidy(step),
                "unit": reader.text_pair(data["unit"], f"{path}.unit") if "unit" in data else None,
            }
        )

    def parse(self, question: Mapping, name: str, state: ParseState) -> Any:
        # Kept as typed when it is not a number ("abc", "十二"): validate says why.
        text = state.text(state.first(name), name, multiline=False, cap=FIELD_FLOOR)
        number = to_number(text)
        return text if number is None else number

    def check_value(
        self, question: Mapping, value: Any, name: str, *, final: bool, lang: str, errors: dict
    ) -> None:
        problem = self.problem(question, value, lang)
        if problem:
            errors[name] = problem

    def rule(self, question: Mapping, lang: str) -> str:
        """Describe what the question accepts (請輸入 0 到 200 之間的整數)."""
        low, high = question.get("min"), question.get("max")
        kind = translate(lang, _INTEGER if question.get("integer", True) else _DECIMAL)
        values = {"low": format_number(low), "high": format_number(high), "kind": kind}
        if low is not None and high is not None:
            return message("number_between", lang, **values)
        if low is not None:
            return message("number_min", lang, **values)
        if high is not None:
            return message("number_max", lang, **values)
        return message("number_any", lang, **values)

    def problem(self, question: Mapping, value: Any, lang: str) -> str | None:
        if isinstance(value, str):
            value = to_number(value)
        if isinstance(value, bool) or not isinstance(value, int | float):
            return self.rule(question, lang)
        if isinstance(value, float) and not math.isfinite(value):
            return self.rule(question, lang)
        low, high = question.get("min"), question.get("max")
        if question.get("integer", True) and not float(value).is_integer():
            return self.rule(question, lang)
        if (low is not None and value < low) or (high is not None and value > high):
            return self.rule(question, lang)
        step = question.get("step")
        if step:
            try:
                offset = Decimal(str(value)) - Decimal(str(low or 0))
                if offset % Decimal(str(step)) != 0:
                    return message("number_step", lang, step=format_number(step))
            except (InvalidOperation, ValueError):
                return self.rule(question, lang)
        return None

    def display(self, question: Mapping, value: Any, lang: str) -> str:
        if is_empty(value):
            return ""
        unit = text_in(question.get("unit"), lang)
        is_number = isinstance(value, int | float) and not isinstance(value, bool)
        text = format_number(value) if is_number else str(value)
        return f"{text} {unit}".strip()

    def hint(self, question: Mapping, lang: str) -> str:
        kind = translate(lang, _INTEGER if question.get("integer") else _DECIMAL)
        low, high = question.get("min"), question.get("max")
        if low is not None and high is not None:
            return translate(
                lang, N_("請輸入 %(min)s 到 %(max)s 之間的%(kind)s。"), min=low, max=high, kind=kind
            )
        if low is not None:
            return translate(lang, N_("請輸入不小於 %(min)s 的%(kind)s。"), min=low, kind=kind)
        if high is not None:
            return translate(lang, N_("請輸入不大於 %(max)s 的%(kind)s。"), max=high, kind=kind)
        return ""


class _Choice(QuestionType):
    """Types answered with option codes: single, multiple, ranking."""

    required_keys = frozenset({"options"})
    condition_target = True

    def build(self, builder: _QuestionnaireBuilder, question: dict, data: dict, path: str) -> None:
        builder.options(question, data, path)

    def display(self, question: Mapping, value: Any, lang: str) -> str:
        if is_empty(value):
            return ""
        return option_label(question, value, lang)


@register
class Single(_Choice):
    name = "single"

    def parse(self, question: Mapping, name: str, state: ParseState) -> Any:
        code = state.code(state.first(name))
        if code and code not in codes_of(question) | withheld_codes(question):
            state.problems[name] = message("option_removed", state.lang)
            return ""
        return code

    def check_value(
        self, question: Mapping, value: Any, name: str, *, final: bool, lang: str, errors: dict
    ) -> None:
        if isinstance(value, str) and value in withheld_codes(question):
            errors[name] = not_offered(question, [value], lang)
        elif not isinstance(value, str) or value not in codes_of(question):
            errors[name] = message("not_in_list", lang)


@register
class Multiple(_Choice):
    name = "multiple"
    optional_keys = frozenset({"min", "max"})

    def build(self, builder: _QuestionnaireBuilder, question: dict, data: dict, path: str) -> None:
        reader = builder.reader
        count = len(builder.options(question, data, path))
        top = count or 1000  # no options: already reported; don't add range errors
        high = reader.integer(data["max"], f"{path}.max", 1, top) if "max" in data else top
        low = reader.integer(data["min"], f"{path}.min", 0, top) if "min" in data else 0
        if low is not None and high is not None and low > high:
            reader.error(f"{path}.min", f"最少選擇數 {low} 不可大於最多選擇數 {high}")
        low = low or 0
        question["min"] = max(low, 1) if question["required"] else low
        question["max"] = high

    def parse(self, question: Mapping, name: str, state: ParseState) -> Any:
        known = (*question.get("options", ()), *question.get("withheld", ()))
        order = {option["code"]: i for i, option in enumerate(known)}
        chosen: dict[str, None] = {}
        for value in form_values(state.formdata, name)[: len(order) + LIST_CAP_SLACK]:
            code = state.code(value)
            if code in order:
                chosen[code] = None
            elif code:
                state.problems[name] = message("option_removed", state.lang)
        return sorted(chosen, key=lambda code: order[code])

    def check(
        self, question: Mapping, value: Any, name: str, *, final: bool, lang: str, errors: dict
    ) -> None:
        if is_empty(value):
            if final and question.get("min", 0) > 0:
                errors[name] = message("choose_min", lang, count=question["min"])
            elif final and question.get("required"):
                errors[name] = message("required", lang)
            return
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            errors[name] = message("invalid", lang)
            return
        chosen = set(value)
        high = question.get("max")
        low = max(int(question.get("min") or 0), 1 if question.get("required") else 0)
        withheld = [code for code in value if code in withheld_codes(question)]
        if withheld:
            errors[name] = not_offered(question, withheld, lang)
        elif chosen - codes_of(question):
            errors[name] = message("not_in_list", lang)
        elif high is not None and len(chosen) > high:
            errors[name] = message("choose_max", lang, count=high)
        elif final and len(chosen) < low:
            errors[name] = message("choose_min", lang, count=low)

    def display(self, question: Mapping, value: Any, lang: str) -> str:
        if is_empty(value):
            return ""
        if not isinstance(value, list):
            return str(value)
        separator = translate(lang, _LIST_SEPARATOR)
        return separator.join(option_label(question, v, lang) for v in value)

    def summarise(self, question: Mapping, value: Any, lang: str, entry: dict) -> None:
        entry["text"] = self.display(question, value, lang)
        if isinstance(value, list):
            entry["items"] = [option_label(question, v, lang) for v in value if v]

    def hint(self, question: Mapping, lang: str) -> str:
        low, high = question.get("min"), question.get("max")
        limited = high is not None and high < len(question.get("options") or ())
        if low and limited and low == high:
            return translate(lang, N_("請至少選擇 %(min)s 項。"), min=low)
        if low and limited:
            return translate(lang, N_("請選擇 %(min)s 至 %(max)s 項。"), min=low, max=high)
        if limited:
            return translate(lang, N_("最多選擇 %(max)s 項。"), max=high)
        return translate(lang, N_("請至少選擇 %(min)s 項。"), min=low) if low else ""


@register
class Ranking(_Choice):
    name = "ranking"
    required_keys = frozenset({"options", "ranks"})
    optional_keys = frozenset({"min"})
    in_rows = False
    condition_target = False
    max_ranks: ClassVar[int] = 10

    def build(self, builder: _QuestionnaireBuilder, question: dict, data: dict, path: str) -> None:
        reader = builder.reader
        count = len(builder.options(question, data, path))
        top = min(count, self.max_ranks) if count else self.max_ranks
        ranks = reader.integer(data.get("ranks"), f"{path}.ranks", 1, top) or 1
        default = ranks if question["required"] else 0
        low = reader.integer(data["min"], f"{path}.min", 0, ranks) if "min" in data else default
        low = low or 0
        question["ranks"] = ranks
        question["min"] = max(low, 1) if question["required"] else low

    def parse(self, question: Mapping, name: str, state: ParseState) -> Any:
        codes = codes_of(question) | withheld_codes(question)
        value: list[str | None] = []
        for rank in range(1, int(question.get("ranks") or 0) + 1):
            code = state.code(state.first(f"{name}.{rank}"))
            if code and code not in codes:
                state.problems[f"{name}.{rank}"] = message("option_removed", state.lang)
                code = ""
            value.append(code or None)
        return value

    def check(
        self, question: Mapping, value: Any, name: str, *, final: bool, lang: str, errors: dict
    ) -> None:
        if value is None:
            value = []
        ranks = int(question.get("ranks") or 0)
        if not isinstance(value, list) or len(value) > ranks:
            errors[name] = message("invalid", lang)
            return
        codes = codes_of(question)
        seen: set[str] = set()
        for rank, code in enumerate(value, start=1):
            if code is None or code == "":
                continue
            if isinstance(code, str) and code in withheld_codes(question):
                errors[f"{name}.{rank}"] = not_offered(question, [code], lang)
            elif not isinstance(code, str) or code not in codes:
                errors[f"{name}.{rank}"] = message("not_in_list", lang)
            elif code in seen:
                errors[f"{name}.{rank}"] = message("rank_duplicate", lang)
            if isinstance(code, str):
                seen.add(code)
        if not final:
            return
        filled = [r for r, code in enumerate(value, start=1) if isinstance(code, str) and code]
        last = filled[-1] if filled else 0
        for rank in range(1, last):
            if rank not in filled:
                errors.setdefault(f"{name}.{rank}", message("rank_gap", lang, rank=rank))
        low = max(int(question.get("min") or 0), 1 if question.get("required") else 0)
        if len(filled) < low:
            errors[name] = message("rank_min", lang, count=low)

    def display(self, question: Mapping, value: Any, lang: str) -> str:
        if is_empty(value):
            return ""
        if not isinstance(value, list):
            return str(value)
        parts = [
            f"{rank}. {option_label(question, code, lang)}"
            for rank, code in enumerate(value, start=1)
            if code
        ]
        return translate(lang, _RANK_SEPARATOR).join(parts)

    def summarise(self, question: Mapping, value: Any, lang: str, entry: dict) -> None:
        entry["text"] = self.display(question, value, lang)
        if isinstance(value, list):
            entry["items"] = [option_label(question, v, lang) for v in value if v]

    def hint(self, question: Mapping, lang: str) -> str:
        return translate(lang, N_("請依序選出 %(n)s 項，不可重複。"), n=question.get("ranks"))


@register
class Date(QuestionType):
    name = "date"

    def parse(self, question: Mapping, name: str, state: ParseState) -> Any:
        text = state.text(state.first(name), name, multiline=False, cap=FIELD_FLOOR)
        match = _LOOSE_DATE.fullmatch(unicodedata.normalize("NFKC", text))
        if match:
            try:
                return date(*(int(part) for part in match.groups())).isoformat()
            except ValueError:
                return text
        return text

    def check_value(
        self, question: Mapping, value: Any, name: str, *, final: bool, lang: str, errors: dict
    ) -> None:
        if not isinstance(value, str) or not _ISO_DATE.fullmatch(value):
            errors[name] = message("date_format", lang)
            return
        try:
            date.fromisoformat(value)
        except ValueError:
            errors[name] = message("date_invalid", lang)

    def hint(self, question: Mapping, lang: str) -> str:
        return translate(lang, N_("格式：YYYY-MM-DD。"))

    def is_day(self, value: Any) -> bool:
        """Whether a stored date is a real day (the date picker can show it)."""
        return is_iso_date(value)


def is_iso_date(value: Any) -> bool:
    """Whether a stored date is a real YYYY-MM-DD day (else it is shown as typed text)."""
    if not isinstance(value, str) or not _ISO_DATE.fullmatch(value):
        return False
    try:
        date.fromisoformat(value)
    except ValueError:
        return False
    return True


@register
class Fact(QuestionType):
    name = "fact"
    required_keys = frozenset({"fact"})
    in_rows = False
    stored = False
    has_required = False

    def build(self, builder: _QuestionnaireBuilder, question: dict, data: dict, path: str) -> None:
        question["fact"] = builder.reader.choice(
            data.get("fact"), f"{path}.fact", tuple(sorted(KNOWN_FACTS))
        )

    def parse(self, question: Mapping, name: str, state: ParseState) -> Any:
        return None  # facts never come from the form

    def check(
        self, question: Mapping, value: Any, name: str, *, final: bool, lang: str, errors: dict
    ) -> None:
        return None


@register
class Rows(QuestionType):
    name = "rows"
    required_keys = frozenset({"fields"})
    optional_keys = frozenset({"min_rows", "max_rows"})
    in_rows = False
    max_rows_limit: ClassVar[int] = 200

    def build(self, builder: _QuestionnaireBuilder, question: dict, data: dict, path: str) -> None:
        reader = builder.reader
        limit = self.max_rows_limit
        high = (
            reader.integer(data["max_rows"], f"{path}.max_rows", 1, limit)
            if "max_rows" in data
            else 50
        )
        low = (
            reader.integer(data["min_rows"], f"{path}.min_rows", 0, limit)
            if "min_rows" in data
            else 0
        )
        if low is not None and high is not None and low > high:
            reader.error(f"{path}.min_rows", f"最少列數 {low} 不可大於最多列數 {high}")
        low = low or 0
        question["min_rows"] = max(low, 1) if question["required"] else low
        question["max_rows"] = high
        fields, codes = [], set()
        raw_fields, fields_path = data.get("fields"), f"{path}.fields"
        if not isinstance(raw_fields, list) or not raw_fields:
            reader.error(fields_path, "須為至少一個欄位的清單")
            raw_fields = []
        for i, raw in enumerate(raw_fields):
            sub = builder.question(raw, f"{fields_path}[{i}]", in_rows=True)
            if sub is None:
                continue
            sub_path = f"{fields_path}[{i}].code"
            if sub["code"] == ADOPTED_FROM:
                reader.error(sub_path, f"「{ADOPTED_FROM}」是保留的代碼")
            elif sub["code"] and sub["code"] in codes:
                reader.error(sub_path, f"欄位代碼重複「{sub['code']}」")
            codes.add(sub["code"])
            fields.append(sub)
        question["fields"] = fields

    def parse(self, question: Mapping, name: str, state: ParseState) -> Any:
        code = question["code"]
        adoptable = state.adoptable if code == ACTIVITIES else None
        rows: list[dict] = []
        for index in sorted(state.row_keys.get(code, {})):
            row: dict[str, Any] = {}
            for sub in question.get("fields", ()):
                value = type_of(sub).parse(sub, f"{name}.{index}.{sub['code']}", state)
                if not is_empty(value):
                    row[sub["code"]] = value
            if row and adoptable:
                # Only a real row of the visible school plan (adopt_rows put it there).
                marker = state.first(f"{name}.{index}.{ADOPTED_FROM}").strip()
                named = marker.isascii() and marker.isdigit() and len(marker) <= 6
                if named and int(marker) in adoptable:
                    row[ADOPTED_FROM] = int(marker)
            rows.append(row)
        # Trailing blank rows are dropped; blank rows in the middle stay so that row
        # numbers keep matching the rendered form (a "刪除此列" click names a row index).
        while rows and not rows[-1]:
            rows.pop()
        return rows

    def check(
        self, question: Mapping, value: Any, name: str, *, final: bool, lang: str, errors: dict
    ) -> None:
        if value is None:
            value = []
        if not isinstance(value, list):
            errors[name] = message("invalid", lang)
            return
        max_rows = int(question.get("max_rows") or 0)
        min_rows = max(int(question.get("min_rows") or 0), 1 if question.get("required") else 0)
        filled = [i for i, row in enumerate(value) if not row_is_empty(question, row)]
        if any(not isinstance(row, Mapping) for row in value if row is not None):
            errors[name] = message("invalid", lang)
        elif len(filled) > max_rows:
            errors[name] = message("rows_max", lang, count=max_rows)
        elif final and len(filled) < min_rows:
            errors[name] = self.incomplete_row(question, value, filled, min_rows, lang)
        for index in filled[: max_rows + ROW_SLACK]:
            row = value[index]
            for sub in question.get("fields", ()):
                type_of(sub).check(
                    sub,
                    row.get(sub["code"]),
                    f"{name}.{index}.{sub['code']}",
                    final=final,
                    lang=lang,
                    errors=errors,
                )

    def incomplete_row(
        self, question: Mapping, value: list, filled: list[int], min_rows: int, lang: str
    ) -> str:
        """Too few rows: name the first row on screen still blank (the form always shows
        min_rows rows) and what it lacks, rather than "至少需要 N 列" beside an empty row."""
        max_rows = int(question.get("max_rows") or 0)
        on_screen = max(len(value), min(max(min_rows, 1), max_rows))
        blank = next((i for i in range(on_screen) if i not in filled), None)
        fields = question.get("fields", ())
        needed = [sub for sub in fields if sub.get("required")] or list(fields)
        if blank is None or not needed:
            return message("rows_min", lang, count=min_rows)
        names = translate(lang, _LIST_SEPARATOR).join(
            text_in(sub.get("label"), lang).rstrip("？?：:") for sub in needed
        )
        return translate(lang, _ROW_INCOMPLETE, n=blank + 1, fields=names)

    def display(self, question: Mapping, value: Any, lang: str) -> str:
        return translate_plural(lang, _ROW_COUNT, len(list(self.rows(question, value))))

    def blank(self, value: Any) -> bool:
        return not self.shown_rows(value)

    def blank_text(self, lang: str) -> str:
        return translate(lang, N_("（尚無資料）"))

    def shown_rows(self, value: Any) -> list[Mapping]:
        """The rows the read-only table shows: those holding more than an adoption marker."""
        if not isinstance(value, list):
            return []
        return [r for r in value if isinstance(r, Mapping) and any(k != ADOPTED_FROM for k in r)]

    def rows(self, question: Mapping, value: Any) -> Iterable[dict]:
        """The non-blank rows, limited to the known fields (and the adoption marker)."""
        if not isinstance(value, list):
            return
        known = [sub["code"] for sub in question.get("fields", ())] + [ADOPTED_FROM]
        for row in value:
            if not row_is_empty(question, row):
                yield {key: row[key] for key in known if key in row}

    def summarise(self, question: Mapping, value: Any, lang: str, entry: dict) -> None:
        fields = question.get("fields", ())
        entry["columns"] = [text_in(sub["label"], lang) for sub in fields]
        rows = list(self.rows(question, value))
        entry["rows"] = [
            [type_of(sub).display(sub, row.get(sub["code"]), lang) for sub in fields]
            for row in rows
        ]
        # Per row: taken over from the school plan (its adopted_from marker), for the PDF.
        entry["adopted"] = [isinstance(row.get(ADOPTED_FROM), int) for row in rows]
        entry["text"] = translate_plural(lang, _ROW_COUNT, len(entry["rows"]))
        entry["answered"] = bool(entry["rows"])

    def hint(self, question: Mapping, lang: str) -> str:
        if question.get("min_rows"):
            return translate(
                lang,
                N_("至少 %(min)s 列，最多 %(max)s 列。"),
                min=question["min_rows"],
                max=question.get("max_rows"),
            )
        return translate(lang, N_("最多 %(max)s 列。"), max=question.get("max_rows"))


def _tidy(value: int | float | None) -> int | float | None:
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value
