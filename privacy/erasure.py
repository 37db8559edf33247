"""Erase and export everything held about one customer, in one call each.

A customer is named by CRM customer id or by account number. Their conversations are those the
gateway linked to the customer id (handovers) and those whose Rasa tracker set the
`customer_id` slot (verified) or the `account_number` slot to one of their accounts. Stores:

- `gateway_database`: conversations, messages, handovers, ticket records, agents' notes
  and labels on them, agents' flags on their messages for the trainer (`message_flags`), the
  model each was given in a canary (`model_assignments`), and their lifecycle events recorded
  for reports (`conversation_events`, which also find conversations by the customer id they
  carry) with their rollup (`contact_facts`, also searched by customer id), and the bot's
  sessions rolled up for reports (`session_facts` with their misunderstood texts, also
  searched by customer id);
- `tracker_store`: Rasa's tracker events of those conversations;
- `rasa_events`: the same events as Rasa published them for reports (`reporting.broker_table`;
  exported too, as they are a copy held apart);
- `state_store`: queue and agent entries (queued or assigned conversations are closed);
- `crm_tickets`: the CRM's tickets of the customer, and those the gateway opened for them.

The CRM's customer record itself stays: it is the system of record of the contract.
Erasure can be run again: a store that failed keeps what links it (ticket references).
"""

from __future__ import annotations

import asyncio
import json
import re
from contextlib import suppress
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import inspect, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from connectors.crm import SyncCrmClient
from connectors.errors import ConnectorError, NotFound
from handover.db import session_scope
from handover.models import (
    Conversation,
    ConversationLabel,
    ConversationNote,
    Episode,
    Handover,
    Message,
    RecordedEvent,
    Ticket,
    utcnow,
)
from handover.models_reporting import ContactFact
from handover.state import Owner, StateStore
from privacy import trackers
from privacy.retention import delete_conversations
from reporting import broker_table, session_facts
from trainer.flags import flags_of

ACCOUNT_NUMBER = re.compile(r"3\d{7}")
CUSTOMER_ID = re.compile(r"[A-Za-z0-9_.:-]{1,64}")


@dataclass(frozen=True)
class PrivacyStores:
    """Every store that may hold a customer's data; None where this process has no access."""

    sessions: sessionmaker
    tracker_store: Engine | None = None
    state: StateStore | None = None
    crm: SyncCrmClient | None = None
    rasa_events: Engine | None = None


@dataclass
class Subject:
    """Whose data: the customer, their accounts, and the conversations found for them."""

    customer_id: str | None
    accounts: list[str]
    conversations: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def check_identifier(*, customer_id: str | None, account: str | None) -> None:
    """Raise `ValueError` unless exactly one well-formed identifier is given."""
    if (customer_id is None) == (account is None):
        raise ValueError("give exactly one of customer_id and account")
    if account is not None and not ACCOUNT_NUMBER.fullmatch(account):
        raise ValueError("an account number has 8 digits and starts with 3")
    if customer_id is not None and not CUSTOMER_ID.fullmatch(customer_id):
        raise ValueError("a customer id is 1-64 letters, digits or _.:-")


def _subject(stores: PrivacyStores, customer_id: str | None, account: str | None) -> Subject:
    """Complete the identifiers with the CRM (account -> customer and back) where it answers."""
    check_identifier(customer_id=customer_id, account=account)
    subject = Subject(customer_id, [account] if account else [])
    if stores.crm is None:
        return subject
    try:
        if customer_id:
            subject.accounts = list(stores.crm.get_customer(customer_id).accounts)
        elif account and (customer := stores.crm.find_by_account(account)) is not None:
            subject.customer_id = customer.customer_id
            subject.accounts = sorted({account, *customer.accounts})
    except NotFound:
        subject.notes.append("the CRM does not know this customer")
    except ConnectorError as error:
        subject.notes.append(
            f"the CRM did not answer ({error.message}); searched by what was given"
        )
    return subject


