"""Nightly roster feeds (`flask sync ece|taipei FILE`): formats, one transaction, idempotence,
pending rows, ended employments, bad rows and unusable files, the end-share guard, the lock,
the operator's sync-runs page and `last_sync`. Runs on SQLite and PostgreSQL alike."""

from __future__ import annotations

import fcntl
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, event, func, select, text

from app import events, security
from app.config import ROOT
from app.extensions import db
from app.feeds import last_sync
from app.feeds.services import _lock_key
from app.models import (
    AccountKind,
    AuditEntry,
    County,
    Employment,
    EndReason,
    RosterSource,
    School,
    Stage,
    SyncRun,
    Teacher,
)
from app.timeutil import taipei
from tests.conftest import login_account

DATA = ROOT / "tests" / "data"
TAIPEI_HEADER = "unit_code,national_id,name,title,subjects,status\n"
ECE_HEADER = "unit_code,unit_name,county_code,national_id,name,title,subjects,status\n"
# Valid national IDs used by the sample files.
LIN, CHEN, HUANG, CHANG = "O278932873", "U117421802", "T279290813", "B133907570"
LI, WANG, WU, CHOU = "S183470175", "U268145380", "J119161462", "C103307661"


def _invoke(app, *args: str) -> Any:
    return app.test_cli_runner().invoke(args=list(args))


def _count(model: Any) -> int:
    return db.session.scalar(select(func.count()).select_from(model)) or 0


def _teacher(national_id: str) -> Teacher | None:
    lookup = security.vault().lookup_hash(national_id)
    return db.session.scalar(select(Teacher).where(Teacher.national_id_hash == lookup))


def _current(teacher: Teacher) -> list[Employment]:
    return [e for e in teacher.employments if e.valid_to is None]


@pytest.fixture
def taipei_world(factory):
    """臺北市: two schools whose rosters come from 臺北市教師研習網, and one local school."""
    county = factory.county("63000", "臺北市")
    authority = factory.authority(county)
    schools = {}
    for code, name in (("313601", "臺北市立甲國小"), ("313602", "臺北市立乙國中")):
        school = School(
            code=code,
            name=name,
            county_code=county.code,
            authority_id=authority.id,
            stage=Stage.ELEMENTARY,
            roster_source=RosterSource.TAIPEI,
        )
        db.session.add(school)
        schools[code] = school
    db.session.flush()
    schools["local"] = factory.school(name="臺北市立丙國小（自行維護）", county=county)
    factory.authority()  # 高雄市 for the kindergarten feed
    db.session.commit()
    return schools


def _write(tmp_path: Path, name: str, content: str | bytes) -> str:
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return str(path)


def _last_run() -> SyncRun:
    run = db.session.scalar(select(SyncRun).order_by(SyncRun.id.desc()).limit(1))
    assert run is not None
    return run


@contextmanager
def _statements() -> Iterator[list[str]]:
    """Every SQL statement the app sends while the block runs."""
    seen: list[str] = []

    def note(_conn, _cursor, statement, _params, _context, _many):
        seen.append(statement.strip().split()[0].upper() + " " + statement)

    engine = db.engine
    event.listen(engine, "before_cursor_execute", note)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", note)


# ---- applying a file ------------------------------------------------------------------------


def test_kindergarten_feed_creates_units_and_teachers(app, taipei_world):
    received: list[tuple[Any, dict[str, Any]]] = []

    def on_applied(sender, **data):
        received.append((sender, data))

    events.feed_applied.connect(on_applied)
    try:
        result = _invoke(app, "sync", "ece", str(DATA / "ece_roster.csv"))
    finally:
        events.feed_applied.disconnect(on_applied)
    assert result.exit_code == 0, result.output
    run = _last_run()
    assert (run.status, run.rows_read, run.rows_created, run.rows_updated) == ("applied", 4, 3, 0)
    assert (run.rows_skipped, run.rows_rejected, run.rows_ended, run.units_created) == (1, 0, 0, 2)
    assert run.file_name == "ece_roster.csv"
    assert run.finished_at is not None
    assert received == [("ece", {"sync_run_id": run.id})]
    units = db.session.scalars(select(School).where(School.roster_source == RosterSource.ECE))
    assert {(u.code, u.name, u.stage, u.county_code) for u in units} == {
        ("641001", "高雄市私立小太陽幼兒園", Stage.KINDERGARTEN, "64000"),
        ("641002", "高雄市立愛河幼兒園", Stage.KINDERGARTEN, "64000"),
    }
    lin = _teacher(LIN)
    assert lin is not None
    assert lin.name == "林美玲"
    assert lin.national_id_masked == "O27893****"
    assert security.vault().decrypt(lin.national_id_cipher) == LIN
    (job,) = _current(lin)
    assert (job.school.code, job.title, job.subjects) == ("641001", "教保員", "")
    assert _teacher(CHANG) is None  # 異動待審: skipped
    assert "新增 3" in result.output
    assert "待審略過 1" in result.output
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "feed.apply"))
    assert entry is not None
    assert entry.after == {
        "feed": "ece",
        "created": 3,
        "updated": 0,
        "ended": 0,
        "units_created": 2,
    }


