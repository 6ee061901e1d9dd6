"""`make bench-load` in small (bench/load): the whole production set-up under a few seconds
of Locust load, on a tiny data set; correctness only (no error, no lost save), never a
timing. Needs PostgreSQL and Redis, like the benchmark: skipped on SQLite."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from app.gunicorn_worker import QueueTimedWorker
from app.overload import HEADER

ROOT = Path(__file__).resolve().parent.parent
DATABASE_URL = os.environ.get("DATABASE_URL", "")
REDIS_URL = os.environ.get("REDIS_URL", "")


@pytest.mark.skipif(
    not DATABASE_URL.startswith("postgresql") or not REDIS_URL,
    reason="the load benchmark needs PostgreSQL (DATABASE_URL) and Redis (REDIS_URL)",
)
def test_a_tiny_peak_load_runs_without_errors_or_lost_saves(tmp_path):
    admin = DATABASE_URL.rsplit("/", 1)[0].replace("postgresql+psycopg://", "postgresql://", 1)
    env = {
        **os.environ,
        "BENCH_ADMIN_URL": f"{admin}/postgres",
        "BENCH_LOAD_REDIS_URL": REDIS_URL,
    }
    done = subprocess.run(
        [sys.executable, "-m", "bench.load", "--smoke", "--out", str(tmp_path)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]

    summary = json.loads((tmp_path / "load-smoke.json").read_text())
    assert summary["errors"] == {}
    assert summary["saves"]["lost"] == 0
    assert summary["saves"]["plans_with_accepted_saves"] > 0
    assert summary["pdf_queue"]["drain_seconds"] is not None
    steps = [
        json.loads(line) for line in (tmp_path / "raw" / "steps.jsonl").read_text().splitlines()
    ]
    measured = steps[0]["steps"]
    assert {"sign in", "open plan", "autosave", "bare"} <= set(measured)
    assert all(figures["error"] == 0 for figures in measured.values())
    assert measured["autosave"]["ok"] > 0
    resources = summary["ramp"][0]["resources"]
    assert resources["cpu_cores"]["web"] > 0
    assert resources["db_connections_peak"] > 0


class _Request:
    def __init__(self, headers):
        self.headers = headers


class _Connection:
    queued_at = 1_700_000_000.25


def test_the_worker_stamps_the_queue_time_over_whatever_the_client_sent(monkeypatch):
    seen = {}

    def handled(_self, req, _conn):
        seen["headers"] = list(req.headers)
        return True

    monkeypatch.setattr("gunicorn.workers.gthread.ThreadWorker.handle_request", handled)
    worker = QueueTimedWorker.__new__(QueueTimedWorker)
    forged = _Request([("HOST", "x"), (HEADER.upper(), "t=1"), ("X-Request-Start", "t=2")])
    assert worker.handle_request(forged, _Connection()) is True
    stamps = [v for k, v in seen["headers"] if k.upper() == HEADER.upper()]
    assert stamps == ["t=1700000000.250000"]
    assert ("HOST", "x") in seen["headers"]
