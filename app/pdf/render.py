"""The one PDF service: Jinja template -> WeasyPrint -> PDF bytes.

Every PDF of the system (teacher plan, school plan, authority reports, manuals)
goes through :func:`render_pdf`. Facts about WeasyPrint 70.0 this module relies
on (checked against the installed source, not guessed):

* URL fetching: ``url_fetcher=`` must be a :class:`weasyprint.urls.URLFetcher`
  *instance* (WeasyPrint reads ``url_fetcher._fail_on_errors``); subclasses
  override ``fetch(url, headers=None)`` and return a ``URLFetcherResponse``.
  Any ``Exception`` raised there makes WeasyPrint skip the resource (image,
  stylesheet, attachment) and log it; only ``FatalURLFetchingError`` (a
  ``BaseException``) would abort the render.
* Metadata comes from the HTML head (``<title>``, ``<meta name=author|
  description|keywords|generator|dcterms.created|dcterms.modified>``,
  ``<html lang>``) into ``Document.metadata``; we also set it on the rendered
  document, so it is right whatever a template does with its head.
* WeasyPrint logs every failed fetch on the ``weasyprint`` logger at ERROR with
  the full URL; for fetches this module refused, a filter drops that record
  (the refusal is logged here at WARNING, scheme and host only).
* ``<link rel=attachment>`` (document metadata) and ``<a rel=attachment>``
  (page links) embed files; WeasyPrint has no switch to turn that off, so we
  drop both from the rendered document before writing it, and pass
  ``attachments=[]``.
* Inline ``<svg>`` does NOT see the HTML document's stylesheets: SVG text
  takes its font only from the ``font-family`` attribute or a ``<style>``
  inside the ``<svg>``. Put ``font-family="Noto Sans CJK TC"`` on chart text.
* Fonts are subset with HarfBuzz when ``libharfbuzz-subset.so.0`` is loadable
  (see :func:`harfbuzz_subsetting_available`), otherwise with fontTools
  (slow, and WeasyPrint warns it will be unsupported).
"""

from __future__ import annotations

import logging
import mimetypes
import os
import shutil
import subprocess
import threading
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from urllib.request import DataHandler, Request, url2pathname

from flask import Flask, render_template
from flask.globals import app_ctx

from app import timeutil

logger = logging.getLogger(__name__)

DEFAULT_AUTHOR = "全國教師在職進修資訊網"
GENERATOR = "全國教師在職進修資訊網 進修規劃系統"
CJK_FAMILY = "Noto Sans CJK TC"

_font_config: Any = None
_font_config_lock = threading.Lock()
# Pango font maps are not thread safe: renders sharing the one FontConfiguration
# run one at a time within a process.
_render_lock = threading.Lock()


class PdfFetchRefusedError(ValueError):
    """The PDF renderer was asked for a resource it must not fetch."""


