"""Failed verifications and verification attempts, counted where the dialogue cannot reset them.

Slots belong to the conversation: `/restart` or a new session id empties them, so the lock and
the rate limits live in a store that the action server owns: a SQL database (a SQLite file,
`var/actions.db`, by default; PostgreSQL when `ACTIONS_DATABASE_URL` says so), or Redis when
`REDIS_URL` is set. The decision always comes from here; slots only mirror it for the dialogue.

Policy, from `ACTIONS_*` settings (defaults in brackets):
- every identity check (date of birth, one-time code sent or checked, delivery postcode) counts
  against `CONVERSATION_CHECK_LIMIT` ["5/minute"] for the conversation and `SUBJECT_CHECK_LIMIT`
  ["20/hour"] for the account or order checked; past either, the check is refused unmade;
- `MAX_FAILURES` [3] failed checks on one subject (a conversation, an account, an order) within
  `FAILURE_WINDOW_SECONDS` [86400] lock that subject for `LOCKOUT_SECONDS` [86400]. Accounts
  that do not exist count like any other (no enumeration); a success erases nothing.

Subjects are stored as SHA-256 digests (no sender id or account number in clear), and rows
older than the longest window are deleted as new ones come. When the store cannot be reached,
the guard raises `ConnectorUnavailable` (system "identity"): callers refuse the check, as they
do when the CRM is down, rather than let it through uncounted.
"""

from __future__ import annotations

import asyncio
import hashlib
import math
import os
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Literal, Protocol

import redis
from limits import RateLimitItem, parse
from pydantic import BaseSettings, Field, validator
from sqlalchemy import Column, Float, Index, Integer, MetaData, String, Table, delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine, create_engine, make_url
from sqlalchemy.exc import SQLAlchemyError

from bot.sql_tables import create_tables
from connectors.errors import ConnectorUnavailable

Scope = Literal["conversation", "account", "order"]
Kind = Literal["check", "failure"]


class LockoutSettings(BaseSettings):
    """Where attempts are counted, and the policy; `ACTIONS_*` environment variables."""

    database_url: str = "sqlite:///var/actions.db"
    redis_url: str | None = Field(None, env="REDIS_URL")
    max_failures: int = Field(3, ge=1)
    failure_window_seconds: int = Field(24 * 3600, ge=1)
    lockout_seconds: int = Field(24 * 3600, ge=1)
    conversation_check_limit: str = "5/minute"
    subject_check_limit: str = "20/hour"

    class Config:
        env_prefix = "ACTIONS_"

    @validator("conversation_check_limit", "subject_check_limit")
    def _readable_limit(cls, value: str) -> str:
        parse(value)  # raises ValueError with the rule's text
        return value


@dataclass(frozen=True)
class Subject:
    """Something whose verification is guarded: a conversation, an account, an order."""

    scope: Scope
    key: str

    @property
    def digest(self) -> str:
        return hashlib.sha256(f"{self.scope}:{self.key}".encode()).hexdigest()


@dataclass(frozen=True)
class Verdict:
    """Whether a check may be made now; if not, whether for a lock or a rate limit."""

    allowed: bool
    locked: bool = False
    retry_after_seconds: int = 0


class AttemptStore(Protocol):
    """Timestamped attempts and locks, keyed by subject digest."""

    def add(self, digests: Sequence[str], kind: Kind, at: float, keep_seconds: float) -> None:
        """Record one attempt of `kind` for each digest; forget attempts older than kept."""

    def times(self, digest: str, kind: Kind, since: float) -> list[float]:
        """When the attempts of `kind` since `since` happened, oldest first."""

    def lock(self, digests: Sequence[str], until: float) -> None:
        """Lock each digest until `until` (epoch seconds)."""

    def locked_until(self, digests: Sequence[str], now: float) -> float | None:
        """The latest end of a lock still running on any digest, or None."""


_metadata = MetaData()
_attempts = Table(
    "verification_attempts",
    _metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("subject", String(64), nullable=False),
    Column("kind", String(8), nullable=False),
    Column("at", Float, nullable=False),
    Index("ix_verification_attempts_subject", "subject", "kind", "at"),
    Index("ix_verification_attempts_at", "at"),
)
_locks = Table(
    "verification_locks",
    _metadata,
    Column("subject", String(64), primary_key=True),
    Column("until", Float, nullable=False),
)


def _private_sqlite_file(url: str) -> None:
    # Created owner-only before SQLite opens it (SQLite would use the umask, often 0644).
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return
    path = Path(parsed.database)
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))
    path.chmod(0o600)


