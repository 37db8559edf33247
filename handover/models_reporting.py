"""Rollup ("facts") tables the reports read instead of walking `conversation_events`.

`reporting.contact_facts.refresh` folds new events into them, contact by contact; each row is
what `reporting.kpis_contacts` finds walking that contact's events (docs/kpis.md, "Speed").
Times are Unix seconds (UTC) in `Float` columns, unlike the other tables: a period's rows
load many times faster than as timestamps (no parsing of each value), and `datetime.timestamp()`
gives the same float on every side, so period bounds compare exactly. Durations are seconds
computed from the events' timestamps. They hold customer ids: erasure and retention delete
them with the events.
Imported at the end of `handover.models`, so the metadata (and alembic) knows them.
"""

from sqlalchemy import Column, Float, Index, Integer, String

from handover.models import Base, UtcDateTime


def _key() -> tuple[Column, Column]:
    return (
        Column("conversation_id", String(128), primary_key=True),
        Column("episode", Integer, primary_key=True, autoincrement=False),
    )


class ContactFact(Base):
    """One contact, `(conversation_id, episode)`: when it opened, first queued and ended, and
    the columns the KPIs filter and group on. Times are None when no such event was recorded."""

    __tablename__ = "contact_facts"
    __table_args__ = (
        # Each KPI selects its period by one of these times (docs/kpis.md, "Attribution").
        Index("ix_contact_facts_opened_at", "opened_at"),
        Index("ix_contact_facts_queued_at", "queued_at"),
        Index("ix_contact_facts_ended_at", "ended_at"),
        # First-contact resolution looks for the customer's next contact; erasure by customer.
        Index("ix_contact_facts_customer_id_opened_at", "customer_id", "opened_at"),
        Index("ix_contact_facts_last_at", "last_at"),  # retention
    )

    conversation_id, episode = _key()
    customer_id = Column(String(64))
    language = Column(String(16))
    channel = Column(String(16), nullable=False)
    first_at = Column(Float, nullable=False)  # its first recorded event
    last_at = Column(Float, nullable=False)  # its last one
    opened_at = Column(Float)  # `started` or `reopened`
    queued_at = Column(Float)  # the first `queued`
    queued_skill = Column(String(32))
    queued_reason = Column(String(32))
    queue_seconds = Column(Float)  # from the opening to the first queueing, when both are known
    ended_at = Column(Float)  # the first `closed`, `ended` or `expired`
    ending_kind = Column(String(16))
    outcome = Column(String(24))
    ended_skill = Column(String(32))
    ended_agent = Column(String(64))
    score = Column(Integer)  # the customer's last rating


class WaitFact(Base):
    """One wait in a queue (`reporting.kpis_contacts.waits`), numbered within its contact."""

    __tablename__ = "wait_facts"
    __table_args__ = (Index("ix_wait_facts_began_at", "began_at"),)

    conversation_id, episode = _key()
    number = Column(Integer, primary_key=True, autoincrement=False)
    language = Column(String(16))
    channel = Column(String(16), nullable=False)
    began_at = Column(Float, nullable=False)
    begin_kind = Column(String(16), nullable=False)  # queued, requeued or transferred
    skill = Column(String(32))
    ended_at = Column(Float)  # None while it waits
    end_kind = Column(String(16))
    seconds = Column(Float)


class AssignmentFact(Base):
    """One agent's hold of a contact (`reporting.kpis_contacts.assignments`)."""

    __tablename__ = "assignment_facts"
    __table_args__ = (Index("ix_assignment_facts_began_at", "began_at"),)

    conversation_id, episode = _key()
    number = Column(Integer, primary_key=True, autoincrement=False)
    language = Column(String(16))
    channel = Column(String(16), nullable=False)
    agent = Column(String(64), nullable=False)
    began_at = Column(Float, nullable=False)
    skill = Column(String(32))
    ended_at = Column(Float)
    end_kind = Column(String(16))
    end_agent = Column(String(64))
    reply_seconds = Column(Float)  # to the agent's first reply, if they wrote
    handle_seconds = Column(Float)  # to the close (or customer's end) under this agent


class FactWatermark(Base):
    """How far each rollup has read its source: the last folded event id, by rollup name."""

    __tablename__ = "fact_watermarks"

    name = Column(String(32), primary_key=True)
    last_id = Column(Integer, nullable=False)
    updated_at = Column(UtcDateTime, nullable=False)
