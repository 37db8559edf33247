"""The hub and customers' message ids: stored before acknowledged, never stored or answered twice."""

from __future__ import annotations

import asyncio

import pytest

from handover import crud
from handover.customer_input import Refused
from handover.service import Accepted, Hub


async def said(hub: Hub, conversation_id: str) -> list[tuple[str, str | None]]:
    """The stored messages: text and client message id."""
    return [(m["text"], m["message_id"]) for m in await hub.history(conversation_id)]


async def test_a_message_sent_again_is_neither_stored_nor_answered_twice(hub: Hub) -> None:
    first = await hub.customer_message("conv-1", "my bill", message_id="m-1")
    again = await hub.customer_message("conv-1", "my bill", message_id="m-1")

    assert first == Accepted("accepted", first.id)
    assert again == Accepted("duplicate", first.id)
    assert again.ack == {"status": "duplicate", "id": first.id}
    assert hub.rasa.calls == ["my bill"]
    assert await said(hub, "conv-1") == [("my bill", "m-1"), ("bot reply", None)]


async def test_the_same_id_in_two_conversations_is_two_messages(hub: Hub) -> None:
    one = await hub.customer_message("conv-1", "hello", message_id="same")
    two = await hub.customer_message("conv-2", "hello", message_id="same")

    assert (one.status, two.status) == ("accepted", "accepted") and one.id != two.id
    assert hub.rasa.calls == ["hello", "hello"]
    for conversation in ("conv-1", "conv-2"):
        assert await said(hub, conversation) == [("hello", "same"), ("bot reply", None)]


async def test_the_same_message_sent_twice_at_once_is_answered_once(hub: Hub) -> None:
    both = await asyncio.gather(
        hub.customer_message("conv-1", "where is my parcel", message_id="m-1"),
        hub.customer_message("conv-1", "where is my parcel", message_id="m-1"),
    )
    assert sorted(a.status for a in both) == ["accepted", "duplicate"]
    assert both[0].id == both[1].id
    assert hub.rasa.calls == ["where is my parcel"]


async def test_a_duplicate_after_the_end_does_not_reopen_the_conversation(hub: Hub) -> None:
    await hub.customer_message("conv-1", "thanks, bye", message_id="m-9")
    await hub.end_chat("conv-1")

    again = await hub.customer_message("conv-1", "thanks, bye", message_id="m-9")

    assert again.status == "duplicate"
    assert (await hub.outbox.status("conv-1"))["state"] == "closed"
    assert hub.rasa.calls == ["thanks, bye"]


async def test_an_id_another_gateway_stored_a_moment_before_is_a_duplicate(hub: Hub) -> None:
    """The lookup missed it (another process was storing it): the unique index decides."""
    other = await hub.db(
        crud.add_message,
        conversation_id="conv-1",
        sender="user",
        text="hello",
        client_message_id="m-1",
    )
    message, accepted = await hub._store("conv-1", "hello", "m-1")
    assert accepted == Accepted("duplicate", other.id) and message.id == other.id


async def test_the_acknowledgement_comes_once_stored_before_the_answer(hub: Hub) -> None:
    hub.rasa.gate = asyncio.Event()

    accepted = await asyncio.wait_for(
        hub.accept_customer_message("conv-1", "is there an outage?", message_id="m-1"), 30
    )

    assert accepted.status == "accepted"
    assert await said(hub, "conv-1") == [("is there an outage?", "m-1")]
    await hub.rasa.asked(1)
    hub.rasa.gate.set()
    await asyncio.gather(*hub._turns)
    assert [text for text, _ in await said(hub, "conv-1")] == ["is there an outage?", "bot reply"]


async def test_a_stopping_gateway_lets_the_answers_on_their_way_finish(hub: Hub) -> None:
    hub.rasa.gate = asyncio.Event()
    await hub.accept_customer_message("conv-1", "hello", message_id="m-1")
    await hub.rasa.asked(1)

    assert await hub.finish_turns(0.05) == 1, "still waiting for the bot"
    hub.rasa.gate.set()
    assert await hub.finish_turns(30) == 0
    assert [text for text, _ in await said(hub, "conv-1")] == ["hello", "bot reply"]
    assert await hub.finish_turns(0) == 0


async def test_a_refusal_reaches_the_caller_with_nothing_stored(hub: Hub) -> None:
    with pytest.raises(Refused, match="cannot start with"):
        await hub.accept_customer_message("conv-1", "/restart", message_id="m-1")
    assert await said(hub, "conv-1") == []
    assert not hub._turns
