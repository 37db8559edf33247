"""The KPIs read from the contact facts equal the KPIs computed by walking every event
(`tests/reporting/row_walking.py`, the definitions of docs/kpis.md), on a random history of
a few hundred contacts folded in small batches, for several periods and filters; and the
facts split by bucket or group give what a narrower scope gives (SQLite and PostgreSQL)."""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.orm import Session

from reporting import contact_counts, kpis, light_counts
from reporting.contact_facts import refresh
from reporting.facts import Facts, load_facts
from reporting.kpis_agents import agent_table_of, first_contact_resolution_of
from reporting.kpis_contacts import Scope, load_contacts
from tests.handover.conftest import (  # noqa: F401  (database fixtures)
    db_url,
    engine,
    fast_password_hashes,
    session,
)
from tests.reporting import row_walking as walk
from tests.reporting.histories import history
from tests.reporting.splitting import by_bucket, by_group, light

T0 = datetime(2026, 3, 1, tzinfo=timezone.utc)
NOW = T0 + timedelta(days=40)
FILTERS = [
    {},
    {"language": "fr"},
    {"channel": "rest", "skill": "billing"},
    {"skill": "orders", "agent": "ada"},
    {"language": "en", "agent": "bob"},
]
PERIODS = [(T0, T0 + timedelta(days=30)), (T0 + timedelta(days=2), T0 + timedelta(days=5))]


def keep(scope: Scope, *names: str) -> Scope:
    """The scope with only these filters: the ones the row-walking KPI took."""
    dropped = {f: None for f in ("skill", "agent") if f not in names}
    return replace(scope, **dropped)


def assert_same(db: Session, scope: Scope) -> None:
    facts = load_facts(db, scope)
    walked = load_contacts(db, scope)
    every = load_contacts(db, Scope(T0 - timedelta(days=1), NOW))
    skill = keep(scope, "skill")
    assert kpis.transfer_rate_of(facts) == walk.transfer_rate(walked, keep(scope))
    assert kpis.queue_abandonment_of(facts) == walk.queue_abandonment(walked, skill)
    assert kpis.time_to_queue_of(facts) == walk.time_to_queue(walked, skill)
    assert kpis.waiting_time_of(facts) == walk.waiting_time(walked, skill)
    assert kpis.first_response_of(facts) == walk.first_response(walked, scope)
    assert kpis.handle_time_of(facts) == walk.handle_time(walked, scope)
    assert kpis.csat_of(facts) == walk.csat(walked, scope)
    assert first_contact_resolution_of(db, facts, days=3, now=NOW) == (
        walk.first_contact_resolution(walked, every, scope, 3, NOW)
    )
    rows = walk.agent_table(walked, skill)
    assert agent_table_of(facts) == [r for r in rows if scope.agent in (None, r.agent)]
    assert_counted_alike(db, scope, facts)


def assert_counted_alike(db: Session, scope: Scope, facts: Facts) -> None:
    """What the reports read (every contact counted in SQL, the served ones loaded) equals
    what the facts of every contact give."""
    assert contact_counts.transfer_rate(db, scope) == kpis.transfer_rate_of(facts)
    assert contact_counts.csat(db, scope) == kpis.csat_of(facts)
    served = load_facts(db, scope, ("served", "waits", "assignments"))
    assert len(served.contacts) < len(facts.contacts) or not facts.contacts
    assert kpis.queue_abandonment_of(served) == kpis.queue_abandonment_of(facts)
    assert kpis.time_to_queue_of(served) == kpis.time_to_queue_of(facts)
    assert first_contact_resolution_of(db, served, days=3, now=NOW) == (
        first_contact_resolution_of(db, facts, days=3, now=NOW)
    )
    assert agent_table_of(served) == agent_table_of(facts)
    with pytest.raises(ValueError, match="every contact"):
        kpis.transfer_rate_of(served)
    with pytest.raises(ValueError, match="every contact"):
        kpis.csat_of(served)


