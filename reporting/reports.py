"""The report service: one function per resource of `/api/reports` (and of the benchmark).

Each takes the gateway's database session first (`hub.db` runs it in a worker thread), then
keywords: the Rasa events engine when the bot's figures are needed, a `Scope` (period and
filters) and its options. Each folds what is new into the facts tables first (cheap when
nothing is), loads the facts of its whole period once, and computes every figure from them;
rates and means of nothing are None. Customer texts (misunderstood messages) are redacted.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Literal
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.engine import Engine

from handover import crud
from handover.models import NO_CHAT_ROLES, SKILLS, Agent
from reporting import contact_counts, contact_facts, light_counts, session_facts
from reporting.bot_kpis import misunderstood as bot_misunderstood
from reporting.bot_kpis import top_requests as bot_top_requests
from reporting.buckets import Bucket
from reporting.facts import load_facts
from reporting.kpis import SCORES, Satisfaction
from reporting.kpis_agents import agent_table_of
from reporting.kpis_contacts import Db, Scope
from reporting.report_bot import NOT_MEASURED, bot_buckets, bot_figures, bot_groups, bot_rows
from reporting.report_figures import Light, figures
from reporting.report_tiles import TILES, Better, Unit

if TYPE_CHECKING:
    from handover.service import Hub

GroupBy = Literal["language", "channel", "skill"]
# The values each grouping lists, every one of them even when nothing happened.
GROUP_VALUES: dict[str, tuple[str, ...]] = {
    "language": ("en", "fr"),
    "channel": ("socketio", "rest"),
    "skill": SKILLS,
}
DEFAULT_TOP = 20
NOTHING = Light(contacts=0, transfer_rate=None, waiting_p50=None, csat=None)


@dataclass(frozen=True)
class Period:
    start: datetime
    end: datetime


@dataclass(frozen=True)
class Kpi:
    key: str
    label: str
    unit: Unit
    value: float | None
    previous: float | None
    better: Better
    basis: int | None  # what the value is computed over (the denominator, or the count)


@dataclass(frozen=True)
class Summary:
    period: Period
    previous: Period
    kpis: list[Kpi]


@dataclass(frozen=True)
class Point:
    start: datetime  # the bucket's start in the time zone asked for
    contacts: int
    sessions: int | None  # the bot's sessions with a request
    containment: float | None
    transfer_rate: float | None
    waiting_p50: float | None
    csat: float | None


@dataclass(frozen=True)
class Series:
    bucket: Bucket
    tz: str
    points: list[Point]


@dataclass(frozen=True)
class AgentLine:
    agent: str
    name: str | None
    chats: int
    handle_time: float | None
    csat: float | None
    ratings: int
    first_response_p50: float | None


@dataclass(frozen=True)
class ReasonLine:
    reason: str
    contacts: int
    rate: float | None


@dataclass(frozen=True)
class RequestLine:
    request: str
    sessions: int


@dataclass(frozen=True)
class MisunderstoodLine:
    text: str  # redacted
    count: int


@dataclass(frozen=True)
class GroupLine:
    value: str
    contacts: int
    containment: float | None
    transfer_rate: float | None
    waiting_p50: float | None
    csat: float | None


@dataclass(frozen=True)
class Breakdown:
    by: GroupBy
    rows: list[GroupLine]


@dataclass(frozen=True)
class CsatPart:
    mean: float | None
    responses: int
    ended: int
    response_rate: float | None
    scores: dict[str, int]  # "1" to "5": number of ratings


@dataclass(frozen=True)
class CsatReport:
    overall: CsatPart
    bot: CsatPart
    agent: CsatPart


@dataclass(frozen=True)
class Live:
    queue_length: int
    agents_online: int
    chats_in_progress: int
    at: datetime


def refresh(db: Db, events: Engine | None = None) -> None:
    """Fold the events recorded since the last request into the facts tables: the gateway's
    always, Rasa's when the report reads the bot's figures."""
    if events is not None:
        # First: it writes through connections of its own, which SQLite would make wait for
        # this session's write lock.
        session_facts.refresh(db, events)
    contact_facts.refresh(db)
    db.commit()  # the report's reads then hold no write lock


def previous(scope: Scope) -> Scope:
    """The period of the same length just before `scope`'s, with the same filters."""
    return replace(scope, start=scope.start - (scope.end - scope.start), end=scope.start)


def summary(db: Db, *, events: Engine, scope: Scope, now: datetime | None = None) -> Summary:
    """Every tile's KPI for the period and for the period of the same length before it."""
    refresh(db, events)
    before = previous(scope)
    current, past = (
        figures(db, part, bot_figures(bot_rows(db, part, now=now)), now=now)
        for part in (scope, before)
    )
    kpis = []
    for tile in TILES:
        value, basis = tile.read(current)
        kpis.append(
            Kpi(tile.key, tile.label, tile.unit, value, tile.read(past)[0], tile.better, basis)
        )
    return Summary(Period(scope.start, scope.end), Period(before.start, before.end), kpis)


