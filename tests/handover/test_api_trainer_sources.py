"""`GET /api/trainer/inbox` by reason and predicted intent (SQLite and PostgreSQL): Rasa's
events folded into fallbacks, out-of-scope answers and doubtful guesses, a contact queued for
a person after a miss, the counts per reason, each text's predicted intent, and bad filters
refused with a 422 that says why; `GET /api/trainer/inbox/conversations`: the conversations
around one of its texts."""

# Fixtures come from test_api_trainer and reports_gateway: arguments of those names are them.
# ruff: noqa: F811

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from rasa.shared.core.events import UserUttered
from sqlalchemy import insert
from sqlalchemy.engine import Engine

from handover.db import make_engine, session_factory, session_scope
from handover.models_reporting import ContactFact
from tests.handover.reports_gateway import events_engine, said_to_rasa  # noqa: F401
from tests.handover.test_api_trainer import client, inbox, project, tokens, url  # noqa: F401
from tests.reporting.test_bot_facts import answered, at, session, slot

RANKED = [{"name": "nlu_fallback", "confidence": 0.4}, {"name": "check_outage", "confidence": 0.3}]


def said(text: str, intent: str, minute: float, confidence: float, **parse: Any) -> UserUttered:
    return UserUttered(text, {"name": intent, "confidence": confidence}, [], parse_data=parse,
                       timestamp=at(minute), input_channel="socketio")  # fmt: skip


def history(url: str, events: Engine) -> None:
    """2 November: a fallback before a hand-over, an out-of-scope answer, doubtful guesses."""
    said_to_rasa(events, {
        "c1": [*session(60), slot("language", "en", 60),
               said("my box blinks weirdly", "nlu_fallback", 61, 0.4, intent_ranking=RANKED)],
        "c2": [*session(70), slot("language", "en", 70),
               said("what is the meaning of life", "out_of_scope", 71, 0.9),
               answered("utter_out_of_scope", 71.1),
               said("hm my bill maybe", "check_bill_balance", 72, 0.5),
               said("and my bill again", "check_bill_balance", 73, 0.55),
               said("show me my bill", "check_bill_balance", 74, 0.99)],
    })  # fmt: skip
    queued = {"conversation_id": "c1", "episode": 1, "channel": "socketio", "first_at": at(60),
              "last_at": at(65), "queued_at": at(62)}  # fmt: skip
    with session_scope(session_factory(make_engine(url))) as db:
        db.execute(insert(ContactFact), [queued])


def test_the_inbox_by_reason_and_by_predicted_intent(
    client: TestClient, tokens: dict[str, dict[str, str]], events_engine: Engine, url: str
) -> None:
    tess = tokens["tess"]
    history(url, events_engine)

    found = inbox(client, tess, state="all")
    assert found["messages"] == 4
    assert found["sources"] == {"fallback": 1, "low_confidence": 2, "out_of_scope": 1,
                                "handover_after_miss": 1, "low_rating": 0, "flagged": 0}  # fmt: skip
    assert found["intents"] == [
        {"intent": "check_bill_balance", "count": 2}, {"intent": "check_outage", "count": 1},
        {"intent": "out_of_scope", "count": 1},
    ]  # fmt: skip
    texts = {t["text"]: t for g in found["groups"] for t in g["texts"]}
    assert set(texts) == {"my box blinks weirdly", "what is the meaning of life",
                          "hm my bill maybe", "and my bill again"}  # fmt: skip
    box = texts["my box blinks weirdly"]
    assert (box["sources"], box["intent"], box["confidence"]) == (
        {"fallback": 1, "handover_after_miss": 1}, "check_outage", 0.3,
    )  # fmt: skip
    assert texts["hm my bill maybe"]["sources"] == {"low_confidence": 1}
    for group in found["groups"]:
        assert sum(group["sources"].values()) >= group["count"]

    doubtful = inbox(client, tess, state="all", source="low_confidence")
    assert doubtful["messages"] == 2 and doubtful["sources"] == found["sources"]
    assert doubtful["intents"] == [{"intent": "check_bill_balance", "count": 2}]
    assert {t["text"] for g in doubtful["groups"] for t in g["texts"]} == {
        "hm my bill maybe", "and my bill again",
    }  # fmt: skip

    answer = client.get("/api/trainer/inbox", headers=tess, params=[
        ("start", "2026-11-01T00:00:00+00:00"), ("end", "2026-11-08T00:00:00+00:00"),
        ("state", "all"), ("source", "out_of_scope"), ("source", "handover_after_miss"),
    ])  # fmt: skip
    both = answer.json()
    assert {t["text"] for g in both["groups"] for t in g["texts"]} == {
        "my box blinks weirdly", "what is the meaning of life",
    }  # fmt: skip
    by_intent = inbox(client, tess, state="all", intent="check_outage")
    assert [t["text"] for g in by_intent["groups"] for t in g["texts"]] == ["my box blinks weirdly"]
    assert inbox(client, tess, state="all", intent="change_plan")["groups"] == []


