"""Database engine, sessions and migrations."""

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import event
from sqlalchemy.engine import Engine, create_engine, make_url
from sqlalchemy.orm import Session, sessionmaker

MIGRATIONS = Path(__file__).parent / "migrations"


def _sqlite_file(url: str) -> Path | None:
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return None
    database = parsed.database or ""
    if database in ("", ":memory:") or database.startswith("file:"):
        return None
    return Path(database)


def _create_sqlite_folder(url: str) -> None:
    path = _sqlite_file(url)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)


def _enforce_foreign_keys(dbapi_connection: object, _record: object) -> None:
    # SQLite ignores foreign keys unless asked on each connection; PostgreSQL always checks.
    cursor = dbapi_connection.cursor()  # type: ignore[attr-defined]
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def make_engine(url: str) -> Engine:
    """An engine for `url`; for a SQLite file, its folder is created and foreign keys enforced."""
    _create_sqlite_folder(url)
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
    """Upgrade the database at `url` to the latest revision (creating a SQLite file's folder)."""
    _create_sqlite_folder(url)
    command.upgrade(alembic_config(url), "head")
