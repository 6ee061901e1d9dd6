"""One benchmark run: `make bench` (= `python -m bench`), or `python -m bench --help`.

1. A fresh PostgreSQL database `bench_<pid>_<random>`, migrated, seeded and filled by
   bench.generate (default 400 schools × 50 teachers; `--full` for national scale).
2. gunicorn as documented for production (README: `-w 2 -k gthread --threads 4` per
   2 cores), APP_ENV=production with freshly generated secrets, Redis for rate limits,
   serving bench.wsgi_bench (the app + the baseline endpoint + a statement counter).
3. Teachers sign in through the real login form (argon2, CSRF), each with its own cookie.
4. Probes count the SQL statements of one request of each kind (X-Bench-SQL).
5. wrk, a second process, loads each endpoint for a bounded time and number of requests
   (1 connection per wrk thread, so a Lua state carries each teacher's plan version
   forward from one autosave to the next): the baseline, GET /teacher/plan, and
   POST /teacher/plan/autosave, and (bench.roster) the 教師資料 list of the school of
   300 teachers and its htmx search, signed in as that school's chief, in interleaved
   rounds (the machine may be shared).
   Throughput, p50/p95 and the ratio to the baseline; and from /proc, the CPU time per
   request of the gunicorn processes and of this database's PostgreSQL backends, plus
   the load of everything else on the machine during the run.
6. bench.pdf.run(...) when that module exists (the PDF figures of issue 4).
7. A table on stdout, the figures in bench/results/latest.json; gunicorn stopped and
   the database dropped whatever happened. Targets are printed, never enforced.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import http.client
import inspect
import json
import math
import os
import platform
import re
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from bench import analytics as bench_analytics
from bench import generate as gen
from bench import roster as roster_bench
from bench.procs import HOST, free_port, stop_process

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
VENV_BIN = Path(sys.executable).parent
ADMIN_URL = os.environ.get("BENCH_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/14")
USER_AGENT = "jinxiu-bench/1 (wrk and http.client)"  # one UA: Flask-Login's session id
BARE_REFERENCE = 500  # req/s the issue quotes for a bare endpoint on this 2-core machine
TARGETS = {"page": 0.5, "autosave": 0.6}
MAX_STATEMENTS = 4
SERVER_ENV = (
    "APP_ENV",
    "DATABASE_URL",
    "SECRET_KEY",
    "PERSONAL_DATA_KEY",
    "REDIS_URL",
    "PDF_CACHE_DIR",
    "BENCH_SQL_COUNT",
)

PAGE = "/teacher/plan"
AUTOSAVE = "/teacher/plan/autosave"
BARE = "/_bench/bare"
LABELS = {
    "bare": f"GET {BARE}",
    "page": f"GET {PAGE}",
    "autosave": f"POST {AUTOSAVE}",
    **roster_bench.LABELS,
}

# An autosave as htmx posts it (tests/plan_helpers.teacher_form): the version goes first.
AUTOSAVE_FORM: list[tuple[str, str]] = [
    ("q.needs.1", "std04"),
    ("q.needs.2", "std06"),
    ("q.needs.3", "std09"),
    ("q.needs_description", "希望精進差異化教學，回應班上學生的學習差異。"),
    ("q.interest_areas", "mathematics"),
    ("q.activities.0.topic_category", "std04"),
    ("q.activities.0.topic", "差異化教學策略"),
    ("q.activities.0.mode", "plc"),
    ("q.activities.0.hours", "12"),
    ("q.activities.0.term", "second"),
    ("q.activities.1.topic_category", "std06"),
    ("q.activities.1.topic", "正向管教與班級經營"),
    ("q.activities.1.mode", "lecture_workshop"),
    ("q.activities.1.hours", "6"),
    ("q.activities.1.term", "first"),
    ("q.preferred_times", "weekday_day"),
    ("q.preferred_times", "vacation"),
    ("q.remarks", ""),
]

_CSRF_INPUT = re.compile(r'name="csrf_token"[^>]*?value="([^"]+)"')
# The page's token for htmx requests (templates/base.html, sent as X-CSRFToken).
_CSRF_HEADER = re.compile(r'<meta name="csrf-token" content="([^"]+)"')
_VERSION = re.compile(r'name="version" value="(\d+)"')


class BenchError(RuntimeError):
    pass


# ---- settings ----------------------------------------------------------------------------


@dataclass
class Settings:
    schools: int = gen.DEFAULT_SCHOOLS
    teachers_per_school: int = gen.DEFAULT_TEACHERS_PER_SCHOOL
    sessions: int = 64
    connections: int = 8
    rounds: int = 3
    duration: float = 8.0
    warmup: float = 2.0
    max_requests: int = 60_000
    workers: int = 2
    threads: int = 4
    worker_class: str = "gthread"
    port: int = 0
    keep: bool = False
    pdf: bool = True
    feed_rows: int = 20_000  # issue 11; --full: 200,000
    plan_only: bool = False  # only the bare endpoint, the plan page and the autosave

    @property
    def gunicorn_args(self) -> list[str]:
        args = ["-w", str(self.workers), "-k", self.worker_class]
        if self.worker_class == "gthread":
            args += ["--threads", str(self.threads)]
        return args


def parse_args(argv: list[str] | None) -> Settings:
    d = Settings()
    p = argparse.ArgumentParser(
        prog="python -m bench",
        description="One benchmark run on a fresh PostgreSQL database (see bench/harness.py).",
    )
    p.add_argument("--schools", type=int, default=d.schools)
    p.add_argument("--teachers-per-school", type=int, default=d.teachers_per_school)
    p.add_argument(
        "--full",
        action="store_true",
        help=f"national scale: {gen.FULL_SCHOOLS} schools (about 200,000 teachers)",
    )
    p.add_argument(
        "--sessions",
        type=int,
        default=d.sessions,
        help="teachers signed in, each with its own cookie",
    )
    p.add_argument(
        "--connections",
        type=int,
        default=d.connections,
        help="concurrent wrk connections (one wrk thread each)",
    )
    p.add_argument("--rounds", type=int, default=d.rounds, help="interleaved rounds")
    p.add_argument(
        "--duration", type=float, default=d.duration, help="seconds per endpoint and round"
    )
    p.add_argument(
        "--warmup", type=float, default=d.warmup, help="seconds per endpoint before round 1"
    )
    p.add_argument(
        "--max-requests",
        type=int,
        default=d.max_requests,
        help="upper bound of requests per endpoint",
    )
    p.add_argument("--workers", type=int, default=d.workers)
    p.add_argument("--threads", type=int, default=d.threads)
    p.add_argument("--worker-class", default=d.worker_class)
    p.add_argument("--port", type=int, default=0, help="0: any free port")
    p.add_argument(
        "--keep",
        action="store_true",
        help="keep the database and the work directory (for investigation)",
    )
    p.add_argument("--no-pdf", action="store_true", help="skip bench.pdf even if present")
    p.add_argument(
        "--plan-only",
        action="store_true",
        help="only the bare endpoint, the plan page and the autosave (no PDF, feed, "
        "lookups, analytics, dashboards or roster)",
    )
    p.add_argument(
        "--feed-rows",
        type=int,
        default=None,
        help="rows of the taipei feed file (default 20,000; --full: 200,000; 0: skip)",
    )
    a = p.parse_args(argv)
    return Settings(
        schools=gen.FULL_SCHOOLS if a.full else a.schools,
        teachers_per_school=a.teachers_per_school,
        sessions=max(1, a.sessions),
        connections=max(1, a.connections),
        rounds=max(1, a.rounds),
        duration=a.duration,
        warmup=a.warmup,
        max_requests=a.max_requests,
        workers=a.workers,
        threads=a.threads,
        worker_class=a.worker_class,
        port=a.port,
        keep=a.keep,
        pdf=not a.no_pdf and not a.plan_only,
        feed_rows=0
        if a.plan_only
        else (a.feed_rows if a.feed_rows is not None else (200_000 if a.full else d.feed_rows)),
        plan_only=a.plan_only,
    )


# ---- database ----------------------------------------------------------------------------


def _admin(sql: str) -> None:
    import psycopg

    with psycopg.connect(ADMIN_URL, autocommit=True, connect_timeout=10) as conn:
        conn.execute(sql)


def create_database(name: str) -> str:
    _admin(f'CREATE DATABASE "{name}"')
    base = ADMIN_URL.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://", 1)
    return f"{base}/{name}"


def drop_database(name: str) -> None:
    _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _local_app(env: dict[str, str]) -> Any:
    """The production app on the benchmark database, in this process only: no queue, no
    limits (seeding and in-process figures)."""
    from app import create_app

    return create_app(
        {
            "ENV_NAME": "production",
            "DATABASE_URL": env["DATABASE_URL"],
            "SECRET_KEY": env["SECRET_KEY"],
            "PERSONAL_DATA_KEY": env["PERSONAL_DATA_KEY"],
            "REDIS_URL": None,
            "SINGLE_PROCESS": True,
        }
    )


def populate(settings: Settings, env: dict[str, str]) -> gen.GenerateReport:
    """Migrate, seed and generate in this process, with the server's keys."""
    from app.extensions import db
    from app.migrate import upgrade

    app = _local_app(env)
    upgrade(env["DATABASE_URL"])
    with app.app_context():
        report = gen.generate(
            settings.schools,
            settings.teachers_per_school,
            logins=settings.sessions,
            roster_teachers=gen.ROSTER_SCHOOL_TEACHERS,
        )
        db.session.commit()
        db.session.remove()
    assert db.engine is not None
    db.engine.dispose()
    return report


