"""What the load benchmark samples every second while Locust runs (psutil, Redis, PostgreSQL):
CPU and memory per part (web workers, job worker, this database's PostgreSQL backends,
Redis, nginx, Locust), the PDF queue, and this database's connections."""

from __future__ import annotations

import contextlib
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import psutil

PARTS = ("web", "worker", "postgres", "redis", "nginx", "locust")


@dataclass
class Snapshot:
    at: float
    cpu: dict[str, float]  # cumulative CPU seconds per part (processes seen so far)
    rss_mb: dict[str, float]
    pdf_queued: int
    pdf_started: int
    db_connections: int
    machine_busy: float  # cumulative busy CPU seconds of the whole machine


def _tree(pid: int) -> list[psutil.Process]:
    try:
        root = psutil.Process(pid)
        return [root, *root.children(recursive=True)]
    except psutil.Error:
        return []


def _machine_busy() -> float:
    times = psutil.cpu_times()
    return sum(times) - times.idle - getattr(times, "iowait", 0.0)


@dataclass
class Monitor:
    roots: dict[str, list[int]]  # part -> process ids whose trees belong to it
    database: str
    database_url: str  # postgresql://…
    redis_url: str
    queue: str = "pdf"
    interval: float = 1.0
    snapshots: list[Snapshot] = field(default_factory=list)
    _seen: dict[str, dict[int, float]] = field(default_factory=dict)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="bench-monitor", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)

    def _processes(self, conn: Any) -> dict[str, list[psutil.Process]]:
        parts: dict[str, list[psutil.Process]] = {part: [] for part in PARTS}
        for part, pids in list(self.roots.items()):
            for pid in pids:
                parts[part] += _tree(pid)
        if conn is not None:
            with contextlib.suppress(Exception):
                rows = conn.execute(
                    "SELECT pid FROM pg_stat_activity WHERE datname = %s "
                    "AND pid <> pg_backend_pid()",
                    (self.database,),
                ).fetchall()
                for (pid,) in rows:
                    with contextlib.suppress(psutil.Error):
                        parts["postgres"].append(psutil.Process(int(pid)))
        for process in psutil.process_iter(["name"]):
            if process.info["name"] == "redis-server":
                parts["redis"].append(process)
        return parts

    def sample(self, conn: Any, redis: Any) -> Snapshot:
        parts = self._processes(conn)
        cpu: dict[str, float] = {}
        rss: dict[str, float] = {}
        for part, processes in parts.items():
            seen = self._seen.setdefault(part, {})
            memory = 0.0
            for process in processes:
                with contextlib.suppress(psutil.Error):
                    times = process.cpu_times()
                    seen[process.pid] = times.user + times.system
                    memory += process.memory_info().rss / 2**20
            cpu[part] = sum(seen.values())  # ended processes keep their last reading
            rss[part] = round(memory, 1)
        queued = started = connections = 0
        if redis is not None:
            with contextlib.suppress(Exception):
                queued = int(redis.llen(f"rq:queue:{self.queue}"))
                started = int(redis.zcard(f"rq:wip:{self.queue}"))
        if conn is not None:
            with contextlib.suppress(Exception):
                row = conn.execute(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = %s "
                    "AND pid <> pg_backend_pid()",
                    (self.database,),
                ).fetchone()
                connections = int(row[0]) if row else 0
        return Snapshot(time.time(), cpu, rss, queued, started, connections, _machine_busy())

    def _run(self) -> None:
        import psycopg
        from redis import Redis

        conn = None
        with contextlib.suppress(Exception):
            conn = psycopg.connect(self.database_url, autocommit=True, connect_timeout=5)
        redis = Redis.from_url(self.redis_url, socket_timeout=5)
        try:
            while not self._stop.is_set():
                self.snapshots.append(self.sample(conn, redis))
                self._stop.wait(self.interval)
        finally:
            redis.close()
            if conn is not None:
                conn.close()

    def queue_length(self) -> tuple[int, int]:
        """(queued, started) PDF jobs right now."""
        from redis import Redis

        with Redis.from_url(self.redis_url, socket_timeout=5) as redis:
            return int(redis.llen(f"rq:queue:{self.queue}")), int(
                redis.zcard(f"rq:wip:{self.queue}")
            )

    def between(self, start: float, end: float) -> dict[str, Any]:
        """CPU (cores busy on average) and peak memory per part, the PDF queue's peak and
        the database connections' peak, over [start, end]."""
        inside = [s for s in self.snapshots if start <= s.at <= end]
        if len(inside) < 2:
            return {}
        first, last = inside[0], inside[-1]
        wall = max(last.at - first.at, 1e-6)
        cores = {p: round((last.cpu.get(p, 0) - first.cpu.get(p, 0)) / wall, 2) for p in PARTS}
        ours = sum(cores.values()) - cores.get("redis", 0)  # Redis is shared: not only ours
        machine = (last.machine_busy - first.machine_busy) / wall
        return {
            "cpu_cores": cores,
            "rss_mb_peak": {p: max(s.rss_mb.get(p, 0) for s in inside) for p in PARTS},
            "machine_busy_cores": round(machine, 2),
            "other_load_cores": round(max(0.0, machine - ours - cores.get("redis", 0)), 2),
            "pdf_queue_peak": max(s.pdf_queued for s in inside),
            "pdf_running_peak": max(s.pdf_started for s in inside),
            "db_connections_peak": max(s.db_connections for s in inside),
        }
