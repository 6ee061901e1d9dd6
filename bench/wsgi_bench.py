"""What gunicorn serves during `make bench`: the production app, plus

- the baseline blueprint (bench.bare) at /_bench/bare;
- with BENCH_SQL_COUNT=1, the statement counter of bench.bare: every response carries
  `X-Bench-SQL: n` and, when asked with `X-Bench-Explain: 1`, the statements themselves;
- a sign-in rate limit raised so that the harness can sign in its teachers from one
  address (the limit guards /…/login only, which is not measured).

Configuration otherwise comes from the environment exactly as for wsgi.py.
"""

from __future__ import annotations

import os

from flask import Flask

from app import create_app
from bench import bare


def create_bench_app() -> Flask:
    app = create_app(
        {"LOGIN_RATE_LIMIT": os.environ.get("BENCH_LOGIN_RATE_LIMIT", "100000 per minute")}
    )
    app.register_blueprint(bare.bp)
    if os.environ.get("BENCH_SQL_COUNT") == "1":
        bare.install_sql_counter(app)
    return app


app = create_bench_app()