def _conversations(stores: PrivacyStores, subject: Subject) -> list[str]:
    found: set[str] = set()
    if subject.customer_id:
        with session_scope(stores.sessions) as session:
            query = select(Conversation.id).where(Conversation.customer_id == subject.customer_id)
            found.update(session.execute(query).scalars())
            recorded = select(RecordedEvent.conversation_id).where(
                RecordedEvent.customer_id == subject.customer_id
            )
            found.update(session.execute(recorded.distinct()).scalars())
            facts = select(ContactFact.conversation_id).where(
                ContactFact.customer_id == subject.customer_id
            )
            found.update(session.execute(facts.distinct()).scalars())
            found |= session_facts.senders_of_customer(session, subject.customer_id)
    # Both hold the slots; the reports' copy may outlive a tracker (another store, restored).
    for senders_with_slot, engine in (
        (trackers.senders_with_slot, stores.tracker_store),
        (broker_table.senders_with_slot, stores.rasa_events),
    ):
        if engine is None:
            continue
        if subject.customer_id:
            found |= senders_with_slot(engine, name="customer_id", value=subject.customer_id)
        for account in subject.accounts:
            found |= senders_with_slot(engine, name="account_number", value=account)
    return sorted(found)


def _columns(row: Any) -> dict[str, Any]:
    values = {c.key: getattr(row, c.key) for c in inspect(row).mapper.column_attrs}
    return {k: v.isoformat() if isinstance(v, datetime) else v for k, v in values.items()}


def _gateway_rows(session: Session, ids: list[str]) -> list[dict[str, Any]]:
    exported = []
    for conversation in session.execute(
        select(Conversation).where(Conversation.id.in_(ids))
    ).scalars():
        record = _columns(conversation)
        for table, key in (
            (Episode, "episodes"),
            (Message, "messages"),
            (Handover, "handovers"),
            (Ticket, "tickets"),
            (ConversationNote, "notes"),
            (ConversationLabel, "labels"),
            (RecordedEvent, "events"),
        ):
            query = select(table).where(table.conversation_id == conversation.id).order_by(table.id)
            record[key] = [_columns(row) for row in session.execute(query).scalars()]
        record["message_flags"] = [
            {**asdict(flag), "at": flag.at.isoformat()}
            for flag in flags_of(session, conversation_id=conversation.id)
        ]
        exported.append(record)
    return exported


def _ticket_references(stores: PrivacyStores, ids: list[str]) -> list[str]:
    with session_scope(stores.sessions) as session:
        query = select(Ticket.reference).where(Ticket.conversation_id.in_(ids))
        return list(session.execute(query).scalars())


def _crm_tickets(stores: PrivacyStores, subject: Subject, references: list[str]) -> list[Any]:
    """The customer's tickets in the CRM: by customer id, and by the gateway's references."""
    assert stores.crm is not None
    listed = stores.crm.list_tickets(subject.customer_id) if subject.customer_id else []
    tickets = {ticket.ticket_id: ticket for ticket in listed}
    for reference in references:
        if reference not in tickets:
            try:
                tickets[reference] = stores.crm.get_ticket(reference)
            except NotFound:
                continue
    return list(tickets.values())


async def export(
    stores: PrivacyStores, *, customer_id: str | None = None, account: str | None = None
) -> dict[str, Any]:
    """Everything held about the customer, as JSON-ready data; `ValueError` for bad input."""
    subject = await asyncio.to_thread(_subject, stores, customer_id, account)
    ids = await asyncio.to_thread(_conversations, stores, subject)

    def gateway() -> list[dict[str, Any]]:
        with session_scope(stores.sessions) as session:
            return _gateway_rows(session, ids)

    data: dict[str, Any] = {
        "customer_id": subject.customer_id,
        "accounts": subject.accounts,
        "exported_at": utcnow().isoformat(),
        "conversations": ids,
        "gateway_database": await asyncio.to_thread(gateway),
        "tracker_store": None,
        "rasa_events": None,
        "state_store": None,
        "crm_tickets": None,
        "notes": subject.notes,
    }
    if stores.tracker_store is not None:
        data["tracker_store"] = await asyncio.to_thread(
            trackers.events_of, stores.tracker_store, ids
        )
    if stores.rasa_events is not None:
        data["rasa_events"] = await asyncio.to_thread(
            broker_table.events_of, stores.rasa_events, ids
        )
    if stores.state is not None:
        owners = [await stores.state.get(cid) for cid in ids]
        data["state_store"] = {
            o.conversation_id: {"state": o.state.value, "agent": o.agent, "skill": o.skill}
            for o in owners
            if o.state != Owner.BOT
        }
    if stores.crm is not None:
        references = await asyncio.to_thread(_ticket_references, stores, ids)
        try:
            found = await asyncio.to_thread(_crm_tickets, stores, subject, references)
        except ConnectorError as error:
            data["notes"].append(f"CRM tickets could not be read: {error.message}")
        else:
            data["crm_tickets"] = [json.loads(ticket.json()) for ticket in found]
    return data


