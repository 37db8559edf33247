"""Session facts: the rollup of Rasa's events (`rasa_events`) the bot's KPIs read: one row per
Rasa session the customer wrote in, and the redacted texts of the messages the NLU could not
place (`reporting.session_tables`). Empty at first: `reporting.session_facts.refresh` builds
them; its watermark is the "session_facts" row of `fact_watermarks` (0007).

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-29
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

INDEXES = {
    "session_facts": {
        "ix_session_facts_started": ["started"],
        "ix_session_facts_sender_id_started": ["sender_id", "started"],
        "ix_session_facts_customer_id_started": ["customer_id", "started"],
        "ix_session_facts_customer_id_request": ["customer_id", "first_request", "started"],
    },
    "misunderstood_texts": {
        "ix_misunderstood_texts_started": ["started"],
        "ix_misunderstood_texts_sender_id": ["sender_id"],
    },
}


def _time(name: str, nullable: bool = False) -> sa.Column:
    # Epoch seconds, as in rasa_events.
    return sa.Column(name, sa.Float(), nullable=nullable)


def _text(name: str, length: int) -> sa.Column:
    return sa.Column(name, sa.String(length=length), nullable=True)


def _flag(name: str) -> sa.Column:
    return sa.Column(name, sa.Boolean(), nullable=False)


def upgrade() -> None:
    op.create_table(
        "session_facts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sender_id", sa.String(length=255), nullable=False),
        _time("started"),
        sa.Column("quarter", sa.Integer(), nullable=False),
        _time("first_message"),
        _time("ended"),
        _text("channel", 64),
        _text("language", 16),
        _text("customer_id", 255),
        _text("first_request", 128),
        sa.Column("requests", sa.Text(), nullable=False),
        sa.Column("user_messages", sa.Integer(), nullable=False),
        sa.Column("fallbacks", sa.Integer(), nullable=False),
        _flag("asked_for_person"),
        _flag("bot_ticket"),
        _flag("verified"),
        _flag("unanswered"),
        _flag("gateway_queued"),
        _flag("gateway_expired"),
        _time("next_by_sender", nullable=True),
        _time("next_by_customer", nullable=True),
        _time("next_same_request", nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_session_facts")),
    )
    op.create_table(
        "misunderstood_texts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sender_id", sa.String(length=255), nullable=False),
        _time("started"),
        _time("at"),
        _text("channel", 64),
        _text("language", 16),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("folded", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_misunderstood_texts")),
    )
    for table, indexes in INDEXES.items():
        for name, columns in indexes.items():
            op.create_index(op.f(name), table, columns)


def downgrade() -> None:
    for table, indexes in INDEXES.items():
        for name in indexes:
            op.drop_index(op.f(name), table_name=table)
        op.drop_table(table)
