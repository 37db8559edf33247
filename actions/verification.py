"""Identity verification shared by every form that needs a verified customer.

A customer proves who they are once per conversation: account number, then either their date
of birth or a one-time code sent to the contact on file. Every check is counted and rate-limited
by `actions.lockout`, outside the tracker: failed checks lock the conversation and the account
(see there for the policy), whatever `/restart` or a new session does to the slots, which only
mirror the lock. Dates of birth and codes are wiped from the tracker as soon as they have been
checked. Whether an account exists is never told: an unknown account fails like a wrong date.
"""

from __future__ import annotations

import math
import re
from contextlib import suppress
from datetime import date, datetime
from typing import Any

from dateutil import parser as date_parser
from rasa_sdk import Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.common import HandoverReason, backends, failure_slots, offer_human
from actions.lockout import (
    Subject,
    Verdict,
    account_subject,
    conversation_subject,
    verification_guard,
)
from actions.parsing import MAX_INPUT_CHARS, find_account_number
from connectors.errors import ConnectorError, NotFound

# The `otp_id` of a code "sent" to an account that does not exist: its check fails unmade.
NO_CHALLENGE = "none"
VERIFICATION_SLOTS = ["account_number", "verification_method", "date_of_birth", "otp_code"]

_OTP_WORDS = re.compile(r"\b(code|otp|one[- ]?time|text|sms|e-?mail|message|phone)\b", re.I)
_DOB_WORDS = re.compile(r"\b(birth|dob|birthday|born|date)\b", re.I)
_EMAIL_WORDS = re.compile(r"\be-?mail\b", re.I)
_OTP_CODE = re.compile(r"(?<![\d-])(\d{6})(?!\d)")


def parse_date_of_birth(text: str, today: date | None = None) -> date | None:
    """Read a full date of birth (day, month and year) from free text, UK order first."""
    if not text or len(text) > MAX_INPUT_CHARS:
        return None
    # Parsing twice with different defaults tells a missing day, month or year apart.
    first, second = datetime(1904, 1, 1), datetime(1908, 2, 2)
    try:
        a = date_parser.parse(text, dayfirst=True, fuzzy=True, default=first)
        b = date_parser.parse(text, dayfirst=True, fuzzy=True, default=second)
    except (ValueError, OverflowError):
        return None
    if a != b:
        return None
    today = today or date.today()
    if not (a.year >= 1900 and a.date() < today):
        return None
    return a.date()


def chosen_method(text: str) -> str | None:
    """Which verification the customer asked for: "dob", "otp", or None if unclear."""
    if not text or len(text) > MAX_INPUT_CHARS:
        return None
    if parse_date_of_birth(text) or _DOB_WORDS.search(text):
        return "dob"
    if _OTP_WORDS.search(text):
        return "otp"
    return None


def verification_slots(tracker: Tracker) -> list[str]:
    """The verification slots a form still has to fill, in order."""
    if any(tracker.get_slot(s) for s in ("verified", "verification_locked", "task_failed")):
        return []
    proof = "otp_code" if tracker.get_slot("verification_method") == "otp" else "date_of_birth"
    return ["account_number", "verification_method", proof]


def refused_slots(dispatcher: CollectingDispatcher, verdict: Verdict) -> dict[str, Any]:
    """Slots (and what to say) for a check the guard refused; they cut the form short."""
    if verdict.locked:
        # The task's action explains the lock and offers a person.
        return {**_start_again(), "verification_locked": True}
    minutes = max(1, math.ceil(verdict.retry_after_seconds / 60))
    dispatcher.utter_message(
        response="utter_too_many_attempts", minutes=f"{minutes} minute{'s' * (minutes > 1)}"
    )
    events = offer_human(dispatcher, HandoverReason.FAILED_VERIFICATION)
    return {**_start_again(), **{e["name"]: e["value"] for e in events}, "task_failed": True}


def mirror_lock(tracker: Tracker) -> list[EventType]:
    """`verification_locked` for a conversation that the store has locked and the slots forgot."""
    if tracker.get_slot("verified") or tracker.get_slot("verification_locked"):
        return []
    if not verification_guard().is_locked(conversation_subject(tracker.sender_id)):
        return []
    events: list[EventType] = [SlotSet("verification_locked", True)]
    tracker.add_slots(events)
    return events


