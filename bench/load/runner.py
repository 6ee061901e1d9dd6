"""The peak-load benchmark: `make bench-load` (= `python -m bench.load`), `--help` for options.

1. A fresh PostgreSQL database `bench_load_<pid>_<hex>`, migrated and filled by
   app.demo.generate (default 400 schools, 20,000 teachers; `--national`: 4,000 / 200,000).
2. The production processes as the README documents them: gunicorn (`-w 2 -k
   app.gunicorn_worker.QueueTimedWorker --threads 4` per 2 cores; with `--hosts 2`, two of
   them behind nginx), the RQ worker (`flask jobs worker`), PostgreSQL and Redis, with
   APP_ENV=production and fresh secrets; gunicorn serves bench.wsgi_bench (the app plus
   the bare endpoint /_bench/bare and a sign-in limit raised for one client address).
3. Locust headless in a second process (bench/load/locustfile.py): teachers, school
   contacts and authorities as in the last afternoon of a window, ramped step by step
   until the editing p95 passes 300 ms or an error appears; then 2× the last good step
   for a minute, then half of it (recovery).
4. Meanwhile bench/load/monitor.py samples CPU and memory of every part, the PDF queue
   and the database connections; afterwards the PDF queue's drain time, and every
   accepted save is looked up in the database.
5. A report on stdout, bench/results/load-latest.{json,md} (committed), raw files in
   bench/results/raw/ (ignored); processes stopped, database dropped, whatever happened.
"""

from __future__ import annotations

import argparse
import contextlib
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
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.harness import (
    create_database,
    drop_database,
    forget_redis_keys,
    redis_keys,
    request,
)
from bench.load.monitor import Monitor
from bench.procs import HOST, free_port, stop_process

ROOT = Path(__file__).resolve().parents[2]
RESULTS = ROOT / "bench" / "results"
VENV_BIN = Path(sys.executable).parent
LOCUSTFILE = Path(__file__).resolve().parent / "locustfile.py"
REDIS_URL = os.environ.get("BENCH_LOAD_REDIS_URL", "redis://127.0.0.1:6379/8")
P95_LIMIT_MS = 300.0
TARGET_EDITORS = 7000

# The README's production command, per 2 cores.
WORKERS, THREADS = 2, 4
WORKER_CLASS = "app.gunicorn_worker.QueueTimedWorker"


@dataclass
class Settings:
    schools: int = 400
    teachers: int = 20_000
    seed: int = 115
    hosts: int = 1
    time_scale: float = 10.0
    start_users: int = 40
    step_users: int = 40
    step_seconds: float = 30.0
    measure_share: float = 0.6  # of each step, the end measured (the start spawns users)
    p95_limit_ms: float = P95_LIMIT_MS
    max_users: int = 2000
    spawn_rate: float = 40.0
    overload_seconds: float = 60.0
    recovery_seconds: float = 30.0
    autosave_seconds: float = 10.0
    page_think: float = 3.0
    saves_min: int = 20
    saves_max: int = 60
    submit_share: float = 0.8
    teacher_weight: int = 90
    school_weight: int = 8
    authority_weight: int = 2
    dashboard_weight: int = 2
    bare_users: int = 2
    budget_seconds: float = 540.0
    queue_timeout_ms: int | None = None  # None: the app's default (QUEUE_TIMEOUT_MS)
    sessions: int = 0  # > 0: every editor does this many sessions, then the run ends
    smoke: bool = False
    keep: bool = False
    out: Path = RESULTS

    @property
    def weights(self) -> int:
        return self.teacher_weight + self.school_weight + self.authority_weight


