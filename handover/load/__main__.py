"""`python -m handover.load run|rest|sio|compare ...`: see handover/load/__init__.py."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from handover.load import levels, report
from handover.load.customer import Pace
from handover.load.errors import LoadError
from handover.load.procs import Sampler, resolve
from handover.load.run import Plan, run
from handover.load.scenarios import Scenarios, mock_data, parse_weights

DEMO_AGENT = "demo:demo-agent-password"  # `python -m handover demo-agent` creates it


def span(text: str) -> tuple[float, float]:
    """`5,20` -> (5.0, 20.0): a uniform range of seconds."""
    low, _, high = text.partition(",")
    try:
        pair = (float(low), float(high or low))
    except ValueError:
        raise argparse.ArgumentTypeError(f"not LOW,HIGH seconds: {text!r}") from None
    if not 0 <= pair[0] <= pair[1]:
        raise argparse.ArgumentTypeError(f"need 0 <= LOW <= HIGH: {text!r}")
    return pair


def credentials(text: str) -> tuple[str, str]:
    name, sep, password = text.partition(":")
    if not (name and sep and password):
        raise argparse.ArgumentTypeError("an agent is NAME:PASSWORD")
    return name, password


def level_list(text: str) -> list[int]:
    try:
        found = [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"levels are numbers: {text!r}") from None
    if not found or min(found) < 1:
        raise argparse.ArgumentTypeError("levels are numbers of customers, 1 or more")
    return found


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="python -m handover.load", description=__doc__)
    commands = top.add_subparsers(dest="command", required=True)

    scenario = commands.add_parser("run", help="realistic customers through the gateway")
    scenario.add_argument("url", help="the gateway, e.g. http://127.0.0.1:8000")
    scenario.add_argument("--customers", type=int, default=100, help="simultaneous conversations")
    scenario.add_argument("--duration", type=float, default=120, help="seconds, ramp-up included")
    scenario.add_argument("--ramp", type=float, default=30, help="seconds to open them all")
    scenario.add_argument("--think", type=span, default=(5.0, 20.0), help="LOW,HIGH seconds")
    scenario.add_argument(
        "--scenarios", type=parse_weights, default=None,
        help="weights, e.g. bill=15,password=10,order=20,outage=15,faq=20,smalltalk=10,handover=10",
    )  # fmt: skip
    scenario.add_argument("--french", type=float, default=0.3, help="share of French customers")
    scenario.add_argument("--seed", type=int, default=None, help="the same customers each run")
    scenario.add_argument(
        "--agent", type=credentials, action="append", default=[], metavar="NAME:PASSWORD",
        help=f"a simulated agent (repeat for more; default {DEMO_AGENT.split(':')[0]}, the demo "
        "agent) -- the password shows in the process list: use test accounts",
    )  # fmt: skip
    scenario.add_argument("--agent-think", type=span, default=(2.0, 6.0), help="LOW,HIGH s")
    scenario.add_argument("--answer-timeout", type=float, default=30, help="then a message is lost")
    scenario.add_argument("--handover-timeout", type=float, default=120)
    scenario.add_argument(
        "--watch", action="append", default=[], metavar="NAME=PORT|NAME=pid:N",
        help="a process to sample (default: the gateway by its port, the others by command line)",
    )  # fmt: skip
    add_outputs(scenario)

    for mode, target in (("rest", "a Rasa server's REST channel"), ("sio", "the gateway")):
        closed = commands.add_parser(mode, help=f"closed-loop levels against {target}")
        closed.add_argument("url")
        add_levels(closed)
    both = commands.add_parser("compare", help="rest then sio levels, one table and plot")
    both.add_argument("rest_url", help="Rasa, e.g. http://127.0.0.1:5005")
    both.add_argument("sio_url", help="the gateway, e.g. http://127.0.0.1:8000")
    add_levels(both)
    return top


def add_levels(command: argparse.ArgumentParser) -> None:
    command.add_argument("--levels", type=level_list, default=[1, 8, 32])
    command.add_argument("--seconds", type=float, default=20, help="measured per level")
    command.add_argument("--timeout", type=float, default=60, help="per message")
    add_outputs(command)


def add_outputs(command: argparse.ArgumentParser) -> None:
    command.add_argument("--json", type=Path, help="write the raw results here")
    command.add_argument("--plots", type=Path, help="write PNG plots into this directory")
    command.add_argument("--prefix", default="load", help="plot file names' prefix")


async def scenario_run(args: argparse.Namespace) -> dict[str, Any]:
    weights = args.scenarios
    scenarios = Scenarios(mock_data(), weights, args.french, args.seed)
    agents = args.agent or ([] if "handover" not in scenarios.kinds else [credentials(DEMO_AGENT)])
    port = urlsplit(args.url).port or (443 if args.url.startswith("https") else 80)
    named = {spec.partition("=")[0] for spec in args.watch}
    pids, warnings = resolve([*args.watch, *([] if "gateway" in named else [f"gateway={port}"])])
    for warning in warnings:
        print(f"note: {warning}", file=sys.stderr)
    plan = Plan(
        url=args.url, customers=args.customers, duration=args.duration, ramp=args.ramp,
        pace=Pace(args.think, args.answer_timeout, args.handover_timeout),
        agents=tuple(agents), agent_think=args.agent_think, seed=args.seed,
    )  # fmt: skip
    outcome = await run(plan, scenarios, Sampler(pids))
    for note in outcome.notes:
        print(f"note: {note}", file=sys.stderr)
    print(report.run_table(outcome.summary, outcome.processes))
    if args.plots:
        for path in report.run_plots(args.plots, outcome.timeline, outcome.processes, args.prefix):
            print(f"wrote {path}")
    return {"plan": {k: v for k, v in vars(args).items() if k not in ("agent", "json", "plots")},
            "summary": outcome.summary, "timeline": outcome.timeline, "pids": pids,
            "processes": outcome.processes}  # fmt: skip


async def closed_loop(args: argparse.Namespace) -> dict[str, Any]:
    targets = (
        [("rest", args.rest_url), ("sio", args.sio_url)]
        if args.command == "compare"
        else [(args.command, args.url)]
    )
    rows = []
    for mode, url in targets:
        for c in args.levels:
            row = {"mode": mode, **await levels.level(levels.LOOPS[mode], url, c, args.seconds,
                                                      args.timeout)}  # fmt: skip
            print(json.dumps(row), flush=True)
            rows.append(row)
    print(report.levels_table(rows))
    if args.plots:
        print(f"wrote {report.levels_plot(args.plots, rows, args.prefix)}")
    return {"levels": rows}


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        action = scenario_run if args.command == "run" else closed_loop
        results = asyncio.run(action(args))
    except (ValueError, LoadError) as error:  # bad weights, no gateway, a refused agent
        print(f"error: {error}", file=sys.stderr)
        return 2
    if args.json:
        report.write_json(args.json, results)
        print(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