def test_bad_filters_are_refused_with_the_reason(
    client: TestClient, tokens: dict[str, dict[str, str]]
) -> None:
    for params in ({"source": "rumour"}, {"source": ""}, {"intent": "Check Bill"},
                   {"intent": "x" * 130}, {"intent": "check\u0000bill"}):  # fmt: skip
        answer = client.get("/api/trainer/inbox", params=params, headers=tokens["tess"])
        assert answer.status_code == 422, (params, answer.text)
        (problem,) = answer.json()["detail"]
        assert problem["loc"][:2] == ["query", next(iter(params))], problem


def test_the_conversations_around_a_text_of_the_inbox(
    client: TestClient, tokens: dict[str, dict[str, str]], events_engine: Engine, url: str
) -> None:
    history(url, events_engine)
    text = next(
        t for g in inbox(client, tokens["tess"], state="all")["groups"] for t in g["texts"]
        if t["text"] == "what is the meaning of life"
    )  # fmt: skip
    params = {"start": "2026-11-01T00:00:00+00:00", "end": "2026-11-08T00:00:00+00:00",
              "key": text["key"], "text_language": text["language"]}  # fmt: skip

    answer = client.get("/api/trainer/inbox/conversations", params=params, headers=tokens["adam"])

    assert answer.status_code == 200, answer.text
    found = answer.json()
    assert (found["messages"], found["conversations"]) == (1, 1)
    (excerpt,) = found["excerpts"]
    assert (excerpt["origin"], excerpt["language"], excerpt["sources"]) == (
        "rasa", "en", ["out_of_scope"],
    )  # fmt: skip
    assert [(line["speaker"], line["text"], line["inbox"]) for line in excerpt["lines"]] == [
        ("customer", "what is the meaning of life", True),
        ("bot", "(utter_out_of_scope)", False),
        ("customer", "hm my bill maybe", False),
        ("customer", "and my bill again", False),
        ("customer", "show me my bill", False),
    ]  # fmt: skip
    assert excerpt["lines"][2]["intent"] == "check_bill_balance"
    assert (excerpt["earlier"], excerpt["later"]) == (False, False)
    assert "c2" not in answer.text  # the conversation is not named

    # Another reason, another period, a key the inbox does not have: no conversation.
    for other in ({"source": "low_rating"}, {"start": "2026-11-05T00:00:00+00:00"},
                  {"key": "c2"}, {"text_language": "fr"}):  # fmt: skip
        empty = client.get("/api/trainer/inbox/conversations", params={**params, **other},
                           headers=tokens["tess"]).json()  # fmt: skip
        assert empty == {"messages": 0, "conversations": 0, "excerpts": []}, other


def test_bad_questions_about_conversations_are_refused_with_the_reason(
    client: TestClient, tokens: dict[str, dict[str, str]]
) -> None:
    week = {"start": "2026-11-01T00:00:00+00:00", "end": "2026-11-08T00:00:00+00:00"}
    for params, where in (({}, "key"), ({"key": ""}, "key"), ({"key": "x" * 513}, "key"),
                          ({"key": "a", "limit": 0}, "limit"), ({"key": "a", "limit": 11}, "limit"),
                          ({"key": "a", "text_language": "x" * 17}, "text_language"),
                          ({"key": "a", "source": "rumour"}, "source"),
                          ({"key": "a", "end": "2026-10-01T00:00:00+00:00"}, "end")):  # fmt: skip
        answer = client.get("/api/trainer/inbox/conversations", params={**week, **params},
                            headers=tokens["tess"])  # fmt: skip
        assert answer.status_code == 422, (params, answer.text)
        assert answer.json()["detail"][0]["loc"][:2] == ["query", where], answer.text
    # Control characters: no folded key has one.
    for raw in ("key=a%00b", "key=a%1bb", "key=a%7f"):
        answer = client.get(f"/api/trainer/inbox/conversations?{raw}", headers=tokens["tess"])
        assert answer.status_code == 422, (raw, answer.status_code, answer.text)
        assert answer.json()["detail"][0]["loc"] == ["query", "key"], answer.text
    # Bytes that are not UTF-8 (a lone surrogate's encoding among them) reach the route as
    # U+FFFD (Starlette decodes the query so): a key no text has.
    for raw in ("key=%ff%fe", "key=%ed%a0%80"):
        answer = client.get(f"/api/trainer/inbox/conversations?{raw}", headers=tokens["tess"])
        assert answer.json() == {"messages": 0, "conversations": 0, "excerpts": []}, raw