def parse_args(argv: list[str] | None) -> Settings:
    d = Settings()
    p = argparse.ArgumentParser(
        prog="python -m bench.load",
        description="The peak-load benchmark (bench/load/runner.py, docs/capacity.md).",
    )
    p.add_argument("--schools", type=int, default=d.schools)
    p.add_argument("--teachers", type=int, default=d.teachers)
    p.add_argument("--national", action="store_true", help="4,000 schools, 200,000 teachers")
    p.add_argument("--seed", type=int, default=d.seed)
    p.add_argument(
        "--hosts",
        type=int,
        choices=(1, 2),
        default=d.hosts,
        help="2: two gunicorn instances behind nginx (one shared DB, Redis, PDFs)",
    )
    p.add_argument(
        "--time-scale",
        type=float,
        default=d.time_scale,
        help="each simulated user stands for this many people: think times ÷ it",
    )
    p.add_argument("--start-users", type=int, default=d.start_users)
    p.add_argument("--step-users", type=int, default=d.step_users)
    p.add_argument("--step-seconds", type=float, default=d.step_seconds)
    p.add_argument(
        "--measure-share",
        type=float,
        default=d.measure_share,
        help="the share of each step measured, at its end",
    )
    p.add_argument("--max-users", type=int, default=d.max_users)
    p.add_argument("--spawn-rate", type=float, default=d.spawn_rate)
    p.add_argument(
        "--overload-seconds",
        type=float,
        default=d.overload_seconds,
        help="seconds at 2× the capacity (0: skip)",
    )
    p.add_argument("--recovery-seconds", type=float, default=d.recovery_seconds)
    p.add_argument("--autosave-seconds", type=float, default=d.autosave_seconds)
    p.add_argument("--page-think", type=float, default=d.page_think)
    p.add_argument("--saves-min", type=int, default=d.saves_min)
    p.add_argument("--saves-max", type=int, default=d.saves_max)
    p.add_argument("--submit-share", type=float, default=d.submit_share)
    p.add_argument("--teacher-weight", type=int, default=d.teacher_weight)
    p.add_argument("--school-weight", type=int, default=d.school_weight)
    p.add_argument("--authority-weight", type=int, default=d.authority_weight)
    p.add_argument(
        "--dashboard-weight",
        type=int,
        default=d.dashboard_weight,
        help="authority dashboard refreshes (BENCH_LOAD_DASHBOARD_PATH)",
    )
    p.add_argument("--bare-users", type=int, default=d.bare_users)
    p.add_argument(
        "--budget-seconds",
        type=float,
        default=d.budget_seconds,
        help="hard limit of the Locust run",
    )
    p.add_argument(
        "--p95-limit-ms",
        type=float,
        default=d.p95_limit_ms,
        help="the editing p95 that ends the ramp (the issue's 300 ms)",
    )
    p.add_argument(
        "--queue-timeout-ms",
        type=int,
        default=None,
        help="the app's QUEUE_TIMEOUT_MS (default: the app's own, 500)",
    )
    p.add_argument(
        "--smoke",
        action="store_true",
        help="tiny data set, a few seconds of load, no overload (the test suite's)",
    )
    p.add_argument("--keep", action="store_true", help="keep the database and work directory")
    p.add_argument("--out", type=Path, default=d.out, help="where the results go")
    a = p.parse_args(argv)  # fmt: skip
    settings = Settings(**{k: v for k, v in vars(a).items() if k in Settings.__dataclass_fields__})
    if a.national:
        settings.schools, settings.teachers = 4000, 200_000
    if a.smoke:
        settings.schools, settings.teachers = min(a.schools, 6), min(a.teachers, 120)
        # A few editors for one step long enough for whole sessions, even on a busy machine
        # (its sign-ins take seconds there): the queue guard is set out of the way.
        settings.start_users, settings.step_users, settings.step_seconds = 6, 6, 20.0
        if a.queue_timeout_ms is None:
            settings.queue_timeout_ms = 60_000
        settings.max_users, settings.measure_share, settings.sessions = 6, 1.0, 1
        settings.overload_seconds = settings.recovery_seconds = 0
        settings.saves_min, settings.saves_max = 2, 4
        settings.submit_share, settings.time_scale = 1.0, 10.0
        settings.page_think, settings.bare_users = 1.0, 1
    return settings


# ---- processes ----------------------------------------------------------------------------


@dataclass
class Proc:
    name: str
    process: subprocess.Popen[bytes]
    log: Path
    port: int = 0

    def tail(self, lines: int = 20) -> str:
        with contextlib.suppress(OSError):
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        return ""


def spawn(name: str, command: list[str], env: dict[str, str], workdir: Path, port: int = 0) -> Proc:
    log = workdir / f"{name}.log"
    with log.open("ab") as sink:
        process = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=sink, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
    return Proc(name, process, log, port)


