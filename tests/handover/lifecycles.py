"""A lifecycle on a real database (SQLite and PostgreSQL) and state store (memory and Redis),
its bus recording every event, and a way to bring a conversation to any state."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import pytest
import redis
from sqlalchemy import delete
from sqlalchemy.engine import Engine

from handover import crud
from handover.crud.runner import Database
from handover.db import session_factory
from handover.lifecycle import (
    ConversationEvent,
    EventBus,
    Lifecycle,
    State,
    Transition,
    WrapUp,
)
from handover.models import Base
from handover.state import make_store
from tests.handover.hubs import REDIS_URL


@dataclass
class Person:
    """An agent as the lifecycle sees one."""

    username: str
    capacity: int = 2
    status: str = "online"
    display_name: str | None = None


ADA, BOB = Person("ada", display_name="Ada L."), Person("bob")


@dataclass
class Machine:
    lifecycle: Lifecycle
    events: list[ConversationEvent] = field(default_factory=list)

    async def record(self, event: ConversationEvent) -> None:
        self.events.append(event)


@pytest.fixture(params=["memory", "redis"])
async def machine(request: pytest.FixtureRequest, engine: Engine) -> AsyncIterator[Machine]:
    namespace = f"test-lifecycle-{uuid.uuid4().hex[:8]}"
    store = make_store(REDIS_URL if request.param == "redis" else None, namespace=namespace)
    bus = EventBus()
    built = Machine(Lifecycle(store, Database(session_factory(engine)), bus))
    bus.subscribe(ConversationEvent, built.record)
    yield built
    await store.aclose()
    with engine.begin() as connection:
        for table in reversed(Base.metadata.sorted_tables):
            connection.execute(delete(table))
    if request.param == "redis":
        client = redis.Redis.from_url(REDIS_URL)
        keys = list(client.scan_iter(f"{namespace}:*"))
        if keys:
            client.delete(*keys)


async def bring(machine: Machine, state: State, conversation_id: str = "c1") -> None:
    """Take a new conversation to `state` the usual way (queued for billing, assigned to Ada,
    closed by her), then forget the events it took."""
    lifecycle = machine.lifecycle
    await lifecycle.db(crud.ensure_conversation, conversation_id=conversation_id)
    await lifecycle.customer_wrote(conversation_id)
    if state != State.BOT:
        await lifecycle.queue(
            conversation_id, reason="customer_request", skill="billing", vulnerable=False,
            summary="needs help with a bill",
        )  # fmt: skip
    if state in (State.ASSIGNED, State.CLOSED):
        await lifecycle.accept(conversation_id, ADA)
    if state == State.CLOSED:
        await lifecycle.close(conversation_id, ADA, reason=WrapUp.RESOLVED)
    machine.events.clear()


async def carry_out(machine: Machine, transition: Transition, conversation_id: str = "c1") -> None:
    """The transition as its usual caller makes it (Ada acts on the conversation)."""
    lifecycle, cid = machine.lifecycle, conversation_id
    match transition:
        case Transition.QUEUE:
            await lifecycle.queue(
                cid, reason="customer_request", skill="billing", vulnerable=False, summary=None
            )
        case Transition.ACCEPT:
            await lifecycle.accept(cid, ADA)
        case Transition.TRANSFER_TO_AGENT:
            await lifecycle.transfer(cid, ADA, to_agent=BOB)
        case Transition.TRANSFER_TO_SKILL:
            await lifecycle.transfer(cid, ADA, to_skill="network")
        case Transition.HAND_BACK:
            await lifecycle.hand_back(cid, ADA)
        case Transition.REQUEUE:
            await lifecycle.requeue(cid, ADA.username)
        case Transition.EXPIRE:
            await lifecycle.expire(cid)
        case Transition.CLOSE:
            await lifecycle.close(cid, ADA, reason=WrapUp.NOT_RESOLVED, note="called back")
        case Transition.END:
            await lifecycle.end(cid)
        case Transition.REOPEN:
            await lifecycle.reopen(cid)
        case Transition.RATE:
            await lifecycle.rate(cid, 5)
