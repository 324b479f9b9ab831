"""The sentiment analyzer plugin: a learned model (default) or VADER, for one text or a batch file."""

from assay.analysis.analyzers.sentiment._analyzer import (
    ITEMS_LIMIT,
    MAX_INPUT_BYTES,
    MAX_TEXT_CHARS,
    SentimentAnalyzer,
)
from assay.analysis.analyzers.sentiment._head import Head, decide, features
from assay.analysis.analyzers.sentiment._learned import LANGUAGE_UNSUPPORTED, LearnedModel
from assay.analysis.analyzers.sentiment._model import (
    NEGATIVE_THRESHOLD,
    POSITIVE_THRESHOLD,
    Aspect,
    Label,
    Scores,
    SentimentModel,
    Unscored,
    VaderModel,
    label_for,
    lexicon_model,
)
from assay.analysis.analyzers.sentiment._models import (
    DEFAULT,
    LEARNED,
    LEXICON,
    ModelKind,
    ModelUnavailableError,
    model_for,
)

ANALYZER = SentimentAnalyzer()
"""The registered plugin object."""

__all__ = [
    "ANALYZER",
    "DEFAULT",
    "ITEMS_LIMIT",
    "LANGUAGE_UNSUPPORTED",
    "LEARNED",
    "LEXICON",
    "MAX_INPUT_BYTES",
    "MAX_TEXT_CHARS",
    "NEGATIVE_THRESHOLD",
    "POSITIVE_THRESHOLD",
    "Aspect",
    "Head",
    "Label",
    "LearnedModel",
    "ModelKind",
    "ModelUnavailableError",
    "Scores",
    "SentimentAnalyzer",
    "SentimentModel",
    "Unscored",
    "VaderModel",
    "decide",
    "features",
    "label_for",
    "lexicon_model",
    "model_for",
]
