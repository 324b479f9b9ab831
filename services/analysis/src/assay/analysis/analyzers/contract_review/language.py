"""The document's language, and whether the playbooks can read it.

Every recogniser (patterns, operative concepts, negation cues, the sentence-embedding model
all-MiniLM-L6-v2) is English. A German or Danish DPA would come out MISSING on every requirement,
which reads as "this DPA is deficient" when the truth is "not checked". So the language is
identified first, with ``py3langid`` (langid.py's maintained fork, BSD-3-Clause, its model shipped
in the package: offline and deterministic), over the document's prose: paragraphs of at least
``MIN_WORDS`` words, up to ``SAMPLE_CHARS`` characters spread over the document (a German annex
to an English DPA does not make it German). A non-English call counts only at a probability of at
least ``CONFIDENT``; below that, or with too little prose, the language is ``und`` and the
document is assessed.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from assay.analysis.analyzers.contract_review.matching import RequirementMatch
from assay.analysis.analyzers.contract_review.playbook import Playbook

SUPPORTED = frozenset({"en"})
"""Languages the playbooks' recognisers read."""
UNDETERMINED = "und"
CONFIDENT = 0.9
MIN_WORDS = 8
"""Headings, addresses and table cells say little about the language: only prose is sampled."""
SAMPLE_CHARS = 20_000
MIN_SAMPLE_CHARS = 200

_lock = threading.Lock()


@dataclass(frozen=True)
class Language:
    """The identified language and whether it can be assessed."""

    code: str
    """ISO 639-1 code, or ``und``."""
    probability: float

    @property
    def supported(self) -> bool:
        return self.code in SUPPORTED or self.code == UNDETERMINED


@functools.cache
def _identifier() -> Any:
    from py3langid.langid import MODEL_FILE, LanguageIdentifier  # type: ignore[import-untyped]

    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


def _sample(paragraphs: Sequence[str]) -> str:
    """Prose paragraphs, evenly spread over the document, up to ``SAMPLE_CHARS``."""
    prose = [p for p in paragraphs if len(p.split()) >= MIN_WORDS]
    total = sum(len(p) for p in prose)
    if total <= SAMPLE_CHARS:
        return "\n".join(prose)
    step = total / SAMPLE_CHARS
    picked: list[str] = []
    budget = 0.0
    for paragraph in prose:
        budget += 1.0
        if budget >= step:
            budget -= step
            picked.append(paragraph)
    return "\n".join(picked)[:SAMPLE_CHARS]


def identify(paragraphs: Sequence[str]) -> Language:
    """The language of a document given as its paragraphs."""
    sample = _sample(paragraphs)
    if len(sample) < MIN_SAMPLE_CHARS:
        return Language(UNDETERMINED, 0.0)
    with _lock:
        identifier = _identifier()
        code, probability = identifier.classify(sample)
    if code in SUPPORTED or probability >= CONFIDENT:
        return Language(str(code), float(probability))
    return Language(UNDETERMINED, float(probability))


def not_assessed(playbook: Playbook, language: Language) -> list[RequirementMatch]:
    """Every requirement of ``playbook`` as not assessed, saying why."""
    note = (
        f"Not assessed: the document is in '{language.code}' (probability {language.probability:.2f}) and this "
        f"playbook's recognisers read {', '.join(sorted(SUPPORTED))} only. Review it in a supported language."
    )
    return [RequirementMatch(r, "not_assessed", (), (), note) for r in playbook.requirements]
