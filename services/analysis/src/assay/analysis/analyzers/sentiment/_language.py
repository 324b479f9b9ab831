"""Language identification for the learned model, which reads English only.

``py3langid`` (langid.py's maintained fork, BSD-3-Clause, its model shipped in the package) names
the most likely of 97 languages with a normalised probability. Short texts ("Not bad", "meh")
often come out as a random language at a low probability, so only a confident call counts: a
text is non-English when the top language is not English with a probability of at least
``CONFIDENT``; otherwise it is English (``en``) or undetermined (``und``) and is scored.
"""

from __future__ import annotations

import functools
import threading
from typing import Any

ENGLISH = "en"
UNDETERMINED = "und"
CONFIDENT = 0.8
"""Probability from which a non-English call is trusted."""

_lock = threading.Lock()


@functools.cache
def _identifier() -> Any:
    # Imported here so that importing the plugin stays cheap; the model loads in ~0.2 s.
    from py3langid.langid import MODEL_FILE, LanguageIdentifier  # type: ignore[import-untyped]

    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


def detect_language(text: str) -> str:
    """The ISO 639-1 code of ``text``'s language, ``en`` for English, ``und`` when unsure."""
    if not any(ch.isalpha() for ch in text):
        return UNDETERMINED  # emoji, numbers, punctuation: nothing to identify
    with _lock:
        identifier = _identifier()
    language, probability = identifier.classify(text)
    if language == ENGLISH:
        return ENGLISH
    return str(language) if probability >= CONFIDENT else UNDETERMINED


def is_supported(language: str) -> bool:
    """Whether the learned model scores text in ``language`` (English, or undetermined)."""
    return language in (ENGLISH, UNDETERMINED)
