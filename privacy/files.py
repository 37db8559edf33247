"""Database files that only their owner can read."""

from __future__ import annotations

import os
from pathlib import Path

from sqlalchemy.engine import make_url

PRIVATE = 0o600


def sqlite_path(url: str) -> Path | None:
    """The file of a SQLite URL; None for other databases and in-memory SQLite."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return None
    database = parsed.database or ""
    if database in ("", ":memory:") or database.startswith("file:"):
        return None
    return Path(database)


def create_private_file(path: Path) -> None:
    """Create `path` (and its folder) readable by its owner only, or tighten an existing one.

    SQLite then gives its journal and WAL files the same mode as the database file.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_CREAT | os.O_WRONLY, PRIVATE)
    os.close(descriptor)
    os.chmod(path, PRIVATE)  # a file made earlier, or under a loose umask


def make_private(url: str) -> None:
    """For a SQLite file URL, create the file owner-only before any engine opens it."""
    path = sqlite_path(url)
    if path is not None:
        create_private_file(path)
