"""Splits a review into clauses: the units scored for MIXED and for each aspect.

A clause ends at sentence punctuation (``.!?;``), a comma, or before a contrastive connective
("but", "however", "although", "though", "yet", "whereas", "except"); pieces without a word of
two letters are dropped.
"""

from __future__ import annotations

import re

_BREAK = re.compile(
    r"[.!?;]+(?:\s+|$)|,\s*|\s+(?=\b(?:but|however|although|though|yet|whereas|except)\b)",
    re.IGNORECASE,
)
_WORD = re.compile(r"[^\W\d_]{2,}")


def clauses(text: str) -> list[str]:
    """The clauses of ``text`` in order (one, the stripped text, when it does not split)."""
    pieces = [piece.strip() for piece in _BREAK.split(text)]
    kept = [piece for piece in pieces if _WORD.search(piece)]
    return kept or [text.strip()]
