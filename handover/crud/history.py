"""A customer's past contacts in the gateway's database: their other conversations, each with
its episodes, and the tickets the gateway opened for conversations.

Conversations are linked by the verified `customer_id` column only (the bot's identity check
or the host site's signed id): linking by anything a customer merely typed (a name, an e-mail,
an account number before its check) would show one customer's history to another.
"""

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from handover.models import Conversation, Episode, Ticket

MAX_PAST_CONVERSATIONS = 20


@dataclass(frozen=True)
class PastContact:
    """One episode of a past conversation: how it ended, who had it, the customer's rating."""

    number: int
    outcome: str | None
    agent: str | None
    reason: str | None  # the agent's wrap-up reason
    satisfaction: int | None
    ended_at: datetime | None


@dataclass(frozen=True)
class PastConversation:
    """Another conversation of the same customer, with its contacts (the first first)."""

    conversation_id: str
    started_at: datetime
    last_at: datetime
    state: str
    reason: str | None
    summary: str | None
    language: str | None
    contacts: list[PastContact]


@dataclass(frozen=True)
class TicketRecord:
    """A ticket the gateway opened for a conversation (the reference is the CRM's)."""

    reference: str
    reason: str | None
    created_at: datetime
    conversation_id: str


def list_past_conversations(
    session: Session, *, customer_id: str, besides: str, limit: int = MAX_PAST_CONVERSATIONS
) -> list[PastConversation]:
    """The customer's conversations but `besides`, the latest active first, at most `limit`.

    Only conversations in which the customer wrote count (a widget opened and left silent has
    no episode); a conversation's latest activity is its latest episode's end or start.
    """
    if not customer_id:
        raise ValueError("a customer id is required")
    spans = (
        select(
            Episode.conversation_id,
            func.min(Episode.started_at).label("started_at"),
            func.max(func.coalesce(Episode.ended_at, Episode.started_at)).label("last_at"),
        )
        .group_by(Episode.conversation_id)
        .subquery()
    )
    query = (
        select(Conversation, spans.c.started_at, spans.c.last_at)
        .join(spans, spans.c.conversation_id == Conversation.id)
        .where(Conversation.customer_id == customer_id, Conversation.id != besides)
        .order_by(spans.c.last_at.desc(), Conversation.id)
        .limit(limit)
    )
    found = session.execute(query).all()
    contacts = _contacts(session, [row.Conversation.id for row in found])
    return [
        PastConversation(
            conversation_id=row.Conversation.id,
            started_at=row.started_at,
            last_at=row.last_at,
            state=row.Conversation.state,
            reason=row.Conversation.reason,
            summary=row.Conversation.summary,
            language=row.Conversation.language,
            contacts=contacts.get(row.Conversation.id, []),
        )
        for row in found
    ]


def _contacts(session: Session, conversation_ids: list[str]) -> dict[str, list[PastContact]]:
    if not conversation_ids:
        return {}
    query = (
        select(Episode)
        .where(Episode.conversation_id.in_(conversation_ids))
        .order_by(Episode.conversation_id, Episode.number)
    )
    contacts: dict[str, list[PastContact]] = {}
    for episode in session.execute(query).scalars():
        contacts.setdefault(episode.conversation_id, []).append(
            PastContact(
                number=episode.number,
                outcome=episode.outcome,
                agent=episode.agent_username,
                reason=episode.wrap_up,
                satisfaction=episode.satisfaction,
                ended_at=episode.ended_at,
            )
        )
    return contacts


def list_conversation_tickets(
    session: Session, *, conversation_ids: Collection[str]
) -> list[TicketRecord]:
    """The tickets the gateway opened for these conversations, the newest first."""
    if not conversation_ids:
        return []
    query = (
        select(Ticket)
        .where(Ticket.conversation_id.in_(list(conversation_ids)))
        .order_by(Ticket.created_at.desc(), Ticket.id.desc())
    )
    return [
        TicketRecord(
            reference=ticket.reference,
            reason=ticket.reason,
            created_at=ticket.created_at,
            conversation_id=ticket.conversation_id,
        )
        for ticket in session.execute(query).scalars()
    ]


@dataclass(frozen=True)
class GatewayHistory:
    """What the gateway holds around one conversation: its customer, if verified, their other
    conversations, and the tickets the gateway opened for those and for this one."""

    customer_id: str | None
    language: str | None
    conversations: list[PastConversation]
    tickets: list[TicketRecord]


def gateway_history(session: Session, *, conversation_id: str) -> GatewayHistory | None:
    """The conversation's history in one read; None if the conversation does not exist.

    Without a verified customer id there are no other conversations: only this one's tickets.
    """
    conversation = session.get(Conversation, conversation_id)
    if conversation is None:
        return None
    customer_id = conversation.customer_id or None
    past = (
        list_past_conversations(session, customer_id=customer_id, besides=conversation_id)
        if customer_id
        else []
    )
    ids = [conversation_id, *(other.conversation_id for other in past)]
    return GatewayHistory(
        customer_id=customer_id,
        language=conversation.language,
        conversations=past,
        tickets=list_conversation_tickets(session, conversation_ids=ids),
    )
