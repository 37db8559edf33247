import httpx

from actions.handover import ActionHandover
from actions.transcript import transcript
from handover.rasa import bot_language
from tests import factories as f
from tests.actions.conftest import make_tracker, rendered, responses, slot_events, user_event


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
        "[date of birth]",
        "thanks",
    ]
    assert lines[1]["sender"] == "bot"
    assert lines[1]["timestamp"] == "1970-01-01T00:00:03Z"


NOBODY = {"status": "unavailable", "why": "no agent online"}


async def test_customer_request_opens_a_ticket_when_nobody_is_free(
    http, dispatcher, domain
) -> None:
    http.post(f"{f.HANDOVER}/api/handover", json=NOBODY)
    http.get(f"{f.CRM}/customers/CUS-00001", json=f.customer())
    created = http.post(f"{f.CRM}/tickets", json=f.ticket(ticket_id="TCK-000042"))
    tracker = make_tracker(
        {"customer_id": "CUS-00001", "verified": True},
        events=[user_event("my router is broken", "out_of_scope")],
        text="agent please",
        intent="request_human",
    )
    events = await ActionHandover().run(dispatcher, tracker, domain)
    body = created.last_request.json()
    assert body["reason"] == "customer_request"
    assert body["customer_id"] == "CUS-00001"
    assert [line["text"] for line in body["transcript"]] == ["my router is broken", "agent please"]
    assert responses(dispatcher) == ["utter_handover_ticket"]
    assert dispatcher.messages[0]["ticket_id"] == "TCK-000042"
    assert rendered(dispatcher) == [
        "I've passed our conversation to our support team. Your reference is TCK-000042. Someone "
        "will contact you within one working day, or you can call 0800 000 0123 and quote it."
    ]
    assert slot_events(events) == {"pending_offer": None, "handover_reason": None}


async def test_accepted_offer_keeps_the_reason_of_the_offer(http, dispatcher, domain) -> None:
    asked = http.post(f"{f.HANDOVER}/api/handover", json=NOBODY)
    created = http.post(f"{f.CRM}/tickets", json=f.ticket())
    slots = {"pending_offer": "human", "handover_reason": "out_of_scope"}
    await ActionHandover().run(dispatcher, make_tracker(slots, text="yes", intent="affirm"), domain)
    assert asked.last_request.json()["reason"] == "out_of_scope"
    assert created.last_request.json()["reason"] == "out_of_scope"


async def test_crm_down_still_tells_the_customer_how_to_reach_us(http, dispatcher, domain) -> None:
    http.post(f"{f.HANDOVER}/api/handover", exc=httpx.ConnectError)
    http.post(f"{f.CRM}/tickets", exc=httpx.ConnectError)
    await ActionHandover().run(
        dispatcher, make_tracker(text="human", intent="request_human"), domain
    )
    assert responses(dispatcher) == ["utter_handover_failed"]
    assert "0800 000 0123" in rendered(dispatcher)[0]


def _billing_conversation() -> list[dict]:
    return [
        user_event("how much do i owe", "check_bill_balance"),
        _slot("requested_slot", "date_of_birth"),
        user_event("14/03/1985"),
        _slot("requested_slot", None),
    ]


