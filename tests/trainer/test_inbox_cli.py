"""`python -m trainer inbox` on a migrated SQLite file named by `DATABASE_URL`, through a small
parser of our own (as `trainer.__main__` builds it)."""

from __future__ import annotations

import argparse
import json
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import insert

from handover.config import settings
from handover.db import make_engine, migrate
from nlu.encoders import encoder
from reporting.bot_facts import normalised
from reporting.kpis_contacts import Scope
from reporting.session_tables import MISUNDERSTOOD_TEXTS
from trainer import cli_args, inbox_cli
from trainer.inbox import Inbox, InboxGroup
from trainer.inbox_sources import SOURCES

NOW = datetime.now(timezone.utc)
TEXTS = [  # (days ago, sender, language, channel, text)
    (1, "c1", "en", "socketio", "How much do I owe on my bill this month?"),
    (1, "c2", "fr", "socketio", "Combien je dois payer sur ma facture ce mois-ci ?"),
    (2, "c3", "en", "rest", "I forgot my password"),
    (2, "c4", "fr", "rest", "J'ai oublié mon mot de passe \x1b[2J"),
    (10, "c5", "en", "socketio", "where is my order"),  # before the default 7 days
]


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m trainer")
    inbox_cli.add_parser(parser.add_subparsers(dest="command", required=True))
    return parser.parse_args(argv)


@pytest.fixture(scope="module", autouse=True)
def built_encoder() -> None:
    encoder("use")  # the command's encoder, built once for the module (cached per process)


