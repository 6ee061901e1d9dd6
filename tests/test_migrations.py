"""Migrations from empty produce exactly the models' schema, on SQLite and PostgreSQL:
columns and types, and every constraint (primary, unique, check, foreign keys) and index."""

from __future__ import annotations

import contextlib
import os
import re
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.operations import Operations
from sqlalchemy import (
    CheckConstraint,
    ForeignKeyConstraint,
    MetaData,
    Table,
    UniqueConstraint,
    create_engine,
    inspect,
    text,
)
from sqlalchemy.engine import make_url

from app.db import NAMING, Base
from app.migrate import downgrade, upgrade


@contextlib.contextmanager
def _new_database(directory: Path) -> Iterator[str]:
    """A brand-new empty database of the same kind the suite runs on."""
    base = os.environ.get("DATABASE_URL", "")
    if not base.startswith("postgresql"):
        yield f"sqlite:///{directory / f'{uuid.uuid4().hex[:10]}.sqlite3'}"
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


@pytest.fixture
def empty_database(tmp_path: Path) -> Iterator[str]:
    with _new_database(tmp_path) as url:
        yield url


@pytest.fixture(scope="module")
def migrated_database(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Migrated once to head, for the comparisons that only read it."""
    with _new_database(tmp_path_factory.mktemp("migrated")) as url:
        upgrade(url)
        yield url


# ---- the comparison --------------------------------------------------------------------------


def _sql(expression: str) -> str:
    """A CHECK's text as both databases give it back: no casts, brackets, spaces or case."""
    return re.sub(r"::\w+|[\s()\"]", "", expression).lower()


def _model_shape(table: Table) -> dict[str, set[tuple[Any, ...]]]:
    return {
        "primary key": {(table.primary_key.name, tuple(c.name for c in table.primary_key))},
        "unique": {
            (c.name, tuple(col.name for col in c.columns))
            for c in table.constraints
            if isinstance(c, UniqueConstraint)
        },
        "check": {
            (c.name, _sql(str(c.sqltext)))
            for c in table.constraints
            if isinstance(c, CheckConstraint)
        },
        "foreign key": {
            (
                c.name,
                tuple(c.column_keys),
                c.referred_table.name,
                tuple(e.column.name for e in c.elements),
            )
            for c in table.constraints
            if isinstance(c, ForeignKeyConstraint)
        },
        "index": {
            (i.name, tuple(col.name for col in i.columns), bool(i.unique)) for i in table.indexes
        },
    }


def _database_shape(inspector: Any, name: str) -> dict[str, set[tuple[Any, ...]]]:
    pk = inspector.get_pk_constraint(name)
    return {
        "primary key": {(pk["name"], tuple(pk["constrained_columns"]))},
        "unique": {
            (u["name"], tuple(u["column_names"])) for u in inspector.get_unique_constraints(name)
        },
        "check": {(c["name"], _sql(c["sqltext"])) for c in inspector.get_check_constraints(name)},
        "foreign key": {
            (
                f["name"],
                tuple(f["constrained_columns"]),
                f["referred_table"],
                tuple(f["referred_columns"]),
            )
            for f in inspector.get_foreign_keys(name)
        },
        # PostgreSQL also lists the index behind each unique constraint: that is the constraint.
        "index": {
            (i["name"], tuple(i["column_names"]), bool(i["unique"]))
            for i in inspector.get_indexes(name)
            if "duplicates_constraint" not in i
        },
    }


def schema_differences(url: str, metadata: MetaData) -> list[Any]:
    """Every difference between the database at `url` and `metadata`, nothing ignored."""
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            differences: list[Any] = list(compare_metadata(context, metadata))
            inspector = inspect(conn)
            present = set(inspector.get_table_names()) - {"alembic_version"}
            for table in metadata.sorted_tables:
                if table.name not in present:
                    continue  # compare_metadata has said so already
                model = _model_shape(table)
                database = _database_shape(inspector, table.name)
                for kind, wanted in model.items():
                    found = database[kind]
                    differences += [("missing " + kind, table.name, x) for x in wanted - found]
                    differences += [("extra " + kind, table.name, x) for x in found - wanted]
    finally:
        engine.dispose()
    return differences


def _copy_of_the_models() -> MetaData:
    copy = MetaData(naming_convention=NAMING)
    for table in Base.metadata.sorted_tables:
        table.to_metadata(copy)
    return copy


# ---- the tests -------------------------------------------------------------------------------


def test_upgrade_from_empty_matches_the_models(migrated_database):
    assert schema_differences(migrated_database, Base.metadata) == []


def test_the_model_copy_used_below_matches_too(migrated_database):
    assert schema_differences(migrated_database, _copy_of_the_models()) == []


@pytest.mark.parametrize(
    ("table_name", "kind", "name"),
    [
        ("window", UniqueConstraint, "uq_window_cycle_id_plan_kind_stage"),
        ("teacher", UniqueConstraint, "uq_teacher_national_id_hash"),
        ("school", CheckConstraint, "ck_school_code_length"),
        ("extension", CheckConstraint, "ck_extension_one_target"),
        ("employment", ForeignKeyConstraint, "fk_employment_school_id_school"),
        ("teacher_plan", None, "ix_teacher_plan_cycle_school_status"),
    ],
)
def test_a_constraint_the_database_has_and_the_models_lack_fails_it(
    migrated_database, table_name, kind, name
):
    copy = _copy_of_the_models()
    table = copy.tables[table_name]
    if kind is None:
        index = next(i for i in table.indexes if i.name == name)
        table.indexes.discard(index)
    else:
        constraint = next(c for c in table.constraints if c.name == name)
        assert isinstance(constraint, kind)
        table.constraints.discard(constraint)
    differences = schema_differences(migrated_database, copy)
    assert differences, f"dropping {name} from the models went unnoticed"
    assert name in repr(differences)


def test_a_unique_constraint_dropped_from_the_database_fails_it(empty_database):
    upgrade(empty_database)
    engine = create_engine(empty_database)
    with engine.begin() as conn:
        operations = Operations(MigrationContext.configure(conn))
        with operations.batch_alter_table("window") as batch:
            batch.drop_constraint("uq_window_cycle_id_plan_kind_stage", type_="unique")
    engine.dispose()
    differences = schema_differences(empty_database, Base.metadata)
    assert ("missing unique", "window") in {d[:2] for d in differences if isinstance(d, tuple)}
    # Alembic's own comparison reports it too: nothing is filtered out any more.
    assert any(d[0] == "add_constraint" for d in differences if isinstance(d, tuple))


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
