"""What the trainer made of each text (`trainer.states`), on SQLite and PostgreSQL: set, kept,
changed, set back to new, several trainers at once, and retention."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from handover.db import session_factory, session_scope
from privacy.retention import purge
from tests.handover.conftest import db_url, engine, session  # noqa: F401  (database fixtures)
from trainer import states
from trainer.states import INBOX_STATES, set_states, states_of

NOW = datetime(2026, 12, 1, 9, 30, tzinfo=timezone.utc)
BILL, BILL_FR = ("what is my bill balance", "en"), ("what is my bill balance", "fr")
UNKNOWN = ("reset my password please", "")  # Rasa recorded no language


def rows(db: Session) -> list[tuple[str, str, str, str, datetime]]:
    table = INBOX_STATES.c
    query = select(table.key, table.language, table.state, table.by, table.at)
    return sorted(tuple(row) for row in db.execute(query))  # type: ignore[misc]


def test_a_state_is_set_once_by_whoever_set_it(session: Session) -> None:  # noqa: F811
    assert set_states(session, [BILL, UNKNOWN, BILL], "done", by="tess", now=NOW) == 2
    # Already done: nothing changes, not even who did it or when.
    later = NOW + timedelta(hours=1)
    assert set_states(session, [BILL], "done", by="adam", now=later) == 0
    session.commit()

    assert states_of(session, [BILL, BILL_FR, UNKNOWN]) == {BILL: "done", UNKNOWN: "done"}
    assert rows(session) == [(*UNKNOWN, "done", "tess", NOW), (*BILL, "done", "tess", NOW)]


def test_a_state_changes_and_new_deletes_the_row(session: Session) -> None:  # noqa: F811
    set_states(session, [BILL, BILL_FR], "done", by="tess", now=NOW)
    later = NOW + timedelta(minutes=5)

    assert set_states(session, [BILL, UNKNOWN], "ignored", by="adam", now=later) == 2
    assert rows(session) == [
        (*UNKNOWN, "ignored", "adam", later), (*BILL, "ignored", "adam", later),
        (*BILL_FR, "done", "tess", NOW),
    ]  # fmt: skip
    # Back to new: the rows go; a text that was new already is not counted.
    assert set_states(session, [BILL, UNKNOWN, ("never marked", "en")], "new", by="tess") == 2
    assert rows(session) == [(*BILL_FR, "done", "tess", NOW)]


def test_many_keys_are_read_in_chunks(
    session: Session,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(states, "CHUNK", 3)
    items = [(f"text {n}", language) for n in range(10) for language in ("en", "fr")]
    assert set_states(session, items[::2], "ignored", by="tess", now=NOW) == 10

    found = states_of(session, items)

    assert found == dict.fromkeys(items[::2], "ignored")
    assert set_states(session, items, "ignored", by="tess") == 10  # only the French ones


def test_keys_are_the_folded_text_cut_to_the_columns_size() -> None:
    long = "a" * (states.MAX_KEY + 40)
    assert states.text_key(long) == "a" * states.MAX_KEY
    assert states.text_key("my bill") == "my bill"
    assert (states.language_key(None), states.language_key("fr")) == ("", "fr")


@pytest.mark.parametrize(
    ("items", "state", "by", "says"),
    [
        ([BILL], "maybe", "tess", "state must be one of new, done, ignored"),
        ([BILL], "done", "", "by must be a username"),
        ([BILL], "done", "t" * 65, "by must be a username"),
        ([("", "en")], "done", "tess", "a key has 1 to 512 characters"),
        ([("k" * 513, "en")], "done", "tess", "a key has 1 to 512 characters"),
        ([("key", "x" * 17)], "done", "tess", "a language 16"),
    ],
)
def test_what_cannot_be_stored_is_refused(
    session: Session,  # noqa: F811
    items: list[tuple[str, str]],
    state: states.State,
    by: str,
    says: str,
) -> None:
    with pytest.raises(ValueError, match=says):
        set_states(session, items, state, by=by)
    assert rows(session) == []


def test_trainers_marking_the_same_texts_at_once_all_succeed(engine: Engine) -> None:  # noqa: F811
    # Each reads "new", then writes: without ON CONFLICT, all but one would break the key.
    items = [(f"text {n}", "en") for n in range(50)]
    sessions = session_factory(engine)
    start = threading.Barrier(4)
    failures: list[BaseException] = []

    def mark(name: str) -> None:
        try:
            start.wait(timeout=10)
            with session_scope(sessions) as db:
                set_states(db, items, "done", by=name, now=NOW)
        except BaseException as error:  # reported below, with the others
            failures.append(error)

    threads = [threading.Thread(target=mark, args=(f"t{n}",)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert failures == []
    with session_scope(sessions) as db:
        found = rows(db)
    assert [(key, lang, state) for key, lang, state, _, _ in found] == [
        (key, lang, "done") for key, lang in sorted(items)
    ]
    with engine.begin() as connection:
        connection.execute(INBOX_STATES.delete())


def test_retention_deletes_the_states_set_before_its_cutoff(engine: Engine) -> None:  # noqa: F811
    sessions = session_factory(engine)
    with session_scope(sessions) as db:
        set_states(db, [BILL], "done", by="tess", now=NOW - timedelta(days=91))
        set_states(db, [BILL_FR], "ignored", by="tess", now=NOW - timedelta(days=89))

    report = purge(sessions, None, now=NOW, days=90)

    assert report.inbox_states == 1 and report.removed_anything
    with session_scope(sessions) as db:
        assert [row[:3] for row in rows(db)] == [(*BILL_FR, "ignored")]
    assert purge(sessions, None, now=NOW, days=90).inbox_states == 0
    with engine.begin() as connection:
        connection.execute(INBOX_STATES.delete())
