"""Conversation events: one row per lifecycle event (and agent's first reply), for reports.

Flat columns and no free text (`reporting.events`). `conversation_id` is indexed but not a
foreign key: retention deletes these rows by age and erasure by customer, each on its own.
The table starts empty: the lifecycle events of the past were never kept.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-19
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

TABLE = "conversation_events"
KINDS = (
    "'started', 'queued', 'assigned', 'transferred', 'handed_back', 'requeued', 'closed',"
    " 'ended', 'expired', 'reopened', 'rated', 'agent_replied'"
)
OUTCOMES = "'resolved_by_bot', 'resolved_by_agent', 'ended_by_customer', 'abandoned', 'ticket'"
REASONS = "'resolved', 'not_resolved', 'duplicate', 'spam'"
INDEXES = {
    "at": ["at"],
    "kind_at": ["kind", "at"],
    "conversation_id_at": ["conversation_id", "at"],
    "customer_id_at": ["customer_id", "at"],
}


def _text(name: str, length: int) -> sa.Column:
    return sa.Column(name, sa.String(length=length), nullable=True)


def upgrade() -> None:
    op.create_table(
        TABLE,
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("conversation_id", sa.String(length=128), nullable=False),
        sa.Column("episode", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        _text("customer_id", 64),
        _text("language", 16),
        sa.Column("channel", sa.String(length=16), server_default="socketio", nullable=False),
        _text("skill", 32),
        _text("reason", 32),
        _text("agent", 64),
        _text("to_agent", 64),
        _text("outcome", 24),
        _text("wrap_up", 16),
        sa.Column("score", sa.Integer(), nullable=True),
        _text("supervisor", 64),
        sa.CheckConstraint(f"kind IN ({KINDS})", name=op.f(f"ck_{TABLE}_kind")),
        sa.CheckConstraint(f"outcome IN ({OUTCOMES})", name=op.f(f"ck_{TABLE}_outcome")),
        sa.CheckConstraint(f"wrap_up IN ({REASONS})", name=op.f(f"ck_{TABLE}_wrap_up")),
        sa.CheckConstraint("score BETWEEN 1 AND 5", name=op.f(f"ck_{TABLE}_score")),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{TABLE}")),
    )
    for name, columns in INDEXES.items():
        op.create_index(op.f(f"ix_{TABLE}_{name}"), TABLE, columns)


def downgrade() -> None:
    for name in INDEXES:
        op.drop_index(op.f(f"ix_{TABLE}_{name}"), table_name=TABLE)
    op.drop_table(TABLE)
