"""The PDF service: text, fonts, metadata, page numbers and a locked-down fetcher.

Self-contained: a minimal Flask app over the real templates/ and static/
folders plus in-memory test templates, so it does not need the app factory.
"""

from __future__ import annotations

import io
import logging
import re
import shutil
import socket
import subprocess
from datetime import datetime
from pathlib import Path
from urllib.parse import unquote

import pypdf
import pytest
from flask import Flask
from jinja2 import ChoiceLoader, DictLoader

from app import timeutil
from app.pdf import (
    check_pdf_environment,
    cjk_font_available,
    harfbuzz_subsetting_available,
    pdf_response,
    render_pdf,
)
from app.pdf import render as pdf_render
from tests.pdf_checks import assert_no_embedded_files

ROOT = Path(__file__).resolve().parent.parent
STATIC = ROOT / "static"
PDFTOTEXT = shutil.which("pdftotext")

# A data: SVG image that itself points at a local file.
NESTED_SVG = (
    "<img src=\"data:image/svg+xml;utf8,<svg xmlns='http://www.w3.org/2000/svg' "
    "xmlns:xlink='http://www.w3.org/1999/xlink' width='10' height='10'>"
    "<image xlink:href='file:///etc/group' width='10' height='10'/></svg>\">"
)

TEMPLATES = {
    "t_report.html": """{% extends "pdf/base.html" %}
{% block content %}
<h1>{{ heading }}</h1>
<p>列印日期：{{ pdf_printed }}</p>
<table><tr><th>項目</th><th>內容</th></tr><tr><td>研習時數</td><td>18 小時</td></tr></table>
<svg width="300" height="40" font-family="Noto Sans CJK TC">
  <text x="4" y="24">研習需求圖表</text></svg>
<div class="page-break"></div>
<h2>第二部分</h2>
<p>{{ note }}</p>
{% endblock %}""",
    "t_user_text.html": """{% extends "pdf/base.html" %}
{% block content %}
<h1>進修規劃</h1>
{% for item in items %}<p class="user">{{ item }}</p>
{% endfor %}
{% endblock %}""",
    # A trusted template that itself contains hostile markup: defence in depth
    # for when a template author makes a mistake (or |safe slips in).
    "t_hostile_markup.html": """{% extends "pdf/base.html" %}
{% block head %}
<link rel="attachment" href="file:///etc/passwd" title="x">
<link rel="attachment" href="css/pdf.css">
<link rel="stylesheet" href="https://example.com/evil.css">
<style>body { background: url(http://example.com/x) }</style>
{% endblock %}
{% block content %}
<h1>進修規劃</h1>
<img src="file:///etc/passwd">
<img src="http://169.254.169.254/latest/meta-data/">
<img src="../../../../../../etc/passwd">
<img src="ftp://example.com/a.png">
<a rel="attachment" href="css/pdf.css">附件</a>
<a rel="attachment" href="file:///etc/hostname">附件二</a>
"""
    + NESTED_SVG
    + """
<svg width="40" height="40"><image href="http://example.com/i.png" width="10" height="10"/></svg>
{% endblock %}""",
    "t_small.html": """{% extends "pdf/base.html" %}
{% block content %}<p>進修規劃 {{ n }}</p>{% endblock %}""",
}


@pytest.fixture(scope="module")
def app():
    flask_app = Flask(__name__, template_folder=str(ROOT / "templates"), static_folder=str(STATIC))
    flask_app.jinja_loader = ChoiceLoader([DictLoader(TEMPLATES), flask_app.jinja_loader])
    return flask_app


@pytest.fixture
def ctx(app, monkeypatch):
    fixed = timeutil.taipei(2024, 8, 23, 17, 0)
    monkeypatch.setattr(timeutil, "clock", lambda: fixed)
    with app.app_context():
        yield app


@pytest.fixture
def fetched(monkeypatch):
    """Record every URL WeasyPrint asks the fetcher for."""
    cls = type(pdf_render.static_only_fetcher(STATIC))
    original = cls.fetch
    calls: list[str] = []

    def recording_fetch(self, url, headers=None):
        calls.append(url)
        return original(self, url, headers)

    monkeypatch.setattr(cls, "fetch", recording_fetch)
    return calls


@pytest.fixture
def no_network(monkeypatch):
    attempts: list[object] = []

    def refuse(*args, **kwargs):
        attempts.append(args)
        raise OSError("network disabled in tests")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    return attempts


