"""A customer's past contacts beside the conversation an agent reads: their other conversations
(by verified customer id only), the gateway's tickets and the CRM's, and who may read them."""

# The fixture `database` comes from test_api: arguments of that name are it.
# ruff: noqa: F811

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from connectors import build_sync_backends
from connectors.crm import Ticket
from connectors.settings import ConnectorSettings
from handover import crud
from handover.config import HandoverSettings
from handover.db import make_engine, session_factory, session_scope
from handover.main import create_app
from tests.fake_http import FakeHttp
from tests.handover.test_api import BOT, database, login  # noqa: F401

CUSTOMER = "CUS-00001"
CRM = "http://crm.test"
CHAT = "/api/conversations/chat-for-gene"
HISTORY = CHAT + "/history"
MARCH = datetime(2025, 3, 4, 9, 30, tzinfo=timezone.utc)
JANUARY = datetime(2025, 1, 20, 17, 0, tzinfo=timezone.utc)


def contact(
    session: Session, conversation_id: str, number: int, at: datetime, **ended: Any
) -> None:
    episode = crud.open_episode(session, conversation_id=conversation_id, number=number, at=at)
    score = ended.pop("satisfaction", None)
    crud.end_episode(session, episode=episode, at=at + timedelta(minutes=12), **ended)
    if score is not None:
        crud.rate_episode(session, episode=episode, score=score)


def seed_the_past(session: Session) -> None:
    """Two earlier chats of the customer, one of another customer, one of theirs left silent."""
    crud.upsert_conversation(
        session, conversation_id="jane-march", customer_id=CUSTOMER, state="closed",
        agent_username="gene", reason="customer_request", language="en",
        summary="Jane Doe asked why her bill went up.",
    )  # fmt: skip
    contact(session, "jane-march", 1, MARCH, outcome="resolved_by_agent",
            agent_username="gene", wrap_up="not_resolved", satisfaction=2)  # fmt: skip
    contact(session, "jane-march", 2, MARCH + timedelta(hours=3), outcome="resolved_by_bot")
    crud.add_ticket(session, conversation_id="jane-march", reference="TCK-000077",
                    reason="no_agent_in_time")  # fmt: skip
    crud.upsert_conversation(session, conversation_id="jane-january", customer_id=CUSTOMER,
                             state="closed", reason="backend_failure")  # fmt: skip
    contact(session, "jane-january", 1, JANUARY, outcome="abandoned")
    crud.upsert_conversation(session, conversation_id="john-april", customer_id="CUS-00002",
                             state="closed", summary="John Roe moved house.")  # fmt: skip
    contact(session, "john-april", 1, MARCH + timedelta(days=30), outcome="resolved_by_bot")
    crud.upsert_conversation(session, conversation_id="jane-silent", customer_id=CUSTOMER)


