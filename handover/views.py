"""How stored rows are shown by the APIs."""

from __future__ import annotations

from typing import Any


def message_view(message: Any) -> dict[str, Any]:
    """A stored message as the APIs show it."""
    return {
        "id": message.id,
        "sender": message.sender,
        "text": message.text,
        "agent": message.agent_username,
        "intent": message.intent,
        "confidence": message.confidence,
        "timestamp": message.created_at.isoformat(),
    }
