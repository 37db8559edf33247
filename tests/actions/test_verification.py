from datetime import date

import httpx
import pytest
from rasa_sdk.executor import CollectingDispatcher

from actions.forms import ValidateBillForm, ValidatePasswordForm
from actions.verification import chosen_method, parse_date_of_birth
from tests import factories as f
from tests.actions.conftest import make_tracker, rendered, responses, slot_events

TODAY = date(2026, 11, 21)


@pytest.mark.parametrize(
    "text, expected",
    [
        ("14/03/1985", date(1985, 3, 14)),
        ("14-03-1985", date(1985, 3, 14)),
        ("1985-03-14", date(1985, 3, 14)),
        ("March 14th 1985", date(1985, 3, 14)),
        ("i was born on 3 june 1990", date(1990, 6, 3)),
        ("Je suis née le 27 août 1992.", date(1992, 8, 27)),
        ("27 aout 1992", date(1992, 8, 27)),
        ("le 1er mars 1980", date(1980, 3, 1)),
        ("14 févr. 1985", date(1985, 2, 14)),
        ("14 mars", None),
        ("14 March", None),
        ("March 1985", None),
        ("14/03/2030", None),
        ("", None),
        ("x" * 10_000, None),
        ("<script>alert(1)</script>", None),
        ("99/99/9999", None),
    ],
)
def test_parse_date_of_birth(text: str, expected: date | None) -> None:
    assert parse_date_of_birth(text, today=TODAY) == expected


@pytest.mark.parametrize(
    "text, expected",
    [
        ("date of birth", "dob"),
        ("14/03/1985", "dob"),
        ("send me a code", "otp"),
        ("text me please", "otp"),
        ("by email", "otp"),
        ("ma date de naissance", "dob"),
        ("envoyez-moi un code", "otp"),
        ("par texto", "otp"),
        ("par courriel", "otp"),
        ("sur mon téléphone", "otp"),
        ("banana", None),
        ("", None),
    ],
)
def test_chosen_method(text: str, expected: str | None) -> None:
    assert chosen_method(text) == expected


VERIFYING = {"account_number": "30000001", "verification_method": "dob"}


def wrong_date(sender_id: str = "test-conversation", dob: str = "01/01/1990"):
    """A fresh tracker (no failures in its slots) about to check a date of birth."""
    return make_tracker(VERIFYING, text=dob, candidates={"date_of_birth": dob}, sender_id=sender_id)


async def test_account_number_is_read_from_free_text(dispatcher, domain) -> None:
    tracker = make_tracker(text="it's 3000 0001", candidates={"account_number": "it's 3000 0001"})
    events = await ValidateBillForm().run(dispatcher, tracker, domain)
    slots = slot_events(events)
    assert slots["account_number"] == "30000001"
    assert slots["requested_slot"] == "verification_method"


async def test_wrong_account_number_format_is_asked_again(dispatcher, domain) -> None:
    tracker = make_tracker(text="12345", candidates={"account_number": "12345"})
    events = await ValidateBillForm().run(dispatcher, tracker, domain)
    assert slot_events(events)["account_number"] is None
    assert rendered(dispatcher) == [
        "That doesn't look like an account number: it has 8 digits and starts with 3, for "
        "example 30012345."
    ]


async def test_date_of_birth_that_matches_verifies(http, dispatcher, domain) -> None:
    http.post(f"{f.CRM}/identity/verify", json={"verified": True, "customer_id": "CUS-00001"})
    http.get(f"{f.CRM}/customers/CUS-00001", json=f.customer())
    tracker = make_tracker(VERIFYING, text="14/03/1985", candidates={"date_of_birth": "14/03/1985"})
    events = await ValidateBillForm().run(dispatcher, tracker, domain)
    slots = slot_events(events)
    assert http.request_history[0].json() == {
        "account_number": "30000001",
        "date_of_birth": "1985-03-14",
    }
    assert slots["verified"] is True
    assert slots["customer_id"] == "CUS-00001"
    assert slots["date_of_birth"] is None, "the date of birth must not stay in the tracker"
    assert slots["requested_slot"] is None, "a verified customer ends the form"
    assert responses(dispatcher) == ["utter_verified_named"]
    assert dispatcher.messages[0]["name"] == "Jane"
    assert rendered(dispatcher) == ["Thanks Jane, you're verified."]


