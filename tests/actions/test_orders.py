import httpx
import pytest

from actions.forms import ValidateOrderForm
from actions.orders import ActionTrackOrder
from tests import factories as f
from tests.actions.conftest import make_tracker, rendered, responses, slot_events

OWNER = {"verified": True, "customer_id": "CUS-00001"}


async def test_known_order_number_in_free_text(http, dispatcher, domain) -> None:
    http.get(f"{f.ORDERS}/orders/ORD-100001", json=f.order())
    tracker = make_tracker(text="it's ord 100001", candidates={"order_number": "it's ord 100001"})
    events = await ValidateOrderForm().run(dispatcher, tracker, domain)
    slots = slot_events(events)
    assert slots["order_number"] == "ORD-100001"
    assert slots["requested_slot"] == "delivery_postcode", "not verified: the postcode is asked"


async def test_verified_customer_is_not_asked_for_the_postcode(http, dispatcher, domain) -> None:
    http.get(f"{f.ORDERS}/orders/ORD-100001", json=f.order())
    tracker = make_tracker(OWNER, text="ORD-100001", candidates={"order_number": "ORD-100001"})
    events = await ValidateOrderForm().run(dispatcher, tracker, domain)
    assert slot_events(events)["requested_slot"] is None


async def test_unknown_order_is_asked_once_more(http, dispatcher, domain) -> None:
    http.get(f"{f.ORDERS}/orders/ORD-999999", status_code=404)
    tracker = make_tracker(text="ORD-999999", candidates={"order_number": "ORD-999999"})
    events = await ValidateOrderForm().run(dispatcher, tracker, domain)
    slots = slot_events(events)
    assert slots == {
        "order_number": None,
        "order_lookup_failures": 1,
        "requested_slot": "order_number",
    }
    assert rendered(dispatcher) == [
        "I couldn't find order ORD-999999. Order numbers look like ORD-123456: could you check it "
        "and type it again?"
    ]


async def test_text_without_an_order_number_is_asked_again(http, dispatcher, domain) -> None:
    tracker = make_tracker(text="my parcel", candidates={"order_number": "my parcel"})
    events = await ValidateOrderForm().run(dispatcher, tracker, domain)
    assert slot_events(events)["order_lookup_failures"] == 1
    assert responses(dispatcher) == ["utter_order_number_unreadable"]
    assert rendered(dispatcher)[0].startswith("I couldn't find that order.")


async def test_second_unknown_order_ends_the_form(http, dispatcher, domain) -> None:
    tracker = make_tracker(
        {"order_lookup_failures": 1}, text="no idea", candidates={"order_number": "no idea"}
    )
    events = await ValidateOrderForm().run(dispatcher, tracker, domain)
    assert slot_events(events)["requested_slot"] is None
    assert not http.request_history, "text without an order number is not looked up"
    events = await ActionTrackOrder().run(dispatcher, make_tracker(slot_events(events)), domain)
    assert responses(dispatcher) == ["utter_order_still_not_found", "utter_offer_human"]
    assert rendered(dispatcher)[0] == "Sorry, I still can't find that order."
    assert slot_events(events)["handover_reason"] == "order_not_found"


async def test_no_order_number_asks_for_verification(dispatcher, domain) -> None:
    tracker = make_tracker(
        text="I don't have it", intent="deny", candidates={"order_number": "none"}
    )
    events = await ValidateOrderForm().run(dispatcher, tracker, domain)
    assert slot_events(events)["requested_slot"] == "account_number"


async def test_orders_system_down_during_lookup(http, dispatcher, domain) -> None:
    http.get(f"{f.ORDERS}/orders/ORD-100001", exc=httpx.ConnectError)
    tracker = make_tracker(text="ORD-100001", candidates={"order_number": "ORD-100001"})
    events = await ValidateOrderForm().run(dispatcher, tracker, domain)
    slots = slot_events(events)
    assert slots["task_failed"] is True
    assert slots["requested_slot"] is None
    assert dispatcher.messages[0]["response"] == "utter_backend_error_orders"


async def test_shipped_order_described(http, dispatcher, domain) -> None:
    http.get(f"{f.ORDERS}/orders/ORD-100001", json=f.order())
    events = await ActionTrackOrder().run(
        dispatcher, make_tracker({**OWNER, "order_number": "ORD-100001"}), domain
    )
    assert responses(dispatcher) == [
        "utter_order_status_shipped",
        "utter_order_delivery_tracking_eta",
        "utter_order_updates",
    ]
    assert dispatcher.messages[1]["eta"] == "24 November 2026"
    assert rendered(dispatcher) == [
        "Order ORD-100001 is on its way.",
        "Carrier: DPD, tracking number 15501234567890. Expected delivery: 24 November 2026.",
        "Latest updates:\n- 20 Nov 08:30: Handed to DPD (Birmingham hub)\n- 18 Nov 10:00: Order received",
    ]
    assert slot_events(events) == {
        "order_number": None,
        "order_lookup_failures": 0,
        "delivery_postcode": None,
    }


async def test_lost_order_offers_the_way_forward(http, dispatcher, domain) -> None:
    http.get(f"{f.ORDERS}/orders/ORD-100001", json=f.order(status="lost"))
    await ActionTrackOrder().run(
        dispatcher, make_tracker({**OWNER, "order_number": "ORD-100001"}), domain
    )
    said = rendered(dispatcher)
    assert "reported lost" in said[0] and "replacement or a refund" in said[0]
    assert said[1] == "Carrier: DPD, tracking number 15501234567890."
    assert not any("Expected delivery" in text for text in said)


