"""`python -m trainer around` on a migrated SQLite file named by `DATABASE_URL` and Rasa's events
named by `REPORTING_EVENTS_URL`: the conversations around a text, as text and as JSON, the
customer's words made inert, and bad input or an unreadable database refused with its status."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from rasa.shared.core.events import UserUttered
from sqlalchemy import insert

from handover import crud
from handover.config import settings
from handover.db import make_engine, migrate, session_factory, session_scope
from reporting import broker_table
from reporting.bot_facts import normalised
from reporting.session_tables import MISUNDERSTOOD_TEXTS
from tests.reporting.test_bot_facts import answered, publish
from trainer.__main__ import main

NOW = datetime.now(timezone.utc).replace(microsecond=0)
MISSED = "my box blinks \x1b[2J weirdly"  # a customer's escape sequence
AGO = NOW - timedelta(days=1)


@pytest.fixture(autouse=True)
def fresh_settings() -> Iterator[None]:
    settings.cache_clear()
    yield
    settings.cache_clear()


@pytest.fixture
def databases(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A fallback in a widget conversation (the gateway has its lines, an agent among them),
    the same in a REST one (Rasa's events only)."""
    url, events_url = f"sqlite:///{tmp_path}/gateway.db", f"sqlite:///{tmp_path}/events.db"
    migrate(url)
    rows = [{"sender_id": sender, "started": (AGO - timedelta(minutes=m)).timestamp(),
             "at": (AGO - timedelta(minutes=m - 1)).timestamp(), "channel": channel,
             "language": "en", "text": MISSED, "folded": normalised(MISSED)}
            for sender, channel, m in (("widget", "socketio", 10), ("rest", "rest", 30))]  # fmt: skip
    engine = make_engine(url)
    with engine.begin() as connection:
        connection.execute(insert(MISUNDERSTOOD_TEXTS), rows)
    with session_scope(session_factory(engine)) as db:
        for sender, text, seconds in (("user", MISSED, 0), ("bot", "Sorry?", 1),
                                      ("agent", "Ada here, what colour is the light?", 30)):  # fmt: skip
            message = crud.add_message(db, conversation_id="widget", sender=sender, text=text,  # type: ignore[arg-type]
                                       agent_username="ada" if sender == "agent" else None)  # fmt: skip
            message.created_at = datetime.fromtimestamp(rows[0]["at"] + seconds, timezone.utc)
            db.flush()
    engine.dispose()
    events = broker_table.events_engine(events_url)
    broker_table.create_table(events)
    missed_at = rows[1]["at"]
    said = UserUttered(MISSED, {"name": "nlu_fallback", "confidence": 0.42}, [],
                       timestamp=missed_at, input_channel="rest")  # fmt: skip
    reply = answered("utter_default", 0)
    reply.timestamp = missed_at + 1
    publish(events, {"rest": [said, reply]})
    events.dispose()
    monkeypatch.setenv("SWITCHBOARD_ENVIRONMENT", "development")
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("REPORTING_EVENTS_URL", events_url)


def test_the_conversations_as_text_with_the_words_made_inert(
    databases: None, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["around", MISSED, "--language", "en"]) == 0
    out = capsys.readouterr().out
    assert "\x1b" not in out and "my box blinks \ufffd[2J weirdly" in out
    lines = out.splitlines()
    assert lines[0] == "2 messages in 2 conversations; the 2 newest:"
    assert "en, fallback (the gateway's copy)" in lines[2]
    assert [line[8:15].strip() for line in lines[3:6]] == ["custome", "bot", "agent"]
    assert lines[3].startswith(">") and not lines[4].startswith(">")
    assert "Ada here, what colour is the light?" in lines[5]
    assert "en, fallback (Rasa's events)" in lines[7]
    assert lines[8].startswith(">") and lines[8].endswith("[nlu_fallback 0.42]")
    assert "(utter_default)" in lines[9]
    assert "widget" not in out and "rest," not in out  # no conversation is named


def test_the_conversations_as_json(databases: None, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["around", MISSED, "--language", "en", "--json", "--conversations", "1"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert (shown["messages"], shown["conversations"], len(shown["excerpts"])) == (2, 2, 1)
    (excerpt,) = shown["excerpts"]
    assert excerpt["origin"] == "gateway" and excerpt["sources"] == ["fallback"]
    assert [line["speaker"] for line in excerpt["lines"]] == ["customer", "bot", "agent"]
    assert [line["inbox"] for line in excerpt["lines"]] == [True, False, False]
    assert datetime.fromisoformat(excerpt["at"]).tzinfo is not None


def test_nothing_found_another_language_or_reason(
    databases: None, capsys: pytest.CaptureFixture[str]
) -> None:
    for argv in (["around", "never said", "--language", "en"],
                 ["around", MISSED, "--language", "fr"],
                 ["around", MISSED, "--language", "en", "--source", "flagged"],
                 ["around", MISSED, "--language", "en", "--channel", "socketio", "--days", "1"]):  # fmt: skip
        assert main(argv) == 0
        nothing = "No message of the period has this text (the filters apply).\n"
        assert capsys.readouterr().out == nothing, argv
    assert main(["around", MISSED, "--language", "en", "--channel", "socketio"]) == 0
    assert capsys.readouterr().out.startswith("1 messages in 1 conversations")


@pytest.mark.parametrize(
    "argv",
    [["around", MISSED], ["around", "  ", "--language", "en"], ["around", "x" * 6000, "--language", "en"],
     ["around", MISSED, "--language", "de"], ["around", MISSED, "--language", "en", "--days", "0"],
     ["around", MISSED, "--language", "en", "--conversations", "11"],
     ["around", MISSED, "--language", "en", "--source", "rumour"]],
)  # fmt: skip
def test_bad_input_is_refused_with_status_2(argv: list[str]) -> None:
    with pytest.raises(SystemExit) as refused:
        main(argv)
    assert refused.value.code == 2


def test_an_unreadable_database_says_so_with_status_1(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("SWITCHBOARD_ENVIRONMENT", "development")
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path}/never-migrated.db")
    monkeypatch.setenv("REPORTING_EVENTS_URL", f"sqlite:///{tmp_path}/events.db")
    assert main(["around", MISSED, "--language", "en"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: cannot read the gateway's database: ") and "SELECT" not in err
