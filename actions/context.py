"""The context packet an agent gets with a handover: who, what, why, and the whole story.

Reason, summary and priority are read from the whole conversation (the tracker's events), not
from its last message: a customer who complained, or got a ticket because nobody was online,
and later asks for a person is still that customer.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any

from rasa_sdk import Tracker

from actions.common import HandoverReason, backends, is_verified
from actions.conversation import FALLBACK_INTENT
from actions.formatting import DEFAULT_LANGUAGE
from actions.transcript import REDACTED, is_typed, readable, timestamp
from connectors.errors import ConnectorError
from privacy.events import redact_events
from privacy.redaction import redact

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
COMPLAINT_INTENT = "complain"
# The responses that announce a CRM ticket (their `ticket_id` is in the bot event's metadata,
# where Rasa keeps the values an action filled a response with), and what each ticket is.
TICKETS = {
    "utter_handover_ticket": "passed to the support team when nobody could take the chat",
    "utter_fault_ticket_opened": "fault report for an engineer",
}
# Anger or frustration in words the NLU did not classify as a complaint ("I'm really angry,
# you charged me twice" reads as a billing question), on accent-folded lower-case text. Not
# "scam" or "arnaque": customers ask whether a message they got is one.
UPSET = re.compile(
    r"\b(?:angry|annoyed|furious|livid|fuming|outraged|fed up|sick (?:and tired )?of"
    r"|frustrat\w*|ridiculous|unacceptable|disgrace\w*|disgust\w*|appalling|outrageous"
    r"|shocking|pathetic|useless|terrible|awful|worst|shambles|incompetent|not happy|unhappy"
    r"|rip[- ]?off|ripped off|complain\w*"
    r"|en colere|furieu(?:x|se)|enerve\w*|agace\w*|exaspere\w*|excede\w*|marre|ras[- ]le[- ]bol"
    r"|inadmissible|inacceptable|scandal\w*|honteu(?:x|se)|(?:une|quelle) honte|lamentable"
    r"|insupportable|plainte|reclamation|pas contente?|mecontente?)\b"
)
QUOTE_CHARS = 80  # of each of the customer's messages quoted in a summary
QUOTES = 2  # messages quoted for each point; the transcript has the rest
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


@dataclass
class Story:
    """What the whole conversation tells the person taking over, read from its events.

    Texts are the customer's messages as the transcript shows them (personal data redacted,
    answers to secret questions replaced whole).
    """

    events: list[dict[str, Any]]  # the tracker's events, redacted
    topics: list[str] = field(default_factory=list)  # business intents, first asked first
    complaints: list[str] = field(default_factory=list)  # messages the NLU read as complaints
    upset: list[str] = field(default_factory=list)  # other messages in angry words
    tickets: list[tuple[str, str]] = field(default_factory=list)  # (ticket id, response)
    # The messages not understood in a row before the latest offer of a person for that.
    missed: list[str] = field(default_factory=list)

    @property
    def sensitive(self) -> bool:
        return bool(self.complaints or self.upset)


def intent_of(event: dict[str, Any]) -> tuple[str | None, float]:
    """The intent the NLU gave a user event, and its confidence."""
    intent = (event.get("parse_data") or {}).get("intent") or {}
    return intent.get("name"), float(intent.get("confidence") or 0)


def folded(text: str) -> str:
    """Lower case without accents, for matching words in either language."""
    text = unicodedata.normalize("NFKD", text.replace("\u2019", "'"))
    return "".join(ch for ch in text if not unicodedata.combining(ch)).lower()


def read_story(tracker: Tracker) -> Story:
    """Topics, complaints, angry words, tickets and misunderstood messages, in order."""
    story = Story(redact_events(tracker.events))
    run: list[str] = []  # the latest messages not understood, in a row
    for event in story.events:
        kind = event.get("event")
        if kind == "slot" and event.get("name") == "handover_reason":
            if event.get("value") == HandoverReason.REPEATED_FALLBACK.value:
                story.missed = list(run)
        elif kind == "bot":
            metadata = event.get("metadata") or {}
            name, ticket = metadata.get("utter_action"), metadata.get("ticket_id")
            if name in TICKETS and isinstance(ticket, str) and ticket:
                story.tickets.append((ticket, name))
        elif kind == "user" and event.get("text") and is_typed(event):
            text, (intent, _) = event["text"], intent_of(event)
            if intent == COMPLAINT_INTENT:
                story.complaints.append(text)
            elif UPSET.search(folded(text)):
                story.upset.append(text)
            if intent in SKILLS and intent not in story.topics:
                story.topics.append(intent)
            run = [*run, text] if intent == FALLBACK_INTENT else []
    return story


def offer_taken(tracker: Tracker) -> HandoverReason | None:
    """Why a person was offered, when the customer is now taking that offer."""
    if tracker.get_slot("pending_offer") != "human":
        return None
    try:
        return HandoverReason(tracker.get_slot("handover_reason"))
    except ValueError:
        return None


def handover_reason(tracker: Tracker, story: Story) -> HandoverReason:
    """A complaint anywhere in the chat first; else the reason of the offer being taken; else
    the customer's request.

    Two messages not understood lead to an offer of a person: taking it is asking for one
    (often in the words that were not understood), so the reason is the customer's request.
    """
    if story.complaints:
        return HandoverReason.SENSITIVE_TOPIC
    offered = offer_taken(tracker)
    if offered is None or offered == HandoverReason.REPEATED_FALLBACK:
        return HandoverReason.CUSTOMER_REQUEST
    return offered


def turns(story: Story) -> list[dict[str, Any]]:
    """Each customer message with the intent and confidence the NLU gave that same message
    (a quick reply's payload, `/affirm`, with the intent it carries)."""
    out = []
    for event in readable(story.events):
        if event["event"] != "user":
            continue
        intent, confidence = intent_of(event)
        out.append(
            {
                "text": event["text"],
                "timestamp": timestamp(event),
                "intent": intent,
                "confidence": round(confidence, 4),
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


def shortened(text: str) -> str:
    """`text`, cut after a whole word if longer than QUOTE_CHARS."""
    if len(text) <= QUOTE_CHARS:
        return text
    head = text[: QUOTE_CHARS - 1]
    if not text[QUOTE_CHARS - 1].isspace() and " " in head:
        head = head.rsplit(" ", 1)[0]  # not half a word (nor half a "[date of birth]")
    return head.rstrip() + "…"


def quoted(texts: list[str]) -> str:
    """The first messages of `texts` in quotes, each cut short; how many more there are."""
    out = "; ".join(f'"{shortened(text)}"' for text in texts[:QUOTES])
    return out + (f" (and {len(texts) - QUOTES} more)" if len(texts) > QUOTES else "")


def summary(
    who: str, business: str | None, reason: HandoverReason, story: Story, *, fallback: bool
) -> list[str]:
    """The sentences of the summary: the task and the reason, then what the chat showed."""
    topic = TOPICS.get(business or "", "something the assistant could not handle")
    sentences = [f"{who} needs help with {topic}; {REASONS[reason]}."]
    others = [TOPICS[name] for name in story.topics if name != business]
    if others:
        sentences.append(f"Also asked about {' and '.join(others)}.")
    if story.complaints:
        sentences.append(f"Complained: {quoted(story.complaints)}.")
    if story.upset:
        sentences.append(f"Sounded upset: {quoted(story.upset)}.")
    if story.tickets:
        tickets = "; ".join(f"ticket {ticket} ({TICKETS[name]})" for ticket, name in story.tickets)
        sentences.append(f"Earlier in this chat: {tickets}.")
    if fallback and story.missed:
        sentences.append(f"Not understood before the offer of a person: {quoted(story.missed)}.")
    return sentences


async def profile(tracker: Tracker) -> dict[str, Any] | None:
    """The CRM record of a verified customer, as the agent should see it."""
    if not is_verified(tracker):
        return None
    try:
        customer = await backends().crm.get_customer(tracker.get_slot("customer_id"))
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


async def context_packet(tracker: Tracker, reason: HandoverReason, story: Story) -> dict[str, Any]:
    """Everything the person taking over needs, without the customer's secrets."""
    business = last_business_intent(tracker)
    customer = await profile(tracker)
    who = (customer or {}).get("name") or "Unverified customer"
    # The language the customer is chatting in; else the one their record gives.
    language = tracker.get_slot("language") or (customer or {}).get("language") or DEFAULT_LANGUAGE
    fallback = offer_taken(tracker) == HandoverReason.REPEATED_FALLBACK
    text = " ".join(summary(who, business, reason, story, fallback=fallback))
    # Quotes are already redacted (in English); the whole goes through the chat's language too,
    # whose tokenizer splits words differently (French elisions) around the same recognizers.
    for each in dict.fromkeys(("en", language)):
        text = redact(text, each)
    sensitive = reason == HandoverReason.SENSITIVE_TOPIC or story.sensitive
    return {
        "skill": SKILLS.get(business or "", "general"),
        "priority": "high" if sensitive else "normal",
        "vulnerable": bool((customer or {}).get("vulnerable")),
        "language": language,
        "summary": text,
        "turns": turns(story),
        "tickets": [ticket for ticket, _ in story.tickets],
        "slots": {name: tracker.get_slot(name) for name in SHARED_SLOTS},
        "profile": customer,
        "redaction": f"answers to secret questions appear as {REDACTED}",
    }
