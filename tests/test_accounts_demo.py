"""The demo data of school administration: a pending application, a roster and a courses
account at the demo primary school, a few courses; seeding twice changes nothing."""

from __future__ import annotations

from sqlalchemy import func, select

from app.demo.seed import DEMO_PASSWORD, seed
from app.extensions import db
from app.models import AccountStatus, BusinessAccount, Course


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_the_demo_school_has_its_administration_data_once(client, app):
    seed()
    db.session.commit()
    courses, accounts = _count(Course), _count(BusinessAccount)
    assert courses == 3
    report = seed()
    db.session.commit()
    assert (_count(Course), _count(BusinessAccount)) == (courses, accounts)
    logins = {login for _who, login, _where in report.logins}
    assert {"roster523601", "course523601", "apply523601"} <= logins
    pending = db.session.scalar(
        select(BusinessAccount).where(BusinessAccount.username == "apply523601")
    )
    assert pending.status == AccountStatus.APPLIED

    def sign_in(username: str) -> int:
        data = {"username": username, "password": DEMO_PASSWORD}
        return client.post("/school/login", data=data).status_code

    assert sign_in("apply523601") == 401  # waits for the chief
    assert sign_in("course523601") == 303
    body = client.get("/school/courses/").get_data(as_text=True)
    assert "數位學習融入課堂工作坊" in body
    assert "報名中" in body
    client.post("/logout")
    assert sign_in("chief523601") == 303
    body = client.get("/school/accounts").get_data(as_text=True)
    assert body.index("apply523601") < body.index("chief523601")
    assert sign_in("roster523601") == 303
