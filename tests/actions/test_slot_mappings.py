"""The domain's slot mappings, run by Rasa's own slot extraction on the messages customers send."""

from __future__ import annotations

from typing import Any

import pytest
from rasa.core.actions.action import ActionExtractSlots
from rasa.core.channels import CollectingOutputChannel
from rasa.core.nlg import TemplatedNaturalLanguageGenerator
from rasa.shared.core.events import ActionExecuted, ActiveLoop, Event, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.core.training_data.story_reader.yaml_story_reader import YAMLStoryReader
from rasa.shared.nlu.training_data.message import Message
from rasa_sdk.executor import CollectingDispatcher

from actions.forms import ValidateBillForm
from actions.verification import NO_ACCOUNT_NUMBER
from tests import factories as f
from tests.actions.conftest import make_tracker, rasa_domain, render, slot_events


def typed(text: str, intent: str = "inform", **entities: str) -> UserUttered:
    """A typed message, as the NLU parsed it."""
    found = [{"entity": name, "value": value} for name, value in entities.items()]
    return UserUttered(text, intent={"name": intent, "confidence": 0.9}, entities=found)


def clicked(payload: str) -> UserUttered:
    """A button's payload, as Rasa reads a message starting with "/" (without the NLU)."""
    parsed = YAMLStoryReader.unpack_regex_message(Message(data={"text": payload}), rasa_domain())
    assert parsed.get("intent"), f"{payload} is not read as an intent"
    return UserUttered(payload, intent=parsed.get("intent"), entities=parsed.get("entities"))


async def extracted(
    message: UserUttered, *, loop: str | None = None, asking: str | None = None
) -> dict[str, Any]:
    """The slots Rasa fills from `message`, while `loop` asks for `asking` (or outside forms)."""
    domain = rasa_domain()
    events: list[Event] = [ActionExecuted("action_listen")]
    if loop:
        events += [ActiveLoop(loop), SlotSet("requested_slot", asking)]
    tracker = DialogueStateTracker.from_events("mappings", [*events, message], slots=domain.slots)
    nlg = TemplatedNaturalLanguageGenerator(domain.responses)
    # No action server: the language slots' custom mapping fills nothing, the rest is Rasa's.
    found = await ActionExtractSlots(None).run(CollectingOutputChannel(), nlg, tracker, domain)
    return {event.key: event.value for event in found if isinstance(event, SlotSet)}


def method_buttons(language: str) -> list[dict[str, str]]:
    return render({"response": "utter_ask_verification_method"}, language)["buttons"]


@pytest.mark.parametrize("language", ["en", "fr"])
async def test_the_method_buttons_fill_the_method_whatever_the_language(language: str) -> None:
    buttons = method_buttons(language)
    assert all(button["payload"].startswith("/") for button in buttons), "no words to detect"
    filled = [
        await extracted(clicked(b["payload"]), loop="bill_form", asking="verification_method")
        for b in buttons
    ]
    assert filled == [{"verification_method": "dob"}, {"verification_method": "otp"}]


@pytest.mark.parametrize("language", ["en", "fr"])
async def test_a_clicked_method_goes_on_to_its_proof(http, domain, language: str) -> None:
    sent = http.post(
        f"{f.CRM}/identity/otp",
        json={"otp_id": "otp-1", "sent_to": "+44 7*** ***123", "expires_in_seconds": 300},
    )
    asked = []
    for button in method_buttons(language):
        message = clicked(button["payload"])
        filled = await extracted(message, loop="bill_form", asking="verification_method")
        tracker = make_tracker(
            {"account_number": "30000001", "language": language},
            text=button["payload"],
            candidates=filled,
        )
        events = await ValidateBillForm().run(CollectingDispatcher(), tracker, domain)
        asked.append(slot_events(events)["requested_slot"])
    assert asked == ["date_of_birth", "otp_code"]
    assert sent.last_request.json() == {"account_number": "30000001", "channel": "sms"}


@pytest.mark.parametrize("text", ["date of birth", "send me a code", "par texto"])
async def test_a_typed_method_is_read_from_the_text(text: str) -> None:
    slots = await extracted(typed(text), loop="password_form", asking="verification_method")
    assert slots == {"verification_method": text}


async def test_a_method_button_clicked_outside_any_form_fills_nothing() -> None:
    assert await extracted(clicked(method_buttons("en")[0]["payload"])) == {}


@pytest.mark.parametrize(
    "message, expected",
    [
        (typed("I don't know it", "deny"), NO_ACCOUNT_NUMBER),
        (typed("je ne l'ai pas", "deny"), NO_ACCOUNT_NUMBER),
        (typed("no, it's 30000001", "deny", account_number="30000001"), "30000001"),
        (typed("I forgot my account number", "reset_password"), "I forgot my account number"),
    ],
)
async def test_an_account_number_or_the_lack_of_one(message: UserUttered, expected: str) -> None:
    slots = await extracted(message, loop="bill_form", asking="account_number")
    assert slots == {"account_number": expected}


async def test_a_delivery_postcode_is_not_taken_for_an_outage_postcode() -> None:
    message = typed("BS7 8AE", postcode="BS7 8AE")
    slots = await extracted(message, loop="order_form", asking="delivery_postcode")
    assert slots == {"delivery_postcode": "BS7 8AE"}


@pytest.mark.parametrize(
    "message",
    [typed("and at SW9 1AB?", "nlu_fallback", postcode="SW9 1AB"),
     typed("et à SW9 1AB ?", postcode="SW9 1AB")],
)  # fmt: skip
async def test_a_postcode_named_outside_any_form_is_the_one_to_check(message) -> None:
    assert await extracted(message) == {"postcode": "SW9 1AB"}


async def test_the_outage_form_reads_the_postcode_it_asks_for() -> None:
    slots = await extracted(typed("sw9 1ab please"), loop="outage_form", asking="postcode")
    assert slots == {"postcode": "sw9 1ab please"}
