"""PDF planning reports: contents, cache, background rendering, hostile text, access rules."""

from __future__ import annotations

import io
import os
import re
import socket

import pypdf
import pytest
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from app import stats
from app.extensions import db
from app.models import GeneratedDocument, Job, PlanKind, PlanStatus, PlanVersion
from app.pdf import render as pdf_render
from app.plans import receipts
from app.reports import cache, documents, exports, jobs
from app.reports.charts import bar_chart
from app.timeutil import taipei
from tests.conftest import login_account, login_teacher
from tests.test_reports_support import (  # noqa: F401 - fixtures
    TEACHER_ANSWERS,
    assert_fonts_embedded_subsets,
    assert_no_embedded_files,
    assert_nothing_past_right_margin,
    assert_pages_numbered,
    assert_pdf_download,
    body_text,
    build_world,
    cache_rows,
    download,
    layout_lines,
    pdf_text,
    renders_fixture,
    repo_path,
    reports_fixture,
    restore_signals_fixture,
    squash,
)

# ---- what each document shows ---------------------------------------------------------


def test_teacher_plan_pdf_shows_the_submitted_plan(reports, client, factory, clock, renders):
    world = build_world(factory, clock)
    login_teacher(client, world.teachers["submitted"])

    response, data = download(client, "/teacher/plan.pdf")

    assert_pdf_download(response, "teacher-plan-113.pdf")
    text = pdf_text(data)
    flat = squash(text)
    assert "113學年度｜高雄市立示範國民小學" in text  # running header: cycle and unit
    assert "王小明" in text
    assert "已送出（113年9月18日14:03送出，第1次送出）" in flat
    # The receipt of that submission, the same reference the teacher saw on screen.
    plan = world.plans["submitted"]
    reference = receipts.reference(PlanKind.TEACHER, 113, plan.id, 1)
    assert f"送出收據收據編號{reference}送出時間113年9月18日14:03送出次數第1次送出" in flat
    assert "列印日期：113年9月20日" in flat
    for answer in (
        "差異化教學",  # the topic column wraps (the category beside it stays on one line)
        "正向班級經營工作坊",
        "專業學習社群",
        "12小時",
        "週間白天、寒暑假",
    ):
        assert answer in flat, answer
    assert "1.標準4善用教學策略進行有效教學" in flat  # the ranking, in order
    assert "希望精進差異化教學，\n照顧學習落後的學生。" in text  # line breaks kept
    assert "草稿" not in text
    assert_pages_numbered(data)
    reader = pypdf.PdfReader(io.BytesIO(data))
    assert reader.metadata.title == "113學年度 教師自我專業進修規劃"
    assert reader.trailer["/Root"]["/Lang"] == "zh-TW"
    # No personal data beyond the teacher's own name: never the national ID.
    assert world.teachers["submitted"].plain_national_id not in text
    assert world.teachers["submitted"].national_id_masked not in text


def test_draft_teacher_plan_is_watermarked(reports, client, factory, clock):
    world = build_world(factory, clock)
    login_teacher(client, world.teachers["draft"])

    response, data = download(client, "/teacher/plan.pdf")

    assert_pdf_download(response, "teacher-plan-113.pdf")
    text = pdf_text(data)
    assert "陳美玲" in text
    assert "草稿，尚未送出" in squash(text)
    assert "收據編號" not in text  # a draft is no submission: no receipt
    assert "閱讀理解教學" in text
    pages = len(pypdf.PdfReader(io.BytesIO(data)).pages)
    # The watermark is drawn on every page, and the header says so too.
    assert text.count("草稿") >= 2 * pages


