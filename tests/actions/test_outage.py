import requests

from actions.forms import ValidateOutageForm
from actions.outage import ActionCheckOutage, ActionOpenFaultTicket
from tests import factories as f
from tests.actions.conftest import make_tracker, slot_events, texts, user_event


async def test_postcode_read_from_free_text(dispatcher, domain) -> None:
    tracker = make_tracker(text="i live at m1 1ae", candidates={"postcode": "i live at m1 1ae"})
    events = await ValidateOutageForm().run(dispatcher, tracker, domain)
    assert slot_events(events)["postcode"] == "M1 1AE"


async def test_not_a_postcode(dispatcher, domain) -> None:
    tracker = make_tracker(text="the moon", candidates={"postcode": "the moon"})
    events = await ValidateOutageForm().run(dispatcher, tracker, domain)
    assert slot_events(events)["postcode"] is None
    assert "UK postcode" in texts(dispatcher)[0]


async def test_verified_customer_is_not_asked_for_a_postcode(dispatcher, domain) -> None:
    tracker = make_tracker(
        {"verified": True, "customer_id": "CUS-00001"}, text="is the internet down"
    )
    events = await ValidateOutageForm().run(dispatcher, tracker, domain)
    assert slot_events(events) == {"requested_slot": None}


def test_known_incident(http, dispatcher, domain) -> None:
    incidents = http.get(f"{f.NETWORK}/incidents", json=[f.incident()])
    events = ActionCheckOutage().run(dispatcher, make_tracker({"postcode": "M1 1AE"}), domain)
    assert incidents.last_request.qs == {"postcode": ["m11ae"]}
    assert texts(dispatcher)[0] == (
        "Yes, there is a known problem near M1 1AE:\nBroadband outage in Manchester city centre "
        "(affecting broadband, landline; status: fixing). We expect it to be fixed by 18:00 on "
        "21 November."
    )
    assert slot_events(events) == {"pending_offer": None}


def test_service_address_of_a_verified_customer(http, dispatcher, domain) -> None:
    http.get(f"{f.CRM}/customers/CUS-00001", json=f.customer())
    incidents = http.get(f"{f.NETWORK}/incidents", json=[])
    slots = {"verified": True, "customer_id": "CUS-00001"}
    events = ActionCheckOutage().run(dispatcher, make_tracker(slots), domain)
    assert incidents.last_request.qs == {"postcode": ["nw16xe"]}
    assert texts(dispatcher)[0] == "There's no known incident near NW1 6XE right now."
    assert "Restart your router" in texts(dispatcher)[1]
    assert slot_events(events)["pending_offer"] == "ticket"


def test_network_system_down(http, dispatcher, domain) -> None:
    http.get(f"{f.NETWORK}/incidents", exc=requests.exceptions.ReadTimeout)
    events = ActionCheckOutage().run(dispatcher, make_tracker({"postcode": "M1 1AE"}), domain)
    assert dispatcher.messages[0]["system"] == "network status"
    assert slot_events(events)["pending_offer"] == "human"


def test_fault_ticket_carries_the_conversation(http, dispatcher, domain) -> None:
    created = http.post(f"{f.CRM}/tickets", json=f.ticket(ticket_id="TCK-000777"))
    history = [
        user_event("my internet is down", "check_outage"),
        {"event": "bot", "text": "Which postcode?", "timestamp": 1},
    ]
    tracker = make_tracker({"postcode": "LS1 4DY"}, events=history)
    events = ActionOpenFaultTicket().run(dispatcher, tracker, domain)
    body = created.last_request.json()
    assert body["reason"] == "fault_report"
    assert "LS1 4DY" in body["subject"]
    assert [line["text"] for line in body["transcript"]] == [
        "my internet is down",
        "Which postcode?",
    ]
    assert "TCK-000777" in texts(dispatcher)[0]
    assert slot_events(events) == {"pending_offer": None}


def test_postcode_the_network_system_rejects(http, dispatcher, domain) -> None:
    events = ActionCheckOutage().run(dispatcher, make_tracker({"postcode": "QQ1 1QQ"}), domain)
    assert not http.request_history
    assert "isn't a UK postcode" in texts(dispatcher)[0]
    assert slot_events(events) == {"postcode": None}
