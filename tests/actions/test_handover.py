import requests

from actions.handover import ActionHandover
from actions.transcript import transcript
from tests import factories as f
from tests.actions.conftest import make_tracker, slot_events, texts, user_event


def _slot(name: str, value: object) -> dict:
    return {"event": "slot", "name": name, "value": value, "timestamp": 2}


def test_transcript_redacts_answers_to_secret_questions() -> None:
    history = [
        user_event("what's my bill", "check_bill_balance"),
        _slot("requested_slot", "date_of_birth"),
        {"event": "bot", "text": "What's your date of birth?", "timestamp": 3},
        user_event("14/03/1985"),
        _slot("requested_slot", None),
        user_event("thanks", "thank"),
    ]
    lines = transcript(make_tracker(events=history))
    assert [line["text"] for line in lines] == [
        "what's my bill",
        "What's your date of birth?",
        "[redacted]",
        "thanks",
    ]
    assert lines[1]["sender"] == "bot"
    assert lines[1]["timestamp"] == "1970-01-01T00:00:03Z"


def test_customer_request_opens_a_ticket_with_the_transcript(http, dispatcher, domain) -> None:
    created = http.post(f"{f.CRM}/tickets", json=f.ticket(ticket_id="TCK-000042"))
    tracker = make_tracker(
        {"customer_id": "CUS-00001"},
        events=[user_event("my router is broken", "out_of_scope")],
        text="agent please",
        intent="request_human",
    )
    events = ActionHandover().run(dispatcher, tracker, domain)
    body = created.last_request.json()
    assert body["reason"] == "customer_request"
    assert body["customer_id"] == "CUS-00001"
    assert [line["text"] for line in body["transcript"]] == ["my router is broken", "agent please"]
    assert "TCK-000042" in texts(dispatcher)[0]
    assert slot_events(events) == {"pending_offer": None, "handover_reason": None}


def test_accepted_offer_keeps_the_reason_of_the_offer(http, dispatcher, domain) -> None:
    created = http.post(f"{f.CRM}/tickets", json=f.ticket())
    slots = {"pending_offer": "human", "handover_reason": "repeated_fallback"}
    ActionHandover().run(dispatcher, make_tracker(slots, text="yes", intent="affirm"), domain)
    assert created.last_request.json()["reason"] == "repeated_fallback"


def test_crm_down_still_tells_the_customer_how_to_reach_us(http, dispatcher, domain) -> None:
    http.post(f"{f.CRM}/tickets", exc=requests.exceptions.ConnectionError)
    ActionHandover().run(dispatcher, make_tracker(text="human", intent="request_human"), domain)
    assert "0800 000 0123" in texts(dispatcher)[0]
