"""A hub on a real database and state store, with a Rasa that records what it is sent."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import redis
import socketio

from handover import crud, watchers
from handover.config import HandoverSettings
from handover.db import make_engine, session_factory
from handover.rasa import RasaClient
from handover.service import Hub
from handover.state import make_store
from tests.migrated import migrated

REDIS_URL = "redis://127.0.0.1:6379/0"


class SilentRasa(RasaClient):
    """Fails the test if the bot is asked anything."""

    def __init__(self) -> None:
        super().__init__("http://127.0.0.1:9", token="unused", timeout=1)
        self.calls: list[str] = []
        self.languages: list[str | None] = []  # the widget language sent with each message
        self.message_ids: list[str | None] = []  # the client's message id sent with each
        self.answers: list[dict[str, Any]] = [{"text": "bot reply"}]
        self.failure: BaseException | None = None
        self.gate: asyncio.Event | None = None  # when set, answers wait for it
        self._asked = asyncio.Condition()

    async def send(
        self,
        conversation_id: str,
        text: str,
        *,
        language: str | None = None,
        message_id: str | None = None,
    ) -> list[dict[str, Any]]:
        async with self._asked:
            self.calls.append(text)
            self.languages.append(language)
            self.message_ids.append(message_id)
            self._asked.notify_all()
        if self.gate is not None:
            await self.gate.wait()
        if self.failure is not None:
            raise self.failure
        return [dict(answer) for answer in self.answers]

    async def asked(self, count: int, seconds: float = 30) -> None:
        """Wait until `count` messages have reached the bot; fails after `seconds` (the first
        message of a run also loads the redaction engine)."""
        async with self._asked:
            await asyncio.wait_for(self._asked.wait_for(lambda: len(self.calls) >= count), seconds)


@pytest.fixture(params=["memory", "redis"])
async def hub(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Hub]:
    url = f"sqlite:///{tmp_path}/hub.db"
    migrated(url)
    namespace = f"test-hub-{uuid.uuid4().hex[:8]}"
    redis_url = REDIS_URL if request.param == "redis" else None
    tickets: list[tuple[str, str, list[dict[str, Any]]]] = []
    customers: list[str | None] = []

    def open_ticket(
        conversation_id: str,
        reason: str,
        transcript: list[dict[str, Any]],
        *,
        customer_id: str | None = None,
    ) -> str:
        tickets.append((conversation_id, reason, transcript))
        customers.append(customer_id)
        return "TCK-000999"

    settings = HandoverSettings(database_url=url, agent_grace_seconds=0, max_wait_seconds=60)
    built = Hub(
        settings=settings,
        store=make_store(redis_url, namespace=namespace),
        sessions=session_factory(make_engine(url)),
        rasa=SilentRasa(),
        sio=socketio.AsyncServer(async_mode="asgi"),
        open_ticket=open_ticket,
    )
    built.opened_tickets = tickets  # type: ignore[attr-defined]
    built.ticket_customers = customers  # type: ignore[attr-defined]
    yield built
    await built.rasa.close()
    if redis_url:
        client = redis.Redis.from_url(redis_url)
        keys = list(client.scan_iter(f"{namespace}:*"))
        if keys:
            client.delete(*keys)


async def agent(hub: Hub, name: str = "ada", capacity: int = 2, online: bool = True) -> Any:
    await hub.db(
        crud.create_agent, username=name, password="long-enough-1", skills=[], capacity=capacity
    )
    return await hub.db(crud.set_agent_status, username=name, status="online" if online else "away")


async def queued(hub: Hub, conversation_id: str = "conv-1") -> dict[str, Any]:
    await hub.customer_joined(conversation_id)
    return await hub.request_handover(conversation_id, "customer_request", {"skill": "billing"})


async def requeue_after_grace(hub: Hub, agent: str, *, gone_at: float) -> list[str]:
    """The lost-agent watcher's round for `agent` (the fixture's grace period is 0 s)."""
    return await hub.presence.requeue_after_grace(agent, gone_at=gone_at)


async def expire_once(hub: Hub, *, now: float) -> list[str]:
    """One round of the long-wait watcher, with the fixture's 60-second limit."""
    return await watchers.expire_once(
        hub.lifecycle, max_wait_seconds=hub.settings.max_wait_seconds, now=now
    )
