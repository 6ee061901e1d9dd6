"""Applying a nightly roster feed: plan every change from a few preloaded dictionaries, check
the guard, then write in bulk. Services flush, never commit (the command commits).

The rules (docs/feeds.md):

* a row names a teacher (national ID), a unit, the teacher's name, title and subjects;
* a row still pending review (status 異動待審) is skipped and counted, and its teacher
  is left as he is;
* a bad row (checksum, unknown unit, one teacher twice, …) is rejected with its row number
  and reason; the good rows are applied;
* teachers now serving at the source's units who are not in the file get their employment
  ended (不在來源系統); nothing at a unit of another source is touched;
* a file whose rows would end more than `max_end_share` of the source's current
  employments is refused as a whole (a broken export must not wipe a county).
"""

from __future__ import annotations

import fcntl
import zlib
from collections import defaultdict
from collections.abc import Container, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import IO, Any

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import func, insert, select, update

from app import audit, security, timeutil
from app.extensions import db
from app.feeds.formats import FeedSpec, RawRow, UnusableFile, read_rows
from app.identity import NationalIdError
from app.models import (
    Authority,
    AuthorityKind,
    Employment,
    EndReason,
    RosterSource,
    School,
    Stage,
    SyncRun,
    Teacher,
    new_session_token,
)

ACTIVE_STATUSES = frozenset({"", "在職", "active"})
PENDING_STATUSES = frozenset({"異動待審", "pending"})
DEFAULT_TITLE = "教師"
CHUNK = 1000  # values per IN (...) query and per bulk statement


class FeedStatus:
    APPLIED = "applied"  # every row good (pending rows skipped)
    PARTIAL = "partial"  # good rows applied, bad rows rejected
    REFUSED = "refused"  # unusable file: nothing applied
    LOCKED = "locked"  # another run of the same feed was in progress


class FeedLocked(Exception):
    """Another run of this feed holds the lock."""


@dataclass
class Record:
    """A good row, ready to apply."""

    number: int
    lookup: str  # the national ID's keyed hash
    national_id: str  # as in the file: valid, maybe not yet normalized (the vault normalizes)
    name: str
    title: str
    subjects: str
    unit_code: str
    unit_name: str = ""


@dataclass
class Plan:
    """Everything one run will write, decided before anything is written."""

    new_units: dict[str, dict[str, Any]] = field(default_factory=dict)
    unit_renames: list[dict[str, Any]] = field(default_factory=list)
    new_teachers: list[Record] = field(default_factory=list)
    renames: list[dict[str, Any]] = field(default_factory=list)
    retitles: list[dict[str, Any]] = field(default_factory=list)
    transfers: list[int] = field(default_factory=list)  # employment ids moving unit
    ends: list[int] = field(default_factory=list)  # employment ids no longer in the source
    hires: list[tuple[str, str, str, str]] = field(default_factory=list)  # lookup, unit, t, s
    touched_schools: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    created: int = 0
    updated: int = 0
    serving: int = 0  # the source's current employments before the run

    @property
    def changes_anything(self) -> bool:
        return bool(
            self.new_units
            or self.unit_renames
            or self.new_teachers
            or self.renames
            or self.retitles
            or self.transfers
            or self.ends
            or self.hires
        )


def _chunks(values: list[Any]) -> Iterator[list[Any]]:
    for start in range(0, len(values), CHUNK):
        yield values[start : start + CHUNK]


# ---- the lock -------------------------------------------------------------------------------


def _lock_key(feed: str) -> int:
    return zlib.crc32(f"feeds:{feed}".encode()) & 0x7FFFFFFF


@contextmanager
def feed_lock(feed: str) -> Iterator[None]:
    """Hold the feed's lock for the run, or raise `FeedLocked` at once.

    PostgreSQL: a transaction-level advisory lock (released by the run's commit or
    rollback). SQLite (one host): an exclusive `flock` on `FEED_LOCK_DIR/feed-NAME.lock`.
    """
    if db.session.get_bind().dialect.name == "postgresql":
        held = db.session.scalar(select(func.pg_try_advisory_xact_lock(_lock_key(feed))))
        if not held:
            raise FeedLocked(feed)
        yield
        return
    directory = Path(current_app.config["FEED_LOCK_DIR"])
    directory.mkdir(parents=True, exist_ok=True)
    handle: IO[str] = (directory / f"feed-{feed}.lock").open("w")
    try:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise FeedLocked(feed) from None
        yield
    finally:
        handle.close()  # closing releases the flock