class VerificationMixin:
    """Validation of the verification slots, for `FormValidationAction` subclasses."""

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        # Before anything is asked: `/restart` empties the slots, not the store.
        try:
            first = mirror_lock(tracker)
        except ConnectorError as error:
            slots = failure_slots(dispatcher, error)
            first = [SlotSet(name, value) for name, value in slots.items()]
            tracker.add_slots(first)
        return first + await super().run(dispatcher, tracker, domain)  # type: ignore[misc]

    def validate_account_number(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        account_number = find_account_number(str(value or ""))
        if account_number is None:
            dispatcher.utter_message(
                text="That doesn't look like an account number: it has 8 digits and starts "
                "with 3, for example 30012345."
            )
            return {"account_number": None}
        conversation = conversation_subject(tracker.sender_id)
        try:
            locked = verification_guard().is_locked(conversation, account_subject(account_number))
        except ConnectorError as error:
            return _stop_for_failure(dispatcher, error)
        if locked:
            return {**_start_again(), "verification_locked": True}
        return {"account_number": account_number}

    def validate_verification_method(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        text = str(value or "")
        method = chosen_method(text)
        if method is None:
            dispatcher.utter_message(
                text="Please choose: your date of birth, or a one-time code sent to you."
            )
            return {"verification_method": None}
        if method == "dob":
            dob = parse_date_of_birth(text)
            if dob is not None:  # they typed the date straight away
                return {"verification_method": "dob", **self._check_dob(dob, dispatcher, tracker)}
            return {"verification_method": "dob"}
        return self._send_code(text, dispatcher, tracker)

    def validate_date_of_birth(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        dob = parse_date_of_birth(str(value or ""))
        if dob is None:
            dispatcher.utter_message(
                text="Sorry, I couldn't read that as a date of birth. Please type it like "
                "14/03/1985."
            )
            return {"date_of_birth": None}
        return self._check_dob(dob, dispatcher, tracker)

    def validate_otp_code(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        match = _OTP_CODE.search(str(value or "")[:MAX_INPUT_CHARS])
        if not match:
            dispatcher.utter_message(text="The code has 6 digits. Please type it as you got it.")
            return {"otp_code": None}
        otp_id = tracker.get_slot("otp_id")
        if refused := _refused(dispatcher, tracker):
            return refused
        if otp_id == NO_CHALLENGE:
            return _failed(dispatcher, tracker)
        try:
            result = backends().crm.check_otp(otp_id, match.group(1))
        except NotFound:
            dispatcher.utter_message(text="That code has expired. Let's start again.")
            return {**_start_again(), "verification_method": None}
        except ConnectorError as error:
            return _stop_for_failure(dispatcher, error)
        if result.verified and result.customer_id:
            return _verified(dispatcher, result.customer_id)
        return _failed(dispatcher, tracker)

    def _check_dob(
        self, dob: date, dispatcher: CollectingDispatcher, tracker: Tracker
    ) -> dict[str, Any]:
        if refused := _refused(dispatcher, tracker):
            return refused
        account = tracker.get_slot("account_number")
        try:
            result = backends().crm.verify_dob(account, dob)
        except ConnectorError as error:
            return _stop_for_failure(dispatcher, error)
        if result.verified and result.customer_id:
            return _verified(dispatcher, result.customer_id)
        return _failed(dispatcher, tracker)

    def _send_code(
        self, text: str, dispatcher: CollectingDispatcher, tracker: Tracker
    ) -> dict[str, Any]:
        channel = "email" if _EMAIL_WORDS.search(text) else "sms"
        if refused := _refused(dispatcher, tracker):
            return refused
        try:
            otp_id = backends().crm.send_otp(tracker.get_slot("account_number"), channel).otp_id
        except NotFound:
            otp_id = NO_CHALLENGE  # said the same way: whether the account exists stays unknown
        except ConnectorError as error:
            return _stop_for_failure(dispatcher, error)
        to = "email address" if channel == "email" else "mobile number"
        dispatcher.utter_message(response="utter_code_sent", to=to)
        return {"verification_method": "otp", "otp_id": otp_id}


def _wiped() -> dict[str, Any]:
    return {"date_of_birth": None, "otp_code": None, "otp_id": None}


def _start_again() -> dict[str, Any]:
    return {**_wiped(), "account_number": None, "verification_method": None}


def _verified(dispatcher: CollectingDispatcher, customer_id: str) -> dict[str, Any]:
    name = None
    # The name is a nicety: verification itself has succeeded even if the CRM fails now.
    with suppress(ConnectorError):
        name = backends().crm.get_customer(customer_id).first_name
    dispatcher.utter_message(text=f"Thanks{' ' + name if name else ''}, you're verified.")
    return {
        **_wiped(),
        "verified": True,
        "customer_id": customer_id,
        "customer_name": name,
        "verification_failures": 0,
    }


def _subjects(tracker: Tracker) -> tuple[Subject, Subject]:
    return (
        conversation_subject(tracker.sender_id),
        account_subject(tracker.get_slot("account_number")),
    )


def _refused(dispatcher: CollectingDispatcher, tracker: Tracker) -> dict[str, Any] | None:
    """Count a check of the account; the slots to return instead if it must not be made."""
    try:
        verdict = verification_guard().begin_check(*_subjects(tracker))
    except ConnectorError as error:
        return _stop_for_failure(dispatcher, error)
    return None if verdict.allowed else refused_slots(dispatcher, verdict)


def _failed(dispatcher: CollectingDispatcher, tracker: Tracker) -> dict[str, Any]:
    failures = int(tracker.get_slot("verification_failures") or 0) + 1
    try:
        locked = verification_guard().record_failure(*_subjects(tracker))
    except ConnectorError as error:  # uncounted, so not allowed to go on
        return _stop_for_failure(dispatcher, error)
    if locked:
        # The form's required slots become empty, which ends it; the task says why.
        return {**_start_again(), "verification_failures": failures, "verification_locked": True}
    dispatcher.utter_message(
        text="Sorry, those details don't match our records. Let's try again from the start."
    )
    return {**_start_again(), "verification_failures": failures}


def _stop_for_failure(dispatcher: CollectingDispatcher, error: ConnectorError) -> dict[str, Any]:
    return {**_start_again(), **failure_slots(dispatcher, error)}