def lookup_figures(env: dict[str, str]) -> dict[str, Any]:
    """Issue 10: the national-ID lookup of registering a teacher, in this process (bench.admin)."""
    from app.extensions import db
    from bench.admin import time_lookups

    app = _local_app(env)
    try:
        with app.app_context():
            figures = time_lookups()
            db.session.remove()
    except Exception as error:  # report it; the other figures still count
        figures = {"error": f"{type(error).__name__}: {error}"}
    if db.engine is not None:
        db.engine.dispose()
    return figures


def oversight_figures(env: dict[str, str]) -> dict[str, Any]:
    """The completion dashboards and the all-schools XLSX export, in-process (bench.oversight)."""
    from bench.oversight import run

    return run(_local_app(env))


def feed_figures(env: dict[str, str], rows: int, workdir: Path) -> dict[str, Any]:
    """Issue 11: a taipei feed of `rows` rows applied twice with the real command."""
    from app.extensions import db
    from bench.feeds import run_sync, write_taipei_feed

    app = _local_app(env)
    path = workdir / "taipei-feed.csv"
    try:
        with app.app_context():
            content = write_taipei_feed(path, rows)
            db.session.remove()
        if db.engine is not None:
            db.engine.dispose()
        first = run_sync(env, path, ROOT)
        second = run_sync(env, path, ROOT)
    except Exception as error:  # report it; the other figures still count
        return {"error": f"{type(error).__name__}: {error}"}
    figures: dict[str, Any] = {"file": content, "first": first, "second": second}
    if first["exit_code"] not in (0, 3) or second["exit_code"] not in (0, 3):
        figures["error"] = f"sync exited {first['exit_code']}, {second['exit_code']}"
        return figures
    figures["rows_per_second"] = round(content["rows"] / first["seconds"], 1)
    figures["peak_rss_mb"] = first["max_rss_mb"]
    figures["second_to_first"] = round(second["seconds"] / first["seconds"], 3)
    figures["target_second_to_first"] = 0.3
    if first["apply_seconds"] and second["apply_seconds"] is not None:  # in the command
        figures["apply_rows_per_second"] = round(content["rows"] / first["apply_seconds"], 1)
        figures["apply_second_to_first"] = round(
            second["apply_seconds"] / first["apply_seconds"], 3
        )
    return figures


def prepare_roster(
    port: int, env: dict[str, str], report: gen.GenerateReport
) -> tuple[roster_bench.RosterLoad | None, dict[str, Any] | None]:
    """The roster figures' chief, signed in (bench.roster), when the data set has its
    school; a failure is reported and the other figures still count."""
    from app.demo.seed import DEMO_PASSWORD

    if report.roster_school is None:
        return None, None
    try:
        load = roster_bench.prepare(port, env, report.roster_school, DEMO_PASSWORD, USER_AGENT)
    except (BenchError, OSError, http.client.HTTPException, RuntimeError) as error:
        return None, {"error": f"{type(error).__name__}: {error}"}
    return load, load.as_dict()


def school_count(env: dict[str, str]) -> int:
    import psycopg

    url = env["DATABASE_URL"].replace("postgresql+psycopg://", "postgresql://", 1)
    with psycopg.connect(url) as conn:
        row = conn.execute("SELECT max(id) FROM school").fetchone()
    return int(row[0]) if row and row[0] else 1