# ---- reading the rows -----------------------------------------------------------------------


@dataclass
class Sorted:
    records: list[Record] = field(default_factory=list)
    seen: set[str] = field(default_factory=set)  # every readable ID, good row or not
    skipped: int = 0
    rejected: list[dict[str, Any]] = field(default_factory=list)


def _sort_rows(
    rows: list[RawRow], spec: FeedSpec, units: _Units, known: Container[str] = frozenset()
) -> Sorted:
    """Split the rows into good records, pending (skipped) and rejected ones. A number
    whose hash is in `known` (a teacher serving at the source) needs no validation."""
    out = Sorted()
    vault = security.vault()
    candidates: list[Record] = []
    numbers_of: dict[str, list[int]] = defaultdict(list)
    for row in rows:
        if row.problem is not None:
            out.rejected.append({"row": row.number, "reason": row.problem})
            continue
        values = row.values
        national_id = values.get("national_id", "")
        try:  # validates (and normalizes) the number once, for the lookup hash
            lookup = vault.known_lookup_hash(national_id, known) or vault.lookup_hash(national_id)
        except NationalIdError as error:  # the message never contains the number
            out.rejected.append({"row": row.number, "reason": _("身分證字號：") + error.message})
            continue
        out.seen.add(lookup)
        status = values.get("status", "")
        if status in PENDING_STATUSES:
            out.skipped += 1
            continue
        reason = _row_problem(values, spec, units, status)
        if reason:
            out.rejected.append({"row": row.number, "reason": reason})
            continue
        numbers_of[lookup].append(row.number)
        candidates.append(
            Record(
                number=row.number,
                lookup=lookup,
                national_id=national_id,
                name=values["name"],
                title=values.get("title") or DEFAULT_TITLE,
                subjects=values.get("subjects", ""),
                unit_code=values["unit_code"],
                unit_name=values.get("unit_name", ""),
            )
        )
    for record in candidates:
        numbers = numbers_of[record.lookup]
        if len(numbers) > 1:
            others = "、".join(str(n) for n in numbers if n != record.number)
            reason = _("同一位教師出現不只一次（另見第 %(rows)s 列）", rows=others)
            out.rejected.append({"row": record.number, "reason": reason})
        else:
            out.records.append(record)
    out.rejected.sort(key=lambda item: int(item["row"]))
    return out


def _row_problem(values: dict[str, str], spec: FeedSpec, units: _Units, status: str) -> str:
    if status not in ACTIVE_STATUSES:
        return _("不認得的狀態「%(status)s」", status=status[:20])
    name = values.get("name", "")
    if not name:
        return _("姓名是空的")
    if len(name) > 50:
        return _("姓名超過 50 字")
    if len(values.get("title", "")) > 30:
        return _("職稱超過 30 字")
    if len(values.get("subjects", "")) > 120:
        return _("任教科目超過 120 字")
    return units.problem(values, spec)


# ---- units ----------------------------------------------------------------------------------