def test_school_plan_pdf_summarises_its_teachers(reports, client, factory, clock):
    world = build_world(factory, clock)
    login_account(client, world.accounts["planner"])

    response, data = download(client, "/school/plan.pdf")

    assert_pdf_download(response, f"school-plan-113-{world.school.code}.pdf")
    text = pdf_text(data)
    flat = squash(text)
    lines = layout_lines(data)
    assert "高雄市立示範國民小學" in text
    assert "黃承辦" in text
    assert "素養導向" in flat  # a wrapped table cell
    assert "工作坊" in flat
    assert "已送出（113年8月20日16:30送出，第1次送出）" in flat
    reference = receipts.reference(PlanKind.SCHOOL, 113, world.school_plan.id, 1)
    assert f"收據編號{reference}" in flat
    # Completion: 1 of 3 teachers of the snapshot submitted, 1 draft, 1 not started.
    assert "名單教師（人）已送出草稿未填寫完成率" in lines
    assert "311133.3%" in lines
    for row in ("1林志豪教師未填寫", "2王小明教師已送出", "3陳美玲教師草稿"):
        assert row in lines
    assert "張大同" not in text  # another school's teacher
    assert "承辦人單位主管校長" in lines  # the signature block after the plan
    assert flat.count("日期：年月日") == 3  # a date line under each signature
    # Needs by rank, modes and hours of the submitted plan only (the draft is not counted).
    assert "標準4善用教學策略進行有效教學1001" in lines
    assert "標準2具備領域/學科知識及相關教學知能0000" in lines
    assert "專業學習社群112" in lines
    assert "預定進修時數合計18小時" in lines
    # The SVG charts' CJK labels and values are real text in the PDF.
    assert lines.count("標準4善用教學策略進行有效教學") == 2  # needs chart, hours chart
    assert "1人" in lines
    assert "12小時" in lines
    assert_pages_numbered(data)
    assert_fonts_embedded_subsets(data)


def test_county_summary_lists_completion_per_school_and_stage(reports, client, factory, clock):
    world = build_world(factory, clock)
    login_account(client, world.accounts["county"])

    response, data = download(client, "/oversight/county.pdf")

    assert_pdf_download(response, "county-report-113-64000.pdf")
    lines = layout_lines(data)
    assert "113學年度高雄市進修規劃填報摘要" in lines
    assert f"{world.school.code}高雄市立示範國民小學已送出31133.3%" in lines
    assert f"{world.other_school.code}高雄市立五福國民中學未填寫110100.0%" in lines
    # Per stage: schools, school plans submitted／due, roster, submitted, drafts, rate.
    assert "國小11／131133.3%" in lines
    assert "國中10／1110100.0%" in lines
    # Needs of both schools' submitted plans.
    assert "標準1具備教育專業知識並掌握重要教育議題1001" in lines
    assert "標準4善用教學策略進行有效教學1001" in lines
    assert_pages_numbered(data)


def test_national_summary_is_by_county(reports, client, factory, clock):
    world = build_world(factory, clock)
    login_account(client, world.accounts["national"])

    response, data = download(client, "/oversight/national.pdf")

    assert_pdf_download(response, "national-report-113.pdf")
    lines = layout_lines(data)
    assert "113學年度全國進修規劃填報摘要" in lines
    assert "高雄市21／242150.0%" in lines
    assert_pages_numbered(data)
    other = reports.test_client()
    login_account(other, world.accounts["operator"])
    response, _ = download(other, "/oversight/national.pdf")
    assert response.status_code == 200


def test_operator_names_the_county(reports, client, factory, clock):
    world = build_world(factory, clock)
    login_account(client, world.accounts["operator"])
    response, data = download(client, "/oversight/county.pdf?county=64000")
    assert_pdf_download(response, "county-report-113-64000.pdf")
    assert "高雄市立五福國民中學" in squash(pdf_text(data))


@pytest.mark.parametrize("kind", ["teacher", "school", "county", "national"])
def test_documents_embed_subset_fonts_and_metadata(reports, factory, clock, kind):
    world = build_world(factory, clock)
    document = {
        "teacher": lambda: documents.teacher_plan_document(world.plans["submitted"]),
        "school": lambda: documents.school_plan_document(world.school_plan),
        "county": lambda: documents.county_document(
            world.cycle, documents.county_authority("64000")
        ),
        "national": lambda: documents.national_document(world.cycle),
    }[kind]()
    data = cache.render(document)
    assert_fonts_embedded_subsets(data)
    assert_pages_numbered(data)
    meta = pypdf.PdfReader(io.BytesIO(data)).metadata
    assert meta.title == document.title
    assert meta.author == "全國教師在職進修資訊網"
    assert meta["/CreationDate"].startswith("D:20240920100000+08'00")
    assert len(data) < 500 * 1024


