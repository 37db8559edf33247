"""Contact facts: the rollup of `conversation_events` the gateway KPIs read (docs/kpis.md,
"Speed"): one row per contact, per wait and per assignment, and the watermark of the last
folded event. Empty at first: `reporting.contact_facts.refresh` builds them from the events.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-29
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

INDEXES = {
    "contact_facts": {
        "opened_at": ["opened_at"],
        "queued_at": ["queued_at"],
        "ended_at": ["ended_at"],
        "customer_id_opened_at": ["customer_id", "opened_at"],
        "last_at": ["last_at"],
    },
    "wait_facts": {"began_at": ["began_at"]},
    "assignment_facts": {"began_at": ["began_at"]},
}


def _time(name: str, nullable: bool = True) -> sa.Column:
    # Unix seconds: loading a period's facts skips parsing each timestamp (models_reporting).
    return sa.Column(name, sa.Float(), nullable=nullable)


def _text(name: str, length: int, nullable: bool = True) -> sa.Column:
    return sa.Column(name, sa.String(length=length), nullable=nullable)


def _contact(*numbered: sa.Column) -> list[sa.Column]:
    return [
        _text("conversation_id", 128, nullable=False),
        sa.Column("episode", sa.Integer(), nullable=False),
        *numbered,
        _text("language", 16),
        _text("channel", 16, nullable=False),
    ]


def upgrade() -> None:
    op.create_table(
        "contact_facts",
        *_contact(),
        _text("customer_id", 64),
        _time("first_at", nullable=False),
        _time("last_at", nullable=False),
        _time("opened_at"),
        _time("queued_at"),
        _text("queued_skill", 32),
        _text("queued_reason", 32),
        sa.Column("queue_seconds", sa.Float(), nullable=True),
        _time("ended_at"),
        _text("ending_kind", 16),
        _text("outcome", 24),
        _text("ended_skill", 32),
        _text("ended_agent", 64),
        sa.Column("score", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("conversation_id", "episode", name=op.f("pk_contact_facts")),
    )
    op.create_table(
        "wait_facts",
        *_contact(sa.Column("number", sa.Integer(), nullable=False)),
        _time("began_at", nullable=False),
        _text("begin_kind", 16, nullable=False),
        _text("skill", 32),
        _time("ended_at"),
        _text("end_kind", 16),
        sa.Column("seconds", sa.Float(), nullable=True),
        sa.PrimaryKeyConstraint("conversation_id", "episode", "number", name=op.f("pk_wait_facts")),
    )
    op.create_table(
        "assignment_facts",
        *_contact(sa.Column("number", sa.Integer(), nullable=False)),
        _text("agent", 64, nullable=False),
        _time("began_at", nullable=False),
        _text("skill", 32),
        _time("ended_at"),
        _text("end_kind", 16),
        _text("end_agent", 64),
        sa.Column("reply_seconds", sa.Float(), nullable=True),
        sa.Column("handle_seconds", sa.Float(), nullable=True),
        sa.PrimaryKeyConstraint(
            "conversation_id", "episode", "number", name=op.f("pk_assignment_facts")
        ),
    )
    op.create_table(
        "fact_watermarks",
        _text("name", 32, nullable=False),
        sa.Column("last_id", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_fact_watermarks")),
    )
    for table, indexes in INDEXES.items():
        for name, columns in indexes.items():
            op.create_index(op.f(f"ix_{table}_{name}"), table, columns)


def downgrade() -> None:
    for table, indexes in INDEXES.items():
        for name in indexes:
            op.drop_index(op.f(f"ix_{table}_{name}"), table_name=table)
    for table in ("fact_watermarks", "assignment_facts", "wait_facts", "contact_facts"):
        op.drop_table(table)
