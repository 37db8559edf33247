"""Agent assist: the bot's answer to the customer's latest message, offered to the agent who
has the conversation, from the NLU's reading of it and the bot's domain (Rasa faked here)."""

# The fixture `database` comes from test_api: arguments of that name are it.
# ruff: noqa: F811

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import pytest
import yaml
from fastapi.testclient import TestClient
from sqlalchemy import update

from handover import crud
from handover.config import HandoverSettings
from handover.db import make_engine, session_factory, session_scope
from handover.main import create_app
from handover.models import Conversation
from handover.rasa import RasaClient, RasaUnavailable
from handover.suggest import DOMAIN_FILE, Suggester
from tests.handover.test_api import database, login, queue_billing_chat  # noqa: F401

CHAT = "/api/conversations/chat-for-gene"
SUGGESTION = CHAT + "/suggestion"
DOMAIN = yaml.safe_load(DOMAIN_FILE.read_text(encoding="utf-8"))


def domain_text(response: str, language: str) -> str:
    """The response's text in the language, read here independently of handover.suggest."""
    for variation in DOMAIN["responses"][response]:
        condition = variation.get("condition")
        if language == "fr" and condition == [{"type": "slot", "name": "language", "value": "fr"}]:
            return str(variation["text"])
        if language == "en" and not condition:
            return str(variation["text"])
    raise AssertionError(f"{response} has no {language} text")


def faq(topic: str, confidence: float = 0.93) -> dict[str, Any]:
    """A parse result as Rasa 3.6 gives it for an FAQ (response_selector.faq.response)."""
    key = f"faq/{topic}"
    return {
        "text": "redacted in this fake",
        "intent": {"name": "faq", "confidence": confidence},
        "entities": [],
        "response_selector": {
            "all_retrieval_intents": ["faq"],
            "faq": {
                "response": {
                    "responses": [{"text": "what the model was trained with"}],
                    "confidence": 0.88,
                    "intent_response_key": key,
                    "utter_action": f"utter_{key}",
                },
                "ranking": [],
            },
        },
    }


def intent(name: str, confidence: float) -> dict[str, Any]:
    return {"text": "x", "intent": {"name": name, "confidence": confidence}, "entities": []}


class ParsingRasa(RasaClient):
    """Answers `parse` with `result`, or raises `failure`; records the texts it was given."""

    def __init__(self) -> None:
        super().__init__("http://127.0.0.1:9", token="unused", timeout=1)
        self.result: dict[str, Any] = faq("opening_hours")
        self.failure: BaseException | None = None
        self.parsed: list[str] = []

    async def parse(self, text: str) -> dict[str, Any]:
        self.parsed.append(text)
        if self.failure is not None:
            raise self.failure
        return self.result


@pytest.fixture
def rasa() -> ParsingRasa:
    return ParsingRasa()


@pytest.fixture
def client(database: str, rasa: ParsingRasa) -> Iterator[TestClient]:
    settings = HandoverSettings(database_url=database, rasa_url="http://127.0.0.1:9")
    app = create_app(settings)
    app.other_asgi_app.state.hub.rasa = rasa
    with TestClient(app) as running:
        yield running


def customer_says(database: str, text: str, language: str | None = None) -> None:
    with session_scope(session_factory(make_engine(database))) as session:
        crud.add_message(session, conversation_id="chat-for-gene", sender="user", text=text)
        if language:
            session.execute(
                update(Conversation)
                .where(Conversation.id == "chat-for-gene")
                .values(language=language)
            )


def accepted_by_gene(client: TestClient) -> dict[str, str]:
    gene = login(client, "gene")
    queue_billing_chat(client)
    client.post(CHAT + "/accept", headers=gene).raise_for_status()
    return gene


