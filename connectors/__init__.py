"""Typed clients for Nimbus Telecom's back-end systems (see docs/backends.md)."""

from dataclasses import dataclass

import requests

from connectors.billing import BillingClient
from connectors.crm import CrmClient
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
    "build_backends",
]


@dataclass(frozen=True)
class Backends:
    """One client per back-end system."""

    crm: CrmClient
    billing: BillingClient
    orders: OrdersClient
    network: NetworkClient
    identity: IdentityClient
    handover: HandoverClient


def build_backends(
    settings: ConnectorSettings, *, session: requests.Session | None = None
) -> Backends:
    """Build every client from the settings, sharing one connection pool."""
    session = session or requests.Session()
    timeout = settings.timeout_seconds
    return Backends(
        crm=CrmClient(settings.crm_url, timeout=timeout, session=session),
        billing=BillingClient(settings.billing_url, timeout=timeout, session=session),
        orders=OrdersClient(settings.orders_url, timeout=timeout, session=session),
        network=NetworkClient(settings.network_url, timeout=timeout, session=session),
        identity=IdentityClient(settings.identity_url, timeout=timeout, session=session),
        handover=HandoverClient(
            settings.handover_url, token=settings.handover_token, timeout=timeout
        ),
    )
