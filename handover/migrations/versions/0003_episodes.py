"""Episodes: one row per contact of a conversation, so that a closed conversation can reopen.

Each existing conversation the customer wrote in (or that reached a person, a ticket or a
rating) becomes episode 1; a closed one is that episode ended by its agent. Handovers and
tickets point to their episode, and handovers keep the queue (skill) they waited in. The
rating moves from the conversation to its episode.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-05
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

OUTCOMES = "'resolved_by_bot', 'resolved_by_agent', 'ended_by_customer', 'abandoned', 'ticket'"
REASONS = "'resolved', 'not_resolved', 'duplicate', 'spam'"
LINKED = ("handovers", "tickets")

FIRST_EPISODES = """
INSERT INTO episodes (conversation_id, number, started_at, ended_at, outcome, agent_username,
                      satisfaction)
SELECT c.id, 1, c.created_at,
       CASE WHEN c.state = 'closed' THEN COALESCE(c.closed_at, c.created_at) END,
       CASE WHEN c.state = 'closed' THEN 'resolved_by_agent' END,
       CASE WHEN c.state = 'closed' THEN c.agent_username END,
       c.satisfaction
FROM conversations c
WHERE c.state <> 'bot' OR c.satisfaction IS NOT NULL
   OR EXISTS (SELECT 1 FROM messages m WHERE m.conversation_id = c.id AND m.sender = 'user')
   OR EXISTS (SELECT 1 FROM handovers h WHERE h.conversation_id = c.id)
   OR EXISTS (SELECT 1 FROM tickets t WHERE t.conversation_id = c.id)
"""


def _timestamp(name: str, *, nullable: bool = True) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "episodes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("conversation_id", sa.String(length=128), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        _timestamp("started_at", nullable=False),
        _timestamp("ended_at"),
        sa.Column("outcome", sa.String(length=24), nullable=True),
        sa.Column("agent_username", sa.String(length=64), nullable=True),
        sa.Column("wrap_up", sa.String(length=16), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("satisfaction", sa.Integer(), nullable=True),
        sa.CheckConstraint(f"outcome IN ({OUTCOMES})", name=op.f("ck_episodes_outcome")),
        sa.CheckConstraint(f"wrap_up IN ({REASONS})", name=op.f("ck_episodes_wrap_up")),
        sa.CheckConstraint(
            "satisfaction BETWEEN 1 AND 5",
            name=op.f("ck_episodes_satisfaction"),
        ),
        sa.ForeignKeyConstraint(
            ["conversation_id"],
            ["conversations.id"],
            name=op.f("fk_episodes_conversation_id_conversations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_episodes")),
        sa.UniqueConstraint(
            "conversation_id", "number", name=op.f("uq_episodes_conversation_id_number")
        ),
    )
    for table in LINKED:
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("episode_id", sa.Integer(), nullable=True))
            if table == "handovers":
                batch.add_column(sa.Column("skill", sa.String(length=32), nullable=True))
            batch.create_index(op.f(f"ix_{table}_episode_id"), ["episode_id"])
            batch.create_foreign_key(
                op.f(f"fk_{table}_episode_id_episodes"),
                "episodes",
                ["episode_id"],
                ["id"],
                ondelete="CASCADE",
            )
    op.execute(FIRST_EPISODES)
    for table in LINKED:
        op.execute(
            f"UPDATE {table} SET episode_id = (SELECT e.id FROM episodes e"
            f" WHERE e.conversation_id = {table}.conversation_id AND e.number = 1)"
        )
    with op.batch_alter_table("conversations") as batch:
        batch.drop_column("satisfaction")


def downgrade() -> None:
    with op.batch_alter_table("conversations") as batch:
        batch.add_column(sa.Column("satisfaction", sa.Integer(), nullable=True))
    # The latest contact's rating is the one the conversation kept before episodes.
    op.execute(
        "UPDATE conversations SET satisfaction = (SELECT e.satisfaction FROM episodes e"
        " WHERE e.conversation_id = conversations.id ORDER BY e.number DESC LIMIT 1)"
    )
    for table in LINKED:
        with op.batch_alter_table(table) as batch:
            batch.drop_constraint(op.f(f"fk_{table}_episode_id_episodes"), type_="foreignkey")
            batch.drop_index(op.f(f"ix_{table}_episode_id"))
            batch.drop_column("episode_id")
            if table == "handovers":
                batch.drop_column("skill")
    op.drop_table("episodes")
