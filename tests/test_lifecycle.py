"""The request lifecycle: commit once or roll back, events only after a commit, GET never
writes, and every error answer through the htmx gate."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from flask import Blueprint, Flask, abort
from sqlalchemy import func, select, text

from app import events, lifecycle
from app.errors import STATUS_AREA
from app.extensions import db, limiter
from app.lifecycle import handles
from app.models import PlanKind, Region, Stage, TeacherPlan
from app.timeutil import taipei
from tests.conftest import login_teacher
from tests.plan_helpers import setup_113, teacher_form

HX = {"HX-Request": "true"}

lab = Blueprint("lab", __name__)


def _add_region() -> None:
    db.session.add(Region(code="LAB", name="實驗區"))
    events.announce(events.roster_changed, "lab", teacher_ids=[1])


@lab.post("/lab/commit")
@handles("public.view")
def commit_ok() -> str:
    _add_region()
    return "ok"


@lab.post("/lab/raise")
@handles("public.view")
def raise_error() -> str:
    _add_region()
    db.session.flush()
    raise RuntimeError("after a write")


@lab.post("/lab/refuse")
@handles("public.view")
def refuse() -> tuple[str, int]:
    _add_region()
    return "refused", 422


@lab.post("/lab/discard")
@handles("public.view")
def discard() -> str:
    _add_region()
    lifecycle.discard()
    return "not saved"


@lab.get("/lab/read")
@handles("public.view")
def read_that_writes() -> str:
    db.session.add(Region(code="GET", name="讀取區"))
    db.session.flush()
    return "read"


@lab.post("/lab/conflict")
@handles("public.view")
def conflict() -> str:
    abort(409)


@lab.get("/lab/thing/<int:number>")
@handles("public.view", load=lambda user, number: number or None)
def thing(value: int, number: int) -> str:
    return f"thing {value}"


@pytest.fixture(scope="module")
def lab_app(make_app) -> Flask:
    app = make_app()
    app.register_blueprint(lab)
    return app


@pytest.fixture
def lab_client(lab_app, app):
    return lab_app.test_client()


@contextmanager
def received(signal) -> Iterator[list[dict[str, Any]]]:
    """What `signal` delivered, with the regions committed when it was sent."""
    calls: list[dict[str, Any]] = []

    def receiver(sender: Any, **data: Any) -> None:
        assert db.engine is not None
        with db.engine.connect() as other:  # another connection sees only committed rows
            committed = other.execute(text("SELECT count(*) FROM region")).scalar_one()
        calls.append({"sender": sender, **data, "committed": committed})

    with signal.connected_to(receiver):
        yield calls


def _regions() -> int:
    return db.session.scalar(select(func.count()).select_from(Region)) or 0


def test_a_successful_write_commits_once_then_sends_its_events(lab_client):
    with received(events.roster_changed) as calls:
        response = lab_client.post("/lab/commit")
    assert response.status_code == 200
    assert _regions() == 1
    assert calls == [{"sender": "lab", "teacher_ids": [1], "committed": 1}]


@pytest.mark.parametrize(
    ("path", "status"), [("/lab/raise", 500), ("/lab/refuse", 422), ("/lab/discard", 200)]
)
def test_an_error_or_a_discard_rolls_back_and_sends_nothing(lab_client, path, status):
    with received(events.roster_changed) as calls:
        response = lab_client.post(path)
    assert response.status_code == status
    assert _regions() == 0
    assert calls == []


def test_get_never_writes(lab_client):
    response = lab_client.get("/lab/read")
    assert response.status_code == 500  # under test the lifecycle refuses loudly
    assert _regions() == 0


def test_a_missing_object_is_not_found(lab_client):
    assert lab_client.get("/lab/thing/7").get_data(as_text=True) == "thing 7"
    assert lab_client.get("/lab/thing/0").status_code == 404


def test_outside_a_request_after_commit_runs_at_once(app):
    ran: list[str] = []
    with app.test_request_context("/"):
        lifecycle.after_commit(lambda: ran.append("now"))
    assert ran == ["now"]


# ---- plan_submitted --------------------------------------------------------------------------


def test_a_submit_announces_plan_submitted_after_commit(client, factory, clock):
    world = setup_113(factory)
    clock.set(taipei(2024, 9, 20, 10, 0))
    login_teacher(client, world["teachers"][Stage.ELEMENTARY])
    with received(events.plan_submitted) as calls:
        refused = client.post(
            "/teacher/plan", data=teacher_form(0, **{"q.needs.1": ""}, action="submit")
        )
        assert refused.status_code == 422
        assert calls == []  # a refused submit announces nothing
        saved = client.post("/teacher/plan", data=teacher_form(0))
        assert saved.status_code == 303
        assert calls == []  # a draft is not a submission
        response = client.post("/teacher/plan", data=teacher_form(1, action="submit"))
    assert response.status_code == 303
    plan = db.session.scalar(select(TeacherPlan))
    assert plan is not None
    assert [(c["sender"], c["plan_id"]) for c in calls] == [(PlanKind.TEACHER.value, plan.id)]


def test_the_reports_package_queues_the_pdf_on_plan_submitted(app, monkeypatch):
    from app.reports import jobs

    queued: list[tuple[str, int]] = []
    monkeypatch.setattr(
        jobs, "schedule_plan_pdf", lambda kind, plan_id: queued.append((kind, plan_id))
    )
    with app.test_request_context("/"):
        events.plan_submitted.send("school", plan_id=42)
    assert queued == [("school", 42)]


# ---- error answers through the htmx gate ----------------------------------------------------


def _assert_fragment(response, status: int, reason: str) -> str:
    body = response.get_data(as_text=True)
    assert response.status_code == status
    assert response.headers["HX-Retarget"] == f"#{STATUS_AREA}"
    assert response.headers["HX-Reswap"] == "innerHTML"
    assert "HX-Redirect" not in response.headers
    assert "<html" not in body
    assert 'role="alert"' in body
    assert f'data-error="{reason}"' in body
    return body


def test_the_status_area_is_on_every_page(client):
    assert f'id="{STATUS_AREA}"' in client.get("/").get_data(as_text=True)


def test_an_ended_session_answers_htmx_with_401(client):
    body = _assert_fragment(
        client.post("/teacher/plan/autosave", data={"version": "1"}, headers=HX),
        401,
        "session-ended",
    )
    assert "/teacher/login" in body  # a way to sign in again, the page keeps its text
    plain = client.post("/teacher/plan/autosave", data={"version": "1"})
    assert plain.status_code == 303
    assert "/teacher/login" in plain.headers["Location"]


def test_forbidden_and_not_found_for_htmx(client, factory):
    login_teacher(client, factory.teacher(factory.school()))
    _assert_fragment(client.get("/school/plan", headers=HX), 403, "forbidden")
    _assert_fragment(client.get("/no/such/page", headers=HX), 404, "not-found")
    page = client.get("/school/plan")
    assert page.status_code == 403
    assert "<html" in page.get_data(as_text=True)
    assert 'data-error="forbidden"' in page.get_data(as_text=True)
    assert "HX-Retarget" not in page.headers


def test_conflict_too_large_and_server_error_for_htmx(lab_client, client):
    _assert_fragment(lab_client.post("/lab/conflict", headers=HX), 409, "conflict")
    big = {"username": "x" * (600 * 1024)}
    _assert_fragment(client.post("/school/login", data=big, headers=HX), 413, "too-large")
    _assert_fragment(lab_client.post("/lab/raise", headers=HX), 500, "server-error")


def test_csrf_failure_for_htmx(make_app, factory):
    strict = make_app(WTF_CSRF_ENABLED=True)
    client = strict.test_client()
    account = factory.account(factory.school())
    db.session.commit()
    response = client.post("/logout", headers=HX)
    _assert_fragment(response, 400, "csrf")
    assert "CSRF" in response.get_data(as_text=True)
    plain = client.post("/logout")
    assert plain.status_code == 400
    assert 'data-error="csrf"' in plain.get_data(as_text=True)
    assert account.id  # the account exists; the refusal is about the token alone


def test_too_many_requests_for_htmx(make_app, monkeypatch):
    monkeypatch.setattr(limiter, "enabled", limiter.enabled)  # as in test_auth
    limited = make_app(RATELIMIT_ENABLED=True, LOGIN_RATE_LIMIT="1 per minute")
    limiter.reset()
    client = limited.test_client()
    client.post("/school/login", data={"username": "x", "password": "y"})
    response = client.post("/school/login", data={"username": "x", "password": "y"}, headers=HX)
    _assert_fragment(response, 429, "too-many-requests")
