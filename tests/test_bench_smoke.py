"""Smoke tests of the benchmark tooling (bench/): correctness only, never a timing."""

from __future__ import annotations

import base64
import json

import pytest
from sqlalchemy import event, func, select

from app.auth.services import find_teacher
from app.cycles.windows import current_cycle
from app.demo.seed import DEMO_PASSWORD
from app.extensions import db
from app.identity import validate_national_id
from app.models import (
    AccountGrant,
    BusinessAccount,
    Employment,
    PlanStatus,
    PlanVersion,
    Questionnaire,
    RosterSnapshot,
    School,
    SchoolPlan,
    Stage,
    Teacher,
    TeacherPlan,
)
from app.questionnaires import engine
from app.security import vault, verify_password
from bench import bare
from bench.generate import CODE_PREFIX, generate


def _generated_teachers() -> list[Teacher]:
    generated = select(Employment.teacher_id).join(School).where(School.code.like("8%"))
    return list(db.session.scalars(select(Teacher).where(Teacher.id.in_(generated))))


def test_generator_builds_consistent_rows_at_tiny_scale(app):
    report = generate(schools=3, teachers_per_school=4, logins=50)
    db.session.commit()

    schools = list(db.session.scalars(select(School).where(School.code.like(f"{CODE_PREFIX}%"))))
    assert len(schools) == 3 == report.created["schools"]
    assert all(len(s.code) == 6 for s in schools)
    assert {s.stage for s in schools} >= {Stage.ELEMENTARY}  # the open stage of the demo

    teachers = _generated_teachers()
    assert len(teachers) == 12 == report.created["teachers"]
    the_vault = vault()
    for teacher in teachers:
        national_id = the_vault.decrypt(teacher.national_id_cipher)
        assert validate_national_id(national_id) == national_id
        assert the_vault.lookup_hash(national_id) == teacher.national_id_hash
        assert the_vault.masked(national_id) == teacher.national_id_masked
    assert len({t.national_id_hash for t in teachers}) == 12
    assert len({t.password_hash for t in teachers}) == 1  # one argon2 hash, shared

    # Each teacher serves one school now; the demo cycle's snapshot holds exactly that one.
    cycle = current_cycle()
    assert cycle is not None
    assert report.cycle_year == cycle.academic_year
    for teacher in teachers:
        current = [e for e in teacher.employments if e.valid_to is None]
        assert len(current) == 1
        snapshot = db.session.scalar(
            select(RosterSnapshot).where(
                RosterSnapshot.cycle_id == cycle.id, RosterSnapshot.teacher_id == teacher.id
            )
        )
        assert snapshot is not None
        assert snapshot.school_id == current[0].school_id
    employed = db.session.scalar(
        select(func.count(func.distinct(Employment.teacher_id))).where(
            Employment.valid_to.is_(None)
        )
    )
    in_snapshot = db.session.scalar(select(func.count()).where(RosterSnapshot.cycle_id == cycle.id))
    assert in_snapshot == employed == report.created["snapshot rows"]

    # Two business accounts a school (one for a kindergarten), each with its grants.
    accounts = list(
        db.session.scalars(
            select(BusinessAccount).where(BusinessAccount.school_id.in_([s.id for s in schools]))
        )
    )
    expected = sum(1 if s.stage == Stage.KINDERGARTEN else 2 for s in schools)
    assert len(accounts) == expected == report.created["business accounts"]
    for account in accounts:
        assert db.session.scalar(select(func.count()).where(AccountGrant.account_id == account.id))

    # Plans fit their questionnaire; every submitted plan has its kept version.
    plans = [
        *db.session.scalars(select(TeacherPlan).where(TeacherPlan.cycle_id == cycle.id)),
        *db.session.scalars(select(SchoolPlan).where(SchoolPlan.cycle_id == cycle.id)),
    ]
    for plan in plans:
        definition = db.session.get(Questionnaire, plan.questionnaire_id).definition
        final = plan.status == PlanStatus.SUBMITTED
        assert engine.validate(definition, plan.answers, final=final) == {}
        if final:
            kept = db.session.scalar(
                select(func.count()).where(
                    PlanVersion.plan_id == plan.id, PlanVersion.version == plan.version
                )
            )
            assert kept == 1

    # The benchmark's logins: real teachers, the demo password, a plan still writable.
    assert report.logins
    for national_id, teacher_id in report.logins:
        teacher = find_teacher(national_id)
        assert teacher is not None
        assert teacher.id == teacher_id
        assert verify_password(teacher.password_hash, DEMO_PASSWORD)
        plan = db.session.scalar(
            select(TeacherPlan).where(
                TeacherPlan.cycle_id == cycle.id, TeacherPlan.teacher_id == teacher_id
            )
        )
        assert plan is None or plan.status == PlanStatus.DRAFT