def use(url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SWITCHBOARD_ENVIRONMENT", "development")
    monkeypatch.setenv("DATABASE_URL", url)
    settings.cache_clear()


@pytest.fixture(autouse=True)
def fresh_settings() -> Iterator[None]:
    yield
    settings.cache_clear()  # read again by the next test, in its own environment


@pytest.fixture
def unmigrated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    use(f"sqlite:///{tmp_path / 'gateway.db'}", monkeypatch)


@pytest.fixture(scope="module")
def filled_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A migrated database with `TEXTS` (the commands only read it)."""
    url = f"sqlite:///{tmp_path_factory.mktemp('gateway') / 'gateway.db'}"
    migrate(url)
    engine = make_engine(url)
    rows = [
        {"sender_id": sender, "started": (NOW - timedelta(days=days)).timestamp(),
         "at": (NOW - timedelta(days=days, seconds=-30)).timestamp(), "channel": channel,
         "language": language, "text": text, "folded": normalised(text),
         "intent": "check_bill_balance" if sender == "c1" else None}
        for days, sender, language, channel, text in TEXTS
    ]  # fmt: skip
    with engine.begin() as connection:
        connection.execute(insert(MISUNDERSTOOD_TEXTS), rows)
    engine.dispose()
    return url


@pytest.fixture
def filled(filled_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    use(filled_url, monkeypatch)


def test_the_table_shows_the_groups_with_customers_texts_made_inert(
    filled: None, capsys: pytest.CaptureFixture[str]
) -> None:
    assert inbox_cli.run(parse(["inbox"])) == 0
    out = capsys.readouterr().out
    assert out.startswith("4 misunderstood messages in sessions from ")
    assert "in 2 groups by meaning (language: any, channel: any)" in out
    assert "where is my order" not in out
    assert out.count("2 messages, 2 conversations, en+fr") == 2
    assert "mot de passe \ufffd[2J" in out
    assert "\x1b" not in out


def test_json_has_the_inbox_shape(filled: None, capsys: pytest.CaptureFixture[str]) -> None:
    assert inbox_cli.run(parse(["inbox", "--json", "--days", "30", "--language", "en"])) == 0
    out = capsys.readouterr().out
    assert out.isascii()  # escapes hold control characters, accents and lone surrogates
    shown = json.loads(out)
    assert set(shown) == {"start", "end", "language", "channel", "messages", "total_groups",
                          "ungrouped", "groups", "sources", "intents"}  # fmt: skip
    assert shown["sources"] == {**dict.fromkeys(SOURCES, 0), "fallback": 3}
    assert (shown["language"], shown["channel"], shown["messages"]) == ("en", None, 3)
    assert datetime.fromisoformat(shown["end"]) - datetime.fromisoformat(shown["start"]) == (
        timedelta(days=30)
    )
    texts = sorted(group["representative"] for group in shown["groups"])
    assert texts == [
        "How much do I owe on my bill this month?",
        "I forgot my password",
        "where is my order",
    ]
    group = shown["groups"][0]
    assert set(group) == {"representative", "messages", "conversations", "languages", "first",
                          "last", "cohesion", "examples", "ungrouped", "sources", "texts"}  # fmt: skip
    assert (group["messages"], group["languages"], group["examples"]) == (1, ["en"], [])
    assert group["sources"] == {"fallback": 1}
    intents = {"How much do I owe on my bill this month?": "check_bill_balance"}
    assert group["texts"] == [{"text": group["representative"], "language": "en", "messages": 1,
                               "state": "new", "sources": {"fallback": 1},
                               "intent": intents.get(group["representative"]),
                               "confidence": None}]  # fmt: skip
    assert datetime.fromisoformat(group["first"]).tzinfo is not None


def test_the_channel_filter(filled: None, capsys: pytest.CaptureFixture[str]) -> None:
    assert inbox_cli.run(parse(["inbox", "--json", "--channel", "rest"])) == 0
    shown = json.loads(capsys.readouterr().out)
    assert (shown["messages"], shown["total_groups"]) == (2, 1)
    assert shown["groups"][0]["examples"] != []  # the other language's spelling


def test_the_source_and_intent_filters(filled: None, capsys: pytest.CaptureFixture[str]) -> None:
    assert inbox_cli.run(parse(["inbox", "--json", "--source", "flagged", "--source",
                                "low_rating"])) == 0  # fmt: skip
    shown = json.loads(capsys.readouterr().out)
    assert (shown["messages"], shown["groups"], shown["sources"]["fallback"]) == (0, [], 4)
    assert inbox_cli.run(parse(["inbox", "--json", "--intent", "check_bill_balance"])) == 0
    shown = json.loads(capsys.readouterr().out)
    assert (shown["messages"], shown["intents"]) == (1, {"check_bill_balance": 1})
    assert shown["groups"][0]["texts"][0]["intent"] == "check_bill_balance"
    assert inbox_cli.run(parse(["inbox", "--intent", "check_bill_balance"])) == 0
    table = capsys.readouterr().out
    assert "by source: fallback 1" in table and "(fallback 1)" in table


@pytest.mark.parametrize(
    "argv",
    [
        ["inbox", "--source", "rumour"],
        ["inbox", "--intent", "Check Bill"],
        ["inbox", "--days", "0"],
        ["inbox", "--days", "367"],
        ["inbox", "--days", "week"],
        ["inbox", "--language", "de"],
        ["inbox", "--channel", "email"],
        ["inbox", "--top", "3"],
    ],
)
def test_bad_arguments_exit_with_2(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        parse(argv)
    assert exited.value.code == 2
    assert "error:" in capsys.readouterr().err


def test_a_database_without_the_table_is_a_clear_error(
    unmigrated: None, capsys: pytest.CaptureFixture[str]
) -> None:
    assert inbox_cli.run(parse(["inbox"])) == 1
    assert capsys.readouterr().err == (
        "error: cannot read the gateway's database: no such table: misunderstood_texts\n"
    )


def test_settings_refused_outside_development_exit_with_2(
    unmigrated: None, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("SWITCHBOARD_ENVIRONMENT", "production")  # placeholder secrets
    settings.cache_clear()
    assert inbox_cli.run(parse(["inbox"])) == 2
    assert "HANDOVER_SECRET_KEY" in capsys.readouterr().err


def test_the_table_makes_any_text_printable() -> None:
    scope = Scope(NOW - timedelta(days=1), NOW)
    texts = ("x" * 10_000, "mot de\ud800passe\n\tici \x1b]0;owned\x07", "🙂🙂")
    group = InboxGroup(representative=texts[0], messages=3, conversations=1, languages=("fr",),
                       first=NOW, last=NOW, cohesion=0.5, examples=texts[1:])  # fmt: skip
    lines = inbox_cli.as_table(Inbox(scope, 3, 1, 0, (group,))).splitlines()
    assert all(line.isprintable() for line in lines)
    assert lines[3] == "      " + "x" * (cli_args.SHOWN_CHARACTERS - 1) + "…"
    assert lines[4:] == ["        ~ mot de\ufffdpasse ici \ufffd]0;owned\ufffd", "        ~ 🙂🙂"]
