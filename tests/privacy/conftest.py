"""Stores for the privacy tests: the gateway database (SQLite and PostgreSQL), a tracker
store, Redis, and the CRM mock on a real port."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
import redis
import redis.asyncio as aioredis
from sqlalchemy import delete
from sqlalchemy.engine import Engine
from sqlalchemy.orm import sessionmaker

from connectors.crm import SyncCrmClient
from connectors.mocks.seed import build_dataset
from connectors.mocks.server import RunningMocks, mocks_in_thread
from handover.db import session_factory
from handover.models import Base
from handover.state import RedisStateStore
from privacy import trackers

# The gateway database on SQLite and on PostgreSQL, as the handover tests use it.
from tests.handover.conftest import db_url, engine  # noqa: F401

REDIS_URL = "redis://127.0.0.1:6379/0"


@pytest.fixture
def sessions(engine: Engine) -> Iterator[sessionmaker]:  # noqa: F811
    """Sessions on the migrated gateway database; every table is emptied afterwards."""
    yield session_factory(engine)
    with engine.begin() as connection:
        for table in reversed(Base.metadata.sorted_tables):
            connection.execute(delete(table))


@pytest.fixture
def tracker_store(tmp_path: Path) -> Iterator[Engine]:
    """A tracker store file with Rasa's `events` table."""
    store = trackers.tracker_engine(f"sqlite:///{tmp_path / 'trackers.db'}")
    trackers.EVENTS.metadata.create_all(store)
    yield store
    store.dispose()


def add_events(store: Engine, sender_id: str, events: list[dict]) -> None:
    """Store events as Rasa's SQL tracker store does: one JSON row each."""
    with store.begin() as connection:
        for event in events:
            connection.execute(
                trackers.EVENTS.insert().values(
                    sender_id=sender_id,
                    type_name=event["event"],
                    timestamp=event.get("timestamp", 0),
                    data=json.dumps(event),
                )
            )


@pytest.fixture
def live_mocks() -> Iterator[RunningMocks]:
    """Fresh mock systems (no tickets yet) on real localhost ports."""
    with mocks_in_thread(build_dataset(date(2026, 11, 21))) as running:
        yield running


@pytest.fixture
def crm(live_mocks: RunningMocks) -> SyncCrmClient:
    return live_mocks.sync_backends().crm


@pytest.fixture
async def redis_state() -> RedisStateStore:
    """A Redis state store under a namespace of its own (its keys are deleted afterwards)."""
    namespace = f"privacy-test-{uuid.uuid4().hex[:8]}"
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
    except redis.RedisError as error:
        pytest.skip(f"Redis at {REDIS_URL} is unreachable: {error}")
    client = aioredis.Redis.from_url(REDIS_URL, decode_responses=True)
    store = RedisStateStore(client, namespace)
    yield store
    keys = [key async for key in client.scan_iter(f"{namespace}:*")]
    if keys:
        await client.delete(*keys)
    await store.aclose()
