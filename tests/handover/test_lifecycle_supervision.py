"""A supervisor reassigning conversations through the lifecycle: from the queue to an agent, or
from one agent to another; what is refused, what races, one event and one transaction each.
On SQLite and PostgreSQL, with the memory and the Redis store (the `machine` fixture)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from handover import crud
from handover.lifecycle import (
    ConversationAssigned,
    ConversationTransferred,
    NoRoom,
    State,
    TransitionRefused,
)
from handover.models import Handover
from handover.state import Owner
from tests.handover.lifecycles import ADA, BOB, Machine, Person, bring
from tests.handover.test_lifecycle import failing, snapshot

SUE = Person("sue", display_name="Sue Super")  # the supervisor: never the one who takes it
CAROL = Person("carol", display_name="Carol K.")


async def handovers(machine: Machine) -> list[tuple[Any, ...]]:
    return await machine.lifecycle.db(
        lambda s: [(h.reason, h.skill, h.accepted_by, h.outcome)
                   for h in s.query(Handover).order_by(Handover.id)]
    )  # fmt: skip


async def row(machine: Machine, cid: str = "c1") -> tuple[str, str | None]:
    found = await machine.lifecycle.db(crud.get_conversation, conversation_id=cid)
    return found.state, found.agent_username


async def test_a_queued_conversation_given_to_an_agent_is_assigned_as_if_they_accepted(
    machine: Machine,
) -> None:
    await bring(machine, State.QUEUED)

    given = await machine.lifecycle.reassign("c1", SUE, BOB)

    assert machine.events == [given]
    assert isinstance(given, ConversationAssigned)
    assert (given.agent, given.agent_name, given.by, given.episode) == ("bob", "bob", "sue", 1)
    owner = await machine.lifecycle.store.get("c1")
    assert (owner.state, owner.agent) == (Owner.ASSIGNED, "bob")
    assert await machine.lifecycle.store.queue() == []
    assert await row(machine) == ("assigned", "bob")
    assert await handovers(machine) == [("customer_request", "billing", "bob", None)]


async def test_an_assigned_conversation_moves_to_another_agent_as_a_transfer(
    machine: Machine,
) -> None:
    await bring(machine, State.ASSIGNED)

    moved = await machine.lifecycle.reassign("c1", SUE, CAROL)

    assert machine.events == [moved]
    assert isinstance(moved, ConversationTransferred)
    assert (moved.from_agent, moved.to_agent, moved.to_agent_name, moved.by) == (
        "ada", "carol", "Carol K.", "sue",
    )  # fmt: skip
    assert [o.conversation_id for o in await machine.lifecycle.store.assigned_to("carol")] == ["c1"]
    assert await machine.lifecycle.store.assigned_to("ada") == []
    assert await row(machine) == ("assigned", "carol")
    assert await handovers(machine) == [
        ("customer_request", "billing", "ada", "requeued"),
        ("transfer to carol by sue", "billing", "carol", None),
    ]
    status = await machine.lifecycle.status("c1")
    assert (status.state, status.agent, status.episode) == (State.ASSIGNED, "carol", 1)


async def test_a_supervisor_may_take_a_chat_themselves(machine: Machine) -> None:
    await bring(machine, State.ASSIGNED)

    moved = await machine.lifecycle.reassign("c1", SUE, SUE)

    assert isinstance(moved, ConversationTransferred) and moved.to_agent == "sue"
    assert await row(machine) == ("assigned", "sue")


async def full_bob(machine: Machine) -> Person:
    """Bob, whose one seat is taken by another chat."""
    await bring(machine, State.QUEUED, "other")
    await machine.lifecycle.accept("other", Person("bob", capacity=1))
    machine.events.clear()
    return Person("bob", capacity=1)


@pytest.mark.parametrize("state", [State.QUEUED, State.ASSIGNED])
@pytest.mark.parametrize(
    ("target", "refusal"),
    [
        (Person("bob", status="offline"), "bob is not online"),
        (Person("bob", status="away"), "bob is not online"),
        (None, r"bob has no room for another chat \(1 of 1\)"),
    ],
)
async def test_an_agent_offline_away_or_full_is_refused_with_nothing_changed(
    machine: Machine, state: State, target: Person | None, refusal: str
) -> None:
    bob = target or await full_bob(machine)
    await bring(machine, state)
    before = await snapshot(machine)

    with pytest.raises(NoRoom, match=refusal):
        await machine.lifecycle.reassign("c1", SUE, bob)

    assert await snapshot(machine) == before
    assert machine.events == []


@pytest.mark.parametrize(
    ("state", "to", "refusal"),
    [
        (State.ASSIGNED, ADA, "the conversation is already ada's"),
        (State.BOT, BOB, "only a conversation waiting in the queue or with an agent"),
        (State.CLOSED, BOB, "only a conversation waiting in the queue or with an agent"),
    ],
)
async def test_the_same_agent_or_a_conversation_neither_queued_nor_assigned_is_refused(
    machine: Machine, state: State, to: Person, refusal: str
) -> None:
    await bring(machine, state)
    before = await snapshot(machine)

    with pytest.raises(TransitionRefused, match=refusal):
        await machine.lifecycle.reassign("c1", SUE, to)

    assert await snapshot(machine) == before
    assert machine.events == []


async def test_an_unknown_conversation_is_refused(machine: Machine) -> None:
    with pytest.raises(TransitionRefused, match="only a conversation waiting"):
        await machine.lifecycle.reassign("nobody-knows", SUE, BOB)
    assert machine.events == []


# -- races and failures ------------------------------------------------------------------


@pytest.mark.parametrize("state", [State.QUEUED, State.ASSIGNED])
async def test_a_conversation_that_moves_while_the_supervisor_acts_is_refused(
    machine: Machine, monkeypatch: pytest.MonkeyPatch, state: State
) -> None:
    """Between the supervisor's look and the store's compare-and-set, an agent acts first
    (Ada accepts it from the queue; or, hers already, hands it back): the supervisor loses."""
    await bring(machine, state)
    store, lifecycle = machine.lifecycle.store, machine.lifecycle
    look = store.assigned_to  # the room check: after the look, before the compare-and-set

    async def meanwhile(agent: str) -> Any:
        monkeypatch.setattr(store, "assigned_to", look)
        if state == State.QUEUED:
            await lifecycle.accept("c1", ADA)
        else:
            await lifecycle.hand_back("c1", ADA)
        return await look(agent)

    monkeypatch.setattr(store, "assigned_to", meanwhile)

    with pytest.raises(TransitionRefused, match="changed meanwhile"):
        await lifecycle.reassign("c1", SUE, BOB)

    (first,) = machine.events  # Ada's, and no other
    assert type(first).__name__ in ("ConversationAssigned", "ConversationHandedBack")
    assert await store.assigned_to("bob") == []


async def test_two_supervisors_at_once_leave_both_stores_agreeing(machine: Machine) -> None:
    await bring(machine, State.ASSIGNED)

    results = await asyncio.gather(
        machine.lifecycle.reassign("c1", SUE, BOB), machine.lifecycle.reassign("c1", SUE, CAROL),
        return_exceptions=True,
    )  # fmt: skip

    done = [r for r in results if isinstance(r, ConversationTransferred)]
    assert all(isinstance(r, ConversationTransferred | TransitionRefused) for r in results)
    assert done and machine.events == done
    holder = (await machine.lifecycle.store.get("c1")).agent
    assert await row(machine) == ("assigned", holder)
    assert holder == machine.events[-1].to_agent


@pytest.mark.parametrize("state", [State.QUEUED, State.ASSIGNED])
async def test_a_database_failure_undoes_the_store_step_and_publishes_nothing(
    machine: Machine, monkeypatch: pytest.MonkeyPatch, state: State
) -> None:
    await bring(machine, State.QUEUED, "earlier")  # the undone one keeps its place after it
    await bring(machine, state)
    before = await snapshot(machine)
    queue = [o.conversation_id for o in await machine.lifecycle.store.queue()]
    monkeypatch.setattr(crud, "accept_handover", failing("accept_handover"))

    with pytest.raises(RuntimeError, match="database went away"):
        await machine.lifecycle.reassign("c1", SUE, BOB)

    after = await snapshot(machine)
    assert after[1] == before[1], "the transaction's earlier writes were rolled back"
    assert (after[0].state, after[0].agent) == (before[0].state, before[0].agent)
    assert [o.conversation_id for o in await machine.lifecycle.store.queue()] == queue
    assert machine.events == []
    monkeypatch.undo()
    await machine.lifecycle.reassign("c1", SUE, BOB)  # and it still works afterwards
    assert await row(machine) == ("assigned", "bob")
