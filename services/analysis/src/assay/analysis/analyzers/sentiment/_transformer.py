"""The slow path of the learned model: all-MiniLM-L6-v2 with its top layers fine-tuned for sentiment.

The tuned layers (the model file's ``tuned_layers``: 3-6 from version 5, 5-6 before; ``model/tuned.npz``)
run over the shipped int8 ONNX model's lower layers as
``contract_review.minilm_layers.TunedEncoder`` runs them; then VADER's four scores times
``lexicon_scale`` join the mean-pooled states in a linear classifier over POSITIVE / NEGATIVE /
NEUTRAL whose logits are divided by a fitted temperature. ``bench/train_sentiment.py`` writes the
file. A file tuned from layer 1 (``tuned_layers`` 0-5) also holds the embeddings' layer norm.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from assay.analysis.analyzers.contract_review.embedding import bundled_model_path
from assay.analysis.analyzers.contract_review.minilm_layers import (
    FloatArray,
    Padded,
    TunedEncoder,
    load_tuned,
    lower_session,
)
from assay.analysis.analyzers.sentiment._fast import softmax
from assay.analysis.analyzers.sentiment._model import Scores

TUNED_PATH = Path(__file__).with_name("model") / "tuned.npz"
LEGACY_TUNED_LAYERS = (4, 5)
"""The fine-tuned layers (0-based) of a model file that does not name them (versions 2-4)."""


def tuned_layers(meta: dict[str, Any]) -> tuple[int, ...]:
    """The fine-tuned layers (0-based, consecutive, up to the last) a model file's metadata names.

    From layer 1 (index 0) on, the embeddings' layer norm is tuned too (``EMBEDDING_NORM``).
    """
    layers = tuple(int(i) for i in meta.get("tuned_layers", LEGACY_TUNED_LAYERS))
    if not layers or layers[0] < 0 or layers != tuple(range(layers[0], 6)):
        raise ValueError(f"tuned layers {layers}: must be consecutive and end with layer 6 (index 5)")
    return layers


class TunedMiniLM:
    """Calibrated POSITIVE / NEGATIVE / NEUTRAL probabilities from the fine-tuned transformer."""

    def __init__(self, lower: Any, params: dict[str, FloatArray], meta: dict[str, Any]) -> None:
        self._encoder = TunedEncoder(lower, params, tuned_layers(meta))
        self._head_weight = params["head.weight"]
        self._head_bias = params["head.bias"]
        self.lexicon_scale = float(meta["lexicon_scale"])
        self.temperature = float(meta["temperature"])
        self.fast_weight = float(meta.get("fast_weight", 0.0))
        """The fast path's share in the cascade's blend of the two paths' probabilities (0: none)."""
        self.version = str(meta["version"])

    @classmethod
    def load(cls, tuned_path: Path = TUNED_PATH) -> TunedMiniLM | None:
        """The model, or ``None`` when the shipped ONNX model (or its runtime) is missing."""
        model_path = bundled_model_path()
        if model_path is None:
            return None
        params, meta = load_tuned(tuned_path)
        return cls(lower_session(model_path, tuned_layers(meta)[0]), params, meta)

    def lower_states(self, padded: Padded) -> FloatArray:
        """The token states below the first tuned layer, of a padded batch (what the tuned layers read)."""
        return self._encoder.lower_states(padded)

    def logits(self, texts: Sequence[str], lexicon: Sequence[Scores]) -> FloatArray:
        """Uncalibrated class logits, one row per text."""
        if not texts:
            return np.zeros((0, 3), dtype=np.float32)
        vader = np.array(
            [[s.compound, s.positive, s.negative, s.neutral] for s in lexicon], dtype=np.float32
        ) * np.float32(self.lexicon_scale)
        features = np.hstack([self._encoder.pooled(texts), vader])
        out: FloatArray = features @ self._head_weight + self._head_bias
        return out

    def probabilities(self, texts: Sequence[str], lexicon: Sequence[Scores]) -> FloatArray:
        """Calibrated POSITIVE / NEGATIVE / NEUTRAL probabilities, one row per text."""
        return softmax(self.logits(texts, lexicon) / np.float32(self.temperature))
