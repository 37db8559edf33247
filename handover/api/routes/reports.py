"""The reports: KPIs of a period as JSON, the tables as CSV too, and the live figures.

Managers, supervisors and admins (`REPORTING_ROLES`); agents get 403, callers without a valid
token 401. Every route takes the same filters (`handover.api.report_query`): the period, the
language, channel and skill, and the time zone of buckets and file names. Figures come from
`reporting.reports`; definitions in docs/kpis.md.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field
from sqlalchemy.engine import Engine

from handover.api.deps import CurrentReporter, HubDep
from handover.api.report_query import Filters, ReportFilters, check_hours, csv_response
from handover.api.responses import AUTHENTICATED, problem
from handover.service import Hub
from reporting import reports
from reporting.buckets import Bucket
from reporting.report_tiles import Better, Unit

router = APIRouter(
    prefix="/api/reports",
    tags=["reports"],
    responses={**AUTHENTICATED, 403: problem("Managers, supervisors and admins only")},
)
Top = Annotated[int, Query(ge=1, le=100, description="how many lines at most")]
GroupBy = Literal["language", "channel", "skill"]
CSV = {
    200: {
        "content": {"text/csv": {"schema": {"type": "string"}}},
        "description": "A CSV file: a header row of the JSON keys, then the rows",
    }
}


class Period(BaseModel):
    start: datetime
    end: datetime


class Kpi(BaseModel):
    key: str
    label: str
    unit: Unit = Field(..., description="ratio (0 to 1), seconds, score (1 to 5) or count")
    value: float | None = Field(..., description="null when there is nothing to divide")
    previous: float | None = Field(..., description="the same KPI over the previous period")
    better: Better
    basis: int | None = Field(..., description="what the value is computed over")


class Summary(BaseModel):
    period: Period
    previous: Period
    kpis: list[Kpi]


class Point(BaseModel):
    start: datetime = Field(..., description="the bucket's start, in the time zone asked for")
    contacts: int
    sessions: int | None = Field(..., description="the bot's sessions with a request")
    containment: float | None
    transfer_rate: float | None
    waiting_p50: float | None
    csat: float | None


class Series(BaseModel):
    bucket: Bucket
    tz: str
    points: list[Point]


class AgentLine(BaseModel):
    agent: str
    name: str | None
    chats: int
    handle_time: float | None
    csat: float | None
    ratings: int
    first_response_p50: float | None


class Agents(BaseModel):
    rows: list[AgentLine]


class ReasonLine(BaseModel):
    reason: str
    contacts: int
    rate: float | None = Field(..., description="of every contact opened")


class Reasons(BaseModel):
    rows: list[ReasonLine]


class RequestLine(BaseModel):
    request: str
    sessions: int


class Requests(BaseModel):
    rows: list[RequestLine]


class MisunderstoodLine(BaseModel):
    text: str = Field(..., description="redacted")
    count: int


class Misunderstood(BaseModel):
    rows: list[MisunderstoodLine]


class GroupLine(BaseModel):
    value: str
    contacts: int
    containment: float | None
    transfer_rate: float | None
    waiting_p50: float | None
    csat: float | None


class Breakdown(BaseModel):
    by: GroupBy
    rows: list[GroupLine]


class CsatPart(BaseModel):
    mean: float | None
    responses: int
    ended: int
    response_rate: float | None
    scores: dict[str, int] = Field(..., description='"1" to "5": the number of ratings')


class Csat(BaseModel):
    overall: CsatPart
    bot: CsatPart
    agent: CsatPart


class Live(BaseModel):
    queue_length: int
    agents_online: int
    chats_in_progress: int
    at: datetime


def _events(request: Request) -> Engine:
    """Rasa's events database (`REPORTING_EVENTS_URL`), built once in `create_app`."""
    return request.app.state.reporting_events


def _rows(lines: list[Any]) -> list[dict[str, Any]]:
    return [asdict(line) for line in lines]


async def _series(hub: Hub, request: Request, filters: Filters, bucket: Bucket) -> dict[str, Any]:
    check_hours(filters, bucket)
    found = await hub.db(reports.series, events=_events(request), scope=filters.scope,
                         bucket=bucket, tz=filters.tz)  # fmt: skip
    return asdict(found)


async def _breakdown(hub: Hub, request: Request, filters: Filters, by: GroupBy) -> dict[str, Any]:
    found = await hub.db(reports.breakdown, events=_events(request), scope=filters.scope, by=by)
    return asdict(found)


@router.get("/summary", response_model=Summary)
async def summary(
    _: CurrentReporter, hub: HubDep, request: Request, filters: ReportFilters
) -> dict[str, Any]:
    """The headline KPIs of the period, each with its value over the period of the same
    length just before (`previous`), which way is better, and its basis."""
    found = await hub.db(reports.summary, events=_events(request), scope=filters.scope)
    return asdict(found)


@router.get("/series", response_model=Series)
async def series(
    _: CurrentReporter, hub: HubDep, request: Request, filters: ReportFilters,
    bucket: Bucket = "day",
) -> dict[str, Any]:  # fmt: skip
    """The period's days or hours (hours for periods of 31 days at most) in `tz`, every one
    listed, each with its contacts, bot sessions, containment, transfer rate, median wait and
    CSAT."""
    return await _series(hub, request, filters, bucket)


