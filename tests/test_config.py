"""Production settings: what the app refuses to start with."""

from __future__ import annotations

import pytest

from app.config import ConfigError, from_environment, validate

PRODUCTION = {
    "ENV_NAME": "production",
    "SECRET_KEY": "a-private-random-value",
    "PERSONAL_DATA_KEY": "another-private-random-value",
    "DATABASE_URL": "postgresql+psycopg://app@db/inservice",
    "REDIS_URL": "redis://redis:6379/0",
    "SINGLE_PROCESS": False,
}


def test_production_with_redis_starts():
    validate(dict(PRODUCTION))  # no exception


def test_production_refuses_to_start_without_redis():
    with pytest.raises(ConfigError, match="REDIS_URL must be set"):
        validate({**PRODUCTION, "REDIS_URL": None})


def test_production_without_redis_starts_when_single_process_is_named():
    validate({**PRODUCTION, "REDIS_URL": None, "SINGLE_PROCESS": True})


def test_development_needs_no_redis():
    validate({**PRODUCTION, "ENV_NAME": "development", "REDIS_URL": None})


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("1", True), ("true", True), ("YES", True), ("", False), ("0", False), ("no", False)],
)
def test_single_process_is_read_from_the_environment(raw, expected):
    assert from_environment({"SINGLE_PROCESS": raw})["SINGLE_PROCESS"] is expected
    assert from_environment({})["SINGLE_PROCESS"] is False


def test_the_factory_refuses_production_without_redis(make_app):
    with pytest.raises(ConfigError, match="REDIS_URL"):
        make_app(
            **{
                **PRODUCTION,
                "DATABASE_URL": "postgresql+psycopg://x@127.0.0.1:1/none",
                "REDIS_URL": None,
            }
        )


def test_the_pdf_queue_and_its_wait_are_read_from_the_environment():
    assert from_environment({})["PDF_WAIT_SECONDS"] == 3
    assert from_environment({})["JOBS_QUEUE"] == "pdf"
    settings = from_environment({"PDF_WAIT_SECONDS": "1", "JOBS_QUEUE": "pdf-eu"})
    assert (settings["PDF_WAIT_SECONDS"], settings["JOBS_QUEUE"]) == (1, "pdf-eu")