def test_an_faq_gets_the_bots_english_answer_for_the_latest_message(
    client: TestClient, database: str, rasa: ParsingRasa
) -> None:
    gene = accepted_by_gene(client)
    customer_says(database, "hello")
    customer_says(database, "when are you open on saturdays")

    answer = client.get(SUGGESTION, headers=gene)

    assert answer.status_code == 200
    body = answer.json()
    assert body["intent"] == "faq/opening_hours"
    assert body["confidence"] == 0.93
    assert body["language"] == "en"
    assert body["text"] == domain_text("utter_faq/opening_hours", "en")
    assert rasa.parsed == ["when are you open on saturdays"]  # the latest message only
    transcript = client.get(CHAT, headers=gene).json()["transcript"]
    assert isinstance(body["for_message_id"], int)
    assert transcript[-1]["text"] == "when are you open on saturdays"


def test_the_customers_latest_message_is_found_behind_many_agent_lines(
    client: TestClient, database: str, rasa: ParsingRasa
) -> None:
    gene = accepted_by_gene(client)
    customer_says(database, "when are you open on saturdays")
    with session_scope(session_factory(make_engine(database))) as session:
        for n in range(60):
            crud.add_message(
                session, conversation_id="chat-for-gene", sender="agent", text=f"line {n}"
            )

    assert client.get(SUGGESTION, headers=gene).status_code == 200
    assert rasa.parsed == ["when are you open on saturdays"]


def test_a_french_conversation_gets_the_french_answer(
    client: TestClient, database: str, rasa: ParsingRasa
) -> None:
    gene = accepted_by_gene(client)
    customer_says(database, "quels sont vos horaires", language="fr")
    rasa.result = faq("roaming")

    body = client.get(SUGGESTION, headers=gene).json()

    assert (body["intent"], body["language"]) == ("faq/roaming", "fr")
    assert body["text"] == domain_text("utter_faq/roaming", "fr")
    assert body["text"] != domain_text("utter_faq/roaming", "en")


@pytest.mark.parametrize(
    ("name", "response"),
    [
        ("track_order", "utter_ask_order_number"),
        ("check_bill_balance", "utter_ask_account_number"),
        ("check_outage", "utter_ask_postcode"),
    ],  # fmt: skip
)
def test_a_request_the_bot_handles_gets_its_first_question(
    client: TestClient, database: str, rasa: ParsingRasa, name: str, response: str
) -> None:
    gene = accepted_by_gene(client)
    customer_says(database, "where is my parcel")
    rasa.result = intent(name, 0.81)

    body = client.get(SUGGESTION, headers=gene).json()

    assert (body["intent"], body["text"]) == (name, domain_text(response, "en"))


@pytest.mark.parametrize(
    "parsed",
    [
        faq("opening_hours", confidence=0.59),  # under the 0.6 setting
        intent("track_order", 0.3),
        intent("nlu_fallback", 0.95),
        intent("out_of_scope", 0.99),
        intent("greet", 0.99),  # the bot answers it, but nothing worth an agent's reply
        {"intent": {"name": "faq", "confidence": 0.9}},  # no ResponseSelector pick
        {"intent": None, "entities": []},
    ],
)
def test_nothing_is_suggested_when_the_nlu_is_unsure_or_falls_back(
    client: TestClient, database: str, rasa: ParsingRasa, parsed: dict[str, Any]
) -> None:
    gene = accepted_by_gene(client)
    customer_says(database, "hmm")
    rasa.result = parsed

    answer = client.get(SUGGESTION, headers=gene)

    assert (answer.status_code, answer.content) == (204, b"")


def test_no_customer_message_yet_is_nothing_to_suggest(
    client: TestClient, rasa: ParsingRasa
) -> None:
    gene = accepted_by_gene(client)

    assert client.get(SUGGESTION, headers=gene).status_code == 204
    assert rasa.parsed == []


def test_the_confidence_threshold_is_a_setting(database: str, rasa: ParsingRasa) -> None:
    settings = HandoverSettings(
        database_url=database, rasa_url="http://127.0.0.1:9", suggestion_min_confidence=0.95
    )
    app = create_app(settings)
    app.other_asgi_app.state.hub.rasa = rasa
    with TestClient(app) as client:
        gene = accepted_by_gene(client)
        customer_says(database, "when are you open")
        assert client.get(SUGGESTION, headers=gene).status_code == 204
        rasa.result = faq("opening_hours", confidence=0.97)
        assert client.get(SUGGESTION, headers=gene).status_code == 200


