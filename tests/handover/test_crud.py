"""Reads and writes of the handover tables, on SQLite and PostgreSQL."""

from datetime import datetime, timedelta, timezone

import pytest
from argon2 import PasswordHasher
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from handover import crud, security
from handover.models import Agent, AgentSession, Handover, Message, Ticket


def new_agent(session: Session, username: str = "alice", **overrides: object) -> Agent:
    fields: dict = {"password": "s3cret-pass", "skills": ["billing"], "capacity": 2, **overrides}
    return crud.create_agent(session, username=username, **fields)


# -- roles and sign-in sessions ------------------------------------------------------------


def test_agents_are_plain_agents_unless_told(session: Session) -> None:
    assert new_agent(session).role == "agent"
    assert new_agent(session, username="sue", role="supervisor").role == "supervisor"
    with pytest.raises(ValueError, match="role must be one of"):
        new_agent(session, username="root", role="root")


def test_a_session_lives_until_revoked(session: Session) -> None:
    agent = new_agent(session)
    opened = crud.open_agent_session(session, agent=agent, lifetime_seconds=60)
    session.commit()

    found = crud.live_session_agent(session, session_id=opened.id, username="alice")
    assert found is not None and found[0].username == "alice"
    assert len(opened.id) >= 43  # 256 random bits
    assert crud.live_session_agent(session, session_id=opened.id, username="bob") is None

    crud.revoke_agent_session(session, session_id=opened.id)
    session.commit()

    assert crud.live_session_agent(session, session_id=opened.id, username="alice") is None


def test_a_session_ends_at_its_lifetime(session: Session) -> None:
    agent = new_agent(session)
    start = datetime(2026, 1, 1, 9, 0, tzinfo=timezone.utc)
    opened = crud.open_agent_session(session, agent=agent, lifetime_seconds=60, now=start)
    live = {"session_id": opened.id, "username": "alice"}

    assert crud.live_session_agent(session, **live, now=start + timedelta(seconds=59))
    assert crud.live_session_agent(session, **live, now=start + timedelta(seconds=60)) is None


def test_signing_in_clears_the_agents_ended_sessions(session: Session) -> None:
    agent = new_agent(session)
    old = crud.open_agent_session(session, agent=agent, lifetime_seconds=1,
                                  now=datetime(2026, 1, 1, tzinfo=timezone.utc))  # fmt: skip
    revoked = crud.open_agent_session(session, agent=agent, lifetime_seconds=600)
    crud.revoke_agent_session(session, session_id=revoked.id)
    kept = crud.open_agent_session(session, agent=agent, lifetime_seconds=600)

    crud.sign_in(session, username="alice", password="s3cret-pass", lifetime_seconds=600)

    remaining = {row.id for row in session.query(AgentSession)}
    assert old.id not in remaining and revoked.id not in remaining
    assert kept.id in remaining and len(remaining) == 2


def test_sign_in_needs_the_password_and_sets_the_agent_online(session: Session) -> None:
    new_agent(session)

    assert (
        crud.sign_in(session, username="alice", password="wrong-pass", lifetime_seconds=60) is None
    )
    agent, opened = crud.sign_in(
        session, username="alice", password="s3cret-pass", lifetime_seconds=60
    )
    assert agent.status == "online" and opened.agent_id == agent.id

    crud.sign_out(session, session_id=opened.id, username="alice")
    assert agent.status == "offline" and opened.revoked_at is not None


# -- agents -------------------------------------------------------------------------------


def test_agent_is_created_offline_with_a_hash(session: Session) -> None:
    new_agent(session, skills=[" Billing", "orders", "billing", ""], display_name="Alice B.")
    session.commit()
    session.expire_all()

    agent = crud.get_agent(session, username="alice")
    assert agent is not None
    assert agent.display_name == "Alice B."
    assert agent.status == "offline"
    assert crud.agent_skills(agent) == ["billing", "orders"]
    assert agent.password_hash != "s3cret-pass"
    assert "s3cret-pass" not in agent.password_hash
    assert agent.created_at.tzinfo == timezone.utc


def test_display_name_defaults_to_the_username(session: Session) -> None:
    assert new_agent(session, username="bob").display_name == "bob"


