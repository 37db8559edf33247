"""One arm of the bot served by several Rasa processes (replicas), as one `BotServer`.

Each conversation goes to one replica, chosen by rendezvous (highest-random-weight) hashing of
its id over the replicas that are up: every gateway picks the same one without talking to the
others, and a replica that goes or comes back moves only its own conversations. The replicas
share the tracker store (and, with Redis, the lock store: bot/stack.py), so a conversation
moved to another replica goes on with its history.

A replica that fails before answering is down for `cooldown` seconds and the message goes to
the next replica at once, so no message is lost:

- unreachable (connection refused, no connection in time): it surely did nothing;
- no answer (timeout, connection dropped after sending): it may have processed the message,
  so the next replica may process it a second time. It is logged as possibly duplicated.
  TODO(de-duplication): a later step sends the client's message id along so that Rasa, or the
  gateway, can drop the repeat; until then the customer may see an answer twice.

An error status is an answer: the replica is up and the message is not sent again. After its
cool-down a replica is asked `/status` first (with a short timeout) and takes messages again
only if it answers; the health checks (`ready`, `model_file`: the gateway's `/health` and the
canary's watch) also take a replica that refuses out and bring one that answers back, while a
slow one keeps its state (a busy replica is not a dead one). When no replica is up, each is
tried anyway, in the conversation's order: the pool never refuses a message without trying (a
pool of one behaves as one `RasaClient`).
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import aclosing
from dataclasses import dataclass, field
from typing import Any, TypeVar

from handover.rasa import RasaClient, RasaNoAnswer, RasaUnavailable, RasaUnreachable

logger = logging.getLogger(__name__)
T = TypeVar("T")
COOLDOWN = 5.0  # seconds a failed replica is left alone
PROBE_TIMEOUT = 2.0  # seconds for a returning replica's `/status`


@dataclass
class Replica:
    """One Rasa process: its client, a quick one for `/status`, and when it may be tried again."""

    client: RasaClient
    probe: RasaClient
    down_until: float | None = None  # None: up
    checking: asyncio.Lock = field(default_factory=asyncio.Lock)

    @property
    def url(self) -> str:
        return self.client.base_url


def weight(url: str, conversation_id: str) -> int:
    """The rendezvous weight of a replica for a conversation: the same in every gateway."""
    digest = hashlib.blake2b(f"{url}\n{conversation_id}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big")


class RasaPool:
    """The replicas of one arm; each call has the clients' timeout, plus a failover per replica."""

    def __init__(
        self,
        urls: Sequence[str],
        *,
        token: str,
        timeout: float,
        cooldown: float = COOLDOWN,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if not urls:
            raise ValueError("at least one Rasa server")
        self.replicas = [
            Replica(
                RasaClient(url, token=token, timeout=timeout),
                RasaClient(url, token=token, timeout=min(PROBE_TIMEOUT, timeout)),
            )
            for url in urls
        ]
        self._cooldown = cooldown
        self._clock = clock

    # -- what the hub and the router call ----------------------------------------------------

    async def send(
        self,
        conversation_id: str,
        text: str,
        *,
        language: str | None = None,
        message_id: str | None = None,
    ) -> list[dict[str, Any]]:
        return await self._call(
            conversation_id,
            lambda c: c.send(conversation_id, text, language=language, message_id=message_id),
        )

    async def trigger_intent(self, conversation_id: str, intent: str) -> list[dict[str, Any]]:
        return await self._call(
            conversation_id, lambda c: c.trigger_intent(conversation_id, intent)
        )

    async def append_events(self, conversation_id: str, events: list[dict[str, Any]]) -> None:
        await self._call(conversation_id, lambda c: c.append_events(conversation_id, events))

    async def parse(self, text: str) -> dict[str, Any]:
        """Any replica's reading (they hold the same model): spread by the text."""
        return await self._call(text, lambda c: c.parse(text))

    async def ready(self) -> bool:
        """Whether some replica is up with a model: the arm can answer."""
        return any(name is not None for name in await self._statuses())

    async def model_file(self) -> str | None:
        """The model every replica that answers holds; None when they differ or none answers
        (a canary draws only once its whole arm holds the candidate)."""
        names = {name for name in await self._statuses() if name is not None}
        return names.pop() if len(names) == 1 else None

    async def close(self) -> None:
        for replica in self.replicas:
            await replica.client.close()
            await replica.probe.close()

    # -- inside ------------------------------------------------------------------------------

    def order(self, key: str) -> list[Replica]:
        """Every replica, the one `key` belongs to first (rendezvous hashing)."""
        return sorted(self.replicas, key=lambda r: weight(r.url, key), reverse=True)

    async def _call(self, key: str, call: Callable[[RasaClient], Awaitable[T]]) -> T:
        failure: RasaUnavailable | None = None
        async with aclosing(self._candidates(self.order(key))) as candidates:
            async for replica in candidates:
                try:
                    result = await call(replica.client)
                except (RasaUnreachable, RasaNoAnswer) as error:
                    self._down(replica, error)
                    failure = error
                    continue
                if failure is not None:
                    logger.warning("Rasa replica %s answered instead", replica.url)
                return result
        assert failure is not None  # every replica was tried and failed
        raise failure

    async def _candidates(self, ranked: list[Replica]) -> AsyncIterator[Replica]:
        """The replicas that are up, in order; if none is, every one (a last resort)."""
        found = False
        for replica in ranked:
            if await self._usable(replica):
                found = True
                yield replica
        if not found:
            for replica in ranked:
                yield replica

    async def _usable(self, replica: Replica) -> bool:
        """Up, or back after its cool-down (it answers `/status` again)."""
        if replica.down_until is None:
            return True
        if self._clock() < replica.down_until and not replica.checking.locked():
            return False
        # One probe at a time: the calls meanwhile wait for its verdict rather than move
        # their conversations away from a replica that is coming back.
        async with replica.checking:
            if replica.down_until is None or self._clock() < replica.down_until:
                return replica.down_until is None  # the probe before ours decided
            if await replica.probe.model_file() is None:
                replica.down_until = self._clock() + self._cooldown
                return False
            self._up(replica)
        return True

    async def _statuses(self) -> list[str | None]:
        """Each replica's model file (None: no answer, or no model). One that refuses the
        connection is down, one that answers is up; a slow one keeps its state (a busy
        replica is not a dead one)."""
        answers = await asyncio.gather(
            *(r.client.status_model() for r in self.replicas), return_exceptions=True
        )
        names: list[str | None] = []
        for replica, answer in zip(self.replicas, answers, strict=True):
            if isinstance(answer, RasaUnreachable):
                self._down(replica, answer)
            elif isinstance(answer, BaseException) and not isinstance(answer, RasaUnavailable):
                raise answer
            elif isinstance(answer, str):
                self._up(replica)
            names.append(answer if isinstance(answer, str) else None)
        return names

    def _down(self, replica: Replica, error: RasaUnavailable) -> None:
        if isinstance(error, RasaNoAnswer):
            logger.warning(
                "Rasa replica %s did not answer (%s): it may have processed the message, which "
                "goes to the next replica and may be answered twice",
                replica.url,
                error,
            )
        if replica.down_until is None:
            logger.warning("Rasa replica %s is down (%s) for %.0f s", replica.url, error,
                           self._cooldown)  # fmt: skip
        replica.down_until = self._clock() + self._cooldown

    def _up(self, replica: Replica) -> None:
        if replica.down_until is not None:
            logger.info("Rasa replica %s is back", replica.url)
        replica.down_until = None