def test_the_same_file_twice_changes_nothing_the_second_time(app, taipei_world):
    path = str(DATA / "taipei_roster.csv")
    assert _invoke(app, "sync", "taipei", path).exit_code == 0
    before = (_count(Teacher), _count(Employment), _count(AuditEntry))
    with _statements() as sql:
        again = _invoke(app, "sync", "taipei", path)
    assert again.exit_code == 0, again.output
    run = _last_run()
    assert (run.rows_read, run.rows_created, run.rows_updated, run.rows_ended) == (4, 0, 0, 0)
    assert (_count(Teacher), _count(Employment), _count(AuditEntry)) == before
    writes = [s for s in sql if s.split()[0] in ("INSERT", "UPDATE", "DELETE")]
    assert len(writes) == 1
    assert "sync_run" in writes[0]
    assert _count(SyncRun) == 2


def test_json_lines_and_csv_apply_alike(app, taipei_world):
    assert _invoke(app, "sync", "taipei", str(DATA / "taipei_roster.jsonl")).exit_code == 0
    run = _last_run()
    assert (run.rows_read, run.rows_created, run.rows_skipped) == (4, 3, 1)
    # The CSV of the same roster then changes nothing.
    assert _invoke(app, "sync", "taipei", str(DATA / "taipei_roster.csv")).exit_code == 0
    run = _last_run()
    assert (run.rows_created, run.rows_updated, run.rows_ended) == (0, 0, 0)
    wang = _teacher(WANG)
    assert wang is not None
    assert [(e.school.code, e.title, e.subjects) for e in _current(wang)] == [
        ("313601", "組長", "數學")
    ]


def test_header_in_another_order_and_no_bom_is_fine(app, taipei_world, tmp_path):
    content = "name,status,national_id,unit_code\n李雅婷,,S183470175,313601\n"
    path = _write(tmp_path, "reordered.csv", content)
    result = _invoke(app, "sync", "taipei", path)
    assert result.exit_code == 0, result.output
    li = _teacher(LI)
    assert li is not None
    assert li.name == "李雅婷"
    assert [(e.title, e.subjects) for e in _current(li)] == [("教師", "")]


def test_names_titles_subjects_and_units_are_updated(app, taipei_world, tmp_path, clock):
    clock.set(taipei(2026, 12, 1, 2, 0))
    assert _invoke(app, "sync", "taipei", str(DATA / "taipei_roster.csv")).exit_code == 0
    clock.set(taipei(2026, 12, 2, 2, 0))
    changed = TAIPEI_HEADER + (
        "313601,S183470175,李雅婷,教務主任,國語,在職\n"  # new title
        "313602,U268145380,王建國,組長,數學,在職\n"  # moved to the other school
        "313602,J119161462,吳珮珊,教師,英語;音樂,在職\n"  # new name and subjects
    )
    result = _invoke(app, "sync", "taipei", _write(tmp_path, "changed.csv", changed))
    assert result.exit_code == 0, result.output
    run = _last_run()
    assert (run.rows_created, run.rows_updated, run.rows_ended) == (0, 3, 0)
    li, wang, wu = _teacher(LI), _teacher(WANG), _teacher(WU)
    assert li
    assert wang
    assert wu
    assert [(e.title, e.subjects) for e in _current(li)] == [("教務主任", "國語")]
    assert wu.name == "吳珮珊"
    assert [e.subjects for e in _current(wu)] == ["英語;音樂"]
    old, new = wang.employments
    assert (old.school.code, old.end_reason, old.valid_to) == (
        "313601",
        EndReason.TRANSFERRED,
        taipei(2026, 12, 2, 2, 0),
    )
    assert (new.school.code, new.valid_from, new.valid_to) == (
        "313602",
        taipei(2026, 12, 2, 2, 0),
        None,
    )


