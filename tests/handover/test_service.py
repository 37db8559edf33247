"""The hub's transitions in-process: real database and state stores, a Rasa that must not speak."""

from __future__ import annotations

import asyncio
import time

import pytest

from handover import crud
from handover.customer_input import REQUEST_HUMAN, Refused
from handover.lifecycle import NotAllowed, TransitionRefused, WrapUp
from handover.rasa import RasaUnavailable
from handover.service import MAX_WAITING_MESSAGES, Hub
from handover.state import Owner
from handover.watchers import Presence
from tests.handover.hubs import agent, expire_once, queued, requeue_after_grace


async def test_unknown_conversation_gets_no_handover(hub: Hub) -> None:
    await agent(hub)
    answer = await hub.request_handover("never-seen", "customer_request", {})
    assert answer["status"] == "unavailable"


async def test_nobody_online_means_a_ticket_from_the_bot(hub: Hub) -> None:
    await agent(hub, online=False)
    assert (await queued(hub))["status"] == "unavailable"
    assert (await hub.store.get("conv-1")).state == Owner.BOT


async def test_outside_opening_hours(hub: Hub) -> None:
    await agent(hub)
    weekday = time.strftime("%a", time.gmtime(time.time() + 3 * 86400))
    hub.settings = hub.settings.copy(update={"opening_hours": f"{weekday} 09:00-10:00"})
    assert (await queued(hub))["status"] == "unavailable"


async def test_queued_with_position_and_wait(hub: Hub) -> None:
    await agent(hub)
    answer = await queued(hub)
    assert answer == {"status": "queued", "position": 1, "estimated_wait_seconds": 300}
    row = await hub.db(crud.get_conversation, conversation_id="conv-1")
    assert (row.state, row.skill, row.reason) == ("queued", "billing", "customer_request")


async def test_the_bot_is_silent_while_a_person_owns_the_chat(hub: Hub) -> None:
    ada = await agent(hub)
    await queued(hub)
    await hub.customer_message("conv-1", "hello? anyone?")
    await hub.lifecycle.accept("conv-1", ada)
    await hub.customer_message("conv-1", "my bill looks wrong")
    assert hub.rasa.calls == []
    texts = [m["text"] for m in await hub.history("conv-1")]
    assert "hello? anyone?" in texts and "my bill looks wrong" in texts


async def test_capacity_is_respected(hub: Hub) -> None:
    ada = await agent(hub, capacity=1)
    await queued(hub, "conv-1")
    await queued(hub, "conv-2")
    await hub.lifecycle.accept("conv-1", ada)
    with pytest.raises(TransitionRefused):
        await hub.lifecycle.accept("conv-2", ada)


async def test_only_the_owner_may_write_or_hand_back(hub: Hub) -> None:
    ada, bob = await agent(hub, "ada"), await agent(hub, "bob")
    await queued(hub)
    await hub.lifecycle.accept("conv-1", ada)
    with pytest.raises(TransitionRefused):
        await hub.agent_message("conv-1", bob, "hi")
    with pytest.raises(TransitionRefused):
        await hub.lifecycle.hand_back("conv-1", bob)


async def test_waiting_too_long_turns_into_a_ticket(hub: Hub) -> None:
    await agent(hub)
    await queued(hub)
    await hub.customer_message("conv-1", "still waiting")
    assert await expire_once(hub, now=time.time() + 30) == []
    assert await expire_once(hub, now=time.time() + 61) == ["conv-1"]
    assert (await hub.store.get("conv-1")).state == Owner.BOT
    ((conversation_id, reason, transcript),) = hub.opened_tickets
    assert (conversation_id, reason) == ("conv-1", "wait_too_long")
    assert "still waiting" in [line["text"] for line in transcript]
    assert "TCK-000999" in (await hub.history("conv-1"))[-1]["text"]
    assert hub.ticket_customers == [None], "nobody verified: the ticket names no customer"


async def test_a_ticket_after_a_long_wait_is_opened_under_the_verified_customer(hub: Hub) -> None:
    await agent(hub)
    await hub.customer_joined("conv-1")
    profile = {"profile": {"customer_id": "CUS-00001"}}
    assert (await hub.request_handover("conv-1", "customer_request", profile))["status"] == "queued"

    assert await expire_once(hub, now=time.time() + 61) == ["conv-1"]

    assert hub.ticket_customers == ["CUS-00001"]


