"""`flask demo seed`: the whole demo data set, idempotent, with usable windows today."""

from __future__ import annotations

from sqlalchemy import func, select

from app.cycles.windows import current_cycle, state_between, windows_of
from app.demo.seed import DEMO_PASSWORD, seed
from app.extensions import db
from app.models import (
    AccountKind,
    BusinessAccount,
    County,
    RosterSnapshot,
    RosterSource,
    School,
    Stage,
    Teacher,
)
from app.timeutil import now


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_seed_creates_everything_once(app):
    first = seed()
    db.session.commit()
    assert _count(County) == 22
    assert 35 <= _count(School) <= 45
    assert _count(Teacher) == 400
    stages = set(db.session.scalars(select(School.stage)))
    assert stages == set(Stage)
    sources = set(db.session.scalars(select(School.roster_source)))
    assert {RosterSource.ECE, RosterSource.TAIPEI, RosterSource.LOCAL} <= sources
    kinds = set(db.session.scalars(select(BusinessAccount.kind)))
    assert kinds == set(AccountKind)
    counts = {m: _count(m) for m in (School, Teacher, BusinessAccount, RosterSnapshot)}
    second = seed()
    db.session.commit()
    assert {m: _count(m) for m in counts} == counts
    assert first.logins == second.logins
    assert "teachers" not in second.created


def test_demo_cycle_has_open_pending_and_closed_stages(app):
    seed()
    db.session.commit()
    cycle = current_cycle()
    assert cycle.academic_year == 115
    moment = now()
    for windows in windows_of(cycle).values():
        states = {state_between(w.opens_at, w.closes_at, moment).state for w in windows}
        assert states == {"open", "not_open", "closed"}


def test_demo_logins_work(client, app):
    report = seed()
    db.session.commit()
    teacher_login = next(login for who, login, where in report.logins if where == "/teacher/")
    response = client.post(
        "/teacher/login", data={"national_id": teacher_login, "password": DEMO_PASSWORD}
    )
    assert response.status_code == 303
    assert client.get("/teacher/plan").status_code == 200
    client.post("/logout")
    planner = next(login for who, login, where in report.logins if login.startswith("plan"))
    response = client.post("/school/login", data={"username": planner, "password": DEMO_PASSWORD})
    assert response.status_code == 303
    assert client.get("/school/plan").status_code == 200