# ---- never render the same thing twice ------------------------------------------------


def test_second_download_is_a_file_read(reports, client, factory, clock, renders):
    world = build_world(factory, clock)
    login_teacher(client, world.teachers["submitted"])

    _, first = download(client, "/teacher/plan.pdf")
    _, second = download(client, "/teacher/plan.pdf")

    assert renders == [f"teacher-plan:{world.plans['submitted'].id}"]
    assert first == second
    (row,) = cache_rows()
    assert row.cache_key.startswith(f"teacher-plan:{world.plans['submitted'].id}:")
    assert row.size == len(first)
    assert row.pages == len(pypdf.PdfReader(io.BytesIO(first)).pages)
    assert (cache.cache_dir() / row.path).read_bytes() == first


def test_a_new_version_renders_again_and_drops_the_old_file(
    reports, client, factory, clock, renders
):
    world = build_world(factory, clock)
    login_teacher(client, world.teachers["submitted"])
    download(client, "/teacher/plan.pdf")
    ((old_key, old_path),) = [(row.cache_key, row.path) for row in cache_rows()]

    plan = world.plans["submitted"]
    plan.answers = {**TEACHER_ANSWERS, "remarks": "改為寒假參加研習。"}
    plan.version += 1
    db.session.commit()
    _, second = download(client, "/teacher/plan.pdf")

    assert len(renders) == 2
    assert "改為寒假參加研習。" in pdf_text(second)
    (new,) = cache_rows()
    assert new.cache_key != old_key
    assert not (cache.cache_dir() / old_path).exists()


def test_school_report_depends_on_its_teachers_plans(reports, client, factory, clock, renders):
    world = build_world(factory, clock)
    login_account(client, world.accounts["planner"])
    download(client, "/school/plan.pdf")
    download(client, "/school/plan.pdf")
    assert len(renders) == 1

    draft = world.plans["draft"]
    draft.status, draft.version = PlanStatus.SUBMITTED, draft.version + 1
    draft.submitted_at = draft.updated_at = taipei(2024, 9, 20, 9, 0)
    db.session.commit()
    _, data = download(client, "/school/plan.pdf")

    assert len(renders) == 2
    assert "320166.7%" in layout_lines(data)


def test_a_new_template_revision_is_a_new_key(reports, factory, clock, monkeypatch):
    world = build_world(factory, clock)
    before = documents.teacher_plan_document(world.plans["submitted"]).key
    monkeypatch.setattr(documents, "revision", lambda: "another-layout")
    assert documents.teacher_plan_document(world.plans["submitted"]).key != before


def test_a_lost_file_is_rendered_again(reports, client, factory, clock, renders):
    world = build_world(factory, clock)
    login_teacher(client, world.teachers["submitted"])
    download(client, "/teacher/plan.pdf")
    (row,) = cache_rows()
    (cache.cache_dir() / row.path).unlink()

    response, _ = download(client, "/teacher/plan.pdf")

    assert response.status_code == 200
    assert len(renders) == 2
    assert len(cache_rows()) == 1