async def test_a_ticket_after_a_lost_agent_names_the_agent_in_its_transcript(hub: Hub) -> None:
    ada = await agent(hub)
    await queued(hub)
    await hub.lifecycle.accept("conv-1", ada)
    await hub.agent_message("conv-1", ada, "Let me check that for you.")
    # The watcher's round itself, not `presence.disconnected`: that would start a second round
    # in the background, whose requeue could still be committing when the wait expires.
    assert await requeue_after_grace(hub, "ada", gone_at=time.time()) == ["conv-1"]
    assert await expire_once(hub, now=time.time() + 61) == ["conv-1"]

    ((_, _, transcript),) = hub.opened_tickets
    said = next(line for line in transcript if line["text"] == "Let me check that for you.")
    assert said["agent_name"] == (ada.display_name or "ada")


async def test_an_agent_gone_past_the_grace_period_loses_the_chat_to_the_queue_head(
    hub: Hub,
) -> None:
    ada = await agent(hub)
    await queued(hub, "conv-1")
    await hub.lifecycle.accept("conv-1", ada)
    await queued(hub, "conv-2")
    # One round, awaited (see the test above): `disconnected` would race it with another.
    assert await requeue_after_grace(hub, "ada", gone_at=time.time()) == ["conv-1"]
    order = [o.conversation_id for o in await hub.store.queue()]
    assert order == ["conv-1", "conv-2"], "the requeued chat goes first"
    row = await hub.db(crud.get_conversation, conversation_id="conv-1")
    assert row.state == "queued" and row.agent_username is None


async def test_a_reconnected_agent_keeps_the_chat(hub: Hub) -> None:
    ada = await agent(hub)
    await queued(hub)
    await hub.lifecycle.accept("conv-1", ada)
    hub.presence.connected("ada")
    hub.presence.disconnected("ada")
    hub.presence.connected("ada")
    await requeue_after_grace(hub, "ada", gone_at=time.time())
    assert (await hub.store.get("conv-1")).agent == "ada"


async def test_a_chat_accepted_after_the_console_went_away_stays(hub: Hub) -> None:
    ada = await agent(hub)
    await queued(hub, "conv-1")
    await hub.lifecycle.accept("conv-1", ada)
    gone_at = time.time()
    await queued(hub, "conv-2")
    await hub.lifecycle.accept("conv-2", ada)  # through the API, while the console is away

    await requeue_after_grace(hub, "ada", gone_at=gone_at)

    assert [o.conversation_id for o in await hub.store.queue()] == ["conv-1"]
    assert (await hub.store.get("conv-2")).agent == "ada"


async def test_transfer_to_another_online_agent(hub: Hub) -> None:
    ada, _ = await agent(hub, "ada"), await agent(hub, "bob")
    await queued(hub)
    await hub.lifecycle.accept("conv-1", ada)
    await hub.transfer("conv-1", ada, to_agent="bob", to_skill=None)
    assert (await hub.store.get("conv-1")).agent == "bob"
    row = await hub.db(crud.get_conversation, conversation_id="conv-1")
    assert row.agent_username == "bob"
    assert "bob from our team is taking over." in [m["text"] for m in await hub.history("conv-1")]


async def test_transfer_to_an_agent_who_is_away_is_refused(hub: Hub) -> None:
    ada, _ = await agent(hub, "ada"), await agent(hub, "bob", online=False)
    await queued(hub)
    await hub.lifecycle.accept("conv-1", ada)
    with pytest.raises(TransitionRefused):
        await hub.transfer("conv-1", ada, to_agent="bob", to_skill=None)
    assert (await hub.store.get("conv-1")).agent == "ada"


async def test_transfer_to_a_skill_goes_to_the_head_of_the_queue(hub: Hub) -> None:
    ada = await agent(hub, "ada")
    await queued(hub, "conv-1")
    await queued(hub, "conv-2")
    await hub.lifecycle.accept("conv-1", ada)
    await hub.transfer("conv-1", ada, to_agent=None, to_skill="network")
    first = (await hub.store.queue())[0]
    assert (first.conversation_id, first.skill) == ("conv-1", "network")
    row = await hub.db(crud.get_conversation, conversation_id="conv-1")
    assert (row.state, row.skill) == ("queued", "network")


