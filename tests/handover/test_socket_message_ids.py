"""`user_uttered` with the client's `message_id`, on the served gateway: acknowledged once
stored, a message sent again is a duplicate, hostile ids are refused, and an id reaches only
the socket's own conversation."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
import pytest_asyncio

from tests.handover.socket_gateway import WAIT_SECONDS, Client, Gateway, customer, served

pytestmark = pytest.mark.asyncio(scope="module")


@pytest_asyncio.fixture(scope="module")
async def running(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Gateway]:
    async with served(tmp_path_factory.mktemp("gateway")) as gateway:
        yield gateway


@pytest.fixture
def gateway(running: Gateway) -> Gateway:
    running.rasa.calls.clear()
    running.rasa.gate = None
    return running


async def send(client: Client, payload: Any) -> Any:
    """Emit `user_uttered` and return its acknowledgement."""
    return await client.sio.call("user_uttered", payload, namespace="/", timeout=WAIT_SECONDS)


async def stored(gateway: Gateway, session_id: str) -> list[tuple[str, str | None]]:
    return [(m["text"], m["message_id"]) for m in await gateway.hub.history(session_id)]


@pytest.mark.parametrize("carrier", ["payload", "customData"])
async def test_a_message_sent_again_is_acknowledged_as_a_duplicate(
    gateway: Gateway, carrier: str
) -> None:
    client, confirm = await customer(gateway.url)
    payload: dict[str, Any] = {"message": "my bill is wrong"}
    if carrier == "payload":
        payload["message_id"] = "9b2f6c1e-0d4a-4f7e-8a51-3c2d1e0f9a87"
    else:  # as rasa-webchat sends extras
        payload["customData"] = {"message_id": "9b2f6c1e-0d4a-4f7e-8a51-3c2d1e0f9a87"}

    first = await send(client, payload)
    await client.wait("bot_uttered")
    again = await send(client, payload)

    assert first["status"] == "accepted" and isinstance(first["id"], int)
    assert again == {"status": "duplicate", "id": first["id"]}
    assert gateway.rasa.texts() == ["my bill is wrong"]
    assert len(client.of("bot_uttered")) == 1, "answered once"
    assert await stored(gateway, confirm["session_id"]) == [
        ("my bill is wrong", "9b2f6c1e-0d4a-4f7e-8a51-3c2d1e0f9a87"), ("bot reply", None)
    ]  # fmt: skip
    await client.close()


async def test_the_acknowledgement_says_stored_before_the_bot_answers(gateway: Gateway) -> None:
    gateway.rasa.gate = asyncio.Event()
    client, confirm = await customer(gateway.url)

    ack = await send(client, {"message": "is there an outage?", "message_id": "m-1"})

    assert ack["status"] == "accepted"
    assert client.of("bot_uttered") == []
    assert await stored(gateway, confirm["session_id"]) == [("is there an outage?", "m-1")]
    gateway.rasa.gate.set()
    (answer,) = await client.wait("bot_uttered")
    assert answer == {"text": "bot reply"}
    await client.close()


HOSTILE_IDS = [
    "x" * 65,  # too long
    "",
    123,
    1.5,
    True,
    ["m-1"],
    {"id": "m-1"},
    "m 1",
    "m-1\n",
    "<script>alert(1)</script>",
    "ça-1",
    "m\u200b1",  # zero-width space
    "../../etc/passwd",
]


@pytest.mark.parametrize("message_id", HOSTILE_IDS)
async def test_a_malformed_message_id_is_refused_and_nothing_is_stored(
    gateway: Gateway, message_id: Any
) -> None:
    client, confirm = await customer(gateway.url)

    answer = await send(client, {"message": "hello", "message_id": message_id})

    assert answer["code"] == "invalid_payload" and "message_id" in answer["error"]
    assert await stored(gateway, confirm["session_id"]) == []
    assert gateway.rasa.calls == []
    await client.close()


async def test_an_id_that_is_not_valid_unicode_is_refused(gateway: Gateway) -> None:
    client, confirm = await customer(gateway.url)
    answer = await send(client, {"message": "hello", "message_id": "m-\ud800"})
    assert answer["code"] == "invalid_text"
    assert await stored(gateway, confirm["session_id"]) == []
    await client.close()


async def test_an_id_reaches_only_the_sockets_own_conversation(gateway: Gateway) -> None:
    victim, mine = await customer(gateway.url)
    theirs = await send(victim, {"message": "my account number is 30000001", "message_id": "m-1"})
    await victim.wait("bot_uttered")
    attacker, other = await customer(gateway.url)

    answer = await send(
        attacker, {"message": "hello", "message_id": "m-1", "session_id": mine["session_id"]}
    )

    assert answer["status"] == "accepted", "a message of its own conversation"
    assert answer["id"] != theirs["id"], "the victim's stored message is neither named nor found"
    await attacker.wait("bot_uttered")
    assert await stored(gateway, other["session_id"]) == [("hello", "m-1"), ("bot reply", None)]
    victims = [text for text, _ in await stored(gateway, mine["session_id"])]
    assert victims == ["my account number is 30000001", "bot reply"]
    assert len(victim.of("bot_uttered")) == 1, "nothing reached the victim's socket"
    await victim.close()
    await attacker.close()


async def test_messages_without_an_id_still_work(gateway: Gateway) -> None:
    """Rasa's own widgets send none: each message is stored and answered, as before."""
    client, confirm = await customer(gateway.url)
    first = await send(client, {"message": "hello"})
    await client.wait("bot_uttered")
    second = await send(client, {"message": "hello"})
    await client.wait("bot_uttered", count=2)
    assert first["status"] == second["status"] == "accepted" and first["id"] != second["id"]
    assert gateway.rasa.texts() == ["hello", "hello"]
    await client.close()
