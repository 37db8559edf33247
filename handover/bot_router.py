"""Which Rasa server answers a conversation, when a canary roll-out runs two of them.

Each conversation is given a model at its start (`trainer.rollout.assign`) and keeps it while it
is active, whatever the roll-out does meanwhile: a promotion or a rollback changes what *new*
conversations get, never a conversation half-way. The candidate's arm draws conversations only
once its server reports the candidate loaded (Rasa's `/status`, polled here), so no customer is
drawn to a model that is not there yet. Each answer's time is recorded on the conversation's
assignment for the arms' latency.

A candidate server that fails to answer is a broken canary: the message goes to the live
server instead (nothing is lost; the conversation is counted as switched) and the roll-out's
check rolls the candidate back (`trainer.canary`).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Mapping
from datetime import datetime, timezone
from typing import Any

from sqlalchemy.engine import Engine

from handover.config import HandoverSettings
from handover.crud.runner import Database
from handover.db import session_factory
from handover.rasa import BotServer, RasaUnavailable
from handover.rasa_pool import RasaPool
from trainer import canary, rollout
from trainer.canary import CanaryGates
from trainer.rollout import Assignment, Rollout, RolloutError
from trainer.settings import TrainerSettings

logger = logging.getLogger(__name__)
NEVER = 1.0  # a draw that never falls under a share: the live arm
TIMEOUT = 30.0  # seconds for one Rasa answer


class BotRouter:
    """The gateway's way to the bot: one Rasa server (or pool of replicas) per model, chosen per
    conversation."""

    def __init__(
        self,
        servers: Mapping[str, BotServer],
        db: Database,
        *,
        idle_minutes: int,
        clock: Callable[[], datetime] = lambda: datetime.now(timezone.utc),
    ) -> None:
        if not servers:
            raise ValueError("at least one Rasa server")
        self.servers = dict(servers)
        self._db = db
        self._idle_minutes = idle_minutes
        self._clock = clock
        # The model file each server last reported loaded ("<model id>.tar.gz"), or None.
        self.loaded: dict[str, str | None] = {name: None for name in self.servers}
        self._rollout: Rollout | None = None

    # -- what the hub calls ------------------------------------------------------------------

    async def send(
        self,
        conversation_id: str,
        text: str,
        *,
        language: str | None = None,
        message_id: str | None = None,
    ) -> list[dict[str, Any]]:
        try:
            assignment = await self._assign(conversation_id)
        except RolloutError:  # no roll-out recorded (never bootstrapped): the first server
            first = next(iter(self.servers.values()))
            return await first.send(conversation_id, text, language=language, message_id=message_id)
        started = time.perf_counter()
        try:
            replies = await self.servers[assignment.server].send(
                conversation_id, text, language=language, message_id=message_id
            )
        except RasaUnavailable:
            if assignment.arm != "candidate":
                raise
            logger.error("candidate server %s failed: the live server answers", assignment.server)
            assignment = await self._db(rollout.move_to_live, conversation_id=conversation_id)
            started = time.perf_counter()
            replies = await self.servers[assignment.server].send(
                conversation_id, text, language=language, message_id=message_id
            )
        latency_ms = (time.perf_counter() - started) * 1000
        try:
            await self._db(
                rollout.record_answer,
                conversation_id=conversation_id,
                latency_ms=latency_ms,
                now=self._clock(),
            )
        except Exception:  # the customer has the answer; only the arm's figures miss one
            logger.exception("could not record the answer's time")
        return replies

    async def trigger_intent(self, conversation_id: str, intent: str) -> list[dict[str, Any]]:
        return await (await self._client(conversation_id)).trigger_intent(conversation_id, intent)

    async def append_events(self, conversation_id: str, events: list[dict[str, Any]]) -> None:
        await (await self._client(conversation_id)).append_events(conversation_id, events)

    async def parse(self, text: str) -> dict[str, Any]:
        """The live model's reading of `text` (agent assist)."""
        return await (await self._live()).parse(text)

    async def ready(self) -> bool:
        """Whether the live server is up with a model."""
        return await (await self._live()).ready()

    async def close(self) -> None:
        for client in self.servers.values():
            await client.close()

    # -- the servers' models -----------------------------------------------------------------

    async def refresh(self) -> dict[str, str | None]:
        """Read the roll-out again and ask every server which model it holds now."""
        self._rollout = await self._db(rollout.current)
        names = list(self.servers)
        answers = await asyncio.gather(*(self.servers[n].model_file() for n in names))
        self.loaded = dict(zip(names, answers, strict=True))
        return dict(self.loaded)

    def holds(self, server: str, model_id: str) -> bool:
        return self.loaded.get(server) == f"{model_id}.tar.gz"

    # -- inside ------------------------------------------------------------------------------

    async def _assign(self, conversation_id: str) -> Assignment:
        # The roll-out as last refreshed (every few seconds): `assign` itself reads whether a
        # canary runs, so a stale view can only keep a conversation on the live arm.
        state = self._rollout
        ready = (
            state is not None
            and state.candidate_model is not None
            and state.candidate_server is not None
            and self.holds(state.candidate_server, state.candidate_model)
        )
        return await self._db(
            rollout.assign,
            conversation_id=conversation_id,
            now=self._clock(),
            idle_minutes=self._idle_minutes,
            draw=rollout.random_draw if ready else (lambda: NEVER),
        )

    async def _client(self, conversation_id: str) -> BotServer:
        """The server the conversation is on, without counting a message."""
        found = await self._db(rollout.assignment_of, conversation_id=conversation_id)
        if found is not None and found.server in self.servers:
            return self.servers[found.server]
        return await self._live()

    async def _live(self) -> BotServer:
        state = self._rollout
        name = state.live_server if state is not None else next(iter(self.servers))
        return self.servers.get(name, next(iter(self.servers.values())))


def bot_servers(
    settings: HandoverSettings, engine: Engine, trainer: TrainerSettings
) -> RasaPool | BotRouter:
    """The gateway's way to the bot: one arm, or a router over two for canaries; each arm is
    a pool of its Rasa replicas (one or more)."""
    clients = {"a": RasaPool(settings.rasa_urls, token=settings.rasa_token, timeout=TIMEOUT)}
    if settings.rasa_canary_urls is None:
        return clients["a"]
    clients["b"] = RasaPool(settings.rasa_canary_urls, token=settings.rasa_token, timeout=TIMEOUT)
    db = Database(session_factory(engine))
    return BotRouter(clients, db, idle_minutes=trainer.session_idle_minutes)


async def watch_rollout(
    router: BotRouter,
    db: Database,
    gates: CanaryGates,
    every_seconds: float,
    events: Engine | None = None,
) -> None:
    """Keep the router's view of the servers fresh and let the canary's gates decide: promote
    or roll back automatically (`trainer.canary.check_canary`; every gateway runs this, and
    the roll-out's conditional updates let one decision through)."""
    while True:
        try:
            await router.refresh()
            now = datetime.now(timezone.utc)
            # With Rasa's events (`events`), folded first: the arms' fallbacks are up to date.
            decision = await db(canary.check_canary, gates=gates, now=now, events=events)
            if decision.action != "wait":
                logger.warning("canary %s: %s", decision.action, "; ".join(decision.reasons))
                await router.refresh()
        except Exception:  # the watch must outlive a database hiccup; the log says what
            logger.exception("roll-out check failed; trying again")
        await asyncio.sleep(every_seconds)
