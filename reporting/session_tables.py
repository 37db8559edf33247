"""The bot's facts in the gateway's database: one row per Rasa session, its misunderstood texts.

`reporting.session_facts` fills them from `rasa_events` (which may live in another database)
and the bot's KPIs read them, so a report never walks Rasa's raw events. They sit beside
`conversation_events` so that a session is joined to the gateway's contacts in SQL.

Declared on the gateway's metadata (`handover.models.Base`): migration 0008 creates them,
and the gateway's tests and schema checks see them with the other tables (`handover.models`
imports this module at its end). The watermark is the `session_facts` row of
`fact_watermarks` (`handover.models_reporting`). Each row holds a
customer's id or words (redacted): erasure and retention delete them (`session_facts`).
"""

from __future__ import annotations

from sqlalchemy import Boolean, Column, Float, Index, Integer, String, Table, Text, or_
from sqlalchemy.sql.elements import ColumnElement

from handover.models import Base
from reporting.nlu_misses import MISUNDERSTOOD

# Stored sizes; longer values (never seen: intents, channels and ids are short) are cut.
SENDER, CHANNEL, LANGUAGE, CUSTOMER, REQUEST = 255, 64, 16, 255, 128
SOURCE, INTENT = 16, 128
# Seconds in a quarter hour: local hours and days begin on one in every zone in use.
QUARTER = 900

# Times are epoch seconds (floats), as in `rasa_events`: a report reads a month's rows, and
# no date parsing per row keeps that well under a second on SQLite.
SESSION_FACTS = Table(
    "session_facts",
    Base.metadata,
    Column("id", Integer, primary_key=True),
    Column("sender_id", String(SENDER), nullable=False),
    Column("started", Float, nullable=False),  # the session's first event
    Column("quarter", Integer, nullable=False),  # started // QUARTER: series group by it
    Column("first_message", Float, nullable=False),  # the customer's first message
    Column("ended", Float, nullable=False),  # its last event
    Column("channel", String(CHANNEL)),
    Column("language", String(LANGUAGE)),
    Column("customer_id", String(CUSTOMER)),
    Column("first_request", String(REQUEST)),
    Column("requests", Text, nullable=False),  # every request, space-separated, in order
    Column("user_messages", Integer, nullable=False),
    Column("fallbacks", Integer, nullable=False),
    Column("asked_for_person", Boolean, nullable=False),
    Column("bot_ticket", Boolean, nullable=False),
    Column("verified", Boolean, nullable=False),
    Column("unanswered", Boolean, nullable=False),
    # From the gateway's rows (`reporting.session_links`): a `queued` row of the conversation
    # within [started, ended], and whether that contact's queue expired.
    Column("gateway_queued", Boolean, nullable=False),
    Column("gateway_expired", Boolean, nullable=False),
    # When the conversation, the customer, or the customer on the same first request next
    # started a session after this one ended (None: not yet).
    Column("next_by_sender", Float),
    Column("next_by_customer", Float),
    Column("next_same_request", Float),
    # A period's sessions; a conversation's or a customer's next session (repeat contacts).
    Index("ix_session_facts_started", "started"),
    Index("ix_session_facts_sender_id_started", "sender_id", "started"),
    Index("ix_session_facts_customer_id_started", "customer_id", "started"),
    Index("ix_session_facts_customer_id_request", "customer_id", "first_request", "started"),
)

MISUNDERSTOOD_TEXTS = Table(
    "misunderstood_texts",
    Base.metadata,
    Column("id", Integer, primary_key=True),
    Column("sender_id", String(SENDER), nullable=False),
    Column("started", Float, nullable=False),  # its session's, which it is counted with
    Column("at", Float, nullable=False),
    Column("channel", String(CHANNEL)),
    Column("language", String(LANGUAGE)),
    Column("text", Text, nullable=False),  # redacted
    Column("folded", Text, nullable=False),  # bot_facts.normalised(text): its group
    # Why it is here, and what the NLU made of it (`reporting.nlu_misses`; migration 0011).
    # Rows folded before 0011 have none of the three: fallbacks and out-of-scope messages alike,
    # the inbox counts them as fallbacks.
    Column("source", String(SOURCE)),
    Column("intent", String(INTENT)),
    Column("confidence", Float),
    Index("ix_misunderstood_texts_started", "started"),
    Index("ix_misunderstood_texts_sender_id", "sender_id"),
)

TABLES = (SESSION_FACTS, MISUNDERSTOOD_TEXTS)


def misunderstood_only() -> ColumnElement[bool]:
    """The rows of messages the NLU could not place (`reporting.nlu_misses.MISUNDERSTOOD`),
    those folded before their source was kept included: the others are its doubtful guesses,
    for the trainer's inbox only."""
    source = MISUNDERSTOOD_TEXTS.c.source
    return or_(source.is_(None), source.in_(MISUNDERSTOOD))
