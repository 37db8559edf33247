"""The trainer's model life (`trainer.tables`): the model registry, training jobs, the Rasa
servers and the model each holds, the roll-out, each conversation's model, the audit log, and
the customer messages agents flagged for the trainer.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-29
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

TIME = sa.DateTime(timezone=True)


def _check(table: str, name: str, condition: str) -> sa.CheckConstraint:
    return sa.CheckConstraint(condition, name=op.f(f"ck_{table}_{name}"))


def upgrade() -> None:
    op.create_table(
        "bot_models",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("file", sa.String(length=255), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("data_fingerprint", sa.String(length=64), nullable=False),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        sa.Column("author", sa.String(length=64), nullable=False),
        sa.Column("created_at", TIME, nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("job_id", sa.String(length=64), nullable=True),
        sa.Column("evaluation", sa.Text(), nullable=True),
        sa.Column("verdict", sa.String(length=8), nullable=True),
        sa.Column("summary", sa.Text(), nullable=True),
        _check("bot_models", "verdict", "verdict IN ('pass', 'fail')"),
        _check("bot_models", "source", "source IN ('trained', 'imported')"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bot_models")),
    )
    op.create_index(op.f("ix_bot_models_created_at"), "bot_models", ["created_at"])
    op.create_table(
        "training_jobs",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("author", sa.String(length=64), nullable=False),
        sa.Column("created_at", TIME, nullable=False),
        sa.Column("started_at", TIME, nullable=True),
        sa.Column("finished_at", TIME, nullable=True),
        sa.Column("stage", sa.String(length=32), nullable=False),
        sa.Column("progress", sa.Float(), nullable=False),
        sa.Column("log_file", sa.String(length=255), nullable=True),
        sa.Column("options", sa.Text(), nullable=False),
        sa.Column("model_id", sa.String(length=64), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        _check("training_jobs", "state", "state IN ('queued', 'running', 'succeeded', 'failed')"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_training_jobs")),
    )
    op.create_index(op.f("ix_training_jobs_created_at"), "training_jobs", ["created_at"])
    op.create_table(
        "rasa_servers",
        sa.Column("name", sa.String(length=16), nullable=False),
        sa.Column("model_id", sa.String(length=64), nullable=False),
        sa.Column("updated_at", TIME, nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_rasa_servers")),
    )
    op.create_table(
        "rollout",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("mode", sa.String(length=16), nullable=False),
        sa.Column("live_model", sa.String(length=64), nullable=False),
        sa.Column("live_server", sa.String(length=16), nullable=False),
        sa.Column("candidate_model", sa.String(length=64), nullable=True),
        sa.Column("candidate_server", sa.String(length=16), nullable=True),
        sa.Column("share", sa.Float(), nullable=False),
        sa.Column("started_at", TIME, nullable=True),
        sa.Column("updated_at", TIME, nullable=False),
        sa.Column("updated_by", sa.String(length=64), nullable=False),
        _check("rollout", "mode", "mode IN ('idle', 'canary')"),
        _check("rollout", "share", "share >= 0 AND share <= 1"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rollout")),
    )
    op.create_table(
        "model_assignments",
        sa.Column("conversation_id", sa.String(length=128), nullable=False),
        sa.Column("arm", sa.String(length=16), nullable=False),
        sa.Column("model_id", sa.String(length=64), nullable=False),
        sa.Column("server", sa.String(length=16), nullable=False),
        sa.Column("assigned_at", TIME, nullable=False),
        sa.Column("last_seen_at", TIME, nullable=False),
        sa.Column("messages", sa.Integer(), nullable=False),
        sa.Column("latency_ms", sa.Float(), nullable=False),
        _check("model_assignments", "arm", "arm IN ('live', 'candidate')"),
        sa.PrimaryKeyConstraint("conversation_id", name=op.f("pk_model_assignments")),
    )
    op.create_index(
        op.f("ix_model_assignments_model_id"), "model_assignments", ["model_id", "assigned_at"]
    )
    op.create_index(
        op.f("ix_model_assignments_last_seen_at"), "model_assignments", ["last_seen_at"]
    )
    op.create_table(
        "trainer_audit",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("at", TIME, nullable=False),
        sa.Column("actor", sa.String(length=64), nullable=False),
        sa.Column("action", sa.String(length=32), nullable=False),
        sa.Column("model_id", sa.String(length=64), nullable=True),
        sa.Column("details", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_trainer_audit")),
    )
    op.create_index(op.f("ix_trainer_audit_at"), "trainer_audit", ["at"])
    op.create_table(
        "message_flags",
        sa.Column("message_id", sa.Integer(), nullable=False),
        sa.Column("conversation_id", sa.String(length=128), nullable=False),
        sa.Column("flagged_by", sa.String(length=64), nullable=False),
        sa.Column("at", TIME, nullable=False),
        sa.ForeignKeyConstraint(
            ["message_id"],
            ["messages.id"],
            name=op.f("fk_message_flags_message_id_messages"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["conversation_id"],
            ["conversations.id"],
            name=op.f("fk_message_flags_conversation_id_conversations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("message_id", name=op.f("pk_message_flags")),
    )
    op.create_index(op.f("ix_message_flags_at"), "message_flags", ["at"])
    op.create_index(op.f("ix_message_flags_conversation_id"), "message_flags", ["conversation_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_message_flags_conversation_id"), table_name="message_flags")
    op.drop_index(op.f("ix_message_flags_at"), table_name="message_flags")
    op.drop_table("message_flags")
    op.drop_index(op.f("ix_trainer_audit_at"), table_name="trainer_audit")
    op.drop_table("trainer_audit")
    op.drop_index(op.f("ix_model_assignments_last_seen_at"), table_name="model_assignments")
    op.drop_index(op.f("ix_model_assignments_model_id"), table_name="model_assignments")
    op.drop_table("model_assignments")
    op.drop_table("rollout")
    op.drop_table("rasa_servers")
    op.drop_index(op.f("ix_training_jobs_created_at"), table_name="training_jobs")
    op.drop_table("training_jobs")
    op.drop_index(op.f("ix_bot_models_created_at"), table_name="bot_models")
    op.drop_table("bot_models")
