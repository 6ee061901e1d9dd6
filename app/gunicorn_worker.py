"""The gunicorn worker of the production command: gthread, plus the queue stamp that
app/overload.py reads (`gunicorn -k app.gunicorn_worker.QueueTimedWorker --threads 4`)."""

from __future__ import annotations

import time
from typing import Any

from gunicorn.workers.gthread import ThreadWorker

from app.overload import HEADER


class QueueTimedWorker(ThreadWorker):
    """gunicorn's gthread worker that stamps each request with the moment it was queued
    for a thread (`X-Request-Start`), replacing whatever the client sent."""

    def enqueue_req(self, conn: Any) -> None:
        conn.queued_at = time.time()
        super().enqueue_req(conn)

    def handle_request(self, req: Any, conn: Any) -> Any:
        stamp = getattr(conn, "queued_at", None) or time.time()
        name = HEADER.upper()
        req.headers = [(k, v) for k, v in req.headers if k.upper() != name]
        req.headers.append((name, f"t={stamp:.6f}"))
        return super().handle_request(req, conn)
