"""A whole verification through the gateway, then every store is searched for the secrets.

Stores: the gateway's database file, Rasa's tracker store file, the CRM's tickets (through the
mock's API) and the stack's captured logs. The date of birth and the one-time code must appear
in none of them; the only line allowed to carry the code is the mock CRM's stand-in for the
text message itself.
"""

from __future__ import annotations

import random
import re
import stat
from datetime import date
from pathlib import Path

import pytest
import requests

from bot.stack import ROOT
from privacy.files import sqlite_path
from privacy.settings import PrivacySettings
from tests.e2e.conftest import AGENTS, Chat
from tests.e2e.test_handover import Customer, login

pytestmark = pytest.mark.e2e

SMS = re.compile(r"\[sms to [^\]]+\] your code is (\d{6})")


class Person:
    """A generated customer, a different one each run: verification attempts are counted and
    rate-limited per account for hours, across runs, and the demo customers get many."""

    def __init__(self, stack) -> None:
        crm = stack.backends.crm_url
        while True:
            customer_id = f"CUS-{random.randint(15, 60):05d}"
            found = requests.get(f"{crm}/customers/{customer_id}", timeout=10).json()
            if found["language"] == "en":
                break
        self.customer_id = customer_id
        self.account: str = found["accounts"][0]
        born = date.fromisoformat(found["date_of_birth"])
        self.dob = born.strftime("%d/%m/%Y")
        # Every way the date could have been written down.
        self.dob_forms = tuple(
            born.strftime(form).encode() for form in ("%d/%m/%Y", "%Y-%m-%d", "%d-%m-%Y")
        )


@pytest.fixture
def customer(stack) -> Customer:
    person = Customer(stack.bot.gateway_url)
    yield person
    person.close()


@pytest.fixture
def nobody_online(stack) -> None:
    """Every agent away: a request for a person becomes a CRM ticket, as it does at night."""
    for name in AGENTS:
        away = requests.post(
            f"{stack.bot.gateway_url}/api/agent/status",
            json={"status": "away"},
            headers=login(stack, name),
            timeout=10,
        )
        away.raise_for_status()


def tracker_store_file(stack) -> Path:
    url = stack.env.get("PRIVACY_TRACKER_STORE_URL") or PrivacySettings().tracker_store_url
    path = sqlite_path(url)
    assert path is not None, "the e2e stack keeps trackers in a SQLite file"
    return path if path.is_absolute() else ROOT / path


def database_bytes(path: Path) -> bytes:
    """The SQLite file with its journal or write-ahead log, as stored on disk."""
    parts = [path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-journal")]
    return b"".join(part.read_bytes() for part in parts if part.exists())


def crm_tickets(stack, reference: str, customer_id: str) -> str:
    crm = stack.backends.crm_url
    ticket = requests.get(f"{crm}/tickets/{reference}", timeout=10)
    ticket.raise_for_status()
    listed = requests.get(f"{crm}/tickets", params={"customer_id": customer_id}, timeout=10)
    listed.raise_for_status()
    return ticket.text + listed.text


def code_in(data: bytes, code: str) -> bool:
    # Not inside a longer number, nor as the fraction of a timestamp (12:00:01.482913).
    return re.search(rb"(?<![\d.])" + code.encode() + rb"(?!\d)", data) is not None


def assert_stores_hold_none(stack, customer: Customer, person: Person, code: str | None,
                            ticket: str) -> None:  # fmt: skip
    gateway_db = sqlite_path(stack.gateway_env["DATABASE_URL"])
    trackers = tracker_store_file(stack)
    stored = {
        "gateway database": database_bytes(gateway_db),
        "tracker store": database_bytes(trackers),
        "CRM tickets": crm_tickets(stack, ticket, person.customer_id).encode(),
        # The SMS stand-in is the code's delivery to the customer, not a record of it.
        "logs": SMS.sub("[sms]", stack.out.getvalue()).encode(),
    }
    # The stores are the ones this conversation used (so that an empty search means something).
    assert customer.session_id.encode() in stored["gateway database"]
    assert customer.session_id.encode() in stored["tracker store"]
    assert b"[date of birth]" in stored["gateway database"] + stored["tracker store"]
    for store, data in stored.items():
        for secret in person.dob_forms:
            assert secret not in data, f"{secret!r} found in the {store}"
        if code is not None:
            assert not code_in(data, code), f"the one-time code was found in the {store}"
    for path in (gateway_db, trackers):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, f"{path} is readable by others"


def ask_for_a_person(customer: Customer) -> str:
    answer = customer.ask("I want to talk to a person", "reference is")
    return re.search(r"TCK-\d+", answer).group(0)


def test_date_of_birth_is_nowhere_after_a_verified_chat(stack, customer, nobody_online) -> None:
    person = Person(stack)
    assert "account number" in customer.ask("how much do I owe", "account number")
    customer.ask(person.account, "confirm your identity")
    customer.ask("my date of birth", "date of birth")
    assert "you're verified" in customer.ask(person.dob, "verified")
    ticket = ask_for_a_person(customer)

    assert_stores_hold_none(stack, customer, person, None, ticket)


def test_one_time_code_is_nowhere_after_a_verified_chat(stack, customer, nobody_online) -> None:
    person = Person(stack)
    customer.ask("what's my balance", "account number")
    customer.ask(person.account, "confirm your identity")
    logged = len(stack.out.getvalue())
    customer.ask("send me a code", "6-digit code")
    codes = SMS.findall(stack.out.getvalue()[logged:])
    assert codes, "the mock CRM logs the text message it 'sends'"
    code = codes[-1]
    assert "you're verified" in customer.ask(f"my code is {code}", "verified")
    ticket = ask_for_a_person(customer)

    assert_stores_hold_none(stack, customer, person, code, ticket)


def test_the_bot_still_verifies_with_trackers_stored_redacted(chat: Chat, stack) -> None:
    # Each turn reads the stored (redacted) tracker back: verification must still work.
    person = Person(stack)
    assert "account number" in chat.text("how much do I owe")
    assert "How would you like to confirm your identity?" in chat.text(person.account)
    assert "What's your date of birth?" in chat.text("my date of birth")
    answer = chat.text(person.dob)
    assert "you're verified" in answer and f"Account {person.account}:" in answer
    rows = database_bytes(tracker_store_file(stack))
    assert chat.sender.encode() in rows
    assert all(form not in rows for form in person.dob_forms)
