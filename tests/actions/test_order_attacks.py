"""Orders by number: details only for their verified owner, or with the delivery postcode."""

from __future__ import annotations

from rasa_sdk.executor import CollectingDispatcher

from actions.forms import ValidateOrderForm
from actions.lockout import order_subject, verification_guard
from actions.orders import ActionTrackOrder
from tests import factories as f
from tests.actions.conftest import make_tracker, rendered, responses, slot_events

ORDER = f.order(delivery_postcode="BS7 8AE")
# What nobody but the customer may read: carrier, tracking number, where the parcel went.
SECRETS = ("DPD", "15501234567890", "Birmingham hub", "Handed to", "24 November")


def said(dispatcher: CollectingDispatcher) -> str:
    return "\n".join(rendered(dispatcher))


def postcode_given(text: str, sender_id: str = "test-conversation"):
    return make_tracker(
        {"order_number": "ORD-100001"},
        text=text,
        candidates={"delivery_postcode": text},
        sender_id=sender_id,
    )


async def test_order_by_number_unverified_shows_nothing(http, dispatcher, domain) -> None:
    http.get(f"{f.ORDERS}/orders/ORD-100001", json=ORDER)
    asking = make_tracker(text="where is ORD-100001", candidates={"order_number": "ORD-100001"})
    events = await ValidateOrderForm().run(dispatcher, asking, domain)
    assert slot_events(events)["requested_slot"] == "delivery_postcode"

    # Even if the tracking action ran without the form (the old finding), it shows nothing.
    await ActionTrackOrder().run(dispatcher, make_tracker({"order_number": "ORD-100001"}), domain)

    assert not any(secret in said(dispatcher) for secret in SECRETS), said(dispatcher)
    assert "without its delivery postcode" in said(dispatcher)


async def test_the_right_delivery_postcode_shows_the_order(http, dispatcher, domain) -> None:
    http.get(f"{f.ORDERS}/orders/ORD-100001", json=ORDER)
    events = await ValidateOrderForm().run(dispatcher, postcode_given("bs78ae"), domain)
    slots = slot_events(events)
    assert slots["delivery_postcode"] == "BS7 8AE" and slots["requested_slot"] is None

    shown = CollectingDispatcher()
    after = await ActionTrackOrder().run(
        shown, make_tracker({"order_number": "ORD-100001", **slots}), domain
    )
    assert all(secret in said(shown) for secret in SECRETS), said(shown)
    assert slot_events(after)["delivery_postcode"] is None, "not kept once used"


async def test_a_wrong_postcode_shows_nothing_and_counts(http, domain) -> None:
    lookups = http.get(f"{f.ORDERS}/orders/ORD-100001", json=ORDER)
    answers = []
    for guess in ("SW1A 1AA", "M1 1AE", "LS1 4DY", "BS7 8AE"):  # the last one is right
        dispatcher = CollectingDispatcher()
        events = await ValidateOrderForm().run(dispatcher, postcode_given(guess), domain)
        answers.append((said(dispatcher), slot_events(events), responses(dispatcher)))

    assert "isn't the delivery postcode" in answers[0][0]
    assert answers[0][1]["requested_slot"] == "delivery_postcode"
    _, locked_slots, locked_responses = answers[2]
    assert locked_responses == ["utter_order_locked", "utter_offer_human"]
    assert locked_slots["task_failed"] is True and locked_slots["requested_slot"] is None
    # The conversation is locked too: even the right postcode is not checked any more.
    assert answers[3][1] == {"verification_locked": True, "requested_slot": None}
    assert verification_guard().is_locked(order_subject("ORD-100001"))
    assert lookups.call_count == 3, "the locked fourth check makes no back-end call"
    assert not any(secret in text for text, _, _ in answers for secret in SECRETS)


async def test_wrong_postcodes_from_many_conversations_lock_the_order(http, domain) -> None:
    http.get(f"{f.ORDERS}/orders/ORD-100001", json=ORDER)
    for number, guess in enumerate(("SW1A 1AA", "M1 1AE", "LS1 4DY")):
        tracker = postcode_given(guess, sender_id=f"session-{number}")
        await ValidateOrderForm().run(CollectingDispatcher(), tracker, domain)
    dispatcher = CollectingDispatcher()
    await ValidateOrderForm().run(dispatcher, postcode_given("BS7 8AE", "session-9"), domain)
    assert responses(dispatcher)[0] == "utter_order_locked"


async def test_postcode_checks_are_rate_limited(http, domain) -> None:
    lookups = http.get(f"{f.ORDERS}/orders/ORD-100001", json=ORDER)
    for _ in range(5):
        await ValidateOrderForm().run(CollectingDispatcher(), postcode_given("BS7 8AE"), domain)
    dispatcher = CollectingDispatcher()
    events = await ValidateOrderForm().run(dispatcher, postcode_given("BS7 8AE"), domain)
    assert responses(dispatcher)[0] == "utter_too_many_attempts"
    assert rendered(dispatcher)[0].endswith("Please try again in 1 minute.")
    assert slot_events(events)["delivery_postcode"] is None
    assert lookups.call_count == 5


async def test_verified_owner_sees_the_order(http, dispatcher, domain) -> None:
    http.get(f"{f.ORDERS}/orders/ORD-100001", json=ORDER)
    owner = {"verified": True, "customer_id": "CUS-00001", "order_number": "ORD-100001"}
    await ActionTrackOrder().run(dispatcher, make_tracker(owner), domain)
    assert all(secret in said(dispatcher) for secret in SECRETS)


async def test_verified_customer_sees_nothing_of_another_customers_order(
    http, dispatcher, domain
) -> None:
    http.get(f"{f.ORDERS}/orders/ORD-100001", json=ORDER)
    someone_else = {"verified": True, "customer_id": "CUS-00002", "order_number": "ORD-100001"}
    await ActionTrackOrder().run(dispatcher, make_tracker(someone_else), domain)
    assert not any(secret in said(dispatcher) for secret in SECRETS)
    assert "isn't one of them" in said(dispatcher)
