"""One step at a time per conversation in this process, with a bound on how many may wait; and
a bound on the bot turns the whole process holds or awaits."""

from __future__ import annotations

import asyncio
import math
import time
from collections import Counter, defaultdict
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager

from handover.customer_input import Refused

# Until a turn has been timed, a refused customer is asked to come back after this many seconds.
FIRST_RETRY_SECONDS = 5
MAX_RETRY_SECONDS = 60
# Weight of the latest turn in the running mean of their durations.
SMOOTHING = 0.2


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


class Backlog:
    """The bot turns this process has taken on and not yet answered, at most `limit`.

    Past the bound a new message is refused (`bot_busy`) before anything is stored, rather than
    queued behind minutes of work the customer would wait for (and Rasa time out on). The
    refusal says when to come back: the mean time a turn took lately, by then the turns ahead
    have been answered.
    """

    def __init__(self, limit: int, *, clock: Callable[[], float] = time.monotonic) -> None:
        if limit < 1:
            raise ValueError("the bot backlog must allow at least one turn")
        self.limit = limit
        self.taken = 0
        self._clock = clock
        self._mean_seconds: float | None = None

    @contextmanager
    def admit(self) -> Iterator[None]:
        """Hold one place for a bot turn while the block runs; Refused when none is free."""
        if self.taken >= self.limit:
            message = "the assistant is answering many customers; please send again shortly"
            raise Refused("bot_busy", message, self.retry_after_seconds())
        self.taken += 1
        started = self._clock()
        try:
            yield
        finally:
            self.taken -= 1
            self._timed(self._clock() - started)

    def retry_after_seconds(self) -> int:
        """When a refused customer may expect a free place: the turns' recent mean duration."""
        if self._mean_seconds is None:
            return FIRST_RETRY_SECONDS
        return min(MAX_RETRY_SECONDS, max(1, math.ceil(self._mean_seconds)))

    def _timed(self, seconds: float) -> None:
        mean = self._mean_seconds
        self._mean_seconds = seconds if mean is None else mean + SMOOTHING * (seconds - mean)
