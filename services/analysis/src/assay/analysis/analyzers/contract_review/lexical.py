"""Lexical similarity: the fallback when no embedding model is available.

Texts become sets of crudely stemmed content words; similarity is the cosine of their
IDF-weighted binary vectors. It catches rewordings that keep the key terms, not true
paraphrases; patterns carry more of the load in this mode.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

_WORD = re.compile(r"[a-z][a-z\-']+")
_STOP = frozenset(
    """a about above after again against all also am an and any are as at be because been
    before being below between both but by can could did do does doing down during each either
    few for from further had has have having he her here hers herself him himself his how i if
    in into is it its itself just may me might more most must my myself no nor not now of off on
    once only or other our ours ourselves out over own same she should so some such than that the
    their theirs them themselves then there these they this those through to too under until up
    upon us very was we were what when where which while who whom why will with within without
    would you your yours yourself shall hereby herein hereof hereunder thereof therein such party
    parties agreement""".split()  # noqa: SIM905
)
_SUFFIXES = ("ational", "ations", "ation", "ities", "ity", "ings", "ing", "ised", "ized", "ises",
             "izes", "ise", "ize", "ments", "ment", "ness", "ions", "ion", "ers", "er", "ed",
             "es", "s", "al", "ly")  # fmt: skip


def stem(word: str) -> str:
    """A deliberately crude suffix stripper (``processing`` and ``processor`` -> ``process``)."""
    word = word.replace("'", "").replace("-", "")
    if word.endswith("or") and len(word) > 6:
        return word[:-2]
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 4:
            stem_ = word[: -len(suffix)]
            if suffix in ("s", "es") and stem_.endswith("s") and not stem_.endswith("ss"):
                continue
            return stem_
    return word


def terms(text: str) -> frozenset[str]:
    """The stemmed content words of a text."""
    return frozenset(stem(w) for w in _WORD.findall(text.lower()) if w not in _STOP and len(w) > 2)


class LexicalSimilarity:
    """IDF-weighted term-set cosine between sentences and anchor texts."""

    name = "lexical"

    def similarity(self, texts: Sequence[str], anchors: Sequence[str]) -> npt.NDArray[np.float32]:
        """A ``len(texts) x len(anchors)`` matrix of similarities in 0-1."""
        text_terms = [terms(t) for t in texts]
        anchor_terms = [terms(a) for a in anchors]
        df: Counter[str] = Counter()
        for group in (*text_terms, *anchor_terms):
            df.update(group)
        n = len(text_terms) + len(anchor_terms) + 1
        idf = {t: math.log(n / c) + 1.0 for t, c in df.items()}
        vocab = {t: i for i, t in enumerate(idf)}
        out = np.zeros((len(texts), len(anchors)), dtype=np.float32)
        if not vocab:
            return out

        def matrix(groups: list[frozenset[str]]) -> npt.NDArray[np.float32]:
            m = np.zeros((len(groups), len(vocab)), dtype=np.float32)
            for row, group in enumerate(groups):
                for t in group:
                    m[row, vocab[t]] = idf[t]
                norm = float(np.linalg.norm(m[row]))
                if norm > 0:
                    m[row] /= norm
            return m

        return matrix(text_terms) @ matrix(anchor_terms).T
