"""Agent roles (agent, supervisor, admin) and sign-in sessions that logout revokes.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def _timestamp(name: str, *, nullable: bool = True) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    # Batch mode: SQLite cannot add a CHECK constraint to an existing table in place.
    with op.batch_alter_table("agents") as batch:
        # Existing agents become plain agents; the server default fills their rows.
        batch.add_column(
            sa.Column("role", sa.String(length=16), nullable=False, server_default="agent")
        )
        batch.create_check_constraint(
            op.f("ck_agents_role"), "role IN ('agent', 'supervisor', 'admin')"
        )
    op.create_table(
        "agent_sessions",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("agent_id", sa.Integer(), nullable=False),
        _timestamp("created_at", nullable=False),
        _timestamp("refreshed_at", nullable=False),
        _timestamp("expires_at", nullable=False),
        _timestamp("revoked_at"),
        sa.ForeignKeyConstraint(
            ["agent_id"],
            ["agents.id"],
            name=op.f("fk_agent_sessions_agent_id_agents"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agent_sessions")),
    )
    op.create_index(op.f("ix_agent_sessions_agent_id"), "agent_sessions", ["agent_id"])


def downgrade() -> None:
    op.drop_table("agent_sessions")
    with op.batch_alter_table("agents") as batch:
        batch.drop_constraint(op.f("ck_agents_role"), type_="check")
        batch.drop_column("role")
