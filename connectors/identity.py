"""Identity provider: password resets."""

import httpx

from connectors.http import JsonHttpClient
from connectors.models import Channel, ContractModel


class PasswordResetRequest(ContractModel):
    """Body of `POST /password-resets`."""

    customer_id: str
    channel: Channel


class PasswordReset(ContractModel):
    """A password-reset link on its way to the customer."""

    reset_id: str
    sent_to: str
    expires_in_minutes: int


class IdentityClient:
    """Client of the identity provider."""

    def __init__(
        self,
        base_url: str,
        *,
        timeout: float,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self._http = JsonHttpClient("identity", base_url, timeout=timeout, transport=transport)

    async def aclose(self) -> None:
        """Close the connections to the identity system."""
        await self._http.aclose()

    async def send_password_reset(self, customer_id: str, channel: Channel) -> PasswordReset:
        """Send a password-reset link; raises `NotFound` if the customer is unknown."""
        body = PasswordResetRequest(customer_id=customer_id, channel=channel)
        return await self._http.post("password-resets", body=body, response=PasswordReset)
