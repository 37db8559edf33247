"""Scratch schemas on PostgreSQL (tests and benchmarks): connections a pool left open on one
end with it, so that a long run does not exhaust the server's connections."""

from __future__ import annotations

import os

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.pool import NullPool

from handover.db import scratch_schema
from tests.handover.conftest import POSTGRES_URL, postgres_unreachable


def open_on(name_prefix: str) -> int:
    admin = create_engine(POSTGRES_URL, poolclass=NullPool)
    with admin.connect() as connection:
        found = connection.execute(
            text("SELECT count(*) FROM pg_stat_activity WHERE application_name LIKE :p"),
            {"p": f"{name_prefix}_%"},
        ).scalar_one()
    admin.dispose()
    return int(found)


def test_connections_left_open_end_with_the_schema() -> None:
    if reason := postgres_unreachable():
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    with scratch_schema(POSTGRES_URL, "leaky_pool") as url:
        engine = create_engine(url)  # never disposed, as a forgetful test would leave it
        kept = engine.connect()
        assert kept.execute(text("SELECT current_schema()")).scalar_one().startswith("leaky_pool_")
        assert open_on("leaky_pool") == 1
    assert open_on("leaky_pool") == 0
    with pytest.raises(DBAPIError):  # the server ended it
        kept.execute(text("SELECT 1"))
