"""The trainer role (reads the trainer's inbox and labels messages, takes no chats) and
`inbox_states`: what the trainer made of each misunderstood text (`trainer.states`).

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-21
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

TABLE = "inbox_states"
ROLES = "'agent', 'supervisor', 'admin', 'manager'"


def _roles(listed: str) -> None:
    # Batch mode: SQLite cannot change a CHECK constraint in place.
    with op.batch_alter_table("agents") as batch:
        batch.drop_constraint(op.f("ck_agents_role"), type_="check")
        batch.create_check_constraint(op.f("ck_agents_role"), f"role IN ({listed})")


def upgrade() -> None:
    _roles(f"{ROLES}, 'trainer'")
    op.create_table(
        TABLE,
        sa.Column("key", sa.String(length=512), nullable=False),
        sa.Column("language", sa.String(length=16), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("by", sa.String(length=64), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("state IN ('done', 'ignored')", name=op.f(f"ck_{TABLE}_state")),
        sa.PrimaryKeyConstraint("key", "language", name=op.f(f"pk_{TABLE}")),
    )
    op.create_index(op.f(f"ix_{TABLE}_at"), TABLE, ["at"])


def downgrade() -> None:
    op.drop_index(op.f(f"ix_{TABLE}_at"), table_name=TABLE)
    op.drop_table(TABLE)
    # A manager, as a trainer, takes no chats and sees no conversation: an agent would.
    op.execute("UPDATE agents SET role = 'manager' WHERE role = 'trainer'")
    _roles(ROLES)
