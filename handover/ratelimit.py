"""Rate limits of the gateway (agent logins, customer messages), on the `limits` library.

Counts live in the process by default and in Redis when `REDIS_URL` is set, so that every
gateway behind a load balancer counts against the same limit. Rules are `limits` strings such
as "5/minute" or "10 per 10 seconds", read from the settings.
"""

from __future__ import annotations

import asyncio
import math
import time
from dataclasses import dataclass
from functools import lru_cache

from limits import RateLimitItem, parse, storage, strategies


@dataclass(frozen=True)
class Verdict:
    """Whether one more hit is allowed, and if not, in how many seconds to try again."""

    allowed: bool
    retry_after_seconds: int = 0


@lru_cache(maxsize=64)
def rule(text: str) -> RateLimitItem:
    """A parsed rule; raises ValueError for a rule `limits` cannot read."""
    return parse(text)


class RateLimiter:
    """Moving-window limits keyed by a rule and any number of strings (a username, an IP)."""

    def __init__(self, redis_url: str | None = None, *, namespace: str = "handover") -> None:
        self._remote = redis_url is not None
        # The strategy holds its storage by weak reference only: keep it alive here.
        self._storage = storage.storage_from_string(redis_url or "memory://")
        self._limiter = strategies.MovingWindowRateLimiter(self._storage)
        self._namespace = namespace

    async def hit(self, limit: str, *keys: str) -> Verdict:
        """Count one hit against `limit` for `keys`; refused hits are not counted."""
        if self._remote:  # redis-py is synchronous: keep the event loop free while it answers
            return await asyncio.to_thread(self._hit, rule(limit), keys)
        return self._hit(rule(limit), keys)

    def _hit(self, item: RateLimitItem, keys: tuple[str, ...]) -> Verdict:
        if self._limiter.hit(item, self._namespace, *keys):
            return Verdict(allowed=True)
        reset_at, _ = self._limiter.get_window_stats(item, self._namespace, *keys)
        return Verdict(allowed=False, retry_after_seconds=max(1, math.ceil(reset_at - time.time())))
