"""The response selector runs on the messages of its retrieval intent only."""

from __future__ import annotations

from typing import Any

import pytest
from rasa.nlu.selectors.response_selector import ResponseSelector
from rasa.shared.nlu.constants import INTENT, TEXT
from rasa.shared.nlu.training_data.message import Message

from nlu.faq_selector import FaqResponseSelector


def selector(retrieval_intent: str | None) -> FaqResponseSelector:
    made = FaqResponseSelector.__new__(FaqResponseSelector)  # no model: Rasa's part is spied on
    made.retrieval_intent = retrieval_intent
    return made


def message(text: str, intent: str | None) -> Message:
    made = Message(data={TEXT: text})
    if intent is not None:
        made.set(INTENT, {"name": intent, "confidence": 0.9}, add_to_output=True)
    return made


@pytest.fixture
def selected(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    seen: list[str] = []

    def process(self: Any, messages: list[Message]) -> list[Message]:
        seen.extend(m.get(TEXT) for m in messages)
        for m in messages:
            m.set("response_selector", {"faq": {"picked": True}}, add_to_output=True)
        return messages

    monkeypatch.setattr(ResponseSelector, "process", process)
    return seen


def test_only_messages_of_the_retrieval_intent_are_selected_for(selected: list[str]) -> None:
    messages = [
        message("what are your opening hours", "faq"),
        message("track my order", "track_order"),
        message("hi", "greet"),
        message("no intent yet", None),
    ]

    out = selector("faq").process(messages)

    assert out == messages
    assert selected == ["what are your opening hours"]
    assert messages[0].get("response_selector") == {"faq": {"picked": True}}
    assert all(m.get("response_selector") is None for m in messages[1:])


def test_a_selector_for_every_retrieval_intent_selects_for_every_message(
    selected: list[str],
) -> None:
    selector(None).process([message("hi", "greet"), message("opening hours", "faq")])

    assert selected == ["hi", "opening hours"]


def test_nothing_to_select_for_does_not_call_the_model(selected: list[str]) -> None:
    selector("faq").process([message("hi", "greet")])

    assert selected == []
