"""The PDF figures of issue 4, in one run.

    python -m bench.pdf          # standalone: temp SQLite, own gunicorn, own RQ worker
    bench.harness -> run(**context)   # inside `make bench`: its gunicorn and database

Figures (targets are printed, never enforced):

1. our teacher-plan render time (questionnaire summary, template, locked-down fetcher,
   metadata, attachment stripping) ÷ a bare WeasyPrint render of the same HTML (median
   of 7 warm renders each; target ≤ 1.3); also ÷ a bare render that reuses one
   FontConfiguration, as ours does (the stricter baseline);
2. RQ worker memory (RSS) after 30 renders ÷ after the first (target ≤ 1.2);
3. median latency of an ordinary page (GET /) while the worker renders 20 PDFs ÷ idle
   (target ≤ 2: rendering never runs in the web workers);
4. a cached PDF download ÷ a static file of equal size through the same gunicorn,
   in requests per second over 4 parallel keep-alive connections (target ≥ 0.5;
   one connection's sequential figures are reported too);
5. size and page count of a typical teacher plan and school plan (≤ 500 KB for 2 pages).

Everything it creates lives in the run's database (a school "效能測試國民小學" with 30
teachers) and cache folder; the one file it writes into static/ (for figure 4) is
removed afterwards; the worker and gunicorn it starts are stopped by their own pids.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import random
import re
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

from bench.procs import HOST, free_port, stop_process

ROOT = Path(__file__).resolve().parent.parent
USER_AGENT = "jinxiu-bench-pdf/1"
PASSWORD = "bench-pdf-password-113"
TEACHERS = 30
LOAD_PDFS = 20
WARM, SAMPLES = 2, 7
IDLE_REQUESTS = 60
LOAD_TIMEOUT = 240.0  # seconds: bounds the load loop whatever the worker does
DOWNLOADS = 100  # per connection
CONNECTIONS = 4  # parallel keep-alive connections for the throughput figures
WRK_SECONDS = 5
TARGETS = {
    "render_ratio": ("≤", 1.3),
    "worker_rss_ratio": ("≤", 1.2),
    "page_latency_ratio": ("≤", 2.0),
    "cached_download_ratio": ("≥", 0.5),
    "teacher_plan_kb": ("≤", 500),
    "school_plan_kb": ("≤", 500),
}

ACTIVITIES = [
    ("std04", "差異化教學策略", "plc", 12, "second"),
    ("std06", "正向管教與班級經營工作坊", "lecture_workshop", 6, "first"),
    ("std03", "素養導向課程設計", "open_class", 4, "first"),
    ("std09", "數位學習工具應用", "online", 8, "summer"),
]
STANDARDS = [f"std{n:02d}" for n in range(1, 11)]


# ---- data ----------------------------------------------------------------------------------


@dataclass
class Fixture:
    school_id: int
    school_plan_id: int
    plan_ids: list[int]
    national_ids: list[str]


def _teacher_answers(rng: random.Random) -> dict[str, Any]:
    rows = rng.sample(ACTIVITIES, rng.randint(2, 4))
    return {
        "needs": rng.sample(STANDARDS, 3),
        "needs_description": "希望精進差異化教學，回應班上學生的學習差異，並與同領域教師共同備課。",
        "interest_areas": ["mathematics", "natural_sciences"],
        "activities": [
            {"topic_category": c, "topic": t, "mode": m, "hours": h, "term": term}
            for c, t, m, h, term in rows
        ],
        "preferred_times": ["weekday_day", "vacation"],
        "remarks": "感謝學校安排共同備課時間。",
    }


SCHOOL_ANSWERS = {
    "contact_name": "黃承辦",
    "contact_title": "教務主任",
    "contact_phone": "07-7258600 分機 123",
    "contact_email": "office@school.edu.tw",
    "priority_issues": ["gender_equality", "reading", "information"],
    "priority_areas": ["mathematics", "english"],
    "priority_description": "以素養導向教學精進全校教師專業，發展閱讀與數位學習特色課程。",
    "activities": [
        {
            "topic_category": c,
            "topic": t,
            "mode": m,
            "hours": h,
            "term": term,
            "audience": "all_teachers",
            "expected_participants": 40,
        }
        for c, t, m, h, term in ACTIVITIES
    ],
    "needs_support": "yes",
    "support_types": ["experts", "funding"],
    "support_details": "希望邀請大學教授協助素養導向評量設計。",
}


def make_fixture() -> Fixture:
    """Add a school with 30 submitted teacher plans and a school plan (app context)."""
    from sqlalchemy import select

    from app import timeutil
    from app.cycles.services import latest_questionnaire
    from app.cycles.windows import current_cycle
    from app.extensions import db
    from app.identity import make_national_id
    from app.models import (
        Authority,
        AuthorityKind,
        PlanKind,
        PlanStatus,
        RosterSnapshot,
        School,
        SchoolPlan,
        Stage,
        TeacherPlan,
    )
    from app.roster import employ, new_teacher
    from app.security import hash_password

    rng = random.Random()
    cycle = current_cycle()
    if cycle is None:
        raise RuntimeError("no published cycle in the database")
    authority = db.session.scalar(
        select(Authority).where(Authority.kind == AuthorityKind.COUNTY).limit(1)
    )
    if authority is None:
        raise RuntimeError("no county authority in the database")
    now = timeutil.now()
    school = School(
        code=f"7{rng.randrange(100_000):05d}",
        name="效能測試國民小學",
        county_code=authority.county_code,
        authority_id=authority.id,
        stage=Stage.ELEMENTARY,
    )
    db.session.add(school)
    db.session.flush()
    teacher_q = latest_questionnaire(cycle, PlanKind.TEACHER)
    school_q = latest_questionnaire(cycle, PlanKind.SCHOOL)
    if teacher_q is None or school_q is None:
        raise RuntimeError("the 113 cycle file has no questionnaires")
    password_hash = hash_password(PASSWORD)
    plan_ids, national_ids = [], []
    for n in range(TEACHERS):
        national_id = make_national_id(rng)
        teacher = new_teacher(national_id, f"測試教師{n + 1:02d}", password_hash=password_hash)
        employ(teacher, school, since=timeutil.taipei(2020, 8, 1), subjects="數學")
        db.session.add(
            RosterSnapshot(
                cycle_id=cycle.id,
                teacher_id=teacher.id,
                school_id=school.id,
                title="教師",
                subjects="數學",
            )
        )
        plan = TeacherPlan(
            cycle_id=cycle.id,
            teacher_id=teacher.id,
            school_id=school.id,
            questionnaire_id=teacher_q.id,
            answers=_teacher_answers(rng),
            status=PlanStatus.SUBMITTED,
            version=2,
            submitted_at=now,
            updated_at=now,
            updated_by=f"teacher:{teacher.id}",
        )
        db.session.add(plan)
        db.session.flush()
        plan_ids.append(plan.id)
        national_ids.append(national_id)
    school_plan = SchoolPlan(
        cycle_id=cycle.id,
        school_id=school.id,
        questionnaire_id=school_q.id,
        answers=SCHOOL_ANSWERS,
        status=PlanStatus.SUBMITTED,
        version=3,
        submitted_at=now,
        updated_at=now,
        updated_by="bench",
    )
    db.session.add(school_plan)
    db.session.commit()
    return Fixture(school.id, school_plan.id, plan_ids, national_ids)


def bump_versions(plan_ids: list[int]) -> None:
    """Give plans a new version (as a save would), so their PDFs must be rendered again."""
    from sqlalchemy import update

    from app import timeutil
    from app.extensions import db
    from app.models import TeacherPlan

    db.session.execute(
        update(TeacherPlan)
        .where(TeacherPlan.id.in_(plan_ids))
        .values(version=TeacherPlan.version + 1, updated_at=timeutil.now())
    )
    db.session.commit()


# ---- processes -------------------------------------------------------------------------------


@contextlib.contextmanager
def gunicorn(env: dict[str, str], workdir: Path) -> Iterator[str]:
    """Serve wsgi:app as documented for production (2 workers × 4 threads per 2 cores)."""
    port = free_port()
    log = (workdir / "gunicorn-pdf.log").open("ab")
    process = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "gunicorn"),
            *("-w", "2", "-k", "gthread", "--threads", "4", "-b", f"{HOST}:{port}"),
            *("--log-level", "warning", "wsgi:app"),
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"gunicorn exited ({process.returncode})")
            with contextlib.suppress(OSError, http.client.HTTPException):
                if Client(f"http://{HOST}:{port}").get("/healthz")[0] == 200:
                    break
            if time.monotonic() > deadline:
                raise RuntimeError("gunicorn did not start within 60 s")
            time.sleep(0.3)
        yield f"http://{HOST}:{port}"
    finally:
        stop_process(process)
        log.close()


WORKER_SCRIPT = """
import json, sys
from app import create_app
from app.reports.jobs import run_worker
app = create_app(json.loads(sys.argv[1]))
run_worker(app, sys.argv[2])
"""


@contextlib.contextmanager
def rq_worker(config: dict[str, Any], queue: str, workdir: Path) -> Iterator[int]:
    """One `flask jobs worker` equivalent process on ``queue``; yields its pid."""
    log = (workdir / "rq-worker-pdf.log").open("ab")
    process = subprocess.Popen(
        [sys.executable, "-c", WORKER_SCRIPT, json.dumps(config), queue],
        cwd=ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        yield process.pid
    finally:
        stop_process(process)
        log.close()


def rss_mb(pid: int) -> float:
    """Resident memory of a process, from /proc (Linux)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for {pid}")


