"""SQLite settings for the files Rasa writes on every message: its trackers and its events.

With SQLite's default rollback journal each commit syncs the file several times; Rasa commits
the tracker after every message and the event store the turn's events (docs/benchmarks.md,
"Rasa's own time"). In write-ahead-log mode with `synchronous=NORMAL` a commit appends to the
log and syncs only at checkpoints: a power cut may lose the last turns, never corrupt the file
(https://www.sqlite.org/wal.html); the gateway keeps every customer message itself and answers
those that were not answered. Readers (the gateway's reports and erasure, another Rasa process)
no longer wait for writers. The log and its index get the database file's owner-only mode.
"""

from __future__ import annotations

from sqlalchemy import event
from sqlalchemy.engine import Engine


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
