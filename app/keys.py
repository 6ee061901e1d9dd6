"""Personal-data key rotation: `flask keys rotate` re-encrypts and re-hashes every
teacher's national ID with the newest key, in batches, resumable.

Each batch is one transaction: a row's ciphertext and lookup hash change together, so a
row whose ciphertext names the newest key is done. An interrupted run leaves whole
batches done and the rest untouched; running it again finishes the job.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import click
from flask import current_app
from sqlalchemy import select, update

from app.extensions import db
from app.models import Teacher
from app.security import vault


@dataclass
class RotationReport:
    checked: int = 0
    rotated: int = 0
    batches: int = 0


def rotate_personal_data(
    batch_size: int = 500, progress: Callable[[RotationReport], None] | None = None
) -> RotationReport:
    """Re-encrypt and re-hash, with the newest key, every row not yet under it; commits
    once per batch."""
    keys = vault()
    newest = keys.current_key_id
    report = RotationReport()
    last_id = 0
    while True:
        rows = db.session.execute(
            select(Teacher.id, Teacher.national_id_cipher)
            .where(Teacher.id > last_id)
            .order_by(Teacher.id)
            .limit(batch_size)
        ).all()
        if not rows:
            return report
        last_id = rows[-1].id
        changes = []
        for row_id, cipher in rows:
            report.checked += 1
            if keys.key_id_of(cipher) == newest:
                continue
            plain = keys.decrypt(cipher)
            changes.append(
                {
                    "id": row_id,
                    "national_id_cipher": keys.encrypt(plain),
                    "national_id_hash": keys.lookup_hash(plain),
                }
            )
        if changes:
            db.session.execute(update(Teacher), changes)
        db.session.commit()
        report.rotated += len(changes)
        report.batches += 1
        if progress is not None:
            progress(report)


@click.group("keys", help="個人資料金鑰")
def keys_group() -> None:
    pass


@keys_group.command(
    "rotate", help="Re-encrypt and re-hash every national ID with the newest key (resumable)."
)
@click.option("--batch-size", default=500, show_default=True, type=click.IntRange(1, 100_000))
def keys_rotate(batch_size: int) -> None:
    newest = vault().current_key_id
    click.echo(f"rotating to personal-data key {newest} (batches of {batch_size})")

    def progress(report: RotationReport) -> None:
        click.echo(f"  checked {report.checked}, re-encrypted {report.rotated}")

    report = rotate_personal_data(batch_size, progress)
    current_app.logger.info("personal-data keys rotated: %s rows", report.rotated)
    click.echo(f"done: {report.checked} rows checked, {report.rotated} re-encrypted")
