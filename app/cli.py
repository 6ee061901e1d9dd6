"""Commands: `flask db …`, `flask demo seed|generate`, `flask cycle …`, `flask keys rotate`."""

from __future__ import annotations

from pathlib import Path

import click
from flask import Flask, current_app

from app.extensions import db


def register_commands(app: Flask) -> None:
    app.cli.add_command(db_group)
    app.cli.add_command(demo_group)
    app.cli.add_command(cycle_group)
    from app.keys import keys_group

    app.cli.add_command(keys_group)


@click.group("db", help="資料庫結構（Alembic 遷移）")
def db_group() -> None:
    pass


@db_group.command("upgrade", help="Apply every migration up to REVISION (default head).")
@click.argument("revision", default="head")
def db_upgrade(revision: str) -> None:
    from app.migrate import upgrade

    upgrade(current_app.config["DATABASE_URL"], revision)
    click.echo(f"database at {revision}")


@db_group.command("downgrade", help="Revert migrations down to REVISION.")
@click.argument("revision")
def db_downgrade(revision: str) -> None:
    from app.migrate import downgrade

    downgrade(current_app.config["DATABASE_URL"], revision)


@click.group("demo", help="示範資料")
def demo_group() -> None:
    pass


@demo_group.command("seed", help="Create the demo data (idempotent) and print the logins.")
def demo_seed() -> None:
    from app.demo.seed import DEMO_PASSWORD, seed

    report = seed()
    db.session.commit()
    created = "，".join(f"{k} {v}" for k, v in report.created.items()) or "已是最新，無新增"
    click.echo(f"示範資料：{created}")
    click.echo("")
    click.echo(f"示範登入（密碼皆為 {DEMO_PASSWORD}）：")
    for who, login, where in report.logins:
        click.echo(f"  {where:<10} {login:<14} {who}")


@demo_group.command(
    "generate",
    help="Build a national-scale data set on a fresh database (bulk inserts; see "
    "app/demo/generate.py). Refuses a database holding anything but the demo seed.",
)
@click.option("--schools", type=click.IntRange(1, 99_999), default=4000, show_default=True)
@click.option(
    "--teachers",
    type=click.IntRange(1),
    default=None,
    help="Teachers in all (shared by stage); default 50 per school.",
)
@click.option("--seed", "seed_value", type=int, default=115, show_default=True)
@click.option(
    "--plan-share",
    type=click.FloatRange(0, 1),
    default=0.5,
    show_default=True,
    help="Share of teachers in open windows who already hold a plan.",
)
def demo_generate(schools: int, teachers: int | None, seed_value: int, plan_share: float) -> None:
    from app.demo.generate import ForeignData, generate, summary

    try:
        report = generate(
            schools,
            teachers=teachers if teachers is not None else schools * 50,
            seed_value=seed_value,
            plan_share=plan_share,
        )
    except ForeignData as error:
        db.session.rollback()
        click.echo(f"拒絕執行：{error}", err=True)
        raise click.exceptions.Exit(4) from None
    db.session.commit()
    for line in summary(report):
        click.echo(line)


@click.group("cycle", help="學年度設定")
def cycle_group() -> None:
    pass


@cycle_group.command("import", help="Create or update a cycle from a YAML file.")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def cycle_import(path: Path) -> None:
    from app.cycles.services import CycleImportError, import_cycle
    from app.questionnaires.cyclefile import CycleFileError, load_cycle_file

    try:
        spec = load_cycle_file(path)
        cycle, outcome = import_cycle(spec, path.name)
    except (CycleFileError, CycleImportError) as error:
        db.session.rollback()
        for message in error.messages:
            click.echo(message, err=True)
        raise click.exceptions.Exit(1) from None
    db.session.commit()
    summary = "，".join(f"{kind} 問卷 {what}" for kind, what in outcome.items())
    click.echo(f"已匯入 {cycle.name}（{len(cycle.windows)} 個填寫期間；{summary}）")


@cycle_group.command("snapshot", help="Freeze the roster at the cycle's cutoff (idempotent).")
@click.argument("year", type=int)
@click.option("--force", is_flag=True, help="Take it again, or before the cutoff.")
def cycle_snapshot(year: int, force: bool) -> None:
    from app.cycles.services import SnapshotTooEarly, take_snapshot
    from app.cycles.windows import cycle_by_year

    cycle = cycle_by_year(year)
    if cycle is None:
        click.echo(f"找不到 {year} 學年度", err=True)
        raise click.exceptions.Exit(1)
    try:
        result = take_snapshot(cycle, force=force)
    except SnapshotTooEarly as error:
        click.echo(str(error), err=True)
        raise click.exceptions.Exit(1) from None
    db.session.commit()
    if result.already:
        click.echo(f"{cycle.name} 教師名單已於先前擷取（{result.taken} 人），未重複擷取。")
    else:
        click.echo(f"{cycle.name} 教師名單已擷取：{result.taken} 人。")