# ---- gunicorn ----------------------------------------------------------------------------


@dataclass
class Server:
    process: subprocess.Popen[bytes]
    port: int
    log: Path
    command: list[str]

    def tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


def start_gunicorn(settings: Settings, env: dict[str, str], workdir: Path) -> Server:
    port = settings.port or free_port()
    log = workdir / "gunicorn.log"
    command = [
        str(VENV_BIN / "gunicorn"), *settings.gunicorn_args,
        "-b", f"{HOST}:{port}", "--worker-tmp-dir", "/dev/shm",  # noqa: S108 - gunicorn's advice
        "--log-level", "warning", "--error-logfile", str(log),
        "--graceful-timeout", "5", "bench.wsgi_bench:app",
    ]  # fmt: skip
    with log.open("ab") as sink:
        process = subprocess.Popen(
            command,
            cwd=ROOT,
            env=env,
            stdout=sink,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    server = Server(process, port, log, command)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise BenchError(f"gunicorn exited ({process.returncode}):\n{server.tail()}")
        with contextlib.suppress(OSError, http.client.HTTPException):
            status, _, _ = request(port, "GET", "/healthz", timeout=2)
            if status == 200:
                return server
        time.sleep(0.2)
    raise BenchError(f"gunicorn did not answer /healthz within 60 s:\n{server.tail()}")


def stop_gunicorn(server: Server) -> None:
    """Stop the master we started (it stops its workers)."""
    stop_process(server.process)


# ---- CPU accounting (/proc) ----------------------------------------------------------------

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def _cpu_seconds(pid: int) -> float | None:
    """utime + stime of one process, or None if it is gone or unreadable."""
    try:
        data = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = data[data.rindex(")") + 2 :].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def _children(pid: int) -> list[int]:
    try:
        return [int(x) for x in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def _machine() -> tuple[float, float]:
    """(busy, all) CPU seconds of the whole machine since boot."""
    values = [int(x) for x in Path("/proc/stat").read_text().splitlines()[0].split()[1:9]]
    user, nice, system, idle, iowait, irq, softirq, steal = values
    busy = user + nice + system + irq + softirq
    return busy / CLOCK_TICKS, (busy + idle + iowait + steal) / CLOCK_TICKS


def _client_seconds() -> float:
    import resource

    usage = resource.getrusage(resource.RUSAGE_CHILDREN)  # wrk, once it has been reaped
    return usage.ru_utime + usage.ru_stime


@dataclass
class CpuSample:
    app: dict[int, float]
    db: dict[int, float]
    client: float
    busy: float
    wall: float


class CpuMeter:
    """CPU of our gunicorn processes, of our database's backends, of wrk; the rest is
    everything else on the machine (other people's tests, PostgreSQL's background work)."""

    def __init__(self, master: int, database_url: str) -> None:
        self.master = master
        self.url = database_url.replace("postgresql+psycopg://", "postgresql://", 1)
        self.database = database_url.rsplit("/", 1)[1]

    def _backends(self) -> list[int]:
        import psycopg

        with psycopg.connect(self.url, autocommit=True) as conn:
            rows = conn.execute(
                "SELECT pid FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
                (self.database,),
            ).fetchall()
        return [int(r[0]) for r in rows]

    def sample(self) -> CpuSample:
        def read(pids: list[int]) -> dict[int, float]:
            got = {pid: _cpu_seconds(pid) for pid in pids}
            return {pid: value for pid, value in got.items() if value is not None}

        app = read([self.master, *_children(self.master)])
        try:
            db = read(self._backends())
        except Exception:  # the meter must never break the run
            db = {}
        busy, _ = _machine()
        return CpuSample(app, db, _client_seconds(), busy, time.monotonic())

    @staticmethod
    def usage(before: CpuSample, after: CpuSample) -> dict[str, float]:
        def spent(a: dict[int, float], b: dict[int, float]) -> float:
            return sum(value - a.get(pid, 0.0) for pid, value in b.items())

        app, db = spent(before.app, after.app), spent(before.db, after.db)
        client = after.client - before.client
        wall = max(after.wall - before.wall, 1e-6)
        other = (after.busy - before.busy) - app - db - client
        return {"app": app, "db": db, "client": client, "other_cores": max(other, 0) / wall}


# ---- HTTP client (sign-in and probes) ----------------------------------------------------


def request(
    port: int,
    method: str,
    path: str,
    *,
    headers: dict[str, str] | None = None,
    body: str | None = None,
    conn: http.client.HTTPConnection | None = None,
    timeout: float = 30,
) -> tuple[int, dict[str, str], str]:
    own = conn is None
    conn = conn or http.client.HTTPConnection(HOST, port, timeout=timeout)
    try:
        sent = {"User-Agent": USER_AGENT, **(headers or {})}
        if body is not None:
            sent.setdefault("Content-Type", "application/x-www-form-urlencoded")
        conn.request(method, path, body=body.encode() if body is not None else None, headers=sent)
        response = conn.getresponse()
        text = response.read().decode("utf-8", errors="replace")
        got: dict[str, str] = {}
        for key, value in response.getheaders():
            if key.lower() == "set-cookie":
                got["set-cookie"] = got.get("set-cookie", "") + "\n" + value
            else:
                got[key.lower()] = value
        return response.status, got, text
    finally:
        if own:
            conn.close()


@dataclass
class TeacherSession:
    teacher_id: int
    cookie: str  # "session=…"
    csrf: str
    version: int

    def absorb(self, headers: dict[str, str]) -> None:
        for line in headers.get("set-cookie", "").splitlines():
            if not line.strip():
                continue
            jar: SimpleCookie = SimpleCookie()
            jar.load(line)
            if "session" in jar:
                self.cookie = f"session={jar['session'].value}"


def sign_in(port: int, national_id: str, teacher_id: int, password: str) -> TeacherSession:
    """The real login form, then the plan page for the CSRF token and the plan version."""
    conn = http.client.HTTPConnection(HOST, port, timeout=60)
    try:
        session = TeacherSession(teacher_id, "", "", 0)
        status, headers, text = request(port, "GET", "/teacher/login", conn=conn)
        session.absorb(headers)
        token = _CSRF_INPUT.search(text)
        if status != 200 or token is None:
            raise BenchError(f"login page: HTTP {status}")
        form = urlencode(
            {"csrf_token": token.group(1), "national_id": national_id, "password": password}
        )
        status, headers, _ = request(
            port, "POST", "/teacher/login", conn=conn, body=form, headers={"Cookie": session.cookie}
        )
        session.absorb(headers)
        if status != 303:
            raise BenchError(f"sign-in refused: HTTP {status}")
        refresh(port, session, conn)
        return session
    finally:
        conn.close()


def refresh(
    port: int, session: TeacherSession, conn: http.client.HTTPConnection | None = None
) -> None:
    status, headers, text = request(
        port, "GET", PAGE, conn=conn, headers={"Cookie": session.cookie}
    )
    session.absorb(headers)
    csrf, version = _CSRF_HEADER.search(text), _VERSION.search(text)
    if status != 200 or csrf is None or version is None:
        raise BenchError(f"plan page: HTTP {status}, no editable form")
    session.csrf, session.version = csrf.group(1), int(version.group(1))


def refresh_all(port: int, sessions: list[TeacherSession]) -> None:
    """Read every teacher's current plan version again (after an autosave run)."""
    with ThreadPoolExecutor(4) as pool:
        list(pool.map(lambda session: refresh(port, session), sessions))


def sign_in_all(port: int, logins: list[tuple[str, int]], parallel: int) -> list[TeacherSession]:
    from app.demo.seed import DEMO_PASSWORD

    def one(login: tuple[str, int]) -> TeacherSession | str:
        try:
            return sign_in(port, login[0], login[1], DEMO_PASSWORD)
        except (BenchError, OSError, http.client.HTTPException) as error:
            return str(error)

    with ThreadPoolExecutor(parallel) as pool:
        results = list(pool.map(one, logins))
    sessions = [r for r in results if isinstance(r, TeacherSession)]
    failures = [r for r in results if isinstance(r, str)]
    if not sessions:
        raise BenchError(f"no teacher could sign in: {failures[:3]}")
    if failures:
        print(f"  {len(failures)} sign-ins failed, e.g. {failures[0]}", file=sys.stderr)
    return sessions


def autosave_body(version: int) -> str:
    return urlencode([("version", str(version)), *AUTOSAVE_FORM])


def autosave_headers(session: TeacherSession) -> dict[str, str]:
    return {"Cookie": session.cookie, "X-CSRFToken": session.csrf, "HX-Request": "true"}


# ---- statement counts --------------------------------------------------------------------


def probe(port: int, sessions: list[TeacherSession], n: int = 12) -> dict[str, Any]:
    """Count the statements of sequential requests of each kind (twice an autosave per
    teacher: a first save may insert the plan); keep the statement text of each count."""
    out: dict[str, Any] = {}
    explain = {"X-Bench-Explain": "1"}

    def record(kind: str, status: int, headers: dict[str, str]) -> None:
        entry = out.setdefault(kind, {"counts": [], "statuses": [], "variants": {}})
        entry["statuses"].append(status)
        count = int(headers.get("x-bench-sql", "-1"))
        entry["counts"].append(count)
        if count not in entry["variants"] and "x-bench-sql-text" in headers:
            entry["variants"][count] = json.loads(base64.b64decode(headers["x-bench-sql-text"]))

    conn = http.client.HTTPConnection(HOST, port, timeout=30)
    try:
        for i in range(n):
            status, headers, _ = request(
                port, "GET", f"{BARE}?id={i + 1}", conn=conn, headers=explain
            )
            record("bare", status, headers)
            session = sessions[i % len(sessions)]
            status, headers, _ = request(
                port, "GET", PAGE, conn=conn, headers={"Cookie": session.cookie, **explain}
            )
            record("page", status, headers)
            for _ in range(2):
                status, headers, text = request(
                    port,
                    "POST",
                    AUTOSAVE,
                    conn=conn,
                    body=autosave_body(session.version),
                    headers={**autosave_headers(session), **explain},
                )
                record("autosave", status, headers)
                found = _VERSION.search(text)
                if "status-error" in text or found is None:
                    raise BenchError(f"autosave probe refused (HTTP {status}): {text[:300]}")
                session.version = int(found.group(1))
    finally:
        conn.close()
    for entry in out.values():
        counts = entry["counts"]
        entry["min"], entry["max"] = min(counts), max(counts)
        entry["mean"] = sum(counts) / len(counts)
        entry["typical"] = max(set(counts), key=counts.count)
        entry["variants"] = {str(k): v for k, v in sorted(entry["variants"].items())}
    return out


# ---- wrk ---------------------------------------------------------------------------------

WRK_SCRIPT = r"""
-- Written by bench/harness.py for each wrk run. One connection per wrk thread, so
-- request() and response() alternate and `current` is the teacher being answered.
local threads = {}
local counter = 0

function setup(thread)
  counter = counter + 1
  thread:set("id", counter)
  table.insert(threads, thread)
end

function init(args)
  local data = dofile(args[1])
  mode = args[2]
  limit = tonumber(args[3])
  local nthreads = tonumber(args[4])
  mine = {}
  for i, s in ipairs(data.sessions) do
    if (i - 1) % nthreads == id - 1 then table.insert(mine, s) end
  end
  if #mine == 0 then mine = data.sessions end
  schools = data.schools
  body = data.body
  get = data.get
  ua = data.user_agent
  idx, answered, bad, refused, sql_sum, sql_n, sql_max = 0, 0, 0, 0, 0, 0, 0
end

function request()
  idx = idx + 1
  if get then return wrk.format("GET", get.path, get.headers) end
  if mode == "bare" then
    local school = ((id * 7919 + idx * 31) % schools) + 1
    return wrk.format("GET", "/_bench/bare?id=" .. school, {["User-Agent"] = ua})
  end
  current = mine[(idx - 1) % #mine + 1]
  if mode == "page" then
    return wrk.format("GET", "/teacher/plan",
                      {["User-Agent"] = ua, ["Cookie"] = current.cookie})
  end
  return wrk.format("POST", "/teacher/plan/autosave", {
    ["User-Agent"] = ua, ["Cookie"] = current.cookie, ["X-CSRFToken"] = current.csrf,
    ["HX-Request"] = "true", ["Content-Type"] = "application/x-www-form-urlencoded",
  }, "version=" .. current.version .. "&" .. body)
end

function response(status, headers, body)
  answered = answered + 1
  if status ~= 200 then bad = bad + 1 end
  local n = tonumber(headers["X-Bench-SQL"])
  if n then
    sql_sum = sql_sum + n
    sql_n = sql_n + 1
    if n > sql_max then sql_max = n end
  end
  if mode == "autosave" and current then
    local v = string.match(body, 'name="version" value="(%d+)"')
    if v then current.version = tonumber(v) end
    if string.find(body, "status-error", 1, true) then refused = refused + 1 end
  end
  if limit > 0 and answered >= limit then wrk.thread:stop() end
end

function done(summary, latency, requests)
  local t = {answered = 0, bad = 0, refused = 0, sql_sum = 0, sql_n = 0, sql_max = 0}
  for _, thread in ipairs(threads) do
    for _, k in ipairs({"answered", "bad", "refused", "sql_sum", "sql_n"}) do
      t[k] = t[k] + (thread:get(k) or 0)
    end
    t.sql_max = math.max(t.sql_max, thread:get("sql_max") or 0)
  end
  local e = summary.errors
  io.write(string.format(
    'BENCH_JSON {"requests": %d, "duration_us": %d, "p50_us": %d, "p95_us": %d, ' ..
    '"p99_us": %d, "max_us": %d, "mean_us": %.1f, "errors": {"connect": %d, "read": %d, ' ..
    '"write": %d, "status": %d, "timeout": %d}, "answered": %d, "non_200": %d, ' ..
    '"refused": %d, "sql_sum": %d, "sql_n": %d, "sql_max": %d}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(95),
    latency:percentile(99), latency.max, latency.mean, e.connect, e.read, e.write,
    e.status, e.timeout, t.answered, t.bad, t.refused, t.sql_sum, t.sql_n, t.sql_max))
end
"""


def _lua_string(value: str) -> str:
    if not re.fullmatch(r"[\x20-\x7e]*", value):
        raise BenchError("non-ASCII value for the wrk script")
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def write_wrk_data(
    path: Path, sessions: list[TeacherSession], schools: int, get: dict[str, Any] | None = None
) -> None:
    """The wrk script's data; with `get` ({"path", "headers"}), every request is that GET."""
    body = urlencode(AUTOSAVE_FORM)
    lines = [
        "return {",
        f"  schools = {schools},",
        f"  body = {_lua_string(body)},",
        f"  user_agent = {_lua_string(USER_AGENT)},",
    ]
    if get is not None:
        headers = ", ".join(
            f"[{_lua_string(k)}] = {_lua_string(v)}" for k, v in get["headers"].items()
        )
        lines.append(f"  get = {{path = {_lua_string(get['path'])}, headers = {{{headers}}}}},")
    lines.append("  sessions = {")
    for s in sessions:
        lines.append(
            f"    {{cookie = {_lua_string(s.cookie)}, csrf = {_lua_string(s.csrf)}, "
            f"version = {s.version}}},"
        )
    lines += ["  },", "}"]
    path.write_text("\n".join(lines) + "\n")


@dataclass
class Figures:
    kind: str
    requests: int
    seconds: float
    rps: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    non_200: int
    refused: int
    errors: dict[str, int]
    sql_mean: float | None
    sql_max: int | None
    cpu: dict[str, float] | None = None  # seconds: app, db, client; other_cores


@dataclass
class Summary:
    """One endpoint over every round."""

    kind: str
    rounds: list[Figures]

    @property
    def requests(self) -> int:
        return sum(f.requests for f in self.rounds)

    @property
    def rps(self) -> float:
        seconds = sum(f.seconds for f in self.rounds)
        return self.requests / seconds if seconds else 0.0

    def median(self, name: str) -> float:
        values = sorted(getattr(f, name) for f in self.rounds)
        middle = len(values) // 2
        return values[middle] if len(values) % 2 else (values[middle - 1] + values[middle]) / 2

    @property
    def failures(self) -> int:
        return sum(f.non_200 + f.refused + sum(f.errors.values()) for f in self.rounds)

    def cpu_ms(self, part: str) -> float | None:
        if any(f.cpu is None for f in self.rounds) or not self.requests:
            return None
        return 1000 * sum(f.cpu[part] for f in self.rounds if f.cpu) / self.requests

    @property
    def other_cores(self) -> float | None:
        values = [f.cpu["other_cores"] for f in self.rounds if f.cpu]
        return sum(values) / len(values) if values else None

    def as_dict(self) -> dict[str, Any]:
        return {
            "requests": self.requests,
            "rps": round(self.rps, 1),
            "rps_per_round": [f.rps for f in self.rounds],
            "p50_ms": round(self.median("p50_ms"), 2),
            "p95_ms": round(self.median("p95_ms"), 2),
            "p99_ms": round(self.median("p99_ms"), 2),
            "failures": self.failures,
            "sql_per_request_under_load": {
                "mean": self.rounds[-1].sql_mean,
                "max": max((f.sql_max or 0) for f in self.rounds),
            },
            "cpu_ms_per_request": {
                part: None if self.cpu_ms(part) is None else round(self.cpu_ms(part) or 0, 3)
                for part in ("app", "db", "client")
            },
            "other_load_cores": None if self.other_cores is None else round(self.other_cores, 2),
        }


def run_wrk(
    settings: Settings,
    port: int,
    workdir: Path,
    kind: str,
    seconds: float,
    sessions: list[TeacherSession],
    schools: int,
    meter: CpuMeter | None = None,
    get: dict[str, Any] | None = None,
) -> Figures:
    script, data = workdir / "load.lua", workdir / f"data-{kind}.lua"
    script.write_text(WRK_SCRIPT)
    write_wrk_data(data, sessions, schools, get)
    c = settings.connections
    per_thread = math.ceil(settings.max_requests / c)
    command = [
        shutil.which("wrk") or "wrk", "-t", str(c), "-c", str(c), "-d", f"{seconds:g}s",
        "--timeout", "10s", "-s", str(script), f"http://{HOST}:{port}",
        str(data), kind, str(per_thread), str(c),
    ]  # fmt: skip
    before = meter.sample() if meter else None
    done = subprocess.run(
        command, capture_output=True, text=True, timeout=seconds + 60, check=False
    )
    cpu = CpuMeter.usage(before, meter.sample()) if meter and before else None
    line = next((x for x in done.stdout.splitlines() if x.startswith("BENCH_JSON ")), None)
    if done.returncode != 0 or line is None:
        raise BenchError(f"wrk failed ({done.returncode}): {done.stderr or done.stdout}")
    raw = json.loads(line.removeprefix("BENCH_JSON "))
    secs = raw["duration_us"] / 1e6
    return Figures(
        kind=kind,
        requests=raw["requests"],
        seconds=round(secs, 2),
        rps=round(raw["requests"] / secs, 1) if secs else 0.0,
        p50_ms=raw["p50_us"] / 1000,
        p95_ms=raw["p95_us"] / 1000,
        p99_ms=raw["p99_us"] / 1000,
        non_200=raw["non_200"],
        refused=raw["refused"],
        errors=raw["errors"],
        sql_mean=round(raw["sql_sum"] / raw["sql_n"], 2) if raw["sql_n"] else None,
        sql_max=raw["sql_max"] if raw["sql_n"] else None,
        cpu=cpu,
    )


# ---- the PDF figures of issue 4 (bench/pdf.py, another module) -----------------------------


def run_pdf(context: dict[str, Any]) -> dict[str, Any] | None:
    try:
        from bench import pdf
    except ImportError:
        return None
    runner = getattr(pdf, "run", None)
    if runner is None:
        return {"error": "bench/pdf.py has no run()"}
    parameters = inspect.signature(runner).parameters
    takes_any = any(p.kind == p.VAR_KEYWORD for p in parameters.values())
    kwargs = {k: v for k, v in context.items() if takes_any or k in parameters}
    try:
        single = not kwargs and len(parameters) == 1
        result = runner(context) if single else runner(**kwargs)
    except Exception as error:  # report it; the other figures still count
        return {"error": f"{type(error).__name__}: {error}"}
    return result if isinstance(result, dict) else {"result": result}


# ---- report ------------------------------------------------------------------------------


def _fmt(value: float | None, spec: str = ".1f") -> str:
    return "—" if value is None else format(value, spec)


def table(results: dict[str, Summary], probes: dict[str, Any]) -> str:
    bare = results["bare"]
    bare_cpu = (bare.cpu_ms("app") or 0) + (bare.cpu_ms("db") or 0)
    head = (
        f"{'endpoint':<30}{'req/s':>8}{'p50 ms':>8}{'p95 ms':>8}{'× bare':>8}{'target':>8}"
        f"{'':>6}{'CPU ms/req':>12}{'× bare':>8}{'SQL/req':>9}{'failed':>8}"
    )
    sub = f"{'':<76}{'app+DB':>12}{'(CPU)':>8}"
    rows = [head, sub, "-" * len(head)]
    for kind, f in results.items():
        ratio = f.rps / bare.rps if bare.rps else 0.0
        target = TARGETS.get(kind)
        verdict = "" if target is None else ("ok" if ratio >= target else "MISS")
        app, db = f.cpu_ms("app"), f.cpu_ms("db")
        cpu = None if app is None or db is None else app + db
        cpu_text = "—" if app is None or db is None else f"{app:.2f}+{db:.2f}"
        cpu_ratio = "—" if not cpu or not bare_cpu else f"{bare_cpu / cpu:.2f}"
        entry = probes.get(kind, {})
        sql, top = entry.get("typical"), entry.get("max")
        sql_text = "—" if sql is None else f"{sql}" if top == sql else f"{sql} ({top})"
        target_text = "=" if kind == "bare" else f"≥ {target:.1f}" if target else "—"
        rows.append(
            f"{LABELS[kind]:<30}{f.rps:>8.1f}{f.median('p50_ms'):>8.1f}"
            f"{f.median('p95_ms'):>8.1f}{ratio:>8.2f}{target_text:>8}{verdict:>6}"
            f"{cpu_text:>12}{cpu_ratio:>8}{sql_text:>9}{f.failures:>8}"
        )
    rows.append("")
    page, autosave = results["page"].rps, results["autosave"].rps
    rows.append(
        f"against the issue's reference bare endpoint (~{BARE_REFERENCE} req/s on 2 cores): "
        f"page {page / BARE_REFERENCE:.2f} (target 0.5), "
        f"autosave {autosave / BARE_REFERENCE:.2f} (target 0.6)"
    )
    spread = ", ".join(
        f"{k} {min(x.rps for x in v.rounds):.0f}–{max(x.rps for x in v.rounds):.0f}"
        for k, v in results.items()
    )
    rows.append(f"req/s per round: {spread}")
    loads = [v.other_cores for v in results.values() if v.other_cores is not None]
    if loads:
        busy = max(loads)
        note = "  (the machine was shared: figures are noisy)" if busy > 0.25 else ""
        rows.append(f"other load on the machine meanwhile: up to {busy:.2f} cores{note}")
    rows.append(
        f"SQL: typical (max) statements per request (probes); target ≤ {MAX_STATEMENTS}. "
        "Not counted: pool pre-ping, BEGIN, COMMIT/ROLLBACK (a round trip each)."
    )
    return "\n".join(rows)


def shorten(sql: str, width: int = 150) -> str:
    """SELECT <columns> FROM … → SELECT … FROM …: the tables and conditions are what matter."""
    if sql.startswith("SELECT "):
        depth = 0
        for i, char in enumerate(sql):
            depth += {"(": 1, ")": -1}.get(char, 0)
            if depth == 0 and sql.startswith(" FROM ", i):
                sql = " ".join(("SELECT …", sql[i + 1 :]))
                break
    return sql if len(sql) <= width else sql[: width - 1] + "…"


def statements_text(probes: dict[str, Any]) -> str:
    lines = []
    for kind in (k for k in probes if k != "bare"):
        entry = probes.get(kind) or {}
        counts = entry.get("counts", [])
        lines.append(
            f"{LABELS[kind]}: typically {entry.get('typical')} statements, "
            f"{entry.get('min')}–{entry.get('max')} over {len(counts)} probes"
        )
        for count, statements in (entry.get("variants") or {}).items():
            lines.append(f"  with {count}:")
            lines += [f"    {n}. {shorten(sql)}" for n, sql in enumerate(statements, 1)]
    return "\n".join(lines)


def _interrupt(_signum: int, _frame: Any) -> None:
    """SIGTERM behaves like Ctrl-C, so that the clean-up runs."""
    raise KeyboardInterrupt


class Run:
    """One run's resources; `close()` releases every one of them, whatever happened."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.database = f"bench_{os.getpid()}_{secrets.token_hex(3)}"
        self.workdir = Path(tempfile.mkdtemp(prefix="jinxiu-bench-"))
        self.server: Server | None = None
        self.created = False
        self.redis_keys = redis_keys()  # what was there before: only newer keys are ours

    def environment(self, url: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("BENCH_", "FLASK_"))}
        env.update(
            APP_ENV="production",
            DATABASE_URL=url,
            SECRET_KEY=secrets.token_urlsafe(48),
            PERSONAL_DATA_KEY=secrets.token_urlsafe(48),
            REDIS_URL=REDIS_URL,
            PDF_CACHE_DIR=str(self.workdir / "pdf"),
            BENCH_SQL_COUNT="1",
            PYTHONDONTWRITEBYTECODE="1",
        )
        if self.settings.keep:  # throwaway secrets of a throwaway database
            (self.workdir / "env.json").write_text(
                json.dumps({k: env[k] for k in env if k not in os.environ or k in SERVER_ENV})
            )
        return env

    def close(self) -> None:
        if self.server is not None:
            stop_gunicorn(self.server)
        forget_redis_keys(self.redis_keys)  # rate-limit counters, RQ registries of this run
        if self.settings.keep:
            print(f"kept: database {self.database}, {self.workdir} (env.json: its settings)")
            return
        if self.created:
            try:
                drop_database(self.database)
            except Exception as error:  # say so, finish the clean-up
                print(f"could not drop database {self.database}: {error}", file=sys.stderr)
        shutil.rmtree(self.workdir, ignore_errors=True)


def redis_keys(url: str = REDIS_URL) -> set[bytes] | None:
    """The keys of a benchmark's Redis database now (None without Redis)."""
    try:
        from redis import Redis

        with Redis.from_url(url, socket_timeout=5) as redis:
            return set(redis.scan_iter(count=1000))
    except Exception:  # no Redis: nothing to clean either
        return None


def forget_redis_keys(before: set[bytes] | None, url: str = REDIS_URL) -> None:
    """Delete the keys this run added (rate limits, RQ queues and jobs) to its Redis db."""
    if before is None:
        return
    try:
        from redis import Redis

        with Redis.from_url(url, socket_timeout=5) as redis:
            new = [key for key in redis.scan_iter(count=1000) if key not in before]
            for start in range(0, len(new), 500):
                redis.delete(*new[start : start + 500])
    except Exception as error:  # say so, finish the clean-up
        print(f"could not clean Redis ({url}): {error}", file=sys.stderr)


def say(message: str, started: float) -> None:
    print(f"[{time.monotonic() - started:6.1f} s] {message}", flush=True)


def execute(run: Run, started: float) -> dict[str, Any]:
    settings = run.settings
    url = create_database(run.database)
    run.created = True
    env = run.environment(url)
    say(
        f"database {run.database}; generating {settings.schools:,} schools × "
        f"{settings.teachers_per_school} teachers",
        started,
    )
    report = populate(settings, env)
    created = ", ".join(f"{k} {v:,}" for k, v in report.created.items())
    say(f"generated in {report.seconds:.1f} s: {created}", started)
    if not report.logins:
        raise BenchError("the generator found no teacher whose plan window is open")
    lookups: dict[str, Any] | None = None
    feed = analytics = oversight = None
    if not settings.plan_only:
        lookups = lookup_figures(env)
        say(f"national-ID lookup (issue 10): {lookups}", started)
        feed = feed_figures(env, settings.feed_rows, run.workdir) if settings.feed_rows else None
        say(f"taipei feed (issue 11): {feed}", started)
        analytics = bench_analytics.run(_local_app(env))  # 進修需求分析, bench/analytics.py
        say(f"needs analytics page: {analytics}", started)
        oversight = oversight_figures(env)
        say(f"completion dashboards: {oversight}", started)

    run.server = start_gunicorn(settings, env, run.workdir)
    port = run.server.port
    say(
        f"gunicorn {' '.join(settings.gunicorn_args)} on {HOST}:{port} (APP_ENV=production)",
        started,
    )
    sessions = sign_in_all(port, report.logins, parallel=settings.workers * settings.threads)
    say(f"{len(sessions)} teachers signed in (real form: CSRF + argon2)", started)
    probes = probe(port, sessions)
    say(
        "statements counted: " + ", ".join(f"{k} {v['min']}–{v['max']}" for k, v in probes.items()),
        started,
    )
    schools = school_count(env)
    roster, roster_info = (None, None) if settings.plan_only else prepare_roster(port, env, report)
    gets = roster.requests(USER_AGENT) if roster else {}
    if roster:
        probes.update(roster.probes)
        say(f"roster: chief of school {roster.school['code']} signed in; {roster_info}", started)

    meter = CpuMeter(run.server.process.pid, url)
    kinds = ("bare", "page", "autosave", *gets)
    if settings.warmup > 0:
        for kind in kinds:
            run_wrk(
                settings, port, run.workdir, kind, settings.warmup, sessions, schools,
                get=gets.get(kind),
            )  # fmt: skip
        refresh_all(port, sessions)  # the autosave warm-up moved every plan's version on
        say(f"warmed up ({settings.warmup:g} s per endpoint)", started)
    rounds: dict[str, list[Figures]] = {kind: [] for kind in kinds}
    for number in range(1, settings.rounds + 1):
        for kind in kinds:
            figures = run_wrk(
                settings, port, run.workdir, kind, settings.duration, sessions, schools, meter,
                gets.get(kind),
            )  # fmt: skip
            rounds[kind].append(figures)
            cpu = figures.cpu or {}
            per = 1000 / figures.requests if figures.requests else 0.0
            failed = figures.non_200 + figures.refused + sum(figures.errors.values())
            say(
                f"round {number} {kind:<8} {figures.rps:7.1f} req/s  p50 {figures.p50_ms:5.1f} ms"
                f"  p95 {figures.p95_ms:6.1f} ms  CPU/req app {cpu.get('app', 0) * per:.2f} ms"
                f" DB {cpu.get('db', 0) * per:.2f} ms  other load "
                f"{cpu.get('other_cores', 0):.2f} cores  {failed} failed",
                started,
            )
            if kind == "autosave":
                refresh_all(port, sessions)
    results = {kind: Summary(kind, rounds[kind]) for kind in kinds}

    pdf = None
    if settings.pdf:
        context = {
            "base_url": f"http://{HOST}:{port}",
            "port": port,
            "env": dict(env),
            "database_url": url,
            "sessions": [asdict(s) for s in sessions],
            "user_agent": USER_AGENT,
            "workdir": run.workdir,
            "bare_rps": round(results["bare"].rps, 1),
            "say": lambda message: say(message, started),
        }
        pdf = run_pdf(context)
        if pdf is not None:
            say("PDF figures done", started)
    return {
        "report": report,
        "probes": probes,
        "results": results,
        "pdf": pdf,
        "lookups": lookups,
        "feed": feed,
        "analytics": analytics,
        "oversight": oversight,
        "roster": roster_info,
        "sessions": len(sessions),
    }


def render(settings: Settings, out: dict[str, Any], server_cmd: str) -> dict[str, Any]:
    results: dict[str, Summary] = out["results"]
    probes: dict[str, Any] = out["probes"]
    report: gen.GenerateReport = out["report"]
    bare = results["bare"].rps
    print()
    print(
        f"進修規劃 benchmark — {os.cpu_count()} CPUs, {report.created.get('teachers', 0):,} "
        f"generated teachers in {report.created.get('schools', 0):,} schools, "
        f"{out['sessions']} signed in; {server_cmd}; wrk {settings.connections} connections; "
        f"{settings.rounds} rounds × {settings.duration:g} s per endpoint"
    )
    print(table(results, probes))
    print(
        "load average at the end (1, 5, 15 min): " + ", ".join(f"{x:.2f}" for x in os.getloadavg())
    )
    print()
    print(statements_text(probes))
    lookups = out.get("lookups") or {}
    print()
    print(
        "register a teacher by national ID (issue 10, in-process, median of "
        f"{lookups.get('lookups', '—')} lookups among {lookups.get('teachers', '—')} teachers): "
        f"{lookups.get('national_id_ms', '—')} ms; × a primary-key lookup "
        f"({lookups.get('primary_key_ms', '—')} ms) {lookups.get('ratio_to_primary_key', '—')}"
        + (f"  ERROR {lookups['error']}" if "error" in lookups else "")
    )
    feed = out.get("feed")
    if feed and "rows_per_second" in feed:
        target = feed["target_second_to_first"]
        verdict = "ok" if feed["second_to_first"] <= target else "MISS"
        print(
            f"taipei feed of {feed['file']['rows']:,} rows (issue 11, `flask sync taipei`, "
            f"wall time incl. start-up): first run {feed['first']['seconds']} s = "
            f"{feed['rows_per_second']:,} rows/s, peak RSS {feed['peak_rss_mb']} MB; "
            f"second (no change) ÷ first {feed['second_to_first']:.2f} (target ≤ 0.3) {verdict}"
        )
        if "apply_second_to_first" in feed:
            ratio = feed["apply_second_to_first"]
            print(
                f"  the apply alone (timed in the command, sync_run started_at → finished_at): "
                f"first {feed['first']['apply_seconds']} s = "
                f"{feed['apply_rows_per_second']:,} rows/s, second "
                f"{feed['second']['apply_seconds']} s; second ÷ first {ratio:.2f} "
                f"(target ≤ 0.3) {'ok' if ratio <= target else 'MISS'}"
            )
    elif feed:
        print(f"taipei feed (issue 11): {feed}")
    print(f"needs analytics page (in-process, ÷ a count of teacher_plan, target ≤ 3): "
          f"{out.get('analytics')}")  # fmt: skip
    roster = out.get("roster")
    if roster and "error" not in roster:
        print(
            f"roster (school administration): school {roster['school_code']} of "
            f"{roster['teachers']} teachers, its chief {roster['chief']} signed in; the htmx "
            f"search 「{roster['search_text']}」 finds {roster['search_matches']} "
            "(the commonest surname there)"
        )
    elif roster:
        print(f"roster (school administration): {roster}")
    if out["pdf"] is not None:
        print()
        print("PDF (issue 4, bench/pdf.py):")
        for key, value in out["pdf"].items():
            print(f"  {key}: {value}")
    return {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
        },
        "settings": asdict(settings),
        "server": server_cmd,
        "data": {
            "created": report.created,
            "generate_seconds": round(report.seconds, 1),
            "cycle": report.cycle_year,
            "signed_in": out["sessions"],
        },
        "targets": {
            "page_ratio": TARGETS["page"],
            "autosave_ratio": TARGETS["autosave"],
            "max_statements": MAX_STATEMENTS,
            "bare_reference_rps": BARE_REFERENCE,
        },
        "endpoints": {
            kind: {
                "path": LABELS[kind],
                **summary.as_dict(),
                "ratio_to_bare": round(summary.rps / bare, 3) if bare else None,
                "ratio_to_reference": round(summary.rps / BARE_REFERENCE, 3),
                "target_ratio": TARGETS.get(kind),
                "meets_target": (summary.rps / bare >= TARGETS[kind])
                if kind in TARGETS and bare
                else None,
                "statements": {
                    k: probes.get(kind, {}).get(k)
                    for k in ("typical", "min", "max", "mean", "variants")
                },
            }
            for kind, summary in results.items()
        },
        "pdf": out["pdf"],
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "national_id_lookup": out.get("lookups"),
        "feed": out.get("feed"),
        "analytics": out.get("analytics"),
        "oversight": out.get("oversight"),
        "roster": out.get("roster"),
    }


def main(argv: list[str] | None = None) -> int:
    settings = parse_args(argv)
    if shutil.which("wrk") is None:
        print(
            "wrk is not installed (Debian package `wrk`; `make setup` installs it)", file=sys.stderr
        )
        return 2
    started = time.monotonic()
    run = Run(settings)
    previous = signal.signal(signal.SIGTERM, _interrupt)
    try:
        out = execute(run, started)
    except BenchError as error:
        print(f"\nbench failed: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\nbench interrupted", file=sys.stderr)
        return 130
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)  # let the clean-up finish
        run.close()
        signal.signal(signal.SIGTERM, previous)
    server_cmd = "gunicorn " + " ".join(settings.gunicorn_args)
    figures = render(settings, out, server_cmd)
    RESULTS.mkdir(parents=True, exist_ok=True)
    target = RESULTS / "latest.json"
    target.write_text(json.dumps(figures, ensure_ascii=False, indent=2, default=str) + "\n")
    done = "gunicorn stopped" + ("" if settings.keep else ", database dropped")
    say(f"figures written to {target.relative_to(ROOT)}; {done}", started)
    return 0
