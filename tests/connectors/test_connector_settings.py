import pytest

from connectors import build_backends, build_sync_backends
from connectors.settings import ConnectorSettings
from tests.fake_http import FakeHttp


def test_defaults_point_at_the_local_mocks(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("CRM_URL", "BILLING_URL", "IDENTITY_URL", "TIMEOUT_SECONDS"):
        monkeypatch.delenv(f"BACKEND_{name}", raising=False)

    settings = ConnectorSettings()

    assert settings.crm_url == "http://127.0.0.1:8101"
    assert settings.billing_url == "http://127.0.0.1:8102"
    assert settings.identity_url == "http://127.0.0.1:8105"
    assert settings.timeout_seconds == 5.0


async def test_environment_reaches_the_clients(
    monkeypatch: pytest.MonkeyPatch, http: FakeHttp
) -> None:
    monkeypatch.setenv("BACKEND_ORDERS_URL", "http://orders.internal:9000/")
    monkeypatch.setenv("BACKEND_TIMEOUT_SECONDS", "1.5")
    http.get("http://orders.internal:9000/orders", json=[])

    await build_backends(ConnectorSettings(), transport=http.transport).orders.list_orders(
        "CUS-00001"
    )

    assert http.last_request.timeout == {"connect": 1.5, "read": 1.5, "write": 1.5, "pool": 1.5}


def test_environment_reaches_the_blocking_crm_client(
    monkeypatch: pytest.MonkeyPatch, http: FakeHttp
) -> None:
    monkeypatch.setenv("BACKEND_CRM_URL", "http://crm.internal:9000/")
    monkeypatch.setenv("BACKEND_TIMEOUT_SECONDS", "1.5")
    http.get("http://crm.internal:9000/tickets", json=[])

    build_sync_backends(ConnectorSettings(), transport=http.transport).crm.list_tickets("C1")

    assert http.last_request.timeout == {"connect": 1.5, "read": 1.5, "write": 1.5, "pool": 1.5}
