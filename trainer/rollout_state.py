"""The roll-out as it stands (`rollout`, `rasa_servers`), read by the transitions
(`trainer.rollout`) and by each conversation's assignment (`trainer.assignment`), and their
one error."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session
from sqlalchemy.sql.dml import Insert

from trainer.tables import RASA_SERVERS, ROLLOUT, ROLLOUT_ROW

Db = Session | Connection
Code = Literal[
    "no_rollout", "not_found", "busy", "no_candidate", "verdict_failed", "same_model", "bad_share"
]
SERVERS = ("a", "b")


class RolloutError(Exception):
    """A transition refused; `code` says why (one of `Code`), the message in plain words."""

    def __init__(self, code: Code, message: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class Rollout:
    mode: Literal["idle", "canary"]
    live_model: str
    live_server: str
    candidate_model: str | None
    candidate_server: str | None
    share: float  # of new conversations for the candidate: 0 when idle
    started_at: datetime | None  # of the current canary, or the last one
    updated_at: datetime
    updated_by: str

    @property
    def standby_server(self) -> str:
        """The server that is not live: where a candidate goes."""
        return next(name for name in SERVERS if name != self.live_server)


def current(db: Db) -> Rollout | None:
    """The roll-out as it stands; None before the first start (`rollout.ensure_initial`)."""
    row = db.execute(select(ROLLOUT).where(ROLLOUT.c.id == ROLLOUT_ROW)).first()
    if row is None:
        return None
    fields = {name: getattr(row, name) for name in Rollout.__dataclass_fields__}
    return Rollout(**fields)


def server_models(db: Db) -> dict[str, str]:
    """Which model each Rasa server must hold: what the model server hands it."""
    return dict(db.execute(select(RASA_SERVERS.c.name, RASA_SERVERS.c.model_id)).all())


def require(db: Db) -> Rollout:
    """The roll-out; `RolloutError` "no_rollout" before the first start."""
    found = current(db)
    if found is None:
        raise RolloutError("no_rollout", "no roll-out yet: the gateway creates it at its start")
    return found


def insert_for(db: Db, table: Any) -> Insert:
    """INSERT with ON CONFLICT clauses, in the database's dialect."""
    dialect = (db.get_bind() if isinstance(db, Session) else db).dialect.name
    module: Any = postgresql if dialect == "postgresql" else sqlite
    return module.insert(table)
