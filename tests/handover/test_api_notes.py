"""Private notes and labels through the REST API: who may read and write them, what is refused,
what is stored (redacted), and that the customer's side never carries a note."""

# The fixture `database` comes from test_api: arguments of that name are it.
# ruff: noqa: F811

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from fastapi.testclient import TestClient

from handover import crud
from handover.config import HandoverSettings
from handover.db import make_engine, session_factory, session_scope
from handover.main import create_app
from tests.handover.socket_gateway import customer, served
from tests.handover.test_api import BOT, database, login, queue_billing_chat  # noqa: F401

CHAT = "/api/conversations/chat-for-gene"
NOTES, LABELS = CHAT + "/notes", CHAT + "/labels"
PRIVATE = "Sounds upset about roaming; offer the goodwill credit"


@pytest.fixture
def client(database: str) -> Iterator[TestClient]:
    with session_scope(session_factory(make_engine(database))) as session:
        for name, skills, role in (
            ("sue", ["orders"], "supervisor"),
            ("bill", ["billing"], "agent"),
        ):
            crud.create_agent(
                session, username=name, password="long-enough-1", skills=skills, capacity=2,
                role=role,
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


def test_the_agent_adds_notes_and_labels_and_reads_them_back(
    client: TestClient, gene: dict[str, str]
) -> None:
    assert client.get(NOTES, headers=gene).json() == {"notes": [], "labels": []}

    added = client.post(NOTES, json={"text": f"  {PRIVATE}  "}, headers=gene)
    dob = client.post(NOTES, json={"text": "Says she was born 14/03/1985"}, headers=gene)
    labelled = client.put(LABELS, json={"labels": ["refund", "billing-dispute", "refund"]},
                          headers=gene)  # fmt: skip

    assert added.status_code == dob.status_code == 201
    note = added.json()
    assert (note["agent"], note["text"], note["episode"]) == ("gene", PRIVATE, 1)
    assert dob.json()["text"] == "Says she was born [date of birth]"
    assert labelled.json() == {"labels": ["billing-dispute", "refund"]}
    read = client.get(NOTES, headers=gene).json()
    assert [n["text"] for n in read["notes"]] == [PRIVATE, "Says she was born [date of birth]"]
    assert read["notes"][0] == note and note["created_at"].startswith("20")
    assert read["labels"] == ["billing-dispute", "refund"]
    replaced = client.put(LABELS, json={"labels": ["vip"]}, headers=gene)
    assert replaced.json() == {"labels": ["vip"]}
    assert client.get("/api/labels", headers=gene).json() == {
        "labels": [{"label": "vip", "conversations": 1}]
    }
    # Notes are no part of the conversation's packet (nor of its transcript).
    packet = client.get(CHAT, headers=gene).text
    assert PRIVATE not in packet and "14/03/1985" not in packet


def test_labels_in_use_are_counted_for_any_signed_in_agent(
    client: TestClient, gene: dict[str, str]
) -> None:
    sue = login(client, "sue")
    client.put(LABELS, json={"labels": ["refund"]}, headers=gene).raise_for_status()
    other = "/api/conversations/chat-for-orla/labels"
    client.put(other, json={"labels": ["refund", "outage"]}, headers=sue).raise_for_status()

    orla = login(client, "orla")  # may read neither conversation: sees only the counts
    assert client.get("/api/labels", headers=orla).json() == {
        "labels": [{"label": "refund", "conversations": 2},
                   {"label": "outage", "conversations": 1}],
    }  # fmt: skip
    assert client.get("/api/labels").status_code == 401


NOTE_PROBLEMS = [
    (None, ["body"], "field required"),
    ({}, ["body", "text"], "field required"),
    ({"text": ""}, ["body", "text"], "at least 1"),
    ({"text": " \n\t "}, ["body", "text"], "must not be blank"),
    ({"text": "x" * 1001}, ["body", "text"], "at most 1000"),
    ({"text": 42}, ["body", "text"], "str type expected"),
    ({"text": "hi", "pinned": True}, ["body", "pinned"], "extra fields"),
    ({"text": "nul \u0000"}, ["body", "text"], "U+0000"),
    ({"text": "bell \u0007"}, ["body", "text"], "U+0007"),
    ({"text": "\ud800"}, ["body", "text"], "lone surrogate"),
]
LABEL_PROBLEMS = [
    (None, ["body"], "field required"),
    ({}, ["body", "labels"], "field required"),
    ({"labels": "refund"}, ["body", "labels"], "value is not a valid list"),
    ({"labels": [1]}, ["body", "labels", 0], "must be text"),
    ({"labels": ["Refund"]}, ["body", "labels", 0], "lowercase letters, digits or hyphens"),
    ({"labels": ["-refund"]}, ["body", "labels", 0], "not starting with a hyphen"),
    ({"labels": ["x" * 33]}, ["body", "labels", 0], "1-32"),
    ({"labels": ["a\u0000"]}, ["body", "labels", 0], "U+0000"),
    ({"labels": ["\udfff"]}, ["body", "labels", 0], "lone surrogate"),
    ({"labels": [f"l{n}" for n in range(11)]}, ["body", "labels"], "at most 10 items"),
    ({"labels": [], "colour": "red"}, ["body", "colour"], "extra fields"),
]


@pytest.mark.parametrize(
    ("method", "path", "body", "where", "complaint"),
    [("POST", NOTES, *case) for case in NOTE_PROBLEMS]
    + [("PUT", LABELS, *case) for case in LABEL_PROBLEMS],
)
def test_bad_notes_and_labels_are_a_422_and_nothing_is_stored(
    client: TestClient, gene: dict[str, str], method: str, path: str, body: object,
    where: list[Any], complaint: str,
) -> None:  # fmt: skip
    client.put(LABELS, json={"labels": ["kept"]}, headers=gene).raise_for_status()
    headers = {**gene, "Content-Type": "application/json"}
    raw = json.dumps(body)  # escapes a lone surrogate, as a browser's JSON.stringify does

    answer = client.request(method, path, content=raw, headers=headers)

    assert answer.status_code == 422, answer.text
    (problem,) = answer.json()["detail"]
    assert (problem["loc"], complaint in problem["msg"]) == (where, True), problem
    assert client.get(NOTES, headers=gene).json() == {"notes": [], "labels": ["kept"]}


def test_a_body_that_is_not_json_is_a_422(client: TestClient, gene: dict[str, str]) -> None:
    headers = {**gene, "Content-Type": "application/json"}
    for method, path in (("POST", NOTES), ("PUT", LABELS)):
        for raw in (b"{", b"\xff\xfe", b"[]", b'"note"'):
            assert client.request(method, path, content=raw, headers=headers).status_code == 422


CALLS = [
    ("GET", NOTES, None),
    ("POST", NOTES, {"text": "a note"}),
    ("PUT", LABELS, {"labels": ["refund"]}),
]


def test_without_a_token_every_route_is_a_401(client: TestClient, gene: dict[str, str]) -> None:
    for method, path, body in [*CALLS, ("GET", "/api/labels", None)]:
        answer = client.request(method, path, json=body)
        assert answer.status_code == 401, path
        bad = client.request(method, path, json=body, headers={"Authorization": "Bearer x.y.z"})
        assert bad.status_code == 401, path


def test_an_agent_who_may_not_read_the_chat_is_refused_and_learns_nothing(
    client: TestClient, gene: dict[str, str]
) -> None:
    client.post(NOTES, json={"text": PRIVATE}, headers=gene).raise_for_status()
    orla, bill = login(client, "orla"), login(client, "bill")  # bill serves billing: too late

    for who in (orla, bill):
        for method, path, body in CALLS:
            answer = client.request(method, path, json=body, headers=who)
            unknown = client.request(
                method, path.replace("chat-for-gene", "no-such-chat"), json=body, headers=who
            )
            assert (answer.status_code, answer.json()) == (unknown.status_code, unknown.json()) == (
                403, {"detail": "not a conversation you may see"},
            ), path  # fmt: skip
    read = client.get(NOTES, headers=gene).json()
    assert [n["text"] for n in read["notes"]] == [PRIVATE] and read["labels"] == []


def test_a_supervisor_annotates_any_chat_and_is_told_404_for_an_unknown_one(
    client: TestClient, gene: dict[str, str]
) -> None:
    sue = login(client, "sue")  # serves orders only: supervising is what lets her in

    noted = client.post(NOTES, json={"text": "Coached gene on refunds"}, headers=sue)
    labelled = client.put(LABELS, json={"labels": ["coaching"]}, headers=sue)

    assert (noted.status_code, labelled.status_code) == (201, 200)
    read = client.get(NOTES, headers=gene).json()
    assert [(n["agent"], n["text"]) for n in read["notes"]] == [("sue", "Coached gene on refunds")]
    assert read["labels"] == ["coaching"]
    unknown = "/api/conversations/no-such-chat"
    for method, path, body in CALLS:
        answer = client.request(method, path.replace(CHAT, unknown), json=body, headers=sue)
        assert (answer.status_code, answer.json()) == (404, {"detail": "no such conversation"})


def test_the_skill_lets_an_agent_annotate_a_queued_chat_and_the_closer_after_the_close(
    client: TestClient,
) -> None:
    bill, gene = login(client, "bill"), login(client, "gene")
    queue_billing_chat(client)
    assert client.post(NOTES, json={"text": "Seen in the queue"}, headers=bill).status_code == 201
    client.post(CHAT + "/accept", headers=gene).raise_for_status()
    client.post(CHAT + "/close", json={"reason": "resolved"}, headers=gene).raise_for_status()

    after = client.post(NOTES, json={"text": "Follow-up by e-mail on Monday"}, headers=gene)
    labels = client.put(LABELS, json={"labels": ["follow-up"]}, headers=gene)

    assert (after.status_code, after.json()["episode"]) == (201, 1)
    assert labels.json() == {"labels": ["follow-up"]}
    assert client.get(NOTES, headers=bill).status_code == 403


# -- the customer's side -----------------------------------------------------------------------


async def rest(url: str, method: str, path: str, headers: dict[str, str], **kw: Any) -> Any:
    async with (
        aiohttp.ClientSession() as http,
        http.request(method, url + path, headers=headers, **kw) as answer,
    ):
        assert answer.status < 300, await answer.text()
        return await answer.json(content_type=None)


async def test_the_customer_never_receives_a_note(tmp_path: Path) -> None:
    async with served(tmp_path) as gateway:
        await gateway.hub.db(crud.create_agent, username="ada", password="long-enough-1",
                             skills=[], capacity=2)  # fmt: skip
        login = {"username": "ada", "password": "long-enough-1"}
        token = (await rest(gateway.url, "POST", "/api/agent/login", {}, json=login))["token"]
        ada = {"Authorization": f"Bearer {token}"}
        client, confirm = await customer(gateway.url)
        await client.emit("user_uttered", {"message": "my bill is wrong"})
        await client.wait("bot_uttered")
        cid = confirm["session_id"]
        body = {"conversation_id": cid, "reason": "customer_request",
                "context": {"skill": "billing"}}  # fmt: skip
        await rest(gateway.url, "POST", "/api/handover", BOT, json=body)
        chat = f"/api/conversations/{cid}"
        await rest(gateway.url, "POST", chat + "/accept", ada)
        await rest(gateway.url, "POST", chat + "/notes", ada, json={"text": PRIVATE})
        await rest(gateway.url, "PUT", chat + "/labels", ada, json={"labels": ["goodwill"]})
        await rest(gateway.url, "POST", chat + "/messages", ada, json={"text": "Let me check."})
        await client.wait("bot_uttered", "Let me check.")
        await rest(gateway.url, "POST", chat + "/close", ada, json={"reason": "resolved"})
        await client.wait("handover_status", "closed")
        await client.emit("history_request", {})
        (history,) = await client.wait("history")

        assert "Let me check." in json.dumps(history)
        heard = json.dumps(client.events)
        for private in (PRIVATE, "goodwill"):
            assert private not in heard
            assert private not in json.dumps(await gateway.hub.history(cid))
        await client.close()