@pytest.fixture
def client(database: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    monkeypatch.setenv("BACKEND_CRM_URL", CRM)
    with session_scope(session_factory(make_engine(database))) as session:
        crud.create_agent(
            session, username="sue", password="long-enough-1", skills=[], capacity=2,
            role="supervisor",
        )  # fmt: skip
        seed_the_past(session)
    settings = HandoverSettings(database_url=database, rasa_url="http://127.0.0.1:9")
    with TestClient(create_app(settings)) as running:
        yield running


@pytest.fixture
def crm(client: TestClient, http: FakeHttp) -> FakeHttp:
    """The CRM's side of the network: nothing answers unless a test registers it."""
    # The gateway's own CRM client (BACKEND_CRM_URL is set), on the fake transport.
    fake = build_sync_backends(ConnectorSettings(), transport=http.transport).crm
    client.app.other_asgi_app.state.crm = fake  # type: ignore[attr-defined]
    return http


def queue_chat(client: TestClient, customer_id: str | None = CUSTOMER) -> None:
    """The bot hands chat-for-gene over for billing, with the customer it verified (if any)."""
    profile = {"customer_id": customer_id, "name": "Jane Doe"} if customer_id else None
    body = {"conversation_id": "chat-for-gene", "reason": "customer_request",
            "context": {"skill": "billing", "profile": profile}}  # fmt: skip
    assert client.post("/api/handover", json=body, headers=BOT).json()["status"] == "queued"


def crm_ticket(ticket_id: str, subject: str, created_at: datetime, **fields: Any) -> Any:
    values = {
        "ticket_id": ticket_id, "customer_id": CUSTOMER, "subject": subject,
        "created_at": created_at, "description": "Long story with the customer's details",
        "reason": "billing_dispute", "status": "open", "priority": "normal",
        "transcript": [{"sender": "user", "text": "my card is 4111 1111 1111 1111",
                        "timestamp": created_at}],
    }  # fmt: skip
    ticket = Ticket(**{**values, **fields})
    return json.loads(ticket.json())


def the_crm_lists(crm: FakeHttp, *tickets: Any) -> None:
    crm.get(f"{CRM}/tickets", json=list(tickets))


@pytest.fixture
def gene(client: TestClient) -> dict[str, str]:
    """Gene, who has accepted Jane's new billing chat."""
    headers = login(client, "gene")
    queue_chat(client)
    client.post(CHAT + "/accept", headers=headers).raise_for_status()
    return headers


def test_the_other_conversations_of_the_same_customer_latest_first_with_their_contacts(
    client: TestClient, gene: dict[str, str], crm: FakeHttp
) -> None:
    the_crm_lists(crm)

    answer = client.get(HISTORY, headers=gene)

    assert answer.status_code == 200, answer.text
    found = answer.json()
    assert (found["customer_id"], found["crm"]) == (CUSTOMER, "ok")
    # Not this one, not John's, not the silent widget: only contacts in which Jane wrote.
    assert [c["conversation_id"] for c in found["conversations"]] == ["jane-march", "jane-january"]
    march = found["conversations"][0]
    assert (march["state"], march["reason"], march["summary"], march["language"]) == (
        "closed", "customer_request", "Jane Doe asked why her bill went up.", "en",
    )  # fmt: skip
    assert march["started_at"] == "2025-03-04T09:30:00+00:00"
    assert march["last_at"] == "2025-03-04T12:42:00+00:00"  # the 2nd contact's end
    assert march["contacts"] == [
        {"number": 1, "outcome": "resolved_by_agent", "agent": "gene", "reason": "not_resolved",
         "satisfaction": 2, "ended_at": "2025-03-04T09:42:00+00:00"},
        {"number": 2, "outcome": "resolved_by_bot", "agent": None, "reason": None,
         "satisfaction": None, "ended_at": "2025-03-04T12:42:00+00:00"},
    ]  # fmt: skip
    assert [c["outcome"] for c in found["conversations"][1]["contacts"]] == ["abandoned"]
    assert crm.last_request.qs == {"customer_id": [CUSTOMER]}


def test_at_most_twenty_conversations_the_latest_first(
    client: TestClient, gene: dict[str, str], crm: FakeHttp, database: str
) -> None:
    the_crm_lists(crm)
    with session_scope(session_factory(make_engine(database))) as session:
        for day in range(1, 26):
            crud.upsert_conversation(session, conversation_id=f"jane-{day}", customer_id=CUSTOMER)
            contact(session, f"jane-{day}", 1, MARCH + timedelta(days=day), outcome="abandoned")

    listed = [
        c["conversation_id"] for c in client.get(HISTORY, headers=gene).json()["conversations"]
    ]

    assert listed == [f"jane-{day}" for day in range(25, 5, -1)]


def test_tickets_from_the_crm_redacted_and_from_the_gateway_once_each_newest_first(
    client: TestClient, gene: dict[str, str], crm: FakeHttp, database: str
) -> None:
    with session_scope(session_factory(make_engine(database))) as session:
        crud.add_ticket(session, conversation_id="chat-for-gene", reference="TCK-000099",
                        reason="no_agent_in_time")  # fmt: skip
        crud.add_ticket(session, conversation_id="john-april", reference="TCK-000055")
    the_crm_lists(
        crm,
        crm_ticket(
            "TCK-400001",
            "Refund for a customer born 14/03/1985",
            datetime(2025, 2, 1, tzinfo=timezone.utc),
            priority="high",
        ),  # fmt: skip
        crm_ticket("TCK-000077", "Chat 5f2a: nobody free to take it", MARCH, status="closed"),
    )

    tickets = client.get(HISTORY, headers=gene).json()["tickets"]

    assert [t["ticket_id"] for t in tickets] == ["TCK-000099", "TCK-000077", "TCK-400001"]
    mine, march, refund = tickets
    assert (mine["source"], mine["conversation_id"], mine["reason"], mine["status"]) == (
        "gateway", "chat-for-gene", "no_agent_in_time", None,
    )  # fmt: skip
    # Listed by the CRM and recorded by the gateway: the CRM's details, the gateway's link.
    assert (march["source"], march["status"], march["conversation_id"]) == (
        "crm", "closed", "jane-march",
    )  # fmt: skip
    assert refund == {
        "ticket_id": "TCK-400001", "subject": "Refund for a customer born [date of birth]",
        "status": "open", "reason": "billing_dispute", "priority": "high",
        "created_at": "2025-02-01T00:00:00+00:00", "conversation_id": None, "source": "crm",
    }  # fmt: skip
    assert "description" not in json.dumps(tickets) and "4111" not in json.dumps(tickets)


def test_at_most_twenty_tickets_the_newest_first(
    client: TestClient, gene: dict[str, str], crm: FakeHttp
) -> None:
    listed = [
        crm_ticket(f"TCK-5000{n:02d}", f"Question {n}", MARCH + timedelta(days=n))
        for n in range(25)
    ]
    the_crm_lists(crm, *listed)

    tickets = client.get(HISTORY, headers=gene).json()["tickets"]

    # The gateway's ticket of Jane's March chat was recorded today: the newest of all.
    newest = ["TCK-000077", *(f"TCK-5000{n:02d}" for n in range(24, 5, -1))]
    assert [t["ticket_id"] for t in tickets] == newest


@pytest.mark.parametrize(
    "failure",
    [
        {"exc": httpx.ConnectTimeout},
        {"exc": httpx.ConnectError},
        {"status_code": 503, "json": {"detail": "down"}},
        {"text": "<html>not json</html>"},
        {"json": [{"ticket_id": "TCK-1"}]},  # breaks the contract
    ],
)
def test_a_crm_that_fails_leaves_its_tickets_out_and_the_rest_answered(
    client: TestClient,
    gene: dict[str, str],
    crm: FakeHttp,
    database: str,
    failure: dict[str, Any],
) -> None:
    crm.get(f"{CRM}/tickets", **failure)
    with session_scope(session_factory(make_engine(database))) as session:
        crud.add_ticket(session, conversation_id="chat-for-gene", reference="TCK-000099")

    answer = client.get(HISTORY, headers=gene)

    assert answer.status_code == 200, answer.text
    found = answer.json()
    assert found["crm"] == "unavailable"
    assert [c["conversation_id"] for c in found["conversations"]] == ["jane-march", "jane-january"]
    assert [(t["ticket_id"], t["source"]) for t in found["tickets"]] == [
        ("TCK-000099", "gateway"), ("TCK-000077", "gateway"),
    ]  # fmt: skip


def test_an_unverified_customer_gets_no_history_and_the_crm_is_not_asked(
    client: TestClient, crm: FakeHttp, database: str
) -> None:
    gene = login(client, "gene")
    queue_chat(client, customer_id=None)
    client.post(CHAT + "/accept", headers=gene).raise_for_status()
    with session_scope(session_factory(make_engine(database))) as session:
        crud.add_ticket(session, conversation_id="chat-for-gene", reference="TCK-000099")

    found = client.get(HISTORY, headers=gene).json()

    assert (found["customer_id"], found["crm"], found["conversations"]) == (
        None, "not_verified", [],
    )  # fmt: skip
    # This conversation's own ticket is no link to anyone: the agent may see it.
    assert [t["ticket_id"] for t in found["tickets"]] == ["TCK-000099"]
    assert not crm.called


def test_who_may_read_the_conversation_may_read_its_history_and_nobody_else(
    client: TestClient, gene: dict[str, str], crm: FakeHttp
) -> None:
    the_crm_lists(crm)
    orla, sue = login(client, "orla"), login(client, "sue")  # orders only; a supervisor

    assert client.get(HISTORY, headers=sue).json()["customer_id"] == CUSTOMER
    refused = client.get(HISTORY, headers=orla)
    assert (refused.status_code, refused.json()) == (
        403, {"detail": "not a conversation you may see"},
    )  # fmt: skip
    # An agent learns nothing from trying ids: an unknown one is refused the same way.
    unknown = client.get("/api/conversations/no-such-chat/history", headers=orla)
    assert (unknown.status_code, unknown.json()) == (refused.status_code, refused.json())
    assert client.get("/api/conversations/no-such-chat/history", headers=sue).status_code == 404
    assert client.get(HISTORY).status_code == 401
    assert client.get(HISTORY, headers={"Authorization": "Bearer nonsense"}).status_code == 401
    assert client.get("/api/conversations/a%20b/history", headers=sue).status_code == 422


def test_the_agent_who_closed_it_still_reads_its_history_and_the_next_agent_does_not(
    client: TestClient, gene: dict[str, str], crm: FakeHttp
) -> None:
    the_crm_lists(crm)
    client.post(CHAT + "/close", json={"reason": "resolved"}, headers=gene).raise_for_status()

    assert client.get(HISTORY, headers=gene).status_code == 200
    assert client.get(HISTORY, headers=login(client, "orla")).status_code == 403


def test_a_crm_not_configured_is_unavailable(client: TestClient, gene: dict[str, str]) -> None:
    client.app.other_asgi_app.state.crm = None  # type: ignore[attr-defined]

    found = client.get(HISTORY, headers=gene).json()

    assert (found["crm"], len(found["conversations"])) == ("unavailable", 2)


def test_the_same_reads_on_sqlite_and_postgresql(session: Session) -> None:
    crud.upsert_conversation(session, conversation_id="chat-for-gene", customer_id=CUSTOMER)
    seed_the_past(session)

    found = crud.gateway_history(session, conversation_id="chat-for-gene")

    assert found is not None and found.customer_id == CUSTOMER
    assert [c.conversation_id for c in found.conversations] == ["jane-march", "jane-january"]
    march = found.conversations[0]
    assert (march.started_at, march.last_at) == (MARCH, MARCH + timedelta(hours=3, minutes=12))
    assert [(c.number, c.satisfaction) for c in march.contacts] == [(1, 2), (2, None)]
    assert [(t.reference, t.conversation_id) for t in found.tickets] == [
        ("TCK-000077", "jane-march")
    ]
    assert crud.gateway_history(session, conversation_id="no-such-chat") is None
    with pytest.raises(ValueError, match="customer id"):
        crud.list_past_conversations(session, customer_id="", besides="chat-for-gene")
