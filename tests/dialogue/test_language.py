"""The language slots, decided in the Rasa process (dialogue/language.py), through Rasa's own
`action_extract_slots` on a real tracker: the message's metadata carries the widget's language,
and each turn's slot changes are kept for the next. No action server is configured: a call to
one would fail and set nothing."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from rasa.core.actions.action import ActionExtractSlots
from rasa.core.channels import CollectingOutputChannel
from rasa.core.nlg import TemplatedNaturalLanguageGenerator
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import Event, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from dialogue import language
from dialogue.language import SLOTS
from nlu import language as nlu_language
from tests.actions.conftest import ROOT

ENGLISH = ["I want to talk to someone", "my bill is too high this month"]
FRENCH = ["je veux parler à quelqu'un", "ma facture est trop élevée ce mois-ci"]


@pytest.fixture(scope="module")
def rasa_domain() -> Domain:
    return Domain.load(ROOT / "domain.yml")


@pytest.fixture(autouse=True)
def decided_in_rasa() -> Iterator[None]:
    original = ActionExtractSlots._execute_validation_action
    language.install()
    yield
    ActionExtractSlots._execute_validation_action = original  # type: ignore[method-assign]


class Conversation:
    """One customer's messages, each followed by Rasa's `action_extract_slots`."""

    def __init__(self, domain: Domain) -> None:
        self.domain = domain
        self.tracker = DialogueStateTracker.from_events("conv-1", [], slots=domain.slots)

    def add(self, *events: Event) -> None:
        for event in events:
            self.tracker.update(event)

    async def extract(
        self, text: str, metadata: Any, entities: list[dict[str, Any]] | None = None
    ) -> list[Event]:
        """The events `action_extract_slots` returns after the customer's message `text`."""
        intent = {"name": "inform", "confidence": 0.9}
        parse = {"intent": intent, "entities": entities or [], "text": text}
        self.add(UserUttered(text, intent, entities or [], parse, metadata=metadata))
        action = ActionExtractSlots(action_endpoint=None)
        nlg = TemplatedNaturalLanguageGenerator(self.domain.responses)
        return await action.run(CollectingOutputChannel(), nlg, self.tracker, self.domain)

    async def say(self, text: str, widget: Any = None) -> dict[str, Any]:
        """The language slots set after `text`, sent from a widget in `widget`."""
        metadata = {"language": widget} if widget is not None else None
        events = await self.extract(text, metadata)
        self.add(*events)
        return {e.key: e.value for e in events if isinstance(e, SlotSet) and e.key in SLOTS}

    def slots(self) -> dict[str, Any]:
        return {name: self.tracker.get_slot(name) for name in SLOTS}


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
    conversation.add(SlotSet("language", "fr"), SlotSet("language_source", "customer"))
    assert await conversation.say("ok", widget="en") == {}
    assert await conversation.say(FRENCH[0], widget="en") == {}
    assert conversation.slots()["language_source"] == "customer"


@pytest.mark.parametrize("metadata", [None, {}, {"language": "de"}, {"language": 3}, "fr", ["fr"]])
async def test_metadata_without_a_language_we_speak_is_ignored(
    conversation: Conversation, metadata: Any
) -> None:
    assert await conversation.extract("ok", metadata) == []


async def test_slots_of_the_predefined_mappings_are_kept_beside_the_language(
    conversation: Conversation,
) -> None:
    text = "où en est ma commande ORD-100001"
    order = {"entity": "order_number", "value": "ORD-100001", "start": 21, "end": 31}
    events = await conversation.extract(text, {"language": "en"}, [order])
    slots = {e.key: e.value for e in events if isinstance(e, SlotSet)}
    assert slots == {
        "language": "en", "language_source": "widget", "language_pending": "fr",
        "order_number": "ORD-100001",
    }  # fmt: skip


async def test_without_the_validation_action_in_the_domain_nothing_is_decided(
    rasa_domain: Domain,
) -> None:
    data = rasa_domain.as_dict()
    data["actions"] = [a for a in data["actions"] if a != "action_validate_slot_mappings"]
    conversation = Conversation(Domain.from_dict(data))
    assert await conversation.say(FRENCH[1], widget="fr") == {}


def test_rasa_loads_the_detector_when_the_decision_is_installed() -> None:
    nlu_language.detector.cache_clear()
    language.install()
    # Built at Rasa's start, when it builds the tracker store: the first message finds it ready.
    assert nlu_language.detector.cache_info().currsize == 1
