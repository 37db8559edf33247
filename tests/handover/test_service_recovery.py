"""Customer messages a gateway stored but never answered (it stopped in between): found and
answered once, by whichever gateway looks, and only those."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from sqlalchemy import update
from sqlalchemy.orm import Session

from handover import crud
from handover.models import Message, utcnow
from handover.recovery import RECOVER_WITHIN, answer_unanswered
from handover.service import Hub
from handover.turns import Backlog
from tests.handover.hubs import agent, queued


async def left_unanswered(hub: Hub, conversation_id: str, text: str, message_id: str) -> Message:
    """A customer message stored by a gateway that stopped before asking the bot."""
    await hub.customer_joined(conversation_id)
    return await hub.db(
        crud.add_message,
        conversation_id=conversation_id,
        sender="user",
        text=text,
        client_message_id=message_id,
    )


async def texts(hub: Hub, conversation_id: str) -> list[str]:
    return [m["text"] for m in await hub.history(conversation_id)]


async def test_a_stored_message_left_unanswered_is_answered_once(hub: Hub) -> None:
    await left_unanswered(hub, "conv-1", "is there an outage in Leeds?", "m-1")

    assert await answer_unanswered(hub, older_than_seconds=0) == 1
    assert await answer_unanswered(hub, older_than_seconds=0) == 0

    assert hub.rasa.calls == ["is there an outage in Leeds?"]
    assert hub.rasa.message_ids == ["m-1"], "Rasa's events can be matched with the message"
    assert await texts(hub, "conv-1") == ["is there an outage in Leeds?", "bot reply"]


async def test_a_message_still_within_a_live_gateways_turn_is_left_to_it(hub: Hub) -> None:
    await left_unanswered(hub, "conv-1", "hello", "m-1")
    assert await answer_unanswered(hub, older_than_seconds=60) == 0
    assert hub.rasa.calls == []


async def test_answered_messages_are_not_sent_again(hub: Hub) -> None:
    await hub.customer_message("conv-1", "hello", message_id="m-1")
    hub.rasa.answers = []  # the bot may answer with silence: still answered
    await hub.customer_message("conv-1", "ok", message_id="m-2")

    assert await answer_unanswered(hub, older_than_seconds=0) == 0
    assert hub.rasa.calls == ["hello", "ok"]


async def test_messages_followed_by_an_answer_before_answers_were_marked_are_left(
    hub: Hub,
) -> None:
    await left_unanswered(hub, "conv-1", "hello", "m-1")
    await hub.db(crud.add_message, conversation_id="conv-1", sender="bot", text="Hi!")
    assert await answer_unanswered(hub, older_than_seconds=0) == 0


async def test_old_messages_and_chats_with_a_person_are_left(hub: Hub) -> None:
    old = await left_unanswered(hub, "conv-old", "hello", "m-1")

    def age(session: Session) -> None:
        when = utcnow() - RECOVER_WITHIN - timedelta(minutes=1)
        session.execute(update(Message).where(Message.id == old.id).values(created_at=when))

    await hub.db(age)
    ada = await agent(hub)
    await queued(hub, "conv-person")
    await hub.lifecycle.accept("conv-person", ada)
    await left_unanswered(hub, "conv-person", "are you there?", "m-2")

    assert await answer_unanswered(hub, older_than_seconds=0) == 0
    assert hub.rasa.calls == []


async def test_two_gateways_looking_at_once_answer_once(hub: Hub) -> None:
    await left_unanswered(hub, "conv-1", "hello", "m-1")
    found = await asyncio.gather(
        answer_unanswered(hub, older_than_seconds=0),
        answer_unanswered(hub, older_than_seconds=0),
    )
    assert sorted(found) == [0, 1]
    assert hub.rasa.calls == ["hello"]


async def test_without_room_for_the_bot_the_next_look_answers(hub: Hub) -> None:
    await left_unanswered(hub, "conv-1", "hello", "m-1")
    hub.backlog = Backlog(1)
    with hub.backlog.admit():  # the bot is busy with another customer
        assert await answer_unanswered(hub, older_than_seconds=0) == 0
    assert await answer_unanswered(hub, older_than_seconds=0) == 1
    assert hub.rasa.calls == ["hello"]


@pytest.mark.parametrize("conversation", ["conv-1", "conv-2"])
async def test_a_look_can_be_for_one_conversation(hub: Hub, conversation: str) -> None:
    await left_unanswered(hub, "conv-1", "hello", "m-1")
    found = await answer_unanswered(hub, older_than_seconds=0, conversation_id=conversation)
    assert found == (1 if conversation == "conv-1" else 0)
