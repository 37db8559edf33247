"""The recorder: one `conversation_events` row per lifecycle event, through every transition of
the real lifecycle (SQLite and PostgreSQL, memory and Redis store: the `machine` fixture), and
the first agent reply of each assignment through the hub; failures never reach the caller."""

from __future__ import annotations

import logging
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from sqlalchemy import inspect, select, text
from sqlalchemy.exc import IntegrityError

from handover import crud
from handover.crud.runner import Database
from handover.db import alembic_config, make_engine, session_factory
from handover.lifecycle import ConversationEvent, ConversationStarted, State, WrapUp
from handover.models import EVENT_KINDS, RecordedEvent
from handover.service import Hub
from reporting.recorder import Recorder
from tests.handover.conftest import (  # noqa: F401  (database fixtures)
    db_url,
    empty_db_url,
    engine,
    fast_password_hashes,
)
from tests.handover.hubs import agent, hub, queued  # noqa: F401  (and the hub's)
from tests.handover.lifecycles import ADA, BOB, Machine, Person, bring, machine  # noqa: F401

SUE = Person("sue", display_name="Sue Super")  # a supervisor
JANE = "CUS-00001"
COLUMNS = ("kind", "episode", "skill", "reason", "agent", "to_agent", "outcome", "wrap_up",
           "score", "supervisor")  # fmt: skip
SECRETS = ("14/03/1985", "0612345678", "called back")  # in a summary and a wrap-up note


@pytest.fixture
def recorder(machine: Machine) -> Recorder:  # noqa: F811
    """A recorder on the machine's database, hearing its bus after the test's own listener."""
    built = Recorder(machine.lifecycle.db)
    built.subscribe(machine.lifecycle.bus)
    return built


async def rows(db: Database, cid: str = "c1") -> list[RecordedEvent]:
    query = select(RecordedEvent).where(RecordedEvent.conversation_id == cid)
    return await db(lambda s: list(s.execute(query.order_by(RecordedEvent.id)).scalars()))


def columns(row: RecordedEvent) -> tuple[Any, ...]:
    return tuple(getattr(row, name) for name in COLUMNS)


def broken_database(tmp_path: Path) -> Database:
    """A database without tables: every write fails."""
    return Database(session_factory(make_engine(f"sqlite:///{tmp_path / 'no-tables.db'}")))


async def queue(built: Machine, reason: str = "customer_request", skill: str = "billing") -> None:
    await built.lifecycle.queue("c1", reason=reason, skill=skill, vulnerable=False,
                                  summary="Jane, born 14/03/1985, disputes her bill")  # fmt: skip


