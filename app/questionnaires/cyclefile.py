"""Cycle files: one YAML file per academic year with its schedule and questionnaires.

``load_cycle_file`` reads and checks a whole file and either returns a
``CycleSpec`` or raises ``CycleFileError`` listing every problem found (file,
path inside it, what is wrong, in zh-TW). Nothing is half-accepted.

Times are Asia/Taipei wall clock: ``2024-08-23 17:00``; a file may also say
``today+5d 17:00`` (resolved against the ``today`` argument, for the demo).

The questionnaire of each plan is normalised into plain JSON data: option
lists are inlined into each question (``options``), the list name is kept in
``option_list`` so reports can compare answers across schools and years;
defaults are filled in; ``fingerprint`` is the sha256 of the canonical JSON
without ``version``, so an importer can tell a changed definition from the same.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any, NamedTuple

import yaml

from app import timeutil
from app.questionnaires import requirements
from app.questionnaires.types import TYPES, Ranking, Rows, Text

STAGES: dict[str, dict[str, str]] = {
    "E": {"zh": "國小", "en": "Elementary school"},
    "J": {"zh": "國中", "en": "Junior high school"},
    "S": {"zh": "高中", "en": "Senior high school"},
    "V": {"zh": "高職", "en": "Vocational high school"},
    "X": {"zh": "特殊教育學校", "en": "Special education school"},
    "K": {"zh": "幼兒園", "en": "Kindergarten"},
}
PLAN_KINDS = ("school", "teacher")
# The stages a plan kind can ever include: kindergartens never fill the school plan.
PLAN_STAGES = {"school": ("E", "J", "S", "V", "X"), "teacher": tuple(STAGES)}
PLAN_NAMES = {"school": "學校本位進修規劃", "teacher": "教師自我專業進修規劃"}
STATUSES = ("draft", "published", "closed")
# The registered types, in registry order; each type's class owns its own YAML keys.
QUESTION_TYPES = tuple(TYPES)


def _row_field_types() -> tuple[str, ...]:
    return tuple(sorted(name for name, kind in TYPES.items() if kind.in_rows))


ROW_FIELD_TYPES = _row_field_types()
TEXT_FORMATS = Text.formats
AUTOCOMPLETE = Text.autocomplete
MAX_ROWS_LIMIT = Rows.max_rows_limit
MAX_RANKS = Ranking.max_ranks

_CODE = re.compile(r"[a-z][a-z0-9_]{0,39}")
_OPTION_CODE = re.compile(r"[a-z0-9][a-z0-9_]{0,39}")
_ABSOLUTE = re.compile(
    r"([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})[ T]([0-9]{1,2}):([0-9]{2})(?::([0-9]{2}))?"
)
_RELATIVE = re.compile(r"today(?:([+-])([0-9]{1,4})d)?\s+([0-9]{1,2}):([0-9]{2})")
_EMAIL = re.compile(r"[^@\s]+@[^@\s.]+(?:\.[^@\s.]+)+")

_COMMON_KEYS = {"code", "type", "label", "help", "required", "show_if", "stages"}


class CycleFileError(ValueError):
    """A cycle or questionnaire file was refused; ``messages`` lists every problem."""

    def __init__(self, messages: list[str]) -> None:
        self.messages = list(messages)
        super().__init__("\n".join(self.messages))


class Window(NamedTuple):
    opens_at: datetime
    closes_at: datetime


@dataclass(frozen=True)
class PlanSpec:
    overall_opens_at: datetime
    overall_closes_at: datetime
    windows: dict[str, Window]
    questionnaire: dict
    questionnaire_source: str = ""

    @property
    def stages(self) -> tuple[str, ...]:
        return tuple(self.windows)


@dataclass(frozen=True)
class CycleSpec:
    academic_year: int
    name: str
    status: str
    roster_cutoff: datetime
    kindergarten_teachers_take_part: bool
    contact: dict
    plans: dict[str, PlanSpec]
    source: str = ""

    def window_for(self, plan_kind: str, stage: str) -> Window | None:
        """Return the window of a plan kind for a stage, None if it takes no part."""
        plan = self.plans.get(plan_kind)
        return plan.windows.get(stage) if plan else None


# --- YAML ---------------------------------------------------------------------------


class _Loader(yaml.SafeLoader):
    """YAML as people expect it: times stay text, only true/false are booleans,
    and a key written twice in one mapping is an error (a typo, not an override)."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict:
        if isinstance(node, yaml.MappingNode):
            seen: set[str] = set()
            for key_node, _value in node.value:
                if key_node.tag == "tag:yaml.org,2002:merge" or not isinstance(
                    key_node, yaml.ScalarNode
                ):
                    continue
                if key_node.value in seen:
                    raise yaml.constructor.ConstructorError(
                        None, None, f"重複的鍵「{key_node.value}」", key_node.start_mark
                    )
                seen.add(key_node.value)
        return super().construct_mapping(node, deep=deep)


