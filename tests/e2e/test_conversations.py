"""Whole conversations over real HTTP: Rasa server, action server and mock back-ends."""

from __future__ import annotations

import random
import re

import pytest
import requests

from tests.e2e.conftest import Chat

pytestmark = pytest.mark.e2e


JANE = {"account": "30000001", "dob": "14/03/1985", "postcode": "BS7 8AE"}
# What only the customer may read about an order: carrier, tracking number, parcel's whereabouts.
ORDER_DETAILS = ("Carrier", "tracking number", "Latest updates", "DPD", "Expected delivery")


def unused_account() -> str:
    """An account number that no customer holds (the mocks never make 30000100-30009999):
    locking it disturbs no other test, and a new one each run starts with no failures."""
    return str(random.randint(30000100, 30009999))


def generated_order() -> str:
    """One of the generated orders (no test relies on it), a different one each run."""
    return f"ORD-{random.randint(100009, 100130)}"


def verify(chat: Chat, account: str, dob: str) -> str:
    """Answer the verification questions; returns what the bot says after the date of birth."""
    assert "confirm your identity" in chat.text(account)
    assert "date of birth" in chat.text("my date of birth")
    return chat.text(dob)


def verify_by_date_of_birth(chat: Chat, dob: str = JANE["dob"]) -> str:
    """Verify as Jane (or fail to, with another date)."""
    return verify(chat, JANE["account"], dob)


def test_bill_balance_after_date_of_birth(chat: Chat) -> None:
    assert "virtual assistant" in chat.text("hello")
    assert "account number" in chat.text("how much do i owe on my bill?")
    answer = verify_by_date_of_birth(chat)
    assert "Thanks Jane, you're verified." in answer
    assert re.search(r"Account 30000001: £\d+\.\d\d to pay by \d+ \w+ 20\d\d", answer)
    assert "Invoice" in chat.text("yes")
    slots = chat.slots()
    assert slots["date_of_birth"] is None, "the date of birth must not stay in the tracker"
    assert slots["verified"] is True


def test_password_reset_with_a_one_time_code(chat: Chat, stack) -> None:
    assert "account number" in chat.text("I forgot my password")
    chat.text(JANE["account"])
    sent = chat.text("send me a code")
    assert "a 6-digit code is on its way to the mobile number we have for it" in sent
    assert "7***" not in sent, "nothing that tells an unverified person the account exists"
    otp_id = chat.slots()["otp_id"]
    code = requests.get(f"{stack.backends.crm_url}/_mock/otp/{otp_id}", timeout=5).json()["code"]
    answer = chat.text(code)
    assert "you're verified" in answer
    assert "password reset link to j***@example.com" in answer
    assert code not in str(chat.slots().values())


def test_three_failed_verifications_lock_and_offer_a_person(chat: Chat) -> None:
    account = unused_account()  # an account that does not exist fails and locks like any other
    chat.text("what's my bill")
    for _ in range(2):
        assert "don't match" in verify(chat, account, "01/01/1999")
    answer = verify(chat, account, "01/01/1999")
    assert "can't try again in this conversation" in answer
    assert "member of our team" in answer
    assert "can't try again" in chat.text("check my bill balance"), "locked for the conversation"
    assert re.search(r"reference is TCK-\d{6}", chat.text("yes"))


def test_restart_does_not_lift_the_lock(chat: Chat) -> None:
    account = unused_account()
    chat.text("what's my bill")
    for _ in range(3):
        verify(chat, account, "01/01/1999")
    chat.say("/restart")
    assert chat.slots()["verification_failures"] == 0, "the slots did forget"
    answer = chat.text("what's my bill")
    assert "can't try again" in answer and "account number" not in answer


def test_a_locked_account_stays_locked_in_a_new_conversation(chat: Chat) -> None:
    account = unused_account()
    chat.text("what's my bill")
    for _ in range(3):
        verify(chat, account, "01/01/1999")
    new_session = Chat(chat.stack)
    assert "account number" in new_session.text("I forgot my password")
    answer = new_session.text(account)
    assert "can't try again" in answer and "member of our team" in answer
    assert "date of birth" not in answer, "no more guesses"


def test_order_number_in_the_first_message(chat: Chat) -> None:
    answer = chat.text("where is my order ORD-100001?")
    assert "postcode it's being delivered to" in answer
    assert not any(detail in answer for detail in ORDER_DETAILS), answer
    answer = chat.text(JANE["postcode"])
    assert "Order ORD-100001 is on its way." in answer
    assert "Carrier: DPD" in answer
    assert "Expected delivery" in answer


def test_wrong_delivery_postcodes_show_nothing_and_lock_the_order(chat: Chat) -> None:
    chat.text(f"track my order {generated_order()}")
    answers = [chat.text(postcode) for postcode in ("ZE1 0AA", "ZE2 9AB", "ZE3 9JX")]
    assert all("isn't the delivery postcode" in answer for answer in answers[:2]), answers
    assert "can't show this order" in answers[2] and "member of our team" in answers[2]
    assert not any(detail in answer for answer in answers for detail in ORDER_DETAILS)