def wait_healthy(proc: Proc, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.process.poll() is not None:
            raise RuntimeError(f"{proc.name} exited ({proc.process.returncode}):\n{proc.tail()}")
        with contextlib.suppress(OSError, Exception):
            status, _, _ = request(proc.port, "GET", "/healthz", timeout=2)
            if status == 200:
                return
        time.sleep(0.2)
    raise RuntimeError(f"{proc.name} did not answer /healthz within {seconds:g} s:\n{proc.tail()}")


def gunicorn_command(port: int) -> list[str]:
    return [
        str(VENV_BIN / "gunicorn"), "-w", str(WORKERS), "-k", WORKER_CLASS,
        "--threads", str(THREADS), "-b", f"{HOST}:{port}",
        "--worker-tmp-dir", "/dev/shm",  # noqa: S108 - gunicorn's advice
        "--log-level", "warning", "--graceful-timeout", "5", "bench.wsgi_bench:app",
    ]  # fmt: skip


NGINX_CONF = """
# Written by bench/load/runner.py: two app hosts behind one proxy, loopback only.
worker_processes 1;
pid {workdir}/nginx.pid;
error_log {workdir}/nginx-error.log warn;
daemon off;
events {{ worker_connections 4096; }}
http {{
  access_log off;
  client_body_temp_path {workdir}/nginx-body;
  proxy_temp_path {workdir}/nginx-proxy;
  fastcgi_temp_path {workdir}/nginx-fastcgi;
  uwsgi_temp_path {workdir}/nginx-uwsgi;
  scgi_temp_path {workdir}/nginx-scgi;
  upstream app {{
    server {host}:{port_a};
    server {host}:{port_b};
    keepalive 64;
    # Close idle upstream connections before gunicorn's keep-alive (2 s) does: nginx
    # never resends a POST on a connection the app closed as it went out.
    keepalive_timeout 1s;
  }}
  server {{
    listen {host}:{port};
    client_max_body_size 1m;
    location / {{
      proxy_pass http://app;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host $host;
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
      proxy_set_header X-Forwarded-Proto $scheme;
      proxy_set_header X-Request-Start "t=${{msec}}";
      proxy_read_timeout 75s;
      add_header X-Content-Type-Options nosniff always;
      add_header X-Frame-Options DENY always;
    }}
  }}
}}
"""


def nginx_binary() -> str | None:
    return shutil.which("nginx") or next(
        (p for p in ("/usr/sbin/nginx",) if Path(p).exists()), None
    )


# ---- one run ------------------------------------------------------------------------------


def say(message: str, started: float) -> None:
    print(f"[{time.monotonic() - started:6.1f} s] {message}", flush=True)


def database_name() -> str:
    return f"bench_load_{os.getpid()}_{secrets.token_hex(3)}"


@dataclass
class Run:
    settings: Settings
    database: str = field(
        default_factory=lambda: f"bench_load_{os.getpid()}_{secrets.token_hex(3)}"
    )
    workdir: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="jinxiu-load-")))
    procs: list[Proc] = field(default_factory=list)
    created: bool = False
    url: str = ""
    redis_before: set[bytes] | None = None

    def environment(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("BENCH_", "FLASK_"))}
        env.update(
            APP_ENV="production",
            DATABASE_URL=self.url,
            SECRET_KEY=secrets.token_urlsafe(48),
            PERSONAL_DATA_KEY=secrets.token_urlsafe(48),
            REDIS_URL=REDIS_URL,
            PDF_CACHE_DIR=str(self.workdir / "pdf"),
            BENCH_LOGIN_RATE_LIMIT="1000000 per minute",  # one client address signs all in
            PYTHONDONTWRITEBYTECODE="1",
        )
        if self.settings.hosts == 2:
            env["TRUSTED_PROXIES"] = "1"
        if self.settings.queue_timeout_ms is not None:
            env["QUEUE_TIMEOUT_MS"] = str(self.settings.queue_timeout_ms)
        return env

    def close(self) -> None:
        for proc in reversed(self.procs):
            stop_process(proc.process)
        forget_redis_keys(self.redis_before, REDIS_URL)
        if self.settings.keep:
            print(f"kept: database {self.database}, {self.workdir}")
            return
        if self.created:
            try:
                drop_database(self.database)
            except Exception as error:  # say so, finish the clean-up
                print(f"could not drop database {self.database}: {error}", file=sys.stderr)
        shutil.rmtree(self.workdir, ignore_errors=True)


def populate(run: Run, env: dict[str, str]) -> dict[str, Any]:
    """Migrate and generate in this process with the server's keys; the logins for Locust."""
    from app import create_app
    from app.demo.generate import generate
    from app.demo.seed import DEMO_PASSWORD
    from app.extensions import db
    from app.migrate import upgrade

    settings = run.settings
    app = create_app(
        {
            "ENV_NAME": "production",
            "DATABASE_URL": env["DATABASE_URL"],
            "SECRET_KEY": env["SECRET_KEY"],
            "PERSONAL_DATA_KEY": env["PERSONAL_DATA_KEY"],
            "REDIS_URL": None,
            "SINGLE_PROCESS": True,
        }
    )
    upgrade(env["DATABASE_URL"])
    with app.app_context():
        report = generate(
            settings.schools,
            teachers=settings.teachers,
            seed_value=settings.seed,
            logins=max(200, settings.max_users * 2),
        )
        db.session.commit()
        from sqlalchemy import func, select

        from app.models import School

        max_school = db.session.scalar(select(func.max(School.id))) or 1
        db.session.remove()
    if db.engine is not None:
        db.engine.dispose()
    return {
        "report": report,
        "data": {
            "teachers": report.logins,
            "schools": report.school_logins,
            "authorities": report.authority_logins,
            "password": DEMO_PASSWORD,
            "max_school_id": max_school,
        },
    }


