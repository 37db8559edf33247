"""The customer socket when the gateway has taken on all the bot turns it allows."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
import pytest_asyncio

from tests.handover.socket_gateway import WAIT_SECONDS, Gateway, customer, served

BACKLOG = 2
pytestmark = pytest.mark.asyncio(scope="module")


@pytest_asyncio.fixture(scope="module")
async def gateway(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Gateway]:
    folder = tmp_path_factory.mktemp("gateway")
    async with served(folder, max_bot_backlog=BACKLOG) as running:
        yield running


async def test_a_message_past_the_backlog_is_refused_with_a_wait_and_not_stored(
    gateway: Gateway,
) -> None:
    gateway.rasa.gate = asyncio.Event()
    first, _ = await customer(gateway.url)
    second, _ = await customer(gateway.url)
    for client in (first, second):
        await client.emit("user_uttered", {"message": "my bill is wrong"})
    await gateway.rasa.asked(BACKLOG)
    late, confirm = await customer(gateway.url, language="fr")

    answer = await late.sio.call(
        "user_uttered", {"message": "bonjour"}, namespace="/", timeout=WAIT_SECONDS
    )

    assert answer["code"] == "bot_busy" and answer["retry_after_seconds"] >= 1
    (error,) = await late.wait("error")
    assert error == answer, "the error event and the acknowledgement say the same"
    assert await gateway.hub.history(confirm["session_id"]) == []
    assert len(gateway.rasa.calls) == BACKLOG
    gateway.rasa.gate.set()
    for client in (first, second):
        await client.wait("bot_uttered")
    await asyncio.gather(*gateway.hub._turns)  # their turns have ended: their places are free
    again = await late.sio.call(
        "user_uttered", {"message": "bonjour"}, namespace="/", timeout=WAIT_SECONDS
    )
    assert again["status"] == "accepted"
    (reply,) = await late.wait("bot_uttered")
    assert reply == {"text": "bot reply"}
    stored = [m["text"] for m in await gateway.hub.history(confirm["session_id"])]
    assert stored == ["bonjour", "bot reply"]
    for client in (first, second, late):
        await client.close()
