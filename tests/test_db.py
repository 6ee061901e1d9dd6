"""The database helper: each app keeps its own engine, whatever other apps are created."""

from __future__ import annotations

from sqlalchemy import func, select

from app.db import Base, make_engine
from app.extensions import db
from app.models import Region


def test_a_second_app_never_disposes_or_rebinds_the_first_apps_engine(app, make_app, tmp_path):
    other_url = f"sqlite:///{tmp_path / 'other.sqlite3'}"
    schema = make_engine(other_url)
    Base.metadata.create_all(schema)
    schema.dispose()

    first_engine = db.engine
    assert first_engine is not None
    first_pool = first_engine.pool
    # An open transaction in the first app, with a row not yet committed.
    db.session.add(Region(code="N", name="北區"))
    db.session.flush()
    first_session = db.session()

    other = make_app(DATABASE_URL=other_url)

    # The first app's engine, pool and open session are untouched by the second app.
    assert db.engine is first_engine
    assert first_engine.pool is first_pool
    assert db.session() is first_session
    db.session.commit()
    assert db.session.scalar(select(func.count()).select_from(Region)) == 1

    # The second app talks to its own database, and the first app's row is not there.
    with other.app_context():
        assert db.engine is not first_engine
        assert str(db.engine.url) == other_url
        assert db.session.scalar(select(func.count()).select_from(Region)) == 0
        db.session.add(Region(code="S", name="南區"))
        db.session.commit()

    assert db.engine is first_engine
    assert db.session.scalars(select(Region.code)).all() == ["N"]
    with other.app_context():
        assert db.session.scalars(select(Region.code)).all() == ["S"]
        other_engine = db.engine
    assert other_engine is not None
    other_engine.dispose()


def test_apps_on_one_url_share_one_engine(app, make_app):
    assert make_app().extensions["database_engine"] is app.extensions["database_engine"]