_Loader.yaml_implicit_resolvers = {
    first: [
        (tag, regexp)
        for tag, regexp in resolvers
        if tag not in ("tag:yaml.org,2002:timestamp", "tag:yaml.org,2002:bool")
    ]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)


# Anchors and aliases are YAML; a document whose aliases expand past this many nodes (a
# "billion laughs") or refer to themselves is refused before anything walks it.
MAX_EXPANDED_NODES = 100_000


def _expanded_size(node: yaml.Node, sizes: dict[int, int], open_nodes: set[int]) -> int:
    """Count the nodes `node` stands for once every alias is expanded (memoised per node)."""
    key = id(node)
    if key in sizes:
        return sizes[key]
    if key in open_nodes:
        raise _TooLarge("YAML 別名（alias）不可參照自身")
    open_nodes.add(key)
    total = 1
    if isinstance(node, yaml.SequenceNode):
        children: list[yaml.Node] = list(node.value)
    elif isinstance(node, yaml.MappingNode):
        children = [part for pair in node.value for part in pair]
    else:
        children = []
    for child in children:
        total += _expanded_size(child, sizes, open_nodes)
        if total > MAX_EXPANDED_NODES:
            raise _TooLarge(f"YAML 錨點與別名展開後超過 {MAX_EXPANDED_NODES:,} 個節點，拒絕處理")
    open_nodes.discard(key)
    sizes[key] = total
    return total


class _TooLarge(ValueError):
    pass


def _read_yaml(path: Path) -> Any:
    name = path.name
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise CycleFileError([f"{name}: 找不到檔案"]) from None
    except UnicodeDecodeError:
        raise CycleFileError([f"{name}: 檔案須為 UTF-8 編碼"]) from None
    except OSError as exc:
        raise CycleFileError([f"{name}: 無法讀取檔案（{exc.strerror}）"]) from None
    return _load_yaml_text(text, name)


def _load_yaml_text(text: str, name: str) -> Any:
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        _expanded_size(node, {}, set())
        return loader.construct_document(node)
    except _TooLarge as exc:
        raise CycleFileError([f"{name}: {exc}"]) from None
    except RecursionError:
        raise CycleFileError([f"{name}: YAML 巢狀層數過深，拒絕處理"]) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"第 {mark.line + 1} 行第 {mark.column + 1} 欄" if mark else "（位置不明）"
        raise CycleFileError([f"{name}: {where}: YAML 語法錯誤：{exc.problem}"]) from None
    except yaml.YAMLError as exc:
        raise CycleFileError([f"{name}: YAML 語法錯誤：{exc}"]) from None
    finally:
        loader.dispose()


# --- checking -------------------------------------------------------------------------


def _join(path: str, key: str | int) -> str:
    if isinstance(key, int):
        return f"{path}[{key}]"
    return f"{path}.{key}" if path else key


def _show(moment: datetime) -> str:
    return f"{moment:%Y-%m-%d %H:%M}"


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def fingerprint(definition: Mapping) -> str:
    """Return the sha256 of a definition's canonical JSON, ignoring its version."""
    body = {k: v for k, v in definition.items() if k not in ("version", "fingerprint")}
    return hashlib.sha256(_canonical(body).encode("utf-8")).hexdigest()


