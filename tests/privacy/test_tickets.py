"""Tickets: what the gateway sends to the CRM, and the CRM client's erase-and-list calls."""

from __future__ import annotations

import functools

import httpx
import pytest

from connectors import build_sync_backends
from connectors.crm import SyncCrmClient, TicketRequest
from connectors.errors import ConnectorTimeout, ConnectorUnavailable, NotFound
from connectors.settings import ConnectorSettings
from handover import main
from handover.main import crm_ticket_opener
from tests.connectors.payloads import TICKET
from tests.fake_http import FakeHttp

CRM = "http://crm.test"
SESSION_ID = "9f1c2e3d4b5a69788796a5b4c3d2e1f0"
# 2.5 s for each phase of a request, as requests' `timeout=2.5`.
TIMEOUT = {"connect": 2.5, "read": 2.5, "write": 2.5, "pool": 2.5}


@pytest.fixture
def gateway_crm(monkeypatch: pytest.MonkeyPatch, http: FakeHttp) -> FakeHttp:
    """The gateway's CRM client (handover/main.py builds it) on the fake transport."""
    fake = functools.partial(build_sync_backends, transport=http.transport)
    monkeypatch.setattr(main, "build_backends", fake)
    return http


def test_the_gateway_ticket_holds_no_session_id_and_no_personal_data(
    gateway_crm: FakeHttp,
) -> None:
    open_ticket = crm_ticket_opener(ConnectorSettings(crm_url=CRM, timeout_seconds=2))
    transcript = [
        {"sender": "user", "text": "my dob is 14/03/1985", "timestamp": "2026-11-21T09:29:00Z"},
        {
            "sender": "system",
            "text": "call me on 07700 900123",
            "timestamp": "2026-11-21T09:30:00Z",
        },
    ]
    created = gateway_crm.post(f"{CRM}/tickets", json=TICKET)
    assert open_ticket(SESSION_ID, "wait_too_long", transcript) == TICKET["ticket_id"]
    body = created.last_request.json()
    assert SESSION_ID not in created.last_request.text
    assert body["subject"].startswith("Chat ") and "wait_too_long" in body["subject"]
    assert [line["text"] for line in body["transcript"]] == [
        "my dob is [date of birth]",
        "call me on [phone]",
    ]
    assert [line["sender"] for line in body["transcript"]] == ["user", "bot"]
    assert body["customer_id"] is None  # nobody verified


def test_the_gateway_ticket_names_the_verified_customer(gateway_crm: FakeHttp) -> None:
    open_ticket = crm_ticket_opener(ConnectorSettings(crm_url=CRM, timeout_seconds=2))
    created = gateway_crm.post(f"{CRM}/tickets", json=TICKET)
    open_ticket(SESSION_ID, "wait_too_long", [], customer_id="CUS-00001")
    assert created.last_request.json()["customer_id"] == "CUS-00001"


@pytest.fixture
def crm(http: FakeHttp) -> SyncCrmClient:
    return SyncCrmClient(CRM, timeout=2.5, transport=http.transport)


def test_tickets_are_listed_by_customer(crm: SyncCrmClient, http: FakeHttp) -> None:
    listed = http.get(f"{CRM}/tickets", json=[TICKET])
    tickets = crm.list_tickets("CUS-00001")
    assert [t.ticket_id for t in tickets] == [TICKET["ticket_id"]]
    assert listed.last_request.qs == {"customer_id": ["CUS-00001"]}
    assert listed.last_request.timeout == TIMEOUT


def test_a_ticket_is_deleted_by_reference(crm: SyncCrmClient, http: FakeHttp) -> None:
    deleted = http.delete(f"{CRM}/tickets/TCK-400001", json=TICKET)
    assert crm.delete_ticket("TCK-400001").ticket_id == TICKET["ticket_id"]
    assert deleted.called_once and deleted.last_request.timeout == TIMEOUT


@pytest.mark.parametrize(
    ("answer", "error"),
    [
        ({"status_code": 404, "json": {"detail": "unknown ticket"}}, NotFound),
        ({"status_code": 503}, ConnectorUnavailable),
        ({"exc": httpx.ConnectTimeout}, ConnectorTimeout),
    ],
)
def test_delete_failures_raise_the_connector_errors(
    crm: SyncCrmClient, http: FakeHttp, answer: dict, error
) -> None:
    http.delete(f"{CRM}/tickets/TCK-1", **answer)
    with pytest.raises(error):
        crm.delete_ticket("TCK-1")


def test_a_reference_cannot_change_the_path(crm: SyncCrmClient, http: FakeHttp) -> None:
    with pytest.raises(ValueError, match="invalid path segment"):
        crm.delete_ticket("..")
    assert not http.called
    deleted = http.delete(f"{CRM}/tickets/a%2F..%2Fcustomers", json=TICKET)
    crm.delete_ticket("a/../customers")
    assert deleted.called_once


def test_the_mock_crm_lists_and_deletes(live_mocks) -> None:
    crm = live_mocks.sync_backends().crm
    mine = crm.create_ticket(
        TicketRequest(customer_id="CUS-00007", subject="s", description="d", reason="r")
    )
    crm.create_ticket(
        TicketRequest(customer_id="CUS-00008", subject="s", description="d", reason="r")
    )
    assert [t.ticket_id for t in crm.list_tickets("CUS-00007")] == [mine.ticket_id]
    assert crm.delete_ticket(mine.ticket_id).ticket_id == mine.ticket_id
    assert crm.list_tickets("CUS-00007") == []
    with pytest.raises(NotFound):
        crm.delete_ticket(mine.ticket_id)
