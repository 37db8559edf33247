"""Ownership kept in this process: for a single gateway, rebuilt from the database at start."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Sequence
from dataclasses import replace

from handover.state.base import Owner, Ownership, assigned_key, serving_key
from handover.state.checks import (
    check_capacity,
    check_flag,
    check_id,
    check_payloads,
    check_reassign,
    check_records,
    check_time,
)


class MemoryStateStore:
    """A StateStore in dicts; one asyncio.Lock makes each check-and-update a single step."""

    def __init__(self) -> None:
        self._lock = asyncio.Lock()
        self._records: dict[str, Ownership] = {}  # every conversation that ever left the bot
        # Indexes of _records, kept so the queue and capacity don't scan closed conversations.
        self._queued: set[str] = set()
        self._agents: dict[str, set[str]] = {}
        self._offered: dict[str, list[str]] = {}

    async def get(self, conversation_id: str) -> Ownership:
        """The conversation's owner; an unknown id belongs to the bot."""
        cid = check_id(conversation_id)
        async with self._lock:
            return self._get(cid)

    async def enqueue(
        self, conversation_id: str, *, skill: str, vulnerable: bool, now: float
    ) -> bool:
        """bot -> queued; False if the bot does not own it."""
        cid = check_id(conversation_id)
        record = Ownership(
            cid,
            Owner.QUEUED,
            skill=check_id(skill, "skill"),
            vulnerable=check_flag(vulnerable, "vulnerable"),
            queued_at=check_time(now),
        )
        async with self._lock:
            if self._get(cid).state != Owner.BOT:
                return False
            self._put(record)
            return True

    async def accept(self, conversation_id: str, agent: str, *, capacity: int, now: float) -> bool:
        """queued -> assigned(agent); False if not queued or the agent has `capacity` chats."""
        cid, agent = check_id(conversation_id), check_id(agent, "agent")
        capacity, now = check_capacity(capacity), check_time(now)
        async with self._lock:
            current = self._get(cid)
            if current.state != Owner.QUEUED or not self._has_room(agent, capacity):
                return False
            self._put(
                replace(current, state=Owner.ASSIGNED, agent=agent, assigned_at=now, at_head=False)
            )
            return True

    async def requeue(
        self, conversation_id: str, *, now: float, at_head: bool, skill: str | None = None
    ) -> bool:
        """assigned -> queued; at_head puts it before everything else waiting."""
        cid, now = check_id(conversation_id), check_time(now)
        at_head = check_flag(at_head, "at_head")
        skill = check_id(skill, "skill") if skill is not None else None
        async with self._lock:
            current = self._get(cid)
            if current.state != Owner.ASSIGNED:
                return False
            self._put(
                replace(
                    current,
                    state=Owner.QUEUED,
                    agent=None,
                    assigned_at=None,
                    queued_at=now,
                    at_head=at_head,
                    skill=skill or current.skill,
                )
            )
            return True

    async def reassign(
        self, conversation_id: str, from_agent: str, to_agent: str, *, capacity: int
    ) -> bool:
        """assigned(from_agent) -> assigned(to_agent); False if to_agent is full."""
        cid, from_agent, to_agent, capacity = check_reassign(
            conversation_id, from_agent, to_agent, capacity
        )
        async with self._lock:
            current = self._get(cid)
            if current.state != Owner.ASSIGNED or current.agent != from_agent:
                return False
            if not self._has_room(to_agent, capacity):
                return False
            self._put(replace(current, agent=to_agent))
            return True

    async def handback(self, conversation_id: str, agent: str) -> bool:
        """assigned(agent) -> bot."""
        cid, agent = check_id(conversation_id), check_id(agent, "agent")
        async with self._lock:
            current = self._get(cid)
            if current.state != Owner.ASSIGNED or current.agent != agent:
                return False
            self._put(Ownership(cid, Owner.BOT))
            return True

    async def dequeue(self, conversation_id: str) -> bool:
        """queued -> bot (a ticket is opened instead)."""
        cid = check_id(conversation_id)
        async with self._lock:
            if self._get(cid).state != Owner.QUEUED:
                return False
            self._put(Ownership(cid, Owner.BOT))
            return True

    async def close(self, conversation_id: str) -> bool:
        """Any state but closed -> closed."""
        cid = check_id(conversation_id)
        async with self._lock:
            if self._get(cid).state == Owner.CLOSED:
                return False
            self._put(Ownership(cid, Owner.CLOSED))
            return True

    async def queue(self) -> list[Ownership]:
        """The queued conversations in serving order."""
        async with self._lock:
            return self._queue()

    async def position(self, conversation_id: str) -> int | None:
        """1-based place in the queue; None if not queued."""
        cid = check_id(conversation_id)
        async with self._lock:
            if cid not in self._queued:
                return None
            return [r.conversation_id for r in self._queue()].index(cid) + 1

    async def assigned_to(self, agent: str) -> list[Ownership]:
        """The agent's conversations, the oldest assignment first."""
        agent = check_id(agent, "agent")
        async with self._lock:
            ids = self._agents.get(agent, set())
            return sorted((self._records[cid] for cid in ids), key=assigned_key)

    async def restore(self, items: Iterable[Ownership]) -> int:
        """Load records saved elsewhere (the database); conversations already known keep theirs."""
        records = check_records(items)
        async with self._lock:
            fresh = [r for r in records if r.conversation_id not in self._records]
            for record in fresh:
                self._put(record)
            return len(fresh)

    async def set_offered(self, conversation_id: str, payloads: Sequence[str]) -> None:
        """The quick-reply payloads of the bot's latest answer (none forgets the previous ones)."""
        cid, checked = check_id(conversation_id), check_payloads(payloads)
        if checked:
            self._offered[cid] = checked
        else:
            self._offered.pop(cid, None)

    async def offered(self, conversation_id: str) -> list[str]:
        """The payloads the customer may send back as they are (Rasa's `/intent` syntax)."""
        return list(self._offered.get(check_id(conversation_id), ()))

    async def aclose(self) -> None:
        """Nothing to release."""

    def _get(self, cid: str) -> Ownership:
        return self._records.get(cid) or Ownership(cid, Owner.BOT)

    def _has_room(self, agent: str, capacity: int) -> bool:
        return len(self._agents.get(agent, ())) < capacity

    def _queue(self) -> list[Ownership]:
        return sorted((self._records[cid] for cid in self._queued), key=serving_key)

    def _put(self, record: Ownership) -> None:
        """Store a record and move its id between the indexes."""
        cid = record.conversation_id
        old = self._records.get(cid)
        if old is not None and old.state == Owner.ASSIGNED and old.agent is not None:
            chats = self._agents[old.agent]
            chats.discard(cid)
            if not chats:
                del self._agents[old.agent]
        self._queued.discard(cid)
        self._records[cid] = record
        if record.state == Owner.QUEUED:
            self._queued.add(cid)
        elif record.state == Owner.ASSIGNED and record.agent is not None:
            self._agents.setdefault(record.agent, set()).add(cid)
