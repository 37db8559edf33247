"""Handover gateway: asks for a person to take over a conversation."""

from typing import Any, Literal

import httpx
from pydantic import Field

from connectors.http import JsonHttpClient
from connectors.models import ContractModel


class HandoverRequest(ContractModel):
    """Body of `POST /api/handover`: the reason and the context packet for the agent."""

    conversation_id: str
    reason: str
    context: dict[str, Any] = Field(default_factory=dict)


class HandoverAnswer(ContractModel):
    """`queued` (with the customer's place) or `unavailable` (with why): then open a ticket."""

    status: Literal["queued", "assigned", "unavailable", "bot", "closed"]
    position: int | None = None
    estimated_wait_seconds: int | None = None
    why: str | None = None


class HandoverClient:
    """Client of the handover gateway's bot API."""

    def __init__(
        self,
        base_url: str,
        *,
        token: str,
        timeout: float,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        # The token is this client's header only: it must not travel to the other systems.
        self._http = JsonHttpClient(
            "handover",
            base_url,
            timeout=timeout,
            headers={"Authorization": f"Bearer {token}"},
            transport=transport,
        )

    async def aclose(self) -> None:
        """Close the connections to the gateway."""
        await self._http.aclose()

    async def request_handover(self, request: HandoverRequest) -> HandoverAnswer:
        """Ask for a person; the answer says whether the conversation is now queued."""
        return await self._http.post("api", "handover", body=request, response=HandoverAnswer)
