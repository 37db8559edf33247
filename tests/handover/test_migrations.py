"""Alembic migrations, on SQLite and PostgreSQL."""

import subprocess
import sys
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text
from sqlalchemy.exc import IntegrityError

from handover.db import alembic_config, make_engine, migrate
from handover.models import Base

TABLES = {
    "agents", "agent_sessions", "conversations", "episodes", "messages", "handovers", "tickets",
    "conversation_notes", "conversation_labels", "conversation_events",
    "contact_facts", "wait_facts", "assignment_facts", "fact_watermarks",
    "session_facts", "misunderstood_texts", "inbox_states",
    "bot_models", "training_jobs", "rasa_servers", "rollout", "model_assignments", "trainer_audit",
    "message_flags",
}  # fmt: skip


def current_revision(url: str) -> str | None:
    engine = make_engine(url)
    with engine.connect() as connection:
        revision = MigrationContext.configure(connection).get_current_revision()
    engine.dispose()
    return revision


def test_upgrade_creates_every_table(empty_db_url: str) -> None:
    migrate(empty_db_url)
    migrate(empty_db_url)  # a second run has nothing to do

    engine = make_engine(empty_db_url)
    assert set(inspect(engine).get_table_names()) == TABLES | {"alembic_version"}
    engine.dispose()
    head = ScriptDirectory.from_config(alembic_config(empty_db_url)).get_current_head()
    assert current_revision(empty_db_url) == head


def test_migrated_schema_matches_the_models(empty_db_url: str) -> None:
    migrate(empty_db_url)

    engine = make_engine(empty_db_url)
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, Base.metadata)
    engine.dispose()
    assert differences == []


def test_downgrade_and_upgrade_again(empty_db_url: str) -> None:
    migrate(empty_db_url)
    command.downgrade(alembic_config(empty_db_url), "base")

    engine = make_engine(empty_db_url)
    assert set(inspect(engine).get_table_names()) == {"alembic_version"}
    engine.dispose()
    migrate(empty_db_url)
    assert current_revision(empty_db_url) is not None


def test_agents_of_0001_become_plain_agents_in_0002(empty_db_url: str) -> None:
    config = alembic_config(empty_db_url)
    engine = make_engine(empty_db_url)  # creates a SQLite file's folder
    command.upgrade(config, "0001")
    insert = (
        "INSERT INTO agents (username, display_name, password_hash, skills, capacity, status,"
        " created_at) VALUES (:name, :name, 'x', '[]', 1, 'offline', CURRENT_TIMESTAMP)"
    )
    with engine.begin() as connection:
        connection.execute(text(insert), {"name": "olde"})
    engine.dispose()

    command.upgrade(config, "0002")

    engine = make_engine(empty_db_url)
    with engine.connect() as connection:
        assert connection.execute(text("SELECT role FROM agents")).scalar_one() == "agent"
    with pytest.raises(IntegrityError), engine.begin() as connection:
        connection.execute(text("UPDATE agents SET role = 'root'"))
    engine.dispose()


def test_sqlite_folder_is_created(tmp_path: Path) -> None:
    database = tmp_path / "var" / "nested" / "handover.db"

    migrate(f"sqlite:///{database}")

    assert database.is_file()


def test_gateways_starting_together_migrate_once(empty_postgres_url: str) -> None:
    code = f"from handover.db import migrate; migrate({empty_postgres_url!r})"
    starts = [
        subprocess.Popen([sys.executable, "-c", code], stderr=subprocess.PIPE, text=True)
        for _ in range(3)
    ]
    errors = [start.communicate(timeout=60)[1] for start in starts]

    failures = [error for start, error in zip(starts, errors, strict=True) if start.returncode]

    assert failures == []
    assert current_revision(empty_postgres_url) is not None


