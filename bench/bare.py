"""The baseline of `make bench`, and its statement counter.

- `bp`: GET /_bench/bare?id=N, one query and one small template, through the same app
  and middleware. Its throughput is the unit every other figure is divided by.
- `install_sql_counter(app)`: every response carries `X-Bench-SQL: n` (the statements
  sent through the engine while handling it) and, when the request asked with
  `X-Bench-Explain: 1`, `X-Bench-SQL-Text` (base64 JSON of the statements, shortened).

Both are used only by bench.wsgi_bench (and the smoke test), never by the app itself.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from typing import Any

from flask import (
    Blueprint,
    Flask,
    Response,
    abort,
    g,
    has_request_context,
    render_template,
    request,
)
from jinja2 import BaseLoader, DictLoader
from sqlalchemy import event, select

from app.extensions import db
from app.models import School

SQL_HEADER = "X-Bench-SQL"
SQL_TEXT_HEADER = "X-Bench-SQL-Text"
EXPLAIN_HEADER = "X-Bench-Explain"
BARE_TEMPLATE = "bench/bare.html"
_LOADER = DictLoader(
    {
        BARE_TEMPLATE: (
            '<!doctype html>\n<html lang="zh-Hant-TW">\n<meta charset="utf-8">\n'
            "<title>{{ school.name }}</title>\n"
            "<p>{{ school.code }} {{ school.name }}（{{ school.stage.label }}）</p>\n</html>\n"
        )
    }
)


class _Blueprint(Blueprint):
    """A blueprint whose one template lives in this file (compiled once, cached by Jinja)."""

    @property
    def jinja_loader(self) -> BaseLoader | None:
        return _LOADER


bp = _Blueprint("bench", __name__, url_prefix="/_bench")


@bp.get("/bare")
def bare():
    """GET /_bench/bare?id=N: one SELECT by primary key, one small template."""
    school_id = request.args.get("id", "1")
    if not school_id.isdigit() or len(school_id) > 9:
        abort(404)
    row = db.session.execute(
        select(School.code, School.name, School.stage).where(School.id == int(school_id))
    ).first()
    if row is None:
        abort(404)
    return render_template(BARE_TEMPLATE, school=row)


def install_sql_counter(app: Flask) -> Callable[..., None]:
    """Count the statements of each request on the app's engine. The pool's pre-ping,
    BEGIN and COMMIT/ROLLBACK are not sent through the engine's cursor and are not
    counted. Returns the listener (for `sqlalchemy.event.remove`)."""
    engine = db.engine
    assert engine is not None

    def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if not has_request_context():
            return
        g.bench_sql = g.get("bench_sql", 0) + 1
        if request.headers.get(EXPLAIN_HEADER):
            g.setdefault("bench_sql_text", []).append(" ".join(statement.split())[:600])

    def report(response: Response) -> Response:
        response.headers[SQL_HEADER] = str(g.get("bench_sql", 0))
        statements = g.get("bench_sql_text")
        if statements:
            encoded = base64.b64encode(json.dumps(statements).encode()).decode("ascii")
            response.headers[SQL_TEXT_HEADER] = encoded
        return response

    event.listen(engine, "before_cursor_execute", count)
    app.after_request(report)
    return count
