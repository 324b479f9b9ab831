"""The requirement head: which Art. 28 requirement a sentence carries, read by a fine-tuned transformer.

all-MiniLM-L6-v2 with its top two layers fine-tuned as a multi-label sentence classifier: a
sigmoid per requirement over the mean-pooled token states. The lower four layers are the shipped
int8 ONNX model's, the tuned ones run in numpy (``minilm_layers.TunedEncoder``). Trained by
``bench/train_contract_head.py`` on the labelled sentences of the design documents (provenance in
``model/README.md``); shipped as ``model/requirement_head.npz`` (int8 weights, 3.3 MB): no download,
deterministic.

The matcher uses it for requirements whose id it knows (the EU and UK processor-terms playbooks
share them), and only next to the embedding model it was tuned from: a sentence scoring below
``veto`` for a requirement is no evidence for it, semantic or by keyword. Unlike the sentence
embeddings, the tuned layers read whose duty a sentence states and what it does, so the neighbour
a cut clause leaves behind (a backup clause for deletion, staff training for security) scores low.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from assay.analysis.analyzers.contract_review.embedding import bundled_model_path
from assay.analysis.analyzers.contract_review.minilm_layers import (
    FloatArray,
    TunedEncoder,
    load_tuned,
    lower_session,
)
from assay.common.byte_cache import ByteLRU

HEAD_PATH = Path(__file__).with_name("model") / "requirement_head.npz"
CACHE_BYTES = 8 * 1024 * 1024
"""Probabilities remembered by sentence (a re-submitted or edited document repeats most of its own)."""


class RequirementHead:
    """Per-requirement probabilities that a sentence carries the requirement."""

    def __init__(self, encoder: TunedEncoder, params: dict[str, FloatArray], meta: dict[str, Any]) -> None:
        self._encoder = encoder
        self._weight = params["head.weight"]
        self._bias = params["head.bias"]
        self.requirements: tuple[str, ...] = tuple(str(r) for r in meta["requirements"])
        self.veto = float(meta["veto"])
        self.embedding_model = str(meta["embedding_model"])
        self._known: ByteLRU[str, FloatArray] = ByteLRU(
            "contract_review_requirement_head", CACHE_BYTES, lambda row: int(row.nbytes)
        )
        self._lock = threading.Lock()

    def probabilities(self, texts: Sequence[str]) -> FloatArray:
        """``len(texts) x len(requirements)`` probabilities (party names already read as roles)."""
        distinct = list(dict.fromkeys(texts))
        with self._lock:
            rows = {t: known for t in distinct if (known := self._known.get(t)) is not None}
        todo = [t for t in distinct if t not in rows]
        if todo:
            fresh = self._sigmoid(self._encoder.pooled(todo))
            with self._lock:
                for text, row in zip(todo, fresh, strict=True):
                    self._known.put(text, row)
                    rows[text] = row
        if not texts:
            return np.zeros((0, len(self.requirements)), dtype=np.float32)
        return np.stack([rows[t] for t in texts])

    def forget(self) -> None:
        """Drop the remembered probabilities (a benchmark times the model, not the memory)."""
        with self._lock:
            self._known.clear()

    def _sigmoid(self, pooled: FloatArray) -> FloatArray:
        out: FloatArray = (1.0 / (1.0 + np.exp(-(pooled @ self._weight + self._bias)))).astype(np.float32)
        return out

    def column(self, requirement_id: str) -> int | None:
        """The head's column for a requirement id, if it was trained on it."""
        return self.requirements.index(requirement_id) if requirement_id in self.requirements else None


@functools.cache
def load_head(path: Path = HEAD_PATH) -> RequirementHead | None:
    """The shipped head, or None when its file or the shipped ONNX model is absent."""
    model_path = bundled_model_path()
    if model_path is None or not path.is_file():
        return None
    params, meta = load_tuned(path)
    layers = tuple(int(i) for i in meta["tuned_layers"])
    return RequirementHead(TunedEncoder(lower_session(model_path, layers[0]), params, layers), params, meta)
