"""The hub under a slow bot: the gateway's bound on the bot turns it takes on."""

from __future__ import annotations

import asyncio

import pytest

from handover.customer_input import Refused
from handover.service import Hub
from handover.turns import FIRST_RETRY_SECONDS, Backlog
from tests.handover.hubs import agent, queued


async def texts(hub: Hub, conversation_id: str, sender: str | None = None) -> list[str]:
    """The stored messages' texts (only `sender`'s, if given)."""
    history = await hub.history(conversation_id)
    return [m["text"] for m in history if sender in (None, m["sender"])]


async def test_past_the_backlog_a_message_is_refused_before_it_is_stored(hub: Hub) -> None:
    hub.backlog = Backlog(2)
    hub.rasa.gate = asyncio.Event()
    answering = [
        asyncio.create_task(hub.customer_message(f"conv-{n}", f"question {n}")) for n in (1, 2)
    ]
    await hub.rasa.asked(2)

    with pytest.raises(Refused) as refused:
        await hub.customer_message("conv-3", "anyone there?")

    assert (refused.value.code, refused.value.retry_after_seconds) == ("bot_busy", 5)
    assert FIRST_RETRY_SECONDS == 5
    assert await texts(hub, "conv-3") == [], "nothing stored: the customer sends it again"
    assert sorted(hub.rasa.calls) == ["question 1", "question 2"]
    hub.rasa.gate.set()
    await asyncio.gather(*answering)
    assert hub.backlog.taken == 0
    await hub.customer_message("conv-3", "anyone there?")
    assert await texts(hub, "conv-3") == ["anyone there?", "bot reply"]


async def test_a_message_behind_its_conversations_turn_takes_a_place_when_it_comes(
    hub: Hub,
) -> None:
    """The conversation's own earlier turn goes first (the customer's order is kept); then the
    later message needs a place like any other."""
    hub.backlog = Backlog(1)
    hub.rasa.gate = asyncio.Event()
    first = asyncio.create_task(hub.customer_message("conv-1", "one"))
    await hub.rasa.asked(1)
    second = asyncio.create_task(hub.customer_message("conv-1", "two"))
    await asyncio.wait({second}, timeout=0.2)
    assert hub.backlog.taken == 1 and not second.done()

    with pytest.raises(Refused, match="many customers"):
        await hub.customer_message("conv-2", "hello")
    hub.rasa.gate.set()
    await asyncio.gather(first, second)
    assert await texts(hub, "conv-1") == ["one", "bot reply", "two", "bot reply"]
    assert hub.backlog.taken == 0


async def test_customers_with_a_person_are_not_held_back_by_the_bots_backlog(hub: Hub) -> None:
    hub.backlog = Backlog(1)
    hub.rasa.gate = asyncio.Event()
    ada = await agent(hub)
    await queued(hub, "conv-person")
    await hub.lifecycle.accept("conv-person", ada)
    busy = asyncio.create_task(hub.customer_message("conv-bot", "hello"))
    await hub.rasa.asked(1)

    await hub.customer_message("conv-person", "are you there?")
    await hub.customer_message("conv-person", "my router is still blinking")

    said = await texts(hub, "conv-person", "user")
    assert said == ["are you there?", "my router is still blinking"]
    assert hub.rasa.calls == ["hello"], "the bot is not asked while a person has the chat"
    hub.rasa.gate.set()
    await busy


async def test_a_refused_message_changes_nothing_about_the_conversation(hub: Hub) -> None:
    """A closed conversation stays closed: the refusal comes before the customer "wrote"."""
    hub.backlog = Backlog(1)
    await hub.customer_joined("conv-closed")
    await hub.end_chat("conv-closed")
    hub.rasa.gate = asyncio.Event()
    busy = asyncio.create_task(hub.customer_message("conv-bot", "hello"))
    await hub.rasa.asked(1)

    with pytest.raises(Refused, match="many customers"):
        await hub.customer_message("conv-closed", "one more thing")

    status = await hub.outbox.status("conv-closed")
    assert status["state"] == "closed"
    hub.rasa.gate.set()
    await busy
