"""The fast path of the learned model: a calibrated word n-gram logistic regression.

Terms of a text are its lower-cased words (negated ones, up to three words after "not", "never",
"n't"... before the next punctuation, prefixed ``not_``), ``!`` and ``?``, and every pair of
neighbouring terms. Features: each known term weighs 1/sqrt(known terms), then VADER's compound,
pos, neg and neu times ``lexicon_scale``, and (version 3 on) the mean of the text's static MiniLM
word-piece vectors (``_static.py``) times ``embedding_scale``. Logits are divided by a fitted
temperature.

``bench/train_sentiment.py`` fits it on the train split and writes ``model/fast.json``: the
vocabulary with one weight row per term (POSITIVE, NEGATIVE, NEUTRAL), the bias, the VADER
weights, the temperature, and ``gate``: the confidence from which the fast path's label is kept
without asking the transformer (chosen on the calibration slice, see the README).
"""

from __future__ import annotations

import itertools
import json
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from assay.analysis.analyzers.sentiment._model import Scores
from assay.analysis.analyzers.sentiment._static import StaticEmbeddings

FAST_PATH = Path(__file__).with_name("model") / "fast.json"
NEGATION_SCOPE = 3
"""Words after a negation that are marked negated."""

_TOKEN = re.compile(r"[^\W_]+(?:'[^\W_]+)?|!|\?|[.;,:]")
_NEGATION = re.compile(r"^(?:not|no|never|nothing|nobody|none|nor|neither|cannot|without|\w+n't)$")
_SCOPE_END = frozenset(".;,:!?")


def terms(text: str) -> list[str]:
    """The words (negation-marked) and word pairs of ``text``, in order, repeats kept."""
    marked: list[str] = []
    scope = 0
    for token in _TOKEN.findall(text.lower().replace("\u2019", "'")):
        if token in _SCOPE_END:
            scope = 0
            if token in "!?":
                marked.append(token)
            continue
        marked.append("not_" + token if scope else token)
        scope = NEGATION_SCOPE if _NEGATION.match(token) else max(0, scope - 1)
    return marked + [f"{a} {b}" for a, b in itertools.pairwise(marked)]


@dataclass(frozen=True)
class FastModel:
    """The n-gram model's weights (see the module doc)."""

    vocabulary: dict[str, int]
    weights: npt.NDArray[np.float32]
    """One row per vocabulary term, one column per class."""
    lexicon_weights: npt.NDArray[np.float32]
    """Four rows (compound, pos, neg, neu), already times ``lexicon_scale``."""
    bias: npt.NDArray[np.float32]
    temperature: float
    gate: float
    embeddings: StaticEmbeddings | None = None
    embedding_weights: npt.NDArray[np.float32] | None = None
    """One row per static-embedding dimension, already times ``embedding_scale``."""

    @classmethod
    def load(cls, path: Path = FAST_PATH, embeddings: StaticEmbeddings | None = None) -> FastModel:
        """The model in ``path``; one with embedding weights needs ``embeddings`` (default: the shipped ones)."""
        data = json.loads(path.read_text(encoding="utf-8"))
        terms_ = data["terms"]
        embedding_weights = None
        if data.get("embedding_weights") is not None:
            embeddings = embeddings or StaticEmbeddings.load()
            embedding_weights = np.asarray(data["embedding_weights"], dtype=np.float32).reshape(
                embeddings.dimensions, 3
            ) * np.float32(data["embedding_scale"])
        else:
            embeddings = None
        return cls(
            vocabulary={term: i for i, term in enumerate(terms_)},
            weights=np.asarray(data["weights"], dtype=np.float32).reshape(len(terms_), 3),
            lexicon_weights=np.asarray(data["lexicon_weights"], dtype=np.float32) * np.float32(data["lexicon_scale"]),
            bias=np.asarray(data["bias"], dtype=np.float32),
            temperature=float(data["temperature"]),
            gate=float(data["gate"]),
            embeddings=embeddings,
            embedding_weights=embedding_weights,
        )

    def logits(self, texts: Sequence[str], lexicon: Sequence[Scores]) -> npt.NDArray[np.float32]:
        """Uncalibrated class logits, one row per text."""
        out = np.tile(self.bias, (len(texts), 1))
        for row, text in enumerate(texts):
            known = {self.vocabulary[t] for t in terms(text) if t in self.vocabulary}
            if known:
                out[row] += self.weights[sorted(known)].sum(axis=0) / np.float32(math.sqrt(len(known)))
        vader = np.array([[s.compound, s.positive, s.negative, s.neutral] for s in lexicon], dtype=np.float32)
        out += vader.reshape(len(texts), 4) @ self.lexicon_weights
        if self.embeddings is not None and self.embedding_weights is not None and texts:
            out += self.embeddings.mean(texts) @ self.embedding_weights
        return out

    def probabilities(self, texts: Sequence[str], lexicon: Sequence[Scores]) -> npt.NDArray[np.float32]:
        """Calibrated POSITIVE / NEGATIVE / NEUTRAL probabilities, one row per text."""
        if not texts:
            return np.zeros((0, 3), dtype=np.float32)
        return softmax(self.logits(texts, lexicon) / np.float32(self.temperature))


def softmax(logits: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
    """Row-wise softmax."""
    shifted = logits - logits.max(axis=1, keepdims=True)
    exp = np.exp(shifted)
    out: npt.NDArray[np.float32] = (exp / exp.sum(axis=1, keepdims=True)).astype(np.float32)
    return out
