"""`/api/reports`' figures on a hand-built history (the gateway's rows and Rasa's events), worked
out here and checked against the KPI functions themselves (SQLite and PostgreSQL). Times are
minutes of 2 November 2026 (`when`); the week is 1 to 8 November, the previous one 25 October
to 1 November."""

# Fixtures come from reports_gateway: arguments of those names are them.
# ruff: noqa: F811

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from handover.db import make_engine, session_factory, session_scope
from privacy.redaction import redact
from reporting import bot_kpis, containment, kpis, kpis_agents
from reporting.kpis_contacts import Scope
from tests.handover.reports_gateway import (  # noqa: F401
    client,
    events_engine,
    record,
    reports_db,
    said_to_rasa,
    tokens,
)
from tests.reporting.test_bot_facts import answered, ran, said, session, slot, when

WEEK = {"start": "2026-11-01T00:00:00+00:00", "end": "2026-11-08T00:00:00+00:00"}
SCOPE = Scope(
    datetime(2026, 11, 1, tzinfo=timezone.utc), datetime(2026, 11, 8, tzinfo=timezone.utc)
)
MISSED = "ma box ne marche pas, écrivez à jean@example.com"
ANN = {"agent": "ann"}
BEFORE = -5 * 1440  # 28 October, in the previous week


def history(url: str, events: Engine) -> None:
    """Three contacts this week and one the week before; three bot sessions this week."""
    record(url, "c1", (when(600), "started", {}),
           (when(601), "queued", {"reason": "customer_request", "skill": "billing"}),
           (when(603), "assigned", {**ANN, "skill": "billing"}),
           (when(604), "agent_replied", ANN),
           (when(613), "closed", {**ANN, "skill": "billing", "outcome": "resolved_by_agent"}),
           (when(614), "rated", {"score": 5}), customer_id="CUS-1")  # fmt: skip
    record(url, "c2", (when(660), "started", {}),
           (when(661), "queued", {"reason": "repeated_fallback", "skill": "orders"}),
           (when(666), "ended", {"outcome": "abandoned", "skill": "orders"}),
           customer_id="CUS-2", language="fr")  # fmt: skip
    record(url, "c3", (when(720), "started", {}),
           (when(725), "ended", {"outcome": "resolved_by_bot"}),
           (when(726), "rated", {"score": 4}), customer_id="CUS-3")  # fmt: skip
    b = BEFORE + 600
    record(url, "c4", (when(b), "started", {}),
           (when(b + 1), "queued", {"reason": "customer_request", "skill": "billing"}),
           (when(b + 5), "assigned", {**ANN, "skill": "billing"}),
           (when(b + 7), "agent_replied", ANN),
           (when(b + 20), "closed", {**ANN, "skill": "billing", "outcome": "resolved_by_agent"}),
           (when(b + 21), "rated", {"score": 3}), customer_id="CUS-4")  # fmt: skip
    said_to_rasa(events, {
        "rest-bill": [
            *session(540), said("hi", "greet", 541),
            said("how much do I owe", "check_bill_balance", 542), slot("language", "en", 542),
            answered("utter_balance_due", 542), said("thanks", "thank", 543),
            answered("utter_you_are_welcome", 543),
        ],
        "c1": [
            *session(598), said("I want a person", "request_human", 599, "socketio"),
            slot("language", "en", 599), ran("action_handover", 601),
            answered("utter_handover_queued", 601),
        ],
        "w-miss": [
            *session(700), said(MISSED, "nlu_fallback", 701, "socketio"),
            slot("language", "fr", 701), answered("utter_ask_rephrase", 701),
            said("où est ma commande", "track_order", 702, "socketio"),
            answered("utter_order_status", 702),
        ],
    })  # fmt: skip


@pytest.fixture
def built(client: TestClient, reports_db: str, events_engine: Engine) -> TestClient:
    history(reports_db, events_engine)
    return client


def get(client: TestClient, token: dict[str, str], path: str, **query: Any) -> Any:
    answer = client.get(f"/api/reports/{path}", params={**WEEK, **query}, headers=token)
    assert answer.status_code == 200, answer.text
    return answer.json()