class _Units:
    """The source's units by code, and why a row's unit cannot be used."""

    def __init__(self, source: RosterSource, codes: set[str]) -> None:
        self.source = source
        self.ids: dict[str, int] = {}
        self.names: dict[str, str] = {}
        for unit_id, code, name in db.session.execute(
            select(School.id, School.code, School.name).where(School.roster_source == source)
        ):
            self.ids[code] = unit_id
            self.names[code] = name
        self.foreign: set[str] = set()
        unknown = sorted(codes - set(self.ids))
        for chunk in _chunks(unknown):
            self.foreign.update(
                db.session.scalars(select(School.code).where(School.code.in_(chunk)))
            )
        self.authorities: dict[str, int] = {
            county: authority_id
            for authority_id, county in db.session.execute(
                select(Authority.id, Authority.county_code).where(
                    Authority.kind == AuthorityKind.COUNTY
                )
            )
            if county is not None
        }
        self.wanted: dict[str, dict[str, Any]] = {}  # new units the file names (ece)

    def problem(self, values: dict[str, str], spec: FeedSpec) -> str:
        code = values.get("unit_code", "")
        if code in self.ids:
            return ""
        if code in self.foreign:
            return _("單位代碼 %(code)s 的名單不屬於這個來源", code=code[:10])
        if not spec.creates_units:
            return _("不認得的單位代碼 %(code)s", code=code[:10])
        if len(code) != 6:
            return _("單位代碼應為 6 碼")
        name = values.get("unit_name", "")
        if not name or len(name) > 60:
            return _("單位名稱是空的或超過 60 字")
        county = values.get("county_code", "")
        if county not in self.authorities:
            return _("不認得的縣市代碼 %(code)s", code=county[:10])
        self.wanted.setdefault(
            code,
            {
                "code": code,
                "name": name,
                "county_code": county,
                "authority_id": self.authorities[county],
                "stage": Stage.KINDERGARTEN,
                "is_public": True,
                "roster_source": self.source,
            },
        )
        return ""


# ---- planning -------------------------------------------------------------------------------


def _known_teachers(lookups: list[str]) -> dict[str, tuple[int, str]]:
    known: dict[str, tuple[int, str]] = {}
    for chunk in _chunks(lookups):
        for teacher_id, lookup, name in db.session.execute(
            select(Teacher.id, Teacher.national_id_hash, Teacher.name).where(
                Teacher.national_id_hash.in_(chunk)
            )
        ):
            known[lookup] = (teacher_id, name)
    return known


@dataclass
class _Serving:
    employment_id: int
    teacher_id: int
    unit_code: str
    title: str
    subjects: str
    lookup: str  # the teacher's national-ID hash
    name: str  # the teacher's name


def _serving(units: _Units, moment: datetime) -> list[_Serving]:
    """The employments in force now at the source's units, with their teachers' hash and
    name: in one query, what a file that changes nothing needs to know about every row."""
    codes = {unit_id: code for code, unit_id in units.ids.items()}
    source_units = select(School.id).where(School.roster_source == units.source)
    query = (
        Employment.at(moment)
        .where(Employment.school_id.in_(source_units))
        .join(Teacher, Teacher.id == Employment.teacher_id)
        .with_only_columns(
            Employment.id,
            Employment.teacher_id,
            Employment.school_id,
            Employment.title,
            Employment.subjects,
            Teacher.national_id_hash,
            Teacher.name,
        )
        .order_by(Employment.id)
    )
    return [
        _Serving(eid, tid, codes[sid], title, subjects, lookup, name)
        for eid, tid, sid, title, subjects, lookup, name in db.session.execute(query)
    ]


def _plan(sorted_rows: Sorted, units: _Units, serving: list[_Serving]) -> Plan:
    plan = Plan(new_units=units.wanted)
    # Every readable ID (pending rows too): the teachers serving here are known from
    # `serving`; only the others (new, or from another source's unit) are looked up.
    known = {item.lookup: (item.teacher_id, item.name) for item in serving}
    known.update(_known_teachers(sorted(sorted_rows.seen - known.keys())))
    plan.serving = len(serving)
    by_teacher: dict[int, list[_Serving]] = defaultdict(list)
    for item in serving:
        by_teacher[item.teacher_id].append(item)
    named_units: set[str] = set()
    for record in sorted_rows.records:
        _plan_record(plan, record, known, by_teacher)
        code = record.unit_code
        if record.unit_name and code in units.names and code not in named_units:
            named_units.add(code)  # the first row of a unit names it
            if units.names[code] != record.unit_name:
                plan.unit_renames.append({"id": units.ids[code], "name": record.unit_name})
    seen_ids = {known[lookup][0] for lookup in sorted_rows.seen if lookup in known}
    for item in serving:
        if item.teacher_id not in seen_ids:
            plan.ends.append(item.employment_id)
            plan.touched_schools[item.unit_code].add(str(item.teacher_id))
    return plan