def locust_environment(settings: Settings, run: Run) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BENCH_")}
    values = {
        "DATA": run.workdir / "data.json",
        "STEPS": run.workdir / "steps.jsonl",
        "LEDGER": run.workdir / "ledger.json",
        "TIME_SCALE": settings.time_scale,
        "AUTOSAVE_SECONDS": settings.autosave_seconds,
        "PAGE_THINK": settings.page_think,
        "SAVES_MIN": settings.saves_min,
        "SAVES_MAX": settings.saves_max,
        "SUBMIT_SHARE": settings.submit_share,
        "TEACHER_WEIGHT": settings.teacher_weight,
        "SCHOOL_WEIGHT": settings.school_weight,
        "AUTHORITY_WEIGHT": settings.authority_weight,
        "DASHBOARD_WEIGHT": settings.dashboard_weight,
        "BARE_USERS": settings.bare_users,
        "START_USERS": settings.start_users,
        "STEP_USERS": settings.step_users,
        "STEP_SECONDS": settings.step_seconds,
        "MEASURE_SHARE": settings.measure_share,
        "SESSIONS": settings.sessions,
        "MAX_USERS": settings.max_users,
        "SPAWN_RATE": settings.spawn_rate,
        "OVERLOAD_SECONDS": settings.overload_seconds,
        "RECOVERY_SECONDS": settings.recovery_seconds,
        "P95_LIMIT_MS": settings.p95_limit_ms,
    }
    env.update({f"BENCH_LOAD_{k}": str(v) for k, v in values.items()})
    if os.environ.get("BENCH_LOAD_DASHBOARD_PATH"):
        env["BENCH_LOAD_DASHBOARD_PATH"] = os.environ["BENCH_LOAD_DASHBOARD_PATH"]
    return env


def start_servers(run: Run, env: dict[str, str], started: float) -> tuple[int, list[Proc]]:
    """gunicorn (one, or two behind nginx) and the RQ worker; returns the port to load."""
    settings = run.settings
    webs = []
    for n in range(settings.hosts):
        port = free_port()
        proc = spawn(f"gunicorn-{n + 1}", gunicorn_command(port), env, run.workdir, port)
        run.procs.append(proc)
        webs.append(proc)
    worker = spawn("rq-worker", [str(VENV_BIN / "flask"), "--app", "wsgi", "jobs", "worker"],
                   env, run.workdir)  # fmt: skip
    run.procs.append(worker)
    for proc in webs:
        wait_healthy(proc)
    say(
        f"{settings.hosts} × gunicorn -w {WORKERS} -k {WORKER_CLASS} --threads {THREADS} "
        f"on {', '.join(str(p.port) for p in webs)}; RQ worker pid {worker.process.pid}",
        started,
    )
    if settings.hosts == 1:
        return webs[0].port, webs
    binary = nginx_binary()
    if binary is None:
        raise RuntimeError("--hosts 2 needs nginx (Debian: apt-get install -y nginx)")
    port = free_port()
    conf = run.workdir / "nginx.conf"
    conf.write_text(
        NGINX_CONF.format(
            workdir=run.workdir, host=HOST, port=port, port_a=webs[0].port, port_b=webs[1].port
        )
    )
    nginx = spawn("nginx", [binary, "-c", str(conf), "-p", str(run.workdir)], env, run.workdir,
                  port)  # fmt: skip
    run.procs.append(nginx)
    wait_healthy(nginx)
    say(f"nginx on {HOST}:{port} in front of both", started)
    return port, [*webs, nginx]


def run_locust(settings: Settings, run: Run, port: int, started: float) -> Proc:
    env = locust_environment(settings, run)
    command = [
        str(VENV_BIN / "locust"), "-f", str(LOCUSTFILE), "--headless",
        "--host", f"http://{HOST}:{port}", "--only-summary", "--loglevel", "WARNING",
        "--stop-timeout", "5", "--exit-code-on-error", "0",
    ]  # fmt: skip
    proc = spawn("locust", command, env, run.workdir)
    run.procs.append(proc)
    return proc


def drain_time(monitor: Monitor, limit: float = 180.0) -> dict[str, Any]:
    """Seconds from the end of the load until the PDF queue and the worker are idle."""
    start = time.monotonic()
    queued, running = monitor.queue_length()
    first = {"queued_at_end": queued, "running_at_end": running}
    while queued or running:
        if time.monotonic() - start > limit:
            return {**first, "drain_seconds": None, "left": queued + running}
        time.sleep(0.5)
        queued, running = monitor.queue_length()
    return {**first, "drain_seconds": round(time.monotonic() - start, 1)}


_MARKER = re.compile(r"load-([ts])(\d+)-(\d+)")


