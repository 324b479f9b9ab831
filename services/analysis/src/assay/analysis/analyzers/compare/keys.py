"""Key columns: the user's, or detected from both samples.

A detected key is one compared column, else a pair, whose values are non-empty and unique in the
sample of both datasets; columns with id-like names (id, key, code, iso, number, uuid …) are
tried first, then in column order. Uniqueness over the whole data is checked while matching:
duplicates are counted and reported, never fatal.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence

from assay.analysis.analyzers.compare.normalize import Normalizer
from assay.analysis.analyzers.compare.schema import ComparedColumn
from assay.analysis.plugin import AnalysisInputError

_ID_LIKE = re.compile(r"(?:^|[^a-z])(?:id|key|code|iso|uuid|number|no|nr|ref)(?:[^a-z]|$)|id$", re.IGNORECASE)
_PAIR_COLUMNS = 30
"""Pairs are searched among this many columns at most (the id-like ones first)."""


def given_key(names: Sequence[str], compared: Sequence[ComparedColumn]) -> list[ComparedColumn]:
    by_name = {c.name: c for c in compared}
    missing = [name for name in names if name not in by_name]
    if missing:
        raise AnalysisInputError(
            "KEY_COLUMN_MISSING",
            f"key column(s) {', '.join(missing)} are not in both datasets; columns in both: "
            f"{', '.join(c.name for c in compared[:30])}",
        )
    return [by_name[name] for name in names]


def detect_key(compared: Sequence[ComparedColumn], old_sample: Sequence[Sequence[str]],
               new_sample: Sequence[Sequence[str]], normalize: Normalizer) -> list[ComparedColumn]:
    """The detected key columns, or [] when no column or pair is unique in both samples."""
    if not old_sample or not new_sample:
        return []
    ordered = sorted(compared, key=lambda c: (not _ID_LIKE.search(c.name), compared.index(c)))
    for column in ordered:
        if _unique(old_sample, [column.old_index], normalize) and _unique(new_sample, [column.new_index], normalize):
            return [column]
    for first, second in itertools.combinations(ordered[:_PAIR_COLUMNS], 2):
        if not (_ID_LIKE.search(first.name) or _ID_LIKE.search(second.name)):
            continue
        old_idx, new_idx = [first.old_index, second.old_index], [first.new_index, second.new_index]
        if _unique(old_sample, old_idx, normalize) and _unique(new_sample, new_idx, normalize):
            return [first, second]
    return []


def _unique(sample: Sequence[Sequence[str]], indexes: list[int], normalize: Normalizer) -> bool:
    seen: set[tuple[str, ...]] = set()
    for row in sample:
        key = tuple(normalize(row[i]) for i in indexes)
        if any(not part.strip() for part in key) or key in seen:
            return False
        seen.add(key)
    return True
