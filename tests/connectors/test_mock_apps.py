"""Behaviour of the mock apps that the clients do not exercise, in-process."""

from datetime import date

import pytest
from fastapi.testclient import TestClient

from connectors.mocks import billing, crm, network, orders
from connectors.mocks.crm import OTP_ATTEMPTS, OTP_TTL_SECONDS
from connectors.mocks.seed import Dataset


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def crm_app(dataset: Dataset, clock: FakeClock) -> TestClient:
    return TestClient(crm.create_app(dataset, clock=clock))


def _send_otp(app: TestClient) -> str:
    answer = app.post("/identity/otp", json={"account_number": "30000001", "channel": "email"})
    assert answer.json()["sent_to"] == "j***@example.com"
    return answer.json()["otp_id"]


def test_otp_expires(crm_app: TestClient, clock: FakeClock) -> None:
    otp_id = _send_otp(crm_app)
    code = crm_app.get(f"/_mock/otp/{otp_id}").json()["code"]

    clock.now += OTP_TTL_SECONDS

    assert crm_app.post(f"/identity/otp/{otp_id}/check", json={"code": code}).status_code == 404


def test_otp_is_burnt_after_too_many_wrong_codes(crm_app: TestClient) -> None:
    otp_id = _send_otp(crm_app)
    code = crm_app.get(f"/_mock/otp/{otp_id}").json()["code"]
    wrong = "000000" if code != "000000" else "111111"

    answers = [
        crm_app.post(f"/identity/otp/{otp_id}/check", json={"code": wrong}).json()
        for _ in range(OTP_ATTEMPTS)
    ]

    assert answers == [{"verified": False, "customer_id": None}] * OTP_ATTEMPTS
    assert crm_app.post(f"/identity/otp/{otp_id}/check", json={"code": code}).status_code == 404


def test_otp_codes_are_deterministic_per_request(dataset: Dataset) -> None:
    def first_codes() -> list[str]:
        app = TestClient(crm.create_app(dataset))
        return [app.get(f"/_mock/otp/{_send_otp(app)}").json()["code"] for _ in range(3)]

    codes = first_codes()
    assert codes == first_codes() and len(set(codes)) == 3


def test_otp_check_survives_hostile_codes(crm_app: TestClient) -> None:
    otp_id = _send_otp(crm_app)
    for code in ["", "é" * 1000, "😀", "1" * 10_000]:
        answer = crm_app.post(f"/identity/otp/{otp_id}/check", json={"code": code})
        assert answer.status_code in (200, 404)


def test_verify_rejects_a_malformed_date(crm_app: TestClient) -> None:
    answer = crm_app.post(
        "/identity/verify", json={"account_number": "30000001", "date_of_birth": "14/03/1985"}
    )
    assert answer.status_code == 422


def test_network_rejects_a_non_uk_postcode(dataset: Dataset) -> None:
    app = TestClient(network.create_app(dataset))

    assert app.get("/incidents", params={"postcode": "75001"}).status_code == 422
    assert app.get("/incidents", params={"postcode": "sw9 8aa"}).json()[0]["incident_id"] == (
        "INC-00004"
    )


def test_billing_limits_and_money_format(dataset: Dataset) -> None:
    app = TestClient(billing.create_app(dataset))

    assert app.get("/accounts/30000001/invoices", params={"limit": 25}).status_code == 422
    assert len(app.get("/accounts/30000001/invoices", params={"limit": 6}).json()) == 6
    balance = app.get("/accounts/30000007/balance").json()
    assert balance["amount_due"] == 0 and balance["due_date"] is None
    assert date.fromisoformat(balance["last_payment"]["date"]) <= dataset.today


def test_mocks_serve_their_texts_in_french_too(dataset: Dataset) -> None:
    order = TestClient(orders.create_app(dataset)).get("/orders/ORD-100003").json()
    invoices = TestClient(billing.create_app(dataset)).get("/accounts/30000001/invoices").json()
    incidents = TestClient(network.create_app(dataset)).get("/incidents?postcode=LS6 2QF").json()

    delivered = order["events"][-1]
    assert delivered["description_translations"] == {"fr": "Livré : remis en mains propres"}
    assert (delivered["location"], delivered["location_translations"]) == (
        "Bristol",
        {"fr": "Bristol"},
    )
    assert invoices[0]["lines"][-1] == {
        "description": "Loyalty discount",
        "amount": -5.0,
        "description_translations": {"fr": "Remise fidélité"},
    }
    assert incidents[0]["title_translations"] == {
        "fr": "Couverture 4G et 5G réduite : modernisation d'une antenne-relais à Headingley"
    }


@pytest.mark.parametrize("body", [{"mode": "sideways"}, {"mode": "slow", "delay_seconds": -1}])
def test_faults_reject_nonsense(dataset: Dataset, body: dict) -> None:
    app = TestClient(billing.create_app(dataset))

    assert app.post("/_mock/faults", json=body).status_code == 422
    assert app.get("/_mock/faults").json() == {"mode": "ok", "delay_seconds": 0}


def test_request_log_has_one_line_per_request(
    dataset: Dataset, caplog: pytest.LogCaptureFixture
) -> None:
    app = TestClient(billing.create_app(dataset))

    with caplog.at_level("INFO", logger="connectors.mocks"):
        app.get("/accounts/30000001/balance")

    # Only the mock's own logger: other tests may leave a client library logging at INFO.
    records = [r for r in caplog.records if r.name == "connectors.mocks"]
    assert [r.getMessage().split(" (")[0] for r in records] == [
        "billing GET /accounts/30000001/balance -> 200"
    ]
