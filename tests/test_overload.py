"""app/overload.py: a request that queued too long gets a polite 503, before any work."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import event

from app.extensions import db
from app.overload import HEADER, queued_for


@pytest.mark.parametrize(
    ("stamp", "expected"),
    [
        (None, None),
        ("", None),
        ("t=abc", None),
        ("t=1700000000.5", 0.5),
        ("1700000000.25", 0.75),
        ("t=1700000000500", 0.5),  # milliseconds
        ("t=1700000002", 0.0),  # a stamp in the future: no wait
    ],
)
def test_queue_time_is_read_from_seconds_or_milliseconds(stamp, expected):
    assert queued_for(stamp, 1_700_000_001.0) == expected


def test_a_request_that_queued_too_long_is_refused_politely_without_the_database(app, client):
    statements: list[str] = []

    def count(_conn, _cursor, statement, *_args):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        old = f"t={time.time() - 5:.3f}"
        response = client.get("/teacher/plan", headers={HEADER: old})
        assert response.status_code == 503
        assert response.headers["Retry-After"] == str(app.config["RETRY_AFTER_SECONDS"])
        assert response.headers["Cache-Control"] == "no-store"
        assert 'data-error="overloaded"' in response.get_data(as_text=True)
        assert "系統忙碌中" in response.get_data(as_text=True)

        fragment = client.post(
            "/teacher/plan/autosave", headers={HEADER: old, "HX-Request": "true"}
        )
        assert fragment.status_code == 503
        assert fragment.headers["HX-Retarget"] == "#status-area"
        text = fragment.get_data(as_text=True)
        assert text.startswith('<div class="error-alert" role="alert" data-error="overloaded"')
        assert statements == []
    finally:
        event.remove(db.engine, "before_cursor_execute", count)


def test_a_request_that_did_not_wait_long_is_served(client):
    fresh = f"t={time.time():.3f}"
    assert client.get("/healthz", headers={HEADER: fresh}).status_code == 200
    assert client.get("/healthz").status_code == 200


def test_the_guard_is_off_with_a_zero_timeout(make_app):
    db.session.remove()
    db.engine.dispose()
    app = make_app(QUEUE_TIMEOUT_MS=0)
    old = f"t={time.time() - 60:.3f}"
    assert app.test_client().get("/healthz", headers={HEADER: old}).status_code == 200
