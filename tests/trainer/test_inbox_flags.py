"""Agents' flags for the trainer's inbox (`trainer.flags`), on SQLite and PostgreSQL: only a
customer's message of the conversation, the first flag stands, unflagging, listing."""

# ruff: noqa: F811  (the database fixtures are imported by name)

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy.orm import Session

from handover import crud
from tests.handover.conftest import db_url, engine, session  # noqa: F401
from trainer import flags

NOW = datetime(2026, 11, 28, 12, 0, tzinfo=timezone.utc)


@pytest.fixture
def said(session: Session) -> dict[str, int]:
    ids = {}
    for key, cid, sender in (("customer", "c1", "user"), ("bot", "c1", "bot"),
                             ("other", "c2", "user")):  # fmt: skip
        ids[key] = crud.add_message(session, conversation_id=cid, sender=sender, text=key).id
    session.commit()
    return ids


def test_the_first_flag_stands_until_it_is_taken_off(
    session: Session, said: dict[str, int]
) -> None:
    first = flags.flag(
        session, conversation_id="c1", message_id=said["customer"], by="ada", now=NOW
    )
    again = flags.flag(session, conversation_id="c1", message_id=said["customer"], by="bob",
                       now=NOW + timedelta(minutes=5))  # fmt: skip
    session.commit()

    assert first == again == flags.Flag(said["customer"], "c1", "ada", NOW)
    assert flags.flags_of(session, conversation_id="c1") == [first]
    assert flags.flags_of(session, conversation_id="c2") == []
    assert flags.unflag(session, conversation_id="c1", message_id=said["customer"]) is True
    assert flags.unflag(session, conversation_id="c1", message_id=said["customer"]) is False
    assert flags.flags_of(session, conversation_id="c1") == []


@pytest.mark.parametrize(
    ("conversation", "message", "code"),
    [("c1", "bot", "not_customer"), ("c1", "other", "not_found"), ("c3", "customer", "not_found")],
)
def test_only_a_customers_message_of_the_conversation(
    session: Session, said: dict[str, int], conversation: str, message: str, code: str
) -> None:
    for change in (flags.flag, flags.unflag):
        extra = {"by": "ada"} if change is flags.flag else {}
        with pytest.raises(flags.FlagRefused) as refused:
            change(session, conversation_id=conversation, message_id=said[message], **extra)
        assert refused.value.code == code
    with pytest.raises(flags.FlagRefused):
        flags.flag(session, conversation_id="c1", message_id=10**6, by="ada")
