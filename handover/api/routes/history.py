"""A customer's past contacts, beside the conversation an agent reads: their other
conversations in the gateway's database and their tickets, the CRM's and the gateway's.

Whoever may read the conversation may read its history (`Readable`: the agent it is assigned
to, agents serving the skill it is queued for, the agent who closed it, supervisors and
admins). The customer is known by the conversation's verified `customer_id` only (the bot's
identity check, or the host site's signed id); an unverified conversation gets no history:
linking by a name, an e-mail or an account number typed in the chat would show one customer's
history to another. The CRM may be slow or down: its tickets are then missing ("crm":
"unavailable") and the gateway's part is answered all the same.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import asdict
from datetime import datetime, timezone
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, HTTPException, Request, status
from pydantic import BaseModel

from connectors.crm import SyncCrmClient as CrmClient
from connectors.errors import ConnectorError
from handover import crud
from handover.api.deps import CleanJsonBody, ConversationId, HubDep
from handover.api.responses import AUTHENTICATED, FORBIDDEN, NOT_FOUND
from handover.api.routes.conversations import Readable
from handover.crud.history import TicketRecord
from privacy.redaction import redact

logger = logging.getLogger(__name__)
router = APIRouter(
    prefix="/api", tags=["history"], dependencies=[CleanJsonBody], responses=AUTHENTICATED
)
MAX_TICKETS = 20


class PastContact(BaseModel):
    """One contact of a past conversation: how it ended, the agent, their wrap-up reason."""

    number: int
    outcome: str | None
    agent: str | None
    reason: str | None
    satisfaction: int | None
    ended_at: datetime | None


class PastConversation(BaseModel):
    """Another conversation of the same customer; `reason` and `summary` are its last
    contact's (the summary is stored redacted)."""

    conversation_id: str
    started_at: datetime
    last_at: datetime
    state: str
    reason: str | None
    summary: str | None
    language: str | None
    contacts: list[PastContact]


class TicketSummary(BaseModel):
    """A ticket of the customer, without its description or transcript. From the CRM
    (subject and reason redacted), or recorded by the gateway alone when the CRM did not
    list it (then only the reference, the reason and the date are known)."""

    ticket_id: str
    subject: str | None
    status: str | None
    reason: str | None
    priority: str | None
    created_at: datetime
    conversation_id: str | None  # the gateway's conversation it was opened for, if recorded
    source: Literal["crm", "gateway"]


class History(BaseModel):
    """The customer's past contacts; "crm" says whether the CRM's tickets are in."""

    customer_id: str | None
    conversations: list[PastConversation]
    tickets: list[TicketSummary]
    crm: Literal["ok", "unavailable", "not_verified"]


def get_crm(request: Request) -> CrmClient | None:
    """The gateway's CRM client (built in `create_app`); None where none is configured."""
    return getattr(request.app.state, "crm", None)


CrmDep = Annotated[CrmClient | None, Depends(get_crm)]


def _utc(value: datetime) -> datetime:
    # The CRM's contract does not say whether its times carry an offset: naive ones are UTC.
    return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value


def _crm_tickets(crm: CrmClient, customer_id: str, language: str) -> list[TicketSummary]:
    """The CRM's tickets of the customer. People and other systems write in the CRM too, so
    what is shown of their text is redacted here (the gateway's own tickets are already)."""
    return [
        TicketSummary(
            ticket_id=ticket.ticket_id,
            subject=redact(ticket.subject, language),
            status=ticket.status,
            reason=redact(ticket.reason, language),
            priority=ticket.priority,
            created_at=_utc(ticket.created_at),
            conversation_id=None,
            source="crm",
        )
        for ticket in crm.list_tickets(customer_id)
    ]


def _merged(listed: list[TicketSummary], recorded: list[TicketRecord]) -> list[TicketSummary]:
    """The CRM's tickets and those the gateway recorded, once each, the newest first."""
    by_id = {ticket.ticket_id: ticket for ticket in listed}
    for record in recorded:
        known = by_id.get(record.reference)
        if known is not None:
            by_id[record.reference] = known.copy(update={"conversation_id": record.conversation_id})
            continue
        by_id[record.reference] = TicketSummary(
            ticket_id=record.reference,
            subject=None,
            status=None,
            reason=record.reason,
            priority=None,
            created_at=record.created_at,
            conversation_id=record.conversation_id,
            source="gateway",
        )
    newest = sorted(by_id.values(), key=lambda ticket: ticket.created_at, reverse=True)
    return newest[:MAX_TICKETS]


@router.get(
    "/conversations/{conversation_id}/history",
    response_model=History,
    responses={403: FORBIDDEN, 404: NOT_FOUND},
)
async def history(
    conversation_id: ConversationId, _: Readable, hub: HubDep, crm: CrmDep
) -> History:
    """The customer's other conversations (the latest first, at most 20, each with its
    contacts) and their tickets (the newest first, at most 20): the CRM's and those the gateway
    opened for these conversations and this one. An unverified customer has none but this
    conversation's ("crm": "not_verified"); a CRM that fails or times out leaves its tickets
    out ("crm": "unavailable")."""
    found = await hub.db(crud.gateway_history, conversation_id=conversation_id)
    if found is None:  # erased between the check and this read
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail="no such conversation")
    conversations = [PastConversation(**asdict(past)) for past in found.conversations]
    listed: list[TicketSummary] = []
    crm_status: Literal["ok", "unavailable", "not_verified"] = "not_verified"
    if found.customer_id is not None:
        crm_status = "unavailable"
        if crm is not None:
            try:
                language = found.language or "en"
                listed = await asyncio.to_thread(_crm_tickets, crm, found.customer_id, language)
                crm_status = "ok"
            except ConnectorError as error:
                # The error's text holds the URL and its customer id: the kind is enough here.
                logger.warning("CRM tickets unavailable: %s", type(error).__name__)
    return History(
        customer_id=found.customer_id,
        conversations=conversations,
        tickets=_merged(listed, found.tickets),
        crm=crm_status,
    )
