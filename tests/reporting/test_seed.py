"""The seeded history (`reporting.seed`): every outcome, both languages and channels, the two
histories consistent with each other, rows as their real writers make them (loaded through
the real tables on SQLite and PostgreSQL), plausible KPIs, determinism, refusals, the command.
"""

from __future__ import annotations

import json
import re
import shutil
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from rasa.shared.core.events import Event
from sqlalchemy import func, select
from sqlalchemy.engine import Engine

from handover import crud
from handover.__main__ import main
from handover.config import settings
from handover.db import migrate, session_factory, session_scope
from handover.models import (
    EPISODE_OUTCOMES,
    EVENT_KINDS,
    SKILLS,
    WRAP_UP_REASONS,
    Agent,
    RecordedEvent,
)
from handover.models_reporting import ContactFact
from privacy.files import sqlite_path
from reporting import broker_table, reports
from reporting.events import SLUG
from reporting.kpis_contacts import Scope
from reporting.seed import AGENTS, SUPERVISOR, SeedRefused, bulk_engine, seed_history
from reporting.seed_texts import texts
from tests.handover.conftest import (  # noqa: F401  (a fixture)
    BACKENDS,
    empty_database,
    fast_password_hashes,
)

NOW = datetime(2026, 11, 29, 6, 0, tzinfo=timezone.utc)
DAYS = 30
# Typed texts with digits: an account number (kept by redaction) or an order number.
NUMBERS = re.compile(r"3\d{7}|ORD-\d{6}")


@dataclass
class History:
    gateway: Engine
    events: Engine
    rows: list[dict[str, Any]]  # conversation_events, by id
    published: list[dict[str, Any]]  # rasa_events' events (with sender_id), by id
    stored: list[tuple[str, float, str]]  # rasa_events' columns, by id


def read(gateway: Engine, events: Engine) -> History:
    with gateway.connect() as connection:
        query = select(RecordedEvent.__table__).order_by(RecordedEvent.id)
        rows = [dict(row._mapping) for row in connection.execute(query)]
    table = broker_table.EVENTS
    with events.connect() as connection:
        query = select(table.c.sender_id, table.c.timestamp, table.c.data).order_by(table.c.id)
        stored = [tuple(row) for row in connection.execute(query)]
    return History(gateway, events, rows, [json.loads(data) for *_, data in stored], stored)


