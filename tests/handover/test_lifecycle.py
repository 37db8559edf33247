"""The lifecycle on its own: every transition from every state, allowed or refused; one event
each; one transaction each. On SQLite and PostgreSQL, with the memory and the Redis store."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import pytest

from handover import crud
from handover.crud.conversations import CONVERSATION_FIELDS
from handover.lifecycle import (
    ALLOWED,
    TARGET,
    ConversationAssigned,
    ConversationClosed,
    ConversationEnded,
    ConversationExpired,
    ConversationHandedBack,
    ConversationQueued,
    ConversationRated,
    ConversationReopened,
    ConversationRequeued,
    ConversationStarted,
    ConversationTransferred,
    NotAllowed,
    NotYours,
    Outcome,
    State,
    Transition,
    TransitionRefused,
    WrapUp,
)
from handover.models import Episode, Handover
from handover.state import Owner
from tests.handover.lifecycles import ADA, BOB, Machine, Person, bring, carry_out

EVENT_OF = {
    Transition.QUEUE: ConversationQueued,
    Transition.ACCEPT: ConversationAssigned,
    Transition.TRANSFER_TO_AGENT: ConversationTransferred,
    Transition.TRANSFER_TO_SKILL: ConversationTransferred,
    Transition.HAND_BACK: ConversationHandedBack,
    Transition.REQUEUE: ConversationRequeued,
    Transition.EXPIRE: ConversationExpired,
    Transition.CLOSE: ConversationClosed,
    Transition.END: ConversationEnded,
    Transition.REOPEN: ConversationReopened,
    Transition.RATE: ConversationRated,
}
# What the state store says of a conversation in each state: the bot has the closed ones.
OWNER_OF = {
    State.BOT: Owner.BOT,
    State.QUEUED: Owner.QUEUED,
    State.ASSIGNED: Owner.ASSIGNED,
    State.CLOSED: Owner.BOT,
}
EVERY_CASE = [(transition, state) for transition in Transition for state in State]
ALLOWED_CASES = [case for case in EVERY_CASE if case[1] in ALLOWED[case[0]]]
REFUSED_CASES = [case for case in EVERY_CASE if case[1] not in ALLOWED[case[0]]]


async def snapshot(machine: Machine, cid: str = "c1") -> tuple[Any, ...]:
    """Everything a transition may change: the store's record and the database's rows."""

    def rows(session: Any) -> tuple[Any, ...]:
        conversation = crud.get_conversation(session, conversation_id=cid)
        columns = {name: getattr(conversation, name) for name in CONVERSATION_FIELDS}
        episodes = session.query(Episode).filter_by(conversation_id=cid).order_by(Episode.id)
        handovers = session.query(Handover).filter_by(conversation_id=cid).order_by(Handover.id)
        return (
            columns,
            [
                (e.number, e.ended_at, e.outcome, e.wrap_up, e.note, e.satisfaction)
                for e in episodes
            ],
            [(h.reason, h.skill, h.accepted_by, h.outcome, h.episode_id) for h in handovers],
        )

    return (await machine.lifecycle.store.get(cid), await machine.lifecycle.db(rows))


async def test_the_table_names_every_transition_and_the_state_it_leads_to() -> None:
    assert set(ALLOWED) == set(TARGET) == set(Transition) == set(EVENT_OF)
    assert ALLOWED_CASES and REFUSED_CASES


@pytest.mark.parametrize(("transition", "state"), ALLOWED_CASES)
async def test_an_allowed_transition_moves_both_stores_and_publishes_one_event(
    machine: Machine, transition: Transition, state: State
) -> None:
    await bring(machine, state)

    await carry_out(machine, transition)

    (event,) = machine.events
    assert type(event) is EVENT_OF[transition]
    assert (event.conversation_id, event.episode) == (
        "c1",
        2 if transition == Transition.REOPEN else 1,
    )
    status = await machine.lifecycle.status("c1")
    assert status.state == TARGET[transition]
    assert (await machine.lifecycle.store.get("c1")).state == OWNER_OF[status.state]


@pytest.mark.parametrize(("transition", "state"), REFUSED_CASES)
async def test_a_refused_transition_changes_nothing_and_publishes_nothing(
    machine: Machine, transition: Transition, state: State
) -> None:
    await bring(machine, state)
    before = await snapshot(machine)

    with pytest.raises(TransitionRefused) as refused:
        await carry_out(machine, transition)

    assert refused.value.code in ("not_allowed", "not_yours", "conflict")
    assert str(refused.value)
    assert machine.events == []
    assert await snapshot(machine) == before


@pytest.mark.parametrize(
    ("state", "outcome"),
    [
        (State.BOT, Outcome.RESOLVED_BY_BOT),
        (State.QUEUED, Outcome.ABANDONED),
        (State.ASSIGNED, Outcome.ENDED_BY_CUSTOMER),
    ],
)
async def test_the_customer_ending_the_chat_closes_the_episode_with_its_outcome(
    machine: Machine, state: State, outcome: Outcome
) -> None:
    await bring(machine, state)

    await machine.lifecycle.end("c1")

    (ended,) = machine.events
    assert isinstance(ended, ConversationEnded) and isinstance(ended, ConversationClosed)
    assert (ended.outcome, ended.was) == (outcome, state)
    assert ended.agent == ("ada" if state == State.ASSIGNED else None)
    (episode,) = await machine.lifecycle.db(crud.list_episodes, conversation_id="c1")
    assert (episode.outcome, episode.ended_at) == (outcome.value, ended.at)
    assert await machine.lifecycle.store.assigned_to("ada") == []
    assert await machine.lifecycle.store.queue() == []


async def test_an_agent_closes_with_a_reason_and_a_redacted_note(machine: Machine) -> None:
    await bring(machine, State.ASSIGNED)

    closed = await machine.lifecycle.close(
        "c1", ADA, reason=WrapUp.DUPLICATE, note="same as her call: jane@example.com"
    )

    assert (closed.outcome, closed.reason, closed.agent, closed.agent_name) == (
        Outcome.RESOLVED_BY_AGENT, WrapUp.DUPLICATE, "ada", "Ada L.",
    )  # fmt: skip
    assert closed.note == "same as her call: [email]", "listeners never see the raw note"
    (episode,) = await machine.lifecycle.db(crud.list_episodes, conversation_id="c1")
    assert (episode.wrap_up, episode.note, episode.agent_username) == (
        "duplicate", "same as her call: [email]", "ada",
    )  # fmt: skip


async def test_a_customer_who_writes_after_a_close_starts_the_next_episode(
    machine: Machine,
) -> None:
    await bring(machine, State.CLOSED)
    await machine.lifecycle.rate("c1", 4)

    reopened = await machine.lifecycle.customer_wrote("c1")
    assert await machine.lifecycle.customer_wrote("c1") is None, "once"

    assert isinstance(reopened, ConversationReopened)
    assert (reopened.episode, reopened.previous_episode) == (2, 1)
    status = await machine.lifecycle.status("c1")
    assert (status.state, status.agent, status.episode, status.outcome) == (
        State.BOT,
        None,
        2,
        None,
    )
    row = await machine.lifecycle.db(crud.get_conversation, conversation_id="c1")
    assert (row.skill, row.reason, row.summary, row.closed_at) == (None, None, None, None)
    first, second = await machine.lifecycle.db(crud.list_episodes, conversation_id="c1")
    assert (first.outcome, first.satisfaction) == ("resolved_by_agent", 4), "kept"
    assert (second.ended_at, second.satisfaction) == (None, None)

    queued = await machine.lifecycle.queue(
        "c1", reason="customer_request", skill="orders", vulnerable=False, summary=None
    )
    assert queued.episode == 2
    assert [o.conversation_id for o in await machine.lifecycle.store.queue()] == ["c1"]
    handovers = await machine.lifecycle.db(
        lambda s: [(h.episode_id, h.skill) for h in s.query(Handover).order_by(Handover.id)]
    )
    assert handovers == [(first.id, "billing"), (second.id, "orders")]


async def test_the_first_message_starts_episode_one(machine: Machine) -> None:
    started = await machine.lifecycle.customer_wrote("c1")

    assert isinstance(started, ConversationStarted) and started.episode == 1
    assert await machine.lifecycle.customer_wrote("c1") is None
    assert len(machine.events) == 1


async def test_transfers_and_a_lost_agent_keep_the_episode_and_chain_handovers(
    machine: Machine,
) -> None:
    await bring(machine, State.ASSIGNED)
    await machine.lifecycle.transfer("c1", ADA, to_agent=BOB)
    await machine.lifecycle.requeue("c1", "bob")
    await machine.lifecycle.accept("c1", ADA)
    await machine.lifecycle.transfer("c1", ADA, to_skill="network")

    assert [type(e).__name__ for e in machine.events] == [
        "ConversationTransferred", "ConversationRequeued", "ConversationAssigned",
        "ConversationTransferred",
    ]  # fmt: skip
    assert {e.episode for e in machine.events} == {1}
    handovers = await machine.lifecycle.db(
        lambda s: [(h.reason, h.skill, h.accepted_by, h.outcome)
                   for h in s.query(Handover).order_by(Handover.id)]
    )  # fmt: skip
    assert handovers == [
        ("customer_request", "billing", "ada", "requeued"),
        ("transfer to bob", "billing", "bob", "requeued"),
        ("requeued", "billing", "ada", "requeued"),
        ("transfer to network", "network", None, None),
    ]


@pytest.mark.parametrize(
    ("change", "refusal"),
    [
        ({"to_agent": ADA}, "already yours"),
        ({"to_agent": Person("bob", status="away")}, "bob is not online"),
        ({"to_agent": Person("bob", capacity=0)}, "bob has no room"),
    ],
)
async def test_a_transfer_to_an_agent_who_cannot_take_it_is_refused(
    machine: Machine, change: dict[str, Any], refusal: str
) -> None:
    await bring(machine, State.ASSIGNED)

    with pytest.raises(TransitionRefused, match=refusal):
        await machine.lifecycle.transfer("c1", ADA, **change)

    assert (await machine.lifecycle.store.get("c1")).agent == "ada"
    assert machine.events == []


async def test_another_agents_conversation_is_not_yours_and_a_closed_one_is_not_allowed(
    machine: Machine,
) -> None:
    await bring(machine, State.ASSIGNED)
    for act in (
        machine.lifecycle.hand_back("c1", BOB),
        machine.lifecycle.close("c1", BOB, reason=WrapUp.SPAM),
        machine.lifecycle.transfer("c1", BOB, to_skill="orders"),
    ):
        with pytest.raises(NotYours):
            await act
    await machine.lifecycle.close("c1", ADA, reason=WrapUp.RESOLVED)
    with pytest.raises(NotAllowed, match="cannot close a conversation that has ended"):
        await machine.lifecycle.close("c1", ADA, reason=WrapUp.RESOLVED)


# -- one transaction each ---------------------------------------------------------------


def failing(name: str) -> Any:
    def fail(*_: Any, **__: Any) -> None:
        raise RuntimeError(f"{name} failed: the database went away")

    return fail


@pytest.mark.parametrize(
    ("state", "transition", "fails"),
    [
        (State.BOT, Transition.QUEUE, "open_handover"),
        (State.QUEUED, Transition.ACCEPT, "accept_handover"),
        (State.ASSIGNED, Transition.TRANSFER_TO_AGENT, "accept_handover"),
        (State.ASSIGNED, Transition.TRANSFER_TO_SKILL, "open_handover"),
        (State.ASSIGNED, Transition.HAND_BACK, "end_handover"),
        (State.ASSIGNED, Transition.REQUEUE, "open_handover"),
        (State.QUEUED, Transition.EXPIRE, "end_episode"),
        (State.ASSIGNED, Transition.CLOSE, "end_episode"),
        (State.ASSIGNED, Transition.END, "end_episode"),
        (State.QUEUED, Transition.END, "end_handover"),
        (State.CLOSED, Transition.REOPEN, "open_episode"),
        (State.CLOSED, Transition.RATE, "rate_episode"),
    ],
)
async def test_a_database_failure_mid_transition_leaves_no_half_done_state(
    machine: Machine,
    monkeypatch: pytest.MonkeyPatch,
    state: State,
    transition: Transition,
    fails: str,
) -> None:
    await bring(machine, state)
    before = await snapshot(machine)
    monkeypatch.setattr(crud, fails, failing(fails))

    with pytest.raises(RuntimeError, match="database went away"):
        await carry_out(machine, transition)

    after = await snapshot(machine)
    assert after[1] == before[1], "the transaction's earlier writes were rolled back"
    store_before, store_after = before[0], after[0]
    assert (store_after.state, store_after.agent, store_after.skill) == (
        store_before.state, store_before.agent, store_before.skill,
    ), "the store's step was undone"  # fmt: skip
    assert machine.events == []
    monkeypatch.undo()
    await carry_out(machine, transition)  # and the transition still works afterwards
    assert len(machine.events) == 1


async def test_an_undone_accept_keeps_the_customers_place_in_the_queue(
    machine: Machine, monkeypatch: pytest.MonkeyPatch
) -> None:
    await bring(machine, State.QUEUED, "first")
    await bring(machine, State.QUEUED, "second")
    monkeypatch.setattr(crud, "accept_handover", failing("accept_handover"))

    with pytest.raises(RuntimeError):
        await machine.lifecycle.accept("first", ADA)

    assert [o.conversation_id for o in await machine.lifecycle.store.queue()] == [
        "first", "second",
    ]  # fmt: skip


async def test_a_failing_listener_leaves_the_transition_done_and_the_others_served(
    machine: Machine, caplog: pytest.LogCaptureFixture
) -> None:
    await bring(machine, State.ASSIGNED)
    heard: list[str] = []

    async def broken(event: ConversationClosed) -> None:
        raise RuntimeError("the socket server is down")

    async def later(event: ConversationClosed) -> None:
        heard.append(event.conversation_id)

    machine.lifecycle.bus.subscribe(ConversationClosed, broken)
    machine.lifecycle.bus.subscribe(ConversationClosed, later)

    with caplog.at_level(logging.ERROR):
        await machine.lifecycle.close("c1", ADA, reason=WrapUp.RESOLVED)

    assert heard == ["c1"]
    assert "ConversationClosed: listener" in caplog.text
    status = await machine.lifecycle.status("c1")
    assert (status.state, status.outcome) == (State.CLOSED, Outcome.RESOLVED_BY_AGENT)
    assert (await machine.lifecycle.store.get("c1")).state == Owner.BOT
    handover = await machine.lifecycle.db(lambda s: s.query(Handover).one().outcome)
    assert handover == "closed", "conversation, episode and handover committed together"


async def test_two_agents_accepting_at_once_one_wins_and_one_event(machine: Machine) -> None:
    await bring(machine, State.QUEUED)

    results = await asyncio.gather(
        machine.lifecycle.accept("c1", ADA), machine.lifecycle.accept("c1", BOB),
        return_exceptions=True,
    )  # fmt: skip

    assert sorted(type(r).__name__ for r in results) == [
        "ConversationAssigned", "TransitionRefused",
    ]  # fmt: skip
    assert len(machine.events) == 1
