"""`/api/reports`: who may read it, how its filters are refused, its CSV files, and the live
figures (SQLite and PostgreSQL). The figures themselves: test_api_reports_figures.py."""

# Fixtures come from reports_gateway: arguments of those names are them.
# ruff: noqa: F811

from __future__ import annotations

import csv
import io
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import get_args

import pytest
import requests
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from handover import crud
from handover.api.report_query import Channel, Language, Skill, report_filters
from handover.config import HandoverSettings
from handover.db import make_engine, session_factory, session_scope
from handover.main import create_app
from handover.models import SKILLS
from reporting.reports import GROUP_VALUES
from tests.handover.reports_gateway import (  # noqa: F401
    PEOPLE,
    client,
    events_engine,
    record,
    reports_db,
    said_to_rasa,
    tokens,
)
from tests.handover.test_api import BOT, gateway, login, served
from tests.reporting.test_bot_facts import DAY, answered, said, session, when

JSON_PATHS = ["summary", "series", "agents", "transfer-reasons", "top-requests",
              "misunderstood", "breakdown", "csat", "live"]  # fmt: skip
CSV_PATHS = ["agents.csv", "transfer-reasons.csv", "top-requests.csv", "misunderstood.csv",
             "breakdown.csv", "series.csv"]  # fmt: skip
WEEK = {"start": "2026-11-01T00:00:00+00:00", "end": "2026-11-08T00:00:00+00:00"}


