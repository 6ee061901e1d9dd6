"""The needs-analytics figure (進修需求分析): GET /oversight/analytics for the national
authority, in this process through Flask's test client, against a plain
``SELECT count(*) FROM teacher_plan`` timed in the same run, interleaved.

    figures = run(app)   # bench.harness, on the benchmark database (target: ratio ≤ 3)

* ``page_ms``: median of ``samples`` requests of the page as a signed-in 國教署 account
  sees it (the figures come from the per-process cache while no plan moves: each request
  still reads the fingerprint, the cycles and the account);
* ``cold_ms``: median of a few requests with the cache emptied first (every figure
  counted again in SQL over every submitted plan);
* ``count_ms``: median of as many ``count(*)`` statements;
* ``ratio``: page ÷ count, and ``cold_ratio``: cold ÷ count.
"""

from __future__ import annotations

import re
import statistics
import time
from typing import Any

from flask import Flask
from sqlalchemy import text

from app.analytics import services
from app.demo.seed import DEMO_PASSWORD
from app.extensions import db

URL = "/oversight/analytics"
ACCOUNT = "k12ea"  # the demo seed's 國教署 account
BASE_URL = "https://bench.local"  # production cookies are Secure
TARGET_RATIO = 3.0
_CSRF = re.compile(r'name="csrf_token"[^>]*?value="([^"]+)"')


def _median_ms(values: list[float]) -> float:
    return round(statistics.median(values) * 1000, 3)


def _signed_in(app: Flask, username: str, password: str) -> Any:
    """A test client signed in through the real form (CSRF included when it is on)."""
    client = app.test_client()
    form = client.get("/school/login", base_url=BASE_URL).get_data(as_text=True)
    token = _CSRF.search(form)
    data = {"username": username, "password": password}
    if token:
        data["csrf_token"] = token.group(1)
    # Over HTTPS, CSRF protection also wants a same-origin Referer, as a browser sends.
    referer = {"Referer": f"{BASE_URL}/school/login"}
    answer = client.post("/school/login", data=data, base_url=BASE_URL, headers=referer)
    if answer.status_code not in (302, 303):
        raise RuntimeError(f"sign-in as {username} answered {answer.status_code}")
    return client


def time_analytics(
    app: Flask, samples: int = 30, cold: int = 3, username: str = ACCOUNT
) -> dict[str, Any]:
    """Median milliseconds of the page (warm and cold) and of ``count(*)``, and ratios."""
    client = _signed_in(app, username, DEMO_PASSWORD)

    def page() -> float:
        clock = time.perf_counter()
        response = client.get(URL, base_url=BASE_URL)
        spent = time.perf_counter() - clock
        if response.status_code != 200 or "analytics-figures" not in response.text:
            raise RuntimeError(f"{URL} answered {response.status_code}")
        return spent

    def count() -> float:
        with app.app_context():
            clock = time.perf_counter()
            db.session.execute(text("SELECT count(*) FROM teacher_plan")).scalar()
            spent = time.perf_counter() - clock
            db.session.remove()
        return spent

    cold_times = []
    for _ in range(cold):
        services.cache.clear()
        cold_times.append(page())
    page_times, count_times = [], []
    for _ in range(samples):
        page_times.append(page())
        count_times.append(count())
    with app.app_context():
        plans = db.session.execute(text("SELECT count(*) FROM teacher_plan")).scalar_one()
        db.session.remove()
    page_ms, cold_ms, count_ms = (
        _median_ms(page_times),
        _median_ms(cold_times),
        _median_ms(count_times),
    )
    return {
        "teacher_plans": plans,
        "samples": samples,
        "page_ms": page_ms,
        "cold_ms": cold_ms,
        "count_ms": count_ms,
        "ratio": round(page_ms / count_ms, 2) if count_ms else None,
        "cold_ratio": round(cold_ms / count_ms, 2) if count_ms else None,
        "target_ratio": TARGET_RATIO,
    }


def run(app: Flask) -> dict[str, Any]:
    """The figures, or the error that prevented them (the other figures still count)."""
    try:
        return time_analytics(app)
    except Exception as error:
        return {"error": f"{type(error).__name__}: {error}"}
    finally:
        with app.app_context():
            if db.engine is not None:
                db.engine.dispose()
