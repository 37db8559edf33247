"""Identity verification shared by every form that needs a verified customer.

A customer proves who they are once per conversation: account number, then either their date
of birth or a one-time code sent to the contact on file. A wrong date of birth starts again from
the account number (the number may be what is wrong); a wrong code is asked for again. A
customer without their account number is offered a person: the CRM finds customers by account
number only. Every check is counted and rate-limited
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
from actions.formatting import LANGUAGES, format_minutes, language_of, utter_in
from actions.lockout import (
    Subject,
    Verdict,
    account_subject,
    begin_check,
    conversation_subject,
    is_locked,
    record_failure,
)
from actions.parsing import MAX_INPUT_CHARS, find_account_number, says_unknown
from connectors.crm import Customer
from connectors.errors import ConnectorError, NotFound
from connectors.models import Channel

# The `otp_id` of a code "sent" to an account that does not exist: its check fails unmade.
NO_CHALLENGE = "none"
# The `account_number` of a customer who said no when asked for it (domain.yml maps `deny`).
NO_ACCOUNT_NUMBER = "unknown"
VERIFICATION_SLOTS = ["account_number", "verification_method", "date_of_birth", "otp_code"]

# In English and in French.
_OTP_WORDS = re.compile(
    r"\b(code|otp|one[- ]?time|text|texto|sms|(e-?)?mail|courriel|message|phone|t[ée]l[ée]phone"
    r"|portable)\b",
    re.I,
)
_DOB_WORDS = re.compile(r"\b(birth|dob|birthday|born|date|naissance)\b", re.I)
_EMAIL_WORDS = re.compile(r"\b((e-?)?mail|courriel)\b", re.I)
_OTP_CODE = re.compile(r"(?<![\d-])(\d{6})(?!\d)")


class _BilingualMonths(date_parser.parserinfo):
    """dateutil's English month names, and the French ones with and without accents."""

    MONTHS = [
        ("Jan", "January", "janvier", "janv"),
        ("Feb", "February", "février", "fevrier", "févr", "fevr"),
        ("Mar", "March", "mars"),
        ("Apr", "April", "avril", "avr"),
        ("May", "mai"),
        ("Jun", "June", "juin"),
        ("Jul", "July", "juillet", "juil"),
        ("Aug", "August", "août", "aout"),
        ("Sep", "Sept", "September", "septembre"),
        ("Oct", "October", "octobre"),
        ("Nov", "November", "novembre"),
        ("Dec", "December", "décembre", "decembre", "déc"),
    ]


_MONTHS = _BilingualMonths(dayfirst=True)
_FIRST = re.compile(r"\b1(?:er|ère)\b", re.I)  # "le 1er mars"


def parse_date_of_birth(text: str, today: date | None = None) -> date | None:
    """Read a full date of birth (day, month and year) from free text, UK order first."""
    if not text or len(text) > MAX_INPUT_CHARS:
        return None
    text = _FIRST.sub("1", text)
    # Parsing twice with different defaults tells a missing day, month or year apart.
    first, second = datetime(1904, 1, 1), datetime(1908, 2, 2)
    try:
        a = date_parser.parse(text, _MONTHS, dayfirst=True, fuzzy=True, default=first)
        b = date_parser.parse(text, _MONTHS, dayfirst=True, fuzzy=True, default=second)
    except (ValueError, OverflowError):
        return None
    if a != b:
        return None
    today = today or date.today()
    if not (a.year >= 1900 and a.date() < today):
        return None
    return a.date()


def chosen_method(text: str) -> str | None:
    """Which verification the customer asked for: "dob", "otp", or None if unclear.

    The buttons send the slot's own values, "dob" and "otp", which read the same way.
    """
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


def refused_slots(
    dispatcher: CollectingDispatcher, verdict: Verdict, language: str
) -> dict[str, Any]:
    """Slots (and what to say) for a check the guard refused; they cut the form short."""
    if verdict.locked:
        # The task's action explains the lock and offers a person.
        return {**_start_again(), "verification_locked": True}
    minutes = max(1, math.ceil(verdict.retry_after_seconds / 60))
    dispatcher.utter_message(
        response="utter_too_many_attempts", minutes=format_minutes(minutes, language=language)
    )
    events = offer_human(dispatcher, HandoverReason.FAILED_VERIFICATION)
    return {**_start_again(), **{e["name"]: e["value"] for e in events}, "task_failed": True}


