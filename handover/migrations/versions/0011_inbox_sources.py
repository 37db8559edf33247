"""Why each message is in the trainer's inbox, and what the NLU made of it: `source`, `intent`
and `confidence` on `misunderstood_texts` (`reporting.nlu_misses`).

The reports' fold fills them for the Rasa events it folds from now on. Rows folded before keep
them empty: the inbox counts them as fallbacks (out-of-scope messages among them too) with no
intent shown, until the fold replaces them (it replaces a sender's rows whenever that sender
writes again) or retention deletes them.

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-29
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

TABLE = "misunderstood_texts"


def upgrade() -> None:
    # Nullable columns without defaults: added in place on both databases, no table rebuilt.
    op.add_column(TABLE, sa.Column("source", sa.String(length=16), nullable=True))
    op.add_column(TABLE, sa.Column("intent", sa.String(length=128), nullable=True))
    op.add_column(TABLE, sa.Column("confidence", sa.Float(), nullable=True))


def downgrade() -> None:
    # Batch mode: SQLite before 3.35 cannot drop a column in place.
    with op.batch_alter_table(TABLE) as batch:
        batch.drop_column("confidence")
        batch.drop_column("intent")
        batch.drop_column("source")