class SqlAttemptStore:
    """Attempts in two tables of a SQL database (SQLite or PostgreSQL), created if missing."""

    def __init__(self, url: str) -> None:
        _private_sqlite_file(url)
        self._engine: Engine = create_engine(url, future=True, pool_pre_ping=True)
        create_tables(self._engine, _metadata)  # action servers may start together
        dialect = self._engine.dialect.name
        self._insert = postgresql.insert if dialect == "postgresql" else sqlite.insert

    def add(self, digests: Sequence[str], kind: Kind, at: float, keep_seconds: float) -> None:
        rows = [{"subject": digest, "kind": kind, "at": at} for digest in digests]
        with self._engine.begin() as connection:
            connection.execute(_attempts.insert(), rows)
            connection.execute(delete(_attempts).where(_attempts.c.at < at - keep_seconds))
            connection.execute(delete(_locks).where(_locks.c.until < at))

    def times(self, digest: str, kind: Kind, since: float) -> list[float]:
        query = (
            select(_attempts.c.at)
            .where(_attempts.c.subject == digest, _attempts.c.kind == kind)
            .where(_attempts.c.at > since)
            .order_by(_attempts.c.at)
        )
        with self._engine.connect() as connection:
            return list(connection.execute(query).scalars())

    def lock(self, digests: Sequence[str], until: float) -> None:
        statement = self._insert(_locks).values([{"subject": d, "until": until} for d in digests])
        upsert = statement.on_conflict_do_update(
            index_elements=["subject"], set_={"until": statement.excluded.until}
        )
        with self._engine.begin() as connection:
            connection.execute(upsert)

    def locked_until(self, digests: Sequence[str], now: float) -> float | None:
        query = select(_locks.c.until).where(_locks.c.subject.in_(digests), _locks.c.until > now)
        with self._engine.connect() as connection:
            return max(connection.execute(query).scalars(), default=None)

    def dispose(self) -> None:
        """Close the connections (tests open many stores)."""
        self._engine.dispose()


class RedisAttemptStore:
    """Attempts in Redis sorted sets (score = time), locks in keys; everything expires."""

    def __init__(self, url: str, *, namespace: str = "actions:verification") -> None:
        self._redis = redis.Redis.from_url(url, socket_timeout=5)
        self._namespace = namespace

    def _key(self, *parts: str) -> str:
        return ":".join((self._namespace, *parts))

    def add(self, digests: Sequence[str], kind: Kind, at: float, keep_seconds: float) -> None:
        pipe = self._redis.pipeline()
        for digest in digests:
            key = self._key(kind, digest)
            pipe.zadd(key, {f"{at}:{uuid.uuid4().hex}": at})
            pipe.zremrangebyscore(key, "-inf", at - keep_seconds)
            pipe.expire(key, math.ceil(keep_seconds))
        pipe.execute()

    def times(self, digest: str, kind: Kind, since: float) -> list[float]:
        key = self._key(kind, digest)
        found = self._redis.zrangebyscore(key, f"({since}", "+inf", withscores=True)
        return [score for _, score in found]

    def lock(self, digests: Sequence[str], until: float) -> None:
        # The value decides (the clock may be the caller's); the expiry only cleans up.
        ttl = max(1, math.ceil(until - time.time()))
        pipe = self._redis.pipeline()
        for digest in digests:
            pipe.set(self._key("lock", digest), until, ex=ttl)
        pipe.execute()

    def locked_until(self, digests: Sequence[str], now: float) -> float | None:
        values = self._redis.mget([self._key("lock", digest) for digest in digests])
        running = [float(value) for value in values if value is not None and float(value) > now]
        return max(running, default=None)


@contextmanager
def _store_errors() -> Iterator[None]:
    """Store failures as `ConnectorUnavailable`, which every action already answers."""
    try:
        yield
    except (SQLAlchemyError, redis.RedisError, OSError) as error:
        raise ConnectorUnavailable("identity", f"attempt store: {error}") from error