@pytest.mark.parametrize("kind", ["county", "national"])
def test_a_cached_summary_download_does_not_count_again(
    reports, client, factory, clock, renders, monkeypatch, kind
):
    world = build_world(factory, clock)
    login_account(client, world.accounts[kind])
    url = f"/oversight/{kind}.pdf"
    download(client, url)
    assert len(renders) == 1

    def refuse(*args, **kwargs):
        raise AssertionError("a cached download must not compute the figures")

    for name in ("teacher_tally", "completion", "completion_by", "school_rows", "roster_progress"):
        monkeypatch.setattr(stats, name, refuse)
    statements: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        response, _ = download(client, url)
    finally:
        event.remove(db.engine, "before_cursor_execute", record)

    assert response.status_code == 200
    assert len(renders) == 1
    # Sign-in (account, its authority), the cycle, then the key: a few narrow statements,
    # none reading the roster snapshot or a JSON function, and of the teacher plans only
    # what their (cycle_id, school_id, status) index holds: never a row of 200,000 plans.
    assert len(statements) <= 9, statements
    read = {column for s in statements for column in re.findall(r"teacher_plan\.(\w+)", s)}
    assert read <= {"cycle_id", "school_id", "status"}, statements
    for statement in statements:
        assert "roster_snapshot" not in statement, statement
        assert "json" not in statement.lower(), statement


def test_a_summary_key_ignores_draft_autosaves_but_not_submits(reports, factory, clock):
    world = build_world(factory, clock)
    before = documents.national_document(world.cycle).key

    draft = world.plans["draft"]
    draft.answers, draft.version = {**draft.answers, "remarks": "再想想"}, draft.version + 1
    db.session.commit()
    assert documents.national_document(world.cycle).key == before  # no summary shows drafts

    draft.status, draft.version = PlanStatus.SUBMITTED, draft.version + 1
    draft.submitted_at = draft.updated_at = taipei(2024, 9, 20, 9, 0)
    db.session.commit()
    submitted = documents.national_document(world.cycle).key
    assert submitted != before

    plan = world.plans["other"]  # a reopen of one plan and a submit of another
    plan.status, plan.version = PlanStatus.DRAFT, plan.version + 1
    plan.updated_at = taipei(2024, 9, 20, 9, 30)
    db.session.commit()
    reopened = documents.national_document(world.cycle).key
    assert reopened != submitted

    plan.status, plan.version = PlanStatus.SUBMITTED, plan.version + 1  # and resubmitted
    plan.answers = {**plan.answers, "needs": ["std09"]}
    db.session.add(
        PlanVersion(
            plan_kind=PlanKind.TEACHER,
            plan_id=plan.id,
            version=plan.version,
            answers=plan.answers,
            submitted_at=taipei(2024, 9, 20, 9, 40),
            submitted_by="teacher:1",
        )
    )
    db.session.commit()
    assert documents.national_document(world.cycle).key not in (submitted, reopened)


PDF_GETS = [
    ("teacher:submitted", "/teacher/plan.pdf", "teacher-plan:"),
    ("planner", "/school/plan.pdf", "school-plan:"),
    ("county", "/oversight/county.pdf", "county:113:64000:"),
    ("national", "/oversight/national.pdf", "national:113:"),
    (None, "/manuals/school.pdf", "manual:school:113:"),
    (None, "/manuals/teacher.pdf", "manual:teacher:113:"),
]


@pytest.mark.parametrize(("who", "url", "ref"), PDF_GETS)
def test_a_pdf_get_writes_nothing_through_the_request_session(
    reports, client, factory, clock, renders, who, url, ref
):
    world = build_world(factory, clock)
    _sign_in(client, world, who)
    test_session = db.session()
    writes: list[tuple[str, object]] = []

    def flushing(session, flush_context, instances):
        if session is not test_session and (session.new or session.dirty or session.deleted):
            writes.append(("flush", [*session.new, *session.dirty, *session.deleted]))

    def executing(state):
        if state.session is not test_session and (
            state.is_insert or state.is_update or state.is_delete
        ):
            writes.append(("execute", state.statement))

    def committing(session):
        if session is not test_session:
            writes.append(("commit", session))

    hooks = [
        ("before_flush", flushing),
        ("do_orm_execute", executing),
        ("after_commit", committing),
    ]
    for name, hook in hooks:
        event.listen(Session, name, hook)
    try:
        response, _ = download(client, url)
    finally:
        for name, hook in hooks:
            event.remove(Session, name, hook)

    assert response.status_code == 200
    assert len(renders) == 1  # a miss: the PDF was rendered and stored in this request
    assert writes == []
    # The cache's bookkeeping happened all the same, in its own transaction.
    (row,) = cache_rows()
    assert row.cache_key.startswith(ref)


