import httpx
import pytest

from actions.forms import ValidateOutageForm
from actions.outage import ActionCheckOutage, ActionOpenFaultTicket
from tests import factories as f
from tests.actions.conftest import (
    make_tracker,
    render,
    rendered,
    responses,
    slot_events,
    user_event,
)


async def test_postcode_read_from_free_text(dispatcher, domain) -> None:
    tracker = make_tracker(text="i live at m1 1ae", candidates={"postcode": "i live at m1 1ae"})
    events = await ValidateOutageForm().run(dispatcher, tracker, domain)
    assert slot_events(events)["postcode"] == "M1 1AE"


async def test_not_a_postcode(dispatcher, domain) -> None:
    tracker = make_tracker(text="the moon", candidates={"postcode": "the moon"})
    events = await ValidateOutageForm().run(dispatcher, tracker, domain)
    assert slot_events(events)["postcode"] is None
    assert rendered(dispatcher) == [
        "That doesn't look like a UK postcode. Please type it like SW1A 1AA."
    ]


async def test_verified_customer_is_not_asked_for_a_postcode(dispatcher, domain) -> None:
    tracker = make_tracker(
        {"verified": True, "customer_id": "CUS-00001"}, text="is the internet down"
    )
    events = await ValidateOutageForm().run(dispatcher, tracker, domain)
    assert slot_events(events) == {"requested_slot": None}


async def test_known_incident(http, dispatcher, domain) -> None:
    incidents = http.get(f"{f.NETWORK}/incidents", json=[f.incident()])
    events = await ActionCheckOutage().run(dispatcher, make_tracker({"postcode": "M1 1AE"}), domain)
    assert incidents.last_request.qs == {"postcode": ["M11AE"]}
    assert responses(dispatcher) == [
        "utter_known_problem",
        "utter_incident_fixing_eta",
        "utter_no_report_needed",
    ]
    assert rendered(dispatcher)[:2] == [
        "Yes, there is a known problem near M1 1AE:",
        "Broadband outage in Manchester city centre (affecting broadband, landline; status: "
        "fixing). We expect it to be fixed by 18:00 on 21 November.",
    ]
    assert slot_events(events) == {"pending_offer": None}


async def test_service_address_of_a_verified_customer(http, dispatcher, domain) -> None:
    http.get(f"{f.CRM}/customers/CUS-00001", json=f.customer())
    incidents = http.get(f"{f.NETWORK}/incidents", json=[])
    slots = {"verified": True, "customer_id": "CUS-00001"}
    events = await ActionCheckOutage().run(dispatcher, make_tracker(slots), domain)
    assert incidents.last_request.qs == {"postcode": ["NW16XE"]}
    said = rendered(dispatcher)
    assert said[0] == "There's no known incident near NW1 6XE right now."
    assert "Restart your router" in said[1]
    assert render(dispatcher.messages[2])["buttons"] == [
        {"title": "Yes, open a ticket", "payload": "/affirm"},
        {"title": "No, thanks", "payload": "/deny"},
    ]
    assert slot_events(events)["pending_offer"] == "ticket"


async def test_network_system_down(http, dispatcher, domain) -> None:
    http.get(f"{f.NETWORK}/incidents", exc=httpx.ReadTimeout)
    events = await ActionCheckOutage().run(dispatcher, make_tracker({"postcode": "M1 1AE"}), domain)
    assert dispatcher.messages[0]["response"] == "utter_backend_error_network"
    assert slot_events(events)["pending_offer"] == "human"


async def test_fault_ticket_carries_the_conversation(http, dispatcher, domain) -> None:
    created = http.post(f"{f.CRM}/tickets", json=f.ticket(ticket_id="TCK-000777"))
    history = [
        user_event("my internet is down", "check_outage"),
        {"event": "bot", "text": "Which postcode?", "timestamp": 1},
    ]
    tracker = make_tracker({"postcode": "LS1 4DY"}, events=history)
    events = await ActionOpenFaultTicket().run(dispatcher, tracker, domain)
    body = created.last_request.json()
    assert body["reason"] == "fault_report"
    assert "LS1 4DY" in body["subject"]
    assert [line["text"] for line in body["transcript"]] == [
        "my internet is down",
        "Which postcode?",
    ]
    assert rendered(dispatcher) == [
        "I've opened fault ticket TCK-000777. An engineer will look into it and contact you within "
        "one working day."
    ]
    assert slot_events(events) == {"pending_offer": None}


async def test_postcode_the_network_system_rejects(http, dispatcher, domain) -> None:
    events = await ActionCheckOutage().run(
        dispatcher, make_tracker({"postcode": "QQ1 1QQ"}), domain
    )
    assert not http.request_history
    assert rendered(dispatcher) == ["Sorry, QQ1 1QQ isn't a UK postcode I can check."]
    assert slot_events(events) == {"postcode": None}


VERIFIED = {"verified": True, "customer_id": "CUS-00001"}
ANSWERED = [
    user_event("is there an outage at M1 1AE", "check_outage"),
    {"event": "action", "name": "action_check_outage", "timestamp": 2},
]
NO_INCIDENT = {
    "en": "There's no known incident near SW9 1AB right now.",
    "fr": "Aucun incident n'est signalé près de SW9 1AB pour le moment.",
}


def asks(form: dict, slots: dict) -> bool:
    """Whether the form asks for the postcode: as its validation says, or, when it left the
    question to Rasa (no `requested_slot`), because the postcode is still empty."""
    if "requested_slot" in form:
        return form["requested_slot"] is not None
    return not {**slots, **form}.get("postcode")


