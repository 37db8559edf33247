"""`GET /api/trainer/inbox`: the trainer's inbox, the period's misunderstood messages grouped by
meaning (`trainer.inbox`), each text with why it is there (`trainer.inbox_sources`), what the
NLU predicted for it and what the trainer made of it; `GET /api/trainer/inbox/conversations`:
the conversations around one of its texts (`trainer.context`).

Part of `handover.api.routes.trainer`'s router, which includes this one: the same prefix, and
the same rule (trainers and admins; other roles 403, callers without a valid token 401). The
inbox folds Rasa's new events first, as the reports do, then groups the period's redacted texts
with the NLU's sentence encoder, which loads at the first inbox with texts to group (a few
seconds), never at start-up.
"""

from __future__ import annotations

import threading
from datetime import datetime
from typing import Annotated, Any

import numpy as np
from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from handover.api.deps import HubDep
from handover.api.report_query import Channel, Language, report_filters
from nlu.encoders import encoder
from reporting import reports
from reporting.kpis_contacts import Scope
from reporting.settings import ReportingSettings
from trainer import states
from trainer.context import (
    DEFAULT_CONVERSATIONS,
    MAX_CONVERSATIONS,
    Around,
    Speaker,
    conversations_around,
)
from trainer.inbox import DEFAULT_LIMIT, GroupState, Inbox, StateFilter, load_inbox
from trainer.inbox import InboxGroup as FoundGroup
from trainer.inbox_sources import Source
from trainer.labels import INTENT_NAME
from trainer.states import MAX_KEY

MAX_INBOX = 200
# A text's key is folded (`reporting.bot_facts.normalised`): no control character survives.
KEY_PATTERN = r"^[^\x00-\x1f\x7f]+$"
router = APIRouter()  # prefix, tags, rules and responses: the trainer router's

SourceCounts = dict[Source, int]
SOURCES_HELP = (
    "messages per reason: fallback, low_confidence (the NLU's top intent under the threshold),"
    " out_of_scope, handover_after_miss (a miss before the contact was queued for a person),"
    " low_rating (said to the bot in a contact rated 1-2), flagged (by an agent)"
)


class InboxText(BaseModel):
    key: str = Field(..., description="the folded text: what /inbox/state names it by")
    text: str = Field(..., description="its most frequent spelling (redacted)")
    language: str = Field(..., description='"en", "fr", or "" when Rasa recorded none')
    count: int
    state: states.State
    sources: SourceCounts = Field(..., description=SOURCES_HELP)
    intent: str | None = Field(..., description="the intent the NLU predicted most often")
    confidence: float | None = Field(..., description="its mean confidence, 0 to 1")


class InboxGroup(BaseModel):
    key: str = Field(..., description="the representative's key")
    representative: str = Field(..., description="redacted")
    count: int = Field(..., description="messages")
    conversations: int
    languages: list[str] = Field(..., description='its texts\' languages ("" for none)')
    first_at: datetime
    last_at: datetime
    cohesion: float = Field(
        ..., description="mean similarity of its messages to the representative"
    )
    state: GroupState = Field(..., description="its texts' state, mixed when they differ")
    sources: SourceCounts = Field(..., description=SOURCES_HELP)
    texts: list[InboxText] = Field(..., description="every distinct text, most frequent first")


class IntentCount(BaseModel):
    intent: str
    count: int


class InboxPage(BaseModel):
    start: datetime
    end: datetime
    messages: int = Field(..., description="the filters' messages of the period, any state")
    ungrouped: int = Field(..., description="rarest texts too many to compare, each alone")
    sources: SourceCounts = Field(
        ..., description="the period's messages per reason, whatever the source filter"
    )
    intents: list[IntentCount] = Field(
        ..., description="predicted intents of the period, most first, whatever the intent filter"
    )
    groups: list[InboxGroup]


def inbox_scope(
    start: Annotated[
        datetime | None, Query(description="ISO 8601 with an offset; default: 7 days before end")
    ] = None,
    end: Annotated[
        datetime | None, Query(description="ISO 8601 with an offset, excluded; default: now")
    ] = None,
    language: Language | None = None,
    channel: Annotated[
        Channel | None, Query(description="socketio: the widget; rest: Rasa's REST channel")
    ] = None,
) -> Scope:
    """The period and filters, checked as the reports' are (a 422 saying what is wrong)."""
    return report_filters(start, end, language, channel, None, "UTC").scope


_encoding = threading.Lock()


def _encode(texts: list[str]) -> np.ndarray:
    # One at a time: the first call loads the weights (not thread-safe), and cores are few.
    with _encoding:
        return encoder("use")(texts)


def _inbox(db: Session, *, events: Any, scope: Scope, **filters: Any) -> Inbox:
    reports.refresh(db, events)
    # REPORTING_LOW_CONFIDENCE: what the fold just kept, the inbox shows.
    threshold = ReportingSettings().low_confidence
    return load_inbox(db, scope, encode=_encode, events=events, low_confidence=threshold, **filters)