def test_conversations_of_0002_become_first_episodes_in_0003(empty_db_url: str) -> None:
    config = alembic_config(empty_db_url)
    engine = make_engine(empty_db_url)
    command.upgrade(config, "0002")
    rows = [  # id, state, agent, satisfaction, what else it has
        ("closed-rated", "closed", "ada", 4, "handover"),
        ("with-ada", "assigned", "ada", None, "handover"),
        ("ticketed", "bot", None, None, "ticket"),
        ("chatted", "bot", None, None, "user"),
        ("page-view", "bot", None, None, ""),  # opened the widget, never wrote
    ]
    with engine.begin() as connection:
        for cid, state, agent, score, extra in rows:
            connection.execute(
                text(
                    "INSERT INTO conversations (id, state, agent_username, vulnerable, context,"
                    " created_at, closed_at, satisfaction) VALUES (:id, :state, :agent, false,"
                    " '{}', '2026-11-01 10:00:00', :closed, :score)"
                ),
                {"id": cid, "state": state, "agent": agent, "score": score,
                 "closed": "2026-11-01 10:30:00" if state == "closed" else None},
            )  # fmt: skip
            if extra == "handover":
                connection.execute(text(
                    "INSERT INTO handovers (conversation_id, reason, requested_at)"
                    " VALUES (:id, 'customer_request', '2026-11-01 10:05:00')"
                ), {"id": cid})  # fmt: skip
            elif extra == "ticket":
                connection.execute(text(
                    "INSERT INTO tickets (conversation_id, reference, created_at)"
                    " VALUES (:id, 'TCK-1', '2026-11-01 10:05:00')"
                ), {"id": cid})  # fmt: skip
            elif extra == "user":
                connection.execute(text(
                    "INSERT INTO messages (conversation_id, sender, text, created_at)"
                    " VALUES (:id, 'user', 'hi', '2026-11-01 10:01:00')"
                ), {"id": cid})  # fmt: skip
    engine.dispose()

    command.upgrade(config, "0003")

    engine = make_engine(empty_db_url)
    with engine.connect() as connection:
        episodes = connection.execute(text(
            "SELECT conversation_id, number, outcome, agent_username, satisfaction,"
            " ended_at IS NOT NULL FROM episodes ORDER BY conversation_id"
        )).all()  # fmt: skip
        linked = connection.execute(text(
            "SELECT h.conversation_id FROM handovers h JOIN episodes e ON e.id = h.episode_id"
            " UNION ALL SELECT t.conversation_id FROM tickets t"
            " JOIN episodes e ON e.id = t.episode_id ORDER BY 1"
        )).scalars().all()  # fmt: skip
    engine.dispose()
    assert [tuple(row) for row in episodes] == [
        ("chatted", 1, None, None, None, False),
        ("closed-rated", 1, "resolved_by_agent", "ada", 4, True),
        ("ticketed", 1, None, None, None, False),
        ("with-ada", 1, None, None, None, False),
    ]
    assert linked == ["closed-rated", "ticketed", "with-ada"]

    command.downgrade(config, "0002")

    engine = make_engine(empty_db_url)
    with engine.connect() as connection:
        kept = connection.execute(text(
            "SELECT id, satisfaction FROM conversations WHERE satisfaction IS NOT NULL"
        )).all()  # fmt: skip
    engine.dispose()
    assert [tuple(row) for row in kept] == [("closed-rated", 4)], "the rating comes back"


def test_trainers_come_with_0009_and_leave_as_managers(empty_db_url: str) -> None:
    config = alembic_config(empty_db_url)
    engine = make_engine(empty_db_url)
    command.upgrade(config, "0008")
    insert = text(
        "INSERT INTO agents (username, display_name, password_hash, skills, capacity, status,"
        " role, created_at) VALUES (:name, :name, 'x', '[]', 1, 'offline', :role,"
        " CURRENT_TIMESTAMP)"
    )
    with pytest.raises(IntegrityError), engine.begin() as connection:
        connection.execute(insert, {"name": "tess", "role": "trainer"})
    engine.dispose()

    command.upgrade(config, "0009")
    engine = make_engine(empty_db_url)
    with engine.begin() as connection:
        connection.execute(insert, {"name": "tess", "role": "trainer"})
        connection.execute(text(
            "INSERT INTO inbox_states (key, language, state, by, at)"
            " VALUES ('my bill', 'en', 'done', 'tess', CURRENT_TIMESTAMP)"
        ))  # fmt: skip
    with pytest.raises(IntegrityError), engine.begin() as connection:
        connection.execute(text("UPDATE inbox_states SET state = 'new'"))  # new is no row
    engine.dispose()

    command.downgrade(config, "0008")

    engine = make_engine(empty_db_url)
    with engine.connect() as connection:
        role = connection.execute(text("SELECT role FROM agents WHERE username = 'tess'"))
        assert role.scalar_one() == "manager", "no chats, no conversation: as a trainer"
    assert "inbox_states" not in inspect(engine).get_table_names()
    engine.dispose()
