"""The hub's transitions in-process: real database and state stores, a Rasa that must not speak."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import redis
import socketio

from handover import crud, watchers
from handover.config import HandoverSettings
from handover.customer_input import REQUEST_HUMAN, Refused
from handover.db import make_engine, migrate, session_factory
from handover.rasa import RasaClient, RasaUnavailable
from handover.service import MAX_WAITING_MESSAGES, Conflict, Hub
from handover.state import Owner, make_store

REDIS_URL = "redis://127.0.0.1:6379/0"


class SilentRasa(RasaClient):
    """Fails the test if the bot is asked anything."""

    def __init__(self) -> None:
        super().__init__("http://127.0.0.1:9", token="unused", timeout=1)
        self.calls: list[str] = []
        self.failure: BaseException | None = None
        self.gate: asyncio.Event | None = None  # when set, answers wait for it

    async def send(self, conversation_id: str, text: str) -> list[dict[str, Any]]:
        self.calls.append(text)
        if self.gate is not None:
            await self.gate.wait()
        if self.failure is not None:
            raise self.failure
        return [{"text": "bot reply"}]


@pytest.fixture(params=["memory", "redis"])
async def hub(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Hub]:
    url = f"sqlite:///{tmp_path}/hub.db"
    migrate(url)
    namespace = f"test-hub-{uuid.uuid4().hex[:8]}"
    redis_url = REDIS_URL if request.param == "redis" else None
    tickets: list[tuple[str, str, list[dict[str, Any]]]] = []

    def open_ticket(conversation_id: str, reason: str, transcript: list[dict[str, Any]]) -> str:
        tickets.append((conversation_id, reason, transcript))
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
    built.tickets = tickets  # type: ignore[attr-defined]
    yield built
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
    await hub.accept("conv-1", ada)
    await hub.customer_message("conv-1", "my bill looks wrong")
    assert hub.rasa.calls == []
    texts = [m["text"] for m in await hub.history("conv-1")]
    assert "hello? anyone?" in texts and "my bill looks wrong" in texts


async def test_capacity_is_respected(hub: Hub) -> None:
    ada = await agent(hub, capacity=1)
    await queued(hub, "conv-1")
    await queued(hub, "conv-2")
    await hub.accept("conv-1", ada)
    with pytest.raises(Conflict):
        await hub.accept("conv-2", ada)


async def test_only_the_owner_may_write_or_hand_back(hub: Hub) -> None:
    ada, bob = await agent(hub, "ada"), await agent(hub, "bob")
    await queued(hub)
    await hub.accept("conv-1", ada)
    with pytest.raises(Conflict):
        await hub.agent_message("conv-1", bob, "hi")
    with pytest.raises(Conflict):
        await hub.handback("conv-1", bob)


async def test_waiting_too_long_turns_into_a_ticket(hub: Hub) -> None:
    await agent(hub)
    await queued(hub)
    await hub.customer_message("conv-1", "still waiting")
    assert await watchers.expire_once(hub, now=time.time() + 30) == []
    assert await watchers.expire_once(hub, now=time.time() + 61) == ["conv-1"]
    assert (await hub.store.get("conv-1")).state == Owner.BOT
    ((conversation_id, reason, transcript),) = hub.tickets
    assert (conversation_id, reason) == ("conv-1", "wait_too_long")
    assert "still waiting" in [line["text"] for line in transcript]
    assert "TCK-000999" in (await hub.history("conv-1"))[-1]["text"]


async def test_an_agent_gone_past_the_grace_period_loses_the_chat_to_the_queue_head(
    hub: Hub,
) -> None:
    ada = await agent(hub)
    await queued(hub, "conv-1")
    await hub.accept("conv-1", ada)
    await queued(hub, "conv-2")
    await hub.agent_connected("ada")
    await hub.agent_disconnected("ada")
    await watchers.requeue_after_grace(hub, "ada", gone_at=time.time())
    order = [o.conversation_id for o in await hub.store.queue()]
    assert order == ["conv-1", "conv-2"], "the requeued chat goes first"
    row = await hub.db(crud.get_conversation, conversation_id="conv-1")
    assert row.state == "queued" and row.agent_username is None


async def test_a_reconnected_agent_keeps_the_chat(hub: Hub) -> None:
    ada = await agent(hub)
    await queued(hub)
    await hub.accept("conv-1", ada)
    await hub.agent_connected("ada")
    await hub.agent_disconnected("ada")
    await hub.agent_connected("ada")
    await watchers.requeue_after_grace(hub, "ada", gone_at=time.time())
    assert (await hub.store.get("conv-1")).agent == "ada"


async def test_a_chat_accepted_after_the_console_went_away_stays(hub: Hub) -> None:
    ada = await agent(hub)
    await queued(hub, "conv-1")
    await hub.accept("conv-1", ada)
    gone_at = time.time()
    await queued(hub, "conv-2")
    await hub.accept("conv-2", ada)  # through the API, while the console is away

    await watchers.requeue_after_grace(hub, "ada", gone_at=gone_at)

    assert [o.conversation_id for o in await hub.store.queue()] == ["conv-1"]
    assert (await hub.store.get("conv-2")).agent == "ada"


async def test_transfer_to_another_online_agent(hub: Hub) -> None:
    ada, _ = await agent(hub, "ada"), await agent(hub, "bob")
    await queued(hub)
    await hub.accept("conv-1", ada)
    await hub.transfer("conv-1", ada, to_agent="bob", to_skill=None)
    assert (await hub.store.get("conv-1")).agent == "bob"
    row = await hub.db(crud.get_conversation, conversation_id="conv-1")
    assert row.agent_username == "bob"
    assert "bob from our team is taking over." in [m["text"] for m in await hub.history("conv-1")]


async def test_transfer_to_an_agent_who_is_away_is_refused(hub: Hub) -> None:
    ada, _ = await agent(hub, "ada"), await agent(hub, "bob", online=False)
    await queued(hub)
    await hub.accept("conv-1", ada)
    with pytest.raises(Conflict):
        await hub.transfer("conv-1", ada, to_agent="bob", to_skill=None)
    assert (await hub.store.get("conv-1")).agent == "ada"


async def test_transfer_to_a_skill_goes_to_the_head_of_the_queue(hub: Hub) -> None:
    ada = await agent(hub, "ada")
    await queued(hub, "conv-1")
    await queued(hub, "conv-2")
    await hub.accept("conv-1", ada)
    await hub.transfer("conv-1", ada, to_agent=None, to_skill="network")
    first = (await hub.store.queue())[0]
    assert (first.conversation_id, first.skill) == ("conv-1", "network")
    row = await hub.db(crud.get_conversation, conversation_id="conv-1")
    assert (row.state, row.skill) == ("queued", "network")


async def test_satisfaction_is_stored_and_must_be_one_to_five(hub: Hub) -> None:
    await hub.customer_joined("conv-1")
    await hub.rate("conv-1", 4)
    await hub.rate("conv-1", 5)  # a second answer replaces the first
    for bad in (0, 6, -1, True, 4.0, "4", None):
        with pytest.raises(ValueError, match="1 to 5"):
            await hub.rate("conv-1", bad)
    row = await hub.db(crud.get_conversation, conversation_id="conv-1")
    assert row.satisfaction == 5


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
    turns = hub._turns
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


SAID = {
    "en": {
        "joined": "ada from our support team has joined.",
        "transferred": "bob from our team is taking over.",
        "to_skill": "I'm passing you to our network team: you're first in line.",
        "closed": "ada has closed the conversation. Thank you!",
        "ticket": "your reference is TCK-000999",
        "handed_back": "You're back with the virtual assistant.",
        "requeued": "Sorry, we lost our connection to the person helping you.",
    },
    "fr": {
        "joined": "ada, de notre équipe d'assistance, a rejoint la conversation.",
        "transferred": "bob, de notre équipe, prend le relais.",
        "to_skill": "Je vous transfère à notre service réseau : vous êtes prioritaire",
        "closed": "ada a clôturé la conversation. Merci de nous avoir contactés !",
        "ticket": "votre référence est TCK-000999",
        "handed_back": "Vous êtes de nouveau avec l'assistant virtuel.",
        "requeued": "Désolés, nous avons perdu la connexion avec votre conseiller.",
    },
}


async def last_said(hub: Hub, conversation_id: str = "conv-1") -> str:
    return (await hub.history(conversation_id))[-1]["text"]


async def queued_in(hub: Hub, language: str, conversation_id: str = "conv-1") -> None:
    """A customer whose widget is in `language`; the bot's packet says "en", as it does for an
    unverified customer: the widget's language wins."""
    await hub.customer_joined(conversation_id, language=language)
    context = {"skill": "billing", "language": "en"}
    await hub.request_handover(conversation_id, "customer_request", context)


