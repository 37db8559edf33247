"""Database fixtures: each database test runs on a SQLite file and on PostgreSQL."""

import os
import uuid
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from functools import lru_cache
from pathlib import Path

import psycopg2
import pytest
from _pytest.terminal import TerminalReporter  # public as pytest.TerminalReporter from 8.1
from argon2 import PasswordHasher
from sqlalchemy import delete
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from handover import security
from handover.db import make_engine, migrate, scratch_schema, session_factory
from handover.models import Base
from tests.handover.hubs import hub  # noqa: F401  (a fixture for the hub tests)
from tests.handover.lifecycles import machine  # noqa: F401  (and one for the lifecycle's)

POSTGRES_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
BACKENDS = ["sqlite", "postgresql"]
EmptyDatabase = Callable[[], str]


@lru_cache(maxsize=1)
def postgres_unreachable() -> str | None:
    """Why PostgreSQL cannot be used, or None when it answers."""
    try:
        psycopg2.connect(POSTGRES_URL, connect_timeout=3).close()
    except psycopg2.OperationalError as error:
        return f"PostgreSQL at {POSTGRES_URL} is unreachable: {str(error).strip()}"
    return None


def pytest_terminal_summary(terminalreporter: TerminalReporter) -> None:
    # Only when some test asked for PostgreSQL (the answer is cached).
    if postgres_unreachable.cache_info().currsize and (reason := postgres_unreachable()):
        terminalreporter.write_line(f"PostgreSQL tests skipped: {reason}", yellow=True)


def postgres_schema() -> AbstractContextManager[str]:
    """A URL whose connections see only a new, empty schema (dropped afterwards)."""
    return scratch_schema(POSTGRES_URL, "handover_test")


@contextmanager
def empty_database(backend: str, folder: Path) -> Iterator[str]:
    """The URL of a database without tables, on `backend`."""
    if backend == "sqlite":
        yield f"sqlite:///{folder / uuid.uuid4().hex / 'handover.db'}"
        return
    reason = postgres_unreachable()
    if reason and os.environ.get("CI"):
        pytest.fail(f"{reason} (CI must test PostgreSQL: .ci/services.sh starts it)")
    if reason:
        pytest.skip(reason)
    with postgres_schema() as url:
        yield url


@pytest.fixture(params=BACKENDS)
def empty_db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh database with no tables, for migration tests."""
    with empty_database(request.param, tmp_path) as url:
        yield url


@pytest.fixture
def empty_postgres_url(tmp_path: Path) -> Iterator[str]:
    """A fresh PostgreSQL schema with no tables."""
    with empty_database("postgresql", tmp_path) as url:
        yield url


@pytest.fixture(scope="session", params=BACKENDS)
def db_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """A migrated database shared by the session's tests (emptied after each)."""
    with empty_database(request.param, tmp_path_factory.mktemp("db")) as url:
        migrate(url)
        yield url


@pytest.fixture(scope="session")
def engine(db_url: str) -> Iterator[Engine]:
    engine = make_engine(db_url)
    yield engine
    engine.dispose()


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    """A session on the migrated database; every table is emptied afterwards."""
    with session_factory(engine)() as session:
        yield session
        session.rollback()
    with engine.begin() as connection:
        for table in reversed(Base.metadata.sorted_tables):
            connection.execute(delete(table))


@pytest.fixture(autouse=True)
def fast_password_hashes(monkeypatch: pytest.MonkeyPatch) -> None:
    # argon2's production cost (about 0.1 s a hash here) would dominate the run.
    cheap = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    monkeypatch.setattr(security, "_hasher", cheap)
