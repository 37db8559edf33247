"""Tables that processes create for themselves at start, when several of them start at once.

Rasa replicas each create the events table (`reporting.broker_table`), action servers the
verification counters (`actions.lockout`). SQLAlchemy's `create_all` checks, then creates: two
processes starting together on an empty PostgreSQL database both see no table, and the second
CREATE fails (`UniqueViolation` on `pg_type`, or `DuplicateTable`), which stopped a Rasa replica
at start. On PostgreSQL the check and the creation run in one transaction under an advisory
lock, so the second process waits and then sees the table. SQLite serialises writers itself
and reports the loser's CREATE as an `OperationalError`; the loser checks again, and may lose
again on the next table while the winner is still creating the rest, so it retries once per
object the winner can have created in between.
"""

from __future__ import annotations

from sqlalchemy import MetaData, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError

LOCK_KEY = 0x7377_7462  # PostgreSQL advisory lock key ("swtb"); Alembic's is its own


def create_tables(engine: Engine, metadata: MetaData) -> None:
    """Create `metadata`'s tables and indexes that do not exist yet, safe against processes
    doing the same at the same time."""
    if engine.dialect.name == "postgresql":
        with engine.begin() as connection:
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": LOCK_KEY})
            metadata.create_all(connection)
        return
    objects = sum(1 + len(table.indexes) for table in metadata.tables.values())
    for attempt in range(objects + 1):
        try:
            metadata.create_all(engine)
            return
        except OperationalError:  # another process created one between the check and CREATE
            if attempt == objects:
                raise
