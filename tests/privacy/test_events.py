"""Tracker events without personal data, and the ticket transcript built from them."""

import json
from pathlib import Path

from rasa.core.actions.action import RemoteAction
from rasa.core.channels import CollectingOutputChannel
from rasa.core.nlg import TemplatedNaturalLanguageGenerator
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import BotUttered, Event, SlotSet
from rasa.shared.core.trackers import DialogueStateTracker
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy.orm import sessionmaker

from actions.transcript import transcript
from privacy import erasure, trackers
from privacy.events import redact_event, redact_events
from privacy.tracker_store import RedactingTrackerStore
from tests.actions.conftest import make_tracker, user_event


def _slot(name: str, value: object, at: float = 2) -> dict:
    return {"event": "slot", "name": name, "value": value, "timestamp": at}


def _bot(text: str) -> dict:
    return {"event": "bot", "text": text, "timestamp": 3}


def _user(text: str, entities: list[dict] | None = None) -> dict:
    event = user_event(text)
    event["parse_data"]["entities"] = entities or []
    return event


VERIFICATION = [
    _user("how much do I owe", [{"entity": "account_number", "value": "30000001"}]),
    _slot("requested_slot", "verification_method"),
    _bot("How would you like to confirm your identity?"),
    _user("email me at jane.doe@example.com"),
    _slot("verification_method", "email me at jane.doe@example.com"),
    _slot("requested_slot", "date_of_birth"),
    _bot("What's your date of birth? (for example 14/03/1985)"),
    _user("fourteenth of march eighty-five", [{"entity": "date", "value": "14 march 85"}]),
    _slot("date_of_birth", "fourteenth of march eighty-five"),
    _slot("otp_code", "123456"),
    _slot("otp_id", "OTP-000001"),
    _slot("postcode", "M14 6NQ"),
    _slot("account_number", "30000001"),
    {"event": "active_loop", "name": None, "timestamp": 4},
    _user("thanks, my card is 4111 1111 1111 1111"),
]


def test_user_text_entities_and_secret_slots_are_redacted() -> None:
    events = redact_events(VERIFICATION)
    texts = [e.get("text") for e in events if e["event"] in ("user", "bot")]
    assert texts == [
        "how much do I owe",
        "How would you like to confirm your identity?",
        "email me at [email]",
        "What's your date of birth? (for example [date of birth])",
        "[date of birth]",  # the answer to the question, whatever its form
        "thanks, my card is [card]",
    ]
    answer = events[7]
    assert answer["parse_data"]["text"] == "[date of birth]"
    assert answer["parse_data"]["entities"][0]["value"] == "[date of birth]"
    slots = {e["name"]: e["value"] for e in events if e["event"] == "slot"}
    assert slots["date_of_birth"] == "[date of birth]"
    assert slots["otp_code"] == "[code]"
    assert slots["verification_method"] == "email me at [email]"
    # Read back on the next turn: the code's challenge, the postcode and the account stay.
    assert slots["otp_id"] == "OTP-000001"
    assert slots["postcode"] == "M14 6NQ"
    assert slots["account_number"] == "30000001"
    assert events[0]["parse_data"]["entities"][0]["value"] == "30000001"


def test_the_input_events_are_not_changed() -> None:
    before = repr(VERIFICATION)
    redact_events(VERIFICATION)
    assert repr(VERIFICATION) == before


def test_wiped_slots_and_other_events_pass_unchanged() -> None:
    events = [_slot("date_of_birth", None), {"event": "action", "name": "action_listen"}]
    assert redact_events(events) == events


def test_ticket_transcripts_use_the_same_redaction() -> None:
    lines = transcript(make_tracker(events=VERIFICATION))
    text = " ".join(line["text"] for line in lines)
    assert "[date of birth]" in text and "[email]" in text and "[card]" in text
    for secret in ("1985", "march", "jane.doe", "4111"):
        assert secret not in text
    assert [line["sender"] for line in lines] == ["user", "bot", "user", "bot", "user", "user"]