# ---- rendering after submit, in the worker ---------------------------------------------


def test_submit_prerenders_the_pdf_so_the_download_is_a_read(
    reports, client, factory, clock, renders
):
    world = build_world(factory, clock)
    plan = world.plans["submitted"]

    jobs.schedule_plan_pdf("teacher", plan.id)  # what the plan views call after a submit

    assert renders == [f"teacher-plan:{plan.id}"]
    login_teacher(client, world.teachers["submitted"])
    response, _ = download(client, "/teacher/plan.pdf")
    assert response.status_code == 200
    assert len(renders) == 1


def test_prerender_of_a_missing_plan_does_nothing(reports, factory, clock, renders):
    build_world(factory, clock)
    jobs.schedule_plan_pdf("teacher", 987654)
    jobs.schedule_plan_pdf("school", 987654)
    assert renders == []


def test_prerender_failure_never_fails_the_submit(reports, factory, clock, monkeypatch):
    world = build_world(factory, clock)

    def broken(document):
        raise RuntimeError("renderer down")

    monkeypatch.setattr(cache, "render", broken)
    jobs.schedule_plan_pdf("school", world.school_plan.id)  # logged (or failed in RQ), not raised
    assert cache_rows() == []


needs_redis = pytest.mark.skipif(
    not os.environ.get("REDIS_URL"), reason="needs REDIS_URL (CI's second run)"
)


@needs_redis
def test_rq_worker_renders_submitted_plans_in_the_background(
    reports, client, factory, clock, renders, monkeypatch, restore_signals
):
    from rq import Queue

    monkeypatch.setitem(reports.config, "JOBS_INLINE", False)
    world = build_world(factory, clock)
    plan = world.plans["submitted"]

    jobs.schedule_plan_pdf("teacher", plan.id)

    queue = jobs.pdf_queue()
    assert isinstance(queue, Queue)
    assert queue.is_async
    assert queue.name == reports.config["JOBS_QUEUE"]
    assert queue.count == 1
    assert renders == []  # nothing rendered in the web process
    worker = jobs.AppWorker([queue], connection=queue.connection, app=reports)
    assert worker.work(burst=True, with_scheduler=False)
    assert renders == [f"teacher-plan:{plan.id}"]
    assert db.session.scalar(select(GeneratedDocument.cache_key)).startswith(
        f"teacher-plan:{plan.id}:"
    )