# ---- HTTP --------------------------------------------------------------------------------------


@dataclass
class Client:
    """A keep-alive HTTP/1.1 client with one cookie jar (the session cookie)."""

    base_url: str
    cookies: dict[str, str] = field(default_factory=dict)
    conn: http.client.HTTPConnection | None = None

    def _connection(self) -> http.client.HTTPConnection:
        if self.conn is None:
            parts = urlsplit(self.base_url)
            self.conn = http.client.HTTPConnection(parts.hostname or HOST, parts.port, timeout=120)
        return self.conn

    def request(
        self, method: str, path: str, body: str | None = None
    ) -> tuple[int, dict[str, str], bytes]:
        headers = {"User-Agent": USER_AGENT}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        for attempt in (1, 2):  # a keep-alive connection the server closed: reconnect once
            conn = self._connection()
            try:
                conn.request(method, path, body=body, headers=headers)
                response = conn.getresponse()
                data = response.read()
                break
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                conn.close()
                self.conn = None
                if attempt == 2:
                    raise
        for value in response.headers.get_all("Set-Cookie") or []:
            name, _, rest = value.partition("=")
            self.cookies[name.strip()] = rest.split(";", 1)[0]
        return response.status, dict(response.headers), data

    def get(self, path: str) -> tuple[int, dict[str, str], bytes]:
        return self.request("GET", path)

    def sign_in_teacher(self, national_id: str) -> None:
        status, _, page = self.get("/teacher/login")
        token = re.search(rb'name="csrf_token"[^>]*?value="([^"]+)"', page)
        if status != 200 or token is None:
            raise RuntimeError(f"teacher login page: HTTP {status}")
        form = {"csrf_token": token.group(1).decode(), "national_id": national_id}
        status, _, _ = self.request(
            "POST", "/teacher/login", urlencode(form | {"password": PASSWORD})
        )
        if status != 303:
            raise RuntimeError(f"teacher sign-in refused: HTTP {status}")

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()


