"""Rasa's SQLite files (trackers, events) in write-ahead-log mode, owner-only like the file."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import UserUttered
from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine

from bot.rasa_sqlite import _write_ahead, write_ahead
from privacy.tracker_store import RedactingTrackerStore
from reporting.broker_table import events_engine


def modes(engine: Engine) -> tuple[str, int]:
    with engine.connect() as connection:
        journal = connection.exec_driver_sql("PRAGMA journal_mode").scalar()
        synchronous = connection.exec_driver_sql("PRAGMA synchronous").scalar()
    return journal, synchronous


@pytest.mark.parametrize("store", ["trackers", "events"])
def test_rasas_files_are_written_ahead_and_stay_owner_only(tmp_path: Path, store: str) -> None:
    url = f"sqlite:///{tmp_path}/{store}.db"
    if store == "trackers":
        engine = RedactingTrackerStore(Domain.empty(), url).engine
    else:
        engine = events_engine(url)

    assert modes(engine) == ("wal", 1)  # 1: NORMAL
    with engine.begin() as connection:  # while open, SQLite keeps its log beside the file
        connection.exec_driver_sql("CREATE TABLE IF NOT EXISTS probe (x INTEGER)")
        connection.exec_driver_sql("INSERT INTO probe VALUES (1)")
        files = sorted(p.name for p in tmp_path.iterdir())
        assert files == [f"{store}.db", f"{store}.db-shm", f"{store}.db-wal"]
        for name in files:
            assert stat.S_IMODE((tmp_path / name).stat().st_mode) == 0o600, name
    engine.dispose()


def test_other_databases_are_left_as_they_are() -> None:
    engine = create_engine("postgresql://nobody@127.0.0.1:1/none")

    assert write_ahead(engine) is engine
    assert not event.contains(engine, "connect", _write_ahead)


def test_once_is_enough(tmp_path: Path) -> None:
    engine = write_ahead(write_ahead(create_engine(f"sqlite:///{tmp_path}/x.db")))

    assert modes(engine) == ("wal", 1)
    engine.dispose()


@pytest.mark.parametrize("store", ["trackers", "events"])
async def test_connections_to_rasas_files_are_kept_between_messages(
    tmp_path: Path, store: str
) -> None:
    url = f"sqlite:///{tmp_path}/{store}.db"
    tracker_store = RedactingTrackerStore(Domain.empty(), url) if store == "trackers" else None
    engine = tracker_store.engine if tracker_store else events_engine(url)
    opened: list[object] = []
    event.listen(engine, "connect", lambda connection, _record: opened.append(connection))

    for turn in range(5):
        if tracker_store:
            tracker = await tracker_store.get_or_create_tracker("conv-1")
            tracker.update(UserUttered(f"message {turn}"))
            await tracker_store.save(tracker)
        else:
            with engine.begin() as connection:
                connection.exec_driver_sql("SELECT 1")

    assert len(opened) <= 1
    if tracker_store:
        tracker = await tracker_store.retrieve("conv-1")
        assert tracker is not None
        assert [e.text for e in tracker.events if isinstance(e, UserUttered)] == [
            f"message {turn}" for turn in range(5)
        ]
    engine.dispose()