def pdf_text(data: bytes, *args: str) -> str:
    """Text of the PDF by poppler's pdftotext (handles WeasyPrint's .notdef CMaps)."""
    assert PDFTOTEXT, "poppler-utils (pdftotext) is required"
    result = subprocess.run(
        [PDFTOTEXT, "-enc", "UTF-8", *args, "-", "-"],
        input=data,
        capture_output=True,
        check=True,
    )
    return result.stdout.decode()


def squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


def fonts_of(reader: pypdf.PdfReader) -> dict[str, pypdf.generic.DictionaryObject]:
    fonts = {}
    for page in reader.pages:
        for font in page["/Resources"].get_object()["/Font"].get_object().values():
            font = font.get_object()
            fonts[str(font["/BaseFont"])] = font
    return fonts


def render_report(**context) -> bytes:
    return render_pdf(
        "t_report.html",
        {
            "heading": "進修規劃",
            "note": "本校教師進修規劃摘要",
            "doc_header": "113學年度 臺北市立測試國民小學",
            **context,
        },
        title="113學年度教師進修規劃",
        subject="學校進修規劃摘要",
    )


def test_two_page_document_has_text_footer_header_and_roc_date(ctx):
    data = render_report()
    assert data.startswith(b"%PDF-")
    reader = pypdf.PdfReader(io.BytesIO(data))
    assert len(reader.pages) == 2
    box = reader.pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (595, 842)  # A4
    text = pdf_text(data)
    assert "進修規劃" in text
    assert "113年8月23日" in text
    assert "第 1 頁／共 2 頁" in text
    assert "第 2 頁／共 2 頁" in text
    assert text.count("113學年度 臺北市立測試國民小學") == 2  # running header, each page
    assert "研習需求圖表" in text  # SVG text


def test_stylesheet_is_clean_for_weasyprint(ctx, caplog):
    with caplog.at_level(logging.DEBUG, logger="weasyprint"):
        render_report()
    problems = [
        r.getMessage()
        for r in caplog.records
        if r.name.startswith("weasyprint") and r.levelno >= logging.WARNING
    ]
    assert problems == []


def test_metadata(ctx):
    reader = pypdf.PdfReader(io.BytesIO(render_report()))
    meta = reader.metadata
    assert meta.title == "113學年度教師進修規劃"
    assert meta.author == "全國教師在職進修資訊網"
    assert meta.subject == "學校進修規劃摘要"
    assert meta.creator == pdf_render.GENERATOR
    assert meta["/CreationDate"].startswith("D:20240823170000+08'00")
    assert reader.trailer["/Root"]["/Lang"] == "zh-TW"


def test_fonts_are_embedded_noto_sans_cjk_tc_subsets(ctx):
    reader = pypdf.PdfReader(io.BytesIO(render_report()))
    fonts = fonts_of(reader)
    assert fonts
    for name, font in fonts.items():
        assert re.fullmatch(r"/[A-Z]{6}\+.+", name), name  # subset tag
        assert not re.search(r"CJK-(JP|KR|SC|HK)", name), name
        for descendant in font.get("/DescendantFonts", []):
            descriptor = descendant.get_object()["/FontDescriptor"].get_object()
            assert {"/FontFile", "/FontFile2", "/FontFile3"} & set(descriptor), name
    assert any(re.fullmatch(r"/[A-Z]{6}\+Noto-Sans-CJK-TC", name) for name in fonts)


def test_harfbuzz_subsetting_and_cjk_font_available():
    assert harfbuzz_subsetting_available() is True
    assert cjk_font_available() is True


def test_check_pdf_environment(monkeypatch, caplog):
    app = Flask(__name__)
    assert check_pdf_environment(app) == {"harfbuzz_subset": True, "cjk_font": True}
    monkeypatch.setattr(pdf_render, "harfbuzz_subsetting_available", lambda: False)
    with caplog.at_level(logging.ERROR, logger="app.pdf.render"):
        status = check_pdf_environment(app)
    assert status["harfbuzz_subset"] is False
    assert any("harfbuzz" in r.getMessage().lower() for r in caplog.records)
    app.config["REQUIRE_HARFBUZZ"] = True
    with pytest.raises(RuntimeError, match="harfbuzz"):
        check_pdf_environment(app)


