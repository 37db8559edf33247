"""Network: incidents affecting a postcode."""

from datetime import datetime
from typing import Literal

import httpx
from pydantic import Field

from connectors.formats import is_uk_postcode, normalise_postcode
from connectors.http import JsonHttpClient
from connectors.models import ContractModel, text_in, translations_of

Service = Literal["broadband", "mobile", "tv", "landline"]


class Incident(ContractModel):
    """A network incident and the postcodes (or postcode districts) it touches.

    `title` is in English; `title_translations` maps a language code ("en" or "fr") to the
    same title in that language, when the network-status system has it.
    """

    incident_id: str
    title: str
    services: list[Service]
    status: Literal["investigating", "fixing", "monitoring"]
    started_at: datetime
    eta: datetime | None = None
    postcodes: list[str]
    title_translations: dict[str, str] = Field(default_factory=dict)

    _known_title = translations_of("title_translations")

    def title_in(self, language: str) -> str:
        """The title in `language`, or in English when the system has no translation."""
        return text_in(self.title, self.title_translations, language)


class NetworkClient:
    """Client of the network-status system."""

    def __init__(
        self,
        base_url: str,
        *,
        timeout: float,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self._http = JsonHttpClient("network", base_url, timeout=timeout, transport=transport)

    async def aclose(self) -> None:
        """Close the connections to the network system."""
        await self._http.aclose()

    async def incidents_for(self, postcode: str) -> list[Incident]:
        """List the active incidents touching a postcode.

        Raises:
            ValueError: the postcode is not a UK postcode (check with `is_uk_postcode` first).
        """
        if not is_uk_postcode(postcode):
            raise ValueError(f"not a UK postcode: {postcode[:20]!r}")
        params = {"postcode": normalise_postcode(postcode)}
        return await self._http.get("incidents", params=params, response=list[Incident])
