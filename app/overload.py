"""Overload protection: a polite 503 instead of a timeout when requests queue too long.

Under more load than a host can carry, requests wait in gunicorn's queue (its thread
pool) and every answer gets slower until clients time out. Instead, each request carries
the moment it was queued, in `X-Request-Start: t=<seconds since the epoch>`, and a request
that waited longer than QUEUE_TIMEOUT_MS is answered at once with 503 and `Retry-After`,
before anything reads the database. What the person typed stays on the page (drafts.js
keeps a copy until a save is confirmed), nothing half-happens, and the host sheds exactly
the load it cannot carry; it recovers as soon as the queue is short again.

Who sets the header:
- `app.gunicorn_worker.QueueTimedWorker`, the worker class of the production command
  (`-k app.gunicorn_worker.QueueTimedWorker`, gunicorn's gthread worker plus the stamp): the moment
  gunicorn hands the connection to its thread pool. It replaces any value a client sent.
- Or a reverse proxy, e.g. nginx `proxy_set_header X-Request-Start "t=${msec}";`
  (then the wait includes the proxy's), when gunicorn runs with its plain gthread worker.
Without the header nothing is refused.
"""

from __future__ import annotations

import time

from flask import Flask, Response, request
from flask_babel import gettext as _
from markupsafe import escape

HEADER = "X-Request-Start"
OVERLOADED = "overloaded"  # the data-error reason, like errors.REASONS


def queued_for(stamp: str | None, now: float) -> float | None:
    """Seconds a request waited, from `t=<seconds>` (nginx's ${msec}) or `t=<ms>`; None if
    the header is missing or unreadable. A stamp in the future counts as no wait."""
    if not stamp:
        return None
    value = stamp.strip().removeprefix("t=")
    try:
        started = float(value)
    except ValueError:
        return None
    if started > 1e11:  # milliseconds (Heroku, New Relic), not seconds
        started /= 1000
    return max(0.0, now - started)


def _refusal(retry_after: int) -> Response:
    title = _("系統忙碌中")
    text = _(
        "目前同時使用的人數過多，請於 %(seconds)s 秒後再試；已輸入的內容仍保留在頁面上。",
        seconds=retry_after,
    )
    if request.headers.get("HX-Request"):
        body = (
            f'<div class="error-alert" role="alert" data-error="{OVERLOADED}" data-status="503">'
            f"<p><strong>{escape(title)}</strong>：{escape(text)}</p></div>"
        )
        response = Response(body, 503, content_type="text/html; charset=utf-8")
        response.headers["HX-Retarget"] = "#status-area"
        response.headers["HX-Reswap"] = "innerHTML"
    else:
        body = (
            '<!doctype html>\n<html lang="zh-Hant-TW">\n<meta charset="utf-8">\n'
            f"<title>{escape(title)}</title>\n<main><h1>{escape(title)}</h1>\n"
            f'<p data-error="{OVERLOADED}">{escape(text)}</p></main>\n</html>\n'
        )
        response = Response(body, 503, content_type="text/html; charset=utf-8")
    response.headers["Retry-After"] = str(retry_after)
    response.headers["Cache-Control"] = "no-store"
    return response


def init_app(app: Flask) -> None:
    """Refuse requests that queued longer than QUEUE_TIMEOUT_MS (0: never), first of all
    request hooks, so a refusal costs no database work."""
    limit = int(app.config.get("QUEUE_TIMEOUT_MS") or 0) / 1000
    retry_after = int(app.config.get("RETRY_AFTER_SECONDS") or 5)
    if limit <= 0:
        return

    @app.before_request
    def refuse_when_queued_too_long() -> Response | None:
        waited = queued_for(request.headers.get(HEADER), time.time())
        if waited is None or waited <= limit:
            return None
        return _refusal(retry_after)