def test_hostile_user_text_renders_as_text(ctx, fetched, no_network):
    long_run = "甲" * 10 + "x" * 2980 + "END0123456"
    assert len(long_run) == 3000
    hostile = [
        '<img src="file:///etc/passwd">',
        '<img src="http://169.254.169.254/latest/meta-data/">',
        '<link rel="attachment" href="file:///etc/passwd">',
        "<style>body{background:url(http://example.com/x)}</style>",
        long_run,
        "罕用字 𠀀𡃁𪚥 結束",
    ]
    data = render_pdf("t_user_text.html", {"items": hostile}, title="使用者輸入")
    text = pdf_text(data)
    flat = squash(text)
    for item in hostile[:4]:
        assert squash(item) in flat, item  # the markup is literal text
    assert squash(long_run) in flat  # all of it, to the last character
    assert "END0123456" in flat
    assert "𡃁" in text
    assert "結束" in text
    # Nothing is drawn past the right page edge (A4 = 595.28 pt wide).
    bbox = pdf_text(data, "-bbox")
    x_max = [float(x) for x in re.findall(r'xMax="([\d.]+)"', bbox)]
    assert x_max
    assert max(x_max) <= 595.28 - 16 * 72 / 25.4 + 1
    # Only our own stylesheet was fetched; no network, no attachments.
    assert fetched == [STATIC.resolve().as_uri() + "/css/pdf.css"]
    assert no_network == []
    assert_no_embedded_files(data)


def test_hostile_template_markup_is_refused(ctx, fetched, no_network, caplog):
    with caplog.at_level(logging.WARNING, logger="app.pdf.render"):
        data = render_pdf("t_hostile_markup.html", {}, title="防護")
    assert "進修規劃" in pdf_text(data)
    assert no_network == []
    assert_no_embedded_files(data)
    static_base = STATIC.resolve().as_uri() + "/"
    refused = [url for url in fetched if not url.startswith(("data:", static_base))]
    # WeasyPrint asked, the fetcher refused each one.
    assert any(url.startswith("http://169.254.169.254") for url in refused)
    assert any(url.startswith("https://example.com") for url in refused)
    assert "file:///etc/passwd" in refused
    assert "file:///etc/group" in refused  # asked for from inside a data: SVG
    # rel=attachment links are dropped before anything is fetched for them.
    assert "file:///etc/hostname" not in fetched
    assert fetched.count(static_base + "css/pdf.css") == 1  # the stylesheet only
    # WeasyPrint's own ERROR with the full URL is filtered out.
    assert not [r for r in caplog.records if "passwd" in r.getMessage()]
    messages = [r.getMessage() for r in caplog.records if r.name == "app.pdf.render"]
    assert messages
    assert all(r.levelno == logging.WARNING for r in caplog.records if r.name == "app.pdf.render")
    assert "PDF renderer refused to fetch http://169.254.169.254" in messages
    for message in messages:  # scheme and host only, never the path
        assert "passwd" not in message
        assert "meta-data" not in message


@pytest.fixture
def fetcher(tmp_path):
    static = tmp_path / "static"
    (static / "img").mkdir(parents=True)
    (static / "img" / "a.svg").write_text("<svg xmlns='http://www.w3.org/2000/svg'/>")
    (tmp_path / "secret.txt").write_text("secret")
    (static / "out-link").symlink_to(tmp_path / "secret.txt")
    (static / "in-link.svg").symlink_to(static / "img" / "a.svg")
    return pdf_render.static_only_fetcher(static)


def fetch_bytes(fetcher, url: str) -> bytes:
    response = fetcher(url)
    try:
        return response.read()
    finally:
        response.close()


@pytest.mark.parametrize(
    "url",
    [
        "http://example.com/a.png",
        "https://example.com/a.png",
        "http://169.254.169.254/latest/meta-data/",
        "ftp://example.com/a.png",
        "file:///etc/passwd",
        "file://example.com/etc/passwd",
        "gopher://example.com/",
        "FILE:///etc/passwd",
    ],
)
def test_fetcher_refuses_everything_else(fetcher, url, caplog):
    with (
        caplog.at_level(logging.WARNING, logger="app.pdf.render"),
        pytest.raises(pdf_render.PdfFetchRefusedError),
    ):
        fetcher(url)
    (record,) = [r for r in caplog.records if r.name == "app.pdf.render"]
    assert record.levelno == logging.WARNING
    assert "passwd" not in record.getMessage()
    assert "meta-data" not in record.getMessage()