def series(db: Db, *, events: Engine, scope: Scope, bucket: Bucket, tz: ZoneInfo) -> Series:
    """The period's hours or days in `tz`, each with its figures; every bucket is listed."""
    refresh(db, events)
    gateway = light_counts.by_bucket(db, scope, bucket, tz)
    bots = bot_buckets(bot_rows(db, scope, buckets=(bucket, tz.key)), scope, bucket, tz.key)
    points = []
    for start, found in gateway.items():
        bot = bots.get(start.astimezone(timezone.utc), NOT_MEASURED)
        points.append(
            Point(
                start=start,
                contacts=found.contacts,
                sessions=bot.sessions,
                containment=bot.containment.rate if bot.containment else None,
                transfer_rate=found.transfer_rate,
                waiting_p50=found.waiting_p50,
                csat=found.csat,
            )
        )
    return Series(bucket, tz.key, points)


def agents(db: Db, *, scope: Scope) -> list[AgentLine]:
    """One line per agent who was given a contact, or had one end, in the period."""
    refresh(db)
    names = dict(db.execute(select(Agent.username, Agent.display_name)).all())
    return [
        AgentLine(
            row.agent,
            names.get(row.agent),
            row.chats,
            row.handle_time,
            row.csat,
            row.ratings,
            row.first_response_p50,
        )  # fmt: skip
        for row in agent_table_of(load_facts(db, scope, ("served", "assignments")))
    ]


def transfer_reasons(db: Db, *, scope: Scope) -> list[ReasonLine]:
    """Contacts queued for a person by the reason of their first queueing, most first; each
    rate is of every contact opened, so they add up to the transfer rate."""
    refresh(db)
    reasons = contact_counts.transfer_rate(db, scope).by_reason
    lines = [ReasonLine(reason, share.part, share.rate) for reason, share in reasons.items()]
    return sorted(lines, key=lambda line: (-line.contacts, line.reason))


def top_requests(
    db: Db, *, events: Engine, scope: Scope, limit: int = DEFAULT_TOP
) -> list[RequestLine]:
    """The requests the bot's sessions asked for, with the number of sessions, most first
    (none with a skill filter: Rasa's sessions have no skill)."""
    refresh(db, events)
    found = bot_top_requests(db, scope, top=limit) if scope.skill is None else []
    return [RequestLine(request, sessions) for request, sessions in found]


def misunderstood(
    db: Db, *, events: Engine, scope: Scope, limit: int = DEFAULT_TOP
) -> list[MisunderstoodLine]:
    """The messages the NLU could not place, grouped, redacted, most frequent first (none with
    a skill filter)."""
    refresh(db, events)
    if scope.skill is not None:
        return []
    return [MisunderstoodLine(g.text, g.count) for g in bot_misunderstood(db, scope, top=limit)]


def breakdown(db: Db, *, events: Engine, scope: Scope, by: GroupBy) -> Breakdown:
    """The main figures for each language, channel or skill (every value listed; the bot's
    containment by language and channel only). By skill, a row counts the contacts queued
    for it or ended in it, and has no transfer rate: a contact has a skill once transferred."""
    refresh(db, events)
    groups = light_counts.by_group(db, scope, by)
    bots = bot_groups(bot_rows(db, scope), by)
    rows = []
    for value in GROUP_VALUES[by]:
        found = groups.get(value, NOTHING)
        bot = bots.get(value, NOT_MEASURED)
        rows.append(
            GroupLine(
                value=value,
                contacts=found.contacts,
                containment=bot.containment.rate if bot.containment else None,
                transfer_rate=found.transfer_rate if by != "skill" else None,
                waiting_p50=found.waiting_p50,
                csat=found.csat,
            )
        )
    return Breakdown(by, rows)


def _csat_part(found: Satisfaction) -> CsatPart:
    return CsatPart(
        mean=found.mean,
        responses=found.rated.part,
        ended=found.ended,
        response_rate=found.rated.rate,
        scores={str(score): found.distribution.get(score, 0) for score in SCORES},
    )


def csat(db: Db, *, scope: Scope) -> CsatReport:
    """Satisfaction of the contacts that ended in the period: all, bot-only, with an agent."""
    refresh(db)
    found = contact_counts.csat(db, scope)
    return CsatReport(
        overall=_csat_part(found.overall),
        bot=_csat_part(found.by_segment["bot"]),
        agent=_csat_part(found.by_segment["agent"]),
    )


async def live(hub: Hub) -> Live:
    """The queue's length, the agents online and the chats they have, now (from routing's
    state store, as the supervisors' overview; managers are never agents here)."""
    queued = await hub.store.queue()
    team = [a for a in await hub.db(crud.list_agents) if a.role not in NO_CHAT_ROLES]
    held = [len(await hub.store.assigned_to(agent.username)) for agent in team]
    return Live(
        queue_length=len(queued),
        agents_online=sum(agent.status == "online" for agent in team),
        chats_in_progress=sum(held),
        at=datetime.fromtimestamp(hub.lifecycle.clock(), tz=timezone.utc),
    )