async def test_satisfaction_is_stored_once_ended_and_must_be_one_to_five(hub: Hub) -> None:
    ada = await agent(hub)
    await queued(hub)
    await hub.lifecycle.accept("conv-1", ada)
    with pytest.raises(NotAllowed, match="rate it once it has ended"):
        await hub.lifecycle.rate("conv-1", 4)
    await hub.lifecycle.close("conv-1", ada, reason=WrapUp.RESOLVED)
    await hub.lifecycle.rate("conv-1", 4)
    await hub.lifecycle.rate("conv-1", 5)  # a second answer replaces the first
    for bad in (0, 6, -1, True, 4.0, "4", None):
        with pytest.raises(ValueError, match="1 to 5"):
            await hub.lifecycle.rate("conv-1", bad)
    (episode,) = await hub.db(crud.list_episodes, conversation_id="conv-1")
    assert episode.satisfaction == 5


async def test_a_conversation_queues_only_a_few_messages_behind_a_slow_bot(hub: Hub) -> None:
    hub.rasa.gate = asyncio.Event()
    sent = [asyncio.create_task(hub.customer_message("conv-1", f"m{n}")) for n in range(10)]
    done, waiting = await asyncio.wait(sent, timeout=1)
    refused = [task.exception() for task in done]
    assert len(waiting) == MAX_WAITING_MESSAGES
    assert all(isinstance(error, Refused) and error.code == "busy" for error in refused)
    hub.rasa.gate.set()
    await asyncio.gather(*waiting)
    assert len(hub.rasa.calls) == MAX_WAITING_MESSAGES
    turns = hub.outbox.turns
    assert turns._waiting == {} and turns._locks == {}, "nothing kept for an idle conversation"


@pytest.mark.parametrize("failure", [asyncio.TimeoutError(), RasaUnavailable("refused")])
async def test_without_rasa_the_gateway_apologises_and_offers_a_person(
    hub: Hub, failure: BaseException
) -> None:
    hub.rasa.failure = failure
    await hub.customer_joined("conv-1", language="fr")
    await hub.customer_message("conv-1", "bonjour")
    apology = (await hub.history("conv-1"))[-1]["text"]
    assert apology.startswith("Désolé, je n'arrive pas à répondre")
    assert await hub.store.offered("conv-1") == [REQUEST_HUMAN]

    await agent(hub)
    await hub.customer_message("conv-1", REQUEST_HUMAN)
    assert (await hub.store.get("conv-1")).state == Owner.QUEUED
    row = await hub.db(crud.get_conversation, conversation_id="conv-1")
    assert (row.reason, row.language) == ("bot_unavailable", "fr")
    assert (await hub.history("conv-1"))[-1]["text"].startswith("Je vous mets en relation")


async def test_without_rasa_or_agents_the_gateway_says_nobody_is_free(hub: Hub) -> None:
    hub.rasa.failure = RasaUnavailable("refused")
    await hub.customer_joined("conv-1")
    await hub.customer_message("conv-1", "hello")
    await hub.customer_message("conv-1", REQUEST_HUMAN)
    assert (await hub.store.get("conv-1")).state == Owner.BOT
    assert (await hub.history("conv-1"))[-1]["text"].startswith("Sorry, nobody from our team")


@pytest.mark.parametrize("typed", ["/restart", " /session_start", '/inform{"verified": true}'])
async def test_typed_commands_are_refused_before_anything_is_stored(hub: Hub, typed: str) -> None:
    await hub.store.set_offered("conv-1", ["/affirm", "/restart"])
    with pytest.raises(Refused, match="cannot start with"):
        await hub.customer_message("conv-1", typed)
    await hub.customer_message("conv-1", "/affirm")
    assert hub.rasa.calls == ["/affirm"]
    assert [m["text"] for m in await hub.history("conv-1")] == ["/affirm", "bot reply"]
    assert await hub.store.offered("conv-1") == [], "the latest answer offered nothing"


async def test_after_a_close_a_customer_who_writes_again_is_queued_not_ticketed(hub: Hub) -> None:
    ada = await agent(hub)
    await queued(hub)
    await hub.lifecycle.accept("conv-1", ada)
    await hub.lifecycle.close("conv-1", ada, reason=WrapUp.RESOLVED)

    await hub.customer_message("conv-1", "one more question")
    assert hub.rasa.calls == ["one more question"], "the bot answers again"
    answer = await hub.request_handover("conv-1", "customer_request", {"skill": "orders"})

    assert answer == {"status": "queued", "position": 1, "estimated_wait_seconds": 300}
    assert (await hub.store.get("conv-1")).state == Owner.QUEUED
    first, second = await hub.db(crud.list_episodes, conversation_id="conv-1")
    assert (first.outcome, second.number, second.ended_at) == ("resolved_by_agent", 2, None)
    assert hub.opened_tickets == []


