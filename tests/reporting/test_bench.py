"""`python -m reporting bench` at a tiny size: it seeds fresh databases, times every report
and prints one line per report with a median for each period, and the row counts; the
PostgreSQL schemas it makes are gone afterwards. Its figures are not checked: not a timed test.
"""

from __future__ import annotations

import re

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool

from reporting.__main__ import main
from reporting.bench import QUERIES
from tests.handover.conftest import POSTGRES_URL, postgres_unreachable

SECONDS = r"\d+\.\d{3}"


def bench_schemas() -> set[str]:
    engine = create_engine(POSTGRES_URL, future=True, poolclass=NullPool)
    with engine.connect() as connection:
        names = connection.execute(
            text("SELECT nspname FROM pg_namespace WHERE nspname LIKE 'reports_bench_%'")
        ).scalars()
        found = set(names)
    engine.dispose()
    return found


@pytest.mark.parametrize("database", ["sqlite", "postgresql"])
def test_a_tiny_benchmark_prints_every_report(
    database: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    if database == "postgresql":
        if reason := postgres_unreachable():
            pytest.skip(reason)
        monkeypatch.setenv("TEST_POSTGRES_URL", POSTGRES_URL)
        before = bench_schemas()
    args = ["bench", "--conversations", "30", "--days", "3", "--runs", "1"]

    assert main([*args, "--database", database]) == 0

    printed = capsys.readouterr().out
    assert "30 conversations over 3 days" in printed
    for name, _ in QUERIES:
        assert re.search(rf"^{re.escape(name)} +{SECONDS} +{SECONDS}$", printed, re.M), name
    assert re.search(r"^rows conversation_events +[1-9][\d,]*$", printed, re.M)
    assert re.search(r"^rows rasa_events +[1-9][\d,]*$", printed, re.M)
    if database == "postgresql":
        assert bench_schemas() == before, "its schemas are dropped"


def test_sizes_below_one_are_refused(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["bench", "--conversations", "0", "--database", "sqlite"]) == 2
    assert "at least 1" in capsys.readouterr().err