class _DropRefusedFetchErrors(logging.Filter):
    """Drop WeasyPrint's own ERROR for a fetch we refused (it logs the full URL).

    The refusal is already logged by this module at WARNING, scheme and host only.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            return PdfFetchRefusedError.__name__ not in record.getMessage()
        except Exception:  # a malformed record is not ours to judge
            return True


_weasyprint_logger = logging.getLogger("weasyprint")
if not any(isinstance(f, _DropRefusedFetchErrors) for f in _weasyprint_logger.filters):
    _weasyprint_logger.addFilter(_DropRefusedFetchErrors())


def get_font_config() -> Any:
    """Return the process-wide FontConfiguration, creating it on first use."""
    global _font_config
    if _font_config is None:
        with _font_config_lock:
            if _font_config is None:
                from weasyprint.text.fonts import FontConfiguration

                _font_config = FontConfiguration()
    return _font_config


def _static_only_fetcher_class() -> type:
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    class StaticOnlyURLFetcher(URLFetcher):
        """Fetch ``data:`` URLs and regular files under one static folder; refuse the rest."""

        def __init__(self, static_folder: str | os.PathLike[str]) -> None:
            super().__init__(timeout=1, allowed_protocols=("data",), allow_redirects=False)
            self.root = os.path.realpath(static_folder)
            self.base_url = Path(self.root).as_uri() + "/"

        def fetch(self, url: str, headers: Any = None) -> URLFetcherResponse:
            scheme, host = _scheme_host(url)
            if scheme == "data":
                with DataHandler().data_open(Request(url)) as response:  # noqa: S310 (data: only)
                    body = response.read()
                    content_type = response.headers.get("Content-Type", "text/plain")
                return URLFetcherResponse(url, body, {"Content-Type": content_type})
            if scheme == "file" and host in ("", "localhost"):
                path = self.resolve(url)
                if path is not None:
                    content_type = mimetypes.guess_type(path)[0] or "application/octet-stream"
                    return URLFetcherResponse(
                        url,
                        open(path, "rb"),
                        {"Content-Type": content_type},
                    )
            logger.warning("PDF renderer refused to fetch %s://%s", scheme, host)
            raise PdfFetchRefusedError(f"refused to fetch {scheme}://{host}")

        def resolve(self, url: str) -> str | None:
            """Return the real path of a file URL if it names a file inside root."""
            raw = url2pathname(urlsplit(url).path)
            if "\x00" in raw:
                return None
            real = os.path.realpath(raw)
            try:
                inside = os.path.commonpath([real, self.root]) == self.root
            except ValueError:
                return None
            if inside and real != self.root and os.path.isfile(real):
                return real
            return None

    return StaticOnlyURLFetcher


_fetcher_class: type | None = None


def static_only_fetcher(static_folder: str | os.PathLike[str]) -> Any:
    """Return a WeasyPrint URL fetcher locked to ``static_folder`` and ``data:`` URLs."""
    global _fetcher_class
    if _fetcher_class is None:
        _fetcher_class = _static_only_fetcher_class()
    return _fetcher_class(static_folder)


def _scheme_host(url: str) -> tuple[str, str]:
    scheme, sep, _ = url.partition(":")
    if not sep:
        return "", ""
    scheme = scheme.lower()
    if scheme == "data":
        return "data", ""
    try:
        host = urlsplit(url).hostname or ""
    except ValueError:
        host = "?"
    return scheme, host


def _created_w3c() -> str:
    return timeutil.to_taipei(timeutil.now()).isoformat(timespec="seconds")


def render_pdf(
    template: str,
    context: dict[str, Any],
    *,
    title: str,
    author: str = DEFAULT_AUTHOR,
    subject: str | None = None,
    lang: str = "zh-TW",
) -> bytes:
    """Render ``template`` (extending ``pdf/base.html``) with ``context`` to PDF bytes.

    Runs inside a Flask app context. Relative URLs in the template resolve
    against the app's static folder (write ``href="css/x.css"``, not
    ``url_for('static', ...)``); nothing outside it is ever read.
    """
    from weasyprint import HTML

    app = app_ctx.app
    if not app.static_folder:
        raise RuntimeError("render_pdf needs an app with a static folder")
    created = _created_w3c()
    html = render_template(
        template,
        **{
            **context,
            "pdf_title": title,
            "pdf_author": author,
            "pdf_subject": subject,
            "pdf_lang": lang,
            "pdf_created": created,
            "pdf_generator": GENERATOR,
            "pdf_printed": timeutil.roc_date(timeutil.now()),
        },
    )
    fetcher = static_only_fetcher(app.static_folder)
    with _render_lock:
        document = HTML(string=html, base_url=fetcher.base_url, url_fetcher=fetcher).render(
            font_config=get_font_config()
        )
        meta = document.metadata
        meta.title = title
        meta.authors = [author]
        meta.description = subject
        meta.generator = GENERATOR
        meta.created = created
        meta.modified = created
        meta.lang = lang
        meta.keywords = []
        meta.custom = {}
        meta.attachments = []
        meta.xmp_metadata = []
        for page in document.pages:
            page.links = [link for link in page.links if link[0] != "attachment"]
        return document.write_pdf(attachments=[], custom_metadata=False, pdf_identifier=True)


def harfbuzz_subsetting_available() -> bool:
    """True when WeasyPrint subsets fonts with HarfBuzz (same test as weasyprint/pdf/fonts.py)."""
    from weasyprint.text.ffi import harfbuzz, harfbuzz_subset

    return bool(harfbuzz_subset) and bool(harfbuzz.hb_version_atleast(4, 1, 0))


@cache
def cjk_font_available() -> bool:
    """True when fontconfig resolves "Noto Sans CJK TC" to a Noto CJK font file."""
    fc_match = shutil.which("fc-match")
    if fc_match is None:
        return False
    try:
        result = subprocess.run(  # noqa: S603
            [fc_match, "-f", "%{family}\n%{file}", CJK_FAMILY],
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return False
    families, _, path = result.stdout.partition("\n")
    return (
        result.returncode == 0
        and CJK_FAMILY in families.split(",")
        and "notosanscjk" in Path(path).name.lower()
    )


def check_pdf_environment(app: Flask) -> dict[str, bool]:
    """Log (or raise, if required by config) when PDF output would be degraded."""
    status = {
        "harfbuzz_subset": harfbuzz_subsetting_available(),
        "cjk_font": cjk_font_available(),
    }
    if not status["harfbuzz_subset"]:
        message = (
            "WeasyPrint cannot load libharfbuzz-subset >= 4.1: fonts would be subset with "
            "fontTools (slow, large memory); install libharfbuzz-subset0"
        )
        if app.config.get("REQUIRE_HARFBUZZ"):
            raise RuntimeError(message)
        logger.error(message)
    if not status["cjk_font"]:
        message = f'fontconfig does not resolve "{CJK_FAMILY}"; install fonts-noto-cjk'
        if app.config.get("REQUIRE_CJK_FONT"):
            raise RuntimeError(message)
        logger.error(message)
    return status
