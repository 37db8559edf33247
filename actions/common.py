"""Pieces every action uses: the back-end clients, offers of a person, failure replies."""

from __future__ import annotations

import asyncio
import logging
from enum import Enum
from typing import Any
from weakref import WeakKeyDictionary

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from connectors import Backends, build_backends
from connectors.errors import ConnectorError
from connectors.settings import ConnectorSettings

logger = logging.getLogger(__name__)


class HandoverReason(str, Enum):
    """Why the conversation is passed to a person; the handover service routes on it."""

    CUSTOMER_REQUEST = "customer_request"
    REPEATED_FALLBACK = "repeated_fallback"
    OUT_OF_SCOPE = "out_of_scope"
    FAILED_VERIFICATION = "failed_verification"
    BACKEND_FAILURE = "backend_failure"
    ORDER_NOT_FOUND = "order_not_found"
    SENSITIVE_TOPIC = "sensitive_topic"


# httpx pools connections on the loop that opened them: one set of clients per event loop.
# The action server runs one loop per worker process; tests may start one loop per test.
_clients: WeakKeyDictionary[asyncio.AbstractEventLoop, Backends] = WeakKeyDictionary()


def backends() -> Backends:
    """The running loop's clients of every back-end system, built from the environment once."""
    loop = asyncio.get_running_loop()
    clients = _clients.get(loop)
    if clients is None:
        clients = _clients[loop] = build_backends(ConnectorSettings())
    return clients


async def close_backends() -> None:
    """Close the running loop's clients, if it built any (the action server, as it stops)."""
    clients = _clients.pop(asyncio.get_running_loop(), None)
    if clients is not None:
        await clients.aclose()


def offer_human(dispatcher: CollectingDispatcher, reason: HandoverReason) -> list[EventType]:
    """Offer a person; a later "yes" hands over with this reason."""
    dispatcher.utter_message(response="utter_offer_human")
    return [SlotSet("pending_offer", "human"), SlotSet("handover_reason", reason.value)]


def backend_failure(dispatcher: CollectingDispatcher, error: ConnectorError) -> list[EventType]:
    """Apologise for a back-end that failed and offer a person instead."""
    logger.warning("back-end failure: %s", error)
    # Each system's apology names it, in each language.
    match error.system:
        case "crm":
            dispatcher.utter_message(response="utter_backend_error_crm")
        case "billing":
            dispatcher.utter_message(response="utter_backend_error_billing")
        case "orders":
            dispatcher.utter_message(response="utter_backend_error_orders")
        case "network":
            dispatcher.utter_message(response="utter_backend_error_network")
        case "identity":
            dispatcher.utter_message(response="utter_backend_error_identity")
        case _:
            dispatcher.utter_message(response="utter_backend_error")
    return offer_human(dispatcher, HandoverReason.BACKEND_FAILURE)


def failure_slots(dispatcher: CollectingDispatcher, error: ConnectorError) -> dict[str, Any]:
    """`backend_failure` for form validations: slot values that also cut the form short."""
    events = backend_failure(dispatcher, error)
    return {**{e["name"]: e["value"] for e in events}, "task_failed": True}


def is_verified(tracker: Tracker) -> bool:
    """Whether this conversation's customer has proved who they are."""
    return bool(tracker.get_slot("verified")) and bool(tracker.get_slot("customer_id"))


def locked_out(dispatcher: CollectingDispatcher) -> list[EventType]:
    """Say verification is locked for this conversation and offer a person."""
    dispatcher.utter_message(response="utter_verification_locked")
    return offer_human(dispatcher, HandoverReason.FAILED_VERIFICATION)


def unverified_reply(dispatcher: CollectingDispatcher, tracker: Tracker) -> list[EventType]:
    """What a task that needs a verified customer says when verification did not succeed.

    A locked verification is explained here; a form cut short by a back-end failure was
    already explained by its validation, which set `task_failed`.
    """
    if tracker.get_slot("verification_locked"):
        return locked_out(dispatcher)
    return [SlotSet("task_failed", False)]
