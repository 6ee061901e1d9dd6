"""Photograph the pages the manuals show: `make screenshots`.

Starts the real app on 127.0.0.1 (a free port) over a fresh SQLite database in a temporary
folder, seeds the demo data (app/demo/seed.py), drives Debian's Chromium with Playwright at
1024×768 in zh-TW, signs in as the demo users and saves one PNG per page into
static/screenshots/, palette-optimised, with manifest.json recording for each PNG the
templates the page loaded and their sha256 (app/reports/screenshots.py;
tests/test_manuals.py fails when one of them changes). Run again after changing a page.
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import secrets
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask import Flask
from PIL import Image
from playwright.sync_api import Page, sync_playwright
from werkzeug.serving import make_server

from app import create_app, timeutil
from app.demo.seed import DEMO_PASSWORD
from app.extensions import db
from app.reports.screenshots import COMMAND, FOLDER, MANIFEST, TEMPLATES, template_hash

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-sync"]
VIEWPORT = {"width": 1024, "height": 768}
TEACHER = "A207853600"  # 蕭家玲, 高雄市立示範國民小學: the demo cycle is open for her
PLANNER = "plan523601"  # the same school's 進修規劃 account
# The app's clock starts at this instant and runs on from it, and the demo cycle's windows
# are placed around its day: the pages show the same dates and remaining times every run,
# so a screenshot changes only when its page does.
DEMO_START = timeutil.taipei(2026, 12, 1, 10, 0)


@dataclass(frozen=True)
class Shot:
    """One screenshot: who is signed in, which page, and for which manual."""

    name: str
    path: str
    user: str | None  # "teacher", "planner" or None (signed out)
    manual: str
    prepare: Callable[[Page], None] | None = None


def _scroll_to(selector: str, block: str = "center") -> Callable[[Page], None]:
    """Scroll so that the first element matching ``selector`` sits at ``block`` of the view."""

    def prepare(page: Page) -> None:
        page.locator(selector).first.evaluate(
            "(element, block) => element.scrollIntoView({block, behavior: 'instant'})", block
        )

    return prepare


SHOTS = (
    Shot("home.png", "/", None, "teacher, school"),
    Shot("teacher-login.png", "/teacher/login", None, "teacher"),
    Shot("forgot-password.png", "/password/forgot", None, "teacher"),
    Shot("teacher-dashboard.png", "/teacher/", "teacher", "teacher"),
    Shot("teacher-plan.png", "/teacher/plan", "teacher", "teacher"),
    Shot(
        "teacher-plan-actions.png",
        "/teacher/plan",
        "teacher",
        "teacher",
        _scroll_to("form .actions", "end"),
    ),
    Shot("school-login.png", "/school/login", None, "school"),
    Shot("school-dashboard.png", "/school/", "planner", "school"),
    Shot("school-plan.png", "/school/plan", "planner", "school"),
    Shot(
        "school-plan-actions.png",
        "/school/plan",
        "planner",
        "school",
        _scroll_to("form .actions", "end"),
    ),
    Shot("school-exports.png", "/school/exports", "planner", "school"),
)


class TemplateLog:
    """Every template the app loads while armed: extends, includes and imports too.

    Jinja's template cache is switched off, and auto_reload on (app/questionnaires/markup.py
    then keeps no question-type modules), so that each page load asks the loader again.
    """

    def __init__(self, app: Flask) -> None:
        self.names: set[str] = set()
        self.lock = threading.Lock()
        env = app.jinja_env
        env.cache = None
        env.auto_reload = True
        loader = env.loader
        assert loader is not None
        original = loader.get_source

        def get_source(environment: Any, template: str) -> Any:
            with self.lock:
                self.names.add(template)
            return original(environment, template)

        loader.get_source = get_source  # type: ignore[method-assign]

    def take(self) -> set[str]:
        with self.lock:
            names, self.names = self.names, set()
        return names


@contextmanager
def serve(folder: Path) -> Iterator[tuple[str, TemplateLog]]:
    """The app over a freshly seeded SQLite demo database, served in a thread."""
    from app.demo.seed import seed
    from app.migrate import upgrade

    started = timeutil._system_now()
    timeutil.clock = lambda: DEMO_START + (timeutil._system_now() - started)
    url = f"sqlite:///{folder / 'demo.sqlite3'}"
    app = create_app(
        {
            "DATABASE_URL": url,
            "REDIS_URL": None,
            "SECRET_KEY": secrets.token_hex(16),
            "RATELIMIT_ENABLED": False,
            "PDF_CACHE_DIR": str(folder / "pdf"),
            "SSO_DISCOVERY_URL": "",
            "SSO_CLIENT_ID": "",
        }
    )
    upgrade(url)
    with app.app_context():
        seed(today=DEMO_START.date())
        db.session.commit()
    log = TemplateLog(app)
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no line per request
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="screenshots", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}", log
    finally:
        server.shutdown()
        thread.join(timeout=5)
        server.server_close()
        timeutil.clock = timeutil._system_now


def sign_in(page: Page, base: str, user: str) -> None:
    if user == "teacher":
        page.goto(f"{base}/teacher/login")
        page.fill("input[name=national_id]", TEACHER)
    else:
        page.goto(f"{base}/school/login")
        page.fill("input[name=username]", PLANNER)
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.click("form button[type=submit]")
    page.wait_for_load_state("networkidle")
    if "/login" in page.url:
        raise SystemExit(f"signing in as the demo {user} failed at {page.url}")


def optimised_png(raw: bytes) -> bytes:
    """A 256-colour palette PNG: UI screenshots lose nothing visible, size drops ~3×."""
    image = Image.open(io.BytesIO(raw)).convert("RGB")
    palette = image.quantize(colors=256, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
    out = io.BytesIO()
    palette.save(out, format="PNG", optimize=True)
    return out.getvalue()


def take(page: Page, base: str, log: TemplateLog, shot: Shot) -> dict[str, Any]:
    log.take()
    response = page.goto(f"{base}{shot.path}")
    if response is None or response.status != 200:
        status = response.status if response else "no answer"
        raise SystemExit(f"{shot.path} answered {status}: not a page to photograph")
    page.wait_for_load_state("networkidle")
    if shot.prepare:
        shot.prepare(page)
    page.evaluate("document.fonts.ready")
    png = optimised_png(page.screenshot(animations="disabled", caret="hide"))
    (FOLDER / shot.name).write_bytes(png)
    names = sorted(log.take())
    hashes = {name: template_hash(name) for name in names}
    return {
        "page": shot.path,
        "user": shot.user,
        "manual": shot.manual,
        "bytes": len(png),
        "sha256": hashlib.sha256(png).hexdigest(),
        "templates": {name: digest for name, digest in hashes.items() if digest is not None},
    }


def main() -> int:
    started = time.monotonic()
    FOLDER.mkdir(parents=True, exist_ok=True)
    shots: dict[str, Any] = {}
    with (
        tempfile.TemporaryDirectory(prefix="screenshots-") as tmp,
        serve(Path(tmp)) as (base, log),
    ):
        print(f"demo data seeded into {tmp}, app on {base} ({time.monotonic() - started:.0f} s)")
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            try:
                for user in (None, "teacher", "planner"):
                    context = browser.new_context(
                        viewport=VIEWPORT,  # type: ignore[arg-type]
                        locale="zh-TW",
                        timezone_id="Asia/Taipei",
                    )
                    page = context.new_page()
                    if user:
                        sign_in(page, base, user)
                    for shot in (s for s in SHOTS if s.user == user):
                        shots[shot.name] = take(page, base, log, shot)
                        entry = shots[shot.name]
                        print(
                            f"  {shot.name:<26} {shot.path:<17} {entry['bytes'] // 1024:>4} KiB, "
                            f"{len(entry['templates'])} templates"
                        )
                    context.close()
            finally:
                browser.close()
    known = {shot.name for shot in SHOTS}
    for old in FOLDER.glob("*.png"):
        if old.name not in known:
            old.unlink()
            print(f"  removed {old.name} (no longer photographed)")
    manifest = {
        "command": COMMAND,
        "about": "made by scripts/screenshots.py; hashes are sha256 of templates/<name>",
        "shots": {name: shots[name] for name in sorted(shots)},
    }
    MANIFEST.write_text(
        json.dumps(manifest, ensure_ascii=False, indent=1, sort_keys=True) + "\n", encoding="utf-8"
    )
    total = sum(entry["bytes"] for entry in shots.values())
    print(
        f"{len(shots)} screenshots, {total // 1024} KiB, in {FOLDER.relative_to(TEMPLATES.parent)}"
        f" with {MANIFEST.name}, in {time.monotonic() - started:.0f} s"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