@dataclass
class _Reader:
    """Checks values of one file and collects messages instead of stopping."""

    file: str
    errors: list[str]
    today: date
    base_dir: Path | None = None

    def error(self, path: str, text: str) -> None:
        self.errors.append(f"{self.file}: {path or '（檔案根層）'}: {text}")

    def mapping(
        self,
        value: Any,
        path: str,
        required: set[str] | tuple = (),
        optional: set[str] | tuple = (),
    ) -> dict | None:
        if not isinstance(value, dict):
            self.error(path, "須為對應表（key: value）")
            return None
        allowed = set(required) | set(optional)
        for key in value:
            if key in allowed:
                continue
            close = difflib.get_close_matches(str(key), sorted(allowed), n=1)
            hint = (
                f"，是否為「{close[0]}」？" if close else f"（可用：{', '.join(sorted(allowed))}）"
            )
            self.error(_join(path, str(key)), f"未知的欄位{hint}")
        for key in sorted(set(required) - set(value)):
            self.error(_join(path, key), "缺少必要欄位")
        return value

    def string(self, value: Any, path: str, *, pattern: re.Pattern | None = None) -> str | None:
        if not isinstance(value, str) or not value.strip():
            self.error(path, "須為非空白的文字")
            return None
        if pattern and not pattern.fullmatch(value):
            self.error(path, f"代碼「{value}」格式不正確（須為小寫英文字母開頭，只含 a-z、0-9、_）")
            return None
        return value.strip()

    def integer(self, value: Any, path: str, low: int, high: int) -> int | None:
        if isinstance(value, bool) or not isinstance(value, int):
            self.error(path, "須為整數")
            return None
        if not low <= value <= high:
            self.error(path, f"須介於 {low} 到 {high} 之間")
            return None
        return value

    def number(self, value: Any, path: str) -> int | float | None:
        if isinstance(value, bool) or not isinstance(value, int | float):
            self.error(path, "須為數字")
            return None
        if not math.isfinite(value):
            self.error(path, "須為有限的數字")
            return None
        return value

    def boolean(self, value: Any, path: str) -> bool | None:
        if not isinstance(value, bool):
            self.error(path, "須為 true 或 false")
            return None
        return value

    def choice(self, value: Any, path: str, allowed: tuple[str, ...]) -> str | None:
        if value not in allowed:
            self.error(path, f"須為 {'、'.join(allowed)} 之一")
            return None
        return value

    def stages(self, value: Any, path: str) -> list[str] | None:
        """A `stages:` list: known stage codes, no repeats; returned in STAGES order."""
        if not isinstance(value, list) or not value:
            self.error(path, f"須為至少一個教育階段代碼的清單（可用：{', '.join(STAGES)}）")
            return None
        seen: list[str] = []
        ok = True
        for i, code in enumerate(value):
            if not isinstance(code, str) or code not in STAGES:
                self.error(
                    _join(path, i), f"不明的教育階段代碼「{code}」（可用：{', '.join(STAGES)}）"
                )
                ok = False
            elif code in seen:
                self.error(_join(path, i), f"教育階段代碼重複「{code}」")
                ok = False
            else:
                seen.append(code)
        return [code for code in STAGES if code in seen] if ok else None

    def text_pair(self, value: Any, path: str) -> dict | None:
        data = self.mapping(value, path, required={"zh", "en"})
        if data is None:
            return None
        zh = self.string(data.get("zh"), _join(path, "zh")) if "zh" in data else None
        en = self.string(data.get("en"), _join(path, "en")) if "en" in data else None
        return {"zh": zh, "en": en} if zh and en else None

    def moment(self, value: Any, path: str) -> datetime | None:
        if isinstance(value, datetime):
            if value.tzinfo is None:
                return value.replace(tzinfo=timeutil.TAIPEI)
            return value.astimezone(timeutil.TAIPEI)
        text = value.strip() if isinstance(value, str) else ""
        absolute, relative = _ABSOLUTE.fullmatch(text), _RELATIVE.fullmatch(text)
        try:
            if absolute:
                year, month, day, hour, minute, second = (
                    int(p) for p in absolute.groups(default="0")
                )
                return datetime(year, month, day, hour, minute, second, tzinfo=timeutil.TAIPEI)
            if relative:
                sign, days, hours, minutes = relative.groups(default="0")
                offset = int(days) if sign != "-" else -int(days)
                on = self.today + timedelta(days=offset)
                return datetime.combine(on, time(int(hours), int(minutes)), timeutil.TAIPEI)
        except ValueError:
            self.error(path, f"「{text}」不是有效的日期時間")
            return None
        self.error(path, "時間格式應為 YYYY-MM-DD HH:MM（臺北時間）或 today+Nd HH:MM")
        return None

    def period(self, value: Any, path: str) -> Window | None:
        data = self.mapping(value, path, required={"opens_at", "closes_at"})
        if data is None:
            return None
        opens_at = (
            self.moment(data["opens_at"], _join(path, "opens_at")) if "opens_at" in data else None
        )
        closes_at = (
            self.moment(data["closes_at"], _join(path, "closes_at"))
            if "closes_at" in data
            else None
        )
        if opens_at is None or closes_at is None:
            return None
        if closes_at <= opens_at:
            self.error(_join(path, "closes_at"), "截止時間須晚於開始時間")
            return None
        return Window(opens_at, closes_at)