async def test_open_orders_of_a_verified_customer(http, dispatcher, domain) -> None:
    listing = http.get(
        f"{f.ORDERS}/orders",
        json=[f.order(), f.order(order_number="ORD-100002", status="processing")],
    )
    slots = {"order_number": "none", "verified": True, "customer_id": "CUS-00001"}
    await ActionTrackOrder().run(dispatcher, make_tracker(slots), domain)
    assert listing.last_request.qs == {"customer_id": ["CUS-00001"], "open_only": ["true"]}
    said = rendered(dispatcher)
    assert said[0] == "You have 2 open orders:"
    assert said[1] == "Order ORD-100001 is on its way."
    assert "Order ORD-100002 is being prepared." in said


async def test_one_open_order_is_singular(http, dispatcher, domain) -> None:
    http.get(f"{f.ORDERS}/orders", json=[f.order(carrier=None, tracking_number=None, events=[])])
    slots = {"order_number": "none", "verified": True, "customer_id": "CUS-00001"}
    await ActionTrackOrder().run(dispatcher, make_tracker(slots), domain)
    assert dispatcher.messages[0]["response"] == "utter_open_orders_one"
    assert rendered(dispatcher) == [
        "You have 1 open order:",
        "Order ORD-100001 is on its way.",
        "Expected delivery: 24 November 2026.",
    ]


async def test_no_open_orders(http, dispatcher, domain) -> None:
    http.get(f"{f.ORDERS}/orders", json=[])
    slots = {"order_number": "none", "verified": True, "customer_id": "CUS-00001"}
    await ActionTrackOrder().run(dispatcher, make_tracker(slots), domain)
    assert rendered(dispatcher) == ["You have no open orders at the moment."]


async def test_orders_system_error_when_describing(http, dispatcher, domain) -> None:
    http.get(f"{f.ORDERS}/orders/ORD-100001", status_code=500)
    events = await ActionTrackOrder().run(
        dispatcher, make_tracker({"order_number": "ORD-100001"}), domain
    )
    assert dispatcher.messages[0]["response"] == "utter_backend_error_orders"
    assert slot_events(events)["pending_offer"] == "human"


# As the order system sends them: each text in English, and in French where it has one.
RECEIVED = {"timestamp": "2026-11-18T10:00:00Z", "status": "processing",
            "description": "Order received", "location": None,
            "description_translations": {"fr": "Commande reçue"}}  # fmt: skip
HANDED = {"timestamp": "2026-11-20T08:30:00Z", "status": "shipped",
          "description": "Handed to DPD", "location": "Birmingham hub",
          "description_translations": {"fr": "Colis remis à DPD"},
          "location_translations": {"fr": "Plateforme de Birmingham"}}  # fmt: skip
UPDATES = {
    "en": "Latest updates:\n- 20 Nov 08:30: Handed to DPD (Birmingham hub)"
    "\n- 18 Nov 10:00: Order received",
    "fr": "Dernières étapes :\n- 20 nov. 08:30 : Colis remis à DPD (Plateforme de Birmingham)"
    "\n- 18 nov. 10:00 : Commande reçue",
}


async def track(http, dispatcher, domain, language: str, events: list[dict]) -> list[str]:
    http.get(f"{f.ORDERS}/orders/ORD-100001", json=f.order(events=events))
    slots = {**OWNER, "language": language, "order_number": "ORD-100001"}
    await ActionTrackOrder().run(dispatcher, make_tracker(slots), domain)
    return rendered(dispatcher, language)


@pytest.mark.parametrize("language", ["en", "fr"])
async def test_tracking_updates_in_the_language_of_the_conversation(
    http, dispatcher, domain, language: str
) -> None:
    said = await track(http, dispatcher, domain, language, [RECEIVED, HANDED])
    assert said[-1] == UPDATES[language]


async def test_tracking_updates_the_order_system_has_no_french_for_stay_in_english(
    http, dispatcher, domain
) -> None:
    no_french = {k: v for k, v in HANDED.items() if not k.endswith("_translations")}
    said = await track(http, dispatcher, domain, "fr", [RECEIVED, no_french])
    assert said[-1] == (
        "Dernières étapes :\n- 20 nov. 08:30 : Handed to DPD (Birmingham hub)"
        "\n- 18 nov. 10:00 : Commande reçue"
    )


async def test_a_place_with_no_french_name_keeps_its_own(http, dispatcher, domain) -> None:
    in_bristol = {**HANDED, "location": "Bristol", "location_translations": {}}
    said = await track(http, dispatcher, domain, "fr", [in_bristol])
    assert said[-1] == "Dernières étapes :\n- 20 nov. 08:30 : Colis remis à DPD (Bristol)"


async def test_open_orders_are_told_in_french_too(http, dispatcher, domain) -> None:
    http.get(f"{f.ORDERS}/orders", json=[f.order(events=[RECEIVED, HANDED])])
    slots = {"language": "fr", "order_number": "none", "verified": True, "customer_id": "CUS-00001"}
    await ActionTrackOrder().run(dispatcher, make_tracker(slots), domain)
    assert rendered(dispatcher, "fr")[-1] == UPDATES["fr"]