def test_teachers_missing_from_the_feed_are_ended_and_nothing_else(
    app, taipei_world, factory, tmp_path
):
    local = factory.teacher(taipei_world["local"], national_id="A123456789")
    assert _invoke(app, "sync", "ece", str(DATA / "ece_roster.csv")).exit_code == 0
    assert _invoke(app, "sync", "taipei", str(DATA / "taipei_roster.csv")).exit_code == 0
    # 吳佩珊 is gone; 周俊宏 (pending review) is not in the file's active rows either.
    content = TAIPEI_HEADER + (
        "313601,S183470175,李雅婷,教師,國語,在職\n"
        "313601,U268145380,王建國,組長,數學,在職\n"
        "313602,C103307661,周俊宏,教師,自然,異動待審\n"
    )
    path = _write(tmp_path, "fewer.csv", content)
    result = _invoke(app, "sync", "taipei", path, "--max-end-share", "0.5")
    assert result.exit_code == 0, result.output
    run = _last_run()
    assert (run.rows_ended, run.rows_skipped) == (1, 1)
    wu = _teacher(WU)
    assert wu is not None
    assert _current(wu) == []
    assert wu.employments[-1].end_reason == EndReason.NOT_IN_SOURCE
    # Outside the source: the local school's teacher and the kindergartens' are untouched.
    assert len(_current(local)) == 1
    for national_id in (LIN, CHEN, HUANG):
        teacher = _teacher(national_id)
        assert teacher is not None
        assert len(_current(teacher)) == 1


def test_a_pending_teacher_keeps_his_employment(app, taipei_world, tmp_path):
    assert _invoke(app, "sync", "taipei", str(DATA / "taipei_roster.csv")).exit_code == 0
    content = TAIPEI_HEADER + (
        "313601,S183470175,李雅婷,教師,國語,在職\n"
        "313601,U268145380,王建國,組長,數學,在職\n"
        "313602,J119161462,吳佩珊,教師,英語,異動待審\n"  # now pending: left as he is
    )
    result = _invoke(app, "sync", "taipei", _write(tmp_path, "pending.csv", content))
    assert result.exit_code == 0, result.output
    run = _last_run()
    assert (run.rows_ended, run.rows_skipped, run.rows_updated) == (0, 1, 0)
    wu = _teacher(WU)
    assert wu is not None
    assert len(_current(wu)) == 1


# ---- bad rows: applied around ---------------------------------------------------------------


def test_bad_rows_are_reported_and_good_rows_applied(app, taipei_world, tmp_path):
    content = TAIPEI_HEADER + (
        "313601,S183470175,李雅婷,教師,國語,在職\n"  # row 2: good
        "313601,S183470176,錯號碼,教師,國語,在職\n"  # row 3: bad checksum
        "999999,U268145380,王建國,組長,數學,在職\n"  # row 4: unknown unit
        "313602,J119161462,吳佩珊,教師,英語,在職\n"  # row 5: twice (with row 6)
        "313602,J119161462,吳佩珊,教師,英語,在職\n"  # row 6
        "313602,C103307661,周俊宏,教師\n"  # row 7: too few fields
        "313602,C103307661,,教師,自然,在職\n"  # row 8: no name
        "313602,C103307661,周俊宏,教師,自然,休假\n"  # row 9: unknown status
    )
    result = _invoke(app, "sync", "taipei", _write(tmp_path, "bad-rows.csv", content))
    assert result.exit_code == 3, result.output
    run = _last_run()
    assert run.status == "partial"
    assert (run.rows_read, run.rows_created, run.rows_rejected) == (8, 1, 7)
    reasons = {item["row"]: item["reason"] for item in run.errors}
    assert set(reasons) == {3, 4, 5, 6, 7, 8, 9}
    assert "檢查碼不符" in reasons[3]
    assert "不認得的單位代碼 999999" in reasons[4]
    assert "不只一次" in reasons[5]
    assert "第 6 列" in reasons[5]
    assert "欄位數不符" in reasons[7]
    assert "姓名是空的" in reasons[8]
    assert "休假" in reasons[9]
    assert "第 3 列" in result.output
    assert "S183470176" not in result.output
    assert "S183470176" not in str(run.errors)
    assert _teacher(LI) is not None
    assert _teacher(WU) is None
    assert _teacher(WANG) is None


