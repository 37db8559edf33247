"""Verification when the customer has no account number, or mistypes a one-time code."""

from __future__ import annotations

import pytest
from rasa_sdk.executor import CollectingDispatcher

from actions.billing import ActionCheckBillBalance
from actions.forms import ValidateOrderForm, ValidatePasswordForm
from actions.orders import ActionTrackOrder
from actions.parsing import says_unknown
from actions.verification import NO_ACCOUNT_NUMBER, NO_CHALLENGE
from tests import factories as f
from tests.actions.conftest import make_tracker, render, rendered, responses, slot_events

NO_NUMBER_EN = (
    "No problem. Your account number is the 8-digit number starting with 3 at the top of your "
    "bills: if you find it, just ask me again. Without it I can't confirm who you are in this "
    "chat, but a member of our team can check your identity another way."
)
NO_NUMBER_FR = (
    "Pas de problème. Votre numéro de compte est le numéro à 8 chiffres commençant par 3, "
    "indiqué en haut de vos factures : si vous le retrouvez, redemandez-moi simplement. Sans "
    "lui, je ne peux pas confirmer votre identité dans ce chat, mais un membre de notre équipe "
    "peut la vérifier autrement."
)


@pytest.mark.parametrize(
    "text, expected",
    [
        ("I don't know my account number", True),
        ("dont know it", True),
        ("I forgot my account number", True),
        ("i've lost it", True),
        ("no idea", True),
        ("I can't find it anywhere", True),
        ("je ne connais pas mon numéro de client", True),
        ("je sais pas", True),
        ("j'ai oublié mon numéro", True),
        ("je ne le retrouve pas", True),
        ("aucune idée", True),
        ("je l'ai perdu", True),
        ("30000001", False),
        ("why do you need it?", False),
        ("banana", False),
        ("", False),
    ],
)
def test_says_unknown(text: str, expected: bool) -> None:
    assert says_unknown(text) is expected


@pytest.mark.parametrize(
    "text, intent, value, language, expected",
    [
        ("I don't know it", "deny", NO_ACCOUNT_NUMBER, "en", NO_NUMBER_EN),
        # Taken for a password request, the words still say it.
        ("I forgot my account number", "reset_password", "I forgot my account number", "en",
         NO_NUMBER_EN),
        ("je ne connais pas mon numéro de client", "out_of_scope",
         "je ne connais pas mon numéro de client", "fr", NO_NUMBER_FR),
        ("je ne l'ai pas", "deny", NO_ACCOUNT_NUMBER, "fr", NO_NUMBER_FR),
    ],
)  # fmt: skip
async def test_no_account_number_offers_a_person_instead_of_asking_again(
    dispatcher, domain, text: str, intent: str, value: str, language: str, expected: str
) -> None:
    tracker = make_tracker(
        {"language": language}, text=text, intent=intent, candidates={"account_number": value}
    )
    events = await ValidatePasswordForm().run(dispatcher, tracker, domain)
    slots = slot_events(events)
    assert slots["account_number"] is None
    assert slots["requested_slot"] is None, "the form ends: no question asked again"
    assert slots["pending_offer"] == "human"
    assert slots["handover_reason"] == "customer_request"
    assert slots["task_failed"] is True
    assert responses(dispatcher) == ["utter_no_account_number", "utter_offer_human"]
    assert rendered(dispatcher, language)[0] == expected
    buttons = render(dispatcher.messages[1], language)["buttons"]
    assert [b["payload"] for b in buttons] == ["/request_human", "/deny"]


async def test_the_task_says_nothing_more_after_no_account_number(http, domain) -> None:
    tracker = make_tracker(
        text="I don't have it", intent="deny", candidates={"account_number": NO_ACCOUNT_NUMBER}
    )
    form_slots = slot_events(
        await ValidatePasswordForm().run(CollectingDispatcher(), tracker, domain)
    )
    dispatcher = CollectingDispatcher()
    events = await ActionCheckBillBalance().run(dispatcher, make_tracker(form_slots), domain)
    assert dispatcher.messages == [], "the form already explained and offered a person"
    assert slot_events(events) == {"task_failed": False}
    assert not http.request_history


