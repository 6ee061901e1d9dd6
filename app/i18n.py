"""Template translations with the catalog looked up once per request.

Flask-Babel resolves the locale and catalog on every `_()` call; a plan page makes
dozens, which cost more than the page's database work (make bench). The catalog is the
same for the whole request, so templates keep it on `g`.
"""

from __future__ import annotations

from typing import Any

from flask import g, has_request_context
from flask_babel import get_locale, get_translations


def _catalog() -> Any:
    if not has_request_context():
        return get_translations()
    catalog = g.get("_catalog")
    if catalog is None:
        catalog = g._catalog = get_translations()
    return catalog


def install(env: Any) -> None:
    """Replace Flask-Babel's per-call template gettext with the per-request catalog."""
    env.install_gettext_callables(
        gettext=lambda s: _catalog().ugettext(s),
        ngettext=lambda s, p, n: _catalog().ungettext(s, p, n),
        newstyle=True,
        pgettext=lambda c, s: _catalog().upgettext(c, s),
        npgettext=lambda c, s, p, n: _catalog().unpgettext(c, s, p, n),
    )


def questionnaire_lang() -> str:
    """The questionnaires' label language ("zh" or "en") for the current request."""
    return "en" if has_request_context() and str(get_locale()) == "en" else "zh"