async def erase(
    stores: PrivacyStores, *, customer_id: str | None = None, account: str | None = None
) -> dict[str, Any]:
    """Delete everything held about the customer; returns a receipt listing each store.

    Each store's entry says what was removed, `"not configured"` when this process cannot reach
    it, or `{"failed": reason}`; `complete` is true only when no store failed.
    """
    subject = await asyncio.to_thread(_subject, stores, customer_id, account)
    ids = await asyncio.to_thread(_conversations, stores, subject)
    receipt: dict[str, Any] = {
        "customer_id": subject.customer_id,
        "accounts": subject.accounts,
        "erased_at": utcnow().isoformat(),
        "conversations": ids,
        "stores": {},
        "notes": subject.notes,
    }
    stores_receipt = receipt["stores"]
    references = await asyncio.to_thread(_ticket_references, stores, ids)
    crm_failed = False
    if stores.crm is None:
        stores_receipt["crm_tickets"] = "not configured"
    else:
        try:
            stores_receipt["crm_tickets"] = await asyncio.to_thread(
                _erase_crm_tickets, stores, subject, references
            )
        except ConnectorError as error:
            crm_failed = True
            stores_receipt["crm_tickets"] = {"failed": error.message}
    if stores.state is None:
        stores_receipt["state_store"] = "not configured"
    else:
        released = []
        for cid in ids:
            # Back to the bot, not closed: the store's `closed` is final, and a customer still
            # on the page after an erasure must be able to ask for a person again.
            if await _release(stores.state, cid):
                released.append(cid)
        stores_receipt["state_store"] = {"released": released}
    if stores.tracker_store is None:
        stores_receipt["tracker_store"] = "not configured"
    else:
        removed = await asyncio.to_thread(trackers.delete_senders, stores.tracker_store, ids)
        stores_receipt["tracker_store"] = {"events": removed}
    if stores.rasa_events is None:
        stores_receipt["rasa_events"] = "not configured"
    else:
        removed = await asyncio.to_thread(broker_table.delete_senders, stores.rasa_events, ids)
        stores_receipt["rasa_events"] = {"events": removed}

    def gateway() -> dict[str, Any]:
        with session_scope(stores.sessions) as session:
            # When the CRM failed, conversations with tickets stay: their ticket records hold
            # the references that the next run needs.
            kept = _with_tickets(session, ids) if crm_failed else []
            counts: dict[str, Any] = delete_conversations(
                session, [cid for cid in ids if cid not in kept]
            )
            if kept:
                counts["kept_until_the_crm_answers"] = kept
            session_facts.forget_deleted_events(session, stores.rasa_events)
            return counts

    stores_receipt["gateway_database"] = await asyncio.to_thread(gateway)
    receipt["complete"] = not crm_failed
    return receipt


async def _release(state: StateStore, conversation_id: str) -> bool:
    """A queued or assigned conversation back to the bot; False when it was neither."""
    owner = await state.get(conversation_id)
    if owner.state == Owner.QUEUED:
        return await state.dequeue(conversation_id)
    if owner.state == Owner.ASSIGNED and owner.agent is not None:
        return await state.handback(conversation_id, owner.agent)
    return False


def _with_tickets(session: Session, ids: list[str]) -> list[str]:
    query = select(Ticket.conversation_id).where(Ticket.conversation_id.in_(ids))
    return list(set(session.execute(query).scalars()))


def _erase_crm_tickets(stores: PrivacyStores, subject: Subject, references: list[str]) -> dict:
    assert stores.crm is not None
    deleted = []
    for ticket in _crm_tickets(stores, subject, references):
        with suppress(NotFound):  # deleted meanwhile: gone either way
            stores.crm.delete_ticket(ticket.ticket_id)
        deleted.append(ticket.ticket_id)
    return {"deleted": sorted(deleted)}
