"""The context packet an agent gets with a handover: who, what, why, and the whole story."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker

from actions.common import HandoverReason, backends, is_verified
from actions.formatting import DEFAULT_LANGUAGE
from actions.transcript import REDACTED, transcript
from connectors.errors import ConnectorError

SKILLS = {
    "check_bill_balance": "billing",
    "check_outage": "network",
    "track_order": "orders",
    "reset_password": "accounts",
}
TOPICS = {
    "check_bill_balance": "their bill",
    "check_outage": "a network problem",
    "track_order": "an order",
    "reset_password": "their password",
}
REASONS = {
    HandoverReason.CUSTOMER_REQUEST: "asked for a person",
    HandoverReason.REPEATED_FALLBACK: "the assistant did not understand twice",
    HandoverReason.OUT_OF_SCOPE: "the request is outside what the assistant does",
    HandoverReason.FAILED_VERIFICATION: "identity verification failed three times",
    HandoverReason.BACKEND_FAILURE: "a back-end system failed",
    HandoverReason.ORDER_NOT_FOUND: "the order could not be found",
    HandoverReason.SENSITIVE_TOPIC: "a complaint or an upset customer",
}
# Slots an agent needs; secrets (date of birth, one-time code) never leave the tracker.
# `language` is read by the gateway (`handover.rasa.bot_language`) to follow a customer who
# switched language during the chat.
SHARED_SLOTS = [
    "language",
    "verified",
    "customer_id",
    "account_number",
    "verification_failures",
    "verification_locked",
    "order_number",
    "postcode",
]


def turns(tracker: Tracker) -> list[dict[str, Any]]:
    """Each customer message with the intent and confidence the NLU gave it."""
    lines = [line for line in transcript(tracker) if line["sender"] == "user"]
    events = [e for e in tracker.events if e.get("event") == "user" and e.get("text")]
    out = []
    for line, event in zip(lines, events, strict=False):
        intent = (event.get("parse_data") or {}).get("intent") or {}
        out.append(
            {
                "text": line["text"],
                "timestamp": line["timestamp"],
                "intent": intent.get("name"),
                "confidence": round(float(intent.get("confidence") or 0), 4),
            }
        )
    return out


def last_business_intent(tracker: Tracker) -> str | None:
    """The latest task the customer asked for, which decides the agents' skill."""
    for event in reversed(tracker.events):
        name = ((event.get("parse_data") or {}).get("intent") or {}).get("name")
        if event.get("event") == "user" and name in SKILLS:
            return name
    return None


def profile(tracker: Tracker) -> dict[str, Any] | None:
    """The CRM record of a verified customer, as the agent should see it."""
    if not is_verified(tracker):
        return None
    try:
        customer = backends().crm.get_customer(tracker.get_slot("customer_id"))
    except ConnectorError:
        return {"customer_id": tracker.get_slot("customer_id"), "unavailable": True}
    return {
        "customer_id": customer.customer_id,
        "name": customer.full_name,
        "email": customer.email,
        "phone": customer.phone,
        "segment": customer.segment,
        "vulnerable": customer.vulnerable,
        "accounts": customer.accounts,
        "language": customer.language,
        "postcode": customer.service_address.postcode,
    }


def context_packet(tracker: Tracker, reason: HandoverReason) -> dict[str, Any]:
    """Everything the person taking over needs, without the customer's secrets."""
    business = last_business_intent(tracker)
    customer = profile(tracker)
    who = (customer or {}).get("name") or "Unverified customer"
    topic = TOPICS.get(business or "", "something the assistant could not handle")
    slots = {name: tracker.get_slot(name) for name in SHARED_SLOTS}
    return {
        "skill": SKILLS.get(business or "", "general"),
        "priority": "high" if reason == HandoverReason.SENSITIVE_TOPIC else "normal",
        "vulnerable": bool((customer or {}).get("vulnerable")),
        # The language the customer is chatting in; else the one their record gives.
        "language": tracker.get_slot("language")
        or (customer or {}).get("language")
        or DEFAULT_LANGUAGE,
        "summary": f"{who} needs help with {topic}; {REASONS[reason]}.",
        "turns": turns(tracker),
        "slots": slots,
        "profile": customer,
        "redaction": f"answers to secret questions appear as {REDACTED}",
    }