def check_saves(url: str, ledger: dict[str, Any]) -> dict[str, Any]:
    """Every accepted save (the last one per plan) must be in the database: the plan holds
    that marker or a later one of the same plan."""
    import psycopg

    saves: dict[str, Any] = ledger.get("saves", {})
    lost: list[str] = []
    with psycopg.connect(url) as conn:
        cycle = conn.execute(
            "SELECT id FROM cycle WHERE status = 'published' ORDER BY academic_year DESC LIMIT 1"
        ).fetchone()
        for owner, entry in saves.items():
            table, column = ("teacher_plan", "teacher_id") if owner[0] == "t" else (
                "school_plan", "school_id")  # fmt: skip
            row = conn.execute(
                f"SELECT answers ->> 'remarks' FROM {table} WHERE {column} = %s AND cycle_id = %s",  # noqa: S608 - fixed names
                (int(owner[1:]), cycle[0] if cycle else 0),
            ).fetchone()
            found = _MARKER.fullmatch((row[0] or "") if row else "")
            if (
                found is None
                or f"{found[1]}{found[2]}" != owner
                or int(found[3]) < entry["sequence"]
            ):
                lost.append(owner)
    return {"plans_with_accepted_saves": len(saves), "lost": len(lost), "lost_examples": lost[:5]}


