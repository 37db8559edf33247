"""The inbox read from `misunderstood_texts` (SQLite and PostgreSQL), grouped by the real
sentence encoder (built once for the module), with the period, language, channel and state
filters, each group listing its distinct texts and their states (the other sources, and the
source and intent filters: test_inbox_sources.py)."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from sqlalchemy.orm import Session

from nlu.encoders import Encode, encoder
from reporting.bot_facts import normalised
from reporting.kpis_contacts import Scope
from reporting.session_tables import MISUNDERSTOOD_TEXTS
from tests.handover.conftest import db_url, engine, session  # noqa: F401  (database fixtures)
from trainer import grouping
from trainer.inbox import Inbox, InboxGroup, InboxText, StateFilter, load_inbox
from trainer.inbox_sources import SOURCES
from trainer.states import set_states

DAY = datetime(2024, 3, 4, tzinfo=timezone.utc)
PERIOD = Scope(DAY, DAY + timedelta(days=1))
BILL = {"what is my bill balance", "How much do I owe on my bill this month?",
        "quel est le montant de ma facture", "Combien je dois payer sur ma facture ce mois-ci ?"}  # fmt: skip
PASSWORD = {"I forgot my password", "J'ai oublié mon mot de passe", "reset my password please"}


def at(minute: float) -> float:
    return (DAY + timedelta(minutes=minute)).timestamp()


def row(sender: str, minute: float, text: str, language: str | None = "en",
        channel: str = "socketio", started: float | None = None) -> dict[str, Any]:  # fmt: skip
    """A misunderstood message `minute`s into the day, in a session begun at `started`
    (minutes; by default the message's own minute)."""
    return {"sender_id": sender, "started": at(minute if started is None else started),
            "at": at(minute), "channel": channel, "language": language, "text": text,
            "folded": normalised(text)}  # fmt: skip


ROWS = [
    row("c1", 60, "what is my bill balance"),
    row("c1", 62, "what is my bill balance", started=60),
    row("c1", 63, "How much do I owe on my bill this month?", started=60),
    row("c2", 120, "quel est le montant de ma facture", "fr"),
    row("c3", 180, "Combien je dois payer sur ma facture ce mois-ci ?", "fr", "rest"),
    row("c4", 240, "I forgot my password", "en", "rest"),
    row("c5", 300, "J'ai oublié mon mot de passe", "fr"),
    row("c6", 360, "reset my password please", None),
    # Sessions begun outside the period: the day before (a message in it), and at its end.
    row("old", 30, "what is my bill balance", started=-30),
    row("late", 1440, "I forgot my password"),
]


@pytest.fixture(scope="module")
def encode() -> Encode:
    return encoder("use")


@pytest.fixture
def db(session: Session) -> Session:  # noqa: F811
    session.execute(MISUNDERSTOOD_TEXTS.insert(), ROWS)
    session.commit()
    return session


def by_text(inbox: Inbox) -> dict[frozenset[str], InboxGroup]:
    """The inbox's groups keyed by the texts they hold (representative and examples)."""
    return {frozenset({g.representative, *g.examples}): g for g in inbox.groups}


def test_a_periods_messages_are_grouped_by_meaning(db: Session, encode: Encode) -> None:
    inbox = load_inbox(db, PERIOD, encode=encode)
    assert (inbox.messages, inbox.total_groups, inbox.ungrouped) == (8, 2, 0)
    groups = by_text(inbox)
    assert set(groups) == {frozenset(BILL), frozenset(PASSWORD)}
    bill, password = groups[frozenset(BILL)], groups[frozenset(PASSWORD)]
    assert inbox.groups == (bill, password)  # the larger first
    assert (bill.messages, bill.conversations, bill.languages) == (5, 3, ("en", "fr"))
    assert (bill.first, bill.last) == (DAY + timedelta(minutes=60), DAY + timedelta(minutes=180))
    assert (password.messages, password.conversations) == (3, 3)
    assert password.languages == ("en", "fr", "unknown")
    assert not bill.ungrouped and 0.5 < bill.cohesion < 1.0


def test_examples_are_the_other_spellings_most_frequent_first(db: Session, encode: Encode) -> None:
    db.execute(MISUNDERSTOOD_TEXTS.insert(), [
        row("c7", 400, "quel est le montant de ma facture", "fr"),
        row("c8", 410, "quel est le montant de ma facture", "fr"),
        *(row(f"m{n}", 420 + n, f"Combien coûte ma facture {'?' * n}", "fr") for n in range(1, 6)),
    ])  # fmt: skip
    db.commit()
    (bill, *_) = load_inbox(db, PERIOD, encode=encode).groups
    counts = Counter(r["text"] for r in ROWS[:5]) + Counter(
        {"quel est le montant de ma facture": 2}
    )
    counts.update(f"Combien coûte ma facture {'?' * n}" for n in range(1, 6))
    del counts[bill.representative]
    expected = sorted(counts.items(), key=lambda item: (-item[1], item[0]))[:5]
    assert bill.examples == tuple(text for text, _ in expected)
    assert bill.messages == 12


@pytest.mark.parametrize(
    ("scope", "messages", "groups"),
    [
        (Scope(DAY, DAY + timedelta(days=1), language="fr"), 3, 2),
        (Scope(DAY, DAY + timedelta(days=1), channel="rest"), 2, 2),
        (Scope(DAY, DAY + timedelta(days=1), language="en", channel="socketio"), 3, 1),
        (Scope(DAY, DAY + timedelta(minutes=61)), 3, 1),  # c1's session, all its messages
        (Scope(DAY + timedelta(days=1), DAY + timedelta(days=2)), 1, 1),
        (Scope(DAY, DAY + timedelta(days=1), skill="billing", agent="sam"), 8, 2),  # no effect
    ],
    ids=["french", "rest", "english widget", "first hour", "next day", "skill and agent"],
)
def test_filters(db: Session, encode: Encode, scope: Scope, messages: int, groups: int) -> None:
    inbox = load_inbox(db, scope, encode=encode)
    assert (inbox.messages, inbox.total_groups, len(inbox.groups)) == (messages, groups, groups)
    assert sum(group.messages for group in inbox.groups) == messages
    if scope.language:
        assert {lang for group in inbox.groups for lang in group.languages} == {scope.language}


def test_an_empty_period_is_an_empty_inbox(db: Session, encode: Encode) -> None:
    empty = Scope(DAY - timedelta(days=9), DAY - timedelta(days=8))
    nothing = dict.fromkeys(SOURCES, 0)
    assert load_inbox(db, empty, encode=encode) == Inbox(empty, 0, 0, 0, (), nothing, {})


def test_limit_shows_the_largest_groups_and_counts_the_rest(db: Session, encode: Encode) -> None:
    inbox = load_inbox(db, PERIOD, encode=encode, limit=1)
    assert (len(inbox.groups), inbox.total_groups, inbox.groups[0].messages) == (1, 2, 5)
    with pytest.raises(ValueError, match="limit"):
        load_inbox(db, PERIOD, encode=encode, limit=0)


def test_past_the_size_guard_the_rarest_texts_stand_alone(
    db: Session, encode: Encode, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(grouping, "MAX_TEXTS", 2)
    inbox = load_inbox(db, PERIOD, encode=encode)
    # Seven distinct texts: the two most frequent compared (3 messages), five alone.
    compared = [g for g in inbox.groups if not g.ungrouped]
    alone = [g for g in inbox.groups if g.ungrouped]
    assert (inbox.ungrouped, len(alone), inbox.total_groups) == (5, 5, len(compared) + 5)
    assert sum(g.messages for g in compared) == 3
    assert all(g.messages == 1 and g.examples == () for g in alone)


def texts_of(group: InboxGroup) -> list[tuple[str, str, str, int, str]]:
    return [(t.key, t.language, t.text, t.messages, t.state) for t in group.texts]


def test_each_group_lists_its_distinct_texts_by_key_and_language(
    db: Session, encode: Encode
) -> None:
    db.execute(MISUNDERSTOOD_TEXTS.insert(), [
        row("c7", 400, "WHAT is my bill   balance"),  # another spelling of c1's text
        row("c8", 410, "what is my bill balance", "fr"),  # the same words, said in French
    ])  # fmt: skip
    db.commit()

    groups = by_text(load_inbox(db, PERIOD, encode=encode))

    bill = next(g for texts, g in groups.items() if "what is my bill balance" in texts)
    assert texts_of(bill) == [
        ("what is my bill balance", "en", "what is my bill balance", 3, "new"),
        ("combien je dois payer sur ma facture ce mois-ci ?", "fr",
         "Combien je dois payer sur ma facture ce mois-ci ?", 1, "new"),
        ("how much do i owe on my bill this month?", "en",
         "How much do I owe on my bill this month?", 1, "new"),
        ("quel est le montant de ma facture", "fr", "quel est le montant de ma facture", 1, "new"),
        ("what is my bill balance", "fr", "what is my bill balance", 1, "new"),
    ]  # fmt: skip
    assert bill.key == normalised(bill.representative)
    assert sum(t.messages for t in bill.texts) == bill.messages
    password = groups[frozenset(PASSWORD)]
    # Without a language, a text's language is "" (as trainer.states keys it).
    assert ("reset my password please", "") in {(t.key, t.language) for t in password.texts}


def test_the_state_filter_keeps_groups_by_their_texts_states(db: Session, encode: Encode) -> None:
    everything = load_inbox(db, PERIOD, encode=encode)
    bill = by_text(everything)[frozenset(BILL)]
    set_states(db, [(t.key, t.language) for t in bill.texts], "done", by="tess")
    set_states(db, [("i forgot my password", "en")], "ignored", by="tess")
    db.commit()

    def shown(state: StateFilter) -> list[tuple[frozenset[str], str]]:
        inbox = load_inbox(db, PERIOD, encode=encode, state=state)
        assert inbox.total_groups == len(inbox.groups) and inbox.messages == 8
        return [(texts, group.state) for texts, group in by_text(inbox).items()]

    assert shown("all") == [(frozenset(BILL), "done"), (frozenset(PASSWORD), "mixed")]
    assert shown("new") == [(frozenset(PASSWORD), "mixed")]  # a text of it is new
    assert shown("done") == [(frozenset(BILL), "done")]
    assert shown("ignored") == []  # some of the password texts only
    (password,) = load_inbox(db, PERIOD, encode=encode, state="new").groups
    assert [(t.key, t.language, t.state) for t in password.texts] == [
        ("i forgot my password", "en", "ignored"), ("j'ai oublie mon mot de passe", "fr", "new"),
        ("reset my password please", "", "new"),
    ]  # fmt: skip
    with pytest.raises(ValueError, match="state must be one of"):
        load_inbox(db, PERIOD, encode=encode, state="old")  # type: ignore[arg-type]


def test_a_long_texts_state_holds_by_its_cut_key(db: Session, encode: Encode) -> None:
    long = "my bill is wrong " * 40  # 680 characters: the key keeps 512

    def found() -> InboxText:
        (text,) = [t for g in load_inbox(db, PERIOD, encode=encode).groups for t in g.texts
                   if t.text == long]  # fmt: skip
        return text

    db.execute(MISUNDERSTOOD_TEXTS.insert(), [row("c9", 500, long)])
    db.commit()
    assert found().key == normalised(long)[:512] and len(found().key) == 512

    set_states(db, [(found().key, "en")], "ignored", by="tess")
    db.commit()

    assert found().state == "ignored"