def test_generator_refuses_to_run_twice_on_one_database(app):
    generate(schools=1, teachers_per_school=1)
    db.session.commit()
    with pytest.raises(RuntimeError, match="fresh"):
        generate(schools=1, teachers_per_school=1)
    db.session.rollback()


def test_bare_endpoint_answers_with_one_counted_statement(make_app, factory):
    # A fresh app (a blueprint cannot join one that served requests) rebinds the shared
    # engine: close the old one's pooled connections first.
    db.session.remove()
    db.engine.dispose()
    app = make_app()
    app.register_blueprint(bare.bp)
    listener = bare.install_sql_counter(app)
    try:
        school = factory.school(Stage.JUNIOR, name="基準測試國民中學")
        db.session.commit()
        client = app.test_client()

        response = client.get(f"/_bench/bare?id={school.id}", headers={bare.EXPLAIN_HEADER: "1"})
        assert response.status_code == 200
        text = response.get_data(as_text=True)
        assert "基準測試國民中學" in text
        assert school.code in text
        assert "國中" in text
        assert response.headers[bare.SQL_HEADER] == "1"
        statements = json.loads(base64.b64decode(response.headers[bare.SQL_TEXT_HEADER]))
        assert len(statements) == 1
        assert statements[0].startswith("SELECT")

        assert client.get(f"/_bench/bare?id={school.id + 999}").status_code == 404
        assert client.get("/_bench/bare?id=x").status_code == 404
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)


def test_generator_gives_one_local_school_the_roster_benchmarks_size(app):
    report = generate(schools=3, teachers_per_school=2, logins=5, roster_teachers=7)
    db.session.commit()

    assert report.roster_school is not None
    school = db.session.get(School, report.roster_school["id"])
    assert school is not None
    assert school.stage != Stage.KINDERGARTEN
    assert school.roster_source.value == "local"
    current = db.session.scalar(
        select(func.count()).where(Employment.school_id == school.id, Employment.valid_to.is_(None))
    )
    assert current == 7 == report.roster_school["teachers"]
    assert report.created["teachers"] == 2 * 2 + 7
    chief = db.session.scalar(
        select(BusinessAccount).where(BusinessAccount.username == report.roster_school["username"])
    )
    assert chief is not None
    assert chief.school_id == school.id


def test_national_id_lookup_figures_are_produced(app):
    from bench.admin import time_lookups

    generate(schools=2, teachers_per_school=3, logins=5)
    db.session.commit()
    figures = time_lookups(samples=5)
    assert figures["lookups"] == 10
    for key in ("national_id_ms", "existing_ms", "unknown_ms", "primary_key_ms"):
        assert figures[key] > 0
    assert figures["ratio_to_primary_key"] > 0


def test_taipei_feed_file_applies_and_a_second_run_changes_nothing(app, tmp_path, database_url):
    from app.feeds.formats import FEEDS
    from app.feeds.services import apply_feed
    from app.models import RosterSource
    from bench.feeds import apply_seconds, write_taipei_feed

    generate(schools=3, teachers_per_school=2, logins=5)
    school = db.session.scalar(
        select(School).where(
            School.code.like(f"{CODE_PREFIX}%"), School.stage != Stage.KINDERGARTEN
        )
    )
    school.roster_source = RosterSource.TAIPEI
    db.session.commit()

    path = tmp_path / "taipei.csv"
    content = write_taipei_feed(path, 10)
    assert content["rows"] >= 10
    assert content["rows"] == content["existing"] + content["new"]
    assert content["existing"] >= 2
    assert path.read_text(encoding="utf-8").splitlines()[0] == (
        "unit_code,national_id,name,title,subjects,status"
    )
    first = apply_feed(FEEDS["taipei"], path)
    db.session.commit()
    assert first.exit_code == 0, first.run.message
    assert first.run.rows_read == content["rows"]
    assert first.run.rows_created == content["new"]
    assert first.run.rows_ended == 0
    second = apply_feed(FEEDS["taipei"], path)
    db.session.commit()
    assert second.exit_code == 0
    assert (second.run.rows_created, second.run.rows_updated, second.run.rows_ended) == (0, 0, 0)
    # The bench's in-command apply time: the newest run's own record, read over its own engine.
    expected = (second.run.finished_at - second.run.started_at).total_seconds()
    assert apply_seconds({"DATABASE_URL": database_url}) == round(expected, 3)


