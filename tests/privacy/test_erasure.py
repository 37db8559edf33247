"""Erase then export for one customer: nothing left, and the receipt names every store."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import sessionmaker

from connectors.crm import SyncCrmClient, TicketRequest
from connectors.errors import NotFound
from handover import crud
from handover.config import HandoverSettings
from handover.db import make_engine, session_factory, session_scope
from handover.main import create_app
from handover.models import Conversation, ConversationNote
from handover.state import Owner, RedisStateStore
from privacy import erasure, trackers
from privacy.erasure import PrivacyStores
from tests.migrated import migrated
from tests.privacy.conftest import add_events

JANE, JANE_ACCOUNT = "CUS-00001", "30000001"
KHAN, KHAN_ACCOUNT = "CUS-00002", "30000002"


def _slot(name: str, value: str) -> dict:
    return {"event": "slot", "name": name, "value": value, "timestamp": 1.0}


@dataclass
class Held:
    stores: PrivacyStores
    tickets: tuple[str, str, str]  # Jane's from the gateway, Jane's from an action, Khan's


@pytest.fixture
async def held(
    sessions: sessionmaker, tracker_store: Engine, redis_state: RedisStateStore, crm: SyncCrmClient
) -> Held:
    """Jane's data in every store (three conversations), and Mohammed Khan's beside it."""
    gateway_ticket = crm.create_ticket(
        TicketRequest(subject="Chat 1a2b: nobody free", description="-", reason="wait_too_long")
    )
    action_ticket = crm.create_ticket(
        TicketRequest(customer_id=JANE, subject="Fault report", description="-", reason="fault")
    )
    khan_ticket = crm.create_ticket(
        TicketRequest(customer_id=KHAN, subject="Bill", description="-", reason="billing")
    )
    with session_scope(sessions) as session:
        crud.upsert_conversation(session, conversation_id="jane-handover", customer_id=JANE)
        crud.add_message(session, conversation_id="jane-handover", sender="user", text="agent")
        # An earlier contact, closed by an agent with a note and rated by Jane.
        first = crud.open_episode(session, conversation_id="jane-handover", number=1)
        crud.end_episode(
            session, episode=first, outcome="resolved_by_agent", wrap_up="resolved",
            note="Jane asked about her direct debit",
        )  # fmt: skip
        crud.rate_episode(session, episode=first, score=4)
        crud.open_episode(session, conversation_id="jane-handover", number=2)
        crud.open_handover(session, conversation_id="jane-handover", reason="customer_request")
        crud.add_ticket(
            session, conversation_id="jane-handover", reference=gateway_ticket.ticket_id
        )
        # An agent's private notes and labels on her: her data too.
        crud.add_note(session, conversation_id="jane-handover", agent_username="ada",
                      text="Jane is moving house; born 14/03/1985")  # fmt: skip
        crud.set_labels(session, conversation_id="jane-handover", labels=["moving"],
                        added_by="ada")  # fmt: skip
        crud.add_message(session, conversation_id="jane-verified", sender="user", text="my bill")
        crud.add_message(session, conversation_id="jane-tried", sender="user", text="30000001")
        crud.upsert_conversation(session, conversation_id="khan-chat", customer_id=KHAN)
        crud.add_message(session, conversation_id="khan-chat", sender="user", text="hello")
        crud.add_note(session, conversation_id="khan-chat", agent_username="ada", text="Khan's")
        crud.set_labels(session, conversation_id="khan-chat", labels=["moving"], added_by="ada")
    add_events(tracker_store, "jane-verified", [_slot("customer_id", JANE)])
    add_events(tracker_store, "jane-tried", [_slot("account_number", JANE_ACCOUNT)])
    add_events(tracker_store, "jane-handover", [{"event": "user", "text": "agent"}])
    add_events(tracker_store, "khan-chat", [_slot("customer_id", KHAN)])
    for conversation_id in ("jane-handover", "khan-chat"):
        await redis_state.enqueue(conversation_id, skill="billing", vulnerable=False, now=1.0)
    tickets = (gateway_ticket.ticket_id, action_ticket.ticket_id, khan_ticket.ticket_id)
    return Held(PrivacyStores(sessions, tracker_store, redis_state, crm), tickets)


JANES = ["jane-handover", "jane-tried", "jane-verified"]


async def test_export_holds_everything_found(held: Held) -> None:
    data = await erasure.export(held.stores, account=JANE_ACCOUNT)

    assert data["customer_id"] == JANE
    assert data["conversations"] == JANES
    by_id = {c["id"]: c for c in data["gateway_database"]}
    assert set(by_id) == set(JANES)
    assert [m["text"] for m in by_id["jane-handover"]["messages"]] == ["agent"]
    assert len(by_id["jane-handover"]["handovers"]) == 1
    episodes = by_id["jane-handover"]["episodes"]
    assert [(e["number"], e["wrap_up"], e["satisfaction"]) for e in episodes] == [
        (1, "resolved", 4),
        (2, None, None),
    ]
    assert episodes[0]["note"] == "Jane asked about her direct debit"
    (note,) = by_id["jane-handover"]["notes"]
    assert (note["agent_username"], note["text"], note["episode"]) == (
        "ada", "Jane is moving house; born [date of birth]", 2,
    )  # fmt: skip
    assert [(x["label"], x["added_by"]) for x in by_id["jane-handover"]["labels"]] == [
        ("moving", "ada")
    ]
    assert by_id["jane-tried"]["notes"] == by_id["jane-tried"]["labels"] == []
    assert set(data["tracker_store"]) == set(JANES)
    assert data["state_store"] == {
        "jane-handover": {"state": "queued", "agent": None, "skill": "billing"}
    }
    gateway_ticket, action_ticket, _ = held.tickets
    assert {t["ticket_id"] for t in data["crm_tickets"]} == {gateway_ticket, action_ticket}
    json.dumps(data)  # ready to be served as JSON


async def test_erase_then_export_leaves_nothing_and_the_receipt_lists_every_store(
    held: Held, sessions: sessionmaker, tracker_store: Engine, crm: SyncCrmClient
) -> None:
    receipt = await erasure.erase(held.stores, account=JANE_ACCOUNT)

    gateway_ticket, action_ticket, khan_ticket = held.tickets
    assert receipt["complete"] is True
    assert receipt["customer_id"] == JANE and receipt["conversations"] == JANES
    assert receipt["stores"] == {
        "crm_tickets": {"deleted": sorted([gateway_ticket, action_ticket])},
        "state_store": {"released": ["jane-handover"]},
        "tracker_store": {"events": 3},
        "rasa_events": "not configured",  # tests/privacy/test_rasa_events.py
        "gateway_database": {
            "messages": 3,
            "handovers": 1,
            "tickets": 1,
            "episodes": 2,
            "conversation_notes": 1,
            "conversation_labels": 1,
            "conversation_events": 0,  # tests/privacy/test_recorded_events.py
            "contact_facts": 0,  # tests/privacy/test_contact_facts.py
            "session_facts": 0,  # tests/privacy/test_session_facts.py
            "message_flags": 0,  # tests/privacy/test_message_flags.py
            "model_assignments": 0,  # tests/privacy/test_model_assignments.py
            "conversations": 3,
        },
    }
    left = await erasure.export(held.stores, customer_id=JANE)
    assert left["conversations"] == [] and left["gateway_database"] == []
    assert left["tracker_store"] == {} and left["state_store"] == {}
    assert left["crm_tickets"] == []
    with pytest.raises(NotFound):
        crm.get_ticket(action_ticket)
    # Mohammed Khan's data is untouched.
    assert crm.get_ticket(khan_ticket).customer_id == KHAN
    # Back with the bot, so that Jane, still on the page, can ask for a person again.
    assert (await held.stores.state.get("jane-handover")).state == Owner.BOT  # type: ignore[union-attr]
    assert (await held.stores.state.get("khan-chat")).state == Owner.QUEUED  # type: ignore[union-attr]
    assert trackers.events_of(tracker_store, ["khan-chat"])
    with session_scope(sessions) as session:
        assert list(session.execute(select(Conversation.id)).scalars()) == ["khan-chat"]
        notes = session.execute(select(ConversationNote.conversation_id, ConversationNote.text))
        assert [tuple(row) for row in notes] == [("khan-chat", "Khan's")]
        assert crud.label_counts(session) == [("moving", 1)]


async def test_erasure_can_run_again(held: Held) -> None:
    await erasure.erase(held.stores, customer_id=JANE)
    again = await erasure.erase(held.stores, customer_id=JANE)
    assert again["complete"] and again["conversations"] == []
    assert again["stores"]["gateway_database"]["conversations"] == 0


async def test_a_crm_failure_keeps_the_ticket_links_for_the_next_run(
    held: Held, sessions: sessionmaker
) -> None:
    down = SyncCrmClient("http://127.0.0.1:9", timeout=1)
    broken = PrivacyStores(sessions, held.stores.tracker_store, held.stores.state, down)

    receipt = await erasure.erase(broken, customer_id=JANE)

    assert receipt["complete"] is False
    assert "failed" in receipt["stores"]["crm_tickets"]
    assert receipt["stores"]["gateway_database"]["kept_until_the_crm_answers"] == ["jane-handover"]
    assert any("CRM did not answer" in note for note in receipt["notes"])
    # Without the CRM, Jane's accounts were unknown: the conversation found by account
    # number waits for the next run too.
    assert receipt["conversations"] == ["jane-handover", "jane-verified"]
    retry = await erasure.erase(held.stores, customer_id=JANE)
    assert retry["complete"] and retry["conversations"] == ["jane-handover", "jane-tried"]
    assert len(retry["stores"]["crm_tickets"]["deleted"]) == 2


async def test_stores_this_process_cannot_reach_are_named(sessions: sessionmaker) -> None:
    receipt = await erasure.erase(PrivacyStores(sessions), customer_id=JANE)
    assert receipt["stores"]["crm_tickets"] == "not configured"
    assert receipt["stores"]["tracker_store"] == "not configured"
    assert receipt["stores"]["state_store"] == "not configured"


@pytest.mark.parametrize(
    ("given", "error"),
    [
        ({}, "exactly one"),
        ({"customer_id": JANE, "account": JANE_ACCOUNT}, "exactly one"),
        ({"account": "12345678"}, "8 digits"),
        ({"account": "3000000"}, "8 digits"),
        ({"customer_id": "CUS 1; DROP TABLE"}, "customer id"),
        ({"customer_id": ""}, "customer id"),
    ],
)
async def test_bad_identifiers_are_refused(sessions, given: dict, error: str) -> None:
    with pytest.raises(ValueError, match=error):
        await erasure.erase(PrivacyStores(sessions), **given)


# -- the supervisors' API ---------------------------------------------------------------------


@pytest.fixture
def gateway(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    url = f"sqlite:///{tmp_path}/gateway.db"
    monkeypatch.setenv("PRIVACY_TRACKER_STORE_URL", f"sqlite:///{tmp_path}/trackers.db")
    monkeypatch.setenv("REPORTING_EVENTS_URL", f"sqlite:///{tmp_path}/events.db")
    monkeypatch.setenv("BACKEND_CRM_URL", "http://127.0.0.1:9")  # the CRM is down here
    migrated(url)
    with session_scope(session_factory(make_engine(url))) as session:
        for name, role in (("sam", "agent"), ("sue", "supervisor")):
            crud.create_agent(
                session, username=name, password="long-enough-1", skills=[], capacity=2, role=role
            )
        crud.upsert_conversation(session, conversation_id="jane-chat", customer_id=JANE)
        crud.add_message(
            session, conversation_id="jane-chat", sender="user", text="born 14/03/1985"
        )
    settings = HandoverSettings(database_url=url, rasa_url="http://127.0.0.1:9")
    with TestClient(create_app(settings)) as client:
        yield client


def _login(client: TestClient, name: str) -> dict[str, str]:
    answer = client.post("/api/agent/login", json={"username": name, "password": "long-enough-1"})
    return {"Authorization": f"Bearer {answer.json()['token']}"}


def test_only_supervisors_may_erase_or_export(gateway: TestClient) -> None:
    agent = _login(gateway, "sam")
    assert gateway.post("/api/privacy/erase", json={"customer_id": JANE}).status_code == 401
    assert gateway.get("/api/privacy/export", params={"customer_id": JANE}).status_code == 401
    assert (
        gateway.post("/api/privacy/erase", json={"customer_id": JANE}, headers=agent).status_code
        == 403
    )
    response = gateway.get("/api/privacy/export", params={"customer_id": JANE}, headers=agent)
    assert response.status_code == 403


def test_a_supervisor_exports_then_erases(gateway: TestClient) -> None:
    sue = _login(gateway, "sue")
    exported = gateway.get("/api/privacy/export", params={"customer_id": JANE}, headers=sue)
    assert exported.status_code == 200
    messages = exported.json()["gateway_database"][0]["messages"]
    assert [m["text"] for m in messages] == ["born [date of birth]"]  # stored redacted

    erased = gateway.post("/api/privacy/erase", json={"customer_id": JANE}, headers=sue)
    assert erased.status_code == 200
    stores = erased.json()["stores"]
    assert stores["gateway_database"]["messages"] == 1
    assert set(stores) == {
        "crm_tickets", "state_store", "tracker_store", "rasa_events", "gateway_database"
    }  # fmt: skip
    after = gateway.get("/api/privacy/export", params={"customer_id": JANE}, headers=sue).json()
    assert after["gateway_database"] == []


@pytest.mark.parametrize(
    "query",
    [
        {},
        {"customer_id": JANE, "account": JANE_ACCOUNT},
        {"account": "1234"},
        {"account": "3" * 500},
    ],
)
def test_bad_requests_get_422_not_500(gateway: TestClient, query: dict) -> None:
    sue = _login(gateway, "sue")
    assert gateway.get("/api/privacy/export", params=query, headers=sue).status_code == 422
    assert gateway.post("/api/privacy/erase", json=query, headers=sue).status_code == 422
