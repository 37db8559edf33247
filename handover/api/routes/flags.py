"""Agents flag a customer's message for the bot trainer from the console (`trainer.flags`): it
joins the trainer's inbox, tagged "flagged" (`trainer.inbox_sources`).

Whoever may read the conversation (`readable`: the agent it is assigned to, agents serving the
skill it is queued for, supervisors and admins, and the agent who closed it) may flag and
unflag its customer's messages and list its flags; anyone else gets 403, and an unknown
conversation is 403 for agents, 404 for supervisors, as for the conversation itself. Managers
and trainers take no chats: 403. A message that is not in the conversation is 404, one that is
not the customer's (the bot's, an agent's, the system's) 400. Flagging is idempotent: a
message flagged again keeps its first flag; unflagging a message without a flag is no error.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Path, status
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, Field
from sqlalchemy.exc import IntegrityError

from handover.api.deps import ConversationId, CurrentAgent, HubDep
from handover.api.responses import AUTHENTICATED, FORBIDDEN, problem
from handover.api.routes.conversations import Readable
from trainer import flags

MAX_MESSAGE_ID = 2**31 - 1  # the largest id the `messages` table can hold
router = APIRouter(prefix="/api", tags=["flags"], responses=AUTHENTICATED)
PER_CONVERSATION: dict[int | str, dict[str, Any]] = {
    403: FORBIDDEN,
    404: problem("No such conversation (answered to supervisors and admins only)"),
}
PER_MESSAGE: dict[int | str, dict[str, Any]] = {
    **PER_CONVERSATION,
    400: problem("Not a customer's message: only those can be flagged"),
    404: problem(
        "No such conversation (answered to supervisors and admins only), or no such message in it"
    ),
}
MESSAGE_ID = re.compile(r"[1-9][0-9]{0,9}")


def message_id(
    message_id: Annotated[
        str, Path(pattern=f"^{MESSAGE_ID.pattern}$", description="the message's id (transcript)")
    ],
) -> int:
    """The path's message id: digits alone, no sign, space or new line, at most MAX_MESSAGE_ID
    (a 422 otherwise: pydantic would read " 1" or "1\n" as 1)."""
    if not MESSAGE_ID.fullmatch(message_id) or int(message_id) > MAX_MESSAGE_ID:
        raise RequestValidationError(
            [
                {
                    "loc": ("path", "message_id"),
                    "msg": f"message id must be a whole number from 1 to {MAX_MESSAGE_ID}",
                    "type": "value_error.message_id",
                }
            ]
        )
    return int(message_id)


MessageId = Annotated[int, Depends(message_id)]


class FlagState(BaseModel):
    message_id: int
    flagged: bool
    flagged_by: str | None = Field(..., description="who flagged it first; null if unflagged")
    at: datetime | None = Field(..., description="when; null if unflagged")


class Flags(BaseModel):
    flags: list[FlagState] = Field(..., description="the conversation's flagged messages")


def _state(flag: flags.Flag) -> FlagState:
    return FlagState(message_id=flag.message_id, flagged=True, flagged_by=flag.flagged_by,
                     at=flag.at)  # fmt: skip


def _refused(error: flags.FlagRefused) -> HTTPException:
    code = status.HTTP_404_NOT_FOUND if error.code == "not_found" else status.HTTP_400_BAD_REQUEST
    return HTTPException(code, detail=str(error))


@router.get(
    "/conversations/{conversation_id}/flags", response_model=Flags, responses=PER_CONVERSATION
)
async def list_flags(conversation_id: ConversationId, _: Readable, hub: HubDep) -> Flags:
    """The conversation's customer messages flagged for the trainer."""
    found = await hub.db(flags.flags_of, conversation_id=conversation_id)
    return Flags(flags=[_state(flag) for flag in found])


@router.put(
    "/conversations/{conversation_id}/messages/{message_id}/flag",
    response_model=FlagState,
    responses=PER_MESSAGE,
)
async def flag_message(
    conversation_id: ConversationId,
    message_id: MessageId,
    _: Readable,
    agent: CurrentAgent,
    hub: HubDep,
) -> FlagState:
    """Flag the customer's message for the bot trainer (again: its first flag stands)."""
    try:
        flag = await hub.db(
            flags.flag, conversation_id=conversation_id, message_id=message_id, by=agent.username
        )
    except flags.FlagRefused as error:
        raise _refused(error) from error
    except IntegrityError as error:  # erased between the check and the write
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail="no such message") from error
    return _state(flag)


@router.delete(
    "/conversations/{conversation_id}/messages/{message_id}/flag",
    response_model=FlagState,
    responses=PER_MESSAGE,
)
async def unflag_message(
    conversation_id: ConversationId, message_id: MessageId, _: Readable, hub: HubDep
) -> FlagState:
    """Take the message's flag off (no error when it had none)."""
    try:
        await hub.db(flags.unflag, conversation_id=conversation_id, message_id=message_id)
    except flags.FlagRefused as error:
        raise _refused(error) from error
    return FlagState(message_id=message_id, flagged=False, flagged_by=None, at=None)
