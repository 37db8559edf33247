import pytest
import requests_mock as rm

from connectors import build_backends
from connectors.settings import ConnectorSettings


def test_defaults_point_at_the_local_mocks(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("CRM_URL", "BILLING_URL", "IDENTITY_URL", "TIMEOUT_SECONDS"):
        monkeypatch.delenv(f"BACKEND_{name}", raising=False)

    settings = ConnectorSettings()

    assert settings.crm_url == "http://127.0.0.1:8101"
    assert settings.billing_url == "http://127.0.0.1:8102"
    assert settings.identity_url == "http://127.0.0.1:8105"
    assert settings.timeout_seconds == 5.0


def test_environment_reaches_the_clients(
    monkeypatch: pytest.MonkeyPatch, requests_mock: rm.Mocker
) -> None:
    monkeypatch.setenv("BACKEND_ORDERS_URL", "http://orders.internal:9000/")
    monkeypatch.setenv("BACKEND_TIMEOUT_SECONDS", "1.5")
    requests_mock.get("http://orders.internal:9000/orders", json=[])

    build_backends(ConnectorSettings()).orders.list_orders("CUS-00001")

    assert requests_mock.last_request.timeout == 1.5