# --- option lists and questionnaires ------------------------------------------------------


def _option_list(reader: _Reader, value: Any, path: str) -> list[dict] | None:
    if not isinstance(value, list) or not value:
        reader.error(path, "須為至少一個選項的清單")
        return None
    options, codes, ok = [], set(), True
    for i, raw in enumerate(value):
        item_path = _join(path, i)
        data = reader.mapping(raw, item_path, required={"code", "label"}, optional={"stages"})
        if data is None or not {"code", "label"} <= set(data):
            ok = False
            continue
        code = data["code"]
        if not isinstance(code, str) or not _OPTION_CODE.fullmatch(code):
            reader.error(
                _join(item_path, "code"),
                f"選項代碼「{code}」格式不正確（只含小寫英文字母、數字、_，最長 40 字）",
            )
            ok = False
        elif code in codes:
            reader.error(_join(item_path, "code"), f"選項代碼重複「{code}」")
            ok = False
        else:
            codes.add(code)
        label = reader.text_pair(data["label"], _join(item_path, "label"))
        ok = ok and label is not None
        option: dict[str, Any] = {"code": code, "label": label}
        if "stages" in data:
            stages = reader.stages(data["stages"], _join(item_path, "stages"))
            ok = ok and stages is not None
            option["stages"] = stages
        options.append(option)
    return options if ok else None


def _option_lists(reader: _Reader, value: Any, path: str) -> dict[str, list[dict] | None]:
    if not isinstance(value, dict):
        reader.error(path, "須為對應表（清單名稱: 選項）")
        return {}
    lists = {}
    for name, raw in value.items():
        if not isinstance(name, str) or not _CODE.fullmatch(name):
            reader.error(_join(path, str(name)), "選項清單名稱格式不正確（小寫英文字母開頭）")
            continue
        # A broken list is kept as None: questions using it then stay quiet
        # instead of repeating "not found" for a list already reported.
        lists[name] = _option_list(reader, raw, _join(path, name))
    return lists