async def test_mismatch_counts_a_failure_and_starts_again(http, dispatcher, domain) -> None:
    http.post(f"{f.CRM}/identity/verify", json={"verified": False, "customer_id": None})
    tracker = make_tracker(VERIFYING, text="01/01/1990", candidates={"date_of_birth": "01/01/1990"})
    events = await ValidatePasswordForm().run(dispatcher, tracker, domain)
    slots = slot_events(events)
    assert slots["verification_failures"] == 1
    assert slots["account_number"] is None
    assert slots["requested_slot"] == "account_number"
    assert rendered(dispatcher) == [
        "Sorry, those details don't match our records. Let's try again from the start."
    ]


async def test_third_failure_locks_verification(http, dispatcher, domain) -> None:
    http.post(f"{f.CRM}/identity/verify", json={"verified": False, "customer_id": None})
    for _ in range(2):
        await ValidateBillForm().run(CollectingDispatcher(), wrong_date(), domain)
    events = await ValidateBillForm().run(dispatcher, wrong_date(), domain)
    slots = slot_events(events)
    assert slots["verification_locked"] is True
    assert slots["requested_slot"] is None


async def test_locked_verification_asks_nothing(dispatcher, domain) -> None:
    tracker = make_tracker({"verification_locked": True}, text="what do i owe")
    events = await ValidateBillForm().run(dispatcher, tracker, domain)
    assert slot_events(events) == {"requested_slot": None}


async def test_one_time_code_by_email(http, dispatcher, domain) -> None:
    http.post(
        f"{f.CRM}/identity/otp",
        json={"otp_id": "otp-1", "sent_to": "j***@example.com", "expires_in_seconds": 300},
    )
    tracker = make_tracker(
        {"account_number": "30000001"},
        text="send me a code by email",
        candidates={"verification_method": "send me a code by email"},
    )
    events = await ValidateBillForm().run(dispatcher, tracker, domain)
    assert http.request_history[0].json() == {"account_number": "30000001", "channel": "email"}
    slots = slot_events(events)
    assert slots["verification_method"] == "otp"
    assert slots["otp_id"] == "otp-1"
    assert slots["requested_slot"] == "otp_code"
    assert rendered(dispatcher) == [
        "If that account number is right, a 6-digit code is on its way to the email address we "
        "have for it."
    ]


async def test_a_code_by_french_email_goes_to_the_email_address(http, dispatcher, domain) -> None:
    sent = http.post(
        f"{f.CRM}/identity/otp",
        json={"otp_id": "otp-1", "sent_to": "j***@example.com", "expires_in_seconds": 300},
    )
    tracker = make_tracker(
        {"account_number": "30000001", "language": "fr"},
        text="par mail",
        candidates={"verification_method": "par mail"},
    )
    await ValidateBillForm().run(dispatcher, tracker, domain)
    assert sent.last_request.json()["channel"] == "email"
    assert rendered(dispatcher, "fr") == [
        "Si ce numéro de compte est correct, un code à 6 chiffres vient d'être envoyé à l'adresse "
        "e-mail qui y est associée."
    ]


async def test_right_one_time_code_verifies(http, dispatcher, domain) -> None:
    check = http.post(
        f"{f.CRM}/identity/otp/otp-1/check", json={"verified": True, "customer_id": "CUS-00001"}
    )
    http.get(f"{f.CRM}/customers/CUS-00001", json=f.customer())
    tracker = make_tracker(
        {"account_number": "30000001", "verification_method": "otp", "otp_id": "otp-1"},
        text="the code is 482913",
        candidates={"otp_code": "the code is 482913"},
    )
    events = await ValidateBillForm().run(dispatcher, tracker, domain)
    assert check.last_request.json() == {"code": "482913"}
    assert slot_events(events)["verified"] is True


