"""Database engine, sessions and migrations."""

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import event, text
from sqlalchemy.engine import Engine, create_engine, make_url
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import NullPool, QueuePool

from privacy.files import make_private

MIGRATIONS = Path(__file__).parent / "migrations"


# SQLite's page cache per connection, in KiB (its default is 2 MiB): a month of report facts
# is some 20 MiB of pages, read again by each report; with the default, every read goes back
# to the operating system for most of them (a third of a month's summary time).
SQLITE_CACHE_KIB = 32 * 1024


# Connections kept open to a SQLite file: as many as the threads that run the gateway's database
# calls (asyncio's default executor: cores + 4, at most 32), a few more for bursts.
SQLITE_POOL_SIZE = min(32, (os.cpu_count() or 1) + 4)
SQLITE_POOL_OVERFLOW = 4


def _configure_sqlite(dbapi_connection: object, _record: object) -> None:
    # SQLite ignores foreign keys unless asked on each connection; PostgreSQL always checks.
    cursor = dbapi_connection.cursor()  # type: ignore[attr-defined]
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA cache_size=-{SQLITE_CACHE_KIB}")
    # A write-ahead log: a commit appends to it, with one sync (synchronous stays FULL: a
    # customer's message is acknowledged only once stored), and readers no longer wait for
    # writers. Kept in the file once set; a file a process still holds in the old mode stays so.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.close()


def make_engine(url: str) -> Engine:
    """An engine for `url`; a SQLite file is created owner-only (0600) with its folder, written
    with a write-ahead log, its foreign keys enforced, its page cache `SQLITE_CACHE_KIB` and its
    connections kept open (SQLAlchemy 1.4 would open one for each session, cache cold)."""
    make_private(url)  # before SQLite creates it with the umask's mode (0644)
    if make_url(url).get_backend_name() != "sqlite":
        return create_engine(url, future=True, pool_pre_ping=True)
    engine = create_engine(
        url,
        future=True,
        poolclass=QueuePool,
        pool_size=SQLITE_POOL_SIZE,
        max_overflow=SQLITE_POOL_OVERFLOW,
        # The ASGI server runs sync database calls in worker threads; a pooled connection is
        # used by one of them at a time.
        connect_args={"check_same_thread": False},
    )
    event.listen(engine, "connect", _configure_sqlite)
    return engine


def session_factory(engine: Engine) -> sessionmaker:
    """Sessions bound to `engine`; objects stay readable after commit (no reload per attribute)."""
    return sessionmaker(bind=engine, future=True, expire_on_commit=False)


@contextmanager
def session_scope(factory: sessionmaker) -> Iterator[Session]:
    """A session that commits when the block succeeds and rolls back when it raises."""
    with factory() as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


def alembic_config(url: str) -> Config:
    """Alembic configuration for `url`, without an alembic.ini.

    New revisions: `alembic.command.revision(alembic_config(url), autogenerate=True, message=...)`.
    """
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    # Passed as an attribute, not an option: ini interpolation would mangle "%" in URLs.
    config.attributes["url"] = url
    return config


def migrate(url: str) -> None:
    """Upgrade the database at `url` to the latest revision (creating a SQLite file, 0600)."""
    make_private(url)
    command.upgrade(alembic_config(url), "head")


@contextmanager
def scratch_schema(url: str, prefix: str) -> Iterator[str]:
    """A URL of the PostgreSQL server at `url` whose connections see only a new, empty schema
    named `prefix` and a random suffix, dropped with its tables afterwards, when the connections
    still open on it are ended (tests, benchmark)."""
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    admin = create_engine(url, future=True, poolclass=NullPool)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{name}"'))
    try:
        # Named after the schema, so that connections a caller's pool left open end with it.
        scoped = make_url(url).update_query_dict(
            {"options": f"-csearch_path={name}", "application_name": name}
        )
        yield scoped.render_as_string(hide_password=False)
    finally:
        with admin.begin() as connection:
            connection.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                    " WHERE application_name = :name AND pid <> pg_backend_pid()"
                ),
                {"name": name},
            )
            connection.execute(text(f'DROP SCHEMA "{name}" CASCADE'))
        admin.dispose()