async def test_every_transition_is_one_row_with_its_columns(
    machine: Machine,  # noqa: F811
    recorder: Recorder,
) -> None:
    lifecycle, cid = machine.lifecycle, "c1"
    await lifecycle.db(crud.upsert_conversation, conversation_id=cid, customer_id=JANE,
                       language="fr")  # fmt: skip
    await lifecycle.customer_wrote(cid)
    await queue(machine)
    await lifecycle.accept(cid, ADA)
    await lifecycle.transfer(cid, ADA, to_agent=BOB)
    await lifecycle.transfer(cid, BOB, to_skill="network")
    await lifecycle.accept(cid, ADA)
    await lifecycle.requeue(cid, ADA.username)
    await lifecycle.reassign(cid, SUE, BOB)  # from the queue
    await lifecycle.reassign(cid, SUE, ADA)  # from Bob
    await lifecycle.hand_back(cid, ADA)
    await queue(machine, "repeated_fallback", "orders")
    await lifecycle.accept(cid, ADA)
    await lifecycle.close(cid, ADA, reason=WrapUp.NOT_RESOLVED, note="called back 0612345678")
    await lifecycle.rate(cid, 4)
    await lifecycle.customer_wrote(cid)  # episode 2, with the bot
    await lifecycle.end(cid)
    await lifecycle.reopen(cid)  # 3: ended while waiting
    await queue(machine)
    await lifecycle.end(cid)
    await lifecycle.reopen(cid)  # 4: ended while with Ada
    await queue(machine)
    await lifecycle.accept(cid, ADA)
    await lifecycle.end(cid)
    await lifecycle.reopen(cid)  # 5: nobody took it
    await queue(machine)
    await lifecycle.expire(cid)

    recorded = await rows(lifecycle.db)

    b, cr, n, rf = "billing", "customer_request", "network", "repeated_fallback"
    assert [columns(row) for row in recorded] == [
        ("started", 1, None, None, None, None, None, None, None, None),
        ("queued", 1, b, cr, None, None, None, None, None, None),
        ("assigned", 1, b, cr, "ada", None, None, None, None, None),
        ("transferred", 1, b, cr, "ada", "bob", None, None, None, None),
        ("transferred", 1, n, cr, "bob", None, None, None, None, None),
        ("assigned", 1, n, cr, "ada", None, None, None, None, None),
        ("requeued", 1, n, cr, "ada", None, None, None, None, None),
        ("assigned", 1, n, cr, "bob", None, None, None, None, "sue"),
        ("transferred", 1, n, cr, "bob", "ada", None, None, None, "sue"),
        ("handed_back", 1, n, cr, "ada", None, None, None, None, None),
        ("queued", 1, "orders", rf, None, None, None, None, None, None),
        ("assigned", 1, "orders", rf, "ada", None, None, None, None, None),
        ("closed", 1, "orders", rf, "ada", None, "resolved_by_agent", "not_resolved", None, None),
        ("rated", 1, "orders", rf, "ada", None, None, None, 4, None),
        ("reopened", 2, None, None, None, None, None, None, None, None),
        ("ended", 2, None, None, None, None, "resolved_by_bot", None, None, None),
        ("reopened", 3, None, None, None, None, None, None, None, None),
        ("queued", 3, b, cr, None, None, None, None, None, None),
        ("ended", 3, b, cr, None, None, "abandoned", None, None, None),
        ("reopened", 4, None, None, None, None, None, None, None, None),
        ("queued", 4, b, cr, None, None, None, None, None, None),
        ("assigned", 4, b, cr, "ada", None, None, None, None, None),
        ("ended", 4, b, cr, "ada", None, "ended_by_customer", None, None, None),
        ("reopened", 5, None, None, None, None, None, None, None, None),
        ("queued", 5, b, cr, None, None, None, None, None, None),
        ("expired", 5, b, cr, None, None, "ticket", None, None, None),
    ]
    assert len(recorded) == len(machine.events), "exactly one row per published event"
    assert [row.at for row in recorded] == [event.at for event in machine.events]
    assert all(row.at.tzinfo is not None for row in recorded)
    assert {(row.customer_id, row.language, row.channel) for row in recorded} == {
        (JANE, "fr", "socketio")
    }
    assert {row.kind for row in recorded} == set(EVENT_KINDS) - {"agent_replied"}
    stored = " ".join(str(value) for row in recorded for value in vars(row).values())
    assert not [secret for secret in SECRETS if secret in stored], "no free text is recorded"


async def test_reasons_and_skills_that_are_not_slugs_are_recorded_as_other(
    machine: Machine,  # noqa: F811
    recorder: Recorder,
) -> None:
    await bring(machine, State.BOT)
    await queue(machine, reason="Call me on 0612345678", skill="Billing Dept")

    started, queued = await rows(machine.lifecycle.db)

    assert (queued.kind, queued.reason, queued.skill) == ("queued", "other", "other")


async def test_the_first_reply_of_each_assignment_is_recorded(hub: Hub) -> None:  # noqa: F811
    ada, bob = await agent(hub, "ada"), await agent(hub, "bob")
    await queued(hub, "conv-1")
    await hub.lifecycle.accept("conv-1", ada)
    await hub.agent_message("conv-1", ada, "Hello, Ada here")
    await hub.agent_message("conv-1", ada, "Let me look at your bill")
    await hub.transfer("conv-1", ada, to_agent="bob", to_skill=None)
    await hub.agent_message("conv-1", bob, "Bob here")
    await hub.agent_message("conv-1", bob, "One moment")
    await hub.transfer("conv-1", bob, to_agent="ada", to_skill=None)
    await hub.agent_message("conv-1", ada, "Back with me")

    recorded = await rows(hub.db, "conv-1")

    assert [(row.kind, row.agent, row.to_agent) for row in recorded] == [
        ("queued", None, None),
        ("assigned", "ada", None),
        ("agent_replied", "ada", None),
        ("transferred", "ada", "bob"),
        ("agent_replied", "bob", None),
        ("transferred", "bob", "ada"),
        ("agent_replied", "ada", None),
    ]
    messages = await hub.db(crud.list_messages, conversation_id="conv-1")
    firsts = [m.created_at for m in messages if m.text in ("Hello, Ada here", "Bob here",
                                                           "Back with me")]  # fmt: skip
    assert [row.at for row in recorded if row.kind == "agent_replied"] == firsts
    assert {(row.episode, row.skill, row.reason) for row in recorded} == {
        (1, "billing", "customer_request")
    }


