"""Plain SQLAlchemy 2.x: declarative base, aware-UTC datetimes, and the request session."""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from typing import Any

from flask import has_app_context
from flask.globals import app_ctx
from sqlalchemy import DateTime, MetaData, create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Session, scoped_session, sessionmaker
from sqlalchemy.types import TypeDecorator

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class UTCDateTime(TypeDecorator[datetime]):
    """An instant: refuses naive values, stores UTC, always returns aware UTC (SQLite too)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime refused: store aware instants only")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def make_engine(url: str) -> Engine:
    """Create the engine; SQLite gets foreign keys, WAL and a busy timeout."""
    if url.startswith("sqlite"):
        engine = create_engine(
            url,
            connect_args={"timeout": 30, "check_same_thread": False},
            hide_parameters=True,  # bound values are user input: never in a log or traceback
        )

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
            cursor = dbapi_conn.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.close()

        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=5, hide_parameters=True)


def _app_context_scope() -> int:
    """One session per Flask app context (a request, a command, a job), else per thread."""
    if has_app_context():
        return id(app_ctx._get_current_object())
    return threading.get_ident()


class Database:
    """Holds the engine and a scoped session removed at the end of each app context."""

    def __init__(self) -> None:
        self.engine: Engine | None = None
        self.session: scoped_session[Session] = scoped_session(
            sessionmaker(), scopefunc=_app_context_scope
        )

    def init_app(self, app: Any) -> None:
        url = app.config["DATABASE_URL"]
        # Several apps in one process (tests, the benchmark) share one engine per URL, so
        # no pool is dropped with connections still open in it.
        if self.engine is None or self.engine.url.render_as_string(hide_password=False) != url:
            if self.engine is not None:
                self.engine.dispose()
            self.engine = make_engine(url)
        self.session.remove()
        self.session.configure(bind=self.engine, expire_on_commit=False)
        app.teardown_appcontext(self._remove)

    def _remove(self, _exc: BaseException | None = None) -> None:
        self.session.remove()
