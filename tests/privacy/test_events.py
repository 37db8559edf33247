"""Tracker events without personal data, and the ticket transcript built from them."""

from actions.transcript import transcript
from privacy.events import redact_events
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