async def test_queued_with_the_full_context(http, dispatcher, domain) -> None:
    asked = http.post(
        f"{f.HANDOVER}/api/handover",
        json={"status": "queued", "position": 2, "estimated_wait_seconds": 240},
    )
    http.get(f"{f.CRM}/customers/CUS-00001", json=f.customer(vulnerable=True))
    tickets = http.post(f"{f.CRM}/tickets", json=f.ticket())
    slots = {"verified": True, "customer_id": "CUS-00001", "account_number": "30000001"}
    tracker = make_tracker(
        slots, events=_billing_conversation(), text="agent please", intent="request_human"
    )
    events = await ActionHandover().run(dispatcher, tracker, domain)
    assert dispatcher.messages[0]["response"] == "utter_handover_queued_wait"
    assert rendered(dispatcher) == [
        "I'm passing you to a member of our team, with everything you've told me. You're "
        "number 2 in the queue, and the wait is about 4 minutes."
    ]
    assert not tickets.called
    assert asked.last_request.headers["Authorization"] == "Bearer dev-bot-token"
    body = asked.last_request.json()
    assert body["conversation_id"] == "test-conversation"
    assert body["reason"] == "customer_request"
    context = body["context"]
    assert context["skill"] == "billing"
    assert context["vulnerable"] is True
    assert context["summary"] == "Jane Doe needs help with their bill; asked for a person."
    assert [(t["text"], t["intent"]) for t in context["turns"]] == [
        ("how much do i owe", "check_bill_balance"),
        ("[date of birth]", "inform"),
        ("agent please", "request_human"),
    ]
    assert context["turns"][0]["confidence"] == 0.9
    assert context["slots"]["account_number"] == "30000001"
    assert "date_of_birth" not in context["slots"] and "1985" not in str(body)
    assert context["profile"]["email"] == "jane.doe@example.com"
    assert slot_events(events) == {"pending_offer": None, "handover_reason": None}


async def test_gateway_error_falls_back_to_a_ticket(http, dispatcher, domain) -> None:
    http.post(f"{f.HANDOVER}/api/handover", status_code=503)
    created = http.post(f"{f.CRM}/tickets", json=f.ticket(ticket_id="TCK-000043"))
    await ActionHandover().run(
        dispatcher, make_tracker(text="human", intent="request_human"), domain
    )
    assert created.called
    assert "TCK-000043" in rendered(dispatcher)[0]


async def test_a_complaint_goes_to_a_person_as_a_sensitive_topic(http, dispatcher, domain) -> None:
    asked = http.post(
        f"{f.HANDOVER}/api/handover",
        json={"status": "queued", "position": 1, "estimated_wait_seconds": 60},
    )
    tracker = make_tracker(text="this is a disgrace, I want to complain", intent="complain")
    await ActionHandover().run(dispatcher, tracker, domain)
    body = asked.last_request.json()
    assert body["reason"] == "sensitive_topic"
    assert body["context"]["priority"] == "high"
    assert body["context"]["summary"] == (
        "Unverified customer needs help with something the assistant could not handle; "
        'a complaint or an upset customer. Complained: "this is a disgrace, I want to complain".'
    )
    assert responses(dispatcher) == ["utter_handover_complaint", "utter_handover_queued_wait"]
    assert rendered(dispatcher)[0].startswith("I'm sorry about this.")
    assert rendered(dispatcher)[1].endswith(
        "You're number 1 in the queue, and the wait is about 1 minute."
    )


async def test_a_complaint_ticket_is_high_priority(http, dispatcher, domain) -> None:
    http.post(f"{f.HANDOVER}/api/handover", json=NOBODY)
    created = http.post(f"{f.CRM}/tickets", json=f.ticket())
    await ActionHandover().run(dispatcher, make_tracker(text="awful!!", intent="complain"), domain)
    assert created.last_request.json()["priority"] == "high"


async def test_the_agent_is_told_the_language_of_the_chat(http, dispatcher, domain) -> None:
    asked = http.post(f"{f.HANDOVER}/api/handover", json={"status": "queued", "position": 1})
    tracker = make_tracker({"language": "fr"}, text="un conseiller svp", intent="request_human")
    await ActionHandover().run(dispatcher, tracker, domain)
    context = asked.last_request.json()["context"]
    assert context["language"] == "fr"
    # The gateway follows the bot's language slot, read from the packet's slots.
    assert context["slots"]["language"] == "fr"
    assert bot_language(context) == "fr"
    assert responses(dispatcher) == ["utter_handover_queued_position"]
    assert rendered(dispatcher, "fr") == [
        "Je vous mets en relation avec un membre de notre équipe, en lui transmettant tout ce que "
        "vous m'avez dit. Vous êtes en position 1 dans la file d'attente."
    ]