class VerificationGuard:
    """The lockout and rate-limit policy over an `AttemptStore`; raises `ConnectorUnavailable`."""

    def __init__(
        self,
        store: AttemptStore,
        settings: LockoutSettings,
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._store = store
        self._settings = settings
        self._clock = clock
        self._conversation_limit = parse(settings.conversation_check_limit)
        self._subject_limit = parse(settings.subject_check_limit)
        self._keep = max(
            settings.failure_window_seconds,
            self._conversation_limit.get_expiry(),
            self._subject_limit.get_expiry(),
        )

    def is_locked(self, *subjects: Subject) -> bool:
        """Whether any of `subjects` is locked now."""
        with _store_errors():
            return self._store.locked_until([s.digest for s in subjects], self._clock()) is not None

    def begin_check(self, conversation: Subject, subject: Subject) -> Verdict:
        """Count one check of `subject` from `conversation`, unless locked or over a limit."""
        with _store_errors():
            return self._begin_check(conversation, subject)

    def record_failure(self, conversation: Subject, subject: Subject) -> bool:
        """Count a failed check; returns whether the conversation or the subject is now locked."""
        with _store_errors():
            return self._record_failure(conversation, subject)

    def _begin_check(self, conversation: Subject, subject: Subject) -> Verdict:
        now = self._clock()
        digests = [conversation.digest, subject.digest]
        if self._store.locked_until(digests, now) is not None:
            return Verdict(allowed=False, locked=True)
        waits = [
            self._wait(conversation, self._conversation_limit, now),
            self._wait(subject, self._subject_limit, now),
        ]
        if max(waits) > 0:
            return Verdict(allowed=False, retry_after_seconds=max(waits))
        self._store.add(digests, "check", now, self._keep)
        return Verdict(allowed=True)

    def _record_failure(self, conversation: Subject, subject: Subject) -> bool:
        now = self._clock()
        self._store.add([conversation.digest, subject.digest], "failure", now, self._keep)
        since = now - self._settings.failure_window_seconds
        reached = [
            s.digest
            for s in (conversation, subject)
            if len(self._store.times(s.digest, "failure", since)) >= self._settings.max_failures
        ]
        if reached:
            self._store.lock(reached, now + self._settings.lockout_seconds)
        return self.is_locked(conversation, subject)

    def _wait(self, subject: Subject, item: RateLimitItem, now: float) -> int:
        """Seconds until `subject` may be checked again under `item` (0: now)."""
        period = item.get_expiry()
        times = self._store.times(subject.digest, "check", now - period)
        if len(times) < item.amount:
            return 0
        # The window frees a place when the check `amount` places from the end leaves it.
        return max(1, math.ceil(times[-item.amount] + period - now))


def build_store(settings: LockoutSettings) -> AttemptStore:
    """Redis when `REDIS_URL` is set, else the SQL database."""
    if settings.redis_url:
        return RedisAttemptStore(settings.redis_url)
    return SqlAttemptStore(settings.database_url)


_building = threading.Lock()


@lru_cache(maxsize=1)
def _guard() -> VerificationGuard:
    settings = LockoutSettings()
    with _store_errors():
        return VerificationGuard(build_store(settings), settings)


def verification_guard() -> VerificationGuard:
    """The action server's guard, built once from the environment (again after a failure).

    Built under a lock: the first messages arrive together, each in a worker thread, and
    several stores creating the same tables at once fail (SQLite: "table already exists").
    """
    with _building:
        return _guard()


def forget_guard() -> None:
    """The next `verification_guard()` builds a new one (tests: as after a restart)."""
    _guard.cache_clear()


# The actions run on the action server's event loop; the store's round trips (SQL commits,
# Redis) block, so they run in a worker thread, the guard's first build included.


async def is_locked(*subjects: Subject) -> bool:
    """`VerificationGuard.is_locked` on the action server's guard, off the event loop."""
    return await asyncio.to_thread(lambda: verification_guard().is_locked(*subjects))


async def begin_check(conversation: Subject, subject: Subject) -> Verdict:
    """`VerificationGuard.begin_check` on the action server's guard, off the event loop."""
    return await asyncio.to_thread(lambda: verification_guard().begin_check(conversation, subject))


async def record_failure(conversation: Subject, subject: Subject) -> bool:
    """`VerificationGuard.record_failure` on the action server's guard, off the event loop."""
    return await asyncio.to_thread(
        lambda: verification_guard().record_failure(conversation, subject)
    )


def conversation_subject(sender_id: str) -> Subject:
    """The conversation, by Rasa's sender id."""
    return Subject("conversation", sender_id)


def account_subject(account_number: str | None) -> Subject:
    """An account, whether it exists or not."""
    return Subject("account", account_number or "")


def order_subject(order_number: str) -> Subject:
    """An order, checked by its delivery postcode."""
    return Subject("order", order_number)