async def test_crm_timeout_apologises_and_ends_the_form(http, dispatcher, domain) -> None:
    http.post(f"{f.CRM}/identity/verify", exc=httpx.ReadTimeout)
    tracker = make_tracker(VERIFYING, text="14/03/1985", candidates={"date_of_birth": "14/03/1985"})
    events = await ValidateBillForm().run(dispatcher, tracker, domain)
    slots = slot_events(events)
    assert slots["task_failed"] is True
    assert slots["pending_offer"] == "human"
    assert slots["handover_reason"] == "backend_failure"
    assert slots["requested_slot"] is None
    assert responses(dispatcher) == ["utter_backend_error_crm", "utter_offer_human"]
    assert rendered(dispatcher)[0].startswith("Sorry, I can't reach our customer records system")


async def test_crm_error_when_sending_a_code(http, dispatcher, domain) -> None:
    http.post(f"{f.CRM}/identity/otp", status_code=500)
    tracker = make_tracker(
        {"account_number": "30000001"},
        text="code please",
        candidates={"verification_method": "code please"},
    )
    events = await ValidateBillForm().run(dispatcher, tracker, domain)
    assert slot_events(events)["task_failed"] is True
    assert dispatcher.messages[0]["response"] == "utter_backend_error_crm"


def verified_by_date_of_birth(http, crm_language: str, **slots):
    """A tracker about to verify Jane, whose CRM record says she speaks `crm_language`."""
    http.post(f"{f.CRM}/identity/verify", json={"verified": True, "customer_id": "CUS-00001"})
    http.get(f"{f.CRM}/customers/CUS-00001", json=f.customer(language=crm_language))
    return make_tracker(
        {**VERIFYING, **slots}, text="14/03/1985", candidates={"date_of_birth": "14/03/1985"}
    )


async def test_the_crm_language_is_adopted_once_verified(http, dispatcher, domain) -> None:
    tracker = verified_by_date_of_birth(http, "fr", language="en", language_source="detected")
    events = await ValidateBillForm().run(dispatcher, tracker, domain)
    slots = slot_events(events)
    assert slots["verified"] is True
    assert slots["language"] == "fr" and slots["language_source"] == "customer"


async def test_an_english_record_brings_a_french_chat_back_to_english(
    http, dispatcher, domain
) -> None:
    tracker = verified_by_date_of_birth(http, "en", language="fr", language_source="detected")
    slots = slot_events(await ValidateBillForm().run(dispatcher, tracker, domain))
    assert slots["language"] == "en" and slots["language_source"] == "customer"


async def test_the_widgets_language_wins_over_the_crm(http, dispatcher, domain) -> None:
    tracker = verified_by_date_of_birth(http, "fr", language="en", language_source="widget")
    slots = slot_events(await ValidateBillForm().run(dispatcher, tracker, domain))
    assert slots["verified"] is True
    assert "language" not in slots and "language_source" not in slots


async def test_no_record_after_verifying_keeps_the_language(http, dispatcher, domain) -> None:
    http.post(f"{f.CRM}/identity/verify", json={"verified": True, "customer_id": "CUS-00001"})
    http.get(f"{f.CRM}/customers/CUS-00001", status_code=503)
    tracker = make_tracker(
        {**VERIFYING, "language": "fr"},
        text="14/03/1985",
        candidates={"date_of_birth": "14/03/1985"},
    )
    slots = slot_events(await ValidateBillForm().run(dispatcher, tracker, domain))
    assert slots["verified"] is True and "language" not in slots
    assert rendered(dispatcher, "fr") == ["Merci, votre identité est confirmée."]
