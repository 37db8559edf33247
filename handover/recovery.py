"""Customer messages a gateway stored but never answered (it stopped between the two): found
and answered once, whichever gateway looks first (`crud.claim_unanswered`), and only while the
bot still owns the conversation. `handover.watchers.answer_unanswered` looks every minute; the
hub (`handover.service.Hub`) answers through its usual path (`Hub.answer`).
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import TYPE_CHECKING

from handover import crud
from handover.customer_input import Refused
from handover.models import utcnow
from handover.state import Owner

if TYPE_CHECKING:  # the hub imports nothing of this module; its callers pass it
    from handover.service import Hub

logger = logging.getLogger(__name__)
# Unanswered customer messages older than this are left alone: an answer hours late would not
# fit the conversation any more.
RECOVER_WITHIN = timedelta(hours=1)


async def answer_unanswered(
    hub: Hub, *, older_than_seconds: float, conversation_id: str | None = None
) -> int:
    """Answer the customer messages a gateway stored but never answered, each once whichever
    gateway looks: those stored between RECOVER_WITHIN and `older_than_seconds` ago (a live
    gateway has answered or apologised by then), in conversations the bot owns and where
    nothing followed them; each in its conversation's turn, within the hub's bot backlog.
    Returns how many.

    Rasa gets the stored text, redacted (the raw one was never kept), with the client's message
    id: its tracker may hold the first attempt too, with the same id.
    """
    now = utcnow()
    found = await hub.db(
        crud.unanswered_messages,
        stored_after=now - RECOVER_WITHIN,
        stored_before=now - timedelta(seconds=older_than_seconds),
        conversation_id=conversation_id,
    )
    answered = 0
    for message in found:
        if not await hub.db(crud.claim_unanswered, message_id=message.id, at=now):
            continue  # another gateway took it on
        cid = message.conversation_id
        try:
            async with hub.outbox.turns.take(cid):
                if (await hub.store.get(cid)).state != Owner.BOT:
                    continue  # a person has it now: theirs to answer
                with hub.backlog.admit():
                    logger.warning("answering message %s of %s after all", message.id, cid)
                    await hub.answer(cid, message.text, message)
        except Refused:  # no room for the bot now: the next look takes it
            await hub.db(crud.release_claim, message_id=message.id)
            break
        answered += 1
    return answered