async def test_a_failing_recorder_leaves_the_transition_and_the_other_listeners_alone(
    machine: Machine,  # noqa: F811
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    await bring(machine, State.BOT)
    Recorder(broken_database(tmp_path)).subscribe(machine.lifecycle.bus)
    later: list[ConversationEvent] = []

    async def listen(event: ConversationEvent) -> None:
        later.append(event)

    machine.lifecycle.bus.subscribe(ConversationEvent, listen)

    with caplog.at_level(logging.ERROR):
        event = await machine.lifecycle.queue(
            "c1", reason="customer_request", skill="billing", vulnerable=False, summary=None
        )

    assert machine.events == later == [event]
    assert (await machine.lifecycle.status("c1")).state == State.QUEUED
    assert "recording ConversationQueued of c1 failed" in caplog.text
    assert "listener" not in caplog.text, "the recorder handles its own failure"


async def test_a_failing_recorder_does_not_refuse_an_agent_reply(
    hub: Hub,  # noqa: F811
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    ada = await agent(hub, "ada")
    await queued(hub, "conv-1")
    await hub.lifecycle.accept("conv-1", ada)
    hub.recorder.db = broken_database(tmp_path)

    with caplog.at_level(logging.ERROR):
        await hub.agent_message("conv-1", ada, "Hello")

    messages = await hub.db(crud.list_messages, conversation_id="conv-1")
    assert [m.text for m in messages if m.sender == "agent"] == ["Hello"]
    assert "recording a reply of ada to conv-1 failed" in caplog.text


async def test_nothing_is_recorded_for_a_conversation_that_is_gone(
    machine: Machine,  # noqa: F811
    recorder: Recorder,
    caplog: pytest.LogCaptureFixture,
) -> None:
    at = datetime(2026, 12, 1, tzinfo=timezone.utc)

    with caplog.at_level(logging.ERROR):
        await recorder.record(ConversationStarted(conversation_id="erased", episode=1, at=at))
        await recorder.agent_replied("erased", "ada", at=at)

    assert await rows(machine.lifecycle.db, "erased") == []
    assert caplog.text == ""


async def test_an_event_it_does_not_know_is_logged_not_raised(
    machine: Machine,  # noqa: F811
    recorder: Recorder,
    caplog: pytest.LogCaptureFixture,
) -> None:
    await bring(machine, State.BOT)

    class Surprise(ConversationEvent):
        pass

    surprise = Surprise(conversation_id="c1", episode=1, at=datetime.now(timezone.utc))
    with caplog.at_level(logging.ERROR):
        await recorder.record(surprise)

    assert [row.kind for row in await rows(machine.lifecycle.db)] == ["started"]
    assert "recording Surprise of c1 failed" in caplog.text


def test_0005_adds_the_table_and_its_checks_and_takes_them_away(
    empty_db_url: str,  # noqa: F811
) -> None:
    config = alembic_config(empty_db_url)
    database = make_engine(empty_db_url)  # creates a SQLite file's folder
    command.upgrade(config, "0004")
    with database.begin() as connection:
        connection.execute(text(
            "INSERT INTO conversations (id, state, vulnerable, context, created_at)"
            " VALUES ('kept', 'bot', false, '{}', '2026-12-01 10:00:00')"
        ))  # fmt: skip
    database.dispose()

    command.upgrade(config, "0005")

    database = make_engine(empty_db_url)
    indexes = {index["name"] for index in inspect(database).get_indexes("conversation_events")}
    assert indexes == {
        "ix_conversation_events_at",
        "ix_conversation_events_kind_at",
        "ix_conversation_events_conversation_id_at",
        "ix_conversation_events_customer_id_at",
    }
    insert = (
        "INSERT INTO conversation_events (conversation_id, episode, kind, at, score)"
        " VALUES ('kept', 1, :kind, '2026-12-01 10:00:00', :score)"
    )
    with database.begin() as connection:
        connection.execute(text(insert), {"kind": "rated", "score": 5})
        row = connection.execute(text("SELECT channel FROM conversation_events")).scalar_one()
        assert row == "socketio"
    for kind, score in (("liked", None), ("rated", 6)):
        with pytest.raises(IntegrityError), database.begin() as connection:
            connection.execute(text(insert), {"kind": kind, "score": score})
    database.dispose()

    command.downgrade(config, "0004")

    database = make_engine(empty_db_url)
    assert "conversation_events" not in inspect(database).get_table_names()
    with database.connect() as connection:
        assert connection.execute(text("SELECT id FROM conversations")).scalar_one() == "kept"
    database.dispose()
