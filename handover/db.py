"""Database engine, sessions and migrations."""

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import event
from sqlalchemy.engine import Engine, create_engine, make_url
from sqlalchemy.orm import Session, sessionmaker

from privacy.files import make_private

MIGRATIONS = Path(__file__).parent / "migrations"


def _enforce_foreign_keys(dbapi_connection: object, _record: object) -> None:
    # SQLite ignores foreign keys unless asked on each connection; PostgreSQL always checks.
    cursor = dbapi_connection.cursor()  # type: ignore[attr-defined]
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def make_engine(url: str) -> Engine:
    """An engine for `url`; a SQLite file is created owner-only (0600) with its folder, and its
    foreign keys are enforced."""
    make_private(url)  # before SQLite creates it with the umask's mode (0644)
    if make_url(url).get_backend_name() != "sqlite":
        return create_engine(url, future=True, pool_pre_ping=True)
    # The ASGI server runs sync database calls in worker threads.
    engine = create_engine(url, future=True, connect_args={"check_same_thread": False})
    event.listen(engine, "connect", _enforce_foreign_keys)
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