def test_kindergarten_rows_for_other_sources_or_unknown_counties_are_rejected(
    app, taipei_world, tmp_path
):
    content = ECE_HEADER + (
        "313601,假冒幼兒園,63000,O278932873,林美玲,教保員,,在職\n"  # a Taipei school's code
        "651001,新北市某幼兒園,65000,U117421802,陳志明,教師,,在職\n"  # no such county here
        "641001,高雄市私立小太陽幼兒園,64000,T279290813,黃淑芬,園長,,在職\n"
    )
    result = _invoke(app, "sync", "ece", _write(tmp_path, "ece-bad.csv", content))
    assert result.exit_code == 3, result.output
    reasons = {item["row"]: item["reason"] for item in _last_run().errors}
    assert "不屬於這個來源" in reasons[2]
    assert "縣市代碼 65000" in reasons[3]
    school = db.session.scalar(select(School).where(School.code == "313601"))
    assert school is not None
    assert school.roster_source == RosterSource.TAIPEI
    assert _count(Teacher) == 1


def test_a_renamed_kindergarten_is_renamed(app, taipei_world, tmp_path):
    assert _invoke(app, "sync", "ece", str(DATA / "ece_roster.csv")).exit_code == 0
    text_ = (DATA / "ece_roster.csv").read_text(encoding="utf-8-sig")
    renamed = text_.replace("高雄市立愛河幼兒園", "高雄市立愛河非營利幼兒園")
    result = _invoke(app, "sync", "ece", _write(tmp_path, "renamed.csv", renamed))
    assert result.exit_code == 0, result.output
    school = db.session.scalar(select(School).where(School.code == "641002"))
    assert school is not None
    assert school.name == "高雄市立愛河非營利幼兒園"


# ---- unusable files: nothing applied --------------------------------------------------------


UNUSABLE = {
    "empty": (b"", "空的"),
    "header-only": (TAIPEI_HEADER.encode(), "沒有任何資料列"),
    "big5": (
        (TAIPEI_HEADER + "313601,S183470175,李雅婷,教師,國語,在職\n").encode("big5"),
        "UTF-8",
    ),
    "truncated": (
        (TAIPEI_HEADER + "313601,S183470175,李雅婷,教師,國語,在職\n313601,U2681").encode(),
        "截斷",
    ),
    "open-quote": (
        (TAIPEI_HEADER + '313601,S183470175,"李雅婷,教師,國語,在職\n').encode(),
        "截斷",
    ),
    "wrong-header": (
        "學校代碼,身分證字號,姓名\n313601,S183470175,李雅婷\n".encode(),
        "缺少欄位 unit_code、national_id、name",
    ),
    "json-garbage": (b"this is not json\n", "JSON"),
}


@pytest.mark.parametrize("case", sorted(UNUSABLE))
def test_an_unusable_file_applies_nothing_and_says_why(app, taipei_world, tmp_path, case):
    content, why = UNUSABLE[case]
    name = "feed.jsonl" if case == "json-garbage" else "feed.csv"
    result = _invoke(app, "sync", "taipei", _write(tmp_path, name, content))
    assert result.exit_code == 4, result.output
    assert why in result.output
    run = _last_run()
    assert run.status == "refused"
    assert why in run.message
    assert _count(Teacher) == 0
    assert _count(Employment) == 0
    assert last_sync(RosterSource.TAIPEI) is None


def test_a_file_ending_too_many_employments_is_refused(app, taipei_world, tmp_path):
    assert _invoke(app, "sync", "taipei", str(DATA / "taipei_roster.csv")).exit_code == 0
    # A broken export with a single teacher would end two of the three employments.
    single = TAIPEI_HEADER + "313601,S183470175,李雅婷,教師,國語,在職\n"
    path = _write(tmp_path, "broken.csv", single)
    result = _invoke(app, "sync", "taipei", path)
    assert result.exit_code == 4, result.output
    assert "--max-end-share" in result.output
    run = _last_run()
    assert run.status == "refused"
    assert "2" in run.message
    assert all(len(_current(t)) == 1 for t in map(_teacher, (LI, WANG, WU)) if t)
    # The operator, having checked, allows it explicitly.
    forced = _invoke(app, "sync", "taipei", path, "--max-end-share", "1")
    assert forced.exit_code == 0, forced.output
    assert _last_run().rows_ended == 2