@dataclass
class _QuestionnaireBuilder:
    reader: _Reader
    lists: dict[str, list[dict] | None]
    earlier: dict[str, dict] = field(default_factory=dict)
    codes: set[str] = field(default_factory=set)
    paths: dict[str, str] = field(default_factory=dict)
    # Every question with options: (question, its path, options written inline, the
    # top-level question it belongs to), for the stage checks once all is read.
    choices: list[tuple[dict, str, bool, dict]] = field(default_factory=list)
    top: dict | None = None

    def build(
        self,
        raw: Any,
        path: str,
        shared_lists: Mapping[str, list[dict] | None],
        plan_kind: str | None = None,
        stages: tuple[str, ...] | None = None,
    ) -> dict | None:
        """Check and normalise a questionnaire; with plan_kind, also the questions that
        other features declared they read (app.questionnaires.requirements).

        ``stages``: the stages taking part in the plan of a cycle; without them the
        stage checks cover every stage the plan kind can include (PLAN_STAGES)."""
        reader = self.reader
        before = len(reader.errors)
        data = reader.mapping(
            raw, path, required={"version", "sections"}, optional={"title", "option_lists"}
        )
        if data is None:
            return None
        version = (
            reader.integer(data["version"], _join(path, "version"), 1, 10**6)
            if "version" in data
            else None
        )
        title = reader.text_pair(data["title"], _join(path, "title")) if "title" in data else None
        self.lists = dict(shared_lists)
        if "option_lists" in data:
            own = _option_lists(reader, data["option_lists"], _join(path, "option_lists"))
            for name in own:
                if name in shared_lists:
                    reader.error(_join(_join(path, "option_lists"), name), "與週期檔的選項清單同名")
            self.lists.update(own)
        sections = self.sections(data.get("sections"), _join(path, "sections"))
        if len(reader.errors) == before:
            self.check_stages(plan_kind, stages)
        if len(reader.errors) > before or version is None:
            return None
        definition: dict[str, Any] = {"version": version, "title": title, "sections": sections}
        if plan_kind is not None:
            root = _join(path, "sections")
            for where, text in requirements.problems(plan_kind, definition, self.paths, root):
                reader.error(where, text)
            if len(reader.errors) > before:
                return None
        definition["fingerprint"] = fingerprint(definition)
        return definition

    def sections(self, value: Any, path: str) -> list[dict]:
        reader = self.reader
        if not isinstance(value, list) or not value:
            reader.error(path, "須為至少一個段落的清單")
            return []
        sections, codes = [], set()
        for i, raw in enumerate(value):
            section_path = _join(path, i)
            data = reader.mapping(
                raw, section_path, required={"code", "title", "questions"}, optional={"description"}
            )
            if data is None:
                continue
            code = reader.string(data.get("code"), _join(section_path, "code"), pattern=_CODE)
            if code and code in codes:
                reader.error(_join(section_path, "code"), f"段落代碼重複「{code}」")
            codes.add(code)
            title = reader.text_pair(data.get("title"), _join(section_path, "title"))
            description = None
            if "description" in data:
                description = reader.text_pair(
                    data["description"], _join(section_path, "description")
                )
            questions = []
            raw_questions = data.get("questions")
            questions_path = _join(section_path, "questions")
            if not isinstance(raw_questions, list) or not raw_questions:
                reader.error(questions_path, "須為至少一題的清單")
                raw_questions = []
            for j, raw_question in enumerate(raw_questions):
                question = self.question(raw_question, _join(questions_path, j), in_rows=False)
                if question is not None:
                    questions.append(question)
            sections.append(
                {"code": code, "title": title, "description": description, "questions": questions}
            )
        return sections

    def question(self, raw: Any, path: str, *, in_rows: bool) -> dict | None:
        reader = self.reader
        if not isinstance(raw, dict):
            reader.error(path, "須為對應表（key: value）")
            return None
        kind = raw.get("type")
        # Read from the registry on each call: a type registered later is known too.
        every_type = tuple(TYPES)
        allowed_types = _row_field_types() if in_rows else every_type
        if kind not in allowed_types:
            known = ", ".join(allowed_types)
            if kind is None:
                problem = "缺少必要欄位"
            elif kind in every_type:
                problem = f"列內欄位不可使用題型「{kind}」（可用：{known}）"
            else:
                problem = f"不明的題型「{kind}」（可用：{known}）"
            reader.error(_join(path, "type"), problem)
            return None
        question_type = TYPES[kind]
        extra_required = set(question_type.required_keys)
        optional = (_COMMON_KEYS - {"code", "type", "label"}) | question_type.optional_keys
        if in_rows:
            optional -= {"show_if", "stages"}
        if not question_type.has_required:
            optional -= {"required"}
        data = reader.mapping(
            raw, path, required={"code", "type", "label"} | extra_required, optional=optional
        )
        if data is None:
            return None
        code = reader.string(data.get("code"), _join(path, "code"), pattern=_CODE)
        if code and not in_rows:
            if code in self.codes:
                reader.error(_join(path, "code"), f"題目代碼重複「{code}」")
            self.codes.add(code)
        question: dict[str, Any] = {
            "code": code,
            "type": kind,
            "label": reader.text_pair(data.get("label"), _join(path, "label")),
            "help": reader.text_pair(data["help"], _join(path, "help")) if "help" in data else None,
            "required": bool(
                reader.boolean(data["required"], _join(path, "required"))
                if "required" in optional and "required" in data
                else False
            ),
            "show_if": self.condition(data["show_if"], _join(path, "show_if"))
            if "show_if" in optional and "show_if" in data
            else None,
        }
        if "stages" in optional and "stages" in data:
            question["stages"] = reader.stages(data["stages"], _join(path, "stages"))
        if not in_rows:
            self.top = question
        question_type.build(self, question, data, path)
        if code and not in_rows:
            self.earlier[code] = question
            self.paths.setdefault(code, path)
        return question

    def options(self, question: dict, data: dict, path: str) -> list[dict]:
        """Inline a question's options (a list, or the name of an option list)."""
        value, options_path = data.get("options"), _join(path, "options")
        question["option_list"] = None
        if isinstance(value, str):
            if value not in self.lists:
                known = ", ".join(sorted(self.lists)) or "無"
                self.reader.error(options_path, f"找不到選項清單「{value}」（可用：{known}）")
                options = []
            else:
                question["option_list"] = value
                options = [dict(option) for option in self.lists[value] or ()]
        else:
            options = _option_list(self.reader, value, options_path) or []
        question["options"] = options
        self.choices.append((question, path, question["option_list"] is None, self.top or question))
        return options

    def check_stages(self, plan_kind: str | None, taking_part: tuple[str, ...] | None) -> None:
        """Refuse what `stages:` lists make impossible for the plan (see docs/cycle-file.md).

        A question (or an option written under it) must be shown to some stage the plan
        includes; a stage that sees a choice question must be offered at least one of its
        options, and at least its minimum number. Entries of an option list may name any
        stage: a list serves both plan kinds and years with and without kindergartens.
        """
        possible = PLAN_STAGES.get(plan_kind or "", tuple(STAGES))
        scope = possible if taking_part is None else tuple(s for s in possible if s in taking_part)
        where = f"本週期的{PLAN_NAMES[plan_kind]}" if plan_kind else "此問卷"
        outside_msg = f"{PLAN_NAMES[plan_kind]}不含" if plan_kind else "不可用"

        def limit_problem(stages: list[str], shown: tuple[str, ...], what: str) -> str | None:
            outside = [s for s in stages if s not in possible]
            if outside:
                return f"{outside_msg}{_stage_names(outside)}"
            if not set(stages) & set(shown):
                return f"{what}只給{_stage_names(stages)}，但{where}沒有這些教育階段看得到此題"
            return None

        for code, path in self.paths.items():
            question = self.earlier[code]
            if question.get("stages"):
                problem = limit_problem(question["stages"], scope, "此題")
                if problem:
                    self.reader.error(_join(path, "stages"), problem)
        for question, path, inline, top in self.choices:
            shown = tuple(s for s in scope if s in (top.get("stages") or scope))
            options = question.get("options") or []
            if inline:
                for i, option in enumerate(options):
                    if option.get("stages"):
                        problem = limit_problem(option["stages"], shown, "此選項")
                        if problem:
                            self.reader.error(f"{path}.options[{i}].stages", problem)
            if not options:
                continue  # a missing or broken option list is reported already
            for stage in shown:
                offered = [o for o in options if stage in (o.get("stages") or (stage,))]
                low = int(question.get("min") or 0)
                if not offered:
                    self.reader.error(
                        _join(path, "options"),
                        f"{_stage_names([stage])}看得到此題，但沒有任何選項提供給此階段",
                    )
                elif low > len(offered):
                    self.reader.error(
                        _join(path, "min"),
                        f"{_stage_names([stage])}只有 {len(offered)} 個選項，少於最少選擇數 {low}",
                    )

    def condition(self, value: Any, path: str) -> dict | None:
        reader = self.reader
        data = reader.mapping(value, path, required={"question"}, optional={"equals", "in"})
        if data is None:
            return None
        if ("equals" in data) == ("in" in data):
            reader.error(path, "須有 equals 或 in 其中之一")
            return None
        target_code = data.get("question")
        target = self.earlier.get(target_code) if isinstance(target_code, str) else None
        if target is None:
            reader.error(
                _join(path, "question"), f"條件引用的題目「{target_code}」不存在或不在此題之前"
            )
            return None
        if not TYPES[target["type"]].condition_target:
            reader.error(_join(path, "question"), "條件只能引用單選題或複選題")
            return None
        values = [data["equals"]] if "equals" in data else data["in"]
        key_path = _join(path, "equals" if "equals" in data else "in")
        if not isinstance(values, list) or not values:
            reader.error(key_path, "須為至少一個選項代碼的清單")
            return None
        codes = {option["code"] for option in target["options"]}
        ok = True
        for value_code in values:
            if not isinstance(value_code, str) or value_code not in codes:
                reader.error(key_path, f"選項「{value_code}」不在題目「{target_code}」的選項中")
                ok = False
        return {"question": target_code, "values": list(values)} if ok else None


