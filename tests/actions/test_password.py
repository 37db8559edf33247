from actions.password import ActionResetPassword
from tests import factories as f
from tests.actions.conftest import make_tracker, rendered, responses, slot_events

VERIFIED = {"verified": True, "customer_id": "CUS-00001"}


async def test_reset_link_goes_to_the_email_on_file(http, dispatcher, domain) -> None:
    http.get(f"{f.CRM}/customers/CUS-00001", json=f.customer())
    reset = http.post(
        f"{f.IDENTITY}/password-resets",
        json={"reset_id": "r1", "sent_to": "j***@example.com", "expires_in_minutes": 30},
    )
    await ActionResetPassword().run(dispatcher, make_tracker(VERIFIED), domain)
    assert reset.last_request.json() == {"customer_id": "CUS-00001", "channel": "email"}
    assert responses(dispatcher) == ["utter_password_reset_sent"]
    assert dispatcher.messages[0]["sent_to"] == "j***@example.com"
    said = rendered(dispatcher)[0]
    assert said.startswith(
        "I've sent a password reset link to j***@example.com. It works for 30 minutes."
    )
    assert "jane.doe@example.com" not in said


async def test_reset_link_by_text_when_no_email(http, dispatcher, domain) -> None:
    http.get(f"{f.CRM}/customers/CUS-00001", json=f.customer(email=""))
    reset = http.post(
        f"{f.IDENTITY}/password-resets",
        json={"reset_id": "r1", "sent_to": "+44 7*** ***123", "expires_in_minutes": 30},
    )
    await ActionResetPassword().run(dispatcher, make_tracker(VERIFIED), domain)
    assert reset.last_request.json()["channel"] == "sms"


async def test_unverified_customer_gets_nothing(http, dispatcher, domain) -> None:
    await ActionResetPassword().run(dispatcher, make_tracker({"verification_locked": True}), domain)
    assert not http.request_history
    assert dispatcher.messages[0]["response"] == "utter_verification_locked"


async def test_identity_system_down(http, dispatcher, domain) -> None:
    http.get(f"{f.CRM}/customers/CUS-00001", json=f.customer())
    http.post(f"{f.IDENTITY}/password-resets", status_code=500)
    events = await ActionResetPassword().run(dispatcher, make_tracker(VERIFIED), domain)
    assert responses(dispatcher) == ["utter_backend_error_identity", "utter_offer_human"]
    assert slot_events(events)["pending_offer"] == "human"