@pytest.mark.parametrize("seed", [11, 12])
def test_facts_give_the_row_walking_kpis_on_a_random_history(session: Session, seed: int) -> None:  # noqa: F811
    rng = random.Random(seed)
    events = history(rng, 220, T0, 30)
    half = len(events) // 2
    session.add_all(events[:half])
    session.commit()
    refresh(session, batch=97)  # contacts spread over batches, folded again as they grow
    session.add_all(events[half:])
    session.commit()
    assert refresh(session, batch=97) > 0
    assert refresh(session) == 0
    for start, end in PERIODS:
        for filters in FILTERS:
            assert_same(session, Scope(start, end, **filters))


def test_split_facts_give_what_a_narrower_scope_gives(session: Session) -> None:  # noqa: F811
    session.add_all(history(random.Random(5), 120, T0, 3))
    session.commit()
    refresh(session)
    paris = ZoneInfo("Europe/Paris")
    # The period starts 1 March 01:00 in Paris and ends 4 March 01:00: four Paris days
    # meet it, the first and last an hour each (1 March 00:00 Paris is 28 February 23:00 UTC).
    scope = Scope(T0, T0 + timedelta(days=3))
    days = by_bucket(load_facts(session, scope), "day", paris)
    assert list(days) == [datetime(2026, 3, 1 + n, tzinfo=paris) for n in range(4)]
    assert [p.scope.start for p in days.values()][:2] == [
        T0,
        datetime(2026, 3, 1, 23, tzinfo=timezone.utc),
    ]
    for part in days.values():
        assert kpis.csat_of(part) == kpis.csat(session, part.scope)
        assert kpis.waiting_time_of(part) == kpis.waiting_time(session, part.scope)
        assert kpis.transfer_rate_of(part) == kpis.transfer_rate(session, part.scope)
        assert kpis.time_to_queue_of(part) == kpis.time_to_queue(session, part.scope)
    hours = by_bucket(load_facts(session, scope), "hour", ZoneInfo("UTC"))
    assert len(hours) == 72 and sum(len(p.waits) for p in hours.values()) == len(
        load_facts(session, scope).waits
    )
    for by in ("language", "channel", "skill", "agent"):
        groups = by_group(load_facts(session, scope), by)
        assert groups, by
        for value, part in groups.items():
            narrow = replace(scope, **{by: value})
            assert part.scope == narrow
            assert kpis.csat_of(part) == kpis.csat(session, narrow)
            assert kpis.first_response_of(part) == kpis.first_response_time(session, narrow)
            assert kpis.handle_time_of(part) == kpis.handle_time(session, narrow)
            if by != "agent":
                assert kpis.waiting_time_of(part) == kpis.waiting_time(session, narrow)
                assert kpis.queue_abandonment_of(part) == kpis.queue_abandonment(session, narrow)
            if by in ("language", "channel"):
                assert kpis.transfer_rate_of(part) == kpis.transfer_rate(session, narrow)


@pytest.mark.parametrize("filters", FILTERS)
def test_narrow_counts_give_the_light_figures_of_the_split_facts(
    session: Session,  # noqa: F811
    filters: dict[str, str],
) -> None:
    session.add_all(history(random.Random(13), 160, T0, 6))
    session.commit()
    refresh(session)
    # The period starts and ends inside a Paris day and inside an hour.
    scope = Scope(T0 + timedelta(hours=5, minutes=20), T0 + timedelta(days=5, hours=3), **filters)
    shown = []
    for bucket, tz in (("day", ZoneInfo("Europe/Paris")), ("hour", ZoneInfo("UTC"))):
        split = by_bucket(load_facts(session, scope), bucket, tz)
        counted = light_counts.by_bucket(session, scope, bucket, tz)
        assert counted == {start: light(part) for start, part in split.items()}
        shown += counted.values()
    for by in ("language", "channel", "skill"):
        groups = by_group(load_facts(session, scope), by)
        counted_groups = light_counts.by_group(session, scope, by)
        assert counted_groups == {value: light(part) for value, part in groups.items()}
        shown += counted_groups.values()
    # Not a comparison of nothing: every figure was met somewhere.
    assert any(point.contacts for point in shown)
    assert any(point.transfer_rate for point in shown)
    assert any(point.waiting_p50 is not None for point in shown)
    if "agent" not in filters:
        assert any(point.csat is not None for point in shown)
