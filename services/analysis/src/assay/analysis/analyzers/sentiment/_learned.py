"""The learned sentiment model: a cascade of a fast n-gram model and a fine-tuned transformer.

Per batch of texts (each distinct text once): the language is identified (non-English texts are
``Unscored``), VADER scores every text, and

1. the **fast path** (``_fast.py``, a calibrated logistic regression over word n-grams, VADER and
   static MiniLM word-piece vectors) scores every text; where its confidence reaches its ``gate``
   (chosen on held-out calibration data so that the rows it keeps are labelled as accurately as by
   the transformer), its probabilities are the result; a MIXED candidate is kept only when the
   fast path finds it POSITIVE or NEGATIVE at or above both the gate and ``whole_max`` (then the
   MIXED rule could not fire);
2. the rest go to the **transformer** (``_transformer.py``, all-MiniLM-L6-v2 with its top two
   layers fine-tuned), batched by length; their probabilities are the blend
   ``w * fast + (1 - w) * transformer`` with the fast path's weight ``w`` chosen on the calibration
   slice (``TunedMiniLM.fast_weight``; 0 before version 4: the transformer's alone).

MIXED (``MixedRule``): a text in which VADER finds both positive and negative words and that
splits into clauses (``_clauses.py``) is a candidate; it is MIXED when the transformer is not
confident of the whole text's polarity (``whole_max``) and one clause is POSITIVE and another
NEGATIVE, each with a probability of at least ``clause_min``. The MIXED score is the smaller of the
two; the other three scores are scaled to share the rest. Both thresholds are chosen on reviews
assembled from held-out calibration sentences (``bench/train_sentiment.py``).

Aspects (on request): each clause naming an aspect (``_aspects.py``) is scored on its own.

Results are cached per text (review exports repeat short texts), bounded in entries.
"""

from __future__ import annotations

import threading
from collections import Counter, OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from opentelemetry import metrics

from assay.analysis.analyzers.contract_review.minilm_layers import FloatArray
from assay.analysis.analyzers.sentiment._aspects import mentions
from assay.analysis.analyzers.sentiment._clauses import clauses
from assay.analysis.analyzers.sentiment._fast import FastModel
from assay.analysis.analyzers.sentiment._head import CLASSES, decide
from assay.analysis.analyzers.sentiment._language import detect_language, is_supported
from assay.analysis.analyzers.sentiment._model import Aspect, Label, Scores, Unscored, VaderModel
from assay.analysis.analyzers.sentiment._transformer import TunedMiniLM

CACHE_ENTRIES = 20_000
"""Most texts whose results are kept for reuse."""
LANGUAGE_UNSUPPORTED = "LANGUAGE_UNSUPPORTED"
FAST = "fast"
TRANSFORMER = "transformer"

_DECIDED = metrics.get_meter("assay.analysis.sentiment").create_counter(
    "assay.sentiment.decided",
    unit="{text}",
    description="Distinct texts the learned model labelled, by the path that decided (fast, transformer)",
)

Probabilities = tuple[float, float, float]


@dataclass(frozen=True)
class MixedRule:
    """When a MIXED candidate is MIXED (see the module doc)."""

    clause_min: float
    """A clause counts as clearly positive (negative) from this probability on."""
    whole_max: float
    """A text whose own POSITIVE or NEGATIVE probability reaches this is one-sided, never MIXED."""


@dataclass
class _Plan:
    """What one text needs: its probabilities, and the clauses that get their own score."""

    text: str
    language: str
    lexicon: Scores
    mixed_candidate: bool = False
    clauses: list[str] = field(default_factory=list)
    probabilities: Probabilities | None = None
    path: str = ""
    fast: Probabilities | None = None
    """The fast path's probabilities (cascade only), blended into the transformer's."""


