"""`flask cycle import` and `flask cycle snapshot`: whole-file refusal, versioned
questionnaires frozen once answered, an idempotent snapshot that waits for the cutoff."""

from __future__ import annotations

import shutil
from datetime import timedelta

import yaml
from sqlalchemy import event, func, select

from app.config import ROOT
from app.cycles.services import take_snapshot
from app.extensions import db
from app.models import Cycle, Questionnaire, RosterSnapshot, SchoolPlan, Stage, Window
from app.roster import employ
from app.timeutil import taipei
from tests.plan_helpers import import_113


def _invoke(app, *args):
    return app.test_cli_runner().invoke(args=list(args))


def _copy_cycle(tmp_path):
    """A writable copy of the 113 files, laid out as in data/."""
    (tmp_path / "cycles").mkdir()
    shutil.copytree(ROOT / "data" / "questionnaires", tmp_path / "questionnaires")
    target = tmp_path / "cycles" / "113.yaml"
    shutil.copy(ROOT / "data" / "cycles" / "113.yaml", target)
    return target


def test_import_creates_the_113_cycle_and_is_idempotent(app):
    path = str(ROOT / "data" / "cycles" / "113.yaml")
    result = _invoke(app, "cycle", "import", path)
    assert result.exit_code == 0, result.output
    assert "已匯入 113學年度" in result.output
    again = _invoke(app, "cycle", "import", path)
    assert again.exit_code == 0
    assert "unchanged" in again.output
    assert db.session.scalar(select(func.count()).select_from(Window)) == 10
    assert db.session.scalar(select(func.count()).select_from(Questionnaire)) == 2


def test_malformed_file_is_refused_as_a_whole(app, tmp_path):
    target = _copy_cycle(tmp_path)
    data = yaml.safe_load(target.read_text(encoding="utf-8"))
    data["plans"]["school"]["windows"]["E"]["closes_at"] = "2024-08-01 17:00"
    data["plans"]["school"]["windows"]["K"] = {
        "opens_at": "2024-08-05 00:00",
        "closes_at": "2024-08-06 17:00",
    }
    target.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    result = _invoke(app, "cycle", "import", str(target))
    assert result.exit_code == 1
    assert "113.yaml: plans.school.windows.E" in result.output
    assert "plans.school.windows.K" in result.output
    assert db.session.scalar(select(func.count()).select_from(Cycle)) == 0


def test_answered_questionnaire_needs_a_new_version(app, factory, tmp_path):
    target = _copy_cycle(tmp_path)
    assert _invoke(app, "cycle", "import", str(target)).exit_code == 0
    cycle = db.session.scalar(select(Cycle))
    questionnaire = db.session.scalar(
        select(Questionnaire).where(Questionnaire.plan_kind == "school")
    )
    school = factory.school(Stage.ELEMENTARY)
    db.session.add(
        SchoolPlan(
            cycle_id=cycle.id, school_id=school.id, questionnaire_id=questionnaire.id, answers={}
        )
    )
    db.session.commit()
    school_file = tmp_path / "questionnaires" / "school-113.yaml"
    text = school_file.read_text(encoding="utf-8").replace("聯絡人姓名", "聯絡人全名", 1)
    school_file.write_text(text, encoding="utf-8")
    refused = _invoke(app, "cycle", "import", str(target))
    assert refused.exit_code == 1
    assert "已有填答" in refused.output
    data = yaml.safe_load(school_file.read_text(encoding="utf-8"))
    data["version"] += 1
    school_file.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    accepted = _invoke(app, "cycle", "import", str(target))
    assert accepted.exit_code == 0, accepted.output
    versions = db.session.scalars(
        select(Questionnaire.version)
        .where(Questionnaire.plan_kind == "school")
        .order_by(Questionnaire.version)
    ).all()
    assert versions == [data["version"] - 1, data["version"]]


def test_snapshot_waits_for_the_cutoff_and_is_idempotent(app, factory, clock):
    assert (
        _invoke(app, "cycle", "import", str(ROOT / "data" / "cycles" / "113.yaml")).exit_code == 0
    )
    school = factory.school(Stage.JUNIOR)
    factory.teacher(school)
    factory.teacher(school, since=taipei(2024, 8, 2, 17, 0))  # starts at the cutoff: in
    factory.teacher(school, since=taipei(2024, 8, 3, 9, 0))  # after the cutoff: out
    db.session.commit()
    clock.set(taipei(2024, 8, 2, 16, 59, 59))
    early = _invoke(app, "cycle", "snapshot", "113")
    assert early.exit_code == 1
    assert "尚未到名單基準日" in early.output
    clock.set(taipei(2024, 8, 2, 17, 0))
    first = _invoke(app, "cycle", "snapshot", "113")
    assert first.exit_code == 0
    assert "2 人" in first.output
    second = _invoke(app, "cycle", "snapshot", "113")
    assert "未重複擷取" in second.output
    assert db.session.scalar(select(func.count()).select_from(RosterSnapshot)) == 2


def test_snapshot_is_one_insert_select_with_the_latest_service_per_teacher(app, factory):
    cycle = import_113()
    cutoff = cycle.roster_cutoff
    first, second = factory.school(Stage.JUNIOR), factory.school(Stage.ELEMENTARY)
    stays = factory.teacher(first)
    moved = factory.teacher(first, since=taipei(2019, 8, 1))
    employ(moved, second, since=taipei(2023, 2, 1), title="組長", subjects="自然")
    left = factory.teacher(first)  # left before the cutoff: out
    left.employments[0].valid_to = taipei(2024, 7, 31)
    factory.teacher(second, since=cutoff + timedelta(seconds=1))  # after the cutoff: out
    db.session.commit()

    inserts: list[str] = []

    def count(_conn, _cursor, statement, *_args):
        if statement.lstrip().upper().startswith("INSERT INTO ROSTER_SNAPSHOT"):
            inserts.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        result = take_snapshot(cycle, moment=cutoff)
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    db.session.commit()
    assert len(inserts) == 1
    assert "SELECT" in inserts[0].upper()
    assert (result.taken, result.already) == (2, False)

    def rows():
        return set(
            db.session.execute(
                select(
                    RosterSnapshot.teacher_id,
                    RosterSnapshot.school_id,
                    RosterSnapshot.title,
                    RosterSnapshot.subjects,
                ).where(RosterSnapshot.cycle_id == cycle.id)
            ).all()
        )

    expected = {(stays.id, first.id, "教師", "數學"), (moved.id, second.id, "組長", "自然")}
    assert rows() == expected

    again = take_snapshot(cycle, moment=cutoff + timedelta(days=1))
    assert (again.taken, again.already) == (2, True)
    forced = take_snapshot(cycle, force=True, moment=cutoff + timedelta(days=2))
    db.session.commit()
    assert (forced.taken, forced.already) == (2, False)
    assert rows() == expected
