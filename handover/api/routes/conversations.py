"""The queue and the conversations agents take over.

Who may see a conversation, and use its routes: the agent it is assigned to, agents who serve
the skill it is queued for, and supervisors and admins. Anyone else gets 403, whether or not
the id exists, so that an agent learns nothing from trying ids; only supervisors and admins,
who may read everything, are told 404 for an unknown id. Accepting has its own check (below).
Acting on a conversation (reply, transfer, hand back, close) needs it assigned to the caller:
anything else is a 409 from the lifecycle, supervisors included. Nobody reopens a conversation
here: only its customer does, by writing again.
"""

from __future__ import annotations

import logging
import time
from datetime import datetime, timedelta, timezone
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Request, Response, status
from pydantic import BaseModel, Field, StrictStr, root_validator, validator

from handover import crud
from handover.api.deps import (
    TEXT_PATTERN,
    CleanJsonBody,
    ConversationId,
    CurrentAgent,
    HubDep,
    is_supervisor,
)
from handover.api.responses import AUTHENTICATED, CONFLICT, FORBIDDEN, NOT_FOUND
from handover.lifecycle import NotYours, WrapUp, wrap_up_note
from handover.models import MAX_NOTE_LENGTH
from handover.rasa import RasaUnavailable
from handover.service import MAX_MESSAGE_CHARS, Hub
from handover.state import Owner, Ownership
from handover.suggest import Suggester
from handover.views import message_view

logger = logging.getLogger(__name__)
# 403 on every route: managers take no chats (`CurrentAgent`), besides the per-conversation check.
router = APIRouter(
    prefix="/api",
    tags=["conversations"],
    dependencies=[CleanJsonBody],
    responses={**AUTHENTICATED, 403: FORBIDDEN},
)
PREVIEW_CHARS = 160  # of the customer's last message, in the queue
RECENT_HOURS = 12  # how far back an agent's list of closed contacts goes: about a shift
# Every route about one conversation: its id is checked, and so is the caller's right to it.
PER_CONVERSATION: dict[int | str, dict[str, Any]] = {
    403: FORBIDDEN,
    404: NOT_FOUND,
    409: CONFLICT,
}


class AgentText(BaseModel):
    text: str = Field(..., max_length=MAX_MESSAGE_CHARS, regex=TEXT_PATTERN)

    class Config:
        extra = "forbid"  # an unknown field is a mistake worth a 422, not silence

    @validator("text")
    def not_blank(cls, value: str) -> str:  # noqa: N805 (pydantic validators take cls)
        if not value.strip():
            raise ValueError("text must not be blank")
        return value


class Transfer(BaseModel):
    """To a named agent, or back to the queue for a skill: one of the two."""

    agent: str | None = Field(None, min_length=1, max_length=64, regex=TEXT_PATTERN)
    skill: Literal["billing", "network", "orders", "accounts", "general"] | None = None

    class Config:
        extra = "forbid"  # an unknown field is a mistake worth a 422, not silence

    @root_validator(skip_on_failure=True)
    def exactly_one(cls, values: dict[str, Any]) -> dict[str, Any]:  # noqa: N805
        if (values.get("agent") is None) == (values.get("skill") is None):
            raise ValueError("give either an agent or a skill")
        return values


class Close(BaseModel):
    """The agent's wrap-up: why the conversation ends, and an optional note (stored redacted;
    blank is no note)."""

    reason: WrapUp
    note: StrictStr | None = Field(None, max_length=MAX_NOTE_LENGTH, regex=TEXT_PATTERN)

    class Config:
        extra = "forbid"  # an unknown field is a mistake worth a 422, not silence

    @validator("note")
    def no_blank_note(cls, value: str | None) -> str | None:  # noqa: N805
        return wrap_up_note(value)


def _serves(agent: Any, skill: str | None) -> bool:
    skills = crud.agent_skills(agent)
    return not skills or skill in (None, "general") or skill in skills


def may_read(agent: Any, owner: Ownership) -> bool:
    """Assigned to the agent, queued for a skill they serve, or they supervise (the agent who
    closed a conversation may read it too: `readable` checks that in the database)."""
    if is_supervisor(agent):
        return True
    if owner.state == Owner.ASSIGNED:
        return owner.agent == agent.username
    return owner.state == Owner.QUEUED and _serves(agent, owner.skill)


async def readable(conversation_id: ConversationId, agent: CurrentAgent, hub: HubDep) -> Ownership:
    """The conversation's ownership, once the caller may see it (403, or 404 for supervisors)."""
    owner = await hub.store.get(conversation_id)
    if may_read(agent, owner):
        if owner.state in (Owner.QUEUED, Owner.ASSIGNED):
            return owner  # the store knows it, so it exists
        if await hub.db(crud.get_conversation, conversation_id=conversation_id) is None:
            raise HTTPException(status.HTTP_404_NOT_FOUND, detail="no such conversation")
        return owner
    # A closed conversation stays readable to the agent who closed it (its record keeps them).
    row = await hub.db(crud.get_conversation, conversation_id=conversation_id)
    if row is None or row.state != "closed" or row.agent_username != agent.username:
        raise HTTPException(status.HTTP_403_FORBIDDEN, detail="not a conversation you may see")
    return owner