@pytest.fixture(scope="module", params=BACKENDS)
def history(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[History]:
    """500 conversations over 30 days, in a gateway database and an events database of their
    own (two PostgreSQL schemas, or two SQLite files)."""
    folder = tmp_path_factory.mktemp("seed")
    with (
        empty_database(request.param, folder) as gateway_url,
        empty_database(request.param, folder) as events_url,
    ):
        migrate(gateway_url)
        gateway, events = bulk_engine(gateway_url), bulk_engine(events_url)
        # Seed 3: the 500 conversations happen to hold every rare path (a requeue, a transfer
        # of each sort, a supervisor's assignment...); most seeds do.
        seed_history(gateway, events, conversations=500, days=DAYS, seed=3, now=NOW)
        yield read(gateway, events)
        gateway.dispose()
        events.dispose()


def sessions_of(published: list[dict[str, Any]]) -> dict[str, list[list[dict[str, Any]]]]:
    """Each sender's Rasa sessions (from each action_session_start), in order."""
    found: dict[str, list[list[dict[str, Any]]]] = defaultdict(list)
    for event in published:
        if event.get("name") == "action_session_start" or not found[event["sender_id"]]:
            found[event["sender_id"]].append([])
        found[event["sender_id"]][-1].append(event)
    return found


def user_events(history: History) -> list[dict[str, Any]]:
    return [e for e in history.published if e["event"] == "user"]


def test_every_kind_outcome_language_and_channel_is_there(history: History) -> None:
    rows, users = history.rows, user_events(history)

    assert {row["kind"] for row in rows} == set(EVENT_KINDS)
    assert {row["outcome"] for row in rows} - {None} == set(EPISODE_OUTCOMES)
    assert {row["wrap_up"] for row in rows} - {None} <= set(WRAP_UP_REASONS)
    assert {"resolved", "not_resolved"} <= {row["wrap_up"] for row in rows}
    assert {row["score"] for row in rows if row["kind"] == "rated"} == {1, 2, 3, 4, 5}
    assert {row["language"] for row in rows} == {"en", "fr"}
    assert {row["channel"] for row in rows} == {"socketio"}, "REST never reaches the gateway"
    assert {e["input_channel"] for e in users} == {"socketio", "rest"}
    slots = {e["value"] for e in history.published if e["event"] == "slot"
             and e["name"] == "language"}  # fmt: skip
    assert slots == {"en", "fr"}
    # Transfers to a colleague and to another skill's queue, a supervisor's assignment.
    transfers = [row for row in rows if row["kind"] == "transferred"]
    assert {row["to_agent"] is None for row in transfers} == {True, False}
    assert any(row["supervisor"] == SUPERVISOR[0] for row in rows if row["kind"] == "assigned")
    assert {row["skill"] for row in rows if row["kind"] == "queued"} == set(SKILLS)
    reasons = {row["reason"] for row in rows if row["kind"] == "queued"}
    assert {"customer_request", "sensitive_topic", "failed_verification"} <= reasons
    assert all(SLUG.fullmatch(row[c]) for row in rows for c in ("skill", "reason") if row[c])
    # The bot's own tickets (fault and hand-over), hand-backs, verified customers.
    said = Counter(e["metadata"]["utter_action"] for e in history.published if e["event"] == "bot")
    assert said["utter_handover_ticket"] and said["utter_fault_ticket_opened"]
    assert said["utter_handback"] == sum(row["kind"] == "handed_back" for row in rows)
    assert any(e["event"] == "slot" and e["name"] == "verified" and e["value"] is True
               for e in history.published)  # fmt: skip


def test_misunderstood_messages_are_varied_and_in_both_languages(history: History) -> None:
    missed = [
        e for e in user_events(history) if e["parse_data"]["intent"]["name"] == "nlu_fallback"
    ]
    by_language = Counter(e["metadata"].get("language") for e in missed
                          if e["input_channel"] == "socketio")  # fmt: skip

    assert len({e["text"] for e in missed}) >= 10
    assert by_language["en"] and by_language["fr"]
    assert any(e["text"] == "ma box clignote orange" for e in missed)


def test_rows_are_what_their_writers_write(history: History) -> None:
    """rasa_events rows as the broker table makes them from events Rasa's own classes read
    back unchanged; conversation_events went through the table's constraints already."""
    for (sender, timestamp, data), event in zip(history.stored, history.published, strict=True):
        assert broker_table.row_of(event) == {"sender_id": sender, "timestamp": timestamp,
                                              "data": data}  # fmt: skip
        without_sender = {k: v for k, v in event.items() if k != "sender_id"}
        assert Event.from_parameters(without_sender).as_dict() == without_sender
    agents = {row["agent"] for row in history.rows} | {row["to_agent"] for row in history.rows}
    assert agents - {None} <= {name for name, _, _ in AGENTS}


def test_times_follow_each_other_within_the_period(history: History) -> None:
    start = NOW - timedelta(days=DAYS)
    assert all(start <= row["at"] < NOW for row in history.rows)
    assert all(start.timestamp() <= e["timestamp"] < NOW.timestamp() for e in history.published)
    last: dict[Any, Any] = {}
    for row in history.rows:
        key = row["conversation_id"]
        assert row["at"] > last.get(key, start), f"rows of {key} out of order"
        last[key] = row["at"]
    last = {}
    for event in history.published:
        assert event["timestamp"] >= last.get(event["sender_id"], 0)
        last[event["sender_id"]] = event["timestamp"]
    # More conversations by day than by night: 09:00-18:00 against 00:00-06:00 (UTC).
    hours = Counter(row["at"].hour for row in history.rows if row["kind"] == "started")
    assert sum(hours[h] for h in range(9, 18)) > 5 * sum(hours[h] for h in range(0, 6))


def test_the_two_histories_tell_the_same_story(history: History) -> None:
    channels = {e["sender_id"]: e["input_channel"] for e in user_events(history)}
    gateway = {row["conversation_id"] for row in history.rows}
    assert gateway == {sender for sender, channel in channels.items() if channel == "socketio"}
    typed = defaultdict(list)
    for event in user_events(history):
        if not event["metadata"].get("is_external"):
            typed[event["sender_id"]].append(event["timestamp"])
    handovers = defaultdict(list)
    for event in history.published:
        if event["event"] == "action" and event["name"] == "action_handover":
            handovers[event["sender_id"]].append(event["timestamp"])
    for row in history.rows:
        at, cid = row["at"].timestamp(), row["conversation_id"]
        if row["kind"] in ("started", "reopened"):
            # The gateway records the contact as the message reaches it, Rasa just after.
            assert any(0 < t - at < 1 for t in typed[cid]), row
        if row["kind"] == "queued":
            # The gateway queues while the bot's hand-over action runs.
            assert any(0 < at - t < 2 for t in handovers[cid]), row
    # Each Rasa session starts as Rasa starts one: the session start action, then a listen.
    for sessions in sessions_of(history.published).values():
        for events in sessions:
            assert [e.get("name") for e in events[:3]] == ["action_session_start", None,
                                                           "action_listen"]  # fmt: skip


def test_customers_come_back_and_contacts_reopen(history: History) -> None:
    openings = defaultdict(list)
    for row in history.rows:
        if row["kind"] in ("started", "reopened") and row["customer_id"]:
            openings[row["customer_id"]].append((row["at"], row["conversation_id"]))
    gaps = [
        later[0] - earlier[0]
        for found in openings.values()
        for earlier, later in zip(sorted(found), sorted(found)[1:], strict=False)
        if earlier[1] != later[1]  # another conversation of the same customer
    ]
    assert any(gap <= timedelta(hours=24) for gap in gaps)
    assert any(timedelta(hours=24) < gap <= timedelta(days=7) for gap in gaps)
    assert any(row["kind"] == "reopened" and row["episode"] >= 2 for row in history.rows)


def test_typed_texts_hold_nothing_to_redact_and_french_is_french(history: History) -> None:
    for event in user_events(history):
        text = event["text"]
        assert "@" not in text.replace("[email]", "")
        assert not re.search(r"\d", NUMBERS.sub("", text)), text
    words = texts()
    french = {e["sender_id"] for e in history.published
              if e["event"] == "slot" and e["name"] == "language" and e["value"] == "fr"}  # fmt: skip
    for event in history.published:
        if event["event"] == "bot" and event["sender_id"] in french:
            response = event["metadata"]["utter_action"]
            assert event["text"] == words.answer("fr", response)["text"]
            assert event["text"] != words.answer("en", response)["text"], response


def test_the_kpis_are_plausible_on_it(history: History) -> None:
    scope = Scope(NOW - timedelta(days=DAYS), NOW)
    with session_factory(history.gateway)() as session:
        summary = reports.summary(session, events=history.events, scope=scope, now=NOW)
        channels = reports.breakdown(session, events=history.events, scope=scope, by="channel")

    values = {kpi.key: kpi.value for kpi in summary.kpis}
    assert None not in values.values(), values
    assert all(0 <= kpi.value <= 1 for kpi in summary.kpis if kpi.unit == "ratio")
    assert 1 <= values["csat"] <= 5
    assert 0.5 < values["containment"] < 0.95
    assert 0.05 < values["transfer_rate"] < 0.3
    assert 0 < values["bot_abandonment"] < 0.1, "some leave the bot mid-task, few"
    assert {row.value: 0 < row.containment < 1 for row in channels.rows} == {
        "socketio": True,
        "rest": True,
    }


def test_the_same_seed_gives_the_same_history(tmp_path: Path) -> None:
    migrate(f"sqlite:///{tmp_path / 'migrated.db'}")
    made = []
    for name, seed in (("a", 5), ("b", 5), ("c", 6)):
        shutil.copy(tmp_path / "migrated.db", tmp_path / f"{name}.db")
        gateway = bulk_engine(f"sqlite:///{tmp_path / name}.db")
        events = bulk_engine(f"sqlite:///{tmp_path / name}-events.db")
        seed_history(gateway, events, conversations=60, days=3, seed=seed, now=NOW)
        found = read(gateway, events)
        made.append(([{**row, "id": None} for row in found.rows], found.stored))
        gateway.dispose()
        events.dispose()

    assert made[0] == made[1]
    assert made[0][1] != made[2][1]


def test_a_history_with_rows_is_refused_unless_forced(tmp_path: Path) -> None:
    gateway_url = f"sqlite:///{tmp_path / 'gateway.db'}"
    migrate(gateway_url)
    gateway, events = bulk_engine(gateway_url), bulk_engine(f"sqlite:///{tmp_path / 'e.db'}")
    with session_scope(session_factory(gateway)) as session:
        crud.create_agent(session, username="amira", password="her-own-password", skills=[],
                          capacity=2, display_name="Amira Real")  # fmt: skip
    seed_history(gateway, events, conversations=40, days=2, now=NOW)
    first = read(gateway, events)

    with pytest.raises(SeedRefused, match="not empty"):
        seed_history(gateway, events, conversations=40, days=2, now=NOW)
    assert len(read(gateway, events).stored) == len(first.stored)
    seed_history(gateway, events, conversations=40, days=2, now=NOW, force=True)

    again = read(gateway, events)
    senders = {e["sender_id"] for e in again.published}
    assert len(senders) == 80, "the forced run's conversations are new ones"
    with session_factory(gateway)() as session:
        amira = crud.authenticate(session, username="amira", password="her-own-password")
        assert amira is not None and amira.display_name == "Amira Real", "a real account is kept"
        team = dict(session.execute(select(Agent.username, Agent.role)).all())
    assert team == {**{name: "agent" for name, _, _ in AGENTS}, SUPERVISOR[0]: "supervisor"}
    gateway.dispose()
    events.dispose()


@pytest.fixture
def urls(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[str, str]]:
    gateway_url = f"sqlite:///{tmp_path / 'var' / 'handover.db'}"
    events_url = f"sqlite:///{tmp_path / 'var' / 'rasa-events.db'}"
    monkeypatch.setenv("SWITCHBOARD_ENVIRONMENT", "development")
    monkeypatch.setenv("DATABASE_URL", gateway_url)
    monkeypatch.setenv("REPORTING_EVENTS_URL", events_url)
    settings.cache_clear()
    yield gateway_url, events_url
    settings.cache_clear()


def counts(urls: tuple[str, str]) -> tuple[int, int, int]:
    gateway, events = bulk_engine(urls[0]), bulk_engine(urls[1])
    with gateway.connect() as connection:
        recorded = connection.execute(select(func.count()).select_from(RecordedEvent)).scalar()
        facts = connection.execute(select(func.count()).select_from(ContactFact)).scalar()
    with events.connect() as connection:
        published = connection.execute(
            select(func.count()).select_from(broker_table.EVENTS)
        ).scalar()
    gateway.dispose()
    events.dispose()
    return recorded, published, facts


def test_the_command_seeds_an_empty_development_history_once(
    urls: tuple[str, str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    seed = ["reports", "seed", "--conversations", "40", "--days", "3"]

    assert main(seed) == 0
    said = capsys.readouterr().out
    recorded, published, facts = counts(urls)
    assert "seeded 40 conversations" in said and f"{recorded:,} conversation_events" in said
    assert recorded and published and facts, "seeded, and folded into the facts"

    assert main(seed) == 2
    assert "not empty" in capsys.readouterr().err
    assert main([*seed, "--if-empty"]) == 0  # what `make run` does on each start
    assert counts(urls) == (recorded, published, facts)

    monkeypatch.setenv("SWITCHBOARD_ENVIRONMENT", "production")
    monkeypatch.setenv("HANDOVER_SECRET_KEY", "x" * 40)
    monkeypatch.setenv("HANDOVER_BOT_TOKEN", "y" * 40)
    monkeypatch.setenv("HANDOVER_RASA_TOKEN", "z" * 40)
    settings.cache_clear()
    assert main([*seed, "--force"]) == 2
    assert "development databases only" in capsys.readouterr().err
    assert counts(urls) == (recorded, published, facts)


@pytest.mark.parametrize(
    "args",
    [["--days", "3"], ["--conversations", "0"], ["--conversations", "5", "--days", "400"],
     ["--conversations", "5", "--force", "--if-empty"]],
)  # fmt: skip
def test_the_command_refuses_bad_arguments(urls: tuple[str, str], args: list[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["reports", "seed", *args])
    assert exited.value.code == 2
    assert not any(sqlite_path(url).exists() for url in urls), "nothing was written"