def test_roster_search_is_the_commonest_surname_of_the_roster_school(app):
    from collections import Counter

    from bench.roster import choose_search

    report = generate(schools=3, teachers_per_school=2, logins=5, roster_teachers=12)
    db.session.commit()
    school = report.roster_school
    choice = choose_search(school["id"])

    names = list(
        db.session.scalars(
            select(Teacher.name)
            .join(Employment, Employment.teacher_id == Teacher.id)
            .where(Employment.school_id == school["id"], Employment.valid_to.is_(None))
        )
    )
    assert choice.teachers == 12 == len(names)
    assert Counter(name[0] for name in names)[choice.text] == max(
        Counter(name[0] for name in names).values()
    )
    assert choice.matches == sum(choice.text in name for name in names) >= 1


def test_roster_chief_signs_in_and_the_page_and_its_htmx_search_answer(make_app, app):
    """bench.roster's HTTP steps against a real (threaded) server on this test's app: the
    business-account form with CSRF, the whole page, the partial alone, statements counted."""
    import threading

    from werkzeug.serving import make_server

    from bench.harness import USER_AGENT
    from bench.roster import RosterLoad, check_and_probe, choose_search, sign_in_chief

    db.session.remove()
    db.engine.dispose()
    served = make_app(WTF_CSRF_ENABLED=True)
    served.register_blueprint(bare.bp)
    listener = bare.install_sql_counter(served)
    server = make_server("127.0.0.1", 0, served, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    try:
        report = generate(schools=2, teachers_per_school=2, logins=3, roster_teachers=9)
        db.session.commit()
        load = RosterLoad(report.roster_school, choose_search(report.roster_school["id"]))
        db.session.remove()
        thread.start()
        port = server.server_port

        load.cookie = sign_in_chief(port, report.roster_school["username"], DEMO_PASSWORD)
        assert load.cookie.startswith("session=")
        check_and_probe(port, load, USER_AGENT, n=2)  # raises unless both answer as expected
        assert set(load.probes) == {"roster", "roster_search"}
        for entry in load.probes.values():
            assert entry["statuses"] == [200, 200]
            assert entry["typical"] >= 1
        requests = load.requests(USER_AGENT)
        assert requests["roster_search"]["headers"]["HX-Request"] == "true"
        assert "HX-Request" not in requests["roster"]["headers"]
        assert "q=" in requests["roster_search"]["path"]

        with pytest.raises(Exception, match="refused"):
            sign_in_chief(port, report.roster_school["username"], "not-the-password")
    finally:
        server.shutdown()
        server.server_close()
        event.remove(db.engine, "before_cursor_execute", listener)


def test_a_generated_teacher_signs_in_and_the_plan_page_gives_its_token_and_version(make_app, app):
    """bench.harness's sign-in against a real (threaded) server: the login form with CSRF,
    then the plan page's htmx token (<meta name="csrf-token">) and the plan's version."""
    import threading

    from werkzeug.serving import make_server

    from bench.harness import sign_in

    db.session.remove()
    db.engine.dispose()
    served = make_app(WTF_CSRF_ENABLED=True)
    server = make_server("127.0.0.1", 0, served, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    try:
        report = generate(schools=2, teachers_per_school=2, logins=2, roster_teachers=2)
        db.session.commit()
        db.session.remove()
        thread.start()
        national_id, teacher_id = report.logins[0]
        session = sign_in(server.server_port, national_id, teacher_id, DEMO_PASSWORD)
        assert session.cookie.startswith("session=")
        assert len(session.csrf) > 20
        assert session.version >= 0
    finally:
        server.shutdown()
        server.server_close()


def test_roster_rows_reach_the_wrk_data_the_table_and_the_results(tmp_path):
    from bench import harness

    get = {"path": "/school/roster?q=%E8%95%AD", "headers": {"Cookie": "session=abc"}}
    data = tmp_path / "data.lua"
    harness.write_wrk_data(data, [], 1, get)
    assert (
        'get = {path = "/school/roster?q=%E8%95%AD", headers = {["Cookie"] = "session=abc"}}'
        in (data.read_text())
    )

    def figures(kind: str, rps: float) -> harness.Figures:
        return harness.Figures(kind, int(rps * 2), 2.0, rps, 5.0, 9.0, 12.0, 0, 0, {}, 3.0, 3)

    results = {
        kind: harness.Summary(kind, [figures(kind, rps)])
        for kind, rps in (
            ("bare", 400.0),
            ("page", 200.0),
            ("autosave", 240.0),
            ("roster", 100.0),
            ("roster_search", 120.0),
        )
    }
    text = harness.table(results, {})
    lines = {line.split("  ")[0]: line for line in text.splitlines()}
    assert "0.25" in lines["GET /school/roster"]  # 100 / 400
    assert "0.30" in lines["GET /school/roster?q= (htmx)"]  # 120 / 400


def test_plan_only_measures_just_the_plan_endpoints():
    from bench.harness import parse_args

    settings = parse_args(["--plan-only"])
    assert settings.plan_only
    assert not settings.pdf
    assert settings.feed_rows == 0
    assert not parse_args([]).plan_only