def test_rasa_down_is_a_503_that_does_not_log_the_customers_text(
    client: TestClient, database: str, rasa: ParsingRasa, caplog: pytest.LogCaptureFixture
) -> None:
    gene = accepted_by_gene(client)
    customer_says(database, "my secret question about opening hours")
    rasa.failure = RasaUnavailable("POST /model/parse: ClientConnectorError")

    with caplog.at_level(logging.DEBUG):
        answer = client.get(SUGGESTION, headers=gene)

    assert answer.status_code == 503
    assert answer.json() == {"detail": "the assistant is unavailable"}
    assert "secret question" not in caplog.text


def test_a_real_rasa_client_that_cannot_connect_is_a_503(database: str) -> None:
    settings = HandoverSettings(database_url=database, rasa_url="http://127.0.0.1:9")
    with TestClient(create_app(settings)) as client:  # nothing listens on port 9
        gene = accepted_by_gene(client)
        customer_says(database, "when are you open")
        assert client.get(SUGGESTION, headers=gene).status_code == 503


def test_only_the_agent_the_chat_is_assigned_to_gets_suggestions(
    client: TestClient, database: str, rasa: ParsingRasa
) -> None:
    with session_scope(session_factory(make_engine(database))) as session:
        crud.create_agent(
            session, username="sue", password="long-enough-1", skills=[], capacity=2,
            role="supervisor",
        )  # fmt: skip
    orla, sue = login(client, "orla"), login(client, "sue")
    queue_billing_chat(client)
    customer_says(database, "when are you open")
    # Queued: nobody has it yet, so nobody gets a suggestion, the supervisor included.
    assert client.get(SUGGESTION, headers=sue).status_code == 409
    gene = login(client, "gene")
    client.post(CHAT + "/accept", headers=gene).raise_for_status()

    assert client.get(SUGGESTION).status_code == 401
    assert client.get(SUGGESTION, headers={"Authorization": "Bearer nonsense"}).status_code == 401
    assert client.get(SUGGESTION, headers=orla).status_code == 403  # may not even read it
    assert client.get(SUGGESTION, headers=sue).json() == {"detail": "the conversation is not yours"}
    assert client.get(SUGGESTION, headers=gene).status_code == 200
    assert rasa.parsed == ["when are you open"]  # nobody refused made Rasa work


def test_unknown_and_bad_ids_answer_as_the_other_routes_do(client: TestClient) -> None:
    orla = login(client, "orla")
    unknown = client.get("/api/conversations/no-such-chat/suggestion", headers=orla)
    other = client.get("/api/conversations/no-such-chat", headers=orla)
    assert (unknown.status_code, unknown.json()) == (other.status_code, other.json()) == (
        403, {"detail": "not a conversation you may see"},
    )  # fmt: skip
    for raw in ("%20", "a%0Ab", "x" * 129):
        answer = client.get(f"/api/conversations/{raw}/suggestion", headers=orla)
        assert answer.status_code == 422, raw
        assert answer.json()["detail"][0]["loc"] == ["path", "conversation_id"]


def test_the_domain_offers_every_faq_in_both_languages() -> None:
    suggester = Suggester.from_domain(min_confidence=0.6)
    topics = [name for name in DOMAIN["responses"] if name.startswith("utter_faq/")]
    assert len(topics) >= 10
    for name in topics:
        english, french = suggester.text(name, "en"), suggester.text(name, "fr")
        assert english == domain_text(name, "en") and french == domain_text(name, "fr"), name
        assert english != french, name
    # A language the domain lacks falls back to English.
    assert suggester.text("utter_faq/roaming", "de") == domain_text("utter_faq/roaming", "en")


def test_a_domain_without_a_mapped_response_is_refused_at_start() -> None:
    with pytest.raises(ValueError, match="utter_ask_postcode"):
        Suggester({"utter_ask_account_number": {"en": "a"}, "utter_ask_order_number": {"en": "b"}},
                  min_confidence=0.6)  # fmt: skip