def test_the_guard_reads_its_share_from_the_settings(make_app, taipei_world, tmp_path):
    lenient = make_app(FEED_MAX_END_SHARE=0.9)
    with lenient.app_context():
        assert _invoke(lenient, "sync", "taipei", str(DATA / "taipei_roster.csv")).exit_code == 0
        single = TAIPEI_HEADER + "313601,S183470175,李雅婷,教師,國語,在職\n"
        result = _invoke(lenient, "sync", "taipei", _write(tmp_path, "one.csv", single))
        assert result.exit_code == 0, result.output
        db.session.remove()


# ---- two runs at once -----------------------------------------------------------------------


def test_a_second_run_at_the_same_time_refuses(app, taipei_world, tmp_path):
    path = str(DATA / "taipei_roster.csv")
    if db.engine.dialect.name == "postgresql":
        other = create_engine(db.engine.url)
        with other.connect() as conn:
            conn.execute(text("SELECT pg_advisory_lock(:key)"), {"key": _lock_key("taipei")})
            result = _invoke(app, "sync", "taipei", path)
            conn.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": _lock_key("taipei")})
        other.dispose()
    else:
        lock_dir = Path(app.config["FEED_LOCK_DIR"])
        lock_dir.mkdir(parents=True, exist_ok=True)
        with (lock_dir / "feed-taipei.lock").open("w") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            result = _invoke(app, "sync", "taipei", path)
    assert result.exit_code == 5, result.output
    assert "另一次同步正在進行" in result.output
    assert _last_run().status == "locked"
    assert _count(Teacher) == 0
    # The other feed has its own lock, and once released the run goes through.
    assert _invoke(app, "sync", "taipei", path).exit_code == 0
    assert _count(Teacher) == 3


# ---- what the pages read --------------------------------------------------------------------


def test_last_sync_names_the_last_applied_run(app, taipei_world, tmp_path, clock):
    assert last_sync(RosterSource.LOCAL) is None
    assert last_sync("taipei") is None
    clock.set(taipei(2026, 12, 1, 2, 0))
    assert _invoke(app, "sync", "taipei", str(DATA / "taipei_roster.csv")).exit_code == 0
    applied = _last_run()
    clock.set(taipei(2026, 12, 2, 2, 0))
    assert _invoke(app, "sync", "taipei", _write(tmp_path, "e.csv", b"")).exit_code == 4
    found = last_sync(RosterSource.TAIPEI)
    assert found is not None
    assert found.id == applied.id
    assert found.started_at == taipei(2026, 12, 1, 2, 0)
    assert last_sync(RosterSource.ECE) is None


@pytest.fixture
def operator(factory):
    account = factory.account(None, kind=AccountKind.OPERATOR)
    db.session.commit()
    return account


def _runs(feed: str, count: int, start) -> None:
    for n in range(count):
        db.session.add(
            SyncRun(
                feed=feed,
                status="applied",
                started_at=start + timedelta(days=n),
                rows_read=n,
                errors=[],
            )
        )
    db.session.commit()


def test_operator_sees_sync_runs_filtered_and_paginated(app, client, operator):
    _runs("taipei", 30, taipei(2026, 10, 1, 2, 0))
    _runs("ece", 3, taipei(2026, 11, 1, 2, 0))
    login_account(client, operator)
    page = client.get("/operator/sync-runs/").get_data(as_text=True)
    assert page.count("data-run=") == 25
    assert "共 2 頁（33 筆）" in page
    second = client.get("/operator/sync-runs/?page=2").get_data(as_text=True)
    assert second.count("data-run=") == 8
    ece = client.get("/operator/sync-runs/?feed=ece").get_data(as_text=True)
    assert ece.count("data-run=") == 3
    assert "全國教保資訊網" in ece
    dated = client.get("/operator/sync-runs/?since=2026-10-05&until=2026-10-06")
    assert dated.get_data(as_text=True).count("data-run=") == 2
    partial = client.get("/operator/sync-runs/?feed=ece", headers={"HX-Request": "true"})
    body = partial.get_data(as_text=True)
    assert "<html" not in body
    assert body.count("data-run=") == 3
    assert "HX-Request" in partial.headers["Vary"]


def test_a_bad_filter_is_explained_not_a_500(app, client, operator):
    login_account(client, operator)
    response = client.get("/operator/sync-runs/?since=2026-13-45&until=yesterday&page=x")
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert 'class="error"' in body
    backwards = client.get("/operator/sync-runs/?since=2026-12-02&until=2026-12-01")
    assert "結束日不可早於開始日" in backwards.get_data(as_text=True)


