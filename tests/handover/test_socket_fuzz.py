"""A Socket.IO fuzz of both namespaces against the served gateway: nothing a client sends may
raise in the gateway. Wrong types, huge and invalid text, reserved and unknown event names,
several payloads in one event, and floods; afterwards the gateway still serves a customer.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import random
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from socketio.async_server import task_reference_holder

from handover import crud
from tests.handover.socket_gateway import Client, Gateway, customer, served

SEED = 8
PAYLOADS_PER_EVENT = 30
FLOOD = 600
CUSTOMER_EVENTS = [
    "session_request", "user_uttered", "history_request", "typing", "satisfaction", "end_chat",
]  # fmt: skip
AGENT_EVENTS = ["typing", "close_conversation"]
ODD_EVENTS = [
    "connect", "disconnect", "connect_error", "disconnecting", "newListener", "removeListener",
    "error", "message", "", " ", "__init__", "trigger_event", "on_connect", "x" * 2000,
    "\u202e", "用户", "😀", "\ud800",
]  # fmt: skip
TEXTS = [
    "", " ", "hello", "a" * 100_000, "\ud800", "ok \udfff", "\x00", "😀" * 3000, "\u202egnp.exe",
    "𝕏" * 50, "/restart", "/session_start", '/inform{"verified": true}', "/affirm",
    "' OR 1=1 --", "<script>alert(1)</script>", "../../etc/passwd", "\n" * 200, " \t ",
    "x" * 129, "web-123", "conv with spaces", "resolved", "spam", "\x07 bell",
]  # fmt: skip
NUMBERS = [0, 1, 3, 5, -1, 6, 2**63, -(2**70), 1e308, -0.0, 4.5, float("nan"), float("inf")]
FIELDS = [
    "session_id", "session_secret", "message", "score", "typing", "conversation_id",
    "customData", "language", "metadata", "reason", "note",
]  # fmt: skip


def atom(rng: random.Random) -> Any:
    return rng.choice([None, True, False, rng.choice(NUMBERS), rng.choice(TEXTS)])


def value(rng: random.Random, depth: int = 0) -> Any:
    """Anything JSON can carry, mostly shaped like the real payloads, sometimes deep."""
    kind = rng.random()
    if kind < 0.45 and depth < 9:
        keys = rng.sample(FIELDS, rng.randint(0, 4))
        return {key: value(rng, depth + 1) if rng.random() < 0.3 else atom(rng) for key in keys}
    if kind < 0.6 and depth < 9:
        return [value(rng, depth + 1) for _ in range(rng.randint(0, 4))]
    return atom(rng)


async def fuzz(client: Client, events: list[str], rng: random.Random) -> int:
    """Send every event name with random payloads (none, one or several); how many were sent."""
    sent = 0
    for event in events + ODD_EVENTS:
        for _ in range(PAYLOADS_PER_EVENT):
            arguments = rng.choice([0, 1, 1, 1, 2, 3])
            await client.emit(event, *(value(rng) for _ in range(arguments)))
            sent += 1
    return sent


async def flood(client: Client, event: str, payload: Any) -> int:
    for _ in range(FLOOD):
        await client.emit(event, payload)
    return FLOOD


async def round_trip(client: Client, event: str, reply: str, match: str = "") -> None:
    """Send `event` and wait for one more `reply` than before."""
    before = len(client.of(reply, match))
    await client.emit(event, {})
    await client.until(lambda: len(client.of(reply, match)) > before, 60)


async def handlers_done() -> None:
    """Until python-socketio runs no event handler of this test's loop (it runs each as a task
    it keeps here; a task left by an earlier test's gateway, on a loop now closed, never ends)."""
    loop = asyncio.get_running_loop()
    while any(task.get_loop() is loop and not task.done() for task in task_reference_holder):
        await asyncio.sleep(0.05)


@pytest.fixture
async def gateway(tmp_path: Path) -> AsyncIterator[Gateway]:
    # A generous event limit, so that the handlers themselves meet the payloads.
    async with served(tmp_path, socket_event_limit="100000/minute") as running:
        yield running


async def agent_token(gateway: Gateway) -> str:
    await gateway.hub.db(
        crud.create_agent, username="fuzz", password="long-enough-1", skills=[], capacity=2
    )
    async with aiohttp.ClientSession() as http:
        login = {"username": "fuzz", "password": "long-enough-1"}
        async with http.post(f"{gateway.url}/api/agent/login", json=login) as answer:
            answer.raise_for_status()
            return (await answer.json())["token"]


async def test_fuzzing_both_namespaces_raises_nothing_in_the_gateway(
    gateway: Gateway, caplog: pytest.LogCaptureFixture
) -> None:
    gc.collect()  # what earlier tests left behind is not this test's to report
    caplog.clear()
    caplog.set_level(logging.WARNING)
    loop_errors: list[dict[str, Any]] = []
    asyncio.get_running_loop().set_exception_handler(lambda _, context: loop_errors.append(context))
    rng = random.Random(SEED)
    sent = 0

    stranger = await Client().connect(gateway.url)  # never sends a valid session_request
    joined, _ = await customer(gateway.url)
    agent = await Client("/agent").connect(gateway.url, auth={"token": await agent_token(gateway)})
    for client, events in ((stranger, CUSTOMER_EVENTS), (joined, CUSTOMER_EVENTS)):
        sent += await fuzz(client, events, rng)
    sent += await fuzz(agent, AGENT_EVENTS, rng)
    sent += await flood(joined, "user_uttered", {"message": "flood"})
    sent += await flood(stranger, "disconnect", None)
    sent += await flood(agent, "typing", {"conversation_id": "   ", "typing": True})

    # A socket's events are read in order: once its last one is answered, all were dispatched.
    for client in (stranger, joined):
        await round_trip(client, "session_request", "session_confirm")
    await round_trip(agent, "last-event", "error", "last-event")
    await asyncio.wait_for(handlers_done(), 60)

    fresh, _ = await customer(gateway.url)
    await fresh.emit("user_uttered", {"message": "still answering?"})
    await fresh.wait("bot_uttered")
    assert all(client.sio.connected for client in (stranger, joined, agent, fresh))
    for client in (stranger, joined, agent, fresh):
        await client.close()
    gc.collect()  # an exception nobody retrieved is reported when its task is collected

    errors = [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]
    assert errors == [], [r.getMessage() for r in errors]
    assert loop_errors == []
    refused = sum(len(c.of("error")) for c in (stranger, joined, agent))
    print(f"\nsocket fuzz: {sent} events sent, {refused} refused with an error event")