@router.get("/inbox", response_model=InboxPage)
async def inbox(
    hub: HubDep,
    request: Request,
    scope: Annotated[Scope, Depends(inbox_scope)],
    state: Annotated[
        StateFilter, Query(description="new: groups with a new text; done, ignored: all so")
    ] = "new",
    limit: Annotated[int, Query(ge=1, le=MAX_INBOX, description="groups at most")] = DEFAULT_LIMIT,
    source: Annotated[
        list[Source] | None, Query(description="messages with one of these reasons (any: all)")
    ] = None,
    intent: Annotated[
        str | None,
        Query(max_length=129, pattern=f"^{INTENT_NAME.pattern}$", description="predicted intent"),
    ] = None,
) -> dict[str, Any]:
    """The period's misunderstood messages grouped by meaning, largest group first, each with
    its distinct texts, why they are here, what the NLU predicted and what the trainer made of
    them."""
    events = request.app.state.reporting_events  # Rasa's events, as the reports read them
    found = await hub.db(
        _inbox, events=events, scope=scope, state=state, limit=limit,
        sources=None if source is None else set(source), intent=intent,
    )  # fmt: skip
    return {
        "start": found.scope.start,
        "end": found.scope.end,
        "messages": found.messages,
        "ungrouped": found.ungrouped,
        "sources": found.sources,
        "intents": [{"intent": name, "count": n} for name, n in found.intents.items()],
        "groups": [_group(group) for group in found.groups],
    }


def _group(group: FoundGroup) -> dict[str, Any]:
    return {
        "key": group.key,
        "representative": group.representative,
        "count": group.messages,
        "conversations": group.conversations,
        "languages": sorted({text.language for text in group.texts}),
        "first_at": group.first,
        "last_at": group.last,
        "cohesion": round(group.cohesion, 3),
        "state": group.state,
        "sources": group.sources,
        "texts": [
            {
                "key": text.key,
                "text": text.text,
                "language": text.language,
                "count": text.messages,
                "state": text.state,
                "sources": text.sources,
                "intent": text.intent,
                "confidence": text.confidence,
            }
            for text in group.texts
        ],  # fmt: skip
    }


class ContextLine(BaseModel):
    speaker: Speaker
    text: str = Field(..., description="redacted")
    at: datetime
    intent: str | None = Field(..., description="the customer's: what the NLU predicted")
    confidence: float | None
    inbox: bool = Field(..., description="the text asked about")


class ContextExcerpt(BaseModel):
    at: datetime = Field(..., description="when the text was said in this conversation")
    language: str = Field(..., description='"en", "fr", or "" when Rasa recorded none')
    sources: list[Source]
    origin: str = Field(
        ..., description="gateway (with agents' lines), rasa (REST: customer and bot), none"
    )
    lines: list[ContextLine] = Field(..., description="in order; empty when none is kept")
    earlier: bool = Field(..., description="the conversation has lines before these")
    later: bool = Field(..., description="and after")


class Conversations(BaseModel):
    messages: int = Field(..., description="the text's messages in the period, filters applied")
    conversations: int = Field(..., description="the conversations they were said in")
    excerpts: list[ContextExcerpt] = Field(
        ..., description="the newest conversations, one excerpt each, around the latest message"
    )


def _around(db: Session, *, events: Any, scope: Scope, **asked: Any) -> Around:
    threshold = ReportingSettings().low_confidence
    return conversations_around(db, scope, events=events, low_confidence=threshold, **asked)


@router.get("/inbox/conversations", response_model=Conversations)
async def conversations(
    hub: HubDep,
    request: Request,
    scope: Annotated[Scope, Depends(inbox_scope)],
    key: Annotated[
        str,
        Query(min_length=1, max_length=MAX_KEY, pattern=KEY_PATTERN, description="a text's key"),
    ],
    text_language: Annotated[
        str, Query(max_length=16, description='its language ("" when Rasa recorded none)')
    ] = "",
    source: Annotated[
        list[Source] | None, Query(description="its messages with one of these reasons (any: all)")
    ] = None,
    limit: Annotated[
        int, Query(ge=1, le=MAX_CONVERSATIONS, description="conversations at most")
    ] = DEFAULT_CONVERSATIONS,
) -> Around:
    """The conversations around one text of the inbox (its key and language, as the inbox
    names it, with the inbox's period and filters): the newest first, the lines before and
    after its latest message in each, redacted. Only the inbox's texts have conversations
    here: an unknown key finds none."""
    events = request.app.state.reporting_events
    return await hub.db(
        _around, events=events, scope=scope, item=(key, text_language), limit=limit,
        sources=None if source is None else set(source),
    )  # fmt: skip
