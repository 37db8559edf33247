"""Agents' private notes and labels on a conversation, on SQLite and PostgreSQL."""

import pytest
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from handover import crud
from handover.models import Conversation, ConversationLabel, ConversationNote


def test_a_note_is_stored_stripped_redacted_and_in_its_contact(session: Session) -> None:
    crud.upsert_conversation(session, conversation_id="c1", language="fr")
    before = crud.add_note(session, conversation_id="c1", agent_username="ada", text="bot only")
    crud.ensure_episode(session, conversation_id="c1")
    crud.open_episode(session, conversation_id="c1", number=2)

    note = crud.add_note(
        session, conversation_id="c1", agent_username="ada",
        text="  Née le 14/03/1985, rappeler au 06 12 34 56 78  ",
    )  # fmt: skip
    session.commit()

    assert (before.episode, note.episode) == (None, 2)
    assert note.text == "Née le [date of birth], rappeler au [phone]"
    listed = crud.list_notes(session, conversation_id="c1")
    assert [(n.agent_username, n.text) for n in listed] == [
        ("ada", "bot only"),
        ("ada", "Née le [date of birth], rappeler au [phone]"),
    ]
    assert note.created_at.tzinfo is not None
    assert crud.list_messages(session, conversation_id="c1") == [], "a note is no message"


@pytest.mark.parametrize(
    ("text", "error"), [("", "blank"), (" \n\t ", "blank"), ("x" * 1001, "longer than 1000")]
)
def test_a_blank_or_huge_note_is_refused(session: Session, text: str, error: str) -> None:
    crud.ensure_conversation(session, conversation_id="c1")
    with pytest.raises(ValueError, match=error):
        crud.add_note(session, conversation_id="c1", agent_username="ada", text=text)
    assert crud.list_notes(session, conversation_id="c1") == []


def test_notes_and_labels_need_the_conversation(session: Session) -> None:
    with pytest.raises(crud.NotFoundError):
        crud.add_note(session, conversation_id="nope", agent_username="ada", text="hi")
    with pytest.raises(crud.NotFoundError):
        crud.set_labels(session, conversation_id="nope", labels=["x"], added_by="ada")
    assert session.execute(select(Conversation)).all() == [], "nothing created on the way"


def test_labels_are_replaced_as_a_set_and_keep_who_added_them(session: Session) -> None:
    crud.ensure_conversation(session, conversation_id="c1")
    first = ["refund", "billing-dispute", "refund"]

    assert crud.set_labels(session, conversation_id="c1", labels=first, added_by="ada") == [
        "billing-dispute", "refund",
    ]  # fmt: skip
    kept = crud.set_labels(
        session, conversation_id="c1", labels=["vip", "billing-dispute"], added_by="bob"
    )
    session.commit()

    assert kept == crud.list_labels(session, conversation_id="c1") == ["billing-dispute", "vip"]
    rows = session.execute(select(ConversationLabel.label, ConversationLabel.added_by)).all()
    assert sorted(tuple(row) for row in rows) == [("billing-dispute", "ada"), ("vip", "bob")]
    assert crud.set_labels(session, conversation_id="c1", labels=[], added_by="bob") == []


@pytest.mark.parametrize(
    ("labels", "error"),
    [
        (["Billing"], "lowercase"),
        (["-x"], "lowercase"),
        (["a b"], "lowercase"),
        ([""], "lowercase"),
        (["x" * 33], "lowercase"),
        (["ok", "é"], "lowercase"),
        ([f"l{n}" for n in range(11)], "at most 10"),
    ],
)
def test_labels_that_are_not_slugs_or_too_many_are_refused(
    session: Session, labels: list[str], error: str
) -> None:
    crud.ensure_conversation(session, conversation_id="c1")
    crud.set_labels(session, conversation_id="c1", labels=["kept"], added_by="ada")
    with pytest.raises(ValueError, match=error):
        crud.set_labels(session, conversation_id="c1", labels=labels, added_by="ada")
    assert crud.list_labels(session, conversation_id="c1") == ["kept"]


def test_ten_labels_and_repeats_are_fine(session: Session) -> None:
    crud.ensure_conversation(session, conversation_id="c1")
    ten = [f"l{n}" for n in range(10)]
    stored = crud.set_labels(session, conversation_id="c1", labels=ten + ten, added_by="ada")
    assert stored == sorted(ten)


def test_labels_in_use_are_counted_by_conversation(session: Session) -> None:
    for cid, labels in (("c1", ["refund", "vip"]), ("c2", ["refund"]), ("c3", ["outage"])):
        crud.ensure_conversation(session, conversation_id=cid)
        crud.set_labels(session, conversation_id=cid, labels=labels, added_by="ada")
    session.commit()

    assert crud.label_counts(session) == [("refund", 2), ("outage", 1), ("vip", 1)]
    assert crud.label_counts(session, limit=1) == [("refund", 2)]


def test_deleting_a_conversation_deletes_its_notes_and_labels(session: Session) -> None:
    crud.ensure_conversation(session, conversation_id="c1")
    crud.ensure_conversation(session, conversation_id="c2")
    for cid in ("c1", "c2"):
        crud.add_note(session, conversation_id=cid, agent_username="ada", text="call back")
        crud.set_labels(session, conversation_id=cid, labels=["refund"], added_by="ada")
    session.commit()

    # The database's ON DELETE CASCADE (SQLite enforces it too: `handover.db`).
    session.execute(delete(Conversation).where(Conversation.id == "c1"))
    session.commit()

    notes = session.execute(select(ConversationNote.conversation_id)).scalars().all()
    labels = session.execute(select(ConversationLabel.conversation_id)).scalars().all()
    assert (notes, labels) == (["c2"], ["c2"])
