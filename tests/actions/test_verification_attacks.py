"""The attacks on verification from issue 8, replayed on the form validation: all fail now."""

from __future__ import annotations

from datetime import date, timedelta

from rasa_sdk.executor import CollectingDispatcher

from actions import lockout
from actions.forms import ValidateBillForm, ValidatePasswordForm
from tests import factories as f
from tests.actions.conftest import make_tracker, slot_events, texts
from tests.fake_http import Recorded

JANE_DOB = date(1985, 3, 14)


def answer_like_the_crm(request: Recorded) -> dict:
    """The CRM's real answer: verified only for Jane's account and date of birth."""
    body = request.json()
    if body == {"account_number": "30000001", "date_of_birth": JANE_DOB.isoformat()}:
        return {"verified": True, "customer_id": "CUS-00001"}
    return {"verified": False, "customer_id": None}


def guess(sender_id: str, dob: date, account: str = "30000001"):
    """A fresh tracker, as after `/restart`: no failures in its slots, a date to check."""
    text = dob.strftime("%d/%m/%Y")
    return make_tracker(
        {"account_number": account, "verification_method": "dob", "verification_failures": 0},
        text=text,
        candidates={"date_of_birth": text},
        sender_id=sender_id,
    )


async def fail_three_times(http, domain, sender_id: str = "attacker") -> None:
    http.post(f"{f.CRM}/identity/verify", json=answer_like_the_crm)
    for day in range(3):
        await ValidateBillForm().run(
            CollectingDispatcher(), guess(sender_id, date(1990, 1, 1 + day)), domain
        )


async def test_restart_after_three_failures_is_still_locked(http, dispatcher, domain) -> None:
    await fail_three_times(http, domain)
    fresh = make_tracker(
        {"verification_failures": 0}, text="/restart then my bill", sender_id="attacker"
    )

    events = await ValidateBillForm().run(dispatcher, fresh, domain)

    assert slot_events(events) == {"verification_locked": True, "requested_slot": None}


async def test_the_account_stays_locked_from_a_new_conversation(http, dispatcher, domain) -> None:
    await fail_three_times(http, domain, sender_id="first-session")
    calls = http.call_count
    new_session = make_tracker(
        text="30000001", candidates={"account_number": "30000001"}, sender_id="second-session"
    )

    events = await ValidatePasswordForm().run(dispatcher, new_session, domain)

    slots = slot_events(events)
    assert slots["verification_locked"] is True and slots["requested_slot"] is None
    assert http.call_count == calls, "no back-end call"


async def test_a_restarted_action_server_still_locks(http, dispatcher, domain) -> None:
    await fail_three_times(http, domain)
    lockout.forget_guard()  # a new store instance, as after a restart

    events = await ValidateBillForm().run(dispatcher, guess("attacker", JANE_DOB), domain)

    assert slot_events(events)["verification_locked"] is True
    assert "verified" not in slot_events(events)


async def test_brute_force_of_a_date_of_birth_finds_nothing(http, domain) -> None:
    verify = http.post(f"{f.CRM}/identity/verify", json=answer_like_the_crm)
    http.get(f"{f.CRM}/customers/CUS-00001", json=f.customer())
    # The finding: the right date was 20 guesses away, each with `verification_failures: 0`.
    guesses = [JANE_DOB - timedelta(days=19 - n) for n in range(20)]

    results = []
    for dob in guesses:
        events = await ValidateBillForm().run(
            CollectingDispatcher(), guess("attacker", dob), domain
        )
        results.append(slot_events(events))

    assert not any(r.get("verified") for r in results)
    assert verify.call_count == 3


async def test_brute_force_from_a_new_session_each_time_finds_nothing(http, domain) -> None:
    verify = http.post(f"{f.CRM}/identity/verify", json=answer_like_the_crm)
    http.get(f"{f.CRM}/customers/CUS-00001", json=f.customer())
    guesses = [JANE_DOB - timedelta(days=19 - n) for n in range(20)]

    results = []
    for number, dob in enumerate(guesses):
        tracker = guess(f"session-{number}", dob)
        results.append(
            slot_events(await ValidateBillForm().run(CollectingDispatcher(), tracker, domain))
        )

    assert not any(r.get("verified") for r in results)
    assert verify.call_count == 3


async def test_an_unknown_account_counts_and_locks_like_a_real_one(
    http, dispatcher, domain
) -> None:
    verify = http.post(f"{f.CRM}/identity/verify", json=answer_like_the_crm)
    for day in range(3):
        await ValidateBillForm().run(
            CollectingDispatcher(), guess("prober", date(1990, 1, 1 + day), "39999999"), domain
        )
    events = await ValidateBillForm().run(
        dispatcher, guess("another-prober", date(1990, 1, 9), "39999999"), domain
    )
    assert slot_events(events)["verification_locked"] is True
    assert verify.call_count == 3


async def test_codes_are_rate_limited_per_conversation(http, domain) -> None:
    send = http.post(
        f"{f.CRM}/identity/otp",
        json={"otp_id": "otp-1", "sent_to": "+44 7*** ***123", "expires_in_seconds": 300},
    )
    said = []
    for _ in range(6):
        dispatcher = CollectingDispatcher()
        tracker = make_tracker(
            {"account_number": "30000001"},
            text="send me a code",
            candidates={"verification_method": "send me a code"},
            sender_id="sms-bomber",
        )
        events = await ValidateBillForm().run(dispatcher, tracker, domain)
        said.append((texts(dispatcher), slot_events(events)))

    assert send.call_count == 5, "the sixth code is not sent"
    refused_texts, refused_slots = said[-1]
    assert refused_texts == ["utter_too_many_attempts", "utter_offer_human"]
    assert refused_slots["task_failed"] is True and refused_slots["requested_slot"] is None
    assert refused_slots["handover_reason"] == "failed_verification"


async def test_a_code_for_an_unknown_account_reads_the_same_and_fails(
    http, dispatcher, domain
) -> None:
    http.post(f"{f.CRM}/identity/otp", status_code=404, json={"detail": "unknown account"})
    asking = make_tracker(
        {"account_number": "39999999"},
        text="text me a code",
        candidates={"verification_method": "text me a code"},
    )
    events = await ValidateBillForm().run(dispatcher, asking, domain)
    assert dispatcher.messages[0]["response"] == "utter_code_sent_sms"
    assert slot_events(events)["requested_slot"] == "otp_code", "as for an account that exists"

    answering = make_tracker(
        {"account_number": "39999999", "verification_method": "otp", **slot_events(events)},
        text="123456",
        candidates={"otp_code": "123456"},
    )
    events = await ValidateBillForm().run(CollectingDispatcher(), answering, domain)
    assert slot_events(events)["verification_failures"] == 1
    assert http.call_count == 1, "no code check for a code never sent"


async def test_an_unreachable_attempt_store_refuses_the_check(
    http, dispatcher, domain, monkeypatch
) -> None:
    monkeypatch.setenv("ACTIONS_DATABASE_URL", "postgresql://nobody@127.0.0.1:9/none")
    lockout.forget_guard()
    verify = http.post(f"{f.CRM}/identity/verify", json=answer_like_the_crm)

    events = await ValidateBillForm().run(dispatcher, guess("attacker", JANE_DOB), domain)

    slots = slot_events(events)
    assert slots["task_failed"] is True and "verified" not in slots
    assert dispatcher.messages[0]["response"] == "utter_backend_error_identity"
    assert not verify.called, "an uncounted check is not made"
