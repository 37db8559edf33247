"""What the trainer made of each misunderstood text: labelled ("done") or "ignored", by whom, when.

A text is known by its key, the `folded` form `misunderstood_texts` stores
(`reporting.bot_facts.normalised`) cut to `MAX_KEY` characters, and its language ("" when Rasa
recorded none): the same words typed in French and in English are two texts, each labelled in
its own language. "new" is the absence of a row, so setting a text back to new deletes it.

Declared on the gateway's metadata (`handover.models.Base`, which imports this module at its
end); migration 0009 creates the table. A key is a customer's words, redacted, and no row names
a customer or a conversation: erasure has nothing to find here; retention deletes the rows set
before its cutoff (`privacy.retention`), so a text marked long ago comes back as new.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Literal, get_args

from sqlalchemy import CheckConstraint, Column, Index, String, Table, bindparam, delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session
from sqlalchemy.sql.dml import Insert

from handover.models import Base, UtcDateTime, utcnow

State = Literal["new", "done", "ignored"]
STATES: tuple[State, ...] = get_args(State)
RECORDED: tuple[State, ...] = ("done", "ignored")  # "new" has no row
MAX_KEY = 512
MAX_LANGUAGE = 16  # as misunderstood_texts.language
MAX_BY = 64  # as agents.username
CHUNK = 500  # keys per IN (...) query: far under any database's limit on parameters
Item = tuple[str, str]  # (key, language)
Db = Session | Connection

INBOX_STATES = Table(
    "inbox_states",
    Base.metadata,
    Column("key", String(MAX_KEY), primary_key=True),
    Column("language", String(MAX_LANGUAGE), primary_key=True),
    Column("state", String(16), nullable=False),
    # The trainer's username; not a foreign key, so that deleting an agent leaves the row be.
    Column("by", String(MAX_BY), nullable=False),
    Column("at", UtcDateTime, nullable=False),
    CheckConstraint("state IN ('done', 'ignored')", name="state"),
    Index("ix_inbox_states_at", "at"),  # retention deletes by age
)


def text_key(folded: str) -> str:
    """The key of a text whose folded form is `folded` (the stored column, cut to `MAX_KEY`)."""
    return folded[:MAX_KEY]


def language_key(language: str | None) -> str:
    """The language part of a text's key: "" when Rasa recorded none."""
    return language or ""


def states_of(db: Db, items: Iterable[Item]) -> dict[Item, State]:
    """The recorded state ("done" or "ignored") of each of `items` that has one."""
    wanted = set(items)
    keys = sorted({key for key, _ in wanted})
    table = INBOX_STATES.c
    found: dict[Item, State] = {}
    for start in range(0, len(keys), CHUNK):
        query = select(table.key, table.language, table.state).where(
            table.key.in_(keys[start : start + CHUNK])
        )
        for key, language, state in db.execute(query):
            if (key, language) in wanted:
                found[(key, language)] = state
    return found


def set_states(
    db: Db, items: Iterable[Item], state: State, *, by: str, now: datetime | None = None
) -> int:
    """Give each of `items` `state`; returns how many changed. An item already in that state
    keeps who set it and when; "new" deletes the rows.

    Raises:
        ValueError: an unknown state, an empty `by`, or a key or language too long to store.
    """
    if state not in STATES:
        raise ValueError(f"state must be one of {', '.join(STATES)}, not {state!r}")
    if not by or len(by) > MAX_BY:
        raise ValueError(f"by must be a username of 1 to {MAX_BY} characters")
    wanted = set(items)
    for key, language in wanted:
        if not key or len(key) > MAX_KEY or len(language) > MAX_LANGUAGE:
            raise ValueError(f"a key has 1 to {MAX_KEY} characters, a language {MAX_LANGUAGE}")
    before = states_of(db, wanted)
    changed = sorted(item for item in wanted if before.get(item, "new") != state)
    if not changed:
        return 0
    table = INBOX_STATES.c
    if state == "new":
        statement = delete(INBOX_STATES).where(
            table.key == bindparam("k"), table.language == bindparam("l")
        )
        db.execute(statement, [{"k": key, "l": language} for key, language in changed])
        return len(changed)
    at = now or utcnow()
    rows = [{"key": k, "language": lang, "state": state, "by": by, "at": at} for k, lang in changed]
    db.execute(_upsert(db), rows)
    return len(changed)


def _upsert(db: Db) -> Insert:
    """INSERT ... ON CONFLICT DO UPDATE: a trainer marking the same text at the same moment
    overwrites rather than fails on the primary key."""
    dialect = (db.get_bind() if isinstance(db, Session) else db).dialect.name
    insert = {"sqlite": sqlite.insert, "postgresql": postgresql.insert}[dialect](INBOX_STATES)
    changes = {name: insert.excluded[name] for name in ("state", "by", "at")}
    return insert.on_conflict_do_update(index_elements=["key", "language"], set_=changes)


def delete_before(db: Db, cutoff: datetime) -> int:
    """Delete the states set before `cutoff` (retention); returns how many."""
    return db.execute(delete(INBOX_STATES).where(INBOX_STATES.c.at < cutoff)).rowcount
