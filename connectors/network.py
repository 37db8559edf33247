"""Network: incidents affecting a postcode."""

from datetime import datetime
from typing import Literal

import requests

from connectors.formats import is_uk_postcode, normalise_postcode
from connectors.http import JsonHttpClient
from connectors.models import ContractModel

Service = Literal["broadband", "mobile", "tv", "landline"]


class Incident(ContractModel):
    """A network incident and the postcodes (or postcode districts) it touches."""

    incident_id: str
    title: str
    services: list[Service]
    status: Literal["investigating", "fixing", "monitoring"]
    started_at: datetime
    eta: datetime | None = None
    postcodes: list[str]


class NetworkClient:
    """Client of the network-status system."""

    def __init__(
        self, base_url: str, *, timeout: float, session: requests.Session | None = None
    ) -> None:
        self._http = JsonHttpClient("network", base_url, timeout=timeout, session=session)

    def incidents_for(self, postcode: str) -> list[Incident]:
        """List the active incidents touching a postcode.

        Raises:
            ValueError: the postcode is not a UK postcode (check with `is_uk_postcode` first).
        """
        if not is_uk_postcode(postcode):
            raise ValueError(f"not a UK postcode: {postcode[:20]!r}")
        params = {"postcode": normalise_postcode(postcode)}
        return self._http.get("incidents", params=params, response=list[Incident])
