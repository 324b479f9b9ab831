"""The sentiment analyzer plugin: a learned model (default) or VADER, for one text or a batch file."""

from assay.analysis.analyzers.sentiment._analyzer import (
    ITEMS_LIMIT,
    MAX_INPUT_BYTES,
    MAX_TEXT_CHARS,
    SentimentAnalyzer,
)
from assay.analysis.analyzers.sentiment._fast import FastModel
from assay.analysis.analyzers.sentiment._head import decide
from assay.analysis.analyzers.sentiment._learned import LANGUAGE_UNSUPPORTED, LearnedModel, MixedRule
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
    FAST,
    LEARNED,
    LEXICON,
    ModelKind,
    ModelUnavailableError,
    learned_model,
    model_for,
)
from assay.analysis.analyzers.sentiment._transformer import TunedMiniLM

ANALYZER = SentimentAnalyzer()
"""The registered plugin object."""

__all__ = [
    "ANALYZER",
    "DEFAULT",
    "FAST",
    "ITEMS_LIMIT",
    "LANGUAGE_UNSUPPORTED",
    "LEARNED",
    "LEXICON",
    "MAX_INPUT_BYTES",
    "MAX_TEXT_CHARS",
    "NEGATIVE_THRESHOLD",
    "POSITIVE_THRESHOLD",
    "Aspect",
    "FastModel",
    "Label",
    "LearnedModel",
    "MixedRule",
    "ModelKind",
    "ModelUnavailableError",
    "Scores",
    "SentimentAnalyzer",
    "SentimentModel",
    "TunedMiniLM",
    "Unscored",
    "VaderModel",
    "decide",
    "label_for",
    "learned_model",
    "lexicon_model",
    "model_for",
]
