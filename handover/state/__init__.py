"""Who owns each conversation, and the queue: in memory (one gateway) or in Redis (several)."""

from __future__ import annotations

import redis.asyncio as aioredis
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialBackoff
from redis.exceptions import ConnectionError as RedisConnectionError

from handover.state.base import Owner, Ownership, StateStore, serving_key, serving_score
from handover.state.checks import MAX_ID_LENGTH
from handover.state.memory import MemoryStateStore
from handover.state.redis import RedisStateStore

__all__ = [
    "MAX_ID_LENGTH",
    "MemoryStateStore",
    "Owner",
    "Ownership",
    "RedisStateStore",
    "StateStore",
    "make_store",
    "serving_key",
    "serving_score",
]

# Seconds to connect to, and to wait for an answer from, Redis: a stuck server fails the request.
REDIS_TIMEOUT = 5.0
REDIS_RETRIES = 3


def make_store(redis_url: str | None, *, namespace: str = "handover") -> StateStore:
    """A Redis store when a URL is given, else one in this process's memory."""
    if not redis_url:
        return MemoryStateStore()
    client = aioredis.Redis.from_url(
        redis_url,
        decode_responses=True,
        socket_timeout=REDIS_TIMEOUT,
        socket_connect_timeout=REDIS_TIMEOUT,
        # A restarted Redis leaves every pooled connection dead: without retries each one
        # fails a customer's message once. Retried on a new connection, after a short wait.
        retry=Retry(ExponentialBackoff(cap=1.0, base=0.05), REDIS_RETRIES),
        retry_on_error=[RedisConnectionError],
    )
    return RedisStateStore(client, namespace)
