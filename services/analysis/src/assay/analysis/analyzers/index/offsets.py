"""Where a piece of text lies in a larger one when their whitespace may differ: a chunk's offsets in
its page (indexing) and a sentence's in its passage (the highlight of an answer).

The text is folded once (every run of whitespace as one space, with a map back to the original
offsets, kept for the few texts in use) and the piece found with ``str.find``. It replaced a regular
expression made for every piece (its words joined by ``\\s+``): compiling those was ~3/4 of a 59-page
10-K's extraction CPU (4,304 patterns, each used once) and ran for every sentence of every answer.
Same results: the folded text has a space exactly where the original has whitespace, and
``str.split`` and ``\\s`` agree on what whitespace is.
"""

from __future__ import annotations

import bisect
import functools
import re
from dataclasses import dataclass

WORDS_MATCHED = 8
"""The piece is found by its first this many words, and its end by its last this many."""
_WORD = re.compile(r"\S+")


@dataclass(frozen=True)
class Folded:
    """A text with each run of whitespace as one space, and where each word lies in both forms."""

    text: str
    starts: list[int]
    """Each word's start in the original text."""
    ends: list[int]
    """Each word's end in the original text."""
    folded_starts: list[int]
    """Each word's start in :attr:`text`."""

    def to_folded(self, offset: int) -> int:
        """The first position of the folded text at or after ``offset`` of the original."""
        i = bisect.bisect_right(self.ends, offset)
        if i == len(self.ends):
            return len(self.text)
        return self.folded_starts[i] + max(0, offset - self.starts[i])

    def to_original(self, position: int) -> int:
        """The original offset of the character at ``position`` of the folded text (not a space)."""
        i = bisect.bisect_right(self.folded_starts, position) - 1
        return self.starts[i] + position - self.folded_starts[i]


@functools.lru_cache(maxsize=32)
def fold(text: str) -> Folded:
    """``text`` folded (the last few are kept: a page's chunks are located one after another)."""
    spans = [m.span() for m in _WORD.finditer(text)]
    folded_starts: list[int] = []
    position = 0
    for start, end in spans:
        folded_starts.append(position)
        position += end - start + 1
    return Folded(" ".join(text[a:b] for a, b in spans), [a for a, _ in spans], [b for _, b in spans], folded_starts)


def locate(haystack: str, needle: str, start: int = 0) -> tuple[int, int]:
    """Offsets in ``haystack`` of ``needle`` where whitespace may differ, searched from ``start``: from
    where its first words are found to the end of its last words after that; ``(start, start)`` if
    its first words are not found."""
    words = needle.split()
    if not words:
        return start, start
    text = fold(haystack)
    head = " ".join(words[:WORDS_MATCHED])
    found = text.text.find(head, text.to_folded(start))
    if found < 0:
        return start, start
    tail = " ".join(words[-WORDS_MATCHED:])
    last = text.text.find(tail, found)
    end = last + len(tail) if last >= 0 else found + len(head)
    return text.to_original(found), text.to_original(end - 1) + 1
