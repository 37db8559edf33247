"""The manager role: reads reports and the dashboard, takes no chats.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-29
"""

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def _roles(listed: str) -> None:
    # Batch mode: SQLite cannot change a CHECK constraint in place.
    with op.batch_alter_table("agents") as batch:
        batch.drop_constraint(op.f("ck_agents_role"), type_="check")
        batch.create_check_constraint(op.f("ck_agents_role"), f"role IN ({listed})")


def upgrade() -> None:
    _roles("'agent', 'supervisor', 'admin', 'manager'")


def downgrade() -> None:
    # Supervisors would gain every conversation; agents at least see only their skills' queues.
    op.execute("UPDATE agents SET role = 'agent' WHERE role = 'manager'")
    _roles("'agent', 'supervisor', 'admin'")