def read_steps(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def people(settings: Settings, users: int) -> dict[str, float]:
    """Simulated users of a step → the people they stand for, per kind."""
    editors = max(0, users - settings.bare_users)
    scale = settings.time_scale
    share = {
        "teachers": settings.teacher_weight,
        "schools": settings.school_weight,
        "authorities": settings.authority_weight,
    }
    return {k: round(editors * v / settings.weights * scale) for k, v in share.items()}


def execute(run: Run, started: float) -> dict[str, Any]:
    settings = run.settings
    run.url = create_database(run.database)
    run.created = True
    run.redis_before = redis_keys(REDIS_URL)
    env = run.environment()
    say(f"database {run.database}: generating {settings.schools:,} schools, "
        f"{settings.teachers:,} teachers", started)  # fmt: skip
    clock = time.monotonic()
    made = populate(run, env)
    report = made["report"]
    generated_in = time.monotonic() - clock
    say(f"generated in {generated_in:.1f} s: "
        + ", ".join(f"{k} {v:,}" for k, v in report.created.items()), started)  # fmt: skip
    (run.workdir / "data.json").write_text(json.dumps(made["data"], ensure_ascii=False))
    if not made["data"]["teachers"]:
        raise RuntimeError("the generator found no teacher whose plan window is open")

    port, webs = start_servers(run, env, started)
    plain_url = run.url.replace("postgresql+psycopg://", "postgresql://", 1)
    roots = {
        "web": [p.process.pid for p in webs if p.name.startswith("gunicorn")],
        "worker": [p.process.pid for p in run.procs if p.name == "rq-worker"],
        "nginx": [p.process.pid for p in webs if p.name == "nginx"],
    }
    locust = run_locust(settings, run, port, started)
    roots["locust"] = [locust.process.pid]
    monitor = Monitor(roots, run.database, plain_url, REDIS_URL)
    monitor.start()
    say(f"locust headless (pid {locust.process.pid}): ramp from {settings.start_users} users "
        f"+{settings.step_users} every {settings.step_seconds:g} s, each user = "
        f"{settings.time_scale:g} people", started)  # fmt: skip
    load_started = time.time()
    shown = 0
    deadline = time.monotonic() + settings.budget_seconds
    while locust.process.poll() is None:
        if time.monotonic() > deadline:
            say("budget reached: stopping locust", started)
            locust.process.send_signal(signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                locust.process.wait(timeout=30)
            break
        time.sleep(1)
        steps = read_steps(run.workdir / "steps.jsonl")
        for step in steps[shown:]:
            say(step_line(settings, step), started)
        shown = len(steps)
    load_ended = time.time()
    drained = drain_time(monitor)
    monitor.stop()
    say(f"PDF queue at the end of the load: {drained}", started)
    steps = read_steps(run.workdir / "steps.jsonl")
    for step in steps[shown:]:
        say(step_line(settings, step), started)
    for step in steps:
        step["resources"] = monitor.between(step["measured_from"], step["ended"])
        step["people"] = people(settings, step["users"])
    ledger_path = run.workdir / "ledger.json"
    ledger = json.loads(ledger_path.read_text()) if ledger_path.exists() else {}
    saves = check_saves(plain_url, ledger)
    say(f"accepted saves checked in the database: {saves}", started)
    raw = settings.out / "raw"
    raw.mkdir(parents=True, exist_ok=True)
    for name in ("steps.jsonl", "locust.log", "gunicorn-1.log", "rq-worker.log"):
        with contextlib.suppress(OSError):
            shutil.copy(run.workdir / name, raw / name)
    return {
        "report": report,
        "generated_seconds": round(generated_in, 1),
        "steps": steps,
        "saves": saves,
        "errors": ledger.get("errors", {}),
        "pdf_drain": drained,
        "whole": monitor.between(load_started, load_ended),
        "locust_exit": locust.process.returncode,
        "locust_tail": locust.tail(15),
    }


def step_line(settings: Settings, step: dict[str, Any]) -> str:
    who = people(settings, step["users"])
    return (
        f"{step['phase']:<8} users {step['users']:>5} (≈ {who['teachers']:,} teachers editing)"
        f"  {step['requests'] / max(step['ended'] - step['measured_from'], 1e-6):7.1f} req/s"
        f"  editing p95 {step['editing_p95_ms']:7.1f} ms  errors {step['errors']}"
        f"  shed {step['shed']}"
    )


# ---- the report ---------------------------------------------------------------------------

# The national peak (docs/capacity.md explains each figure).
NATIONAL_TEACHERS = 200_000
LARGEST_WINDOW_SHARE = 0.45  # 國小 teachers: the largest stage window closes alone
LAST_AFTERNOON_SHARE = 0.30  # of that window's teachers work on its last afternoon
AFTERNOON_HOURS = 4.0  # 13:00–17:00
PEAK_FACTOR = 3.0  # the last hour carries about three times the afternoon's average
HEADROOM = 1.5  # keep a host below two thirds of its capacity; and one host spare


def capacity_model(settings: Settings, per_host: int) -> dict[str, Any]:
    session_minutes = (
        (settings.saves_min + settings.saves_max) / 2 * settings.autosave_seconds
        + 4 * settings.page_think
    ) / 60
    people = NATIONAL_TEACHERS * LARGEST_WINDOW_SHARE * LAST_AFTERNOON_SHARE
    average = people * session_minutes / 60 / AFTERNOON_HOURS
    peak = average * PEAK_FACTOR
    hosts = math.ceil(peak * HEADROOM / per_host) + 1 if per_host else None
    return {
        "national_teachers": NATIONAL_TEACHERS,
        "largest_window_share": LARGEST_WINDOW_SHARE,
        "last_afternoon_share": LAST_AFTERNOON_SHARE,
        "afternoon_hours": AFTERNOON_HOURS,
        "session_minutes": round(session_minutes, 1),
        "peak_factor": PEAK_FACTOR,
        "headroom": HEADROOM,
        "teachers_in_last_afternoon": round(people),
        "average_concurrent_editors": round(average),
        "peak_concurrent_editors": round(peak),
        "autosaves_per_second_at_peak": round(peak / settings.autosave_seconds, 1),
        "editors_per_host": per_host,
        "app_hosts": hosts,
    }


def cpu_estimate(settings: Settings, step: dict[str, Any] | None) -> dict[str, Any] | None:
    """NOT a measurement: what a dedicated 2-core host would carry at 70 % CPU if the
    editors of `step` cost the same CPU there (web workers + job worker + PostgreSQL)
    on a machine nobody else uses. Said so wherever it is printed."""
    resources = (step or {}).get("resources") or {}
    cores = resources.get("cpu_cores") or {}
    used = sum(cores.get(part, 0.0) for part in ("web", "worker", "postgres"))
    if not step or used <= 0.05:
        return None
    teachers = people(settings, step["users"])["teachers"]
    return {
        "teachers_at_step": teachers,
        "app_cores_used": round(used, 2),
        "other_load_cores": resources.get("other_load_cores"),
        "dedicated_2_core_host_at_70_percent": int(teachers / used * 2 * 0.7),
    }


def summarise(settings: Settings, out: dict[str, Any]) -> dict[str, Any]:
    steps = out["steps"]
    ramp = [s for s in steps if s["phase"] == "ramp"]
    good = [
        s for s in ramp
        if s["editing_p95_ms"] <= settings.p95_limit_ms and not s["errors"] and not s["shed"]
        and s.get("editing_requests")
    ]  # fmt: skip
    best = good[-1] if good else None
    stop = next((s for s in ramp if s not in good), None)
    per_host = int(people(settings, best["users"])["teachers"]) if best else 0
    capacity = {
        "p95_limit_ms": settings.p95_limit_ms,
        "last_good_users": best["users"] if best else 0,
        "concurrent_editing_teachers": per_host,
        "concurrent_editors_all": sum(people(settings, best["users"]).values()) if best else 0,
        "target": TARGET_EDITORS,
        "meets_target": per_host >= TARGET_EDITORS,
        "stopped_by": (
            None if stop is None else
            f"{stop['users']} users: p95 {stop['editing_p95_ms']} ms, "
            f"{stop['errors']} errors, {stop['shed']} shed"
        ),
        "hit_max_users": bool(best) and stop is None,
    }  # fmt: skip
    if settings.hosts == 2:
        capacity["note"] = "two app hosts behind nginx on ONE 2-core machine: per host, halve"
    capacity["cpu_estimate"] = cpu_estimate(settings, best or stop)
    overload = next((s for s in steps if s["phase"] == "overload"), None)
    recovery = next((s for s in steps if s["phase"] == "recovery"), None)
    ratios = {}
    if best:
        bare = best["steps"].get("bare")
        for name, f in best["steps"].items():
            if bare and bare["p50_ms"] and name != "bare":
                ratios[name] = {
                    "p50_x_bare": round(f["p50_ms"] / bare["p50_ms"], 2),
                    "p95_x_bare": round(f["p95_ms"] / max(bare["p95_ms"], 0.1), 2),
                }
    return {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
            "load_average_end": [round(x, 2) for x in os.getloadavg()],
        },
        "settings": {
            k: (str(v) if isinstance(v, Path) else v) for k, v in asdict(settings).items()
        },
        "server": f"{settings.hosts} × gunicorn -w {WORKERS} -k {WORKER_CLASS} --threads {THREADS}"
        + (" behind nginx" if settings.hosts == 2 else ""),
        "data": {"created": out["report"].created, "generate_seconds": out["generated_seconds"]},
        "capacity": capacity,
        "model": capacity_model(settings, per_host),
        "at_capacity": best,
        "ratios_to_bare_at_capacity": ratios,
        "first_bad_step": stop,
        "overload": overload,
        "recovery": recovery,
        "pdf_queue": {
            "peak_during_load": (out["whole"] or {}).get("pdf_queue_peak"),
            **out["pdf_drain"],
        },
        "resources_whole_run": out["whole"],
        "saves": out["saves"],
        "errors": out["errors"],
        "ramp": [
            {k: s[k] for k in ("users", "people", "editing_p95_ms", "errors", "shed", "requests")}
            | {
                "rps": round(s["requests"] / max(s["ended"] - s["measured_from"], 1e-6), 1),
                "resources": s.get("resources"),
            }
            for s in ramp
        ],
        "locust_exit": out["locust_exit"],
    }


def step_table(step: dict[str, Any] | None) -> list[str]:
    if not step:
        return ["(none)"]
    rows = [f"{'step':<26}{'req/s':>8}{'p50':>8}{'p95':>8}{'p99 ms':>8}{'ok':>7}{'shed':>6}"
            f"{'pending':>8}{'errors':>7}"]  # fmt: skip
    for name, f in step["steps"].items():
        rows.append(
            f"{name:<26}{f['rps']:>8.1f}{f['p50_ms']:>8.1f}{f['p95_ms']:>8.1f}{f['p99_ms']:>8.1f}"
            f"{f['ok']:>7}{f['shed']:>6}{f['pending']:>8}{f['error']:>7}"
        )
    return rows


def resources_lines(resources: dict[str, Any] | None) -> list[str]:
    if not resources:
        return ["(no samples)"]
    cores, rss = resources["cpu_cores"], resources["rss_mb_peak"]
    parts = [p for p in cores if cores[p] or rss.get(p)]
    return [
        "CPU (cores) / peak memory (MB): "
        + ", ".join(f"{p} {cores[p]:.2f} / {rss[p]:.0f}" for p in parts),
        f"machine busy {resources['machine_busy_cores']} cores (other people's load "
        f"{resources['other_load_cores']}); PDF queue peak {resources['pdf_queue_peak']}; "
        f"database connections peak {resources['db_connections_peak']}",
    ]


def render(summary: dict[str, Any]) -> str:
    cap, model = summary["capacity"], summary["model"]
    lines = [
        f"進修規劃 peak-load benchmark — {summary['when']}, {summary['machine']['cpus']} CPUs, "
        f"{summary['server']}",
        f"data: {summary['data']['created'].get('schools', 0):,} schools, "
        f"{summary['data']['created'].get('teachers', 0):,} teachers "
        f"(generated in {summary['data']['generate_seconds']} s)",
        "",
        "ramp (each simulated user = "
        f"{summary['settings']['time_scale']:g} people; think times ÷ the same):",
    ]
    for s in summary["ramp"]:
        res = s.get("resources") or {}
        web = (res.get("cpu_cores") or {}).get("web", 0)
        pg = (res.get("cpu_cores") or {}).get("postgres", 0)
        lines.append(
            f"  {s['users']:>5} users ≈ {s['people']['teachers']:>6,} teachers  {s['rps']:>7.1f} "
            f"req/s  editing p95 {s['editing_p95_ms']:>7.1f} ms  errors {s['errors']:>3}  "
            f"shed {s['shed']:>4}  CPU web {web:.2f} pg {pg:.2f}"
        )
    lines += [
        "",
        f"CAPACITY: {cap['concurrent_editing_teachers']:,} concurrent editing teachers on this "
        f"host (target ≥ {cap['target']:,}: {'ok' if cap['meets_target'] else 'MISS'}); "
        f"stopped by {cap['stopped_by'] or 'the user limit'}",
        *(
            [
                f"(estimate, not measured: the app used {est['app_cores_used']} cores for "
                f"{est['teachers_at_step']:,} teachers while other people's load took "
                f"{est['other_load_cores']} cores; a dedicated 2-core host at 70 % CPU ≈ "
                f"{est['dedicated_2_core_host_at_70_percent']:,} editing teachers)"
            ]
            if (est := cap.get("cpu_estimate"))
            else []
        ),
        f"national peak ≈ {model['peak_concurrent_editors']:,} concurrent editors → "
        f"{model['app_hosts']} app hosts (×{model['headroom']} headroom, +1 spare)",
        "",
        "at capacity (the last step within the limit), per step:",
        *("  " + r for r in step_table(summary["at_capacity"])),
        "  × bare (same load): "
        + ", ".join(
            f"{k} p50 {v['p50_x_bare']} p95 {v['p95_x_bare']}"
            for k, v in summary["ratios_to_bare_at_capacity"].items()
        ),
        *("  " + r for r in resources_lines((summary["at_capacity"] or {}).get("resources"))),
    ]
    if summary.get("first_bad_step"):
        bad = summary["first_bad_step"]
        lines += ["", f"first step past the limit ({bad['users']} users), per step:"]
        lines += ["  " + r for r in step_table(bad)]
        lines += ["  " + r for r in resources_lines(bad.get("resources"))]
    for phase in ("overload", "recovery"):
        step = summary.get(phase)
        if step:
            lines += [
                "",
                f"{phase} ({step['users']} users, {step['ended'] - step['started']:.0f} s):",
            ]
            lines += ["  " + r for r in step_table(step)]
            lines += ["  " + r for r in resources_lines(step.get("resources"))]
            if phase == "overload":
                lines.append(
                    f"  verdict: {step['errors']} errors (5xx other than the polite 503, "
                    f"timeouts, refused saves), {step['shed']} polite 503s with Retry-After, "
                    f"{step.get('retried', 0)} requests sent again after the server closed "
                    "an idle kept-alive connection as they went out (as a browser does)"
                )
            if step.get("recovered_after_s") is not None:
                lines.append(f"  normal again after {step['recovered_after_s']} s")
    pdf = summary["pdf_queue"]
    lines += [
        "",
        f"PDF queue: peak {pdf.get('peak_during_load')}, at the end {pdf.get('queued_at_end')} "
        f"queued + {pdf.get('running_at_end')} rendering, drained in {pdf.get('drain_seconds')} s",
        f"saves: {summary['saves']['plans_with_accepted_saves']} plans with accepted saves, "
        f"{summary['saves']['lost']} lost",
        f"errors: {summary['errors'] or 'none'}",
    ]
    return "\n".join(lines)


def _interrupt(_signum: int, _frame: Any) -> None:
    """SIGTERM behaves like Ctrl-C, so that the clean-up runs."""
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    settings = parse_args(argv)
    started = time.monotonic()
    run = Run(settings)
    previous = signal.signal(signal.SIGTERM, _interrupt)
    try:
        out = execute(run, started)
    except KeyboardInterrupt:
        print("\nbench-load interrupted", file=sys.stderr)
        return 130
    except Exception as error:
        print(f"\nbench-load failed: {type(error).__name__}: {error}", file=sys.stderr)
        for proc in run.procs:
            print(f"--- {proc.name} ---\n{proc.tail()}", file=sys.stderr)
        return 1
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        run.close()
        signal.signal(signal.SIGTERM, previous)
    summary = summarise(settings, out)
    text = render(summary)
    print()
    print(text)
    settings.out.mkdir(parents=True, exist_ok=True)
    name = "load-smoke" if settings.smoke else "load-latest"
    (settings.out / f"{name}.json").write_text(
        json.dumps(summary, ensure_ascii=False, indent=2, default=str) + "\n"
    )
    (settings.out / f"{name}.md").write_text(f"```\n{text}\n```\n")
    say(f"figures written to {settings.out / name}.json and .md", started)
    # The ramp ends on errors or a slow step by design; what must never happen is a lost
    # save, or (in the smoke run, far below capacity) any error at all.
    if settings.smoke:  # correctness only: the machine may be busy, latency is not judged
        saved = summary["saves"]["plans_with_accepted_saves"]
        healthy = bool(saved) and not summary["saves"]["lost"] and not summary["errors"]
    else:
        healthy = bool(summary["capacity"]["last_good_users"]) and not summary["saves"]["lost"]
    return 0 if healthy else 3
