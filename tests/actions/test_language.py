"""action_validate_slot_mappings on the trackers Rasa sends: the message's metadata carries the
widget's language, and each turn's slot changes are kept for the next, as Rasa keeps them."""

from __future__ import annotations

from typing import Any

import pytest
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import Event, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker, EventVerbosity
from rasa_sdk import Tracker
from rasa_sdk.executor import ActionExecutor, CollectingDispatcher

from actions.language import SLOTS, ValidateSlotMappings
from tests.actions.conftest import ROOT, slot_events

ENGLISH = ["I want to talk to someone", "my bill is too high this month"]
FRENCH = ["je veux parler à quelqu'un", "ma facture est trop élevée ce mois-ci"]


@pytest.fixture(scope="module")
def rasa_domain() -> Domain:
    return Domain.load(ROOT / "domain.yml")


class Conversation:
    """One customer's messages, each handed to the action as Rasa hands it over."""

    def __init__(self, domain: Domain) -> None:
        self.domain = domain
        self.events: list[Event] = []

    def rasa_tracker(self) -> DialogueStateTracker:
        return DialogueStateTracker.from_events("conv-1", self.events, slots=self.domain.slots)

    def state(self, text: str, metadata: Any) -> dict[str, Any]:
        """The tracker Rasa sends to the action server after the customer's message `text`."""
        parse = {"intent": {"name": "inform", "confidence": 0.9}, "entities": [], "text": text}
        self.events.append(UserUttered(text, parse["intent"], [], parse, metadata=metadata))
        return self.rasa_tracker().current_state(EventVerbosity.AFTER_RESTART)

    def tracker(self, text: str, metadata: Any) -> Tracker:
        return Tracker.from_dict(self.state(text, metadata))

    async def say(self, text: str, widget: Any = None) -> dict[str, Any]:
        """The slots the action sets after `text`, sent from a widget in `widget`."""
        metadata = {"language": widget} if widget is not None else None
        events = await ValidateSlotMappings().run(
            CollectingDispatcher(), self.tracker(text, metadata), self.domain.as_dict()
        )
        self.events += [SlotSet(event["name"], event["value"]) for event in events]
        return slot_events(events)

    def slots(self) -> dict[str, Any]:
        return {name: self.rasa_tracker().get_slot(name) for name in SLOTS}


@pytest.fixture
def conversation(rasa_domain: Domain) -> Conversation:
    return Conversation(rasa_domain)


@pytest.mark.parametrize("language", ["en", "fr"])
async def test_the_widget_language_is_set_on_the_first_message(
    conversation: Conversation, language: str
) -> None:
    assert await conversation.say("ok", widget=language) == {
        "language": language,
        "language_source": "widget",
    }
    assert await conversation.say("ORD-100001", widget=language) == {}, "nothing changes again"


async def test_a_french_widget_user_who_writes_english_twice_gets_english(
    conversation: Conversation,
) -> None:
    await conversation.say("bonjour", widget="fr")
    assert await conversation.say(ENGLISH[0], widget="fr") == {"language_pending": "en"}
    assert await conversation.say("ok", widget="fr") == {}
    assert await conversation.say(ENGLISH[1], widget="fr") == {
        "language": "en",
        "language_source": "detected",
        "language_pending": None,
    }
    assert await conversation.say("merci beaucoup", widget="fr") == {}
    assert conversation.slots() == {
        "language": "en", "language_source": "detected", "language_pending": None,
    }  # fmt: skip


async def test_a_message_in_the_current_language_clears_the_pending_one(
    conversation: Conversation,
) -> None:
    await conversation.say(ENGLISH[0], widget="fr")
    assert conversation.slots()["language_pending"] == "en"
    assert await conversation.say(FRENCH[0], widget="fr") == {"language_pending": None}
    assert await conversation.say(ENGLISH[1], widget="fr") == {"language_pending": "en"}
    assert conversation.slots()["language"] == "fr"


async def test_without_a_widget_language_the_customers_words_decide(
    conversation: Conversation,
) -> None:
    assert await conversation.say("ORD-100001") == {}
    assert await conversation.say("/affirm") == {}
    assert conversation.slots()["language"] is None, "responses default to English"
    assert await conversation.say(FRENCH[1]) == {"language": "fr", "language_source": "detected"}


async def test_a_language_set_from_the_crm_is_kept(conversation: Conversation) -> None:
    conversation.events += [SlotSet("language", "fr"), SlotSet("language_source", "customer")]
    assert await conversation.say("ok", widget="en") == {}
    assert await conversation.say(FRENCH[0], widget="en") == {}
    assert conversation.slots()["language_source"] == "customer"


@pytest.mark.parametrize("metadata", [None, {}, {"language": "de"}, {"language": 3}, "fr", ["fr"]])
async def test_metadata_without_a_language_we_speak_is_ignored(
    conversation: Conversation, metadata: Any
) -> None:
    tracker = conversation.tracker("ok", metadata)
    domain = conversation.domain.as_dict()
    assert await ValidateSlotMappings().run(CollectingDispatcher(), tracker, domain) == []


async def test_the_action_server_runs_it_from_the_actions_package(
    conversation: Conversation,
) -> None:
    executor = ActionExecutor()
    executor.register_package("actions")
    call = {
        "next_action": "action_validate_slot_mappings",
        "sender_id": "conv-1",
        "tracker": conversation.state(FRENCH[0], {"language": "en"}),
        "domain": conversation.domain.as_dict(),
        "version": "3.6.2",
    }
    answer = await executor.run(call)  # type: ignore[arg-type]
    assert answer is not None
    assert slot_events(answer["events"]) == {
        "language": "en", "language_source": "widget", "language_pending": "fr",
    }  # fmt: skip
    assert answer["responses"] == []