def _plan_record(
    plan: Plan,
    record: Record,
    known: dict[str, tuple[int, str]],
    by_teacher: dict[int, list[_Serving]],
) -> None:
    if record.lookup not in known:
        plan.new_teachers.append(record)
        plan.hires.append((record.lookup, record.unit_code, record.title, record.subjects))
        plan.touched_schools[record.unit_code].add(record.lookup)
        plan.created += 1
        return
    teacher_id, name = known[record.lookup]
    changed = False
    if name != record.name:
        plan.renames.append({"id": teacher_id, "name": record.name})
        changed = True
    current = by_teacher.get(teacher_id, [])
    here = next((item for item in current if item.unit_code == record.unit_code), None)
    for item in current:
        if item is not here:  # moved to another unit of the same source
            plan.transfers.append(item.employment_id)
            plan.touched_schools[item.unit_code].add(str(teacher_id))
            changed = True
    if here is None:
        plan.hires.append((record.lookup, record.unit_code, record.title, record.subjects))
        plan.touched_schools[record.unit_code].add(str(teacher_id))
        changed = True
    elif (here.title, here.subjects) != (record.title, record.subjects):
        plan.retitles.append(
            {"id": here.employment_id, "title": record.title, "subjects": record.subjects}
        )
        changed = True
    if changed:
        plan.updated += 1


# ---- writing --------------------------------------------------------------------------------


def _write(plan: Plan, units: _Units, moment: datetime) -> dict[str, int]:
    """Write the plan in bulk; return the teacher ids by lookup hash of new teachers."""
    session = db.session
    if plan.new_units:
        session.execute(insert(School), list(plan.new_units.values()))
        codes = list(plan.new_units)
        for chunk in _chunks(codes):
            units.ids.update(
                {
                    code: unit_id
                    for unit_id, code in session.execute(
                        select(School.id, School.code).where(School.code.in_(chunk))
                    )
                }
            )
    vault = security.vault()
    if plan.new_teachers:
        rows = [
            {
                "national_id_cipher": vault.encrypt(record.national_id),
                "national_id_hash": record.lookup,
                "national_id_masked": vault.masked(record.national_id),
                "name": record.name,
                "failed_logins": 0,
                "session_token": new_session_token(),
                "created_at": moment,
            }
            for record in plan.new_teachers
        ]
        for chunk in _chunks(rows):
            session.execute(insert(Teacher), chunk)
    ids: dict[str, int] = {}
    lookups = [lookup for lookup, *_rest in plan.hires]
    for chunk in _chunks(sorted(set(lookups))):
        ids.update(
            {
                lookup: teacher_id
                for teacher_id, lookup in session.execute(
                    select(Teacher.id, Teacher.national_id_hash).where(
                        Teacher.national_id_hash.in_(chunk)
                    )
                )
            }
        )
    for chunk in _chunks(plan.unit_renames):
        session.execute(update(School), chunk)
    for chunk in _chunks(plan.renames):
        session.execute(update(Teacher), chunk)
    for chunk in _chunks(plan.retitles):
        session.execute(update(Employment), chunk)
    endings = [
        {"id": eid, "valid_to": moment, "end_reason": EndReason.TRANSFERRED}
        for eid in plan.transfers
    ] + [
        {"id": eid, "valid_to": moment, "end_reason": EndReason.NOT_IN_SOURCE} for eid in plan.ends
    ]
    for chunk in _chunks(endings):
        session.execute(update(Employment), chunk)
    hires = [
        {
            "teacher_id": ids[lookup],
            "school_id": units.ids[code],
            "title": title,
            "subjects": subjects,
            "valid_from": moment,
        }
        for lookup, code, title, subjects in plan.hires
    ]
    for chunk in _chunks(hires):
        session.execute(insert(Employment), chunk)
    return ids


# ---- one run --------------------------------------------------------------------------------


@dataclass
class Outcome:
    run: SyncRun
    exit_code: int
    school_changes: dict[int, list[int]] = field(default_factory=dict)  # for roster_changed


EXIT_OK = 0
EXIT_PARTIAL = 3
EXIT_REFUSED = 4
EXIT_LOCKED = 5


