"""The learned sentiment model: sentence embeddings + VADER features + a calibrated linear head.

Per batch of texts: the language is identified (non-English texts are ``Unscored``), VADER scores
every text, contract_review's all-MiniLM-L6-v2 embedder (int8 ONNX on onnxruntime, shared, loaded
once per process) embeds the texts and the clauses that need their own score in one call, and
the head (``model/head.json``) turns features into calibrated POSITIVE/NEGATIVE/NEUTRAL
probabilities.

MIXED: a text in which VADER finds both positive and negative words is split into clauses
(``_clauses.py``); when one clause is POSITIVE and another NEGATIVE, each with a probability of at
least ``MIXED_MIN``, the text is MIXED with the smaller of the two as its score (the other three
scores are scaled to share the rest).

Aspects (on request): each clause naming an aspect (``_aspects.py``) is scored on its own.

Results are cached per text (review exports repeat short texts), bounded in entries.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from assay.analysis.analyzers.contract_review.embedding import Embedder
from assay.analysis.analyzers.sentiment._aspects import mentions
from assay.analysis.analyzers.sentiment._clauses import clauses
from assay.analysis.analyzers.sentiment._head import CLASSES, Head, decide, features
from assay.analysis.analyzers.sentiment._language import detect_language, is_supported
from assay.analysis.analyzers.sentiment._model import Aspect, Label, Scores, Unscored, VaderModel

MIXED_MIN = 0.7
"""A clause counts as clearly positive (negative) from this probability on."""
CACHE_ENTRIES = 20_000
"""Most texts whose results are kept for reuse."""
LANGUAGE_UNSUPPORTED = "LANGUAGE_UNSUPPORTED"


@dataclass
class _Plan:
    """What one text needs embedded: itself, plus the clauses that get their own score."""

    text: str
    language: str
    lexicon: Scores
    clauses: list[str] = field(default_factory=list)
    mixed_check: bool = False


class LearnedModel:
    """Scores English texts with the embedding model and the trained head (see the module doc)."""

    def __init__(self, embedder: Embedder, head: Head, lexicon: VaderModel, cache_entries: int = CACHE_ENTRIES):
        self._embedder = embedder
        self._head = head
        self._lexicon = lexicon
        self._cache: OrderedDict[tuple[str, bool], Scores | Unscored] = OrderedDict()
        self._cache_entries = cache_entries
        self._lock = threading.Lock()
        self.name = f"learned:{head.version}"

    def score(self, text: str) -> Scores:
        """The scores of one text; an unsupported language raises ``ValueError``."""
        result = self.score_batch([text])[0]
        if isinstance(result, Unscored):
            raise ValueError(f"{result.reason}: {result.language}")
        return result

    def score_batch(self, texts: Sequence[str], *, aspects: bool = False) -> list[Scores | Unscored]:
        results: list[Scores | Unscored | None] = [self._cached(text, aspects) for text in texts]
        todo = sorted({text for text, result in zip(texts, results, strict=True) if result is None})
        if todo:
            fresh = dict(zip(todo, self._score_fresh(todo, aspects), strict=True))
            with self._lock:
                for text, result in fresh.items():
                    self._cache[(text, aspects)] = result
                while len(self._cache) > self._cache_entries:
                    self._cache.popitem(last=False)
            results = [fresh[text] if result is None else result for text, result in zip(texts, results, strict=True)]
        return [r for r in results if r is not None]

    def _cached(self, text: str, aspects: bool) -> Scores | Unscored | None:
        with self._lock:
            result = self._cache.get((text, aspects))
            if result is not None:
                self._cache.move_to_end((text, aspects))
            return result

    def _score_fresh(self, texts: Sequence[str], aspects: bool) -> list[Scores | Unscored]:
        plans: list[_Plan | Unscored] = []
        for text in texts:
            language = detect_language(text)
            if not is_supported(language):
                plans.append(Unscored(LANGUAGE_UNSUPPORTED, language))
                continue
            lexicon = self._lexicon.score(text)
            plan = _Plan(text, language, lexicon, mixed_check=lexicon.positive > 0 and lexicon.negative > 0)
            if plan.mixed_check or aspects:
                parts = clauses(text)
                if len(parts) > 1:
                    plan.clauses = [p for p in parts if plan.mixed_check or mentions(p)]
            plans.append(plan)
        units = sorted({u for p in plans if isinstance(p, _Plan) for u in (p.text, *p.clauses)})
        probabilities = dict(zip(units, self._probabilities(units), strict=True))
        return [p if isinstance(p, Unscored) else self._scores(p, probabilities, aspects) for p in plans]

    def _probabilities(self, units: Sequence[str]) -> list[tuple[float, float, float]]:
        if not units:
            return []
        lexicon = [self._lexicon.score(u) for u in units]
        rows = features(self._embedder.embed(units), lexicon, self._head.lexicon_scale)
        probs = self._head.probabilities(rows).astype(np.float64)
        return [(float(p[0]), float(p[1]), float(p[2])) for p in probs]

    def _scores(self, plan: _Plan, probabilities: dict[str, tuple[float, float, float]], aspects: bool) -> Scores:
        positive, negative, neutral = probabilities[plan.text]
        label = decide((positive, negative, neutral))
        confidence = (positive, negative, neutral)[CLASSES.index(label)]
        mixed = 0.0
        if plan.mixed_check and len(plan.clauses) > 1:
            strongest_positive = max(probabilities[c][0] for c in plan.clauses)
            strongest_negative = max(probabilities[c][1] for c in plan.clauses)
            if min(strongest_positive, strongest_negative) >= MIXED_MIN:
                mixed = min(strongest_positive, strongest_negative)
                rest = 1.0 - mixed
                positive, negative, neutral = positive * rest, negative * rest, neutral * rest
                label, confidence = Label.MIXED, mixed
        found: tuple[Aspect, ...] = ()
        if aspects:
            found = tuple(self._aspects(plan, probabilities))
        return Scores(
            positive=round(positive, 4),
            negative=round(negative, 4),
            neutral=round(neutral, 4),
            compound=round(probabilities[plan.text][0] - probabilities[plan.text][1], 4),
            assigned=label,
            confidence=round(confidence, 4),
            mixed=round(mixed, 4),
            language=plan.language,
            aspects=found,
        )

    @staticmethod
    def _aspects(plan: _Plan, probabilities: dict[str, tuple[float, float, float]]) -> list[Aspect]:
        found: list[Aspect] = []
        for clause in plan.clauses or [plan.text]:
            clause_probs = probabilities.get(clause, probabilities[plan.text])
            label = decide(clause_probs)
            for mention in mentions(clause):
                found.append(
                    Aspect(mention.aspect, mention.term, label, round(clause_probs[CLASSES.index(label)], 4), clause)
                )
        return found