def _stage_names(stages: list[str]) -> str:
    return "、".join(f"{code}（{STAGES[code]['zh']}）" for code in stages)


def _questionnaire_from_file(
    reader: _Reader,
    value: Any,
    path: str,
    shared_lists: Mapping[str, list[dict] | None],
    plan_kind: str,
    stages: tuple[str, ...] | None,
) -> tuple[dict | None, str]:
    relative = reader.string(value, path)
    if relative is None:
        return None, ""
    if Path(relative).is_absolute():
        reader.error(path, "須為相對於週期檔的路徑")
        return None, relative
    target = (reader.base_dir or Path.cwd()) / relative
    try:
        raw = _read_yaml(target)
    except CycleFileError as exc:
        reader.errors.extend(exc.messages)
        return None, relative
    sub_reader = _Reader(target.name, reader.errors, reader.today, target.parent)
    builder = _QuestionnaireBuilder(sub_reader, {})
    return builder.build(raw, "", shared_lists, plan_kind=plan_kind, stages=stages), relative


# --- cycles -------------------------------------------------------------------------------


def _today_in_taipei() -> date:
    return timeutil.to_taipei(timeutil.now()).date()


def _plan(
    reader: _Reader, kind: str, value: Any, path: str, lists: Mapping[str, list[dict] | None]
) -> PlanSpec | None:
    data = reader.mapping(
        value,
        path,
        required={"overall", "windows"},
        optional={"questionnaire", "questionnaire_file"},
    )
    if data is None:
        return None
    overall = reader.period(data["overall"], _join(path, "overall")) if "overall" in data else None
    windows: dict[str, Window] = {}
    windows_path = _join(path, "windows")
    raw_windows = data.get("windows")
    if "windows" in data and (not isinstance(raw_windows, dict) or not raw_windows):
        reader.error(windows_path, "須為對應表（教育階段代碼: 填寫期間），至少一個階段")
        raw_windows = {}
    for stage, raw in (raw_windows or {}).items():
        stage_path = _join(windows_path, str(stage))
        if stage not in STAGES:
            reader.error(stage_path, f"不明的教育階段代碼「{stage}」（可用：{', '.join(STAGES)}）")
            continue
        if kind == "school" and stage == "K":
            reader.error(stage_path, "學校本位進修規劃不含幼兒園（K）")
            continue
        window = reader.period(raw, stage_path)
        if window is None:
            continue
        if overall:
            span = f"{_show(overall.opens_at)} – {_show(overall.closes_at)}"
            inside = f"填寫期間須在整體期間之內（{span}）"
            if window.opens_at < overall.opens_at:
                reader.error(_join(stage_path, "opens_at"), inside)
            if window.closes_at > overall.closes_at:
                reader.error(_join(stage_path, "closes_at"), inside)
        windows[stage] = window
    questionnaire, source = None, ""
    if ("questionnaire" in data) == ("questionnaire_file" in data):
        reader.error(path, "須有 questionnaire 或 questionnaire_file 其中之一")
    elif "questionnaire" in data:
        builder = _QuestionnaireBuilder(reader, {})
        questionnaire = builder.build(
            data["questionnaire"],
            _join(path, "questionnaire"),
            lists,
            plan_kind=kind,
            stages=tuple(windows) or None,
        )
        source = reader.file
    else:
        questionnaire, source = _questionnaire_from_file(
            reader,
            data["questionnaire_file"],
            _join(path, "questionnaire_file"),
            lists,
            kind,
            tuple(windows) or None,
        )
    if overall is None or questionnaire is None:
        return None
    return PlanSpec(overall.opens_at, overall.closes_at, windows, questionnaire, source)


