"""Migrations from empty produce exactly the models' schema, on SQLite and PostgreSQL."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url

from app.db import Base
from app.migrate import downgrade, upgrade


@pytest.fixture
def empty_database(tmp_path) -> Iterator[str]:
    """A brand-new empty database of the same kind the suite runs on."""
    base = os.environ.get("DATABASE_URL", "")
    if not base.startswith("postgresql"):
        yield f"sqlite:///{tmp_path / 'empty.sqlite3'}"
        return
    name = f"migcheck_{uuid.uuid4().hex[:10]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(base).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _ignored(diff: tuple) -> bool:
    # SQLite cannot report CHECK constraint names back; nothing else may differ.
    return diff[0] in ("add_constraint", "remove_constraint")


def test_upgrade_from_empty_matches_the_models(empty_database):
    upgrade(empty_database)
    engine = create_engine(empty_database)
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        diffs = [
            d
            for d in compare_metadata(context, Base.metadata)
            if not (isinstance(d, tuple) and _ignored(d))
        ]
    engine.dispose()
    assert diffs == []


def test_downgrade_to_base_and_up_again(empty_database):
    upgrade(empty_database)
    downgrade(empty_database, "base")
    engine = create_engine(empty_database)
    tables = set(inspect(engine).get_table_names()) - {"alembic_version"}
    engine.dispose()
    assert tables == set()
    upgrade(empty_database)
    engine = create_engine(empty_database)
    assert "teacher_plan" in inspect(engine).get_table_names()
    engine.dispose()
