"""Customers' message ids: `messages.client_message_id`, unique within a conversation, so that a
message the widget sends again (its acknowledgement lost, a reconnect) is stored once.

Messages stored before keep no id (NULLs never collide in a unique index, on both databases).

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-29
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

INDEX = "uq_messages_conversation_id_client_message_id"


def upgrade() -> None:
    # A nullable column without a default: added in place on both databases.
    op.add_column("messages", sa.Column("client_message_id", sa.String(length=64), nullable=True))
    op.create_index(INDEX, "messages", ["conversation_id", "client_message_id"], unique=True)


def downgrade() -> None:
    op.drop_index(INDEX, table_name="messages")
    # Batch mode: SQLite before 3.35 cannot drop a column in place.
    with op.batch_alter_table("messages") as batch:
        batch.drop_column("client_message_id")