def test_the_summary_this_week_and_the_last(
    built: TestClient, tokens: dict[str, dict[str, str]], reports_db: str
) -> None:
    found = get(built, tokens["max"], "summary")

    assert found["period"] == {"start": "2026-11-01T00:00:00+00:00",
                               "end": "2026-11-08T00:00:00+00:00"}  # fmt: skip
    assert found["previous"] == {"start": "2026-10-25T00:00:00+00:00",
                                 "end": "2026-11-01T00:00:00+00:00"}  # fmt: skip
    tiles = {kpi.pop("key"): kpi for kpi in found["kpis"]}
    assert list(tiles)[:4] == ["contacts", "containment", "containment_24h", "transfer_rate"]
    # (value, previous, basis), worked out from the history:
    assert {key: (t["value"], t["previous"], t["basis"]) for key, t in tiles.items()} == {
        "contacts": (3, 1, 3),  # c1 c2 c3; c4
        "transfer_rate": (pytest.approx(2 / 3), 1.0, 3),  # c1 c2 queued; c4
        "queue_abandonment": (0.5, 0.0, 2),  # c2 of c1 c2
        "time_to_queue_p50": (60.0, 60.0, 2),  # c1 and c2 queued a minute in; c4 too
        "waiting_p50": (120.0, 240.0, 1),  # c1 answered after 2 min (c2 left); c4 4 min
        "waiting_p90": (120.0, 240.0, 1),
        "first_response_p50": (60.0, 120.0, 1),  # 603 -> 604; c4 2 min
        "handle_time": (600.0, 900.0, 1),  # 603 -> 613; c4 15 min
        "csat": (4.5, 3.0, 2),  # c1 5, c3 4; c4 3
        "csat_response_rate": (pytest.approx(2 / 3), 1.0, 3),  # 2 of the 3 that ended
        "fcr_agent": (1.0, 1.0, 1),  # CUS-1 did not come back
        # Sessions with a request: rest-bill, c1 (a person), w-miss: 2 contained. None before.
        "containment": (pytest.approx(2 / 3), None, 3),
        "nlu_fallback_rate": (pytest.approx(1 / 6), None, 6),  # 1 miss in 6 messages
        **{key: (pytest.approx(bot[0]), None, bot[1]) if bot[0] is not None
           else (None, None, bot[1])
           for key, bot in bot_tiles(reports_db).items()},
    }  # fmt: skip
    assert tiles["csat"]["unit"] == "score" and tiles["csat"]["better"] == "higher"
    assert tiles["waiting_p50"]["unit"] == "seconds" and tiles["waiting_p50"]["better"] == "lower"
    # The same as the KPI functions say, once the request has refreshed the facts.
    with session_scope(session_factory(make_engine(reports_db))) as db:
        assert tiles["transfer_rate"]["value"] == kpis.transfer_rate(db, SCOPE).overall.rate
        assert tiles["waiting_p90"]["value"] == kpis.waiting_time(db, SCOPE).answered.p90
        assert tiles["handle_time"]["value"] == kpis.handle_time(db, SCOPE).mean
        fcr = kpis_agents.first_contact_resolution(db, SCOPE)
        assert tiles["fcr_agent"]["value"] == fcr.resolved.rate
        assert tiles["containment"]["value"] == containment.containment(db, SCOPE).rate


def bot_tiles(url: str) -> dict[str, tuple[float | None, int]]:
    """The bot's tiles whose definitions live with their functions: (value, basis)."""
    with session_scope(session_factory(make_engine(url))) as db:
        repeat = containment.containment(db, SCOPE).without_repeat_24h
        left = bot_kpis.bot_abandonment(db, SCOPE).abandoned
        fcr = bot_kpis.bot_first_contact_resolution(db, SCOPE).resolved
    return {
        "containment_24h": (repeat.rate, repeat.whole),
        "bot_abandonment": (left.rate, left.whole),
        "fcr_bot": (fcr.rate, fcr.whole),
    }


