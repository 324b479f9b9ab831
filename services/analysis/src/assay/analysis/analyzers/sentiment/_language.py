"""Language identification for the learned model, which reads English only.

``py3langid`` (langid.py's maintained fork, BSD-3-Clause, its model shipped in the package) names
the most likely of 97 languages with a normalised probability. Short texts ("Not bad", "meh")
often come out as a random language at a low probability, so only a confident call counts: a
text is non-English when the top language is not English with a probability of at least
``CONFIDENT``; otherwise it is English (``en``) or undetermined (``und``) and is scored. ASCII
text in which English marker words ("the", "and", "with", "but"...) are plain (``plainly_english``)
is English without asking py3langid.
"""

from __future__ import annotations

import functools
import threading
from typing import Any

ENGLISH = "en"
UNDETERMINED = "und"
CONFIDENT = 0.8
"""Probability from which a non-English call is trusted."""
ENGLISH_MARKERS = frozenset(
    ("the", "and", "this", "that", "with", "but", "very", "you", "they", "it", "not", "would", "have")
)
"""Words common in English and not words of the languages reviews come in (``is``, ``was``, ``we``,
``of``, ``for``, ``my``, ``i``, ``to`` are: Dutch, Danish, Polish...)."""
COMMON_WORDS = ENGLISH_MARKERS | frozenset((
    "is", "was", "of", "to", "for", "i", "my", "a", "in", "we", "be", "are", "on", "at", "he", "she", "his", "her",
    "what", "all", "so", "just", "its", "it's", "i'm", "don't", "one", "as",
))
"""Frequent English words, some of them words of other languages too."""
MARKER_SHARE = 0.2

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
    if plainly_english(text):
        return ENGLISH
    with _lock:
        identifier = _identifier()
    language, probability = identifier.classify(text)
    if language == ENGLISH:
        return ENGLISH
    return str(language) if probability >= CONFIDENT else UNDETERMINED


def is_supported(language: str) -> bool:
    """Whether the learned model scores text in ``language`` (English, or undetermined)."""
    return language in (ENGLISH, UNDETERMINED)


def plainly_english(text: str) -> bool:
    """ASCII text with an English marker word and two distinct common English words that make up
    a fifth of its words.

    Such text is English without asking the identifier (py3langid was a third of the fast model's
    time per row). On Hutto & Gilbert's 23,703 sentences 77 % qualify and py3langid calls none of
    them confidently non-English; anything else (accents, other scripts, few such words) is
    identified as before.
    """
    if not text.isascii():
        return False
    words = [w.strip(".,;:!?\"'()[]") for w in text.lower().split()]
    common = [w for w in words if w in COMMON_WORDS]
    return (
        any(w in ENGLISH_MARKERS for w in common) and len(set(common)) >= 2 and len(common) >= MARKER_SHARE * len(words)
    )
