"""SQLite settings for the files Rasa writes on every message: its trackers and its events.

With SQLite's default rollback journal each commit syncs the file several times; Rasa commits
the tracker after every message and the event store the turn's events (docs/benchmarks.md,
"Rasa's own time"). In write-ahead-log mode with `synchronous=NORMAL` a commit appends to the
log and syncs only at checkpoints: a power cut may lose the last turns, never corrupt the file
(https://www.sqlite.org/wal.html); the gateway keeps every customer message itself and answers
those that were not answered. Readers (the gateway's reports and erasure, another Rasa process)
no longer wait for writers. The log and its index get the database file's owner-only mode.

SQLAlchemy 1.4 opens a new connection to a SQLite file for every session (`NullPool`): Rasa
opens two sessions a message (read the tracker back, save it) and the event store one more,
each opening the file and setting the modes above again. `keep_connections` keeps a few open.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import create_engine, event
from sqlalchemy.engine import URL, Engine, make_url
from sqlalchemy.pool import QueuePool


def _write_ahead(dbapi_connection: object, _record: object) -> None:
    cursor = dbapi_connection.cursor()  # type: ignore[attr-defined]
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def write_ahead(engine: Engine) -> Engine:
    """`engine`, its SQLite connections in write-ahead-log mode; other databases unchanged."""
    if engine.dialect.name == "sqlite" and not event.contains(engine, "connect", _write_ahead):
        event.listen(engine, "connect", _write_ahead)
    return engine


def is_sqlite_file(url: str | URL) -> bool:
    url = make_url(url)
    return url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:")


def keep_connections(url: str | URL, **kwargs: Any) -> Engine:
    """An engine on `url`, in write-ahead-log mode if SQLite; a SQLite file's connections are
    kept open in a pool rather than opened for each session (other databases pool already)."""
    if is_sqlite_file(url):
        # Each pooled connection is used by one session at a time, whichever thread holds it.
        kwargs = {"poolclass": QueuePool, "connect_args": {"check_same_thread": False}, **kwargs}
    return write_ahead(create_engine(url, **kwargs))
