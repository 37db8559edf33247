"""The tables of the trainer's model life: the registry of models, training jobs, the roll-out,
which model each Rasa server holds, which model each conversation was given, and the audit log.

`message_flags` holds which customer messages an agent flagged for the trainer from the
console: a reference to the message, never a copy of its words (they stay in `messages`, redacted
there, and go with it: erasure and retention delete the flags of the messages they delete).

Declared on the gateway's metadata (`handover.models.Base`, which imports this module at its
end); migration 0010 creates them. No row holds a customer's words: `model_assignments` names
conversations only (erasure and retention delete their rows with the conversation's).
"""

from __future__ import annotations

from typing import Literal, get_args

from sqlalchemy import (
    CheckConstraint,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
)

from handover.models import Base, UtcDateTime

ModelVerdict = Literal["pass", "fail"]
JobState = Literal["queued", "running", "succeeded", "failed"]
Arm = Literal["live", "candidate"]
RolloutMode = Literal["idle", "canary"]
JOB_STATES: tuple[JobState, ...] = get_args(JobState)
ACTIVE_JOB_STATES: tuple[JobState, ...] = ("queued", "running")
ARMS: tuple[Arm, ...] = get_args(Arm)
ROLLOUT_MODES: tuple[RolloutMode, ...] = get_args(RolloutMode)
MAX_ID = 64
MAX_BY = 64  # as agents.username
MAX_SERVER = 16
MAX_CONVERSATION = 128  # as conversations.id
ROLLOUT_ROW = 1  # `rollout` has one row

BOT_MODELS = Table(
    "bot_models",
    Base.metadata,
    # The file's stem in the registry folder, e.g. "20261129-131700-3f2a9c".
    Column("id", String(MAX_ID), primary_key=True),
    Column("file", String(255), nullable=False),
    # sha256 of the model file: what Rasa's model server ETag carries.
    Column("sha256", String(64), nullable=False),
    # sha256 over what trained it (config, domain, data files): two models of the same data match.
    Column("data_fingerprint", String(64), nullable=False),
    Column("size_bytes", Integer, nullable=False),
    Column("author", String(MAX_BY), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    # "trained" by a job, "imported" from a file (make model, the CLI).
    Column("source", String(16), nullable=False),
    Column("job_id", String(MAX_ID)),
    # The evaluation report (JSON, `trainer.evaluation`), its verdict against the live model.
    Column("evaluation", Text),
    Column("verdict", String(8)),
    Column("summary", Text),
    CheckConstraint("verdict IN ('pass', 'fail')", name="verdict"),
    CheckConstraint("source IN ('trained', 'imported')", name="source"),
    Index("ix_bot_models_created_at", "created_at"),
)

TRAINING_JOBS = Table(
    "training_jobs",
    Base.metadata,
    Column("id", String(MAX_ID), primary_key=True),
    Column("state", String(16), nullable=False),
    Column("author", String(MAX_BY), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("started_at", UtcDateTime),
    Column("finished_at", UtcDateTime),
    # What it is doing now ("queued", "training", "evaluating", "done") and how far, 0 to 1.
    Column("stage", String(32), nullable=False),
    Column("progress", Float, nullable=False),
    Column("log_file", String(255)),
    # JSON: what to train from (data folder, config, domain, fine-tuning), as asked.
    Column("options", Text, nullable=False),
    Column("model_id", String(MAX_ID)),
    Column("error", Text),
    CheckConstraint("state IN ('queued', 'running', 'succeeded', 'failed')", name="state"),
    Index("ix_training_jobs_created_at", "created_at"),
)

# Which model each Rasa server holds: what the model server hands it (`GET /api/bot/models/..`).
RASA_SERVERS = Table(
    "rasa_servers",
    Base.metadata,
    Column("name", String(MAX_SERVER), primary_key=True),
    Column("model_id", String(MAX_ID), nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
)

ROLLOUT = Table(
    "rollout",
    Base.metadata,
    Column("id", Integer, primary_key=True),
    Column("mode", String(16), nullable=False),
    Column("live_model", String(MAX_ID), nullable=False),
    Column("live_server", String(MAX_SERVER), nullable=False),
    Column("candidate_model", String(MAX_ID)),
    Column("candidate_server", String(MAX_SERVER)),
    # The share of new conversations the candidate takes, 0 to 1.
    Column("share", Float, nullable=False),
    Column("started_at", UtcDateTime),
    Column("updated_at", UtcDateTime, nullable=False),
    Column("updated_by", String(MAX_BY), nullable=False),
    CheckConstraint("mode IN ('idle', 'canary')", name="mode"),
    CheckConstraint("share >= 0 AND share <= 1", name="share"),
)

# The model a conversation was given at its start: it keeps it until its session ends.
MODEL_ASSIGNMENTS = Table(
    "model_assignments",
    Base.metadata,
    Column("conversation_id", String(MAX_CONVERSATION), primary_key=True),
    Column("arm", String(16), nullable=False),
    Column("model_id", String(MAX_ID), nullable=False),
    Column("server", String(MAX_SERVER), nullable=False),
    Column("assigned_at", UtcDateTime, nullable=False),
    Column("last_seen_at", UtcDateTime, nullable=False),
    # Messages answered and their total time, for the arms' latency.
    Column("messages", Integer, nullable=False),
    Column("latency_ms", Float, nullable=False),
    CheckConstraint("arm IN ('live', 'candidate')", name="arm"),
    Index("ix_model_assignments_model_id", "model_id", "assigned_at"),
    Index("ix_model_assignments_last_seen_at", "last_seen_at"),
)

TRAINER_AUDIT = Table(
    "trainer_audit",
    Base.metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", UtcDateTime, nullable=False),
    # A username, or "system" for the automatic canary decisions.
    Column("actor", String(MAX_BY), nullable=False),
    Column("action", String(32), nullable=False),
    Column("model_id", String(MAX_ID)),
    Column("details", Text),  # JSON
    Index("ix_trainer_audit_at", "at"),
)

# A customer message an agent flagged from the console as misunderstood by the bot.
MESSAGE_FLAGS = Table(
    "message_flags",
    Base.metadata,
    Column(
        "message_id",
        Integer,
        ForeignKey("messages.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column(
        "conversation_id",
        String(MAX_CONVERSATION),
        ForeignKey("conversations.id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("flagged_by", String(MAX_BY), nullable=False),
    Column("at", UtcDateTime, nullable=False),
    Index("ix_message_flags_at", "at"),
    Index("ix_message_flags_conversation_id", "conversation_id"),
)
