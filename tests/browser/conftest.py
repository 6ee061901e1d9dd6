"""Browser test base: one Chromium per session, one live server per session, seeded per test.

Debian's Chromium only (/usr/bin/chromium); Playwright never downloads a browser here.
The server is the real app with CSRF on, served by werkzeug in a daemon thread; the
`clock` fixture of tests/conftest.py moves it (the clock is module-global).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from playwright.sync_api import Browser, BrowserContext, Page, expect, sync_playwright
from werkzeug.serving import make_server

from app.config import ROOT
from app.extensions import db
from app.models import Stage
from tests.conftest import PASSWORD, Factory
from tests.plan_helpers import setup_113

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
VIEWPORT = {"width": 1024, "height": 768}
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
# Waits are for the app, not for the clock: generous, never slept through.
expect.set_options(timeout=10_000)


def require_chromium(path: str = CHROMIUM) -> None:
    """Skip without Chromium on a developer's machine; in CI (`CI` set) fail instead."""
    if Path(path).exists():
        return
    missing = f"Debian's Chromium is not installed at {path} (scripts/setup-system.sh)"
    if os.environ.get("CI"):
        pytest.fail(f"{missing}: CI must run the browser tests, not skip them")
    pytest.skip(missing)


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    require_chromium()
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture(scope="session")
def live_app(make_app: Callable[..., Flask]) -> Flask:
    return make_app(WTF_CSRF_ENABLED=True)


class AutosaveGate:
    """WSGI wrapper that, when armed, holds autosave answers until the test releases them.

    The save itself is done and committed; only the answer waits, as on a busy server.
    Lets a test put a person's click exactly inside an autosave round trip, with no sleeps.
    """

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.armed = False
        self.saved = threading.Event()
        self.released = threading.Event()

    def arm(self) -> None:
        self.saved.clear()
        self.released.clear()
        self.armed = True

    def release(self) -> None:
        self.released.set()

    def disarm(self) -> None:
        self.armed = False
        self.released.set()

    def __call__(self, environ: dict, start_response: Callable) -> Any:
        if not (self.armed and environ.get("PATH_INFO", "").endswith("/autosave")):
            return self._closed_before_sending(environ, start_response)
        answer: list = []
        chunks = self.app(environ, lambda status, headers, *exc: answer.append((status, headers)))
        try:
            body = b"".join(chunks)
        finally:
            getattr(chunks, "close", lambda: None)()
        self.saved.set()
        self.released.wait(timeout=30)
        start_response(*answer[0])
        return [body]

    def _closed_before_sending(self, environ: dict, start_response: Callable) -> list[bytes]:
        """The whole answer, its iterable (a static file's handle) closed before sending.

        Werkzeug's development server closes the answer only after draining the request
        socket, and a browser that drops a request it no longer needs (a favicon, a
        script of a page it left) makes that drain raise first: the file would stay open
        and surface as a ResourceWarning in whichever test runs next.
        """
        chunks = self.app(environ, start_response)
        try:
            return [b"".join(chunks)]
        finally:
            getattr(chunks, "close", lambda: None)()


@pytest.fixture(scope="session")
def _server(live_app: Flask) -> Iterator[tuple[str, AutosaveGate]]:
    gate = AutosaveGate(live_app)
    server = make_server("127.0.0.1", 0, gate, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}", gate
    gate.disarm()
    server.shutdown()
    thread.join(timeout=5)
    server.server_close()


@pytest.fixture(scope="session")
def base_url(_server: tuple[str, AutosaveGate]) -> str:
    return _server[0]


@pytest.fixture
def autosave_gate(_server: tuple[str, AutosaveGate]) -> Iterator[AutosaveGate]:
    yield _server[1]
    _server[1].disarm()


@dataclass
class World:
    """The seeded 113 cycle: one elementary school, its planner and its teacher."""

    planner_username: str
    teacher_national_id: str


@pytest.fixture
def world(live_app: Flask, app: Flask, clock: Any) -> World:
    """Seed the 113 cycle; with `app` requested, the autouse _clean_database of
    tests/conftest.py empties the tables after the test, on SQLite and PostgreSQL alike."""
    # A request context: labels such as Stage.label are given in the request's language.
    with live_app.test_request_context():
        seeded = setup_113(Factory(), stages=(Stage.ELEMENTARY,))
        result = World(
            planner_username=seeded["planners"][Stage.ELEMENTARY].username,
            teacher_national_id=seeded["teachers"][Stage.ELEMENTARY].plain_national_id,
        )
        db.session.commit()
        db.session.remove()
    return result


def _new_context(browser: Browser, base_url: str, **options: Any) -> BrowserContext:
    context = browser.new_context(
        base_url=base_url,
        viewport=VIEWPORT,
        locale="zh-TW",
        timezone_id="Asia/Taipei",
        **options,
    )
    context.set_default_timeout(10_000)
    return context


@pytest.fixture
def new_page(browser: Browser, base_url: str) -> Iterator[Callable[..., Page]]:
    """Open a page in a fresh context (its own cookies); closed after the test."""
    contexts: list[BrowserContext] = []

    def open_page(**options: Any) -> Page:
        context = _new_context(browser, base_url, **options)
        contexts.append(context)
        return context.new_page()

    yield open_page
    for context in contexts:
        context.close()


@pytest.fixture
def page(new_page: Callable[..., Page]) -> Page:
    return new_page()


def sign_in_planner(page: Page, world: World) -> None:
    page.goto("/school/login")
    page.get_by_label("帳號", exact=True).fill(world.planner_username)
    page.get_by_label("密碼", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="登入").click()
    expect(page.get_by_role("button", name="登出")).to_be_visible()


def sign_in_teacher(page: Page, world: World) -> None:
    page.goto("/teacher/login")
    page.get_by_label("身分證字號或居留證號", exact=True).fill(world.teacher_national_id)
    page.get_by_label("密碼", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="登入").click()
    expect(page.get_by_role("button", name="登出")).to_be_visible()