async def mirror_lock(tracker: Tracker) -> list[EventType]:
    """`verification_locked` for a conversation that the store has locked and the slots forgot."""
    if tracker.get_slot("verified") or tracker.get_slot("verification_locked"):
        return []
    if not await is_locked(conversation_subject(tracker.sender_id)):
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
            first = await mirror_lock(tracker)
        except ConnectorError as error:
            slots = failure_slots(dispatcher, error)
            first = [SlotSet(name, value) for name, value in slots.items()]
            tracker.add_slots(first)
        return first + await super().run(dispatcher, tracker, domain)  # type: ignore[misc]

    async def validate_account_number(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        text = str(value or "")
        account_number = find_account_number(text)
        if account_number is None:
            if value == NO_ACCOUNT_NUMBER or says_unknown(text):
                return _without_account_number(dispatcher)
            dispatcher.utter_message(response="utter_not_an_account_number")
            return {"account_number": None}
        conversation = conversation_subject(tracker.sender_id)
        try:
            locked = await is_locked(conversation, account_subject(account_number))
        except ConnectorError as error:
            return _stop_for_failure(dispatcher, error)
        if locked:
            return {**_start_again(), "verification_locked": True}
        return {"account_number": account_number}

    async def validate_verification_method(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        text = str(value or "")
        method = chosen_method(text)
        if method is None:
            dispatcher.utter_message(response="utter_choose_verification_method")
            return {"verification_method": None}
        if method == "dob":
            dob = parse_date_of_birth(text)
            if dob is not None:  # they typed the date straight away
                return {
                    "verification_method": "dob",
                    **await self._check_dob(dob, dispatcher, tracker, domain),
                }
            return {"verification_method": "dob"}
        return await self._send_code(text, dispatcher, tracker)

    async def validate_date_of_birth(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        dob = parse_date_of_birth(str(value or ""))
        if dob is None:
            dispatcher.utter_message(response="utter_not_a_date_of_birth")
            return {"date_of_birth": None}
        return await self._check_dob(dob, dispatcher, tracker, domain)

    async def validate_otp_code(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        match = _OTP_CODE.search(str(value or "")[:MAX_INPUT_CHARS])
        if not match:
            dispatcher.utter_message(response="utter_not_a_code")
            return {"otp_code": None}
        otp_id = tracker.get_slot("otp_id")
        if refused := await _refused(dispatcher, tracker):
            return refused
        if otp_id == NO_CHALLENGE:
            return await _failed(dispatcher, tracker, same_code=True)
        try:
            result = await backends().crm.check_otp(otp_id, match.group(1))
        except NotFound:
            dispatcher.utter_message(response="utter_code_expired")
            return {**_start_again(), "verification_method": None}
        except ConnectorError as error:
            return _stop_for_failure(dispatcher, error)
        if result.verified and result.customer_id:
            return await _verified(dispatcher, tracker, domain, result.customer_id)
        return await _failed(dispatcher, tracker, same_code=True)

    async def _check_dob(
        self, dob: date, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if refused := await _refused(dispatcher, tracker):
            return refused
        account = tracker.get_slot("account_number")
        try:
            result = await backends().crm.verify_dob(account, dob)
        except ConnectorError as error:
            return _stop_for_failure(dispatcher, error)
        if result.verified and result.customer_id:
            return await _verified(dispatcher, tracker, domain, result.customer_id)
        return await _failed(dispatcher, tracker)

    async def _send_code(
        self, text: str, dispatcher: CollectingDispatcher, tracker: Tracker
    ) -> dict[str, Any]:
        channel: Channel = "email" if _EMAIL_WORDS.search(text) else "sms"
        if refused := await _refused(dispatcher, tracker):
            return refused
        account = tracker.get_slot("account_number")
        try:
            otp_id = (await backends().crm.send_otp(account, channel)).otp_id
        except NotFound:
            otp_id = NO_CHALLENGE  # said the same way: whether the account exists stays unknown
        except ConnectorError as error:
            return _stop_for_failure(dispatcher, error)
        if channel == "email":
            dispatcher.utter_message(response="utter_code_sent_email")
        else:
            dispatcher.utter_message(response="utter_code_sent_sms")
        return {"verification_method": "otp", "otp_id": otp_id}


def _wiped() -> dict[str, Any]:
    return {"date_of_birth": None, "otp_code": None, "otp_id": None}


def _start_again() -> dict[str, Any]:
    return {**_wiped(), "account_number": None, "verification_method": None}


def adopted_language(customer: Customer, tracker: Tracker) -> dict[str, Any]:
    """The customer's language from their record, unless the widget chose one: that choice wins."""
    if tracker.get_slot("language_source") == "widget" or customer.language not in LANGUAGES:
        return {}
    return {"language": customer.language, "language_source": "customer"}


async def _verified(
    dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict, customer_id: str
) -> dict[str, Any]:
    customer = None
    # The record is a nicety (a name, a language): verification has succeeded even if the CRM
    # fails now.
    with suppress(ConnectorError):
        customer = await backends().crm.get_customer(customer_id)
    name = customer.first_name if customer else None
    adopted = adopted_language(customer, tracker) if customer else {}
    switched = adopted.get("language") if adopted.get("language") != language_of(tracker) else None
    if name:
        utter_in(dispatcher, domain, "utter_verified_named", switched, name=name)
    else:
        utter_in(dispatcher, domain, "utter_verified", switched)
    return {
        **_wiped(),
        "verified": True,
        "customer_id": customer_id,
        "customer_name": name,
        "verification_failures": 0,
        **adopted,
    }


def _subjects(tracker: Tracker) -> tuple[Subject, Subject]:
    return (
        conversation_subject(tracker.sender_id),
        account_subject(tracker.get_slot("account_number")),
    )


async def _refused(dispatcher: CollectingDispatcher, tracker: Tracker) -> dict[str, Any] | None:
    """Count a check of the account; the slots to return instead if it must not be made."""
    try:
        verdict = await begin_check(*_subjects(tracker))
    except ConnectorError as error:
        return _stop_for_failure(dispatcher, error)
    return None if verdict.allowed else refused_slots(dispatcher, verdict, language_of(tracker))


async def _failed(
    dispatcher: CollectingDispatcher, tracker: Tracker, *, same_code: bool = False
) -> dict[str, Any]:
    """Count a failed check; then start again, or with `same_code` ask for the code again."""
    failures = int(tracker.get_slot("verification_failures") or 0) + 1
    try:
        locked = await record_failure(*_subjects(tracker))
    except ConnectorError as error:  # uncounted, so not allowed to go on
        return _stop_for_failure(dispatcher, error)
    if locked:
        # The form's required slots become empty, which ends it; the task says why.
        return {**_start_again(), "verification_failures": failures, "verification_locked": True}
    if same_code:
        # A mistyped code is the likely mistake: the code already sent still holds.
        dispatcher.utter_message(response="utter_wrong_code")
        return {"otp_code": None, "verification_failures": failures}
    dispatcher.utter_message(response="utter_details_do_not_match")
    return {**_start_again(), "verification_failures": failures}


def _without_account_number(dispatcher: CollectingDispatcher) -> dict[str, Any]:
    """Where to find the number, and a person, who can check who they are another way."""
    dispatcher.utter_message(response="utter_no_account_number")
    # Accepting the offer is asking for a person; the agent's summary says so.
    events = offer_human(dispatcher, HandoverReason.CUSTOMER_REQUEST)
    # `task_failed` ends the form; the task's action then says nothing more.
    return {**{e["name"]: e["value"] for e in events}, "account_number": None, "task_failed": True}


def _stop_for_failure(dispatcher: CollectingDispatcher, error: ConnectorError) -> dict[str, Any]:
    return {**_start_again(), **failure_slots(dispatcher, error)}
