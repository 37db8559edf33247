"""Initial tables: agents, conversations, messages, handovers, tickets.

Revision ID: 0001
Revises:
Create Date: 2026-11-21
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def _timestamp(name: str, *, nullable: bool = True) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def _conversation_fk(table: str) -> sa.ForeignKeyConstraint:
    name = op.f(f"fk_{table}_conversation_id_conversations")
    return sa.ForeignKeyConstraint(["conversation_id"], ["conversations.id"], name=name)


def upgrade() -> None:
    op.create_table(
        "agents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("display_name", sa.String(length=128), nullable=False),
        sa.Column("password_hash", sa.String(length=255), nullable=False),
        sa.Column("skills", sa.JSON(), nullable=False),
        sa.Column("capacity", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        _timestamp("created_at", nullable=False),
        sa.CheckConstraint(
            "status IN ('online', 'away', 'offline')", name=op.f("ck_agents_status")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agents")),
        sa.UniqueConstraint("username", name=op.f("uq_agents_username")),
    )
    op.create_table(
        "conversations",
        sa.Column("id", sa.String(length=128), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("agent_username", sa.String(length=64), nullable=True),
        sa.Column("skill", sa.String(length=32), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("language", sa.String(length=16), nullable=True),
        sa.Column("customer_id", sa.String(length=64), nullable=True),
        sa.Column("vulnerable", sa.Boolean(), nullable=False),
        sa.Column("summary", sa.Text(), nullable=True),
        sa.Column("context", sa.JSON(), nullable=False),
        _timestamp("created_at", nullable=False),
        _timestamp("queued_at"),
        _timestamp("assigned_at"),
        _timestamp("closed_at"),
        sa.Column("satisfaction", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "state IN ('bot', 'queued', 'assigned', 'closed')", name=op.f("ck_conversations_state")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_conversations")),
    )
    op.create_table(
        "messages",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("conversation_id", sa.String(length=128), nullable=False),
        sa.Column("sender", sa.String(length=16), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("agent_username", sa.String(length=64), nullable=True),
        sa.Column("intent", sa.String(length=128), nullable=True),
        sa.Column("confidence", sa.Float(), nullable=True),
        _timestamp("created_at", nullable=False),
        sa.CheckConstraint(
            "sender IN ('user', 'bot', 'agent', 'system')", name=op.f("ck_messages_sender")
        ),
        _conversation_fk("messages"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_messages")),
    )
    op.create_index("ix_messages_conversation_id_id", "messages", ["conversation_id", "id"])
    op.create_table(
        "handovers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("conversation_id", sa.String(length=128), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        _timestamp("requested_at", nullable=False),
        _timestamp("accepted_at"),
        sa.Column("accepted_by", sa.String(length=64), nullable=True),
        _timestamp("ended_at"),
        sa.Column("outcome", sa.String(length=16), nullable=True),
        sa.CheckConstraint(
            "outcome IN ('handed_back', 'closed', 'ticket', 'requeued')",
            name=op.f("ck_handovers_outcome"),
        ),
        _conversation_fk("handovers"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_handovers")),
    )
    op.create_index(op.f("ix_handovers_conversation_id"), "handovers", ["conversation_id"])
    op.create_table(
        "tickets",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("conversation_id", sa.String(length=128), nullable=False),
        sa.Column("reference", sa.String(length=64), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        _timestamp("created_at", nullable=False),
        _conversation_fk("tickets"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tickets")),
    )
    op.create_index(op.f("ix_tickets_conversation_id"), "tickets", ["conversation_id"])


def downgrade() -> None:
    for table in ("tickets", "handovers", "messages", "conversations", "agents"):
        # Dropping a table drops its indexes too, on SQLite and PostgreSQL.
        op.drop_table(table)
