"""The sentiment model interface, the default VADER model and the label thresholds."""

from __future__ import annotations

import enum
import functools
import threading
from dataclasses import dataclass
from typing import Any, Protocol

POSITIVE_THRESHOLD = 0.05
"""VADER's standard cut-off: a compound score at or above it is positive."""
NEGATIVE_THRESHOLD = -0.05
"""VADER's standard cut-off: a compound score at or below it is negative."""


class Label(enum.Enum):
    """The polarity assigned to one scored text."""

    POSITIVE = "positive"
    NEGATIVE = "negative"
    NEUTRAL = "neutral"


@dataclass(frozen=True, slots=True)
class Scores:
    """A model's scores for one text."""

    positive: float
    """Positive proportion, 0-1."""
    negative: float
    """Negative proportion, 0-1."""
    neutral: float
    """Neutral proportion, 0-1."""
    compound: float
    """Normalised overall score, -1 to 1; the label is derived from it."""

    @property
    def label(self) -> Label:
        """The label behind these scores, using the standard VADER thresholds."""
        return label_for(self.compound)


def label_for(compound: float) -> Label:
    """Map a compound score to a label (>= 0.05 positive, <= -0.05 negative, else neutral)."""
    if compound >= POSITIVE_THRESHOLD:
        return Label.POSITIVE
    if compound <= NEGATIVE_THRESHOLD:
        return Label.NEGATIVE
    return Label.NEUTRAL


class SentimentModel(Protocol):
    """Anything that scores one text; implementations must be safe to reuse for many texts."""

    def score(self, text: str) -> Scores:
        """Score ``text`` (already validated: non-empty, within the length limit)."""
        ...


class VaderModel:
    """The embedded default model: VADER's lexicon- and rule-based ``SentimentIntensityAnalyzer``.

    Building the analyzer reads its lexicons from disk, so build one per process (see
    ``default_model``) and reuse it for every row.
    """

    def __init__(self) -> None:
        # Imported here so that importing the plugin (e.g. to list analyzers) stays cheap.
        from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

        self._analyzer: Any = SentimentIntensityAnalyzer()

    def score(self, text: str) -> Scores:
        raw = self._analyzer.polarity_scores(text)
        return Scores(
            positive=float(raw["pos"]),
            negative=float(raw["neg"]),
            neutral=float(raw["neu"]),
            compound=float(raw["compound"]),
        )


_default_lock = threading.Lock()


@functools.cache
def _vader() -> VaderModel:
    return VaderModel()


def default_model() -> SentimentModel:
    """Return the process-wide VADER model, building it on first use."""
    with _default_lock:
        return _vader()