def test_the_schema_lists_every_report_with_its_answer(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    listed = sorted(path.removeprefix("/api/reports/") for path in paths if "/reports/" in path)
    assert listed == sorted(JSON_PATHS + CSV_PATHS)
    summary = paths["/api/reports/summary"]["get"]
    assert summary["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
    assert {"401", "403", "422"} <= set(summary["responses"])
    assert "text/csv" in paths["/api/reports/agents.csv"]["get"]["responses"]["200"]["content"]


def test_managers_supervisors_and_admins_read_reports_agents_do_not(
    client: TestClient, tokens: dict[str, dict[str, str]]
) -> None:
    forged = {"Authorization": "Bearer not-a-token"}
    for path in JSON_PATHS + CSV_PATHS:
        url = f"/api/reports/{path}"
        for headers in ({}, forged):
            answer = client.get(url, headers=headers)
            assert answer.status_code == 401, url
            assert answer.headers["WWW-Authenticate"] == "Bearer"
        answer = client.get(url, headers=tokens["ann"])
        assert (answer.status_code, answer.json()) == (
            403, {"detail": "managers, supervisors and admins only"},
        ), url  # fmt: skip
        for name in ("max", "sue", "adam"):
            assert client.get(url, headers=tokens[name]).status_code == 200, (url, name)


@pytest.mark.parametrize(
    ("query", "where", "says"),
    [
        ({"start": "2026-11-01T00:00:00"}, "start", "needs a UTC offset"),
        ({"start": "yesterday"}, "start", "datetime"),
        ({"start": "0001-01-01T00:00:00+00:00"}, "start", "years 2000 to 2099"),
        ({**WEEK, "end": WEEK["start"]}, "end", "end must be after start"),
        ({"start": "2026-11-02T00:00:00+00:00", "end": "2026-11-01T00:00:00+00:00"}, "end",
         "end must be after start"),
        ({"start": "2025-01-01T00:00:00+00:00", "end": "2026-01-03T00:00:00+00:00"}, "start",
         "longer than 366 days"),
        ({"language": "de"}, "language", "permitted"),
        ({"channel": "web"}, "channel", "permitted"),
        ({"skill": "astrology"}, "skill", "permitted"),
        ({"tz": "Mars/Olympus_Mons"}, "tz", "unknown time zone"),
        ({"tz": "../../etc/passwd"}, "tz", "unknown time zone"),
        ({"tz": "x" * 65}, "tz", "at most 64"),
    ],
)  # fmt: skip
def test_bad_filters_get_422_saying_why(
    client: TestClient,
    tokens: dict[str, dict[str, str]],
    query: dict[str, str],
    where: str,
    says: str,
) -> None:
    for path in ("summary", "agents.csv", "csat"):
        answer = client.get(f"/api/reports/{path}", params=query, headers=tokens["max"])
        assert answer.status_code == 422, (path, answer.text)
        (problem,) = answer.json()["detail"]
        assert problem["loc"] == ["query", where]
        assert says in problem["msg"], problem


def test_buckets_and_groupings_are_checked_too(
    client: TestClient, tokens: dict[str, dict[str, str]]
) -> None:
    max_ = tokens["max"]
    # 32 days: days are fine, hours are not (at most 31 days of hours: 744 points).
    month = {"start": "2026-10-01T00:00:00+00:00", "end": "2026-11-02T00:00:00+00:00"}
    assert client.get("/api/reports/series", params=month, headers=max_).status_code == 200
    for path in ("series", "series.csv"):
        answer = client.get(f"/api/reports/{path}", params={**month, "bucket": "hour"},
                            headers=max_)  # fmt: skip
        assert answer.status_code == 422
        assert answer.json()["detail"][0]["msg"] == "hour buckets need a period of at most 31 days"
    hours = {**month, "start": "2026-10-02T00:00:00+00:00", "bucket": "hour"}
    assert len(client.get("/api/reports/series", params=hours, headers=max_).json()["points"]) == (
        31 * 24
    )
    for path, query in (("series", {"bucket": "minute"}), ("breakdown", {"by": "agent"}),
                        ("top-requests", {"limit": 0}), ("misunderstood", {"limit": 101})):  # fmt: skip
        assert client.get(f"/api/reports/{path}", params=query, headers=max_).status_code == 422


def test_the_filters_values_are_those_the_reports_list() -> None:
    # The query's literals are written out for the schema; the grouping values come from the
    # models: a new skill or channel must be added to both.
    assert get_args(Skill) == SKILLS == GROUP_VALUES["skill"]
    assert get_args(Language) == GROUP_VALUES["language"]
    assert get_args(Channel) == GROUP_VALUES["channel"]


def test_the_default_period_is_the_last_seven_days() -> None:
    filters = report_filters(None, None, None, None, None, "UTC")
    assert filters.scope.end - filters.scope.start == timedelta(days=7)
    only_end = report_filters(None, DAY, None, None, None, "UTC")  # type: ignore[arg-type]
    assert (only_end.scope.start, only_end.scope.end) == (DAY - timedelta(days=7), DAY)


def settings_for(url: str) -> HandoverSettings:
    return HandoverSettings(database_url=url, rasa_url="http://127.0.0.1:9")


def rows_of(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def as_csv(item: dict[str, object]) -> dict[str, str]:
    return {key: "" if value is None else str(value) for key, value in item.items()}


def test_csv_files_hold_the_json_rows_with_formulas_defused(
    client: TestClient,
    tokens: dict[str, dict[str, str]],
    reports_db: str,
    events_engine: Engine,
) -> None:
    # Ann (displayed "=Ann") closed a billing chat; a customer typed a formula the bot missed.
    ann = {"agent": "ann", "skill": "billing"}
    record(reports_db, "c1", (when(600), "started", {}),
           (when(601), "queued", {"reason": "customer_request", "skill": "billing"}),
           (when(603), "assigned", ann), (when(604), "agent_replied", ann),
           (when(613), "closed", {**ann, "outcome": "resolved_by_agent"}),
           (when(614), "rated", {"score": 5}))  # fmt: skip
    said_to_rasa(events_engine, {"rest-1": [
        *session(700), said("=HYPERLINK(\"http://x\")", "nlu_fallback", 701),
        answered("utter_ask_rephrase", 701), said("@SUM(1)", "nlu_fallback", 702),
        said("where is my order", "track_order", 703),
    ]})  # fmt: skip
    max_ = tokens["max"]
    query = {**WEEK, "tz": "Europe/Paris"}

    answer = client.get("/api/reports/agents.csv", params=query, headers=max_)

    assert answer.headers["content-type"] == "text/csv; charset=utf-8"
    # The period's first and last dates in Paris: 1 November 01:00 to 8 November 01:00.
    assert answer.headers["content-disposition"] == (
        'attachment; filename="agents-2026-11-01_2026-11-08.csv"'
    )
    (line,) = rows_of(answer.text)
    (row,) = client.get("/api/reports/agents", params=query, headers=max_).json()["rows"]
    assert row["name"] == "=Ann" and line == {**as_csv(row), "name": "'=Ann"}
    assert answer.text.splitlines()[0] == (
        "agent,name,chats,handle_time,csat,ratings,first_response_p50"
    )
    missed = rows_of(client.get("/api/reports/misunderstood.csv", params=query,
                                headers=max_).text)  # fmt: skip
    assert sorted(line["text"] for line in missed) == ['\'=HYPERLINK("http://x")', "'@SUM(1)"]
    for path, key in (("transfer-reasons", "rows"), ("top-requests", "rows"),
                      ("breakdown", "rows"), ("series", "points")):  # fmt: skip
        listed = client.get(f"/api/reports/{path}", params=query, headers=max_).json()[key]
        lines = rows_of(client.get(f"/api/reports/{path}.csv", params=query, headers=max_).text)
        assert listed and lines == [as_csv(item) for item in listed], path


def test_live_figures_change_when_a_customer_joins_the_queue(
    client: TestClient, tokens: dict[str, dict[str, str]], reports_db: str
) -> None:
    with session_scope(session_factory(make_engine(reports_db))) as session:
        crud.upsert_conversation(session, conversation_id="chat-1")
    # Signed in: ann (agent), sue and adam (who take chats too); max manages, so is not counted.
    before = client.get("/api/reports/live", headers=tokens["max"]).json()
    assert {k: before[k] for k in ("queue_length", "agents_online", "chats_in_progress")} == {
        "queue_length": 0, "agents_online": 3, "chats_in_progress": 0,
    }  # fmt: skip
    body = {"conversation_id": "chat-1", "reason": "customer_request", "context": {}}
    assert client.post("/api/handover", json=body, headers=BOT).json()["status"] == "queued"

    after = client.get("/api/reports/live", headers=tokens["max"]).json()

    assert after["queue_length"] == 1 and after["at"] >= before["at"]
    client.post("/api/conversations/chat-1/accept", headers=tokens["ann"]).raise_for_status()
    now = client.get("/api/reports/live", headers=tokens["sue"]).json()
    assert (now["queue_length"], now["chats_in_progress"]) == (0, 1)


def test_the_dashboards_requests_at_once_all_answer(reports_db: str, events_engine: Engine) -> None:
    # The dashboard asks for every report together: each request folds what is new first, so
    # the refreshes meet (on SQLite, one writer at a time). New rows arrive between rounds.
    with gateway(reports_db) as app_client:
        token = login(app_client, "max")
    paths = [*JSON_PATHS, *CSV_PATHS]
    with served(create_app(settings_for(reports_db))) as url, ThreadPoolExecutor(8) as pool:
        for round_ in range(3):
            record(reports_db, f"c{round_}", (when(600 + round_), "started", {}))
            said_to_rasa(events_engine, {f"r{round_}": [*session(700 + round_),
                         said("where is my order", "track_order", 701 + round_)]})  # fmt: skip

            def fetch(path: str) -> int:
                answer = requests.get(f"{url}/api/reports/{path}", params=WEEK, headers=token,
                                      timeout=30)  # fmt: skip
                return answer.status_code

            assert list(pool.map(fetch, paths)) == [200] * len(paths)
        found = requests.get(f"{url}/api/reports/summary", params=WEEK, headers=token, timeout=30)
    contacts = next(k for k in found.json()["kpis"] if k["key"] == "contacts")
    assert contacts["value"] == 3
