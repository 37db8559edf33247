"""The gateway's REST API in-process: routing by skill, and state that survives a restart."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from handover import crud
from handover.config import HandoverSettings
from handover.db import make_engine, migrate, session_factory, session_scope
from handover.main import create_app

BOT = {"Authorization": "Bearer dev-bot-token"}


@pytest.fixture
def database(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path}/api.db"
    migrate(url)
    with session_scope(session_factory(make_engine(url))) as session:
        for name, skills in (("orla", ["orders"]), ("gene", [])):
            crud.create_agent(
                session, username=name, password="long-enough-1", skills=skills, capacity=2
            )
            crud.upsert_conversation(session, conversation_id=f"chat-for-{name}")
    return url


def gateway(database: str) -> TestClient:
    # The Rasa URL answers nothing: these calls never need the bot.
    settings = HandoverSettings(database_url=database, rasa_url="http://127.0.0.1:9")
    return TestClient(create_app(settings))


def login(client: TestClient, name: str) -> dict[str, str]:
    answer = client.post("/api/agent/login", json={"username": name, "password": "long-enough-1"})
    return {"Authorization": f"Bearer {answer.json()['token']}"}


@pytest.fixture
def client(database: str) -> Iterator[TestClient]:
    with gateway(database) as running:
        yield running


def queue_billing_chat(client: TestClient) -> None:
    body = {"conversation_id": "chat-for-gene", "reason": "customer_request",
            "context": {"skill": "billing"}}  # fmt: skip
    assert client.post("/api/handover", json=body, headers=BOT).json()["status"] == "queued"


def test_agents_see_and_take_only_what_their_skills_cover(client: TestClient) -> None:
    orla, gene = login(client, "orla"), login(client, "gene")
    queue_billing_chat(client)
    assert client.get("/api/queue", headers=orla).json() == {"items": []}
    assert client.post("/api/conversations/chat-for-gene/accept", headers=orla).status_code == 403
    items = client.get("/api/queue", headers=gene).json()["items"]
    assert [item["conversation_id"] for item in items] == ["chat-for-gene"]
    assert client.post("/api/conversations/chat-for-gene/accept", headers=gene).status_code == 200


def test_transfer_needs_exactly_one_target(client: TestClient) -> None:
    gene = login(client, "gene")
    url = "/api/conversations/chat-for-gene/transfer"
    assert client.post(url, json={}, headers=gene).status_code == 422
    both = {"agent": "orla", "skill": "orders"}
    assert client.post(url, json=both, headers=gene).status_code == 422
    assert client.post(url, json={"skill": "astrology"}, headers=gene).status_code == 422


def test_queue_and_assignments_survive_a_gateway_restart(database: str) -> None:
    with gateway(database) as first:
        gene = login(first, "gene")
        queue_billing_chat(first)
        body = {"conversation_id": "chat-for-orla", "reason": "out_of_scope",
                "context": {"skill": "orders"}}  # fmt: skip
        first.post("/api/handover", json=body, headers=BOT)
        assert first.post("/api/conversations/chat-for-gene/accept", headers=gene).is_success
    with gateway(database) as second:
        gene = login(second, "gene")
        items = second.get("/api/queue", headers=gene).json()["items"]
        assert [item["conversation_id"] for item in items] == ["chat-for-orla"]
        packet = second.get("/api/conversations/chat-for-gene", headers=gene).json()
        assert (packet["state"], packet["agent"]) == ("assigned", "gene")
        answer = second.post(
            "/api/conversations/chat-for-gene/messages", json={"text": "still here"}, headers=gene
        )
        assert answer.status_code == 200


def test_health_reports_what_is_not_ready(client: TestClient) -> None:
    answer = client.get("/health")
    assert answer.status_code == 503
    assert answer.json() == {
        "status": "unavailable", "database": True, "state_store": True, "rasa": False,
    }  # fmt: skip


def test_acting_on_a_conversation_one_does_not_own_is_a_conflict(client: TestClient) -> None:
    gene = login(client, "gene")
    queue_billing_chat(client)
    answer = client.post(
        "/api/conversations/chat-for-gene/messages", json={"text": "hi"}, headers=gene
    )
    assert answer.status_code == 409
    assert answer.json() == {"detail": "the conversation is not yours"}
    assert client.post("/api/conversations/chat-for-gene/handback", headers=gene).status_code == 409
