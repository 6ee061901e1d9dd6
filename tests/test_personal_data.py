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
from tests.conftest import PASSWORD, login_account, login_teacher
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
    # The failed sign-in keeps the typed ID in its own box (issue 9 item 3), nowhere else.
    failed_page = first.get_data(as_text=True)
    assert failed_page.count(teacher.plain_national_id) == 1
    assert f'value="{teacher.plain_national_id}"' in failed_page
    assert teacher.plain_national_id not in first.headers.get("Location", "")
    pages = [second, client.get("/teacher/"), client.get("/")]
    for response in pages:
        assert teacher.plain_national_id not in response.get_data(as_text=True)
        assert teacher.plain_national_id not in response.headers.get("Location", "")
    assert teacher.plain_national_id not in caplog.text


# ---- key rotation (issue 9 item 12) ----------------------------------------------------

ROTATED_KEYS = "2:rotated-personal-data-key,1:test-personal-data-key"


def _legacy_blob(secret: str, national_id: str) -> bytes:
    """The version-1 layout written before key ids existed: version || nonce || sealed."""
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM
    from cryptography.hazmat.primitives.kdf.hkdf import HKDF

    key = HKDF(
        algorithm=hashes.SHA256(),
        length=32,
        salt=b"jinxiu-guihua/identity-vault/v1",
        info=b"national-id-encryption",
    ).derive(secret.encode())
    nonce = bytes(range(12))
    return b"\x01" + nonce + AESGCM(key).encrypt(nonce, national_id.encode(), b"national-id/v\x01")


def _teachers_under_key_1(factory, count: int) -> list[tuple[int, str]]:
    school = factory.school()
    teachers = [factory.teacher(school) for _ in range(count)]
    # The oldest rows predate key ids: the legacy layout, readable by key 1.
    teachers[0].national_id_cipher = _legacy_blob(
        "test-personal-data-key", teachers[0].plain_national_id
    )
    db.session.commit()
    return [(t.id, t.plain_national_id) for t in teachers]


def _rotate(app, *args: str):
    """Run `flask keys rotate` in that app (the flask command pushes its own context)."""
    with app.app_context():
        return app.test_cli_runner().invoke(args=["keys", "rotate", *args])


def _stored() -> dict[int, tuple[bytes, str]]:
    from app.models import Teacher

    db.session.expire_all()
    rows = db.session.execute(
        text("SELECT id, national_id_cipher, national_id_hash FROM teacher")
    ).all()
    assert Teacher.__tablename__ == "teacher"
    return {row[0]: (bytes(row[1]), row[2]) for row in rows}


def test_keys_rotate_reencrypts_and_rehashes_every_row(make_app, factory):
    from app.identity import IdentityVault, parse_key_list

    rotated_app = make_app(PERSONAL_DATA_KEYS=ROTATED_KEYS)  # a new app: before the rows
    people = _teachers_under_key_1(factory, 5)
    before = _stored()
    assert {blob[:2] for blob, _ in before.values()} <= {b"\x02\x01", b"\x01\x00"}
    result = _rotate(rotated_app, "--batch-size", "2")
    assert result.exit_code == 0, result.output
    assert "5 rows checked, 5 re-encrypted" in result.output
    keys = IdentityVault.from_keys(parse_key_list(ROTATED_KEYS))
    after = _stored()
    for row_id, national_id in people:
        blob, digest = after[row_id]
        assert blob[:2] == b"\x02\x02"  # version 2, key 2
        assert keys.decrypt(blob) == national_id
        assert digest == keys.lookup_hash(national_id) != before[row_id][1]
    # Teachers still sign in, by the new hash.
    client = rotated_app.test_client()
    for _, national_id in people[:2]:
        response = client.post(
            "/teacher/login", data={"national_id": national_id, "password": PASSWORD}
        )
        assert response.status_code == 303
        client.post("/logout")
    again = _rotate(rotated_app)
    assert "5 rows checked, 0 re-encrypted" in again.output


def test_keys_rotate_is_safe_to_interrupt_and_rerun(make_app, factory, monkeypatch):
    from app.identity import IdentityVault

    rotated_app = make_app(PERSONAL_DATA_KEYS=ROTATED_KEYS)
    people = _teachers_under_key_1(factory, 5)
    calls = {"n": 0}
    encrypt = IdentityVault.encrypt

    def crash_on_the_fourth(self, value):
        calls["n"] += 1
        if calls["n"] == 4:
            raise RuntimeError("killed")  # the process dies mid-batch
        return encrypt(self, value)

    monkeypatch.setattr(IdentityVault, "encrypt", crash_on_the_fourth)
    result = _rotate(rotated_app, "--batch-size", "2")
    assert result.exit_code != 0
    monkeypatch.setattr(IdentityVault, "encrypt", encrypt)
    halfway = _stored()
    key_ids = [halfway[row_id][0][:2] for row_id, _ in people]
    assert key_ids[:2] == [b"\x02\x02"] * 2  # the first batch was committed whole
    assert b"\x02\x02" not in key_ids[2:]  # the interrupted batch left nothing half-done
    # Mid-rotation, every teacher signs in: rotated rows by the new hash, others by the old.
    client = rotated_app.test_client()
    for _, national_id in (people[0], people[4]):
        response = client.post(
            "/teacher/login", data={"national_id": national_id, "password": PASSWORD}
        )
        assert response.status_code == 303
        client.post("/logout")
    rerun = _rotate(rotated_app, "--batch-size", "2")
    assert rerun.exit_code == 0, rerun.output
    assert "5 rows checked, 3 re-encrypted" in rerun.output
    assert {blob[:2] for blob, _ in _stored().values()} == {b"\x02\x02"}
