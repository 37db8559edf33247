"""The gateway speaks each conversation's language, and follows a customer who switched."""

from __future__ import annotations

import time
from typing import Any

import pytest

from handover.lifecycle import WrapUp
from handover.service import Hub
from tests.handover.hubs import agent, expire_once, requeue_after_grace

SAID = {
    "en": {
        "joined": "ada from our support team has joined.",
        "transferred": "bob from our team is taking over.",
        "to_skill": "I'm passing you to our network team: you're first in line.",
        "closed": "ada has closed the conversation. Thank you! Write to us again any time.",
        "ticket": "your reference is TCK-000999",
        "handed_back": "You're back with the virtual assistant.",
        "requeued": "Sorry, we lost our connection to the person helping you.",
    },
    "fr": {
        "joined": "ada, de notre équipe d'assistance, a rejoint la conversation.",
        "transferred": "bob, de notre équipe, prend le relais.",
        "to_skill": "Je vous transfère à notre service réseau : vous êtes prioritaire",
        "closed": "ada a clôturé la conversation. Merci de nous avoir contactés ! "
        "Écrivez-nous à nouveau quand vous le souhaitez.",
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
    await hub.lifecycle.accept("conv-1", ada)
    assert await last_said(hub) == said["joined"]
    await hub.transfer("conv-1", ada, to_agent="bob", to_skill=None)
    assert await last_said(hub) == said["transferred"]
    await hub.transfer("conv-1", bob, to_agent=None, to_skill="network")
    assert (await last_said(hub)).startswith(said["to_skill"])
    await hub.lifecycle.accept("conv-1", ada)
    await hub.lifecycle.close("conv-1", ada, reason=WrapUp.RESOLVED)
    assert await last_said(hub) == said["closed"]


@pytest.mark.parametrize("language", ["en", "fr"])
async def test_tickets_hand_backs_and_lost_agents_in_the_conversations_language(
    hub: Hub, language: str
) -> None:
    said = SAID[language]
    ada = await agent(hub, "ada")
    await queued_in(hub, language, "conv-1")
    await queued_in(hub, language, "conv-2")
    await hub.lifecycle.accept("conv-2", ada)
    assert await expire_once(hub, now=time.time() + 61) == ["conv-1"]
    assert said["ticket"] in await last_said(hub, "conv-1")

    await hub.lifecycle.hand_back("conv-2", ada)  # Rasa does not answer: the gateway says it
    assert await last_said(hub, "conv-2") == said["handed_back"]

    await queued_in(hub, language, "conv-2")
    await hub.lifecycle.accept("conv-2", ada)
    await requeue_after_grace(hub, "ada", gone_at=time.time())
    assert (await last_said(hub, "conv-2")).startswith(said["requeued"])


@pytest.mark.parametrize("language", ["en", "fr"])
async def test_without_a_ticket_the_customer_gets_the_phone_number(hub: Hub, language: str) -> None:
    def broken(*_: Any) -> str:
        raise RuntimeError("CRM down")

    hub.tickets.open_ticket = broken
    await agent(hub)
    await queued_in(hub, language)
    assert await expire_once(hub, now=time.time() + 61) == ["conv-1"]
    number = {"en": "Please call us on 0800 000 0123.", "fr": "nous appeler au 0800 000 0123."}
    assert (await last_said(hub)).endswith(number[language])


async def test_a_language_the_widget_does_not_offer_is_english(hub: Hub) -> None:
    await hub.customer_joined("conv-1", language="de")
    assert await hub.outbox.language("conv-1") == "en"
    assert await hub.outbox.language("never-seen") == "en"


@pytest.mark.parametrize("widget", ["en", "fr", None, "de"])
async def test_each_message_tells_the_bot_the_widgets_language(
    hub: Hub, widget: str | None
) -> None:
    await hub.customer_joined("conv-1", language=widget)
    await hub.customer_message("conv-1", "hello")
    await hub.customer_message("conv-1", "ORD-100001")
    expected = widget if widget in ("en", "fr") else None
    assert hub.rasa.languages == [expected, expected], "only a language the widget stated"


@pytest.mark.parametrize(("widget", "bot"), [("fr", "en"), ("en", "fr"), (None, "fr")])
async def test_the_gateway_follows_the_language_the_bot_switched_to(
    hub: Hub, widget: str | None, bot: str
) -> None:
    ada = await agent(hub)
    await hub.customer_joined("conv-1", language=widget)
    context = {"skill": "billing", "language": "en", "slots": {"language": bot}}
    await hub.request_handover("conv-1", "customer_request", context)
    await hub.lifecycle.accept("conv-1", ada)
    assert await last_said(hub) == SAID[bot]["joined"]
    await hub.lifecycle.close("conv-1", ada, reason=WrapUp.RESOLVED)
    assert await last_said(hub) == SAID[bot]["closed"]

    await hub.customer_message("conv-1", "ok")  # back with the bot, in its language
    assert hub.rasa.languages == [bot]


@pytest.mark.parametrize("slot", [None, "de", 3])
async def test_without_a_bot_language_the_widgets_stays(hub: Hub, slot: object) -> None:
    ada = await agent(hub)
    await hub.customer_joined("conv-1", language="fr")
    context = {"skill": "billing", "language": "en", "slots": {"language": slot}}
    await hub.request_handover("conv-1", "customer_request", context)
    await hub.lifecycle.accept("conv-1", ada)
    assert await last_said(hub) == SAID["fr"]["joined"]
