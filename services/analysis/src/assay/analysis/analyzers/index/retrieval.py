"""The read side's pure parts: reciprocal rank fusion of the vector and full-text rankings, and the
sentence of a passage that answers the question best."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from assay.analysis.analyzers.contract_review.segment import sentences
from assay.analysis.analyzers.index.units import locate

RRF_K = 60
"""Reciprocal rank fusion's constant (Cormack et al. 2009): score = Σ 1 / (k + rank)."""


@dataclass(frozen=True)
class Candidate:
    """A chunk one of the searches returned."""

    id: int
    file_id: str
    display_name: str
    heading: str
    content: str
    page: int
    paragraph: int
    start: int
    end: int
    similarity: float


@dataclass(frozen=True)
class Ranked:
    candidate: Candidate
    score: float


def fuse(rankings: Sequence[Sequence[Candidate]], k: int = RRF_K) -> list[Ranked]:
    """Candidates of every ranking, best fused score first (ties: higher similarity, then id)."""
    scores: dict[int, float] = {}
    by_id: dict[int, Candidate] = {}
    for ranking in rankings:
        for rank, candidate in enumerate(ranking, start=1):
            scores[candidate.id] = scores.get(candidate.id, 0.0) + 1.0 / (k + rank)
            by_id.setdefault(candidate.id, candidate)
    order = sorted(scores, key=lambda i: (-scores[i], -by_id[i].similarity, i))
    return [Ranked(by_id[i], scores[i]) for i in order]


_STOP = frozenset({
    "a", "an", "and", "are", "as", "at", "be", "by", "can", "do", "does", "for", "from", "has", "have",
    "how", "i", "in", "is", "it", "its", "may", "of", "on", "or", "shall", "should", "that", "the", "their",
    "there", "this", "to", "was", "what", "when", "where", "which", "who", "whom", "why", "will", "with",
    "would",
})


def _terms(text: str) -> set[str]:
    """Lower-cased content words cut to five letters (a crude stem: 'processing' ~ 'processor')."""
    return {w[:5] for w in re.findall(r"[a-z0-9]+", text.lower()) if w not in _STOP and len(w) > 1}


def by_term_overlap(question: str, candidates: Sequence[Candidate]) -> list[Candidate]:
    """The candidates re-ranked by the share of the question's content words they contain (document
    name and heading included), ties by similarity: a third ranking for the fusion, which rewards the passage that
    names what was asked over one that is merely about the same topic."""
    wanted = _terms(question)
    if not wanted:
        return []

    def share(c: Candidate) -> float:
        return len(wanted & _terms(f"{c.display_name} {c.heading} {c.content}")) / len(wanted)

    unique = {c.id: c for c in candidates}.values()
    return sorted(unique, key=lambda c: (-share(c), -c.similarity, c.id))


def highlight(question: str, passage: str) -> tuple[int, int]:
    """Offsets in ``passage`` of the sentence sharing most content words with ``question``."""
    wanted = _terms(question)
    best: tuple[float, int, int] = (-1.0, 0, len(passage))
    cursor = 0
    for sentence in sentences(passage):
        start, end = locate(passage, sentence, cursor)
        if end <= start:
            continue
        cursor = end
        terms = _terms(sentence)
        overlap = len(wanted & terms) / (1 + 0.02 * len(terms))
        if overlap > best[0]:
            best = (overlap, start, end)
    return best[1], best[2]
