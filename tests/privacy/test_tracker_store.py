"""The redacting tracker store: a saved verification keeps no date of birth or code."""

import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import (
    ActionExecuted,
    ActiveLoop,
    BotUttered,
    SessionStarted,
    SlotSet,
    UserUttered,
)
from rasa.shared.core.trackers import DialogueStateTracker

from privacy.settings import tracker_store_endpoint
from privacy.tracker_store import RedactingTrackerStore
from tests.handover.conftest import postgres_schema, postgres_unreachable

ROOT = Path(__file__).resolve().parents[2]
SECRETS = ("14/03/1985", "1985-03-14", "1985", "482913", "jane.doe@example.com")


@pytest.fixture(scope="module")
def domain() -> Domain:
    return Domain.load(str(ROOT / "domain.yml"))


def _user(text: str, intent: str = "inform", entities: list | None = None) -> UserUttered:
    parse = {
        "intent": {"name": intent, "confidence": 0.9},
        "entities": entities or [],
        "text": text,
    }
    return UserUttered(text, parse["intent"], entities or [], parse_data=parse)


# Fixed times: clock times could hold a secret's digits ("…8441985") and fail the search.
FIRST_EVENT_AT = 1_800_000_000.0


def verification_turns() -> list[list]:
    """Jane's verification, one list of events per turn, one second apart."""
    turns = [
        [
            ActionExecuted("action_session_start"),
            SessionStarted(),
            ActionExecuted("action_listen"),
            _user("how much do I owe", "check_bill_balance"),
            ActiveLoop("bill_form"),
            SlotSet("requested_slot", "account_number"),
            BotUttered("What's your account number?"),
            ActionExecuted("action_listen"),
        ],
        [
            _user("30000001", entities=[{"entity": "account_number", "value": "30000001"}]),
            SlotSet("account_number", "30000001"),
            SlotSet("requested_slot", "date_of_birth"),
            BotUttered("What's your date of birth? (for example 14/03/1985)"),
            ActionExecuted("action_listen"),
        ],
        [
            _user("14/03/1985", entities=[{"entity": "date", "value": "1985-03-14"}]),
            SlotSet("date_of_birth", "14/03/1985"),
            SlotSet("date_of_birth", None),
            SlotSet("verified", True),
            SlotSet("customer_id", "CUS-00001"),
            ActiveLoop(None),
            SlotSet("requested_slot", None),
            BotUttered("Thanks Jane, you're verified."),
            _user("send the code 482913 to jane.doe@example.com"),
        ],
    ]
    for second, event in enumerate(event for turn in turns for event in turn):
        event.timestamp = FIRST_EVENT_AT + second
    return turns


@pytest.fixture
def sqlite_store(tmp_path: Path, domain: Domain) -> Iterator[tuple[RedactingTrackerStore, Path]]:
    path = tmp_path / "var" / "trackers.db"
    store = RedactingTrackerStore(domain=domain, host=f"sqlite:///{path}")
    yield store, path
    store.engine.dispose()


def _raw_rows(engine: sa.engine.Engine) -> str:
    with engine.connect() as connection:
        return "\n".join(
            str(tuple(row)) for row in connection.execute(sa.text("SELECT * FROM events"))
        )


async def _save_turn_by_turn(store: RedactingTrackerStore, domain: Domain) -> None:
    # As Rasa does: each turn reads the stored tracker, adds the new events, saves it.
    for turn in verification_turns():
        tracker = await store.retrieve("jane") or DialogueStateTracker("jane", domain.slots)
        for event in turn:
            tracker.update(event)
        await store.save(tracker)


async def test_saved_events_hold_no_date_of_birth_or_code(sqlite_store, domain) -> None:
    store, path = sqlite_store
    await _save_turn_by_turn(store, domain)

    rows = _raw_rows(store.engine)
    assert "[date of birth]" in rows and "[code]" in rows and "[email]" in rows
    for secret in SECRETS:
        assert secret not in rows, secret
    assert "30000001" in rows and "CUS-00001" in rows  # what the next turns need stays


async def test_the_conversation_reads_back_whole(sqlite_store, domain) -> None:
    store, _ = sqlite_store
    await _save_turn_by_turn(store, domain)

    tracker = await store.retrieve("jane")
    assert tracker is not None
    assert tracker.get_slot("verified") is True
    assert tracker.get_slot("customer_id") == "CUS-00001"
    assert tracker.get_slot("account_number") == "30000001"
    assert tracker.get_slot("date_of_birth") is None
    users = [e.text for e in tracker.events if isinstance(e, UserUttered)]
    assert users == [
        "how much do I owe",
        "30000001",
        "[date of birth]",
        "send the code [code] to [email]",
    ]
    # One row per event: the next save appends only what is new.
    before = _raw_rows(store.engine).count("\n")
    await store.save(tracker)
    assert _raw_rows(store.engine).count("\n") == before


def test_the_sqlite_file_is_readable_by_its_owner_only(sqlite_store) -> None:
    _, path = sqlite_store
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_the_endpoint_section_names_the_store_and_its_url(monkeypatch) -> None:
    monkeypatch.delenv("PRIVACY_TRACKER_STORE_URL", raising=False)
    assert tracker_store_endpoint() == {
        "type": "privacy.tracker_store.RedactingTrackerStore",
        "url": "sqlite:///var/rasa-trackers.db",
    }
    given = tracker_store_endpoint({"PRIVACY_TRACKER_STORE_URL": "sqlite:////tmp/x.db"})
    assert given["url"] == "sqlite:////tmp/x.db"


async def test_postgresql_store_holds_no_secret(domain) -> None:
    if reason := postgres_unreachable():
        pytest.skip(reason)
    with postgres_schema() as url:
        store = RedactingTrackerStore(domain=domain, host=url)
        try:
            await _save_turn_by_turn(store, domain)
            rows = _raw_rows(store.engine)
        finally:
            store.engine.dispose()
    assert "[date of birth]" in rows
    for secret in SECRETS:
        assert secret not in rows, secret
