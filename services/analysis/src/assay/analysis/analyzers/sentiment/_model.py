"""The sentiment model interface, the VADER lexicon model and its label thresholds."""

from __future__ import annotations

import enum
import functools
import threading
from collections.abc import Sequence
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
    MIXED = "mixed"


@dataclass(frozen=True, slots=True)
class Aspect:
    """An aspect a text mentions, with the polarity of the clause that mentions it."""

    aspect: str
    term: str
    label: Label
    confidence: float
    clause: str


@dataclass(frozen=True, slots=True)
class Scores:
    """A model's scores for one text.

    The lexicon model fills the first four fields; the learned model also assigns the label
    itself, with a calibrated confidence, the MIXED score and the detected language.
    """

    positive: float
    """Positive proportion, 0-1."""
    negative: float
    """Negative proportion, 0-1."""
    neutral: float
    """Neutral proportion, 0-1."""
    compound: float
    """Normalised overall score, -1 to 1; the lexicon's label is derived from it."""
    assigned: Label | None = None
    """The label a learned model chose; ``None``: derived from ``compound``."""
    confidence: float = 0.0
    """Calibrated probability of the label (learned model; 0 for the lexicon)."""
    mixed: float = 0.0
    """Probability that the text is MIXED (learned model)."""
    language: str = ""
    """Detected language (learned model)."""
    aspects: tuple[Aspect, ...] = ()
    """Aspects mentioned, when asked for (learned model)."""

    @property
    def label(self) -> Label:
        """The assigned label, else the one behind ``compound`` by the standard VADER thresholds."""
        return self.assigned if self.assigned is not None else label_for(self.compound)


@dataclass(frozen=True, slots=True)
class Unscored:
    """A text a model declined to score, and why (e.g. ``LANGUAGE_UNSUPPORTED``)."""

    reason: str
    language: str = ""


def label_for(compound: float) -> Label:
    """Map a compound score to a label (>= 0.05 positive, <= -0.05 negative, else neutral)."""
    if compound >= POSITIVE_THRESHOLD:
        return Label.POSITIVE
    if compound <= NEGATIVE_THRESHOLD:
        return Label.NEGATIVE
    return Label.NEUTRAL


class SentimentModel(Protocol):
    """Anything that scores texts; implementations must be safe to reuse for many texts."""

    name: str
    """Recorded in the statistics, e.g. ``lexicon:vader``."""

    def score(self, text: str) -> Scores:
        """Score ``text`` (already validated: non-empty, within the length limit)."""
        ...

    def score_batch(self, texts: Sequence[str], *, aspects: bool = False) -> list[Scores | Unscored]:
        """Score many validated texts at once (same results as one by one), in order."""
        ...


class VaderModel:
    """The embedded default model: VADER's lexicon- and rule-based ``SentimentIntensityAnalyzer``.

    Building the analyzer reads its lexicons from disk, so build one per process (see
    ``lexicon_model``) and reuse it for every row.
    """

    name = "lexicon:vader"

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

    def score_batch(self, texts: Sequence[str], *, aspects: bool = False) -> list[Scores | Unscored]:
        """Each text scored on its own (VADER has nothing to batch); ``aspects`` is not supported."""
        return [self.score(text) for text in texts]


_default_lock = threading.Lock()


@functools.cache
def _vader() -> VaderModel:
    return VaderModel()


def lexicon_model() -> VaderModel:
    """Return the process-wide VADER model, building it on first use."""
    with _default_lock:
        return _vader()
