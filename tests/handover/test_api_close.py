"""Closing through the REST API: a wrap-up reason is required, the note is checked and stored
redacted, and only the agent who has the conversation may close it, once."""

# The fixture `database` comes from test_api: arguments of that name are it.
# ruff: noqa: F811

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from handover import crud
from handover.config import HandoverSettings
from handover.db import make_engine, session_factory, session_scope
from handover.main import create_app
from tests.handover.test_api import database, login, queue_billing_chat  # noqa: F401

CHAT = "/api/conversations/chat-for-gene"


@pytest.fixture
def client(database: str) -> Iterator[TestClient]:
    with session_scope(session_factory(make_engine(database))) as session:
        crud.create_agent(
            session, username="sue", password="long-enough-1", skills=[], capacity=2,
            role="supervisor",
        )  # fmt: skip
    settings = HandoverSettings(database_url=database, rasa_url="http://127.0.0.1:9")
    with TestClient(create_app(settings)) as running:
        yield running


@pytest.fixture
def gene(client: TestClient) -> dict[str, str]:
    """Gene, who has accepted the billing chat."""
    headers = login(client, "gene")
    queue_billing_chat(client)
    client.post(CHAT + "/accept", headers=headers).raise_for_status()
    return headers


@pytest.mark.parametrize(
    ("body", "where", "complaint"),
    [
        (None, ["body"], "field required"),
        ({}, ["body", "reason"], "field required"),
        ({"reason": ""}, ["body", "reason"], "permitted: 'resolved', 'not_resolved'"),
        ({"reason": "fixed"}, ["body", "reason"], "permitted"),
        ({"reason": None}, ["body", "reason"], "none is not an allowed value"),
        ({"reason": "resolved", "note": "x" * 1001}, ["body", "note"], "at most 1000"),
        ({"reason": "resolved", "note": 42}, ["body", "note"], "str type expected"),
        ({"reason": "resolved", "mood": "happy"}, ["body", "mood"], "extra fields"),
        ({"reason": "resolved", "note": "nul \u0000"}, ["body", "note"], "U+0000"),
        ({"reason": "resolved", "note": "\ud800"}, ["body", "note"], "lone surrogate"),
    ],
)
def test_a_close_without_a_valid_reason_or_with_a_bad_note_is_a_422(
    client: TestClient, gene: dict[str, str], body: object, where: list[str], complaint: str
) -> None:
    headers = {**gene, "Content-Type": "application/json"}
    raw = json.dumps(body)  # escapes a lone surrogate, as a browser's JSON.stringify does

    answer = client.post(CHAT + "/close", content=raw, headers=headers)

    assert answer.status_code == 422, answer.text
    (problem,) = answer.json()["detail"]
    assert (problem["loc"], complaint in problem["msg"]) == (where, True), problem
    assert client.get(CHAT, headers=gene).json()["state"] == "assigned", "nothing closed"


def test_a_body_that_is_not_json_is_a_422(client: TestClient, gene: dict[str, str]) -> None:
    headers = {**gene, "Content-Type": "application/json"}
    for raw in (b"{", b"\xff\xfe", b"[]", b'"resolved"'):
        assert client.post(CHAT + "/close", content=raw, headers=headers).status_code == 422


def test_the_close_records_the_reason_and_the_redacted_note(
    client: TestClient, gene: dict[str, str]
) -> None:
    note = "Refund promised; she gave 07700 900123 and jane@example.com"

    answer = client.post(CHAT + "/close", json={"reason": "not_resolved", "note": note},
                         headers=gene)  # fmt: skip

    assert answer.json() == {
        "state": "closed", "outcome": "resolved_by_agent", "reason": "not_resolved",
    }  # fmt: skip
    packet = client.get(CHAT, headers=gene).json()
    assert (packet["state"], packet["agent"], packet["episode"]) == ("closed", "gene", 1)
    (episode,) = packet["episodes"]
    assert (episode["outcome"], episode["reason"], episode["agent"]) == (
        "resolved_by_agent", "not_resolved", "gene",
    )  # fmt: skip
    assert episode["note"] == "Refund promised; she gave [phone] and [email]"
    assert episode["ended_at"] >= episode["started_at"]


def test_closing_twice_or_what_is_not_yours_is_a_conflict(
    client: TestClient, gene: dict[str, str]
) -> None:
    sue = login(client, "sue")  # may read it, does not have it
    assert client.post(CHAT + "/close", json={"reason": "spam"}, headers=sue).status_code == 409
    client.post(CHAT + "/close", json={"reason": "resolved"}, headers=gene).raise_for_status()

    again = client.post(CHAT + "/close", json={"reason": "resolved"}, headers=gene)

    assert again.status_code == 409
    assert again.json() == {"detail": "cannot close a conversation that has ended"}
    for action in ("/handback", "/messages"):
        body = {"text": "hello?"} if action == "/messages" else None
        assert client.post(CHAT + action, json=body, headers=gene).status_code == 409


def test_an_agent_without_the_chat_cannot_close_it_or_learn_it_exists(client: TestClient) -> None:
    orla = login(client, "orla")  # serves orders: the chat is queued for billing
    queue_billing_chat(client)

    answer = client.post(CHAT + "/close", json={"reason": "resolved"}, headers=orla)

    assert (answer.status_code, answer.json()) == (
        403,
        {"detail": "not a conversation you may see"},
    )
    assert client.post(CHAT + "/close", json={"reason": "resolved"}).status_code == 401