def wrk_rate(base_url: str, path: str, cookies: dict[str, str]) -> float:
    """Requests per second of GET ``path`` by wrk over CONNECTIONS connections, bounded."""
    cookie = "; ".join(f"{k}={v}" for k, v in cookies.items())
    result = subprocess.run(
        [
            "wrk",
            *("-t", "2", "-c", str(CONNECTIONS), "-d", f"{WRK_SECONDS}s", "--timeout", "10s"),
            *("-H", f"Cookie: {cookie}", "-H", f"User-Agent: {USER_AGENT}"),
            base_url + path,
        ],
        capture_output=True,
        text=True,
        timeout=WRK_SECONDS + 30,
        check=True,
    )
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", result.stdout)
    if errors:
        raise RuntimeError(f"{path}: {errors.group(1)} non-2xx responses under wrk")
    rate = re.search(r"Requests/sec:\s+([\d.]+)", result.stdout)
    if rate is None:
        raise RuntimeError(f"{path}: wrk printed no Requests/sec")
    return float(rate.group(1))


def _timed(call: Callable[[], Any]) -> float:
    started = time.perf_counter()
    call()
    return time.perf_counter() - started


# ---- the figures ---------------------------------------------------------------------------------


def render_figures(fixture: Fixture) -> dict[str, Any]:
    """Figures 1 and 5, in this process (app context): ours vs bare, sizes and pages."""
    from flask import current_app
    from jinja2 import Template
    from weasyprint import HTML
    from weasyprint.text.fonts import FontConfiguration

    from app.extensions import db
    from app.models import SchoolPlan, TeacherPlan
    from app.pdf import render as pdf_render
    from app.reports import cache, documents

    plan = db.session.get_one(TeacherPlan, fixture.plan_ids[0])
    teacher_doc = documents.teacher_plan_document(plan)
    captured: dict[str, str] = {}
    original = pdf_render.render_template

    def capture(
        template_name_or_list: str | Template | list[str | Template], **context: Any
    ) -> str:
        captured["html"] = original(template_name_or_list, **context)
        return captured["html"]

    pdf_render.render_template = capture
    try:
        teacher_pdf = cache.render(teacher_doc)
    finally:
        pdf_render.render_template = original
    html, static = captured["html"], str(current_app.static_folder)

    def ours() -> None:
        cache.render(documents.teacher_plan_document(plan))

    def bare() -> None:
        HTML(string=html, base_url=static + "/").write_pdf()

    shared = FontConfiguration()

    def bare_shared_fonts() -> None:  # the fairest baseline: no font set-up per render
        HTML(string=html, base_url=static + "/").write_pdf(font_config=shared)

    for _ in range(WARM):
        ours()
        bare()
        bare_shared_fonts()
    ours_s = statistics.median(_timed(ours) for _ in range(SAMPLES))
    bare_s = statistics.median(_timed(bare) for _ in range(SAMPLES))
    shared_s = statistics.median(_timed(bare_shared_fonts) for _ in range(SAMPLES))
    school_doc = documents.school_plan_document(
        db.session.get_one(SchoolPlan, fixture.school_plan_id)
    )
    school_pdf = cache.render(school_doc)
    return {
        "render_ms_ours": round(ours_s * 1000),
        "render_ms_bare": round(bare_s * 1000),
        "render_ratio": round(ours_s / bare_s, 2),
        "render_ms_bare_shared_fonts": round(shared_s * 1000),
        "render_ratio_to_shared_fonts": round(ours_s / shared_s, 2),
        "teacher_plan_kb": round(len(teacher_pdf) / 1024),
        "teacher_plan_pages": cache.page_count(teacher_pdf),
        "school_plan_kb": round(len(school_pdf) / 1024),
        "school_plan_pages": cache.page_count(school_pdf),
        "school_plan_teachers": TEACHERS,
    }


