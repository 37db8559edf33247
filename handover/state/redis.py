"""Ownership in Redis, shared by every gateway process; each transition is one Lua script.

Keys, under a namespace: `{ns}:conv:{id}` a hash (state, agent, skill, vulnerable, at_head,
queued_at, assigned_at), `{ns}:queue` a sorted set scored by `serving_score`, and
`{ns}:agent:{name}` the set of an agent's conversations; `{ns}:offered:{id}` a JSON list of the
quick-reply payloads of the bot's latest answer (expiring after OFFERED_TTL_SECONDS).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any

import redis.asyncio as aioredis

from handover.state import scripts
from handover.state.base import Owner, Ownership, assigned_key, serving_score
from handover.state.checks import (
    check_capacity,
    check_flag,
    check_id,
    check_namespace,
    check_payloads,
    check_reassign,
    check_records,
    check_time,
)

# A quick reply left unanswered for a day is stale; the key must not outlive the conversation.
OFFERED_TTL_SECONDS = 24 * 60 * 60


class RedisStateStore:
    """A StateStore on one Redis server; the Lua scripts make every check-and-update atomic."""

    def __init__(self, client: aioredis.Redis, namespace: str) -> None:
        self._client = client
        ns = check_namespace(namespace)
        self._conv_prefix = f"{ns}:conv:"
        self._agent_prefix = f"{ns}:agent:"
        self._queue_key = f"{ns}:queue"
        self._offered_prefix = f"{ns}:offered:"
        register = client.register_script
        self._enqueue = register(scripts.ENQUEUE)
        self._accept = register(scripts.ACCEPT)
        self._requeue = register(scripts.REQUEUE)
        self._reassign = register(scripts.REASSIGN)
        self._handback = register(scripts.HANDBACK)
        self._dequeue = register(scripts.DEQUEUE)
        self._close = register(scripts.CLOSE)
        self._snapshot = register(scripts.SNAPSHOT)
        self._restore = register(scripts.RESTORE)

    async def get(self, conversation_id: str) -> Ownership:
        """The conversation's owner; an unknown id belongs to the bot."""
        cid = check_id(conversation_id)
        return _record(cid, await self._client.hgetall(self._conv(cid)))

    async def enqueue(
        self, conversation_id: str, *, skill: str, vulnerable: bool, now: float
    ) -> bool:
        """bot -> queued; False if the bot does not own it."""
        cid, skill = check_id(conversation_id), check_id(skill, "skill")
        vulnerable, now = check_flag(vulnerable, "vulnerable"), check_time(now)
        score = serving_score(queued_at=now, vulnerable=vulnerable, at_head=False)
        args = [cid, skill, _flag(vulnerable), now, score]
        return await _run(self._enqueue, [self._conv(cid), self._queue_key], args)

    async def accept(self, conversation_id: str, agent: str, *, capacity: int, now: float) -> bool:
        """queued -> assigned(agent); False if not queued or the agent has `capacity` chats."""
        cid, agent = check_id(conversation_id), check_id(agent, "agent")
        capacity, now = check_capacity(capacity), check_time(now)
        keys = [self._conv(cid), self._queue_key, self._agent(agent)]
        return await _run(self._accept, keys, [cid, agent, capacity, now])

    async def requeue(
        self, conversation_id: str, *, now: float, at_head: bool, skill: str | None = None
    ) -> bool:
        """assigned -> queued; at_head puts it before everything else waiting."""
        cid, now = check_id(conversation_id), check_time(now)
        at_head = check_flag(at_head, "at_head")
        skill = check_id(skill, "skill") if skill is not None else ""
        # Vulnerability is in the hash, so the script picks one of the two possible scores.
        plain = serving_score(queued_at=now, vulnerable=False, at_head=at_head)
        vulnerable = serving_score(queued_at=now, vulnerable=True, at_head=at_head)
        args = [cid, self._agent_prefix, now, _flag(at_head), plain, vulnerable, skill]
        return await _run(self._requeue, [self._conv(cid), self._queue_key], args)

    async def reassign(
        self, conversation_id: str, from_agent: str, to_agent: str, *, capacity: int
    ) -> bool:
        """assigned(from_agent) -> assigned(to_agent); False if to_agent is full."""
        cid, from_agent, to_agent, capacity = check_reassign(
            conversation_id, from_agent, to_agent, capacity
        )
        keys = [self._conv(cid), self._agent(from_agent), self._agent(to_agent)]
        return await _run(self._reassign, keys, [cid, from_agent, to_agent, capacity])

    async def handback(self, conversation_id: str, agent: str) -> bool:
        """assigned(agent) -> bot."""
        cid, agent = check_id(conversation_id), check_id(agent, "agent")
        keys = [self._conv(cid), self._agent(agent)]
        return await _run(self._handback, keys, [cid, agent])

    async def dequeue(self, conversation_id: str) -> bool:
        """queued -> bot (a ticket is opened instead)."""
        cid = check_id(conversation_id)
        return await _run(self._dequeue, [self._conv(cid), self._queue_key], [cid])

    async def close(self, conversation_id: str) -> bool:
        """Any state but closed -> closed."""
        cid = check_id(conversation_id)
        keys = [self._conv(cid), self._queue_key]
        return await _run(self._close, keys, [cid, self._agent_prefix])

    async def queue(self) -> list[Ownership]:
        """The queued conversations in serving order."""
        return await self._read(self._queue_key, "zset")

    async def position(self, conversation_id: str) -> int | None:
        """1-based place in the queue; None if not queued."""
        rank = await self._client.zrank(self._queue_key, check_id(conversation_id))
        return None if rank is None else rank + 1

    async def assigned_to(self, agent: str) -> list[Ownership]:
        """The agent's conversations, the oldest assignment first."""
        records = await self._read(self._agent(check_id(agent, "agent")), "set")
        return sorted(records, key=assigned_key)

    async def restore(self, items: Iterable[Ownership]) -> int:
        """Load records saved elsewhere (the database); conversations already known keep theirs."""
        args: list[Any] = [self._conv_prefix, self._agent_prefix]
        for record in check_records(items):
            args.extend(_restore_args(record))
        return int(await self._restore(keys=[self._queue_key], args=args))

    async def set_offered(self, conversation_id: str, payloads: Sequence[str]) -> None:
        """The quick-reply payloads of the bot's latest answer (none forgets the previous ones)."""
        key, checked = self._offered_prefix + check_id(conversation_id), check_payloads(payloads)
        if checked:
            await self._client.set(key, json.dumps(checked), ex=OFFERED_TTL_SECONDS)
        else:
            await self._client.delete(key)

    async def offered(self, conversation_id: str) -> list[str]:
        """The payloads the customer may send back as they are (Rasa's `/intent` syntax)."""
        raw = await self._client.get(self._offered_prefix + check_id(conversation_id))
        return json.loads(_text(raw)) if raw else []

    async def aclose(self) -> None:
        """Close the client's connections."""
        await self._client.close(close_connection_pool=True)

    def _conv(self, cid: str) -> str:
        return self._conv_prefix + cid

    def _agent(self, agent: str) -> str:
        return self._agent_prefix + agent

    async def _read(self, key: str, kind: str) -> list[Ownership]:
        ids, hashes = await self._snapshot(keys=[key], args=[self._conv_prefix, kind])
        return [_record(_text(cid), _pairs(flat)) for cid, flat in zip(ids, hashes, strict=True)]