def apply_feed(
    spec: FeedSpec,
    path: Path,
    *,
    fmt: str | None = None,
    max_end_share: float | None = None,
) -> Outcome:
    """Apply one feed file under the feed's lock; the caller commits (also a refusal)."""
    source = RosterSource(spec.name)
    moment = timeutil.now()
    run = SyncRun(feed=spec.name, started_at=moment, file_name=path.name[:200], errors=[])
    if max_end_share is None:
        max_end_share = float(current_app.config["FEED_MAX_END_SHARE"])
    try:
        with feed_lock(spec.name):
            outcome = _apply_locked(spec, path, run, source, moment, fmt, max_end_share)
    except FeedLocked:
        db.session.rollback()
        run.status = FeedStatus.LOCKED
        run.message = _("同一來源的另一次同步正在進行，這一次未執行")
        outcome = Outcome(run, EXIT_LOCKED)
    run.finished_at = timeutil.now()
    db.session.add(run)
    db.session.flush()
    return outcome


def _refuse(run: SyncRun, message: str) -> Outcome:
    db.session.rollback()  # nothing of this run is kept but its record
    run.status = FeedStatus.REFUSED
    run.message = message[:300]
    return Outcome(run, EXIT_REFUSED)


def _apply_locked(
    spec: FeedSpec,
    path: Path,
    run: SyncRun,
    source: RosterSource,
    moment: datetime,
    fmt: str | None,
    max_end_share: float,
) -> Outcome:
    try:
        rows = read_rows(path, spec, fmt)
    except UnusableFile as error:
        return _refuse(run, str(error))
    run.rows_read = len(rows)
    units = _Units(source, {row.values.get("unit_code", "") for row in rows})
    serving = _serving(units, moment)
    sorted_rows = _sort_rows(rows, spec, units, {item.lookup for item in serving})
    run.rows_skipped = sorted_rows.skipped
    run.rows_rejected = len(sorted_rows.rejected)
    run.errors = sorted_rows.rejected
    if not sorted_rows.records and not sorted_rows.skipped:
        return _refuse(run, _("沒有任何一列可以套用"))
    plan = _plan(sorted_rows, units, serving)
    if plan.serving and len(plan.ends) > max_end_share * plan.serving:
        message = _(
            "這個檔案會結束 %(ends)d 位教師（共 %(serving)d 位）的任職，超過上限 %(share)s，"
            "整個檔案未套用；確認無誤後可用 --max-end-share 放寬",
            ends=len(plan.ends),
            serving=plan.serving,
            share=f"{max_end_share:.0%}",
        )
        return _refuse(run, message)
    ids = _write(plan, units, moment) if plan.changes_anything else {}
    run.rows_applied = len(sorted_rows.records)
    run.rows_created = plan.created
    run.rows_updated = plan.updated
    run.rows_ended = len(plan.ends)
    run.units_created = len(plan.new_units)
    run.status = FeedStatus.PARTIAL if sorted_rows.rejected else FeedStatus.APPLIED
    if plan.changes_anything:
        db.session.add(run)
        db.session.flush()
        audit.record(
            "feed.apply",
            "sync_run",
            run.id,
            after={
                "feed": spec.name,
                "created": run.rows_created,
                "updated": run.rows_updated,
                "ended": run.rows_ended,
                "units_created": run.units_created,
            },
            actor=f"feed:{spec.name}",
        )
    changes: dict[int, list[int]] = {}
    for code, members in plan.touched_schools.items():
        teacher_ids = sorted(ids[m] if m in ids else int(m) for m in members)
        changes[units.ids[code]] = teacher_ids
    return Outcome(run, EXIT_PARTIAL if sorted_rows.rejected else EXIT_OK, changes)


# ---- what the pages read --------------------------------------------------------------------


def last_sync(source: RosterSource | str) -> SyncRun | None:
    """The last run of this source's feed that applied its file (None for local rosters)."""
    feed = str(source)
    if feed == RosterSource.LOCAL:
        return None
    return db.session.scalar(
        select(SyncRun)
        .where(SyncRun.feed == feed, SyncRun.status.in_((FeedStatus.APPLIED, FeedStatus.PARTIAL)))
        .order_by(SyncRun.started_at.desc(), SyncRun.id.desc())
        .limit(1)
    )
