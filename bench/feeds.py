"""Issue 11's figures: a taipei roster feed of N rows (docs/feeds.md's CSV format),
generated deterministically for the data set's Taipei schools, applied twice with the
real command (`flask --app wsgi sync taipei FILE`) as a subprocess: rows per second and
peak memory (maximum RSS from wait4) of the first run, the second run's time ÷ the first.
Each run is timed twice: the process's wall time (start-up, commit and ANALYZE included)
and the apply itself as the command recorded it in its sync-run row (started_at to
finished_at, measured in that process).

The file names every teacher now serving at a Taipei school (a title changed for ~5 %;
so a file may hold more than N rows), and new teachers up to N rows spread over those
schools."""

from __future__ import annotations

import csv
import os
import random
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, select

from app import timeutil
from app.demo.seed import GIVEN, SUBJECTS, SURNAMES
from app.extensions import db
from app.identity import make_national_id
from app.models import Employment, RosterSource, School, SyncRun, Teacher
from app.security import vault

DEFAULT_ROWS = 20_000
FULL_ROWS = 200_000
HEADER = ("unit_code", "national_id", "name", "title", "subjects", "status")


def write_taipei_feed(path: Path, rows: int, seed: int = 11) -> dict[str, int]:
    """Write the feed file (in the current app context); return what it holds."""
    rng = random.Random(seed)
    the_vault = vault()
    units = list(
        db.session.scalars(
            select(School.code)
            .where(School.roster_source == RosterSource.TAIPEI)
            .order_by(School.code)
        )
    )
    if not units:
        raise RuntimeError("the data set has no school whose roster source is taipei")
    serving = db.session.execute(
        Employment.at(timeutil.now())
        .join(School, School.id == Employment.school_id)
        .join(Teacher, Teacher.id == Employment.teacher_id)
        .where(School.roster_source == RosterSource.TAIPEI)
        .with_only_columns(
            School.code, Teacher.national_id_cipher, Teacher.name, Employment.title,
            Employment.subjects,
        )
        .order_by(Employment.id)
    ).all()  # fmt: skip
    hashes = set(db.session.scalars(select(Teacher.national_id_hash)))
    changed = 0
    with path.open("w", encoding="utf-8", newline="") as sink:
        writer = csv.writer(sink, lineterminator="\n")
        writer.writerow(HEADER)
        for code, cipher, name, title, subjects in serving:
            if rng.random() < 0.05:
                title, changed = "教師兼組長" if title != "教師兼組長" else "導師", changed + 1
            writer.writerow((code, the_vault.decrypt(cipher), name, title, subjects, "在職"))
        new = max(0, rows - len(serving))
        for n in range(new):
            national_id = make_national_id(rng)
            while the_vault.lookup_hash(national_id) in hashes:
                national_id = make_national_id(rng)
            hashes.add(the_vault.lookup_hash(national_id))
            name = rng.choice(SURNAMES) + "".join(rng.sample(GIVEN, 2))
            subjects = "、".join(rng.sample(SUBJECTS, 2))
            writer.writerow((units[n % len(units)], national_id, name, "教師", subjects, "在職"))
    return {
        "rows": len(serving) + new,
        "existing": len(serving),
        "changed": changed,
        "new": new,
        "units": len(units),
    }


def run_sync(env: dict[str, str], path: Path, cwd: Path) -> dict[str, Any]:
    """`flask --app wsgi sync taipei FILE` as a subprocess: wall seconds, exit code,
    maximum RSS (MB) of that process alone (os.wait4), and the apply seconds of the
    sync-run row it wrote."""
    command = [
        str(Path(sys.executable).parent / "flask"), "--app", "wsgi", "sync", "taipei", str(path),
    ]  # fmt: skip
    log = path.with_suffix(".log")
    clock = time.perf_counter()
    with log.open("wb") as sink:
        process = subprocess.Popen(command, cwd=cwd, env=env, stdout=sink, stderr=sink)
        _, status, usage = os.wait4(process.pid, 0)  # this child's own rusage
    seconds = time.perf_counter() - clock
    process.returncode = os.waitstatus_to_exitcode(status)
    return {
        "seconds": round(seconds, 2),
        "apply_seconds": apply_seconds(env),
        "exit_code": process.returncode,
        "max_rss_mb": round(usage.ru_maxrss / 1024, 1),  # Linux: kilobytes
        "output": log.read_text(encoding="utf-8", errors="replace")[-500:],
    }


def apply_seconds(env: dict[str, str]) -> float | None:
    """finished_at − started_at of the newest taipei sync run: the apply as timed inside
    the command's own process (no interpreter start-up, no commit, no ANALYZE)."""
    engine = create_engine(env["DATABASE_URL"])
    try:
        with engine.connect() as conn:
            row = conn.execute(
                select(SyncRun.started_at, SyncRun.finished_at)
                .where(SyncRun.feed == "taipei")
                .order_by(SyncRun.id.desc())
                .limit(1)
            ).first()
    finally:
        engine.dispose()
    if row is None or row.finished_at is None:
        return None
    return round((row.finished_at - row.started_at).total_seconds(), 3)