@pytest.mark.parametrize("language", ["en", "fr"])
async def test_the_gateway_speaks_the_conversations_language_from_join_to_close(
    hub: Hub, language: str
) -> None:
    said = SAID[language]
    ada, bob = await agent(hub, "ada"), await agent(hub, "bob")
    await queued_in(hub, language)
    await hub.accept("conv-1", ada)
    assert await last_said(hub) == said["joined"]
    await hub.transfer("conv-1", ada, to_agent="bob", to_skill=None)
    assert await last_said(hub) == said["transferred"]
    await hub.transfer("conv-1", bob, to_agent=None, to_skill="network")
    assert (await last_said(hub)).startswith(said["to_skill"])
    await hub.accept("conv-1", ada)
    await hub.close("conv-1", ada)
    assert await last_said(hub) == said["closed"]


@pytest.mark.parametrize("language", ["en", "fr"])
async def test_tickets_hand_backs_and_lost_agents_in_the_conversations_language(
    hub: Hub, language: str
) -> None:
    said = SAID[language]
    ada = await agent(hub, "ada")
    await queued_in(hub, language, "conv-1")
    await queued_in(hub, language, "conv-2")
    await hub.accept("conv-2", ada)
    assert await watchers.expire_once(hub, now=time.time() + 61) == ["conv-1"]
    assert said["ticket"] in await last_said(hub, "conv-1")

    await hub.handback("conv-2", ada)  # Rasa does not answer: the gateway says it
    assert await last_said(hub, "conv-2") == said["handed_back"]

    await queued_in(hub, language, "conv-2")
    await hub.accept("conv-2", ada)
    await watchers.requeue_after_grace(hub, "ada", gone_at=time.time())
    assert (await last_said(hub, "conv-2")).startswith(said["requeued"])


@pytest.mark.parametrize("language", ["en", "fr"])
async def test_without_a_ticket_the_customer_gets_the_phone_number(hub: Hub, language: str) -> None:
    def broken(*_: Any) -> str:
        raise RuntimeError("CRM down")

    hub.open_ticket = broken
    await agent(hub)
    await queued_in(hub, language)
    await hub.store.dequeue("conv-1")
    await hub.ticket_instead("conv-1", reason="wait_too_long")
    number = {"en": "Please call us on 0800 000 0123.", "fr": "nous appeler au 0800 000 0123."}
    assert (await last_said(hub)).endswith(number[language])


async def test_a_language_the_widget_does_not_offer_is_english(hub: Hub) -> None:
    await hub.customer_joined("conv-1", language="de")
    assert await hub.language("conv-1") == "en"
    assert await hub.language("never-seen") == "en"
