"""Profile the plan page and the autosave in one process: `python -m bench.profile`.

A fresh PostgreSQL database (`BENCH_ADMIN_URL`, like `make bench`), migrated and filled by
app.demo.generate (default 40 schools, 2,000 teachers), the production app (APP_ENV
production settings, no queue guard) behind Flask's test client over https; one teacher
signs in through the real form, then cProfile runs `--requests` GETs of /teacher/plan and
as many htmx autosaves (each carrying the version forward). Prints, per request kind, the
CPU time per request and the functions with the largest share (own and cumulative time),
then drops the database. `--keep` keeps it; `--out` writes the raw pstats files.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import re
import secrets
import sys
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from bench.harness import AUTOSAVE_FORM, create_database, drop_database

_CSRF_INPUT = re.compile(r'name="csrf_token"[^>]*?value="([^"]+)"')
_CSRF_HEADER = re.compile(r'"X-CSRFToken":\s*"([^"]+)"')
_VERSION = re.compile(r'name="version" value="(\d+)"')
_BASE = re.compile(r'name="base" value="([^"]*)"')


def build_app(url: str) -> Any:
    from app import create_app

    return create_app(
        {
            "ENV_NAME": "production",
            "DATABASE_URL": url,
            "SECRET_KEY": secrets.token_urlsafe(48),
            "PERSONAL_DATA_KEY": secrets.token_urlsafe(48),
            "REDIS_URL": None,
            "SINGLE_PROCESS": True,
            "QUEUE_TIMEOUT_MS": 0,
            "RATELIMIT_ENABLED": False,
        }
    )


def populate(app: Any, url: str, schools: int, teachers: int) -> list[tuple[str, int]]:
    from app.demo.generate import generate
    from app.extensions import db
    from app.migrate import upgrade

    upgrade(url)
    with app.app_context():
        report = generate(schools, teachers=teachers, seed_value=115, logins=20)
        db.session.commit()
        db.session.remove()
    return list(report.logins)


def top(profile: cProfile.Profile, key: str, count: int, calls: int) -> str:
    buffer = io.StringIO()
    stats = pstats.Stats(profile, stream=buffer)
    stats.sort_stats(key).print_stats(count)
    text = buffer.getvalue()
    total = stats.total_tt  # type: ignore[attr-defined]
    return f"  ({total / calls * 1000:.2f} ms of profiled CPU per request)\n" + text


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.profile", description=__doc__)
    p.add_argument("--schools", type=int, default=40)
    p.add_argument("--teachers", type=int, default=2000)
    p.add_argument("--requests", type=int, default=200)
    p.add_argument("--top", type=int, default=30)
    p.add_argument("--database", default=f"bench_profile_{secrets.token_hex(3)}")
    p.add_argument("--keep", action="store_true")
    p.add_argument("--out", type=Path, default=None, help="a directory for the .pstats files")
    a = p.parse_args(argv)

    from app.demo.seed import DEMO_PASSWORD

    url = create_database(a.database)
    try:
        app = build_app(url)
        logins = populate(app, url, a.schools, a.teachers)
        client = app.test_client()
        base = "https://localhost"
        # Flask-WTF checks the Referer of HTTPS posts, like a browser sends it.
        client.environ_base["HTTP_REFERER"] = f"{base}/teacher/plan"
        page = client.get("/teacher/login", base_url=base).get_data(as_text=True)
        token = _CSRF_INPUT.search(page)
        assert token is not None, "no login form"
        answer = client.post(
            "/teacher/login",
            base_url=base,
            data={
                "csrf_token": token.group(1),
                "national_id": logins[0][0],
                "password": DEMO_PASSWORD,
            },
        )
        assert answer.status_code == 303, answer.get_data(as_text=True)[:2000]
        text = client.get("/teacher/plan", base_url=base).get_data(as_text=True)
        csrf = (_CSRF_HEADER.search(text) or _CSRF_INPUT.search(text)).group(1)  # type: ignore[union-attr]
        state = {"version": int(_VERSION.search(text).group(1))}  # type: ignore[union-attr]
        state_base = _BASE.search(text)
        state_b = state_base.group(1) if state_base else ""
        headers = {"X-CSRFToken": csrf, "HX-Request": "true"}

        def get_page(_n: int = 0) -> None:
            response = client.get("/teacher/plan", base_url=base)
            assert response.status_code == 200, response.status_code

        def autosave(n: int) -> None:
            nonlocal state_b
            form = [
                ("version", str(state["version"])),
                ("base", state_b),
                *[(k, v) for k, v in AUTOSAVE_FORM if k != "q.remarks"],
                ("q.remarks", f"profile-{n}"),
            ]
            response = client.post(
                "/teacher/plan/autosave",
                base_url=base,
                data=urlencode(form),
                headers={**headers, "Content-Type": "application/x-www-form-urlencoded"},
            )
            body = response.get_data(as_text=True)
            assert response.status_code == 200, body[:300]
            assert 'data-confirmed="true"' in body, body[:300]
            state["version"] = int(_VERSION.search(body).group(1))  # type: ignore[union-attr]
            found = _BASE.search(body)
            state_b = found.group(1) if found else state_b

        for n in range(10):  # warm up: imports, template compilation, first statements
            get_page()
            autosave(n)
        from sqlalchemy import event

        from app.extensions import db

        with app.app_context():
            engine = db.engine
        statements: list[str] = []

        def count(*args: Any) -> None:
            statements.append(" ".join(str(args[2]).split())[:160])

        event.listen(engine, "before_cursor_execute", count)
        for kind, once in (("plan page", lambda: get_page()), ("autosave", lambda: autosave(99))):
            statements.clear()
            once()
            print(f"{kind}: {len(statements)} statements")
            for text in statements:
                print("   ", text)
        event.remove(engine, "before_cursor_execute", count)
        results = {}
        for kind, call in (("plan page", get_page), ("autosave", autosave)):
            profile = cProfile.Profile()
            started, cpu = time.perf_counter(), time.process_time()
            profile.enable()
            for n in range(a.requests):
                call(n + 100)
            profile.disable()
            wall, cpu = time.perf_counter() - started, time.process_time() - cpu
            results[kind] = (profile, wall, cpu)
            if a.out:
                a.out.mkdir(parents=True, exist_ok=True)
                profile.dump_stats(a.out / f"{kind.replace(' ', '-')}.pstats")
        for kind, (profile, wall, cpu) in results.items():
            each = 1000 / a.requests
            print(f"\n==== {kind}: {a.requests} requests, {wall * each:.2f} ms wall, "
                  f"{cpu * each:.2f} ms CPU (this process) per request")  # fmt: skip
            print("-- by own time")
            print(top(profile, "tottime", a.top, a.requests))
            print("-- by cumulative time")
            print(top(profile, "cumulative", a.top, a.requests))
    finally:
        if not a.keep:
            from app.extensions import db

            if db.engine is not None:
                db.engine.dispose()
            drop_database(a.database)
        else:
            print(f"kept database {a.database}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
