"""Locating a chunk in its page (or a sentence in its passage) where whitespace differs: the folded
search finds exactly what the regular expression it replaced found."""

from __future__ import annotations

import random
import re

from assay.analysis.analyzers.index.offsets import fold, locate


def regex_locate(haystack: str, needle: str, start: int = 0) -> tuple[int, int]:
    """The earlier implementation: the needle's first and last eight words joined by ``\\s+``."""
    words = needle.split()
    if not words:
        return start, start
    found = re.compile(r"\s+".join(re.escape(w) for w in words[:8])).search(haystack, start)
    if found is None:
        return start, start
    last = re.compile(r"\s+".join(re.escape(w) for w in words[-8:])).search(haystack, found.start())
    return found.start(), last.end() if last is not None else found.end()


def test_a_piece_is_found_across_line_breaks_and_runs_of_spaces() -> None:
    page = "  Liability\n\nThe liability of the\nsupplier is  capped at the fees.\tEnd."
    start, end = locate(page, "The liability of the supplier is capped at the fees.")
    assert page[start:end] == "The liability of the\nsupplier is  capped at the fees."
    assert locate(page, "not on the page", 5) == (5, 5)
    assert locate(page, "   ", 3) == (3, 3)
    assert locate(page, "liability", 4) == (page.index("liability"), page.index("liability") + 9)


def test_the_folded_search_finds_what_the_regular_expression_found() -> None:
    rng = random.Random(5)
    vocabulary = ["the", "fee", "fees", "shall", "a", "ab", "b", "§", "1.2", "(a)", "x", "ünïcode", "e.g."]
    spaces = [" ", "  ", "\n", "\t", " \n ", "\u00a0", "\u2003"]
    for _ in range(3000):
        words = [rng.choice(vocabulary) for _ in range(rng.randint(0, 40))]
        haystack = rng.choice(["", " ", "\n"]) + "".join(w + rng.choice(spaces) for w in words)
        if rng.random() < 0.5:
            haystack = haystack.rstrip()
        if words and rng.random() < 0.8:
            i = rng.randrange(len(words))
            needle = " ".join(words[i:i + rng.randint(1, 20)])
        else:
            needle = " ".join(rng.choice(vocabulary) for _ in range(rng.randint(0, 4)))
        start = rng.randint(0, len(haystack))
        assert locate(haystack, needle, start) == regex_locate(haystack, needle, start), (haystack, needle, start)


def test_a_text_is_folded_once_for_its_many_pieces() -> None:
    fold.cache_clear()
    page = "one two\nthree four five six seven eight nine ten"
    for piece in ("one two", "three four", "nine ten"):
        locate(page, piece)
    assert fold.cache_info().misses == 1 and fold.cache_info().hits == 2
