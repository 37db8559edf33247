"""The load generator against the running assistant: a small run answers every message."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.stack import Stack
from handover.load.__main__ import main
from tests.e2e.conftest import create_agent

pytestmark = pytest.mark.e2e

AGENTS = {"load-ada": "load-password-1", "load-bob": "load-password-2"}
PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def load_agents(stack: Stack) -> list[str]:
    """Agents of their own: the run signs them out at its end, and nobody else's session."""
    for name, password in AGENTS.items():
        create_agent(stack.gateway_env["DATABASE_URL"], name, password)
    return [f"{name}:{password}" for name, password in AGENTS.items()]


def test_ten_customers_get_every_answer(
    stack: Stack, load_agents: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pids = [f"--watch={p.name}=pid:{p.popen.pid}" for p in stack.processes if p.popen]
    agents = [f"--agent={spec}" for spec in load_agents]
    # Every scenario, a handover among the first customers whatever the draw (seeded).
    weights = "bill=1,password=1,order=1,outage=1,faq=1,smalltalk=1,handover=2"
    argv = [
        "run", stack.bot.gateway_url, "--customers=10", "--duration=15", "--ramp=2",
        "--think=0.1,0.3", "--agent-think=0.2,0.5", f"--scenarios={weights}", "--french=0.4",
        "--seed=11", *agents, *pids, f"--json={tmp_path / 'run.json'}",
        f"--plots={tmp_path}",
    ]  # fmt: skip
    assert main(argv) == 0
    printed = capsys.readouterr().out
    result = json.loads((tmp_path / "run.json").read_text(encoding="utf-8"))
    summary = result["summary"]
    assert summary["sent"] > 20, summary
    assert summary["answered"] == summary["sent"], summary
    assert summary["lost"] == 0 and summary["errors"] == {}, summary
    assert summary["handovers"] >= 1, "a simulated agent answered a hand-over"
    assert summary["p50_ms"] is not None and summary["p50_ms"] <= summary["p99_ms"]
    assert "first answer p50 / p95 / p99" in printed and "lost" in printed
    sampled = result["processes"]
    for name in ("gateway", "rasa", "actions", "load"):
        assert sampled[name] and max(s["rss_mib"] for s in sampled[name]) > 10, name
    for plot in ("latency", "throughput", "cpu", "rss"):
        assert (tmp_path / f"load-{plot}.png").read_bytes().startswith(PNG), plot


def test_rest_and_socket_levels_side_by_side(
    stack: Stack, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["compare", stack.bot.rasa_url, stack.bot.gateway_url, "--levels=2", "--seconds=3"]
    assert main(argv) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line[:1] == "{"]
    assert [(row["mode"], row["c"]) for row in rows] == [("rest", 2), ("sio", 2)]
    for row in rows:
        assert row["msg_per_s"] > 0 and row["errors"] == 0, row
        assert row["p50_ms"] <= row["p95_ms"], row