Readable = Annotated[Ownership, Depends(readable)]


async def _conversation(hub: Hub, conversation_id: str) -> Any:
    found = await hub.db(crud.get_conversation, conversation_id=conversation_id)
    if found is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail="no such conversation")
    return found


def _episode(episode: Any) -> dict[str, Any]:
    """One contact as the API shows it."""

    def stamp(value: Any) -> str | None:
        return value.isoformat() if value is not None else None

    return {
        "number": episode.number,
        "started_at": stamp(episode.started_at),
        "ended_at": stamp(episode.ended_at),
        "outcome": episode.outcome,
        "agent": episode.agent_username,
        "reason": episode.wrap_up,
        "note": episode.note,
        "satisfaction": episode.satisfaction,
    }


async def _listed(hub: Hub, owners: list[Ownership]) -> list[dict[str, Any]]:
    """What a list of conversations shows of each: who, what and why (one query for all)."""
    ids = [owner.conversation_id for owner in owners]
    rows = await hub.db(crud.conversations_by_id, ids=ids)
    items = []
    for owner in owners:
        row = rows.get(owner.conversation_id)
        context = (row.context if row else None) or {}
        items.append(
            {
                "conversation_id": owner.conversation_id,
                "skill": owner.skill,
                "reason": row.reason if row else None,
                "vulnerable": owner.vulnerable,
                "priority": context.get("priority", "normal"),
                "summary": row.summary if row else None,
                "customer": context.get("profile"),
            }
        )
    return items


def _preview(message: Any) -> dict[str, Any] | None:
    """The customer's latest message as stored (redacted), cut to a preview's length."""
    if message is None:
        return None
    text = message.text
    if len(text) > PREVIEW_CHARS:
        text = text[: PREVIEW_CHARS - 1].rstrip() + "…"
    return {"text": text, "at": message.created_at.isoformat()}


@router.get("/queue")
async def queue(agent: CurrentAgent, hub: HubDep) -> dict[str, Any]:
    """Conversations waiting for a person that this agent can take, first to serve first, each
    with a preview of what the customer wrote last."""
    now = time.time()
    waiting = [
        (position, owner)
        for position, owner in enumerate(await hub.store.queue(), start=1)
        if _serves(agent, owner.skill)
    ]
    listed = await _listed(hub, [owner for _, owner in waiting])
    said = await hub.db(crud.latest_customer_messages, ids=[o.conversation_id for _, o in waiting])
    return {
        "items": [
            {
                **item,
                "position": position,
                "waiting_seconds": round(now - owner.queued_at) if owner.queued_at else None,
                "last_message": _preview(said.get(owner.conversation_id)),
            }
            for (position, owner), item in zip(waiting, listed, strict=True)
        ]
    }


@router.get("/agent/conversations")
async def my_conversations(agent: CurrentAgent, hub: HubDep) -> dict[str, Any]:
    """The conversations this agent has now, longest held first."""
    owners = await hub.store.assigned_to(agent.username)
    listed = await _listed(hub, owners)
    items = [
        {**item, "assigned_at": owner.assigned_at}
        for owner, item in zip(owners, listed, strict=True)
    ]
    return {"items": items}


@router.get("/agent/closed")
async def recently_closed(agent: CurrentAgent, hub: HubDep) -> dict[str, Any]:
    """The contacts this agent had when they ended, in the last `RECENT_HOURS`, the latest
    first: how each ended and the customer's rating once given. Only their own."""
    since = datetime.now(timezone.utc) - timedelta(hours=RECENT_HOURS)
    found = await hub.db(crud.closed_by, agent_username=agent.username, since=since)
    items = []
    for episode, row in found:
        profile = (row.context or {}).get("profile") or {}
        items.append(
            {
                "conversation_id": row.id,
                "customer": {"name": profile.get("name")} if profile.get("name") else None,
                **_episode(episode),
            }
        )
    return {"items": items}


@router.get("/conversations/{conversation_id}", responses=PER_CONVERSATION)
async def conversation(
    conversation_id: ConversationId, owner: Readable, hub: HubDep
) -> dict[str, Any]:
    """The context packet and the whole transcript, with the conversation's episodes (each
    contact, the latest last: how it ended, the agent's reason and note, the rating)."""
    row = await _conversation(hub, conversation_id)
    messages = await hub.db(crud.list_messages, conversation_id=conversation_id)
    episodes = await hub.db(crud.list_episodes, conversation_id=conversation_id)
    latest = episodes[-1] if episodes else None
    context = row.context or {}
    waited_until = owner.assigned_at or time.time()
    return {
        "conversation_id": conversation_id,
        "state": row.state,
        "agent": owner.agent or (row.agent_username if row.state == "closed" else None),
        "reason": row.reason,
        "skill": owner.skill or row.skill,
        "language": row.language,
        "summary": row.summary,
        "vulnerable": row.vulnerable,
        "priority": context.get("priority", "normal"),
        "episode": latest.number if latest else None,
        "outcome": latest.outcome if latest else None,
        "satisfaction": latest.satisfaction if latest else None,
        "waited_seconds": round(waited_until - owner.queued_at) if owner.queued_at else None,
        "intents": context.get("turns", []),
        "slots": context.get("slots", {}),
        "profile": context.get("profile"),
        "episodes": [_episode(episode) for episode in episodes],
        "transcript": [message_view(m) for m in messages],
    }


