"""The event bus: subscribers by event class, in order; and a newcomer (reporting, say) that
subscribes to the hub's bus hears one event per transition of a whole journey."""

from __future__ import annotations

from datetime import datetime, timezone

from handover.lifecycle import (
    ConversationClosed,
    ConversationEnded,
    ConversationEvent,
    ConversationExpired,
    ConversationQueued,
    EventBus,
    Outcome,
    State,
    WrapUp,
)
from handover.service import Hub
from tests.handover.hubs import agent, queued

AT = datetime(2026, 12, 1, 9, 0, tzinfo=timezone.utc)


def closing(kind: type[ConversationClosed]) -> ConversationClosed:
    return kind(conversation_id="c1", episode=1, at=AT, outcome=Outcome.TICKET, was=State.QUEUED)


async def test_a_subscriber_hears_its_class_and_subclasses_in_subscription_order() -> None:
    bus, heard = EventBus(), []

    async def listen(event: ConversationEvent, name: str) -> None:
        heard.append((name, type(event).__name__))

    bus.subscribe(ConversationClosed, lambda e: listen(e, "closes"))
    bus.subscribe(ConversationEnded, lambda e: listen(e, "ends"))
    bus.subscribe(ConversationEvent, lambda e: listen(e, "all"))
    for kind in (ConversationExpired, ConversationEnded):
        await bus.publish(closing(kind))
    await bus.publish(
        ConversationQueued(conversation_id="c1", episode=1, at=AT, reason="r", skill="billing",
                           vulnerable=False, summary=None)
    )  # fmt: skip

    assert heard == [
        ("closes", "ConversationExpired"), ("all", "ConversationExpired"),
        ("closes", "ConversationEnded"), ("ends", "ConversationEnded"),
        ("all", "ConversationEnded"), ("all", "ConversationQueued"),
    ]  # fmt: skip


async def test_a_late_subscriber_hears_every_transition_of_a_journey_once(hub: Hub) -> None:
    journal: list[tuple[str, int]] = []

    async def report(event: ConversationEvent) -> None:
        journal.append((type(event).__name__.removeprefix("Conversation"), event.episode))

    hub.bus.subscribe(ConversationEvent, report)  # as a reporting module would, at start-up
    ada = await agent(hub)
    await hub.customer_message("conv-1", "hello")
    await queued(hub)
    await hub.lifecycle.accept("conv-1", ada)
    await hub.transfer("conv-1", ada, to_agent=None, to_skill="network")
    await hub.lifecycle.accept("conv-1", ada)
    await hub.lifecycle.hand_back("conv-1", ada)  # Rasa does not answer: the gateway says it
    await queued(hub)
    await hub.lifecycle.accept("conv-1", ada)
    await hub.lifecycle.close("conv-1", ada, reason=WrapUp.RESOLVED)
    await hub.lifecycle.rate("conv-1", 5)
    await hub.customer_message("conv-1", "and another thing")
    await hub.end_chat("conv-1")

    assert journal == [
        ("Started", 1), ("Queued", 1), ("Assigned", 1), ("Transferred", 1), ("Assigned", 1),
        ("HandedBack", 1), ("Queued", 1), ("Assigned", 1), ("Closed", 1), ("Rated", 1),
        ("Reopened", 2), ("Ended", 2),
    ]  # fmt: skip