@router.get("/agents", response_model=Agents)
async def agents(_: CurrentReporter, hub: HubDep, filters: ReportFilters) -> dict[str, Any]:
    """Per agent: chats given in the period, average handle time, CSAT and its number of
    ratings, median first response time."""
    return {"rows": _rows(await hub.db(reports.agents, scope=filters.scope))}


@router.get("/transfer-reasons", response_model=Reasons)
async def transfer_reasons(
    _: CurrentReporter, hub: HubDep, filters: ReportFilters
) -> dict[str, Any]:
    """Contacts handed to a person, by the reason of their first queueing."""
    return {"rows": _rows(await hub.db(reports.transfer_reasons, scope=filters.scope))}


@router.get("/top-requests", response_model=Requests)
async def top_requests(
    _: CurrentReporter, hub: HubDep, request: Request, filters: ReportFilters, limit: Top = 20
) -> dict[str, Any]:
    """What customers asked the bot for, by number of sessions."""
    found = await hub.db(reports.top_requests, events=_events(request), scope=filters.scope,
                         limit=limit)  # fmt: skip
    return {"rows": _rows(found)}


@router.get("/misunderstood", response_model=Misunderstood)
async def misunderstood(
    _: CurrentReporter, hub: HubDep, request: Request, filters: ReportFilters, limit: Top = 20
) -> dict[str, Any]:
    """The messages the bot did not understand, grouped and redacted, most frequent first."""
    found = await hub.db(reports.misunderstood, events=_events(request), scope=filters.scope,
                         limit=limit)  # fmt: skip
    return {"rows": _rows(found)}


@router.get("/breakdown", response_model=Breakdown)
async def breakdown(
    _: CurrentReporter, hub: HubDep, request: Request, filters: ReportFilters,
    by: GroupBy = "language",
) -> dict[str, Any]:  # fmt: skip
    """The main figures for each language, channel or skill (every value listed)."""
    return await _breakdown(hub, request, filters, by)


@router.get("/csat", response_model=Csat)
async def csat(_: CurrentReporter, hub: HubDep, filters: ReportFilters) -> dict[str, Any]:
    """Satisfaction of the contacts that ended in the period: overall, bot-only, with an
    agent: mean, responses, response rate and the number of each score."""
    return asdict(await hub.db(reports.csat, scope=filters.scope))


@router.get("/live", response_model=Live)
async def live(_: CurrentReporter, hub: HubDep) -> dict[str, Any]:
    """Now: customers waiting, agents online, chats in progress. The `/agent` socket's
    `overview_changed` says when to ask again."""
    return asdict(await reports.live(hub))


# The tables as CSV files: the same filters, the JSON keys as the header row.


@router.get("/agents.csv", response_class=Response, responses=CSV)
async def agents_csv(_: CurrentReporter, hub: HubDep, filters: ReportFilters) -> Response:
    rows = _rows(await hub.db(reports.agents, scope=filters.scope))
    return csv_response(rows, list(AgentLine.__fields__), filters.filename("agents"))


@router.get("/transfer-reasons.csv", response_class=Response, responses=CSV)
async def transfer_reasons_csv(_: CurrentReporter, hub: HubDep, filters: ReportFilters) -> Response:
    rows = _rows(await hub.db(reports.transfer_reasons, scope=filters.scope))
    return csv_response(rows, list(ReasonLine.__fields__), filters.filename("transfer-reasons"))


@router.get("/top-requests.csv", response_class=Response, responses=CSV)
async def top_requests_csv(
    _: CurrentReporter, hub: HubDep, request: Request, filters: ReportFilters, limit: Top = 20
) -> Response:
    found = await hub.db(reports.top_requests, events=_events(request), scope=filters.scope,
                         limit=limit)  # fmt: skip
    return csv_response(
        _rows(found), list(RequestLine.__fields__), filters.filename("top-requests")
    )


@router.get("/misunderstood.csv", response_class=Response, responses=CSV)
async def misunderstood_csv(
    _: CurrentReporter, hub: HubDep, request: Request, filters: ReportFilters, limit: Top = 20
) -> Response:
    found = await hub.db(reports.misunderstood, events=_events(request), scope=filters.scope,
                         limit=limit)  # fmt: skip
    return csv_response(
        _rows(found), list(MisunderstoodLine.__fields__), filters.filename("misunderstood")
    )


@router.get("/breakdown.csv", response_class=Response, responses=CSV)
async def breakdown_csv(
    _: CurrentReporter, hub: HubDep, request: Request, filters: ReportFilters,
    by: GroupBy = "language",
) -> Response:  # fmt: skip
    found = await _breakdown(hub, request, filters, by)
    name = filters.filename(f"breakdown-{by}")
    return csv_response(found["rows"], list(GroupLine.__fields__), name)


@router.get("/series.csv", response_class=Response, responses=CSV)
async def series_csv(
    _: CurrentReporter, hub: HubDep, request: Request, filters: ReportFilters,
    bucket: Bucket = "day",
) -> Response:  # fmt: skip
    found = await _series(hub, request, filters, bucket)
    name = filters.filename(f"series-{bucket}")
    return csv_response(found["points"], list(Point.__fields__), name)
