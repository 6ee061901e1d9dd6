"""National IDs: encrypted at rest, masked on screen, never in URLs, pages or logs."""

from __future__ import annotations

import contextlib
import json
import logging
import random

from sqlalchemy import func, select, text

from app.db import Base
from app.extensions import db
from app.identity import make_national_id
from app.models import (
    AuditEntry,
    Job,
    LoginAttempt,
    PlanStatus,
    PlanVersion,
    SchoolPlan,
    Stage,
    TeacherPlan,
)
from app.security import vault
from app.timeutil import taipei
from tests.conftest import login_account, login_teacher
from tests.plan_helpers import school_form, setup_113, teacher_form


def _dump_every_row() -> str:
    """Everything the database holds, as text: what a stolen dump would show."""
    parts = []
    for table in Base.metadata.sorted_tables:
        for row in db.session.execute(text(f'SELECT * FROM "{table.name}"')):
            for value in row:
                if isinstance(value, bytes | memoryview):
                    value = bytes(value)
                    parts.append(value.decode("latin-1"))
                    parts.append(value.hex())
                elif isinstance(value, dict | list):
                    parts.append(json.dumps(value, ensure_ascii=False))
                else:
                    parts.append(str(value))
                    if isinstance(value, str) and value[:1] in ("{", "["):
                        # JSON kept as text escapes non-ASCII (\uXXXX): read it as well.
                        with contextlib.suppress(ValueError):
                            parts.append(json.dumps(json.loads(value), ensure_ascii=False))
    return "\n".join(parts)


def _assert_no_plain_id(dump: str, national_ids: list[str]) -> None:
    for plain in national_ids:
        assert plain not in dump
        assert plain.lower() not in dump
        assert plain.encode().hex() not in dump


def test_database_dump_contains_no_plaintext_id(factory):
    school = factory.school()
    teachers = [factory.teacher(school) for _ in range(5)]
    db.session.commit()
    dump = _dump_every_row()
    _assert_no_plain_id(dump, [t.plain_national_id for t in teachers])
    for teacher in teachers:
        plain = teacher.plain_national_id
        assert plain[:6] + "****" in dump  # the masked form is what is kept for display


def test_dump_after_a_working_cycle_contains_no_plaintext_id(
    app, client, factory, clock, monkeypatch, tmp_path
):
    """Plans (draft and submitted, with text), audit entries, jobs, rendered documents and
    login attempts (failed, locked, unknown ID) all exist; no row holds a plain ID."""
    monkeypatch.setitem(app.config, "PDF_CACHE_DIR", str(tmp_path / "pdf"))
    monkeypatch.setitem(app.config, "PDF_RENDER_ON_SUBMIT", True)
    world = setup_113(factory, stages=(Stage.ELEMENTARY, Stage.JUNIOR))
    drafting = world["teachers"][Stage.ELEMENTARY]
    submitting = world["teachers"][Stage.JUNIOR]
    stranger = make_national_id(random.Random(7))  # typed at sign-in, registered to nobody
    assert stranger not in {drafting.plain_national_id, submitting.plain_national_id}

    # The school plan, submitted by its planner, and the school's export of teacher plans.
    clock.set(taipei(2024, 8, 20, 10, 0))
    planner = world["planners"][Stage.ELEMENTARY]
    assert login_account(client, planner).status_code == 303
    text = school_form(0, **{"q.priority_description": "以閱讀素養為本校進修重點。"})
    assert client.post("/school/plan", data={**text, "action": "submit"}).status_code == 303
    client.post("/logout")

    clock.set(taipei(2024, 9, 20, 10, 0))
    # Failed sign-ins (enough to lock), one with an ID registered to nobody, then success.
    for _ in range(int(app.config["LOGIN_MAX_FAILURES"])):
        login_teacher(client, submitting, "wrong-password")
    client.post("/teacher/login", data={"national_id": stranger, "password": "whatever-1"})
    clock.set(taipei(2024, 9, 20, 11, 0))
    assert login_teacher(client, drafting).status_code == 303
    draft = teacher_form(0, **{"q.activities.0.topic": "差異化教學的課堂實作與反思"})
    assert client.post("/teacher/plan", data=draft).status_code == 303
    client.post("/logout")
    assert login_teacher(client, submitting).status_code == 303
    assert client.post("/teacher/plan", data=teacher_form(0)).status_code == 303
    submit = {**teacher_form(1, **{"q.activities.0.topic": "素養導向評量設計"}), "action": "submit"}
    assert client.post("/teacher/plan", data=submit).status_code == 303
    client.post("/logout")

    login_account(client, world["planners"][Stage.JUNIOR])
    assert client.post("/school/exports").status_code == 303

    counts = {
        model.__tablename__: db.session.scalar(select(func.count()).select_from(model))
        for model in (TeacherPlan, SchoolPlan, PlanVersion, AuditEntry, Job, LoginAttempt)
    }
    assert all(counts.values()), counts
    statuses = set(db.session.scalars(select(TeacherPlan.status)))
    assert statuses == {PlanStatus.DRAFT, PlanStatus.SUBMITTED}
    assert db.session.scalar(
        select(func.count()).select_from(LoginAttempt).where(LoginAttempt.succeeded.is_(False))
    ) >= int(app.config["LOGIN_MAX_FAILURES"])

    dump = _dump_every_row()
    assert "差異化教學的課堂實作與反思" in dump  # the dump does hold the plans' text
    assert "以閱讀素養為本校進修重點。" in dump
    _assert_no_plain_id(dump, [drafting.plain_national_id, submitting.plain_national_id, stranger])


def test_ciphertext_decrypts_and_lookup_hash_finds_the_teacher(factory):
    teacher = factory.teacher(factory.school())
    db.session.commit()
    assert vault().decrypt(teacher.national_id_cipher) == teacher.plain_national_id
    from app.auth.services import find_teacher

    assert find_teacher(teacher.plain_national_id).id == teacher.id
    # Lower case and full-width input normalise to the same lookup hash.
    assert find_teacher(teacher.plain_national_id.lower()).id == teacher.id


def test_id_never_reaches_logs_urls_or_pages(client, factory, caplog):
    teacher = factory.teacher(factory.school())
    caplog.set_level(logging.DEBUG)
    first = login_teacher(client, teacher, "wrong")
    second = login_teacher(client, teacher)
    pages = [first, second, client.get("/teacher/"), client.get("/")]
    for response in pages:
        assert teacher.plain_national_id not in response.get_data(as_text=True)
        assert teacher.plain_national_id not in response.headers.get("Location", "")
    assert teacher.plain_national_id not in caplog.text
