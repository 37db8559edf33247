"""The bot's containment and NLU fallback rate over a period [start, end) (docs/kpis.md).

Containment joins the two histories: Rasa's sessions (`reporting.bot_facts`, from
`rasa_events`) and the gateway's contacts (`reporting.kpis_contacts`, from
`conversation_events`). They may live in different databases, so each is read on its own and
the join runs here, keyed by id (Rasa's `sender_id` is the gateway's `conversation_id`) and
decided by time: a conversation has many sessions and many contacts, and a queueing belongs
to the session whose window [first event, last event] holds it.

A session belongs to the period it started in; the filters apply to its own facts (the
channel of its first message, its last `language` slot), as Rasa saw them.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.engine import Engine

from reporting.bot_facts import SESSION_EXPIRY, SessionFacts, bot_sessions
from reporting.events import WIDGET
from reporting.kpis import Ratio, ratio
from reporting.kpis_contacts import Contact, Db, Scope, load_contacts

# Channels whose hand-overs go through the gateway, where its rows say what happened; on the
# others (Rasa's REST channel) the bot's own events are all there is.
GATEWAY_CHANNELS = frozenset({WIDGET})
UNKNOWN = "unknown"  # the group of sessions without a channel or language


@dataclass(frozen=True)
class Containment:
    """Sessions begun in the period with at least one request, and how each ended.

    Every such session is exactly one of `contained`, `escalated_to_person` or `ticketed` (a
    ticket wins over a person: nobody took the chat). `rate` is contained / sessions with a
    request, None when there were none; `by_channel` and `by_language` give the same ratio
    per value (`UNKNOWN` when Rasa had none).
    """

    sessions_with_request: int
    contained: int
    rate: float | None
    escalated_to_person: int
    ticketed: int
    by_channel: dict[str, Ratio]
    by_language: dict[str, Ratio]


@dataclass(frozen=True)
class _Outcome:
    session: SessionFacts
    person: bool
    ticket: bool

    @property
    def contained(self) -> bool:
        return not (self.person or self.ticket)


def containment(
    gateway_db: Db,
    events_engine: Engine,
    *,
    start: datetime,
    end: datetime,
    language: str | None = None,
    channel: str | None = None,
) -> Containment:
    """Sessions with a request that ended without a person or a ticket / those sessions."""
    sessions = [
        s
        for s in _sessions(events_engine, start, end, language, channel)
        if s.requests  # a greeting alone asked nothing of the bot
    ]
    joined = _contacts_by_conversation(gateway_db, start, end, sessions)
    outcomes = [_outcome(s, joined.get(s.sender_id, ())) for s in sessions]
    contained = sum(o.contained for o in outcomes)
    ticketed = sum(o.ticket for o in outcomes)
    return Containment(
        sessions_with_request=len(outcomes),
        contained=contained,
        rate=ratio(contained, len(outcomes)).rate,
        escalated_to_person=len(outcomes) - contained - ticketed,
        ticketed=ticketed,
        by_channel=_grouped(outcomes, lambda s: s.channel),
        by_language=_grouped(outcomes, lambda s: s.language),
    )


def nlu_fallback_rate(
    events_engine: Engine,
    *,
    start: datetime,
    end: datetime,
    language: str | None = None,
    channel: str | None = None,
) -> Ratio:
    """Customer messages the NLU could not place / customer messages, over the sessions
    begun in the period (all of them: a misunderstood greeting is still a miss)."""
    sessions = _sessions(events_engine, start, end, language, channel)
    return ratio(sum(s.fallbacks for s in sessions), sum(s.user_messages for s in sessions))


def _sessions(
    engine: Engine, start: datetime, end: datetime, language: str | None, channel: str | None
) -> list[SessionFacts]:
    return [
        s
        for s in bot_sessions(engine, start=start, end=end)
        if (language is None or s.language == language)
        and (channel is None or s.channel == channel)
    ]


def _contacts_by_conversation(
    db: Db, start: datetime, end: datetime, sessions: Iterable[SessionFacts]
) -> dict[str, list[Contact]]:
    """The gateway's contacts of the sessions' conversations that reach the gateway."""
    wanted = {s.sender_id for s in sessions if s.channel in GATEWAY_CHANNELS}
    if not wanted:
        return {}  # no need to read the gateway's history
    # bot_sessions reads each session whole up to SESSION_EXPIRY past the end, so a queueing
    # within a session's window is a row of [start, end + SESSION_EXPIRY); load_contacts
    # brings every row of the contacts it touches, endings that came later included.
    found: dict[str, list[Contact]] = defaultdict(list)
    for contact in load_contacts(db, Scope(start, end + SESSION_EXPIRY)):
        if contact.conversation_id in wanted:
            found[contact.conversation_id].append(contact)
    return found


def _outcome(session: SessionFacts, contacts: Iterable[Contact]) -> _Outcome:
    """Whether a person or a ticket took the session over (docs/kpis.md, "Containment")."""
    queued = [
        contact
        for contact in contacts
        if any(
            row.kind == "queued" and session.started <= row.at <= session.ended
            for row in contact.rows
        )
    ]
    # A queue expires long after the bot's last event: the contact's ending, whenever it came.
    expired = any(
        contact.ending is not None and contact.ending.kind == "expired" for contact in queued
    )
    return _Outcome(
        session=session,
        person=bool(queued) or session.asked_for_person,
        ticket=session.bot_ticket or expired,
    )


def _grouped(
    outcomes: list[_Outcome], key: Callable[[SessionFacts], str | None]
) -> dict[str, Ratio]:
    groups: dict[str, list[_Outcome]] = defaultdict(list)
    for outcome in outcomes:
        groups[key(outcome.session) or UNKNOWN].append(outcome)
    return {
        value: ratio(sum(o.contained for o in members), len(members))
        for value, members in sorted(groups.items())
    }
