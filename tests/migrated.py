"""A new SQLite gateway database, migrated: a copy of one migrated once per test run.

Alembic's thirteen migrations (SQLite's batch table rebuilds among them) take about half a
second; hundreds of tests start from an empty database, so they copy a template instead. Any
other URL (PostgreSQL, or an existing file) is migrated as usual.
"""

from __future__ import annotations

import atexit
import shutil
import tempfile
from functools import lru_cache
from pathlib import Path

from handover.db import migrate

PREFIX = "sqlite:///"


@lru_cache(maxsize=1)
def _template() -> Path:
    folder = Path(tempfile.mkdtemp(prefix="migrated-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    path = folder / "template.db"
    migrate(f"{PREFIX}{path}")
    return path


def migrated(url: str) -> None:
    """Bring the database at `url` to the newest schema."""
    target = Path(url.removeprefix(PREFIX)) if url.startswith(PREFIX) else None
    if target is None or target.exists() or "?" in url:
        migrate(url)
        return
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(_template(), target)
    target.chmod(0o600)  # as migrate leaves a new SQLite file: the record is private