def test_fetcher_refuses_escapes_from_static(fetcher, tmp_path):
    base = fetcher.base_url
    for url in (
        base + "../secret.txt",
        base + "img/../../secret.txt",
        base + "%2e%2e/secret.txt",
        base + "out-link",  # symlink pointing outside static
        base,  # the folder itself
        base + "img/",
        base + "missing.png",
        base + "img/a.svg%00.png",
    ):
        with pytest.raises(pdf_render.PdfFetchRefusedError):
            fetcher(url)


def test_fetcher_allows_static_files_and_data_urls(fetcher):
    response = fetcher(fetcher.base_url + "img/a.svg")
    try:
        assert response.content_type == "image/svg+xml"
        assert response.read().startswith(b"<svg")
    finally:
        response.close()
    assert fetch_bytes(fetcher, fetcher.base_url + "in-link.svg").startswith(b"<svg")
    assert fetch_bytes(fetcher, fetcher.base_url + "img/a.svg?v=1#x").startswith(b"<svg")
    response = fetcher("data:text/plain;base64,6YCy5L+u")
    assert response.read().decode() == "進修"
    assert response.content_type == "text/plain"
    response.close()
    real = pdf_render.static_only_fetcher(STATIC)
    css = fetch_bytes(real, real.base_url + "css/pdf.css").decode()
    assert "Noto Sans CJK TC" in css


def test_one_font_configuration_for_thirty_renders(ctx, monkeypatch):
    from weasyprint import HTML
    from weasyprint.text.fonts import FontConfiguration

    render_pdf("t_small.html", {"n": 0}, title="t")  # warm up
    shared = pdf_render.get_font_config()
    created: list[object] = []
    used: list[object] = []
    original_init = FontConfiguration.__init__
    original_render = HTML.render

    def counting_init(self, *args, **kwargs):
        created.append(self)
        original_init(self, *args, **kwargs)

    def recording_render(self, font_config=None, *args, **kwargs):
        used.append(font_config)
        return original_render(self, font_config, *args, **kwargs)

    monkeypatch.setattr(FontConfiguration, "__init__", counting_init)
    monkeypatch.setattr(HTML, "render", recording_render)
    for n in range(30):
        assert render_pdf("t_small.html", {"n": n}, title="t").startswith(b"%PDF-")
    assert created == []
    assert len(used) == 30
    assert all(font_config is shared for font_config in used)


def test_pdf_response_headers(app):
    with app.test_request_context():
        response = pdf_response(b"%PDF-1.7 x", "113學年度 進修規劃.pdf")
        assert response.mimetype == "application/pdf"
        assert response.headers["Cache-Control"] == "no-store"
        disposition = response.headers["Content-Disposition"]
        assert disposition.startswith("attachment; ")
        assert 'filename="113.pdf"' in disposition
        encoded = disposition.split("filename*=UTF-8''", 1)[1]
        assert unquote(encoded) == "113學年度 進修規劃.pdf"
        assert response.get_data() == b"%PDF-1.7 x"

        plain = pdf_response(b"%PDF", "plan-2024")
        assert plain.headers["Content-Disposition"] == 'attachment; filename="plan-2024.pdf"'

        tricky = pdf_response(b"%PDF", '計畫"\r\n.pdf')
        header = tricky.headers["Content-Disposition"]
        assert "\r" not in header
        assert "\n" not in header
        assert header.startswith('attachment; filename="document.pdf"; filename*=')


def test_render_needs_app_context():
    with pytest.raises(RuntimeError):
        render_pdf("t_small.html", {"n": 1}, title="t")


def test_created_date_is_taipei_time(ctx):
    assert pdf_render._created_w3c() == "2024-08-23T17:00:00+08:00"
    assert datetime.fromisoformat(pdf_render._created_w3c()).utcoffset().seconds == 8 * 3600


def test_the_app_checks_the_pdf_environment_at_start_up(make_app, monkeypatch):
    monkeypatch.setattr(pdf_render, "harfbuzz_subsetting_available", lambda: False)
    with pytest.raises(RuntimeError, match="harfbuzz"):
        make_app(REQUIRE_HARFBUZZ=True)
