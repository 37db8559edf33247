"""Typed clients for Nimbus Telecom's back-end systems (see docs/backends.md)."""

from dataclasses import dataclass

import httpx

from connectors.billing import BillingClient
from connectors.crm import CrmClient, SyncCrmClient
from connectors.errors import (
    ConnectorError,
    ConnectorTimeout,
    ConnectorUnavailable,
    InvalidResponse,
    NotFound,
)
from connectors.handover import HandoverClient
from connectors.identity import IdentityClient
from connectors.network import NetworkClient
from connectors.orders import OrdersClient
from connectors.settings import ConnectorSettings

__all__ = [
    "Backends",
    "ConnectorError",
    "ConnectorSettings",
    "ConnectorTimeout",
    "ConnectorUnavailable",
    "InvalidResponse",
    "NotFound",
    "SyncBackends",
    "build_backends",
    "build_sync_backends",
]


@dataclass(frozen=True)
class Backends:
    """One async client per back-end system, each with its own connection pool."""

    crm: CrmClient
    billing: BillingClient
    orders: OrdersClient
    network: NetworkClient
    identity: IdentityClient
    handover: HandoverClient

    async def aclose(self) -> None:
        """Close every client's connections."""
        for client in (
            self.crm,
            self.billing,
            self.orders,
            self.network,
            self.identity,
            self.handover,
        ):
            await client.aclose()


def build_backends(
    settings: ConnectorSettings, *, transport: httpx.AsyncBaseTransport | None = None
) -> Backends:
    """Build every client from the settings (`transport` replaces the network in tests).

    The clients must be used on one event loop: httpx pools the connections they open on it.
    """
    timeout = settings.timeout_seconds
    return Backends(
        crm=CrmClient(settings.crm_url, timeout=timeout, transport=transport),
        billing=BillingClient(settings.billing_url, timeout=timeout, transport=transport),
        orders=OrdersClient(settings.orders_url, timeout=timeout, transport=transport),
        network=NetworkClient(settings.network_url, timeout=timeout, transport=transport),
        identity=IdentityClient(settings.identity_url, timeout=timeout, transport=transport),
        handover=HandoverClient(
            settings.handover_url,
            token=settings.handover_token,
            timeout=timeout,
            transport=transport,
        ),
    )


@dataclass(frozen=True)
class SyncBackends:
    """The blocking clients, for code outside an event loop's path: only the CRM's."""

    crm: SyncCrmClient


def build_sync_backends(
    settings: ConnectorSettings, *, transport: httpx.BaseTransport | None = None
) -> SyncBackends:
    """Build the blocking clients from the settings (`transport` replaces the network in tests)."""
    return SyncBackends(
        crm=SyncCrmClient(settings.crm_url, timeout=settings.timeout_seconds, transport=transport)
    )