def parse_cycle(
    data: Any, source: str, *, today: date | None = None, base_dir: Path | str | None = None
) -> CycleSpec:
    """Check a loaded cycle file and return its CycleSpec, or raise CycleFileError."""
    file = Path(source).name or source
    reader = _Reader(
        file,
        [],
        today or _today_in_taipei(),
        Path(base_dir) if base_dir is not None else Path(source).parent,
    )
    top = reader.mapping(
        data,
        "",
        required={
            "academic_year",
            "name",
            "status",
            "roster_cutoff",
            "kindergarten_teachers_take_part",
            "contact",
            "plans",
        },
        optional={"option_lists"},
    )
    if top is None:
        raise CycleFileError(reader.errors)
    academic_year = (
        reader.integer(top["academic_year"], "academic_year", 1, 999)
        if "academic_year" in top
        else None
    )
    name = reader.string(top["name"], "name") if "name" in top else None
    status = reader.choice(top["status"], "status", STATUSES) if "status" in top else None
    cutoff = (
        reader.moment(top["roster_cutoff"], "roster_cutoff") if "roster_cutoff" in top else None
    )
    kindergarten = (
        reader.boolean(top["kindergarten_teachers_take_part"], "kindergarten_teachers_take_part")
        if "kindergarten_teachers_take_part" in top
        else None
    )
    contact = _contact(reader, top["contact"]) if "contact" in top else None
    lists = (
        _option_lists(reader, top["option_lists"], "option_lists") if "option_lists" in top else {}
    )

    plans: dict[str, PlanSpec] = {}
    raw_plans = (
        reader.mapping(top["plans"], "plans", required=set(PLAN_KINDS)) if "plans" in top else None
    )
    for kind in PLAN_KINDS:
        if raw_plans and kind in raw_plans:
            plan = _plan(reader, kind, raw_plans[kind], _join("plans", kind), lists)
            if plan is not None:
                plans[kind] = plan

    teacher = plans.get("teacher")
    if teacher and kindergarten is not None and ("K" in teacher.windows) != kindergarten:
        reader.error(
            "plans.teacher.windows.K",
            "幼兒園教師參與時須設定 K 的填寫期間"
            if kindergarten
            else "kindergarten_teachers_take_part 為 false，不可設定 K 的填寫期間",
        )
    if teacher and cutoff and cutoff > teacher.overall_opens_at:
        reader.error("roster_cutoff", "名單基準日須早於教師自我專業進修規劃開始時間")

    if (
        reader.errors
        or academic_year is None
        or name is None
        or status is None
        or cutoff is None
        or kindergarten is None
        or contact is None
    ):
        raise CycleFileError(reader.errors or [f"{file}: 週期檔無效"])
    return CycleSpec(
        academic_year=academic_year,
        name=name,
        status=status,
        roster_cutoff=cutoff,
        kindergarten_teachers_take_part=kindergarten,
        contact=contact,
        plans=plans,
        source=source,
    )


