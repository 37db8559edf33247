"""Episodes, the contacts of a conversation: numbered, ended once with an outcome, rated;
on SQLite and PostgreSQL."""

import pytest
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from handover import crud
from handover.models import Conversation, Episode, Handover, Ticket


def test_episodes_are_numbered_and_end_once(session: Session) -> None:
    crud.upsert_conversation(session, conversation_id="c1", language="fr")
    assert crud.latest_episode(session, conversation_id="c1") is None
    first = crud.ensure_episode(session, conversation_id="c1")
    assert crud.ensure_episode(session, conversation_id="c1") is first
    crud.end_episode(
        session, episode=first, outcome="resolved_by_agent", agent_username="alice",
        wrap_up="resolved", note="  Rappelez au 06 12 34 56 78 ou jane@example.com  ",
    )  # fmt: skip
    second = crud.open_episode(session, conversation_id="c1", number=2)
    crud.rate_episode(session, episode=first, score=4)
    session.commit()

    assert [e.number for e in crud.list_episodes(session, conversation_id="c1")] == [1, 2]
    assert crud.latest_episode(session, conversation_id="c1") is second
    assert (first.outcome, first.wrap_up, first.satisfaction) == (
        "resolved_by_agent",
        "resolved",
        4,
    )
    assert "06 12" not in first.note and "jane@" not in first.note, "the note is stored redacted"
    assert first.ended_at >= first.started_at
    assert (second.ended_at, second.outcome) == (None, None)
    with pytest.raises(ValueError, match="already ended"):
        crud.end_episode(session, episode=first, outcome="abandoned")


@pytest.mark.parametrize(
    ("change", "complaint"),
    [
        ({"outcome": "lost"}, "outcome"),
        ({"outcome": "resolved_by_agent", "wrap_up": "whatever"}, "wrap-up reason"),
        ({"outcome": "resolved_by_agent", "note": "x" * 1001}, "1000"),
    ],
)
def test_an_episode_refuses_unknown_outcomes_reasons_and_long_notes(
    session: Session, change: dict, complaint: str
) -> None:
    crud.ensure_conversation(session, conversation_id="c1")
    episode = crud.ensure_episode(session, conversation_id="c1")
    with pytest.raises(ValueError, match=complaint):
        crud.end_episode(session, episode=episode, **change)
    for score in (0, 6, 4.5, True):
        with pytest.raises(ValueError, match="1 to 5"):
            crud.rate_episode(session, episode=episode, score=score)  # type: ignore[arg-type]
    assert episode.ended_at is None and episode.satisfaction is None


def test_two_writers_cannot_open_the_same_episode(session: Session) -> None:
    crud.ensure_conversation(session, conversation_id="c1")
    crud.open_episode(session, conversation_id="c1", number=1)
    with pytest.raises(IntegrityError):
        crud.open_episode(session, conversation_id="c1", number=1)
    session.rollback()
    with pytest.raises(ValueError, match="from 1"):
        crud.open_episode(session, conversation_id="c1", number=0)


def test_deleting_a_conversation_deletes_its_episodes(session: Session) -> None:
    crud.ensure_conversation(session, conversation_id="c1")
    episode = crud.ensure_episode(session, conversation_id="c1")
    crud.open_handover(session, conversation_id="c1", reason="x", skill="billing",
                       episode_id=episode.id)  # fmt: skip
    crud.add_ticket(session, conversation_id="c1", reference="TCK-1", episode_id=episode.id)
    session.commit()
    for table in (Handover, Ticket):
        session.execute(delete(table))
    session.execute(delete(Conversation))  # as retention and erasure do
    session.commit()

    assert session.execute(select(Episode)).all() == []