def test_a_run_page_lists_its_rejected_rows(app, client, operator, taipei_world, tmp_path):
    content = TAIPEI_HEADER + (
        "313601,S183470175,李雅婷,教師,國語,在職\n999999,U268145380,王建國,組長,數學,在職\n"
    )
    _invoke(app, "sync", "taipei", _write(tmp_path, "rows.csv", content))
    run = _last_run()
    login_account(client, operator)
    page = client.get(f"/operator/sync-runs/{run.id}").get_data(as_text=True)
    assert "rows.csv" in page
    assert "不認得的單位代碼 999999" in page
    assert client.get("/operator/sync-runs/99999").status_code == 404


def test_counties_are_untouched_by_a_taipei_feed(app, taipei_world):
    before = {c.code for c in db.session.scalars(select(County))}
    assert _invoke(app, "sync", "taipei", str(DATA / "taipei_roster.csv")).exit_code == 0
    assert {c.code for c in db.session.scalars(select(County))} == before


# ---- the no-change path ---------------------------------------------------------------------
# The source's serving teachers come with the one query of their employments; a row naming
# one of them needs neither the checksum nor a lookup of its own.


def test_a_run_that_changes_nothing_validates_and_looks_up_no_known_teacher(
    app, taipei_world, tmp_path, monkeypatch
):
    import app.identity as identity_module

    content = TAIPEI_HEADER + (
        "313601,S183470175,李雅婷,教師,國語,在職\n"
        "313601,U268145380,王建國,組長,數學,在職\n"
        "313602,J119161462,吳佩珊,教師,英語,在職\n"
    )
    path = _write(tmp_path, "three.csv", content)
    assert _invoke(app, "sync", "taipei", path).exit_code == 0
    checked: list[str] = []
    validate = identity_module.validate_national_id
    monkeypatch.setattr(
        identity_module, "validate_national_id", lambda raw: checked.append(raw) or validate(raw)
    )
    with _statements() as sql:
        again = _invoke(app, "sync", "taipei", path)
    assert again.exit_code == 0, again.output
    assert checked == []
    assert not [s for s in sql if "national_id_hash IN" in s]
    writes = [s for s in sql if s.split()[0] in ("INSERT", "UPDATE", "DELETE")]
    assert len(writes) == 1
    assert "sync_run" in writes[0]
    run = _last_run()
    assert (run.rows_created, run.rows_updated, run.rows_ended, run.rows_rejected) == (0, 0, 0, 0)


def test_known_teachers_typed_differently_are_still_recognised_and_bad_numbers_rejected(
    app, taipei_world, tmp_path
):
    assert _invoke(app, "sync", "taipei", str(DATA / "taipei_roster.csv")).exit_code == 0
    before = (_count(Teacher), _count(Employment))
    content = TAIPEI_HEADER + (
        "313601,s183470175,李雅婷,教師,國語,在職\n"  # lower case
        "313601,Ｕ２６８１４５３８０,王建國,組長,數學,在職\n"  # full width
        "313602,J119161462,吳佩珊,教師,英語,在職\n"
        "313602,J119161463,錯號碼,教師,英語,在職\n"  # one digit off a known number
        "313602,C103307661,周俊宏,教師,自然,異動待審\n"
    )
    result = _invoke(app, "sync", "taipei", _write(tmp_path, "typed.csv", content))
    assert result.exit_code == 3, result.output
    run = _last_run()
    assert (run.rows_created, run.rows_updated, run.rows_ended) == (0, 0, 0)
    assert [(item["row"], "檢查碼不符" in item["reason"]) for item in run.errors] == [(5, True)]
    assert (_count(Teacher), _count(Employment)) == before


def test_a_teacher_of_another_source_is_found_not_created_again(
    app, taipei_world, factory, tmp_path
):
    local = factory.teacher(taipei_world["local"], national_id="A123456789")
    db.session.commit()
    teachers = _count(Teacher)
    content = TAIPEI_HEADER + "313601,A123456789,本地老師,教師,國語,在職\n"
    result = _invoke(app, "sync", "taipei", _write(tmp_path, "in.csv", content))
    assert result.exit_code == 0, result.output
    run = _last_run()
    assert (run.rows_created, run.rows_updated) == (0, 1)
    assert _count(Teacher) == teachers
    db.session.expire_all()
    assert {e.school.code for e in _current(local)} == {taipei_world["local"].code, "313601"}
