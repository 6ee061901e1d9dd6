"""`flask sync ece FILE` and `flask sync taipei FILE`: apply a nightly roster feed.

Exit codes (for the scheduler; docs/feeds.md): 0 applied, 3 applied but some rows were
rejected, 4 the file was refused and nothing applied, 5 another run of the same feed was
in progress, 2 a usage error (no such file), 1 an unexpected failure.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click
from flask import Flask
from flask_babel import gettext as _
from sqlalchemy import text

from app import events
from app.extensions import db
from app.feeds.formats import FEEDS
from app.feeds.services import EXIT_LOCKED, EXIT_REFUSED, FeedStatus, Outcome, apply_feed

Command = TypeVar("Command", bound=Callable[..., Any])


def register_feed_commands(app: Flask) -> None:
    app.cli.add_command(sync_group)


@click.group("sync", help="名單來源同步（全國教保資訊網、臺北市教師研習網）")
def sync_group() -> None:
    pass


def _options(command: Command) -> Command:
    command = click.option(
        "--format",
        "fmt",
        type=click.Choice(["csv", "jsonl"]),
        default=None,
        help="File format (default: by extension, .jsonl → JSON Lines, else CSV).",
    )(command)
    command = click.option(
        "--max-end-share",
        type=click.FloatRange(0.0, 1.0),
        default=None,
        help="Refuse a file ending more than this share of current employments "
        "(default FEED_MAX_END_SHARE).",
    )(command)
    return click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))(
        command
    )


@sync_group.command("ece", help="Apply a 全國教保資訊網 (kindergarten) roster file.")
@_options
def sync_ece(path: Path, fmt: str | None, max_end_share: float | None) -> None:
    _run("ece", path, fmt, max_end_share)


@sync_group.command("taipei", help="Apply a 臺北市教師研習網 (Taipei) roster file.")
@_options
def sync_taipei(path: Path, fmt: str | None, max_end_share: float | None) -> None:
    _run("taipei", path, fmt, max_end_share)


def _run(feed: str, path: Path, fmt: str | None, max_end_share: float | None) -> None:
    try:
        outcome = apply_feed(FEEDS[feed], path, fmt=fmt, max_end_share=max_end_share)
        db.session.commit()
        _refresh_statistics(outcome)
    except BaseException:
        db.session.rollback()
        raise
    _announce(feed, outcome)
    _report(outcome)
    raise click.exceptions.Exit(outcome.exit_code)


ANALYZE_AFTER = 1000  # changed rows after which PostgreSQL's planner statistics are refreshed


def _refresh_statistics(outcome: Outcome) -> None:
    """After a large first load, refresh PostgreSQL's statistics: until autovacuum does,
    the planner takes the new tables for empty and the next run's lookups crawl."""
    run = outcome.run
    if db.session.get_bind().dialect.name != "postgresql":
        return
    if run.rows_created + run.rows_updated + run.rows_ended < ANALYZE_AFTER:
        return
    db.session.execute(text("ANALYZE teacher, employment, school"))
    db.session.commit()


def _announce(feed: str, outcome: Outcome) -> None:
    run = outcome.run
    if run.status not in (FeedStatus.APPLIED, FeedStatus.PARTIAL):
        return
    events.announce(events.feed_applied, feed, sync_run_id=run.id)
    for school_id, teacher_ids in outcome.school_changes.items():
        events.announce(events.roster_changed, school_id, teacher_ids=teacher_ids)


def _report(outcome: Outcome) -> None:
    run = outcome.run
    if outcome.exit_code in (EXIT_REFUSED, EXIT_LOCKED):
        click.echo(_("未套用（同步紀錄 #%(id)d）：%(why)s", id=run.id, why=run.message), err=True)
        for item in run.errors:
            click.echo(_("第 %(row)s 列：%(reason)s", **item), err=True)
        return
    click.echo(
        _(
            "已套用（同步紀錄 #%(id)d）：讀取 %(read)d 列，新增 %(created)d、更新 %(updated)d、"
            "結束任職 %(ended)d、待審略過 %(skipped)d、退回 %(rejected)d，新增單位 %(units)d",
            id=run.id,
            read=run.rows_read,
            created=run.rows_created,
            updated=run.rows_updated,
            ended=run.rows_ended,
            skipped=run.rows_skipped,
            rejected=run.rows_rejected,
            units=run.units_created,
        )
    )
    for item in run.errors:
        click.echo(_("第 %(row)s 列：%(reason)s", **item), err=True)
