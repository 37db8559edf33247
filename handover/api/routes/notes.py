"""Agents' private notes and labels on a conversation.

Whoever may read the conversation (`readable`: the agent it is assigned to, agents serving the
skill it is queued for, supervisors and admins, and the agent who closed it) may read and
write its notes and labels: a supervisor may annotate, the closing agent may add a note after
the close. Anyone else gets 403, and an unknown id is 403 for agents, 404 for supervisors, as
for the conversation itself. Notes are never sent to the customer: no route or socket event of
theirs reads them.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException, status
from pydantic import BaseModel, Field, StrictStr, validator

from handover import crud
from handover.api.deps import TEXT_PATTERN, CleanJsonBody, ConversationId, CurrentAgent, HubDep
from handover.api.responses import AUTHENTICATED, FORBIDDEN, NOT_FOUND
from handover.api.routes.conversations import Readable
from handover.models import LABEL_PATTERN, MAX_LABELS, MAX_NOTE_LENGTH

router = APIRouter(
    prefix="/api", tags=["notes"], dependencies=[CleanJsonBody], responses=AUTHENTICATED
)
PER_CONVERSATION: dict[int | str, dict[str, Any]] = {403: FORBIDDEN, 404: NOT_FOUND}


class NoteText(BaseModel):
    """A private note: 1-1000 characters, stored stripped and redacted."""

    text: StrictStr = Field(..., min_length=1, max_length=MAX_NOTE_LENGTH, regex=TEXT_PATTERN)

    class Config:
        extra = "forbid"  # an unknown field is a mistake worth a 422, not silence

    @validator("text")
    def not_blank(cls, value: str) -> str:  # noqa: N805 (pydantic validators take cls)
        if not value.strip():
            raise ValueError("note must not be blank")
        return value


class Label(str):
    """A lowercase slug such as "billing-dispute" (`LABEL_PATTERN`)."""

    @classmethod
    def __get_validators__(cls) -> Any:
        yield cls.validate

    @classmethod
    def __modify_schema__(cls, schema: dict[str, Any]) -> None:
        schema.update(type="string", pattern=LABEL_PATTERN, maxLength=32)

    @classmethod
    def validate(cls, value: object) -> str:
        if not isinstance(value, str):
            raise TypeError("a label must be text")
        crud.check_labels([value])  # its ValueError says what a label may be
        return value


class Labels(BaseModel):
    """The conversation's whole set of labels: at most 10 items, repeats dropped."""

    labels: list[Label] = Field(..., max_items=MAX_LABELS)

    class Config:
        extra = "forbid"  # an unknown field is a mistake worth a 422, not silence

    @validator("labels")
    def unique(cls, value: list[str]) -> list[str]:  # noqa: N805 (pydantic validators take cls)
        return crud.check_labels(value)


class Note(BaseModel):
    id: int
    agent: str
    text: str
    created_at: str
    episode: int | None  # the contact it was written in


class NotesAndLabels(BaseModel):
    notes: list[Note]
    labels: list[str]


class LabelSet(BaseModel):
    labels: list[str]


class LabelInUse(BaseModel):
    label: str
    conversations: int


class LabelsInUse(BaseModel):
    labels: list[LabelInUse]


def _note(row: Any) -> Note:
    return Note(
        id=row.id,
        agent=row.agent_username,
        text=row.text,
        created_at=row.created_at.isoformat(),
        episode=row.episode,
    )


def _gone() -> HTTPException:
    # Readable a moment ago, deleted since (erasure, retention).
    return HTTPException(status.HTTP_404_NOT_FOUND, detail="no such conversation")


@router.get(
    "/conversations/{conversation_id}/notes",
    response_model=NotesAndLabels,
    responses=PER_CONVERSATION,
)
async def notes(conversation_id: ConversationId, _: Readable, hub: HubDep) -> NotesAndLabels:
    """The conversation's private notes, the first written first, and its labels."""
    found = await hub.db(crud.list_notes, conversation_id=conversation_id)
    labels = await hub.db(crud.list_labels, conversation_id=conversation_id)
    return NotesAndLabels(notes=[_note(row) for row in found], labels=labels)


@router.post(
    "/conversations/{conversation_id}/notes",
    response_model=Note,
    status_code=status.HTTP_201_CREATED,
    responses=PER_CONVERSATION,
)
async def add_note(
    conversation_id: ConversationId, body: NoteText, _: Readable, agent: CurrentAgent, hub: HubDep
) -> Note:
    """Add a private note (stored redacted), in the conversation's current contact."""
    try:
        row = await hub.db(
            crud.add_note,
            conversation_id=conversation_id,
            agent_username=agent.username,
            text=body.text,
        )
    except crud.NotFoundError as error:
        raise _gone() from error
    return _note(row)


@router.put(
    "/conversations/{conversation_id}/labels",
    response_model=LabelSet,
    responses=PER_CONVERSATION,
)
async def set_labels(
    conversation_id: ConversationId, body: Labels, _: Readable, agent: CurrentAgent, hub: HubDep
) -> LabelSet:
    """Replace the conversation's labels (at most 10; repeats dropped); returns them sorted."""
    try:
        labels = await hub.db(
            crud.set_labels,
            conversation_id=conversation_id,
            labels=body.labels,
            added_by=agent.username,
        )
    except crud.NotFoundError as error:
        raise _gone() from error
    return LabelSet(labels=labels)


@router.get("/labels", response_model=LabelsInUse, responses={403: FORBIDDEN})
async def labels_in_use(_: CurrentAgent, hub: HubDep) -> LabelsInUse:
    """The labels in use across conversations, most used first, with how many conversations
    have each: the console suggests them. Any signed-in agent."""
    counts = await hub.db(crud.label_counts)
    return LabelsInUse(labels=[LabelInUse(label=label, conversations=n) for label, n in counts])