def _contact(reader: _Reader, value: Any) -> dict | None:
    data = reader.mapping(value, "contact", required={"unit", "phone", "email"})
    if data is None:
        return None
    contact = {key: reader.string(data.get(key), _join("contact", key)) for key in sorted(data)}
    email = contact.get("email")
    if email and not _EMAIL.fullmatch(email):
        reader.error("contact.email", "電子郵件格式不正確")
    return contact


def load_cycle_file(path: Path | str, *, today: date | None = None) -> CycleSpec:
    """Read and check a cycle file; questionnaire files are relative to it."""
    path = Path(path)
    return parse_cycle(_read_yaml(path), str(path), today=today, base_dir=path.parent)


def parse_questionnaire(
    data: Any,
    source: str,
    option_lists: Mapping[str, list[dict]] | None = None,
    *,
    plan_kind: str | None = None,
) -> dict:
    """Check and normalise one questionnaire (version, sections, option lists); with
    plan_kind, also the questions other features read from that plan kind."""
    name = Path(source).name or source
    reader = _Reader(name, [], _today_in_taipei(), None)
    builder = _QuestionnaireBuilder(reader, {})
    definition = builder.build(data, "", option_lists or {}, plan_kind=plan_kind)
    if reader.errors or definition is None:
        raise CycleFileError(reader.errors or [f"{name}: 問卷定義無效"])
    return definition


def load_questionnaire_file(
    path: Path | str,
    option_lists: Mapping[str, list[dict]] | None = None,
    *,
    plan_kind: str | None = None,
) -> dict:
    """Read and normalise one questionnaire file."""
    path = Path(path)
    return parse_questionnaire(_read_yaml(path), str(path), option_lists, plan_kind=plan_kind)


def parse_questionnaire_text(text: str, source: str, *, plan_kind: str) -> dict:
    """Check an uploaded questionnaire file (the text of a `questionnaire_file`)."""
    name = Path(source).name or source
    return parse_questionnaire(_load_yaml_text(text, name), name, plan_kind=plan_kind)
