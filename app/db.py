"""Plain SQLAlchemy 2.x: declarative base, aware-UTC datetimes, and the request session."""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from typing import Any, cast

from flask import Flask, current_app, has_app_context
from flask.globals import _cv_app
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
    context = _cv_app.get(None)
    return id(context) if context is not None else threading.get_ident()


ENGINE_KEY = "database_engine"


class _AppBoundSessions(sessionmaker[Session]):
    """Makes each new session on the engine of the app whose context it is made in."""

    def __init__(self, database: Database) -> None:
        super().__init__(expire_on_commit=False)
        self._database = database

    def __call__(self, **local_kw: Any) -> Session:
        local_kw.setdefault("bind", self._database.engine)
        return super().__call__(**local_kw)


class Database:
    """Engines per database URL, and a scoped session removed at the end of each app context.

    Several apps may live in one process (tests, the benchmark, a worker): each app keeps
    the engine of its own URL, and a session is bound to the engine of the app in whose
    context it was opened. Initialising another app never disposes or rebinds an engine
    that an existing app (or an open session) is using; apps with the same URL share one
    engine, so no pool is dropped with connections still open in it.
    """

    def __init__(self) -> None:
        self._engines: dict[str, Engine] = {}
        self._default: Engine | None = None
        self.session: scoped_session[Session] = scoped_session(
            _AppBoundSessions(self), scopefunc=_app_context_scope
        )

    @property
    def engine(self) -> Engine | None:
        """The current app's engine; outside an app context, the last app's."""
        if has_app_context():
            engine = current_app.extensions.get(ENGINE_KEY)
            if engine is not None:
                return cast(Engine, engine)
        return self._default

    def engine_for(self, url: str) -> Engine:
        """The process's engine for `url`, created on first use."""
        engine = self._engines.get(url)
        if engine is None:
            engine = self._engines[url] = make_engine(url)
        return engine

    def init_app(self, app: Flask) -> None:
        engine = self.engine_for(app.config["DATABASE_URL"])
        app.extensions[ENGINE_KEY] = engine
        self._default = engine
        app.teardown_appcontext(self._remove)

    def _remove(self, _exc: BaseException | None = None) -> None:
        self.session.remove()
