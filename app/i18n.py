"""Template translations with the catalog looked up once per request.

Flask-Babel resolves the locale and catalog on every `_()` call; a plan page makes
dozens, which cost more than the page's database work (make bench). The catalog is the
same for the whole request, so templates keep it on `g`.
"""

from __future__ import annotations

import functools
from datetime import date, datetime
from typing import Any

from babel import support
from flask import g, has_request_context
from flask_babel import get_locale, get_translations
from jinja2.nodes import EvalContext
from jinja2.utils import pass_eval_context
from markupsafe import Markup

from app import config, timeutil


def N_(message: str) -> str:
    """Mark a text for `pybabel extract` where it is translated later (see translate)."""
    return message


def _catalog() -> Any:
    if not has_request_context():
        return get_translations()
    try:
        return g._catalog
    except AttributeError:
        catalog = g._catalog = get_translations()
        return catalog


def _escaped(eval_ctx: EvalContext, text: str, variables: dict[str, Any]) -> str:
    # Jinja's "newstyle" rule: a format string, escaped where autoescaping is on (a text
    # without "%" formats to itself, so it skips the formatting).
    rv = Markup(text) if eval_ctx.autoescape else text  # noqa: S704 - a catalog text
    return rv % variables if variables or "%" in text else rv


@pass_eval_context
def _gettext(eval_ctx: EvalContext, string: str, **variables: Any) -> str:
    return _escaped(eval_ctx, _catalog().ugettext(string), variables)


@pass_eval_context
def _ngettext(eval_ctx: EvalContext, singular: str, plural: str, num: int, **variables: Any) -> str:
    variables.setdefault("num", num)
    return _escaped(eval_ctx, _catalog().ungettext(singular, plural, num), variables)


@pass_eval_context
def _pgettext(eval_ctx: EvalContext, context: str, string: str, **variables: Any) -> str:
    variables.setdefault("context", context)
    return _escaped(eval_ctx, _catalog().upgettext(context, string), variables)


@pass_eval_context
def _npgettext(
    eval_ctx: EvalContext, context: str, singular: str, plural: str, num: int, **variables: Any
) -> str:
    variables.setdefault("context", context)
    variables.setdefault("num", num)
    text = _catalog().unpgettext(context, singular, plural, num)
    return _escaped(eval_ctx, text, variables)


def install(env: Any) -> None:
    """Replace Flask-Babel's per-call template gettext with the per-request catalog.

    The same behaviour as Jinja's newstyle gettext, but taking the evaluation context
    instead of the whole context: Jinja copies a loop's variables into a new context
    for every call of a context function, which made `_()` in a row loop the slowest
    part of the plan form.
    """
    env.globals.update(
        gettext=_gettext,
        _=_gettext,
        ngettext=_ngettext,
        pgettext=_pgettext,
        npgettext=_npgettext,
    )
    env.newstyle_gettext = True
    env.globals["colon"] = colon
    # Web pages only: the PDFs format their dates in Python (zh-TW documents).
    env.filters.update(roc_date=date_filter, roc_datetime=datetime_filter, actor=actor_filter)


def english() -> bool:
    """Whether the current request's pages speak English."""
    return has_request_context() and str(get_locale()) == "en"


def colon() -> str:
    """The colon after a label: full-width in Chinese, ": " in English."""
    return ": " if english() else "："


def cycle_name(academic_year: int, stored: str) -> str:
    """A cycle's name: as stored on Chinese pages, derived from the year on English ones."""
    if not english():
        return stored
    start = academic_year + 1911  # 學年度 113 runs from August 2024 to July 2025
    text = _catalog().ugettext(N_("%(start)s–%(end)s 學年度（民國 %(roc)s 學年度）"))
    return str(text % {"start": start, "end": start + 1, "roc": academic_year})


# Who changed something, as the plans store it (app/teacher and app/school routes) and
# as the audit trail names its non-personal actors.
TEACHER_ACTOR = "教師 %(name)s"
_ACTOR_WORDS = {"cli": N_("系統管理指令"), "system": N_("系統")}


def teacher_actor(name: str) -> str:
    """A teacher as the plans' updated_by / submitted_by store it (zh-TW, as data)."""
    return TEACHER_ACTOR % {"name": name}


def actor_filter(value: str | None) -> str:
    """A stored actor in the page's language: 「教師 王小明」 is "Teacher 王小明" in English."""
    text = value or ""
    prefix = TEACHER_ACTOR.split("%")[0]
    if text.startswith(prefix) and len(text) > len(prefix):
        return str(_catalog().ugettext(N_("教師 %(name)s")) % {"name": text[len(prefix) :]})
    word = _ACTOR_WORDS.get(text)
    return str(_catalog().ugettext(word)) if word else text


def _gregorian(value: date | datetime, with_time: bool) -> str:
    if isinstance(value, datetime):
        local = timeutil.to_taipei(value)
        return f"{local:%Y-%m-%d %H:%M}" if with_time else f"{local:%Y-%m-%d}"
    return f"{value:%Y-%m-%d}"


def date_filter(value: date | datetime | None) -> str:
    """The ROC date (113年8月23日); English pages add the Gregorian date beside it."""
    text = timeutil.roc_date(value)
    if value is None or not english():
        return text
    return f"{text} ({_gregorian(value, with_time=False)})"


def datetime_filter(value: datetime | None) -> str:
    """The ROC date and time (113年8月23日 17:00); English adds the Gregorian beside it."""
    text = timeutil.roc_datetime(value)
    if value is None or not english():
        return text
    return f"{text} ({_gregorian(value, with_time=True)})"


def questionnaire_lang() -> str:
    """The questionnaires' label language ("zh" or "en") for the current request."""
    return "en" if english() else "zh"


def ungettext(singular: str, plural: str) -> tuple[str, str]:
    """Mark a singular/plural pair for `pybabel extract` (one of its default plural
    keywords) where it is translated later with a count (see translate_plural)."""
    return singular, plural


@functools.lru_cache(maxsize=4)
def _catalog_for(lang: str) -> support.NullTranslations:
    if lang != "en":
        return support.NullTranslations()  # the source texts are zh-TW
    return support.Translations.load(str(config.ROOT / "translations"), ["en"])


def translate(lang: str, message: str, **values: Any) -> str:
    """Translate one catalog text into a questionnaire language ("zh" or "en").

    The same Babel catalog as the pages, read without a request, so the engine's
    messages follow the questionnaire's language (and work in the PDF worker).
    """
    text = _catalog_for(lang).gettext(message)
    return text % values if values else text


def translate_plural(lang: str, pair: tuple[str, str], count: int, **values: Any) -> str:
    """translate() for a text marked with ungettext: the form that fits `count`
    ("At least 1 row", "At least 2 rows"); %(count)s is filled in."""
    text = _catalog_for(lang).ngettext(pair[0], pair[1], count)
    return text % {"count": count, **values}
