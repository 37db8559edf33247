"""Customers' message ids in the database, on SQLite and PostgreSQL: unique within a conversation."""

import pytest
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from handover import crud


def test_a_message_id_is_found_in_its_conversation_only(session: Session) -> None:
    mine = crud.add_message(
        session, conversation_id="c-1", sender="user", text="hi", client_message_id="m-1"
    )
    theirs = crud.add_message(
        session, conversation_id="c-2", sender="user", text="hello", client_message_id="m-1"
    )

    def found(conversation_id: str) -> object:
        return crud.find_customer_message(
            session, conversation_id=conversation_id, client_message_id="m-1"
        )

    assert (found("c-1"), found("c-2"), found("c-3")) == (mine, theirs, None)


def test_the_same_id_twice_in_a_conversation_is_refused_by_the_database(session: Session) -> None:
    crud.add_message(session, conversation_id="c-1", sender="user", text="a", client_message_id="x")
    with pytest.raises(IntegrityError):
        crud.add_message(
            session, conversation_id="c-1", sender="user", text="a", client_message_id="x"
        )


def test_messages_without_an_id_never_collide(session: Session) -> None:
    for text in ("bot one", "bot two"):
        crud.add_message(session, conversation_id="c-1", sender="bot", text=text)
    crud.add_message(session, conversation_id="c-1", sender="user", text="no id")
    assert len(crud.list_messages(session, conversation_id="c-1")) == 3
