"""`python -m handover privacy erase|export`: JSON out, clear errors, exit statuses."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from handover import crud
from handover.__main__ import main
from handover.config import settings
from handover.db import make_engine, session_factory, session_scope
from tests.migrated import migrated


@pytest.fixture
def environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, live_mocks) -> str:
    url = f"sqlite:///{tmp_path}/gateway.db"
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.delenv("REDIS_URL", raising=False)
    monkeypatch.setenv("PRIVACY_TRACKER_STORE_URL", f"sqlite:///{tmp_path}/trackers.db")
    monkeypatch.setenv("REPORTING_EVENTS_URL", f"sqlite:///{tmp_path}/events.db")
    monkeypatch.setenv("BACKEND_CRM_URL", live_mocks.url("crm"))
    settings.cache_clear()
    migrated(url)
    with session_scope(session_factory(make_engine(url))) as session:
        crud.upsert_conversation(session, conversation_id="jane-chat", customer_id="CUS-00001")
        crud.add_message(session, conversation_id="jane-chat", sender="user", text="hello")
    yield url
    settings.cache_clear()


def test_export_then_erase_by_account(environment: str, capsys) -> None:
    assert main(["privacy", "export", "--account", "30000001"]) == 0
    exported = json.loads(capsys.readouterr().out)
    assert exported["customer_id"] == "CUS-00001"
    assert exported["conversations"] == ["jane-chat"]

    assert main(["privacy", "erase", "--account", "30000001"]) == 0
    receipt = json.loads(capsys.readouterr().out)
    assert receipt["stores"]["gateway_database"]["messages"] == 1
    # Without REDIS_URL the queue lives in the gateway's memory: the receipt says so.
    assert receipt["stores"]["state_store"] == "not configured"

    assert main(["privacy", "export", "--customer-id", "CUS-00001"]) == 0
    assert json.loads(capsys.readouterr().out)["gateway_database"] == []


@pytest.mark.parametrize(
    "argv",
    [
        ["privacy", "erase", "--account", "1234"],
        ["privacy", "export", "--customer-id", "CUS 1"],
    ],
)
def test_bad_identifiers_exit_2_with_the_reason(environment: str, capsys, argv) -> None:
    assert main(argv) == 2
    assert capsys.readouterr().err.startswith("error: ")


def test_exactly_one_identifier_is_required(capsys) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["privacy", "erase", "--account", "30000001", "--customer-id", "CUS-00001"])
    assert exit_.value.code == 2
    with pytest.raises(SystemExit):
        main(["privacy", "erase"])
