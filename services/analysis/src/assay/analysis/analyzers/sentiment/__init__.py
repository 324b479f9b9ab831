"""The sentiment analyzer plugin: VADER polarity labels for one text or a batch file."""

from assay.analysis.analyzers.sentiment._analyzer import (
    ITEMS_LIMIT,
    MAX_INPUT_BYTES,
    MAX_TEXT_CHARS,
    SentimentAnalyzer,
)
from assay.analysis.analyzers.sentiment._model import (
    NEGATIVE_THRESHOLD,
    POSITIVE_THRESHOLD,
    Label,
    Scores,
    SentimentModel,
    VaderModel,
    default_model,
    label_for,
)

ANALYZER = SentimentAnalyzer()
"""The registered plugin object."""

__all__ = [
    "ANALYZER",
    "ITEMS_LIMIT",
    "MAX_INPUT_BYTES",
    "MAX_TEXT_CHARS",
    "NEGATIVE_THRESHOLD",
    "POSITIVE_THRESHOLD",
    "Label",
    "Scores",
    "SentimentAnalyzer",
    "SentimentModel",
    "VaderModel",
    "default_model",
    "label_for",
]
