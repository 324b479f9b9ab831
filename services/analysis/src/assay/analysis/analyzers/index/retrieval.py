"""The read side's pure parts: the vector and full-text candidates ranked by similarity and the
question's words they contain, and the sentence of a passage that answers the question best."""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from dataclasses import dataclass

from assay.analysis.analyzers.contract_review.segment import sentences
from assay.analysis.analyzers.index.offsets import locate

LEXICAL_WEIGHT = 0.3
"""A candidate's score is its cosine similarity plus this times the share of the question's content
words it contains. Measured (bench/eval_index.py, recall@5 / MRR, development then held-out
questions) against the reciprocal rank fusion it replaced (0.857 / 0.787, 1.000 / 0.863): weight 0.2
0.929 / 0.798, 1.000 / 0.887; 0.3 0.929 / 0.833, 1.000 / 0.904; 0.4 0.964 / 0.840, 1.000 / 0.904;
0.5 0.964 / 0.905, 0.950 / 0.892. 0.3 is the middle of the plateau, not the development set's best."""


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


_STOP = frozenset({
    "a", "an", "and", "are", "as", "at", "be", "by", "can", "do", "does", "for", "from", "has", "have",
    "how", "i", "in", "is", "it", "its", "may", "of", "on", "or", "shall", "should", "that", "the", "their",
    "there", "this", "to", "was", "what", "when", "where", "which", "who", "whom", "why", "will", "with",
    "would",
})


def _terms(text: str) -> set[str]:
    """Lower-cased content words cut to five letters (a crude stem: 'processing' ~ 'processor')."""
    return {w[:5] for w in re.findall(r"[a-z0-9]+", text.lower()) if w not in _STOP and len(w) > 1}


@functools.lru_cache(maxsize=256)
def _words_starting_with(wanted: frozenset[str]) -> re.Pattern[str]:
    """The whole words of a lower-cased text that begin with one of ``wanted``: every word whose
    term (:func:`_terms`) is wanted is among them."""
    prefixes = "|".join(re.escape(t) for t in sorted(wanted, key=lambda t: (-len(t), t)))
    return re.compile(rf"(?<![a-z0-9])(?:{prefixes})[a-z0-9]*")


def _wanted_in(wanted: frozenset[str], text: str) -> int:
    """``len(wanted & _terms(text))``, without making every word of the text a term: one scan for the
    words that begin with a wanted term (ranking 100 candidates' terms was a fifth of the service's
    CPU per question at 100k chunks)."""
    found = {w[:5] for w in _words_starting_with(wanted).findall(text.lower()) if w not in _STOP}
    return len(found & wanted)


def blend(question: str, rankings: Sequence[Sequence[Candidate]], weight: float = LEXICAL_WEIGHT) -> list[Ranked]:
    """Every candidate of the searches once, best first by similarity plus ``weight`` times the share of
    the question's content words it contains (document name and heading included): a passage that
    names what was asked beats one that is merely about the same topic, while the embedding still
    decides between passages that name it equally (ties: id)."""
    wanted = frozenset(_terms(question))
    unique = {c.id: c for ranking in rankings for c in ranking}.values()

    def share(c: Candidate) -> float:
        if not wanted:
            return 0.0
        return _wanted_in(wanted, f"{c.display_name} {c.heading} {c.content}") / len(wanted)

    scored = [Ranked(c, c.similarity + weight * share(c)) for c in unique]
    return sorted(scored, key=lambda r: (-r.score, r.candidate.id))


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
