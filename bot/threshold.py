"""Choose the FallbackClassifier threshold by measurement.

    python -m bot.threshold SET.jsonl [--url http://127.0.0.1:5005] [--token BOT_RASA_TOKEN]

Parses every message of a labelled set once (JSONL of {"text", "intent"}, "OOS" for out of
scope) with a running Rasa server, then replays the FallbackClassifier at each candidate
threshold and prints the scores `../shared/eval/nlu_eval.py` reports: in-scope macro accuracy,
OOS false-accept rate (OOS taken as a business intent) and OOS handled rate.
"""

from __future__ import annotations

import argparse
import json
import statistics
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import requests

from bot.settings import BotSettings

BUSINESS = {"check_bill_balance", "reset_password", "track_order", "check_outage"}
FALLBACK = "nlu_fallback"
HANDLED = {FALLBACK, "out_of_scope"}


@dataclass(frozen=True)
class Parsed:
    label: str
    ranking: list[tuple[str, float]]  # without nlu_fallback, best first


def parse_all(url: str, token: str, rows: list[dict], workers: int = 4) -> list[Parsed]:
    """The intent ranking of every message, as the classifier gave it."""

    def parse(row: dict) -> Parsed:
        body = requests.post(
            f"{url}/model/parse", params={"token": token}, json={"text": row["text"]}, timeout=30
        ).json()
        ranking = [(r["name"], r["confidence"]) for r in body.get("intent_ranking", [])]
        return Parsed(row["intent"], [r for r in ranking if r[0] != FALLBACK])

    with ThreadPoolExecutor(workers) as pool:
        return list(pool.map(parse, rows))


def predict(parsed: Parsed, threshold: float, ambiguity: float) -> str:
    """The FallbackClassifier's decision for one message."""
    if not parsed.ranking:
        return FALLBACK
    (top, confidence), rest = parsed.ranking[0], parsed.ranking[1:]
    if confidence < threshold or (rest and confidence - rest[0][1] < ambiguity):
        return FALLBACK
    return top


def scores(items: list[Parsed], threshold: float, ambiguity: float) -> dict[str, float]:
    """nlu_eval.py's figures at one threshold."""
    hits: dict[str, list[bool]] = {}
    oos = [predict(p, threshold, ambiguity) for p in items if p.label == "OOS"]
    for p in items:
        if p.label != "OOS":
            hits.setdefault(p.label, []).append(predict(p, threshold, ambiguity) == p.label)
    return {
        "macro": statistics.mean(sum(h) / len(h) for h in hits.values()),
        "oos_false_accept": sum(p in BUSINESS for p in oos) / max(len(oos), 1),
        "oos_handled": sum(p in HANDLED for p in oos) / max(len(oos), 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("set")
    parser.add_argument("--url", default="http://127.0.0.1:5005")
    parser.add_argument("--token", help="Rasa's API token (default: BOT_RASA_TOKEN)")
    parser.add_argument("--ambiguity", type=float, default=0.1)
    args = parser.parse_args()
    with open(args.set, encoding="utf-8") as file:
        rows = [json.loads(line) for line in file if line.strip()]
    items = parse_all(args.url, args.token or BotSettings().rasa_token, rows)
    print("threshold  macro   oos_false_accept  oos_handled")
    for step in range(2, 10):
        s = scores(items, step / 10, args.ambiguity)
        print(
            f"{step / 10:9.1f}  {s['macro']:.4f}  {s['oos_false_accept']:16.4f}"
            f"  {s['oos_handled']:11.4f}"
        )


if __name__ == "__main__":
    main()