async def _run(script: Any, keys: list[str], args: list[Any]) -> bool:
    return bool(await script(keys=keys, args=args))


def _flag(value: bool) -> str:
    return "1" if value else "0"


def _text(value: str | bytes) -> str:
    # Clients built with or without decode_responses both work.
    return value.decode() if isinstance(value, bytes) else value


def _pairs(flat: Sequence[str | bytes]) -> dict[str, str]:
    """HGETALL's flat [field, value, ...] reply from a script, as a dict."""
    return {_text(flat[i]): _text(flat[i + 1]) for i in range(0, len(flat), 2)}


def _record(cid: str, raw: dict[Any, Any]) -> Ownership:
    """The Ownership a conversation's hash describes; no hash means the bot's."""
    fields = {_text(k): _text(v) for k, v in raw.items()}
    if not fields:
        return Ownership(cid, Owner.BOT)
    queued_at, assigned_at = fields.get("queued_at"), fields.get("assigned_at")
    return Ownership(
        cid,
        Owner(fields["state"]),
        agent=fields.get("agent"),
        skill=fields.get("skill"),
        vulnerable=fields.get("vulnerable") == "1",
        queued_at=None if queued_at is None else float(queued_at),
        assigned_at=None if assigned_at is None else float(assigned_at),
        at_head=fields.get("at_head") == "1",
    )


def _restore_args(record: Ownership) -> list[Any]:
    """One record as RESTORE reads it: id, the hash's fields in order, then the score."""
    active = record.state in (Owner.QUEUED, Owner.ASSIGNED)
    score: Any = ""
    if record.state == Owner.QUEUED and record.queued_at is not None:
        score = serving_score(
            queued_at=record.queued_at, vulnerable=record.vulnerable, at_head=record.at_head
        )
    return [
        record.conversation_id,
        record.state.value,
        record.agent or "",
        record.skill or "",
        _flag(record.vulnerable) if active else "",
        _flag(record.at_head) if active else "",
        "" if record.queued_at is None else record.queued_at,
        "" if record.assigned_at is None else record.assigned_at,
        score,
    ]