async def test_the_order_form_without_account_number_ends_quietly(http, domain) -> None:
    dispatcher = CollectingDispatcher()
    asked = {"order_number": "none"}
    tracker = make_tracker(
        asked, text="no idea", intent="deny", candidates={"account_number": NO_ACCOUNT_NUMBER}
    )
    slots = slot_events(await ValidateOrderForm().run(dispatcher, tracker, domain))
    assert slots["requested_slot"] is None
    assert responses(dispatcher) == ["utter_no_account_number", "utter_offer_human"]
    after = CollectingDispatcher()
    events = await ActionTrackOrder().run(after, make_tracker({**asked, **slots}), domain)
    assert after.messages == []
    assert slot_events(events)["task_failed"] is False
    assert not http.request_history


async def test_text_that_is_no_account_number_is_still_asked_again(dispatcher, domain) -> None:
    tracker = make_tracker(text="why do you need it", candidates={"account_number": "why"})
    events = await ValidatePasswordForm().run(dispatcher, tracker, domain)
    assert slot_events(events)["requested_slot"] == "account_number"
    assert responses(dispatcher) == ["utter_not_an_account_number"]


SENT = {"account_number": "30000001", "verification_method": "otp", "otp_id": "otp-1"}


def typed_code(code: str, **slots) -> object:
    return make_tracker({**SENT, **slots}, text=code, candidates={"otp_code": code})


@pytest.mark.parametrize(
    "language, said",
    [("en", ["Sorry, that code isn't right."]), ("fr", ["Désolé, ce code n'est pas le bon."])],
)
async def test_a_wrong_code_asks_for_the_code_again(
    http, dispatcher, domain, language: str, said: list[str]
) -> None:
    check = http.post(f"{f.CRM}/identity/otp/otp-1/check", json={"verified": False})
    events = await ValidatePasswordForm().run(
        dispatcher, typed_code("111111", language=language), domain
    )
    slots = slot_events(events)
    assert check.call_count == 1
    assert slots == {"otp_code": None, "verification_failures": 1, "requested_slot": "otp_code"}
    assert rendered(dispatcher, language) == said
    assert render({"response": "utter_ask_otp_code"}, language)["text"] in (
        "Please type the 6-digit code.",
        "Merci de saisir le code à 6 chiffres.",
    )


async def test_the_right_code_after_a_wrong_one_verifies(http, domain) -> None:
    answers = [
        {"json": {"verified": False}},
        {"json": {"verified": True, "customer_id": "CUS-00001"}},
    ]
    http.post(f"{f.CRM}/identity/otp/otp-1/check", answers)
    http.get(f"{f.CRM}/customers/CUS-00001", json=f.customer())
    first = slot_events(
        await ValidatePasswordForm().run(CollectingDispatcher(), typed_code("111111"), domain)
    )
    dispatcher = CollectingDispatcher()
    events = await ValidatePasswordForm().run(
        dispatcher, typed_code("482913", verification_failures=first["verification_failures"]),
        domain,
    )  # fmt: skip
    slots = slot_events(events)
    assert slots["verified"] is True and slots["requested_slot"] is None
    assert rendered(dispatcher) == ["Thanks Jane, you're verified."]


async def test_the_third_wrong_code_locks_as_before(http, domain) -> None:
    http.post(f"{f.CRM}/identity/otp/otp-1/check", json={"verified": False})
    said, slots = [], {}
    for failures in range(3):
        dispatcher = CollectingDispatcher()
        tracker = typed_code("111111", verification_failures=failures)
        slots = slot_events(await ValidatePasswordForm().run(dispatcher, tracker, domain))
        said.append(responses(dispatcher))
    assert said == [["utter_wrong_code"], ["utter_wrong_code"], []]
    assert slots["verification_locked"] is True
    assert slots["account_number"] is None and slots["otp_id"] is None
    assert slots["requested_slot"] is None


async def test_a_code_for_an_unknown_account_is_asked_again_the_same_way(
    http, dispatcher, domain
) -> None:
    tracker = typed_code("123456", account_number="39999999", otp_id=NO_CHALLENGE)
    events = await ValidatePasswordForm().run(dispatcher, tracker, domain)
    assert not http.request_history
    assert responses(dispatcher) == ["utter_wrong_code"]
    assert slot_events(events)["requested_slot"] == "otp_code"