class LearnedModel:
    """Scores English texts with the fast path and the fine-tuned transformer (see the module doc)."""

    def __init__(
        self,
        transformer: TunedMiniLM,
        fast: FastModel,
        lexicon: VaderModel,
        mixed: MixedRule,
        *,
        cache_entries: int = CACHE_ENTRIES,
        cascade: bool = True,
        fast_only: bool = False,
    ):
        """``cascade=False``: the transformer decides every text; ``fast_only``: the fast path
        decides every text and scores the clauses (MIXED, aspects) too, no transformer pass."""
        self._transformer = transformer
        self._fast = fast
        self._lexicon = lexicon
        self._mixed = mixed
        self._cascade = cascade or fast_only
        self._fast_only = fast_only
        self._cache: OrderedDict[tuple[str, bool], Scores | Unscored] = OrderedDict()
        self._cache_entries = cache_entries
        self._lock = threading.Lock()
        self.name = f"learned-fast:{transformer.version}" if fast_only else f"learned:{transformer.version}"
        self.decided: Counter[str] = Counter()
        """Distinct texts labelled so far, by the path that decided (``fast``, ``transformer``)."""

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
            plan = _Plan(text, language, lexicon)
            if (lexicon.positive > 0 and lexicon.negative > 0) or aspects:
                parts = clauses(text)
                if len(parts) > 1:
                    plan.mixed_candidate = lexicon.positive > 0 and lexicon.negative > 0
                    plan.clauses = parts
            plans.append(plan)
        todo = [p for p in plans if isinstance(p, _Plan)]
        self._fast_path(todo)
        self._transformer_path([p for p in todo if p.probabilities is None])
        needed: set[str] = set()
        for p in todo:
            if self._may_be_mixed(p):
                needed.update(p.clauses)
            elif aspects:
                needed.update(c for c in p.clauses if mentions(c))
        units = sorted(needed - {p.text for p in todo})
        clause_probabilities = dict(zip(units, self._transformer_probabilities(units), strict=True))
        for p in todo:
            if p.probabilities is not None:
                clause_probabilities[p.text] = p.probabilities
        return [p if isinstance(p, Unscored) else self._scores(p, clause_probabilities, aspects) for p in plans]

    def _fast_path(self, plans: Sequence[_Plan]) -> None:
        if not self._cascade or not plans:
            return
        probabilities = self._fast.probabilities([p.text for p in plans], [p.lexicon for p in plans])
        kept = 0
        for plan, row in zip(plans, probabilities, strict=True):
            plan.fast = (float(row[0]), float(row[1]), float(row[2]))
            if self._fast_decides(plan, float(row.max()), int(row.argmax())):
                plan.probabilities = plan.fast
                plan.path = FAST
                kept += 1
        if kept:
            self.decided[FAST] += kept
            _DECIDED.add(kept, {"path": FAST})

    def _fast_decides(self, plan: _Plan, confidence: float, top: int) -> bool:
        """Whether the fast path's probabilities are the result (its top class ``top``, 2 = NEUTRAL)."""
        if self._fast_only:
            return True
        if not plan.mixed_candidate:
            return confidence >= self._fast.gate
        # A MIXED candidate the fast path finds clearly one-sided (at or above both the gate and the
        # MIXED rule's whole-text bound) cannot be MIXED: it is decided here as well.
        return top != 2 and confidence >= max(self._fast.gate, self._mixed.whole_max)

    def _transformer_path(self, plans: Sequence[_Plan]) -> None:
        if not plans:
            return
        rows = self._transformer.probabilities([p.text for p in plans], [p.lexicon for p in plans])
        weight = self._transformer.fast_weight
        for plan, row in zip(plans, rows, strict=True):
            if plan.fast is not None and weight > 0:
                row = blend(np.asarray(plan.fast, dtype=np.float32), row, weight)
            plan.probabilities = (float(row[0]), float(row[1]), float(row[2]))
            plan.path = TRANSFORMER
        self.decided[TRANSFORMER] += len(plans)
        _DECIDED.add(len(plans), {"path": TRANSFORMER})

    def _transformer_probabilities(self, units: Sequence[str]) -> list[Probabilities]:
        """Clauses' probabilities: the transformer's, or the fast path's when it works alone."""
        if not units:
            return []
        scorer = self._fast if self._fast_only else self._transformer
        rows = scorer.probabilities(units, [self._lexicon.score(u) for u in units]).astype(np.float64)
        return [(float(r[0]), float(r[1]), float(r[2])) for r in rows]

    def _may_be_mixed(self, plan: _Plan) -> bool:
        if not plan.mixed_candidate or plan.probabilities is None:
            return False
        return max(plan.probabilities[0], plan.probabilities[1]) < self._mixed.whole_max

    def _scores(self, plan: _Plan, probabilities: dict[str, Probabilities], aspects: bool) -> Scores:
        assert plan.probabilities is not None
        positive, negative, neutral = plan.probabilities
        label = decide((positive, negative, neutral))
        confidence = (positive, negative, neutral)[CLASSES.index(label)]
        mixed = 0.0
        if self._may_be_mixed(plan):
            strongest_positive = max(probabilities[c][0] for c in plan.clauses)
            strongest_negative = max(probabilities[c][1] for c in plan.clauses)
            if min(strongest_positive, strongest_negative) >= self._mixed.clause_min:
                mixed = min(strongest_positive, strongest_negative)
                rest = 1.0 - mixed
                positive, negative, neutral = positive * rest, negative * rest, neutral * rest
                label, confidence = Label.MIXED, mixed
        found: tuple[Aspect, ...] = ()
        if aspects:
            found = tuple(self._aspects(plan, probabilities))
        whole = plan.probabilities
        return Scores(
            positive=round(positive, 4),
            negative=round(negative, 4),
            neutral=round(neutral, 4),
            compound=round(whole[0] - whole[1], 4),
            assigned=label,
            confidence=round(confidence, 4),
            mixed=round(mixed, 4),
            language=plan.language,
            aspects=found,
        )

    @staticmethod
    def _aspects(plan: _Plan, probabilities: dict[str, Probabilities]) -> list[Aspect]:
        found: list[Aspect] = []
        for clause in plan.clauses or [plan.text]:
            clause_probs = probabilities.get(clause, probabilities[plan.text])
            label = decide(clause_probs)
            for mention in mentions(clause):
                found.append(
                    Aspect(mention.aspect, mention.term, label, round(clause_probs[CLASSES.index(label)], 4), clause)
                )
        return found


def blend(fast: FloatArray, transformer: FloatArray, weight: float) -> FloatArray:
    """The cascade's probabilities of a text the fast path did not decide: ``weight`` of the fast path's."""
    out: FloatArray = (np.float32(weight) * fast + np.float32(1.0 - weight) * transformer).astype(np.float32)
    return out