def test_duplicate_username_is_rejected(session: Session) -> None:
    new_agent(session)
    session.commit()

    with pytest.raises(crud.AgentExistsError, match="already exists"):
        new_agent(session, password="another-password")


@pytest.mark.parametrize("username", ["", "a" * 65, "with space", "émile", "semi;colon", "a/b"])
def test_bad_username_is_rejected(session: Session, username: str) -> None:
    with pytest.raises(ValueError, match="username"):
        new_agent(session, username=username)


def test_longest_allowed_username(session: Session) -> None:
    assert new_agent(session, username="A" * 62 + ".-").username == "A" * 62 + ".-"


@pytest.mark.parametrize(
    ("overrides", "message"),
    [({"password": "7chars!"}, "password"), ({"capacity": 0}, "capacity")],
)
def test_bad_password_or_capacity_is_rejected(
    session: Session, overrides: dict, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        new_agent(session, **overrides)
    assert crud.get_agent(session, username="alice") is None


def test_authenticate(session: Session) -> None:
    new_agent(session)
    session.commit()

    assert crud.authenticate(session, username="alice", password="s3cret-pass").username == "alice"
    assert crud.authenticate(session, username="alice", password="s3cret-pasS") is None
    assert crud.authenticate(session, username="nobody", password="s3cret-pass") is None


def test_authenticate_upgrades_an_outdated_hash(session: Session) -> None:
    agent = new_agent(session)
    agent.password_hash = PasswordHasher(time_cost=1, memory_cost=512, parallelism=1).hash(
        "s3cret-pass"
    )
    outdated = agent.password_hash
    session.commit()

    assert crud.authenticate(session, username="alice", password="s3cret-pass") is agent
    assert agent.password_hash != outdated
    assert not security.needs_rehash(agent.password_hash)


def test_status_and_online_agents(session: Session) -> None:
    for name in ("carol", "alice", "bob"):
        new_agent(session, username=name)
    crud.set_agent_status(session, username="carol", status="online")
    crud.set_agent_status(session, username="alice", status="online")
    crud.set_agent_status(session, username="bob", status="away")
    session.commit()

    assert [agent.username for agent in crud.list_online_agents(session)] == ["alice", "carol"]
    with pytest.raises(crud.NotFoundError):
        crud.set_agent_status(session, username="nobody", status="online")
    with pytest.raises(ValueError, match="status"):
        crud.set_agent_status(session, username="bob", status="busy")  # type: ignore[arg-type]


# -- conversations and messages -----------------------------------------------------------


def test_message_creates_the_conversation_owned_by_the_bot(session: Session) -> None:
    crud.add_message(session, conversation_id="c1", sender="user", text="hello")
    session.commit()

    conversation = crud.get_conversation(session, conversation_id="c1")
    assert conversation.state == "bot"
    assert conversation.vulnerable is False
    assert conversation.context == {}


def test_messages_come_back_oldest_first_with_microseconds(session: Session) -> None:
    texts = [f"message {number}" for number in range(5)]
    for number, text in enumerate(texts):
        crud.add_message(
            session,
            conversation_id="c1",
            sender="bot" if number % 2 else "user",
            text=text,
            intent="greet" if number == 0 else None,
            confidence=0.93 if number == 0 else None,
        )
    crud.add_message(session, conversation_id="other", sender="user", text="elsewhere")
    stamped = crud.add_message(session, conversation_id="c1", sender="system", text="stamped")
    stamped.created_at = datetime(2026, 11, 21, 9, 30, 15, 123456, tzinfo=timezone.utc)
    session.commit()
    session.expire_all()

    messages = crud.list_messages(session, conversation_id="c1")
    assert [message.text for message in messages] == [*texts, "stamped"]
    assert messages[0].intent == "greet"
    assert messages[0].confidence == pytest.approx(0.93)
    assert messages[-1].created_at == datetime(2026, 11, 21, 9, 30, 15, 123456, tzinfo=timezone.utc)
    times = [message.created_at for message in messages[:-1]]
    assert times == sorted(times)
    assert all(time.tzinfo == timezone.utc for time in times)


def test_limit_keeps_the_latest_messages(session: Session) -> None:
    for number in range(6):
        crud.add_message(session, conversation_id="c1", sender="user", text=str(number))

    latest = crud.list_messages(session, conversation_id="c1", limit=3)

    assert [message.text for message in latest] == ["3", "4", "5"]


def test_text_length_limit(session: Session) -> None:
    crud.add_message(session, conversation_id="c1", sender="user", text="x" * 10_000)

    with pytest.raises(ValueError, match="10000"):
        crud.add_message(session, conversation_id="c1", sender="user", text="x" * 10_001)
    with pytest.raises(ValueError, match="sender"):
        crud.add_message(session, conversation_id="c1", sender="robot", text="hi")  # type: ignore[arg-type]
    assert len(crud.list_messages(session, conversation_id="c1")) == 1


def test_foreign_keys_are_enforced(session: Session) -> None:
    session.add(Message(conversation_id="missing", sender="user", text="orphan"))

    with pytest.raises(IntegrityError):
        session.flush()


def test_upsert_conversation(session: Session) -> None:
    context = {"slots": {"account_number": "30000001"}, "intents": ["check_balance"]}
    crud.upsert_conversation(
        session, conversation_id="c1", skill="billing", language="en", context=context
    )
    crud.upsert_conversation(session, conversation_id="c1", vulnerable=True, summary="bill")
    session.commit()
    session.expire_all()

    conversation = crud.get_conversation(session, conversation_id="c1")
    assert (conversation.skill, conversation.language) == ("billing", "en")
    assert (conversation.vulnerable, conversation.summary) == (True, "bill")
    assert conversation.context == context
    with pytest.raises(TypeError, match="colour"):
        crud.upsert_conversation(session, conversation_id="c1", colour="red")
    with pytest.raises(ValueError, match="state"):
        crud.upsert_conversation(session, conversation_id="c1", state="lost")
    assert crud.get_conversation(session, conversation_id="nope") is None


def test_state_changes_stamp_their_time(session: Session) -> None:
    queued_at = datetime(2026, 1, 2, 10, 0, tzinfo=timezone.utc)
    crud.ensure_conversation(session, conversation_id="c1")
    crud.move_conversation(
        session,
        conversation_id="c1",
        expected=["bot"],
        state="queued",
        at=queued_at,
        skill="network",
        reason="outage",
    )
    conversation = crud.move_conversation(
        session, conversation_id="c1", expected=["queued"], state="assigned", agent_username="alice"
    )
    assert (conversation.queued_at, conversation.skill, conversation.reason) == (
        queued_at,
        "network",
        "outage",
    )
    assert conversation.assigned_at > queued_at
    assert conversation.agent_username == "alice"

    conversation = crud.move_conversation(
        session, conversation_id="c1", expected=["assigned"], state="closed", owned_by="alice"
    )
    assert conversation.agent_username == "alice"  # who had it is kept
    assert conversation.closed_at is not None
    conversation = crud.move_conversation(
        session, conversation_id="c1", expected=["closed"], state="bot", **crud.FRESH_CONTACT
    )
    assert conversation.agent_username is None
    assert (conversation.skill, conversation.closed_at, conversation.queued_at) == (None,) * 3
    with pytest.raises(ValueError, match="agent_username"):
        crud.move_conversation(session, conversation_id="c1", expected=["bot"], state="assigned")


def test_a_move_from_a_state_the_conversation_is_not_in_changes_nothing(session: Session) -> None:
    crud.ensure_conversation(session, conversation_id="c1")
    crud.move_conversation(
        session, conversation_id="c1", expected=["bot"], state="assigned", agent_username="alice"
    )

    for wrong in (
        {"expected": ["bot", "queued"], "state": "queued"},  # not in an expected state
        {"expected": ["assigned"], "state": "closed", "owned_by": "bob"},  # not bob's
    ):
        with pytest.raises(crud.StateChangedError):
            crud.move_conversation(session, conversation_id="c1", **wrong)  # type: ignore[arg-type]
    with pytest.raises(crud.StateChangedError):
        crud.move_conversation(session, conversation_id="nope", expected=["bot"], state="queued")
    with pytest.raises(ValueError, match="state"):
        crud.move_conversation(session, conversation_id="c1", expected=["lost"], state="bot")  # type: ignore[list-item]
    with pytest.raises(TypeError, match="colour"):
        crud.move_conversation(
            session, conversation_id="c1", expected=["assigned"], state="closed", colour="red"
        )
    row = crud.get_conversation(session, conversation_id="c1")
    assert (row.state, row.agent_username) == ("assigned", "alice")


def test_unfinished_conversations_longest_waiting_first(session: Session) -> None:
    def at(minute: int) -> datetime:
        return datetime(2026, 11, 21, 10, minute, tzinfo=timezone.utc)

    for cid, state, queued in (
        ("late", "queued", 30), ("early", "queued", 5), ("taken", "assigned", 10),
        ("done", "closed", 1),
    ):  # fmt: skip
        crud.upsert_conversation(session, conversation_id=cid, state=state, queued_at=at(queued))
    crud.add_message(session, conversation_id="chatting", sender="user", text="hi")
    session.commit()

    unfinished = crud.list_unfinished_conversations(session)

    assert [row.id for row in unfinished] == ["early", "taken", "late"]


# -- handovers and tickets ----------------------------------------------------------------


def test_handover_lifecycle(session: Session) -> None:
    opened = crud.open_handover(session, conversation_id="c1", reason="customer_request")
    assert crud.open_handover(session, conversation_id="c1", reason="again") is opened

    accepted = crud.accept_handover(session, conversation_id="c1", agent_username="alice")
    assert accepted is opened
    assert accepted.accepted_by == "alice"
    assert accepted.accepted_at >= accepted.requested_at

    crud.end_handover(session, conversation_id="c1", outcome="requeued")
    second = crud.open_handover(session, conversation_id="c1", reason="requeued")
    crud.accept_handover(session, conversation_id="c1", agent_username="bob")
    ended = crud.end_handover(session, conversation_id="c1", outcome="handed_back")
    session.commit()

    assert ended is second
    assert ended.ended_at >= ended.accepted_at
    assert crud.end_handover(session, conversation_id="c1", outcome="closed") is None
    with pytest.raises(crud.NotFoundError):
        crud.accept_handover(session, conversation_id="c1", agent_username="alice")
    with pytest.raises(ValueError, match="outcome"):
        crud.end_handover(session, conversation_id="c1", outcome="lost")  # type: ignore[arg-type]
    rows = session.query(Handover).order_by(Handover.id).all()
    assert [(row.accepted_by, row.outcome) for row in rows] == [
        ("alice", "requeued"),
        ("bob", "handed_back"),
    ]


def test_ticket(session: Session) -> None:
    ticket = crud.add_ticket(
        session, conversation_id="c1", reference="TCK-000123", reason="no agent online"
    )
    session.commit()

    stored = session.get(Ticket, ticket.id)
    assert (stored.conversation_id, stored.reference) == ("c1", "TCK-000123")
    assert crud.get_conversation(session, conversation_id="c1").state == "bot"


# -- lists read in one query -------------------------------------------------------------


def test_conversations_and_their_customers_latest_words_by_id(session: Session) -> None:
    for cid in ("c1", "c2", "c3"):
        crud.upsert_conversation(session, conversation_id=cid, reason=f"why {cid}")
    crud.add_message(session, conversation_id="c1", sender="user", text="first")
    crud.add_message(session, conversation_id="c1", sender="user", text="second")
    crud.add_message(session, conversation_id="c1", sender="agent", text="an agent's line")
    crud.add_message(session, conversation_id="c2", sender="bot", text="only the bot spoke")
    session.commit()

    rows = crud.conversations_by_id(session, ids=["c1", "c3", "missing"])
    said = crud.latest_customer_messages(session, ids=["c1", "c2", "c3"])

    assert {cid: row.reason for cid, row in rows.items()} == {"c1": "why c1", "c3": "why c3"}
    assert {cid: message.text for cid, message in said.items()} == {"c1": "second"}
    assert crud.conversations_by_id(session, ids=[]) == {}
    assert crud.latest_customer_messages(session, ids=[]) == {}
