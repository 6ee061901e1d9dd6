"""The last-chief guard under concurrent requests (PostgreSQL: real row locks).

Two connections each take away one of a school's two active chiefs. The first holds the
school row's lock until the second is seen waiting for it (pg_stat_activity), so the two
transactions truly overlap; exactly one change may win.
"""

from __future__ import annotations

import os
import threading
import time

import pytest
from sqlalchemy import select, text

from app.accounts import services
from app.accounts.services import Refused
from app.extensions import db
from app.models import AccountKind, AccountStatus, AccountType, BusinessAccount

pytestmark = pytest.mark.skipif(
    not os.environ.get("DATABASE_URL", "").startswith("postgresql"),
    reason="row locks need PostgreSQL (SQLite serialises writers)",
)


def _waiting_for_a_lock() -> int:
    engine = db.engine
    with engine.connect() as conn:
        return conn.scalar(
            text(
                "SELECT count(*) FROM pg_stat_activity "
                "WHERE datname = current_database() AND wait_event_type = 'Lock'"
            )
        )


@pytest.mark.parametrize("how", ["disable", "delete", "demote"])
def test_two_requests_cannot_remove_both_chiefs(app, factory, how):
    region_row = factory.region()
    school = factory.school()
    first = factory.account(school, AccountType.CHIEF)
    second = factory.account(school, AccountType.CHIEF)
    region = factory.account(None, kind=AccountKind.REGION, region_id=region_row.id)
    db.session.commit()
    ids = {"region": region.id, "first": first.id, "second": second.id}
    first_holds_lock = threading.Event()
    second_is_waiting = threading.Event()
    outcome: dict[str, str] = {}

    def take_away(name: str, hold: bool) -> None:
        with app.app_context():
            try:
                actor = db.session.get(BusinessAccount, ids["region"])
                target = db.session.get(BusinessAccount, ids[name])
                assert actor is not None
                assert target is not None
                if not hold:
                    first_holds_lock.wait()
                if how == "demote":
                    services.set_types(actor, target, {AccountType.ROSTER})
                else:
                    services.OPERATIONS[how](actor, target)
                if hold:
                    first_holds_lock.set()
                    second_is_waiting.wait()
                db.session.commit()
                outcome[name] = "done"
            except Refused:
                db.session.rollback()
                outcome[name] = "refused"
            except BaseException as error:
                db.session.rollback()
                outcome[name] = f"error: {error!r}"
            finally:
                first_holds_lock.set()
                db.session.remove()

    threads = [
        threading.Thread(target=take_away, args=("first", True)),
        threading.Thread(target=take_away, args=("second", False)),
    ]
    for thread in threads:
        thread.start()
    first_holds_lock.wait()
    while not outcome and _waiting_for_a_lock() < 1:
        time.sleep(0.01)  # until the second transaction queues behind the school row's lock
    second_is_waiting.set()
    for thread in threads:
        thread.join()
    assert outcome == {"first": "done", "second": "refused"}
    db.session.expire_all()
    chiefs = db.session.scalars(
        select(BusinessAccount).where(
            BusinessAccount.school_id == school.id, BusinessAccount.status == AccountStatus.ACTIVE
        )
    ).all()
    assert [c.id for c in chiefs if AccountType.CHIEF in c.types] == [ids["second"]]