def test_filters_narrow_every_figure_and_a_skill_leaves_the_bot_out(
    built: TestClient, tokens: dict[str, dict[str, str]]
) -> None:
    french = {t["key"]: t["value"] for t in get(built, tokens["sue"], "summary",
                                                  language="fr")["kpis"]}  # fmt: skip
    # c2 alone: queued and abandoned; w-miss alone: contained, 1 miss in 2 messages.
    assert (french["contacts"], french["transfer_rate"], french["queue_abandonment"]) == (1, 1, 1)
    assert (french["containment"], french["nlu_fallback_rate"]) == (1.0, 0.5)
    billing = {t["key"]: t for t in get(built, tokens["sue"], "summary", skill="billing")["kpis"]}
    for key in ("containment", "containment_24h", "bot_abandonment", "fcr_bot",
                "nlu_fallback_rate"):  # fmt: skip
        assert (billing[key]["value"], billing[key]["basis"]) == (None, None), key
    assert billing["handle_time"]["value"] == 600.0


def test_the_tables_agents_reasons_requests_and_csat(
    built: TestClient, tokens: dict[str, dict[str, str]]
) -> None:
    token = tokens["adam"]
    assert get(built, token, "agents")["rows"] == [
        {"agent": "ann", "name": "=Ann", "chats": 1, "handle_time": 600.0, "csat": 5.0,
         "ratings": 1, "first_response_p50": 60.0},
    ]  # fmt: skip
    third = pytest.approx(1 / 3)
    assert get(built, token, "transfer-reasons")["rows"] == [
        {"reason": "customer_request", "contacts": 1, "rate": third},
        {"reason": "repeated_fallback", "contacts": 1, "rate": third},
    ]
    assert get(built, token, "top-requests")["rows"] == [
        {"request": "check_bill_balance", "sessions": 1},
        {"request": "request_human", "sessions": 1},
        {"request": "track_order", "sessions": 1},
    ]
    assert get(built, token, "top-requests", limit=1)["rows"] == [
        {"request": "check_bill_balance", "sessions": 1}
    ]
    scores = {"1": 0, "2": 0, "3": 0, "4": 0, "5": 0}
    assert get(built, token, "csat") == {
        "overall": {"mean": 4.5, "responses": 2, "ended": 3, "response_rate": pytest.approx(2 / 3),
                    "scores": {**scores, "4": 1, "5": 1}},
        "bot": {"mean": 4.0, "responses": 1, "ended": 1, "response_rate": 1.0,
                "scores": {**scores, "4": 1}},
        "agent": {"mean": 5.0, "responses": 1, "ended": 1, "response_rate": 1.0,
                  "scores": {**scores, "5": 1}},
    }  # fmt: skip


def test_misunderstood_texts_are_redacted(
    built: TestClient, tokens: dict[str, dict[str, str]]
) -> None:
    answer = built.get("/api/reports/misunderstood", params=WEEK, headers=tokens["max"])

    assert answer.json()["rows"] == [{"text": redact(MISSED), "count": 1}]
    assert "[email]" in redact(MISSED) and "jean@example.com" not in answer.text


def test_the_breakdown_lists_every_value(
    built: TestClient, tokens: dict[str, dict[str, str]], reports_db: str
) -> None:
    by_language = get(built, tokens["max"], "breakdown", by="language")
    assert by_language["by"] == "language"
    assert [(r["value"], r["contacts"], r["containment"], r["transfer_rate"], r["csat"])
            for r in by_language["rows"]] == [
        ("en", 2, 0.5, 0.5, 4.5),  # c1 c3 (c1 queued); rest-bill contained, c1 not
        ("fr", 1, 1.0, 1.0, None),  # c2 queued, left unrated; w-miss contained
    ]  # fmt: skip
    by_channel = {r["value"]: r for r in get(built, tokens["max"], "breakdown",
                                             by="channel")["rows"]}  # fmt: skip
    assert list(by_channel) == ["socketio", "rest"]
    # The gateway never sees Rasa's REST channel; the bot does: rest-bill, contained.
    assert (by_channel["rest"]["contacts"], by_channel["rest"]["containment"]) == (0, 1.0)
    by_skill = get(built, tokens["max"], "breakdown", by="skill")["rows"]
    assert [row["value"] for row in by_skill] == [
        "billing", "network", "orders", "accounts", "general"
    ]  # fmt: skip
    with session_scope(session_factory(make_engine(reports_db))) as db:
        for row in by_skill:
            skill = Scope(SCOPE.start, SCOPE.end, skill=row["value"])
            assert row["containment"] is None, "Rasa's sessions have no skill"
            assert row["transfer_rate"] is None, "a contact has a skill once transferred"
            assert row["waiting_p50"] == kpis.waiting_time(db, skill).answered.p50
            assert row["csat"] == kpis.csat(db, skill).overall.mean
    # Billing: c1, answered after 2 minutes, rated 5; orders: c2, which left; network: nobody.
    assert [(r["contacts"], r["waiting_p50"], r["csat"]) for r in by_skill[:3]] == [
        (1, 120.0, 5.0), (0, None, None), (1, None, None),
    ]  # fmt: skip


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


