"""Flagging a customer's message for the bot trainer through the REST API: who may (every
role), which messages (the customer's of that conversation only), bad ids refused with a clear
4xx, idempotence, and the flag in the trainer's inbox."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from handover import crud
from handover.config import HandoverSettings
from handover.db import make_engine, migrate, session_factory, session_scope
from handover.main import create_app
from tests.handover.test_api import login, queue_billing_chat

CHAT = "/api/conversations/chat-for-gene"
# gene (any skill) takes the billing chat; orla serves orders only.
ROLES = {"sue": "supervisor", "adam": "admin", "max": "manager", "tess": "trainer"}
SAID = "my box blinks red since this morning"


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, int]]:
    """A migrated database, built once: the people, the billing chat's messages (customer,
    bot, agent) and a message of another chat, by key."""
    path = tmp_path_factory.mktemp("flags") / "template.db"
    url = f"sqlite:///{path}"
    migrate(url)
    ids = {}
    engine = make_engine(url)
    with session_scope(session_factory(engine)) as session:
        people = {"orla": ("agent", ["orders"]), "gene": ("agent", []),
                  **{name: (role, []) for name, role in ROLES.items()}}  # fmt: skip
        for name, (role, skills) in people.items():
            crud.create_agent(session, username=name, password="long-enough-1", skills=skills,
                              capacity=2, role=role)  # fmt: skip
        for key, cid, sender, text in (
            ("customer", "chat-for-gene", "user", SAID),
            ("bot", "chat-for-gene", "bot", "Sorry, I did not get that."),
            ("agent", "chat-for-gene", "agent", "Let me look."),
            ("elsewhere", "chat-for-orla", "user", "where is my order"),
        ):
            ids[key] = crud.add_message(session, conversation_id=cid, sender=sender, text=text).id
    # Closing its last connection moves the write-ahead log into the file that tests copy.
    engine.dispose()
    return path, ids


@pytest.fixture
def messages(template: tuple[Path, dict[str, int]]) -> dict[str, int]:
    return template[1]


@pytest.fixture
def database(template: tuple[Path, dict[str, int]], tmp_path: Path) -> str:
    """A copy of the template for each test (migrating takes seconds)."""
    shutil.copy(template[0], tmp_path / "api.db")
    return f"sqlite:///{tmp_path / 'api.db'}"


@pytest.fixture
def client(database: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    # Rasa's stores, which the gateway opens at start: files of the test's own.
    monkeypatch.setenv("REPORTING_EVENTS_URL", f"sqlite:///{tmp_path}/rasa-events.db")
    monkeypatch.setenv("PRIVACY_TRACKER_STORE_URL", f"sqlite:///{tmp_path}/rasa-trackers.db")
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


def flag_path(message_id: Any, chat: str = CHAT) -> str:
    return f"{chat}/messages/{message_id}/flag"


def test_the_agent_flags_a_customer_message_once_and_unflags_it(
    client: TestClient, gene: dict[str, str], messages: dict[str, int]
) -> None:
    path = flag_path(messages["customer"])
    first = client.put(path, headers=gene)
    assert first.status_code == 200, first.text
    flag = first.json()
    assert (flag["message_id"], flag["flagged"], flag["flagged_by"]) == (
        messages["customer"], True, "gene",
    )  # fmt: skip
    sue = login(client, "sue")
    again = client.put(path, headers=sue)  # idempotent: the first flag stands
    assert (again.status_code, again.json()) == (200, flag)
    assert client.get(CHAT + "/flags", headers=gene).json() == {"flags": [flag]}

    removed = client.delete(path, headers=gene)
    unflagged = {"message_id": messages["customer"], "flagged": False, "flagged_by": None,
                 "at": None}  # fmt: skip
    assert (removed.status_code, removed.json()) == (200, unflagged)
    assert client.delete(path, headers=gene).json() == unflagged  # no flag: no error
    assert client.get(CHAT + "/flags", headers=gene).json() == {"flags": []}


def test_who_may_flag(client: TestClient, gene: dict[str, str], messages: dict[str, int]) -> None:
    path = flag_path(messages["customer"])
    for who, expected in (("gene", 200), ("sue", 200), ("adam", 200), ("orla", 403),
                          ("max", 403), ("tess", 403)):  # fmt: skip
        headers = gene if who == "gene" else login(client, who)
        for method in ("PUT", "DELETE"):
            answer = client.request(method, path, headers=headers)
            assert answer.status_code == expected, (who, method, answer.text)
        assert client.get(CHAT + "/flags", headers=headers).status_code == expected, who


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer not-a-token"}])
def test_without_a_valid_token_nothing_is_flagged(
    client: TestClient, gene: dict[str, str], messages: dict[str, int], headers: dict[str, str]
) -> None:
    path = flag_path(messages["customer"])
    for method in ("PUT", "DELETE", "GET"):
        url = CHAT + "/flags" if method == "GET" else path
        assert client.request(method, url, headers=headers).status_code == 401
    assert client.get(CHAT + "/flags", headers=gene).json() == {"flags": []}


def test_the_agent_who_closed_the_chat_may_still_flag_it(
    client: TestClient, gene: dict[str, str], messages: dict[str, int]
) -> None:
    client.post(CHAT + "/close", json={"reason": "resolved"}, headers=gene).raise_for_status()
    assert client.put(flag_path(messages["customer"]), headers=gene).status_code == 200


def test_only_the_customers_messages_of_the_chat_are_flagged(
    client: TestClient, gene: dict[str, str], messages: dict[str, int]
) -> None:
    not_the_customers = (400, {"detail": "only a customer's message can be flagged"})
    not_here = (404, {"detail": "no such message in this conversation"})
    for message_id, expected in (
        (messages["bot"], not_the_customers),
        (messages["agent"], not_the_customers),
        (messages["elsewhere"], not_here),  # another chat's
        (2**31 - 1, not_here),
    ):
        for method in ("PUT", "DELETE"):
            answer = client.request(method, flag_path(message_id), headers=gene)
            assert (answer.status_code, answer.json()) == expected, (message_id, method)


def test_malformed_message_ids_are_refused(client: TestClient, gene: dict[str, str]) -> None:
    for raw_id in ("0", "-1", "+1", "01", "abc", "1.5", str(2**31), "9" * 40, "%20", "1%0A",
                   "%201", "%E2%91%A0"):  # fmt: skip
        for method in ("PUT", "DELETE"):
            answer = client.request(method, flag_path(raw_id), headers=gene)
            assert answer.status_code == 422, (method, raw_id, answer.text)


def test_unknown_chats_tell_an_agent_nothing_and_a_supervisor_404(
    client: TestClient, gene: dict[str, str], messages: dict[str, int]
) -> None:
    unknown = "/api/conversations/no-such-chat"
    sue = login(client, "sue")
    for method in ("PUT", "DELETE"):
        path = flag_path(messages["customer"], unknown)
        assert client.request(method, path, headers=gene).status_code == 403
        assert client.request(method, path, headers=sue).status_code == 404
    assert client.get(unknown + "/flags", headers=gene).status_code == 403
    assert client.get(unknown + "/flags", headers=sue).status_code == 404
    bad = "/api/conversations/a%20b/messages/1/flag"
    assert client.put(bad, headers=gene).status_code == 422


def test_a_flagged_message_reaches_the_trainers_inbox(
    client: TestClient, gene: dict[str, str], messages: dict[str, int]
) -> None:
    client.put(flag_path(messages["customer"]), headers=gene).raise_for_status()
    tess = login(client, "tess")
    found = client.get("/api/trainer/inbox", params={"source": "flagged", "state": "all"},
                       headers=tess)  # fmt: skip
    assert found.status_code == 200, found.text
    inbox = found.json()
    assert inbox["sources"]["flagged"] == 1 and inbox["messages"] == 1
    (group,) = inbox["groups"]
    assert (group["representative"], group["sources"]) == (SAID, {"flagged": 1})
    (text,) = group["texts"]
    assert (text["sources"], text["intent"], text["confidence"]) == ({"flagged": 1}, None, None)


def test_the_schema_lists_the_flag_operations(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    flag = paths["/api/conversations/{conversation_id}/messages/{message_id}/flag"]
    assert set(flag) == {"put", "delete"}
    for operation in flag.values():
        assert operation["tags"] == ["flags"]
        assert {"200", "400", "401", "403", "404", "422"} <= set(operation["responses"])
    assert {"200", "401", "403", "404", "422"} <= set(
        paths["/api/conversations/{conversation_id}/flags"]["get"]["responses"]
    )
