from actions.conversation import (
    ActionCancelTask,
    ActionDeclineOffer,
    ActionHandleFallback,
    ActionOutOfScope,
)
from tests.actions.conftest import make_tracker, slot_events, user_event


def test_first_miss_asks_to_rephrase(dispatcher, domain) -> None:
    history = [user_event("check my bill", "check_bill_balance")]
    tracker = make_tracker(events=history, text="blorp", intent="nlu_fallback")
    events = ActionHandleFallback().run(dispatcher, tracker, domain)
    assert [m["response"] for m in dispatcher.messages] == ["utter_ask_rephrase"]
    assert events == []


def test_second_miss_in_a_row_offers_a_person(dispatcher, domain) -> None:
    history = [user_event("blorp", "nlu_fallback")]
    tracker = make_tracker(events=history, text="florp", intent="nlu_fallback")
    events = ActionHandleFallback().run(dispatcher, tracker, domain)
    assert dispatcher.messages[-1]["response"] == "utter_offer_human"
    assert slot_events(events) == {"pending_offer": "human", "handover_reason": "repeated_fallback"}


def test_misses_separated_by_an_understood_message_start_over(dispatcher, domain) -> None:
    history = [user_event("blorp", "nlu_fallback"), user_event("hi", "greet")]
    tracker = make_tracker(events=history, text="florp", intent="nlu_fallback")
    ActionHandleFallback().run(dispatcher, tracker, domain)
    assert [m["response"] for m in dispatcher.messages] == ["utter_ask_rephrase"]


def test_out_of_scope_offers_a_person(dispatcher, domain) -> None:
    events = ActionOutOfScope().run(dispatcher, make_tracker(text="book a flight"), domain)
    assert [m["response"] for m in dispatcher.messages] == [
        "utter_out_of_scope",
        "utter_offer_human",
    ]
    assert slot_events(events)["handover_reason"] == "out_of_scope"


def test_declining_clears_the_offer(dispatcher, domain) -> None:
    events = ActionDeclineOffer().run(dispatcher, make_tracker({"pending_offer": "human"}), domain)
    assert slot_events(events) == {"pending_offer": None, "handover_reason": None}


def test_cancel_forgets_the_task_but_not_the_customer(dispatcher, domain) -> None:
    slots = {"verified": True, "customer_id": "CUS-00001", "order_number": "ORD-100001"}
    events = ActionCancelTask().run(dispatcher, make_tracker(slots), domain)
    changed = slot_events(events)
    assert changed["order_number"] is None
    assert "verified" not in changed and "customer_id" not in changed
