"""One step at a time per conversation in this process, with a bound on how many may wait."""

from __future__ import annotations

import asyncio
from collections import Counter, defaultdict
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from handover.customer_input import Refused


class Turns:
    """In order, per conversation: a customer's message with the bot's answer, then what an
    agent says. Locks exist only while someone holds or awaits them."""

    def __init__(self) -> None:
        self._locks: defaultdict[str, asyncio.Lock] = defaultdict(asyncio.Lock)
        self._waiting: Counter[str] = Counter()

    @asynccontextmanager
    async def take(self, conversation_id: str, *, limit: int | None = None) -> AsyncIterator[None]:
        """Wait for the conversation's turn. With `limit`, refuse (busy) when that many steps
        already hold or await it, rather than pile work up behind a flood."""
        if limit is not None and self._waiting[conversation_id] >= limit:
            raise Refused("busy", "your earlier messages are still being answered", 1)
        self._waiting[conversation_id] += 1
        try:
            async with self._locks[conversation_id]:
                yield
        finally:
            self._waiting[conversation_id] -= 1
            if not self._waiting[conversation_id]:  # nobody holds or awaits the lock
                del self._waiting[conversation_id]
                self._locks.pop(conversation_id, None)