async def check(dispatcher, domain, slots, *, text, intent="inform", entities=None, events=()):
    """The outage form at activation (the postcode already extracted), then the check."""
    named = {"postcode": entities["postcode"]} if entities else {}
    tracker = make_tracker(
        slots, text=text, intent=intent, entities=entities, events=list(events), candidates=named
    )
    form = slot_events(await ValidateOutageForm().run(dispatcher, tracker, domain))
    if asks(form, slots):
        return form, None
    done = make_tracker({**slots, **form}, text=text, intent=intent, entities=entities)
    return form, await ActionCheckOutage().run(dispatcher, done, domain)


@pytest.mark.parametrize(
    "language, text, intent",
    [("en", "and at SW9 1AB?", "nlu_fallback"), ("fr", "et à SW9 1AB ?", "inform")],
)
async def test_another_postcode_right_after_an_answer_is_checked(
    http, dispatcher, domain, language: str, text: str, intent: str
) -> None:
    incidents = http.get(f"{f.NETWORK}/incidents", json=[])
    slots = {"language": language, "postcode": "SW9 1AB"}
    entities = {"postcode": "SW9 1AB"}
    form, events = await check(
        dispatcher, domain, slots, text=text, intent=intent, entities=entities, events=ANSWERED
    )
    assert events is not None, "nothing to ask: the form completes at once"
    assert incidents.last_request.qs == {"postcode": ["SW91AB"]}
    assert rendered(dispatcher, language)[0] == NO_INCIDENT[language]
    assert slot_events(events) == {"pending_offer": "ticket"}


async def test_a_verified_customer_naming_another_postcode_gets_that_one(
    http, dispatcher, domain
) -> None:
    incidents = http.get(f"{f.NETWORK}/incidents", json=[])
    slots = {**VERIFIED, "postcode": "SW9 1AB"}
    entities = {"postcode": "SW9 1AB"}
    await check(dispatcher, domain, slots, text="and at SW9 1AB?", entities=entities)
    assert incidents.last_request.qs == {"postcode": ["SW91AB"]}
    assert len(http.request_history) == 1, "no service address needed"


@pytest.mark.parametrize("language", ["en", "fr"])
async def test_a_verified_customer_naming_no_postcode_gets_their_service_address(
    http, dispatcher, domain, language: str
) -> None:
    http.get(f"{f.CRM}/customers/CUS-00001", json=f.customer())
    incidents = http.get(f"{f.NETWORK}/incidents", json=[])
    # A postcode checked earlier in the conversation is not where they live.
    slots = {**VERIFIED, "language": language, "postcode": "BS7 8AE"}
    form, events = await check(
        dispatcher, domain, slots, text="is my internet down?", intent="check_outage"
    )
    assert form == {"requested_slot": None}
    assert incidents.last_request.qs == {"postcode": ["NW16XE"]}
    assert rendered(dispatcher, language)[0] in (
        "There's no known incident near NW1 6XE right now.",
        "Aucun incident n'est signalé près de NW1 6XE pour le moment.",
    )
    assert slot_events(events)["postcode"] == "NW1 6XE", "the ticket, if wanted, says where"


async def test_a_verified_customer_naming_an_unknown_postcode_is_asked(dispatcher, domain) -> None:
    entities = {"postcode": "QQ1 1QQ"}
    form, events = await check(
        dispatcher, domain, VERIFIED, text="outage at QQ1 1QQ?", intent="check_outage",
        entities=entities,
    )  # fmt: skip
    assert events is None, "asked for a postcode, not checked at their address"
    assert form == {"postcode": None}
    assert responses(dispatcher) == ["utter_not_a_postcode"]


# As the network-status system sends it: the title in English, and in French.
FRENCH_TITLE = "Panne d'internet dans le centre de Manchester"
TRANSLATED = f.incident(title_translations={"fr": FRENCH_TITLE})
INCIDENT_SAID = {
    "en": "Broadband outage in Manchester city centre (affecting broadband, landline; status: "
    "fixing). We expect it to be fixed by 18:00 on 21 November.",
    "fr": f"{FRENCH_TITLE} (services concernés : internet, téléphone fixe ; état : réparation en "
    "cours). Le rétablissement est prévu le 21 novembre à 18:00.",
}


async def known_incident(http, dispatcher, domain, language: str, incident: dict) -> str:
    http.get(f"{f.NETWORK}/incidents", json=[incident])
    slots = {"language": language, "postcode": "M1 1AE"}
    await ActionCheckOutage().run(dispatcher, make_tracker(slots), domain)
    assert responses(dispatcher)[1] == "utter_incident_fixing_eta"
    return rendered(dispatcher, language)[1]


@pytest.mark.parametrize("language", ["en", "fr"])
async def test_incident_title_in_the_language_of_the_conversation(
    http, dispatcher, domain, language: str
) -> None:
    said = await known_incident(http, dispatcher, domain, language, TRANSLATED)
    assert said == INCIDENT_SAID[language]


@pytest.mark.parametrize(
    "translations",
    [{}, {"de": "Breitbandausfall"}, {"fr": 42}, {"fr": ["Panne"]}, "Panne", None],
    ids=["none", "other-language", "number", "list", "not-a-map", "null"],
)
async def test_incident_title_with_no_usable_french_stays_in_english(
    http, dispatcher, domain, translations
) -> None:
    incident = f.incident(title_translations=translations)
    said = await known_incident(http, dispatcher, domain, "fr", incident)
    assert said.startswith("Broadband outage in Manchester city centre (services concernés : ")