def test_a_verified_customer_sees_only_their_own_orders(chat: Chat) -> None:
    chat.text("what's my bill balance")
    assert "you're verified" in verify_by_date_of_birth(chat)
    chat.text("no thanks")
    answer = chat.text("where is my order ORD-100006?")  # Liam's lost parcel
    assert "isn't one of them" in answer
    assert not any(detail in answer for detail in ORDER_DETAILS + ("Evri", "lost"))
    assert "Order ORD-100001 is on its way" in chat.text("track my order ORD-100001")


def test_unknown_order_asked_once_more_then_a_person_offered(chat: Chat) -> None:
    assert "order number" in chat.text("track my order")
    assert "couldn't find order ORD-999999" in chat.text("ORD-999999")
    answer = chat.text("ORD-999998")
    assert "still can't find" in answer
    assert "member of our team" in answer


def test_open_orders_of_a_customer_without_an_order_number(chat: Chat) -> None:
    chat.text("where's my parcel")
    assert "account number" in chat.text("I don't have it")
    answer = verify_by_date_of_birth(chat)
    assert "You have 2 open orders:" in answer
    assert "ORD-100001" in answer and "ORD-100002" in answer
    assert "ORD-100003" not in answer, "delivered orders are not open"


def test_known_outage_at_a_postcode(chat: Chat) -> None:
    assert "known problem near M14 6NQ" in chat.text("is there an outage at M14 6NQ?")


def test_no_outage_troubleshooting_then_ticket(chat: Chat) -> None:
    assert "postcode" in chat.text("my internet is not working")
    answer = chat.text("BS7 8AE")
    assert "no known incident near BS7 8AE" in answer
    assert "Restart your router" in answer
    assert re.search(r"fault ticket TCK-\d{6}", chat.text("yes please"))


def test_billing_down_apologises_and_offers_a_person(chat: Chat, fault) -> None:
    fault("billing", "error")
    chat.text("show me my bill")
    answer = verify_by_date_of_birth(chat)
    assert "can't reach our billing system" in answer
    assert "member of our team" in answer


def test_slow_network_system_times_out_politely(chat: Chat, fault) -> None:
    fault("network", "slow", delay_seconds=4)
    answer = chat.text("is there an outage at M14 6NQ?")
    assert "can't reach our network status system" in answer


def test_faq_in_the_middle_of_verification(chat: Chat) -> None:
    chat.text("what's my balance")
    answer = chat.text("what are your opening hours?")
    assert "8:00" in answer
    assert "account number" in answer, "the form asks its question again"


def test_stop_in_the_middle_of_a_form(chat: Chat) -> None:
    chat.text("I need to reset my password")
    assert "I've stopped that" in chat.text("stop")
    assert "virtual assistant" in chat.text("hi")


def test_two_misses_in_a_row_offer_a_person(chat: Chat) -> None:
    assert "say it another way" in chat.text("/nlu_fallback")
    assert "member of our team" in chat.text("/nlu_fallback")
    assert re.search(r"reference is TCK-\d{6}", chat.text("yes"))


def test_out_of_scope_says_what_the_bot_does(chat: Chat) -> None:
    answer = chat.text("book me a flight to paris")
    assert "check your bill" in answer and "member of our team" in answer


def test_request_for_a_person_gives_a_ticket_reference(chat: Chat) -> None:
    assert re.search(r"reference is TCK-\d{6}", chat.text("I want to talk to a human agent"))


def test_bot_challenge(chat: Chat) -> None:
    answer = chat.text("am I talking to a robot?")
    assert "virtual assistant" in answer and "agent" in answer


@pytest.mark.parametrize("message", ["x" * 5000, "<script>alert(1)</script>", "🙂" * 50, " "])
def test_hostile_input_gets_an_answer_and_the_conversation_goes_on(
    chat: Chat, message: str
) -> None:
    chat.say(message)
    assert "virtual assistant" in chat.text("hello")


def test_verification_is_remembered_for_the_conversation(chat: Chat) -> None:
    chat.text("what's my bill balance")
    assert "you're verified" in verify_by_date_of_birth(chat)
    chat.text("no thanks")
    answer = chat.text("I forgot my password")
    assert "password reset link to j***@example.com" in answer, "no second verification"


def test_account_number_corrected_in_the_middle_of_verification(chat: Chat) -> None:
    chat.text("how much do i owe")
    chat.text("30000001")
    assert "confirm your identity" in chat.text("sorry, my account number is actually 30000002")
    assert "date of birth" in chat.text("date of birth")
    answer = chat.text("02/11/1979")
    assert "Thanks Mohammed, you're verified." in answer
    assert "Account 30000002" in answer and "Account 30000003" in answer


def test_order_number_corrected_after_a_typo(chat: Chat) -> None:
    chat.text("track my order")
    assert "couldn't find order ORD-999999" in chat.text("ORD-999999")
    assert "delivered to" in chat.text("sorry, I meant ORD-100001")
    assert "Order ORD-100001 is on its way" in chat.text(JANE["postcode"])


def test_a_complaint_is_passed_to_a_person(chat: Chat) -> None:
    answer = chat.text("this is absolutely unacceptable, I want to make a formal complaint")
    assert "I'm sorry about this" in answer
    assert "passing you" in answer or re.search(r"reference is TCK-\d{6}", answer)