def test_series_buckets_are_local_hours_and_days_across_a_clock_change(
    client: TestClient, tokens: dict[str, dict[str, str]], reports_db: str
) -> None:
    # Paris goes from +01:00 to +02:00 at 01:00 UTC on 29 March 2026 (02:00 local is skipped).
    record(reports_db, "w", (at("2026-03-28T22:30:00+00:00"), "started", {}))  # 23:30 on the 28th
    record(reports_db, "x", (at("2026-03-28T23:30:00+00:00"), "started", {}))  # 00:30 on the 29th
    record(reports_db, "y", (at("2026-03-29T01:10:00+00:00"), "started", {}),  # 03:10 (+02:00)
           (at("2026-03-29T01:12:00+00:00"), "queued", {"reason": "customer_request"}))  # fmt: skip
    record(reports_db, "z", (at("2026-03-29T01:50:00+00:00"), "started", {}))  # 03:50 (+02:00)
    paris = {"tz": "Europe/Paris", "bucket": "hour",
             "start": "2026-03-29T00:00:00+01:00", "end": "2026-03-29T05:00:00+02:00"}  # fmt: skip

    hours = client.get("/api/reports/series", params=paris, headers=tokens["max"]).json()

    assert (hours["bucket"], hours["tz"]) == ("hour", "Europe/Paris")
    # 23:00 to 03:00 UTC: four hours, the empty ones listed with nothing to divide.
    assert [(p["start"], p["contacts"], p["transfer_rate"], p["sessions"])
            for p in hours["points"]] == [
        ("2026-03-29T00:00:00+01:00", 1, 0.0, 0),  # x
        ("2026-03-29T01:00:00+01:00", 0, None, 0),
        ("2026-03-29T03:00:00+02:00", 2, 0.5, 0),  # y (queued), z
        ("2026-03-29T04:00:00+02:00", 0, None, 0),
    ]  # fmt: skip
    days = {"tz": "Europe/Paris", "start": "2026-03-28T00:00:00+01:00",
            "end": "2026-03-31T00:00:00+02:00"}  # fmt: skip
    found = client.get("/api/reports/series", params=days, headers=tokens["max"]).json()
    # The 29th is 23 hours long; each day starts at local midnight.
    assert [(p["start"], p["contacts"]) for p in found["points"]] == [
        ("2026-03-28T00:00:00+01:00", 1),  # w
        ("2026-03-29T00:00:00+01:00", 3),  # x y z
        ("2026-03-30T00:00:00+02:00", 0),
    ]
    utc = client.get("/api/reports/series", params={**days, "tz": "UTC"},
                     headers=tokens["max"]).json()  # fmt: skip
    # In UTC, x (23:30 on the 28th) is a day earlier: and a fourth, partial, day begins.
    assert [(p["start"], p["contacts"]) for p in utc["points"]] == [
        ("2026-03-27T00:00:00+00:00", 0),
        ("2026-03-28T00:00:00+00:00", 2),
        ("2026-03-29T00:00:00+00:00", 2),
        ("2026-03-30T00:00:00+00:00", 0),
    ]
