"""The gateway's SQLite file: write-ahead log, owner-only files, connections kept open."""

from __future__ import annotations

import stat
import threading
from pathlib import Path

from sqlalchemy import event, text

from handover.db import SQLITE_CACHE_KIB, make_engine, migrate, session_factory, session_scope
from handover.models import Conversation


def test_the_gateways_sqlite_file_is_written_ahead_and_stays_owner_only(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/gateway.db"
    migrate(url)
    engine = make_engine(url)
    with engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert connection.exec_driver_sql("PRAGMA cache_size").scalar() == -SQLITE_CACHE_KIB
    with session_scope(session_factory(engine)) as session:
        session.add(Conversation(id="c1"))
        session.flush()
        files = sorted(p.name for p in tmp_path.iterdir())
        assert files == ["gateway.db", "gateway.db-shm", "gateway.db-wal"]
        for name in files:
            assert stat.S_IMODE((tmp_path / name).stat().st_mode) == 0o600, name
    engine.dispose()


def test_threads_share_a_few_open_connections(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/gateway.db"
    migrate(url)
    engine = make_engine(url)
    opened: list[object] = []
    event.listen(engine, "connect", lambda connection, _record: opened.append(connection))
    factory = session_factory(engine)
    errors: list[BaseException] = []

    def work(n: int) -> None:
        try:
            for turn in range(10):
                with session_scope(factory) as session:
                    session.add(Conversation(id=f"c{n}-{turn}"))
        except BaseException as error:  # noqa: BLE001 - collected for the assertion
            errors.append(error)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    assert len(opened) <= 4  # 40 sessions
    with engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM conversations")).scalar() == 40
    engine.dispose()
