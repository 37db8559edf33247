"""Every conversation is recorded for reports, whatever the channel, without its secrets.

A verification through Rasa's REST channel and one through the gateway's socket both end up in
the events table (`rasa_events`, written by Rasa's event broker) under their own channel, and
the date of birth typed in either is nowhere in the table's file.
"""

from __future__ import annotations

import json
import stat
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from bot.stack import ROOT
from privacy.files import sqlite_path
from reporting import broker_table
from tests.e2e.conftest import Chat
from tests.e2e.test_handover import Customer
from tests.e2e.test_privacy import Person, database_bytes

pytestmark = pytest.mark.e2e


def events_file(stack) -> Path:
    path = sqlite_path(stack.env["REPORTING_EVENTS_URL"])
    assert path is not None, "the e2e stack keeps the events in a SQLite file"
    return path if path.is_absolute() else ROOT / path


def recorded(stack, sender: str) -> list[dict[str, Any]]:
    engine = broker_table.events_engine(stack.env["REPORTING_EVENTS_URL"])
    try:
        with engine.connect() as connection:
            query = select(broker_table.EVENTS.c.data).where(
                broker_table.EVENTS.c.sender_id == sender
            )
            return [json.loads(data) for data in connection.execute(query).scalars()]
    finally:
        engine.dispose()


def channels(events: list[dict[str, Any]]) -> set[str]:
    return {e["input_channel"] for e in events if e["event"] == "user"}


def assert_no_date_of_birth(stack, person: Person, events: list[dict[str, Any]]) -> None:
    texts = [e.get("text") for e in events if e["event"] == "user"]
    assert "[date of birth]" in texts, texts
    stored = database_bytes(events_file(stack))
    for secret in person.dob_forms:
        assert secret not in stored, f"{secret!r} found in the events table"


def test_a_rest_conversation_is_recorded_without_the_date_of_birth(stack) -> None:
    chat, person = Chat(stack), Person(stack)
    assert "account number" in chat.text("how much do I owe")
    assert "confirm your identity" in chat.text(person.account)
    assert "date of birth" in chat.text("my date of birth")
    assert "you're verified" in chat.text(person.dob)

    # Rasa publishes while it saves the turn, before it answers: no waiting.
    events = recorded(stack, chat.sender)
    assert channels(events) == {"rest"}
    assert {"user", "bot", "slot", "action"} <= {e["event"] for e in events}
    assert_no_date_of_birth(stack, person, events)
    assert stat.S_IMODE(events_file(stack).stat().st_mode) == 0o600


def test_a_socket_conversation_is_recorded_under_the_gateways_channel(stack) -> None:
    customer, person = Customer(stack.bot.gateway_url), Person(stack)
    try:
        customer.ask("how much do I owe", "account number")
        customer.ask(person.account, "confirm your identity")
        customer.ask("my date of birth", "date of birth")
        customer.ask(person.dob, "verified")
    finally:
        customer.close()

    events = recorded(stack, customer.session_id)
    assert channels(events) == {"socketio"}
    assert_no_date_of_birth(stack, person, events)
