"""The learned model's classification head: features, weights, calibration and decision rule.

Features of a text are its sentence embedding (384 floats, unit length) followed by VADER's four
scores (compound, positive, negative, neutral) times ``lexicon_scale``. The head is a multinomial
logistic regression over POSITIVE / NEGATIVE / NEUTRAL whose logits are divided by a fitted
temperature (calibration). ``bench/train_sentiment.py`` writes it to ``model/head.json``.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from assay.analysis.analyzers.sentiment._model import Label, Scores

FloatMatrix = npt.NDArray[np.float32]

HEAD_PATH = Path(__file__).with_name("model") / "head.json"
CLASSES = (Label.POSITIVE, Label.NEGATIVE, Label.NEUTRAL)
"""The head's classes, in the order of its weight rows."""


def features(embeddings: FloatMatrix, lexicon: Sequence[Scores], lexicon_scale: float) -> FloatMatrix:
    """One feature row per text: its embedding, then its scaled VADER scores."""
    vader = np.array(
        [[s.compound, s.positive, s.negative, s.neutral] for s in lexicon], dtype=np.float32
    ).reshape(len(lexicon), 4)
    return np.hstack([embeddings.astype(np.float32), vader * np.float32(lexicon_scale)])


@dataclass(frozen=True)
class Head:
    """Weights (one row per class), bias, temperature and the VADER feature scale."""

    weights: FloatMatrix
    bias: FloatMatrix
    temperature: float
    lexicon_scale: float
    version: str

    @classmethod
    def load(cls, path: Path = HEAD_PATH) -> Head:
        data = json.loads(path.read_text(encoding="utf-8"))
        if data["classes"] != [label.name for label in CLASSES]:
            raise ValueError(f"{path}: classes {data['classes']}, expected {[c.name for c in CLASSES]}")
        return cls(
            weights=np.asarray(data["weights"], dtype=np.float32),
            bias=np.asarray(data["bias"], dtype=np.float32),
            temperature=float(data["temperature"]),
            lexicon_scale=float(data["lexicon_scale"]),
            version=str(data["version"]),
        )

    def probabilities(self, rows: FloatMatrix) -> FloatMatrix:
        """Calibrated class probabilities, one row per feature row (columns in ``CLASSES`` order)."""
        logits = (rows @ self.weights.T + self.bias) / np.float32(self.temperature)
        logits -= logits.max(axis=1, keepdims=True)
        exp = np.exp(logits)
        probabilities: FloatMatrix = (exp / exp.sum(axis=1, keepdims=True)).astype(np.float32)
        return probabilities


def decide(probabilities: Sequence[float]) -> Label:
    """The most probable class: NEUTRAL only when "no polarity" is likelier than either polarity.

    NEUTRAL was trained on sentences the raters found free of polarity (mean within +-0.25), not
    on doubtful ones, so a polar text the model is unsure about still leans POSITIVE or NEGATIVE.
    Ties go to POSITIVE, then NEGATIVE.
    """
    positive, negative, neutral = (float(p) for p in probabilities)
    if neutral > positive and neutral > negative:
        return Label.NEUTRAL
    return Label.POSITIVE if positive >= negative else Label.NEGATIVE