@router.post("/conversations/{conversation_id}/accept", responses={403: FORBIDDEN, 409: CONFLICT})
async def accept(
    conversation_id: ConversationId, agent: CurrentAgent, hub: HubDep
) -> dict[str, str]:
    """Take the conversation; exactly one agent wins when several accept at once.

    Accepting is how an agent gains the right to a conversation, so it has its own check:
    queued for a skill they serve (else 403). Anything not waiting, an unknown id included,
    is a 409, which tells the loser of a race what happened and an outsider nothing.
    """
    owner = await hub.store.get(conversation_id)
    if not _serves(agent, owner.skill):
        raise HTTPException(status.HTTP_403_FORBIDDEN, detail=f"needs skill {owner.skill}")
    await hub.lifecycle.accept(conversation_id, agent)
    return {"state": "assigned", "agent": agent.username}


@router.post("/conversations/{conversation_id}/messages", responses=PER_CONVERSATION)
async def send(
    conversation_id: ConversationId, body: AgentText, _: Readable, agent: CurrentAgent, hub: HubDep
) -> dict[str, str]:
    await hub.agent_message(conversation_id, agent, body.text)
    return {"status": "sent"}


@router.post("/conversations/{conversation_id}/handback", responses=PER_CONVERSATION)
async def handback(
    conversation_id: ConversationId, _: Readable, agent: CurrentAgent, hub: HubDep
) -> dict[str, str]:
    await hub.lifecycle.hand_back(conversation_id, agent)
    return {"state": "bot"}


@router.post("/conversations/{conversation_id}/transfer", responses=PER_CONVERSATION)
async def transfer(
    conversation_id: ConversationId, body: Transfer, _: Readable, agent: CurrentAgent, hub: HubDep
) -> dict[str, str | None]:
    """Pass the conversation to another agent, or to the head of the queue for a skill."""
    await hub.transfer(conversation_id, agent, to_agent=body.agent, to_skill=body.skill)
    return {"state": "assigned" if body.agent else "queued", "agent": body.agent}


@router.post("/conversations/{conversation_id}/close", responses=PER_CONVERSATION)
async def close(
    conversation_id: ConversationId, body: Close, _: Readable, agent: CurrentAgent, hub: HubDep
) -> dict[str, str | None]:
    """Close the conversation with a wrap-up reason (required) and an optional note. The
    customer may rate it now; if they write again, it reopens with the bot (a new episode)."""
    closed = await hub.lifecycle.close(conversation_id, agent, reason=body.reason, note=body.note)
    return {"state": "closed", "outcome": closed.outcome.value, "reason": body.reason.value}


class SuggestedReply(BaseModel):
    """The bot's answer to the customer's latest message, for the agent to insert and edit."""

    intent: str
    confidence: float
    text: str
    language: str
    for_message_id: int


@router.get(
    "/conversations/{conversation_id}/suggestion",
    response_model=SuggestedReply,
    responses={
        **PER_CONVERSATION,
        204: {"description": "Nothing to suggest"},
        503: {"description": "The assistant (Rasa) did not answer"},
    },
)
async def suggestion(
    conversation_id: ConversationId,
    owner: Readable,
    agent: CurrentAgent,
    hub: HubDep,
    request: Request,
) -> Any:
    """What the bot would answer to the customer's latest message: an FAQ answer, or the
    bot's first question for a request it handles, in the conversation's language. 204 when
    there is nothing to suggest (no customer message, the NLU unsure, fallback, out of scope).
    Only for the agent the conversation is assigned to, like replying (else 409)."""
    if owner.state != Owner.ASSIGNED or owner.agent != agent.username:
        raise NotYours()  # the same 409 as a reply
    found_latest = await hub.db(
        crud.list_messages, conversation_id=conversation_id, limit=1, sender="user"
    )
    if not found_latest:
        return Response(status_code=status.HTTP_204_NO_CONTENT)
    latest = found_latest[0]
    row = await _conversation(hub, conversation_id)
    suggester: Suggester = request.app.state.suggester
    try:
        parsed = await hub.rasa.parse(latest.text)
    except RasaUnavailable as error:
        logger.warning("no suggestion: %s", error)  # the error names the call, not the text
        raise HTTPException(
            status.HTTP_503_SERVICE_UNAVAILABLE, detail="the assistant is unavailable"
        ) from error
    found = suggester.suggest(parsed, row.language)
    if found is None:
        return Response(status_code=status.HTTP_204_NO_CONTENT)
    return SuggestedReply(
        intent=found.intent,
        confidence=round(found.confidence, 3),
        text=found.text,
        language=found.language,
        for_message_id=latest.id,
    )