def _enqueue(queue: Any, plan_ids: list[int]) -> list[Any]:
    from app.reports.jobs import render_document_job

    return [
        queue.enqueue(render_document_job, ["teacher-plan", str(pid)], job_timeout=300)
        for pid in plan_ids
    ]


def _wait(jobs: list[Any], timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if all(job.get_status() in ("finished", "failed") for job in jobs):
            return all(job.get_status() == "finished" for job in jobs)
        time.sleep(0.1)
    return False


def worker_figures(
    fixture: Fixture, config: dict[str, Any], base_url: str, workdir: Path, say: Callable
) -> dict[str, Any]:
    """Figures 2 and 3: the worker's memory over 30 renders; page latency during 20."""
    from redis import Redis
    from rq import Queue

    name = f"pdf-bench-{secrets.token_hex(4)}"
    redis = Redis.from_url(config["REDIS_URL"])
    queue = Queue(name, connection=redis)
    figures: dict[str, Any] = {}
    client = Client(base_url)
    try:
        with rq_worker(config, name, workdir) as pid:
            first = _enqueue(queue, fixture.plan_ids[:1])
            if not _wait(first, 120):
                raise RuntimeError("the worker did not render the first PDF")
            rss_first = rss_mb(pid)
            rest = _enqueue(queue, fixture.plan_ids[1:TEACHERS])
            if not _wait(rest, LOAD_TIMEOUT):
                raise RuntimeError("the worker did not render 30 PDFs in time")
            rss_last = rss_mb(pid)
            figures |= {
                "worker_rss_mb_first": round(rss_first, 1),
                "worker_rss_mb_after_30": round(rss_last, 1),
                "worker_rss_ratio": round(rss_last / rss_first, 2),
            }
            say(f"worker RSS {rss_first:.0f} MB after 1 render, {rss_last:.0f} MB after 30")

            for _ in range(5):  # warm the connection and the server's workers
                client.get("/")
            idle = [_timed(lambda: client.get("/")) for _ in range(IDLE_REQUESTS)]
            bump_versions(fixture.plan_ids[:LOAD_PDFS])
            started = time.monotonic()
            load = _enqueue(queue, fixture.plan_ids[:LOAD_PDFS])
            busy: list[float] = []
            while time.monotonic() - started < LOAD_TIMEOUT:
                busy.append(_timed(lambda: client.get("/")))
                if all(job.get_status() in ("finished", "failed") for job in load):
                    break
            rendered = sum(job.get_status() == "finished" for job in load)
            elapsed = time.monotonic() - started
            figures |= {
                "page_latency_idle_ms": round(statistics.median(idle) * 1000, 1),
                "page_latency_during_pdfs_ms": round(statistics.median(busy) * 1000, 1),
                "page_latency_ratio": round(statistics.median(busy) / statistics.median(idle), 2),
                "pdfs_rendered_during_load": rendered,
                "pdfs_per_second_one_worker": round(rendered / elapsed, 2),
            }
            say(f"{rendered} PDFs in {elapsed:.1f} s while GET / was measured {len(busy)} times")
    finally:
        client.close()
        queue.delete(delete_jobs=True)
        redis.close()
    return figures


def download_figures(fixture: Fixture, base_url: str) -> dict[str, Any]:
    """Figure 4: a cached PDF download against a static file of the same size."""
    from app.extensions import db
    from app.models import TeacherPlan
    from app.reports import cache, documents

    plan = db.session.get_one(TeacherPlan, fixture.plan_ids[-1], populate_existing=True)
    cached = cache.get_or_render(documents.teacher_plan_document(plan))
    static_name = f"bench-pdf-{secrets.token_hex(6)}.bin"
    static_path = ROOT / "static" / static_name
    shutil.copyfile(cached.path, static_path)
    client = Client(base_url)
    try:
        client.sign_in_teacher(fixture.national_ids[-1])
        status, headers, body = client.get("/teacher/plan.pdf")
        if status != 200 or body != cached.path.read_bytes():
            raise RuntimeError(f"cached download: HTTP {status}, {len(body)} bytes")
        status, _, body = client.get(f"/static/{static_name}")
        if status != 200 or len(body) != cached.size:
            raise RuntimeError(f"static file: HTTP {status}")

        def rate(path: str) -> float:
            for _ in range(5):
                client.get(path)
            return DOWNLOADS / sum(_timed(lambda: client.get(path)) for _ in range(DOWNLOADS))

        def concurrent_rate(path: str) -> float:
            """Requests per second over CONNECTIONS keep-alive connections in parallel."""
            clients = [Client(base_url, dict(client.cookies)) for _ in range(CONNECTIONS)]
            try:
                for each in clients:
                    each.get(path)

                def fetch(each: Client) -> None:
                    for _ in range(DOWNLOADS):
                        status = each.get(path)[0]
                        if status != 200:
                            raise RuntimeError(f"{path}: HTTP {status}")

                started = time.perf_counter()
                with ThreadPoolExecutor(CONNECTIONS) as pool:
                    list(pool.map(fetch, clients))
                return CONNECTIONS * DOWNLOADS / (time.perf_counter() - started)
            finally:
                for each in clients:
                    each.close()

        static_url = f"/static/{static_name}"
        pdf_rps, static_rps = rate("/teacher/plan.pdf"), rate(static_url)
        # wrk (C) when installed: a Python client saturates before a static file does.
        if shutil.which("wrk"):
            tool = "wrk"
            pdf_par = wrk_rate(base_url, "/teacher/plan.pdf", client.cookies)
            static_par = wrk_rate(base_url, static_url, client.cookies)
        else:
            tool = "python threads"
            pdf_par = concurrent_rate("/teacher/plan.pdf")
            static_par = concurrent_rate(static_url)
    finally:
        client.close()
        static_path.unlink(missing_ok=True)
    return {
        "cached_download_rps": round(pdf_par, 1),
        "static_file_rps": round(static_par, 1),
        "cached_download_ratio": round(pdf_par / static_par, 2),
        "download_load_tool": f"{tool}, {CONNECTIONS} connections",
        "cached_download_rps_one_connection": round(pdf_rps, 1),
        "static_file_rps_one_connection": round(static_rps, 1),
        "cached_download_ratio_one_connection": round(pdf_rps / static_rps, 2),
        "download_bytes": cached.size,
        "cache_control": headers.get("Cache-Control"),
    }


# ---- one run -------------------------------------------------------------------------------------


def _app_config(env: dict[str, str]) -> dict[str, Any]:
    return {
        "ENV_NAME": env.get("APP_ENV", "development"),
        "DATABASE_URL": env["DATABASE_URL"],
        "SECRET_KEY": env.get("SECRET_KEY", "bench-pdf-secret"),
        "PERSONAL_DATA_KEY": env.get("PERSONAL_DATA_KEY", "bench-pdf-personal-data-key"),
        "REDIS_URL": env.get("REDIS_URL") or None,
        "PDF_CACHE_DIR": env["PDF_CACHE_DIR"],
        # Only the bench teachers' password hashes use these; verification reads the hash.
        "ARGON2_TIME_COST": 1,
        "ARGON2_MEMORY_COST": 1024,
    }


@contextlib.contextmanager
def standalone(workdir: Path, say: Callable) -> Iterator[tuple[dict[str, str], str]]:
    """A temp SQLite database with the demo data, and gunicorn serving it."""
    from app import create_app
    from app.demo.seed import seed
    from app.extensions import db
    from app.migrate import upgrade

    env = {k: v for k, v in os.environ.items() if not k.startswith(("BENCH_", "FLASK_"))}
    env |= {
        "APP_ENV": "development",
        "DATABASE_URL": f"sqlite:///{workdir / 'bench.sqlite3'}",
        "SECRET_KEY": secrets.token_urlsafe(32),
        "PERSONAL_DATA_KEY": secrets.token_urlsafe(32),
        "REDIS_URL": os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/14"),
        "PDF_CACHE_DIR": str(workdir / "pdf"),
        "PYTHONDONTWRITEBYTECODE": "1",
    }
    upgrade(env["DATABASE_URL"])
    app = create_app(_app_config(env))
    with app.app_context():
        seed()
        db.session.commit()
    say("standalone: SQLite database seeded with the demo data")
    with gunicorn(env, workdir) as base_url:
        yield env, base_url


def run(
    *,
    base_url: str | None = None,
    env: dict[str, str] | None = None,
    workdir: Path | str | None = None,
    say: Callable[[str], None] | None = None,
    **_context: Any,
) -> dict[str, Any]:
    """Measure the PDF figures against a running server (the harness's), or a standalone one."""
    say = say or (lambda message: print(message, flush=True))
    own_dir = workdir is None
    folder = Path(tempfile.mkdtemp(prefix="jinxiu-bench-pdf-") if workdir is None else workdir)
    figures: dict[str, Any] = {}
    try:
        with contextlib.ExitStack() as stack:
            if env is None or base_url is None:
                env, base_url = stack.enter_context(standalone(folder, say))
            config = _app_config(env)
            from app import create_app
            from app.pdf import harfbuzz_subsetting_available

            app = create_app(config)
            with app.app_context():
                figures["harfbuzz_subsetting"] = harfbuzz_subsetting_available()
                fixture = make_fixture()
                say(f"bench school with {TEACHERS} submitted teacher plans added")
                figures |= render_figures(fixture)
                say(
                    f"render: ours {figures['render_ms_ours']} ms, "
                    f"bare {figures['render_ms_bare']} ms"
                )
                if config["REDIS_URL"]:
                    figures |= worker_figures(fixture, config, base_url, folder, say)
                else:
                    figures["worker"] = "not measured: no REDIS_URL (no worker without Redis)"
                figures |= download_figures(fixture, base_url)
    finally:
        if own_dir:
            shutil.rmtree(folder, ignore_errors=True)
    figures["targets"] = {
        name: f"{sign} {limit}"
        + (
            ""
            if name not in figures
            else (
                " ok"
                if (figures[name] <= limit if sign == "≤" else figures[name] >= limit)
                else " MISS"
            )
        )
        for name, (sign, limit) in TARGETS.items()
    }
    return figures


def main() -> int:
    figures = run()
    print()
    print("PDF (issue 4):")
    for key, value in figures.items():
        print(f"  {key}: {value}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