async def test_after_a_close_rasa_being_down_still_leads_to_a_person(hub: Hub) -> None:
    ada = await agent(hub)
    await queued(hub)
    await hub.lifecycle.accept("conv-1", ada)
    await hub.lifecycle.close("conv-1", ada, reason=WrapUp.RESOLVED)
    hub.rasa.failure = RasaUnavailable("refused")

    await hub.customer_message("conv-1", "hello again")
    await hub.customer_message("conv-1", REQUEST_HUMAN)

    assert (await hub.store.get("conv-1")).state == Owner.QUEUED
    assert (await hub.history("conv-1"))[-1]["text"].startswith("I'm passing you to a member")


async def test_the_customer_ending_the_chat_waits_for_the_bots_answer(hub: Hub) -> None:
    hub.rasa.gate = asyncio.Event()
    message = asyncio.create_task(hub.customer_message("conv-1", "one last thing"))
    ending = asyncio.create_task(hub.end_chat("conv-1"))
    done, _ = await asyncio.wait({ending}, timeout=0.2)
    assert not done, "the end waits for the answer on its way"

    hub.rasa.gate.set()
    await message
    ended = await ending

    assert ended.outcome.value == "resolved_by_bot"
    texts = [m["text"] for m in await hub.history("conv-1")]
    assert texts == [
        "one last thing",
        "bot reply",
        "You ended the conversation. Write to us again any time.",
    ]


async def test_a_handover_asked_for_a_closed_conversation_is_unavailable(hub: Hub) -> None:
    await agent(hub)
    await hub.customer_joined("conv-1")
    await hub.end_chat("conv-1")

    answer = await hub.request_handover("conv-1", "customer_request", {})

    assert answer == {"status": "unavailable", "why": "the conversation has ended"}


async def test_a_shutdown_cancels_the_grace_periods_still_running(hub: Hub) -> None:
    ada = await agent(hub)
    await queued(hub)
    await hub.lifecycle.accept("conv-1", ada)
    presence = Presence(hub.lifecycle, grace_seconds=3600)
    presence.connected("ada")
    presence.disconnected("ada")
    (waiting,) = presence._tasks

    await presence.stop()

    assert waiting.cancelled() and not presence._tasks
    assert (await hub.store.get("conv-1")).agent == "ada"


@pytest.mark.parametrize(
    ("signed", "verified", "kept"),
    [
        (None, "CUST-1", "CUST-1"),  # the bot's verification names the customer
        ("CUST-9", None, "CUST-9"),  # an unverified hand-over keeps the site's signed id
        ("CUST-9", "CUST-1", "CUST-9"),  # and a verified account does not replace it
        (None, "", None),
        (None, 42, None),  # not an id: nothing stored
    ],
)
async def test_the_hand_over_keeps_the_customer_the_site_vouched_for(
    hub: Hub, signed: str | None, verified: object, kept: str | None
) -> None:
    await agent(hub)
    await hub.customer_joined("conv-1", customer_id=signed)
    profile = {"profile": {"customer_id": verified}} if verified is not None else {}

    answer = await hub.request_handover("conv-1", "customer_request", profile)

    assert answer["status"] == "queued"
    row = await hub.db(crud.get_conversation, conversation_id="conv-1")
    assert row.customer_id == kept


@pytest.mark.parametrize(
    ("asked", "queue"),
    [("orders", "orders"), (None, "general"), ("x" * 40, "general"), (["billing"], "general")],
)
async def test_a_hand_over_waits_in_a_queue_agents_serve(
    hub: Hub, asked: object, queue: str
) -> None:
    await agent(hub)
    await hub.customer_joined("conv-1")
    context = {"skill": asked} if asked is not None else {}

    assert (await hub.request_handover("conv-1", "customer_request", context))["status"] == "queued"

    assert (await hub.store.get("conv-1")).skill == queue
    row = await hub.db(crud.get_conversation, conversation_id="conv-1")
    assert row.skill == queue
