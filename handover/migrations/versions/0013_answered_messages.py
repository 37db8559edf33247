"""`messages.answered_at`: when the bot answered a customer's message, so that a message whose
gateway stopped between storing and answering it is found and answered after a restart
(`handover.recovery`). Messages stored before keep it empty; recovery looks only at recent
ones the bot never followed.

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-29
"""

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


INDEX = "ix_messages_created_at"


def upgrade() -> None:
    op.add_column("messages", sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True))
    # Every gateway looks at the last hour's messages every 15 s: without it, a full scan.
    op.create_index(INDEX, "messages", ["created_at"])


def downgrade() -> None:
    op.drop_index(INDEX, table_name="messages")
    with op.batch_alter_table("messages") as batch:
        batch.drop_column("answered_at")
