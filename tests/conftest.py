"""Test base: one app per session, a clean database per test (SQLite or PostgreSQL),
a controllable clock, factories and login helpers."""

from __future__ import annotations

import contextvars
import itertools
import os
import random
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient
from redis import Redis
from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import make_url

from app import create_app, timeutil
from app.db import Base
from app.extensions import db
from app.identity import make_national_id
from app.migrate import upgrade
from app.models import (
    AccountGrant,
    AccountKind,
    AccountStatus,
    AccountType,
    Authority,
    AuthorityKind,
    BusinessAccount,
    County,
    Region,
    RosterSource,
    School,
    Stage,
    Teacher,
)
from app.roster import employ, new_teacher
from app.security import hash_password

PASSWORD = "correct-horse-113"


def pytest_configure(config: pytest.Config) -> None:
    """Under pytest-xdist each worker process gets its own databases.

    `make test` runs the suite in one process per core. Every worker would otherwise reset
    and fill the same PostgreSQL database and Redis database: gw0 keeps DATABASE_URL's
    name with `_gw0` added (created when missing), and Redis database n - i (mod 16) for worker i.
    SQLite needs nothing: each worker makes its own temporary file.
    """
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if not worker:
        return
    index = int(worker.removeprefix("gw"))
    url = os.environ.get("DATABASE_URL", "")
    if url.startswith("postgresql"):
        base = make_url(url)
        name = f"{base.database}_{worker}"
        admin = create_engine(base, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            exists = conn.execute(
                text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": name}
            ).first()
            if exists is None:
                conn.execute(text(f'CREATE DATABASE "{name}"'))
        admin.dispose()
        os.environ["DATABASE_URL"] = base.set(database=name).render_as_string(hide_password=False)
    redis_url = os.environ.get("REDIS_URL", "")
    if redis_url:
        parts = urlsplit(redis_url)
        number = (int(parts.path.strip("/") or 0) - index) % 16
        os.environ["REDIS_URL"] = urlunsplit(parts._replace(path=f"/{number}"))


def _reset_schema(url: str) -> None:
    engine = create_engine(url)
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        else:
            for table in reversed(Base.metadata.sorted_tables):
                conn.execute(text(f'DROP TABLE IF EXISTS "{table.name}"'))
            conn.execute(text("DROP TABLE IF EXISTS alembic_version"))
    engine.dispose()


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """DATABASE_URL when set (CI's PostgreSQL), else a fresh SQLite file."""
    url = os.environ.get("DATABASE_URL") or (
        f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite3'}"
    )
    _reset_schema(url)
    upgrade(url)
    return url


RQ_PREFIX = "rq:"


def _rq_keys(connection: Redis) -> set[bytes]:
    return set(connection.scan_iter(match=RQ_PREFIX + "*", count=1000))


@pytest.fixture(scope="session", autouse=True)
def _redis_left_without_rq_keys() -> Iterator[None]:
    """With REDIS_URL set, the suite leaves no RQ key (queues, jobs, results, workers) behind.

    The test's Redis database belongs to the suite: keys an interrupted earlier run left
    are removed first, the keys the tests created are removed at the end, and then none
    may remain (a worker or job still running would write them again).
    """
    url = os.environ.get("REDIS_URL")
    if not url:
        yield
        return
    connection = Redis.from_url(url)
    try:
        leftovers = _rq_keys(connection)
        if leftovers:
            connection.delete(*leftovers)
        yield
        created = _rq_keys(connection)
        if created:
            connection.delete(*created)
        remaining = sorted(key.decode() for key in _rq_keys(connection))
        assert remaining == [], f"RQ keys left in {url}: {remaining}"
    finally:
        connection.close()


TEST_CONFIG = {
    "TESTING": True,
    "SECRET_KEY": "test-secret",
    "PERSONAL_DATA_KEY": "test-personal-data-key",
    "WTF_CSRF_ENABLED": False,
    "RATELIMIT_ENABLED": False,
    "ARGON2_TIME_COST": 1,
    "ARGON2_MEMORY_COST": 1024,
    "DASHBOARD_CHECK_SECONDS": 0,  # figures follow each change (the window has its own test)
}


class IsolatedClient(FlaskClient):
    """Each request runs as in production: its own app context, `g` and session.

    Without this, a request made inside the test's app context would reuse it, and
    with it the signed-in user cached on `g` and the test's own database session.
    """

    def open(self, *args: Any, **kwargs: Any) -> Any:
        db.session.commit()  # what the test set up is what the request sees
        response = contextvars.Context().run(super().open, *args, **kwargs)
        db.session.expire_all()  # and the test then sees what the request stored
        return response


@pytest.fixture(scope="session")
def make_app(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Callable[..., Flask]:
    pdf_cache = str(tmp_path_factory.mktemp("pdf-cache"))

    def build(**overrides: Any) -> Flask:
        config = {**TEST_CONFIG, "DATABASE_URL": database_url, "PDF_CACHE_DIR": pdf_cache}
        app = create_app({**config, **overrides})
        app.test_client_class = IsolatedClient
        return app

    return build


@pytest.fixture(scope="session")
def app(make_app: Callable[..., Flask]) -> Flask:
    return make_app()


def _truncate_all() -> None:
    engine = db.engine
    assert engine is not None
    db.session.remove()
    names = [t.name for t in Base.metadata.sorted_tables]
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            quoted = ", ".join(f'"{n}"' for n in names)
            conn.execute(text(f"TRUNCATE {quoted} RESTART IDENTITY CASCADE"))
        else:
            for name in reversed(names):
                conn.execute(text(f'DELETE FROM "{name}"'))


@pytest.fixture(autouse=True)
def _clean_database(request: pytest.FixtureRequest) -> Iterator[None]:
    """Every test starts from empty tables, on either database."""
    if "app" not in request.fixturenames and "make_app" not in request.fixturenames:
        yield
        return
    app: Flask = request.getfixturevalue("app")
    if "identity_vault" not in app.extensions:  # a module's own bare Flask app, no database
        yield
        return
    with app.app_context():
        yield
        _truncate_all()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


class Clock:
    """Puts the whole app at a chosen instant."""

    def __init__(self) -> None:
        self.moment: datetime | None = None

    def set(self, moment: datetime) -> None:
        if moment.tzinfo is None:
            raise ValueError("aware datetimes only")
        self.moment = moment

    def __call__(self) -> datetime:
        assert self.moment is not None
        return self.moment


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    frozen = Clock()
    frozen.set(timeutil._system_now())
    monkeypatch.setattr(timeutil, "clock", frozen)
    return frozen


# ---- factories -------------------------------------------------------------------------


class Factory:
    """Builds rows with sensible defaults; each call flushes so ids exist."""

    def __init__(self) -> None:
        self._n = itertools.count(1)
        self.rng = random.Random(20240802)

    def region(self) -> Region:
        region = db.session.scalar(select(Region).limit(1))
        if region is not None:
            return region
        region = Region(code="S", name="南區")
        db.session.add(region)
        db.session.flush()
        return region

    def county(self, code: str = "64000", name: str = "高雄市") -> County:
        county = db.session.get(County, code)
        if county is None:
            county = County(code=code, name=name, region_id=self.region().id)
            db.session.add(county)
            db.session.flush()
        return county

    def authority(self, county: County | None = None) -> Authority:
        county = county or self.county()
        name = f"{county.name}政府教育局"
        authority = db.session.scalar(select(Authority).where(Authority.name == name))
        if authority is not None:
            return authority
        authority = Authority(name=name, kind=AuthorityKind.COUNTY, county_code=county.code)
        db.session.add(authority)
        db.session.flush()
        return authority

    def school(
        self,
        stage: Stage = Stage.ELEMENTARY,
        *,
        name: str | None = None,
        source: RosterSource = RosterSource.LOCAL,
        county: County | None = None,
    ) -> School:
        n = next(self._n)
        county = county or self.county()
        school = School(
            code=f"9{n:05d}",
            name=name or f"測試{stage.label}{n}",
            county_code=county.code,
            authority_id=self.authority(county).id,
            stage=stage,
            roster_source=source,
        )
        db.session.add(school)
        db.session.flush()
        return school

    def teacher(
        self,
        school: School | None = None,
        *,
        national_id: str | None = None,
        name: str = "王小明",
        password: str = PASSWORD,
        since: datetime | None = None,
    ) -> Teacher:
        national_id = national_id or make_national_id(self.rng)
        teacher = new_teacher(national_id, name, password_hash=hash_password(password))
        teacher.plain_national_id = national_id  # test-only convenience, not a column
        if school is not None:
            employ(teacher, school, since=since or timeutil.taipei(2020, 8, 1), subjects="數學")
            db.session.flush()
        return teacher

    def account(
        self,
        school: School | None = None,
        *types: AccountType,
        kind: AccountKind = AccountKind.SCHOOL,
        username: str | None = None,
        password: str = PASSWORD,
        status: AccountStatus = AccountStatus.ACTIVE,
        **extra: Any,
    ) -> BusinessAccount:
        n = next(self._n)
        account = BusinessAccount(
            username=username or f"user{n}",
            name=f"承辦人{n}",
            kind=kind,
            school_id=school.id if school else None,
            status=status,
            password_hash=hash_password(password),
            **extra,
        )
        account.grants = [AccountGrant(type=t) for t in types]
        db.session.add(account)
        db.session.flush()
        return account


@pytest.fixture
def factory(app: Flask) -> Factory:
    return Factory()


# ---- login helpers ---------------------------------------------------------------------


def login_teacher(client: FlaskClient, teacher: Teacher, password: str = PASSWORD) -> Any:
    db.session.commit()
    return client.post(
        "/teacher/login", data={"national_id": teacher.plain_national_id, "password": password}
    )


def login_account(client: FlaskClient, account: BusinessAccount, password: str = PASSWORD) -> Any:
    db.session.commit()
    return client.post("/school/login", data={"username": account.username, "password": password})


@pytest.fixture
def as_teacher(client: FlaskClient) -> Callable[..., Any]:
    return lambda teacher, password=PASSWORD: login_teacher(client, teacher, password)


@pytest.fixture
def as_account(client: FlaskClient) -> Callable[..., Any]:
    return lambda account, password=PASSWORD: login_account(client, account, password)