# What an action passes to `utter_message(response=..., **values)`; Rasa keeps the values in the
# BotUttered event's metadata. Removed: contact details and postcodes, at any depth.
REMOVED = {
    "email": "jane.doe@example.com",
    "phone": "07700 900123",
    "postcode": "M14 6NQ",
}
# Kept, in the metadata as in the text: `privacy.redaction` keeps account and order numbers on
# purpose and does not look for names.
KEPT = {"name": "Jane", "account_number": "30000001", "order_number": "ORD-123456"}
NESTED = {
    "contact": {"phones": ["06 12 34 56 78", "+44 7700 900456"], "email": "j.doe@example.org"},
    "orders": [{"number": "ORD-654321", "count": 2, "paid": True, "total": 12.5, "due": None}],
}
NESTED_SECRETS = ("06 12 34 56 78", "7700 900456", "j.doe@example.org")


async def _bot_uttered() -> BotUttered:
    """The event that Rasa makes of an action's templated message (its `RemoteAction` path)."""
    dispatcher = CollectingDispatcher()
    dispatcher.utter_message(response="utter_details", **REMOVED, **KEPT, **NESTED)
    nlg = TemplatedNaturalLanguageGenerator(
        {"utter_details": [{"text": "Thanks {name}: {email}, {phone}, {postcode}."}]}
    )
    uttered = await RemoteAction._utter_responses(
        dispatcher.messages, CollectingOutputChannel(), nlg, DialogueStateTracker("jane", [])
    )
    assert len(uttered) == 1 and isinstance(uttered[0], BotUttered)
    return uttered[0]


async def test_the_template_values_in_bot_metadata_are_redacted() -> None:
    event = (await _bot_uttered()).as_dict()
    assert event["metadata"]["email"] == REMOVED["email"]  # where Rasa puts them

    clean = redact_event(event)
    metadata = clean["metadata"]
    assert clean["text"] == "Thanks Jane: [email], [phone], [postcode]."
    assert {key: metadata[key] for key in REMOVED} == {
        "email": "[email]",
        "phone": "[phone]",
        "postcode": "[postcode]",
    }
    assert metadata["contact"] == {"phones": ["[phone]", "[phone]"], "email": "[email]"}
    assert metadata["orders"] == [
        {"number": "ORD-654321", "count": 2, "paid": True, "total": 12.5, "due": None}
    ]
    assert {key: metadata[key] for key in KEPT} == KEPT
    assert metadata["utter_action"] == "utter_details"
    assert metadata.keys() == event["metadata"].keys()
    stored = json.dumps(clean)
    for secret in (*REMOVED.values(), *NESTED_SECRETS):
        assert secret not in stored, secret


async def test_a_redacted_bot_event_round_trips() -> None:
    event = await _bot_uttered()
    clean = redact_event(event.as_dict())
    rebuilt = Event.from_parameters(json.loads(json.dumps(clean)))
    assert isinstance(rebuilt, BotUttered)
    assert rebuilt.as_dict() == clean
    assert rebuilt.metadata == clean["metadata"]


def test_bot_events_without_metadata_stay_without() -> None:
    assert "metadata" not in redact_event(_bot("Hello"))


async def test_the_tracker_store_and_the_export_hold_redacted_metadata(
    tmp_path: Path, sessions: sessionmaker
) -> None:
    url = f"sqlite:///{tmp_path / 'trackers.db'}"
    store = RedactingTrackerStore(domain=Domain.empty(), host=url)
    tracker = DialogueStateTracker("jane-chat", [])
    tracker.update(SlotSet("customer_id", "CUS-00001"))
    tracker.update(await _bot_uttered())
    try:
        await store.save(tracker)
    finally:
        store.engine.dispose()

    engine = trackers.tracker_engine(url)
    try:
        stores = erasure.PrivacyStores(sessions, tracker_store=engine)
        exported = await erasure.export(stores, customer_id="CUS-00001")
    finally:
        engine.dispose()
    events = exported["tracker_store"]["jane-chat"]
    bot = next(event for event in events if event["event"] == "bot")
    assert bot["metadata"]["email"] == "[email]"
    assert bot["metadata"]["contact"]["phones"] == ["[phone]", "[phone]"]
    for secret in (*REMOVED.values(), *NESTED_SECRETS):
        assert secret not in json.dumps(exported), secret
