"""Issue 10's in-process figure: registering a teacher by national ID (the keyed-hash
lookup of `app.roster_admin.services.find_by_national_id`) against a primary-key lookup
of the same table, both timed the same way, interleaved, in the current app context."""

from __future__ import annotations

import random
import statistics
import time
from typing import Any

from sqlalchemy import func, select

from app.extensions import db
from app.identity import make_national_id
from app.models import Teacher
from app.roster_admin.services import find_by_national_id
from app.security import vault


def _median_ms(values: list[float]) -> float:
    return statistics.median(values) * 1000


def time_lookups(samples: int = 400, seed: int = 10) -> dict[str, Any]:
    """Median milliseconds of `samples` lookups of existing and as many of unknown IDs,
    and of as many primary-key lookups; the session is emptied between lookups (outside
    the timing) so that none is answered from the identity map."""
    rng = random.Random(seed)
    the_vault = vault()
    ids = list(db.session.scalars(select(Teacher.id).order_by(func.random()).limit(samples)))
    if not ids:
        raise RuntimeError("no teacher to look up")
    known = [
        the_vault.decrypt(cipher)
        for cipher in db.session.scalars(
            select(Teacher.national_id_cipher).where(Teacher.id.in_(ids))
        )
    ]
    hashes = set(db.session.scalars(select(Teacher.national_id_hash)))
    unknown: list[str] = []
    while len(unknown) < len(known):
        candidate = make_national_id(rng)
        if the_vault.lookup_hash(candidate) not in hashes:
            unknown.append(candidate)
    db.session.expunge_all()

    found_ms: list[float] = []
    missing_ms: list[float] = []
    key_ms: list[float] = []
    hits = 0
    for national_id, missing, teacher_id in zip(known, unknown, ids, strict=False):
        clock = time.perf_counter()
        hit = find_by_national_id(national_id)
        found_ms.append(time.perf_counter() - clock)
        hits += hit is not None
        db.session.expunge_all()
        clock = time.perf_counter()
        miss = find_by_national_id(missing)
        missing_ms.append(time.perf_counter() - clock)
        if miss is not None:
            raise RuntimeError("an unknown national ID was found")
        db.session.expunge_all()
        clock = time.perf_counter()
        db.session.scalar(select(Teacher).where(Teacher.id == teacher_id))
        key_ms.append(time.perf_counter() - clock)
        db.session.expunge_all()
    if hits != len(known):
        raise RuntimeError(f"only {hits} of {len(known)} existing national IDs were found")
    lookup = _median_ms(found_ms + missing_ms)
    key = _median_ms(key_ms)
    return {
        "teachers": len(hashes),
        "lookups": len(found_ms) + len(missing_ms),
        "national_id_ms": round(lookup, 3),
        "existing_ms": round(_median_ms(found_ms), 3),
        "unknown_ms": round(_median_ms(missing_ms), 3),
        "primary_key_ms": round(key, 3),
        "ratio_to_primary_key": round(lookup / key, 2) if key else None,
    }