@needs_redis
def test_web_request_waits_for_a_worker_process(
    reports, client, factory, clock, renders, monkeypatch, database_url, tmp_path
):
    """A miss with Redis: the web process enqueues, a separate worker process renders."""
    import json
    import subprocess
    import sys

    monkeypatch.setitem(reports.config, "JOBS_INLINE", False)
    monkeypatch.setitem(reports.config, "PDF_WAIT_SECONDS", 120)
    world = build_world(factory, clock)
    config = {
        "DATABASE_URL": database_url,
        "REDIS_URL": reports.config["REDIS_URL"],
        "PDF_CACHE_DIR": reports.config["PDF_CACHE_DIR"],
        "SECRET_KEY": "test-secret",
        "PERSONAL_DATA_KEY": "test-personal-data-key",
    }
    script = (
        "import json, sys; from app import create_app; from app.reports.jobs import run_worker;"
        "app = create_app(json.loads(sys.argv[1]));"
        "run_worker(app, sys.argv[2], burst=False)"
    )
    log = (tmp_path / "worker.log").open("w")
    worker = subprocess.Popen(
        [sys.executable, "-c", script, json.dumps(config), reports.config["JOBS_QUEUE"]],
        cwd=repo_path(),
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        login_teacher(client, world.teachers["submitted"])
        response, data = download(client, "/teacher/plan.pdf")
    finally:
        worker.terminate()
        try:
            worker.wait(timeout=30)
        except subprocess.TimeoutExpired:
            # RQ misses a warm-shutdown signal that lands between the end of a job and its
            # next wait for work (seen once in CI); the test is about the render, not that.
            worker.kill()
            worker.wait(timeout=30)
        log.close()
    assert_pdf_download(response, "teacher-plan-113.pdf")
    assert "王小明" in pdf_text(data)
    assert renders == []  # rendered by the worker process, not this one


def test_without_redis_there_is_no_queue(reports, monkeypatch):
    monkeypatch.setitem(reports.config, "REDIS_URL", None)
    assert jobs.pdf_queue() is None
    assert jobs.jobs_inline() is True


# ---- hostile plan text ------------------------------------------------------------------

LONG_RUN = "甲" * 10 + "x" * 2980 + "END0123456"
HOSTILE = [
    '<img src="file:///etc/passwd">',
    '<link rel="attachment" href="file:///etc/passwd">',
    '<img src="http://169.254.169.254/latest/meta-data/">',
    "<style>body{background:url(http://example.com/x)}</style>",
    '<a rel="attachment" href="file:///etc/hostname">x</a>',
    "罕用字 𠀀𡃁𪚥 結束",
]


@pytest.fixture
def fetched(monkeypatch):
    """Every URL WeasyPrint asks the app's locked-down fetcher for."""
    cls = type(pdf_render.static_only_fetcher(repo_path("static")))
    original = cls.fetch
    calls: list[str] = []

    def recording_fetch(self, url, headers=None):
        calls.append(url)
        return original(self, url, headers)

    monkeypatch.setattr(cls, "fetch", recording_fetch)
    return calls


LOOPBACK = ("127.0.0.1", "::1", "localhost")


@pytest.fixture
def no_network(monkeypatch):
    """Refuse and record every connection except to our own services on loopback."""
    attempts: list[object] = []
    connect, create_connection = socket.socket.connect, socket.create_connection

    def guarded_connect(self, address):
        if isinstance(address, tuple) and address[0] in LOOPBACK:
            return connect(self, address)
        attempts.append(address)
        raise OSError("network disabled in tests")

    def guarded_create_connection(address, *args, **kwargs):
        if address[0] in LOOPBACK:
            return create_connection(address, *args, **kwargs)
        attempts.append(address)
        raise OSError("network disabled in tests")

    monkeypatch.setattr(socket.socket, "connect", guarded_connect)
    monkeypatch.setattr(socket, "create_connection", guarded_create_connection)
    return attempts


def _assert_renders_as_text(data: bytes, fetched: list[str], no_network: list) -> None:
    text = body_text(data)
    flat = squash(text)
    for item in HOSTILE[:5]:
        assert squash(item) in flat, item
    assert squash(LONG_RUN) in flat  # all of it, to the last character
    assert "𡃁" in text
    assert "結束" in text
    assert_nothing_past_right_margin(data)
    static = repo_path("static").resolve().as_uri() + "/"
    assert fetched == [static + "css/pdf.css"]  # our stylesheet, nothing else
    assert no_network == []
    assert_no_embedded_files(data)


def test_hostile_teacher_plan_text_renders_as_text(
    reports, client, factory, clock, fetched, no_network
):
    answers = {
        **TEACHER_ANSWERS,
        "needs_description": "\n".join(HOSTILE),
        "remarks": LONG_RUN,
        "activities": [
            {**TEACHER_ANSWERS["activities"][0], "topic": item} for item in [*HOSTILE, LONG_RUN]
        ],
    }
    world = build_world(factory, clock, teacher_answers=answers)
    login_teacher(client, world.teachers["submitted"])

    response, data = download(client, "/teacher/plan.pdf")

    assert response.status_code == 200
    _assert_renders_as_text(data, fetched, no_network)


def test_hostile_names_and_school_plan_text_render_as_text(
    reports, client, factory, clock, fetched, no_network
):
    world = build_world(factory, clock)
    world.teachers["submitted"].name = '<img src="file:///etc/passwd">'
    world.school_plan.answers = {
        **world.school_plan.answers,
        "priority_description": "\n".join(HOSTILE),
        "remarks": LONG_RUN,
    }
    world.plans["submitted"].answers = {
        **TEACHER_ANSWERS,
        "activities": [{**TEACHER_ANSWERS["activities"][0], "mode": "<b>x</b>"}],
        "needs": ["<svg onload=alert(1)>", "std02", None],
    }
    login_account(client, world.accounts["planner"])

    response, data = download(client, "/school/plan.pdf")

    assert response.status_code == 200
    _assert_renders_as_text(data, fetched, no_network)
    flat = squash(pdf_text(data))
    assert squash('<img src="file:///etc/passwd">') in flat  # the teacher "name"
    assert "<svgonload=alert(1)>" in flat  # an unknown need code shows as text
    assert "<b>x</b>" in flat


def test_bar_chart_escapes_labels_and_names_the_cjk_font():
    svg = str(bar_chart([("<script>x</script>", 3), ("標準1 具備教育專業知識", 1.5)], title="T&C"))
    assert svg.startswith("<svg ")
    assert 'font-family="Noto Sans CJK TC"' in svg.split(">", 1)[0]
    assert "<script>" not in svg
    assert "&lt;script&gt;" in svg
    assert "<title>T&amp;C</title>" in svg
    assert "1.5" in svg
    assert "尚無資料" in str(bar_chart([], title="t"))
    long_label = "長" * 100
    assert long_label not in str(bar_chart([(long_label, 1)], title="t"))  # shortened with …


def test_tally_counts_submitted_answers_by_code():
    tally = documents.Tally(ranks=3)
    tally.add(TEACHER_ANSWERS)
    tally.add({"needs": ["std04", None, None], "activities": [{"mode": "plc", "hours": "x"}]})
    tally.add("not a mapping")
    assert tally.plans == 2
    assert tally.needs["std04"] == [2, 0, 0]
    assert tally.needs["std09"] == [0, 0, 1]
    assert tally.mode_rows["plc"] == 2
    assert tally.mode_hours["plc"] == 12  # "x" hours count as none
    assert tally.plan_hours == [18, 0]


# ---- access rules ---------------------------------------------------------------------

ANONYMOUS_REDIRECTS = [
    ("/teacher/plan.pdf", "/teacher/login"),
    ("/school/plan.pdf", "/school/login"),
    ("/school/exports", "/school/login"),
    ("/oversight/county.pdf", "/school/login"),
    ("/oversight/national.pdf", "/school/login"),
]


@pytest.mark.parametrize(("url", "login"), ANONYMOUS_REDIRECTS)
def test_anonymous_is_sent_to_sign_in(reports, client, url, login):
    response = client.get(url)
    assert response.status_code == 303
    assert response.headers["Location"].startswith(login)


FORBIDDEN = [
    ("teacher:submitted", "/school/plan.pdf"),
    ("teacher:submitted", "/school/exports"),
    ("teacher:submitted", "/oversight/county.pdf"),
    ("teacher:submitted", "/oversight/national.pdf"),
    ("planner", "/teacher/plan.pdf"),
    ("planner", "/oversight/county.pdf"),
    ("planner", "/oversight/national.pdf"),
    ("roster", "/school/plan.pdf"),  # a business account without the planning type
    ("roster", "/school/exports"),
    ("county", "/school/plan.pdf"),
    ("county", "/oversight/national.pdf"),
    ("county", "/oversight/county.pdf?county=63000"),  # another county
    ("national", "/oversight/county.pdf"),
]

MISSING = [
    ("teacher:none", "/teacher/plan.pdf"),  # in the roster, no plan yet
    ("other_planner", "/school/plan.pdf"),  # the school has no plan yet
    ("planner", "/school/plan.pdf?year=99"),
    ("planner", "/school/exports/987654.zip"),
    # Another school's export answers as a missing one: nothing tells it exists (issue 9).
    ("other_planner", "/school/exports/{job}.zip"),
    ("operator", "/oversight/county.pdf"),
    ("operator", "/oversight/county.pdf?county=99999"),
    ("national", "/oversight/national.pdf?year=99"),
    (None, "/manuals/principal.pdf"),
    (None, "/manuals/school.pdf?year=99"),
]


def _sign_in(client, world, who):
    if who is None:
        return
    if who.startswith("teacher:"):
        login_teacher(client, world.teachers[who.split(":")[1]])
    else:
        login_account(client, world.accounts[who])


def _export_job(world) -> Job:
    job = Job(
        kind=exports.EXPORT_KIND,
        owner=f"school:{world.school.id}",
        status="done",
        result_path="exports/none.zip",
        params={"school_id": world.school.id, "school_code": world.school.code, "year": 113},
    )
    db.session.add(job)
    db.session.commit()
    return job


@pytest.mark.parametrize(("who", "url"), FORBIDDEN)
def test_wrong_role_or_other_unit_is_forbidden(reports, client, factory, clock, who, url):
    world = build_world(factory, clock)
    url = url.format(job=_export_job(world).id)
    _sign_in(client, world, who)
    response = client.get(url)
    assert response.status_code == 403


@pytest.mark.parametrize(("who", "url"), MISSING)
def test_missing_is_not_found(reports, client, factory, clock, who, url):
    world = build_world(factory, clock)
    url = url.format(job=_export_job(world).id)
    _sign_in(client, world, who)
    response = client.get(url)
    assert response.status_code == 404


def test_chief_may_download_the_school_report(reports, client, factory, clock):
    world = build_world(factory, clock)
    login_account(client, world.accounts["chief"])
    response, _ = download(client, "/school/plan.pdf")
    assert response.status_code == 200


def test_file_names_carry_no_personal_data(reports, factory, clock):
    world = build_world(factory, clock)
    names = [
        documents.teacher_plan_document(world.plans["submitted"]).filename,
        documents.school_plan_document(world.school_plan).filename,
        documents.national_document(world.cycle).filename,
    ]
    assert names == [
        "teacher-plan-113.pdf",
        f"school-plan-113-{world.school.code}.pdf",
        "national-report-113.pdf",
    ]
    for name in names:
        assert re.fullmatch(r"[a-z0-9-]+\.pdf", name)


def test_worker_command_needs_redis_and_drains_the_queue(reports, restore_signals):
    runner = reports.test_cli_runner()
    args = ["worker", "--burst", "--queue", reports.config["JOBS_QUEUE"]]
    result = runner.invoke(jobs.jobs_group, args)
    if reports.config.get("REDIS_URL"):
        assert result.exit_code == 0, result.output
    else:
        assert result.exit_code == 1
        assert "REDIS_URL 未設定" in result.output


@needs_redis
def test_a_download_does_not_hold_a_web_thread_while_the_worker_is_busy(
    reports, client, factory, clock, renders, monkeypatch
):
    """No worker takes the job within the (short) wait: the pending page at once, which
    asks again by itself without JavaScript; nothing rendered in the web process."""
    assert jobs.PDF_WAIT_SECONDS <= 5  # a web thread is one of a host's 2 × 4
    monkeypatch.setitem(reports.config, "JOBS_INLINE", False)
    monkeypatch.setitem(reports.config, "PDF_WAIT_SECONDS", 0)
    world = build_world(factory, clock)
    login_teacher(client, world.teachers["submitted"])
    response = client.get("/teacher/plan.pdf")
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "15"
    assert response.headers["Refresh"] == "15"
    page = response.get_data(as_text=True)
    assert 'href="/teacher/plan.pdf"' in page
    assert renders == []
    queue = jobs.pdf_queue()
    assert queue is not None
    assert queue.count >= 1  # the worker renders it; the next request finds the file
