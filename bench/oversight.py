"""The completion dashboards' figures, in-process (a server-side query cost):

- the national dashboard and one county's (the county with the most schools) as a ratio
  to a plain ``SELECT count(*)`` over the teacher-plan table, timed the same way in the
  same run (target ≤ 3); the national one also "cold", its kept figures dropped first
  (``app.stats.dashboards.remembered``: every statement runs);
- the XLSX (and CSV) export of all schools, in rows per second.

Before timing, the tables counted are ANALYZEd (the benchmark's PostgreSQL runs without
autovacuum, and a freshly bulk-loaded table has no statistics: the planner then picks a
nested loop over 200,000 rows). The Flask test client signs in as a national authority
account made for the run (the benchmark database is dropped afterwards); every figure is
the median of interleaved repetitions. Called by bench.harness (`oversight_figures`); alone:

    DATABASE_URL=… PERSONAL_DATA_KEY=… SECRET_KEY=… python -m bench.oversight
"""

from __future__ import annotations

import re
import secrets
import statistics
import time
from collections.abc import Callable
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select, text

from app.extensions import db
from app.models import AccountKind, AccountStatus, Authority, AuthorityKind, BusinessAccount, School
from app.security import hash_password
from app.stats import dashboards

TARGET_RATIO = 3.0
ANALYZED = ("school", "roster_snapshot", "teacher_plan", "school_plan", "extension")
BASE = "https://bench.invalid"  # production cookies are Secure: speak https to the app
_CSRF = re.compile(r'name="csrf_token"[^>]*?value="([^"]+)"')


def _national_account() -> tuple[str, str]:
    """A national authority account for this run (username, password)."""
    national = db.session.scalar(select(Authority).where(Authority.kind == AuthorityKind.NATIONAL))
    if national is None:
        raise RuntimeError("no national authority in the data set")
    password = secrets.token_urlsafe(16)
    username = f"bench-national-{secrets.token_hex(4)}"
    db.session.add(
        BusinessAccount(
            username=username,
            name="效能測試（國教署）",
            kind=AccountKind.AUTHORITY,
            authority_id=national.id,
            status=AccountStatus.ACTIVE,
            password_hash=hash_password(password),
        )
    )
    db.session.commit()
    return username, password


def _sign_in(client: FlaskClient, username: str, password: str) -> None:
    page = client.get("/school/login", base_url=BASE).get_data(as_text=True)
    token = _CSRF.search(page)
    data = {"username": username, "password": password}
    if token:
        data["csrf_token"] = token.group(1)
    referer = {"Referer": f"{BASE}/school/login"}  # CSRF over https checks the referrer
    answer = client.post("/school/login", data=data, base_url=BASE, headers=referer)
    if answer.status_code != 303:
        raise RuntimeError(f"sign-in answered {answer.status_code}")


def _get(client: FlaskClient, path: str) -> Callable[[], int]:
    def fetch() -> int:
        with client.get(path, base_url=BASE) as response:
            if response.status_code != 200:
                raise RuntimeError(f"GET {path} answered {response.status_code}")
            return len(response.get_data())

    return fetch


def _count_plans() -> int:
    return int(db.session.execute(text("SELECT count(*) FROM teacher_plan")).scalar_one())


def _median_ms(values: list[float]) -> float:
    return round(statistics.median(values) * 1000, 2)


def measure(app: Flask, samples: int = 7, export_samples: int = 3) -> dict[str, Any]:
    """The figures above, on the data set the app is connected to."""
    with app.app_context():
        if db.session.get_bind().dialect.name == "postgresql":
            # The bench cluster runs without autovacuum: give the planner the statistics a
            # live database would have of the freshly generated tables.
            db.session.execute(text(f"ANALYZE {', '.join(ANALYZED)}"))
            db.session.commit()
        username, password = _national_account()
        county = db.session.execute(
            select(School.county_code, func.count())
            .group_by(School.county_code)
            .order_by(func.count().desc())
            .limit(1)
        ).first()
        schools = int(db.session.scalar(select(func.count(School.id))) or 0)
        plans = _count_plans()
        db.session.remove()
    if county is None:
        raise RuntimeError("no school in the data set")
    client = app.test_client()
    _sign_in(client, username, password)

    def baseline() -> int:
        with app.app_context():
            found = _count_plans()
            db.session.remove()
        return found

    national = _get(client, "/oversight/dashboard")
    probes: dict[str, Callable[[], int]] = {
        "count": baseline,
        "national": national,
        "county": _get(client, f"/oversight/dashboard/counties/{county[0]}"),
        "all_schools_page": _get(client, "/oversight/dashboard/schools"),
    }
    for probe in probes.values():  # warm-up: caches, statement compilation
        probe()
    times: dict[str, list[float]] = {name: [] for name in [*probes, "national_cold"]}
    for _ in range(samples):
        for name, probe in probes.items():
            started = time.perf_counter()
            probe()
            times[name].append(time.perf_counter() - started)
    # Cold after warm: dropping the kept figures would make the other probes cold too.
    for _ in range(samples):
        dashboards.forget()
        started = time.perf_counter()
        national()
        times["national_cold"].append(time.perf_counter() - started)

    exports: dict[str, list[float]] = {"xlsx": [], "csv": []}
    sizes: dict[str, int] = {}
    for _ in range(export_samples):
        for fmt in exports:
            started = time.perf_counter()
            sizes[fmt] = _get(client, f"/oversight/dashboard/schools.{fmt}")()
            exports[fmt].append(time.perf_counter() - started)

    count_ms = _median_ms(times["count"])
    figures: dict[str, Any] = {
        "samples": samples,
        "schools": schools,
        "teacher_plans": plans,
        "county": county[0],
        "county_schools": int(county[1]),
        "count_ms": count_ms,
        "target_ratio": TARGET_RATIO,
    }
    for name in ("national", "national_cold", "county", "all_schools_page"):
        ms = _median_ms(times[name])
        figures[f"{name}_ms"] = ms
        figures[f"{name}_ratio"] = round(ms / count_ms, 2) if count_ms else None
    for fmt, values in exports.items():
        seconds = statistics.median(values)
        figures[f"{fmt}_export_ms"] = round(seconds * 1000, 1)
        figures[f"{fmt}_rows_per_second"] = round(schools / seconds, 1) if seconds else None
        figures[f"{fmt}_bytes"] = sizes.get(fmt)
    figures["meets_target"] = all(
        figures[f"{name}_ratio"] is not None and figures[f"{name}_ratio"] <= TARGET_RATIO
        for name in ("national", "county")
    )
    return figures


def run(app: Flask) -> dict[str, Any]:
    """bench.harness's hook: the figures, or the error (the other figures still count)."""
    try:
        return measure(app)
    except Exception as error:
        return {"error": f"{type(error).__name__}: {error}"}
    finally:
        with app.app_context():
            db.session.remove()
            if db.engine is not None:
                db.engine.dispose()


def main() -> int:
    import json
    import os

    from app import create_app

    app = create_app(
        {
            "ENV_NAME": os.environ.get("APP_ENV", "production"),
            "DATABASE_URL": os.environ["DATABASE_URL"],
            "SECRET_KEY": os.environ["SECRET_KEY"],
            "PERSONAL_DATA_KEY": os.environ["PERSONAL_DATA_KEY"],
            "REDIS_URL": None,
            "SINGLE_PROCESS": True,
        }
    )
    print(json.dumps(measure(app), ensure_ascii=False, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
