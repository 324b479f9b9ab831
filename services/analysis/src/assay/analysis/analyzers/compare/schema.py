"""Which columns are compared: common names, plus columns renamed with their content unchanged.

A column only in the old dataset and one only in the new are a rename when their value sets in
the sample overlap (Jaccard) by at least ``RENAME_OVERLAP`` and each has at least two distinct
values; pairs are taken best overlap first. Types are inferred over every value and a common or
renamed column whose type differs is reported.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

RENAME_OVERLAP = 0.8


@dataclass(frozen=True)
class ComparedColumn:
    """A column read from both datasets: its index on each side and its (new) name."""

    name: str
    old_index: int
    new_index: int


@dataclass(frozen=True)
class Rename:
    old_name: str
    new_name: str
    overlap: float


@dataclass(frozen=True)
class Alignment:
    compared: list[ComparedColumn]
    added: list[str]
    removed: list[str]
    renamed: list[Rename]


def align(old_columns: Sequence[str], new_columns: Sequence[str], old_sample: Sequence[Sequence[str]],
          new_sample: Sequence[Sequence[str]]) -> Alignment:
    """Pair the two datasets' columns by name, then the leftovers by content."""
    new_index = {name: i for i, name in enumerate(new_columns)}
    compared = [ComparedColumn(name, i, new_index[name]) for i, name in enumerate(old_columns) if name in new_index]
    common = {c.name for c in compared}
    only_old = [i for i, name in enumerate(old_columns) if name not in common]
    only_new = [i for i, name in enumerate(new_columns) if name not in common]
    candidates = []
    for oi in only_old:
        old_values = {row[oi] for row in old_sample if oi < len(row)}
        if len(old_values) < 2:
            continue
        for ni in only_new:
            new_values = {row[ni] for row in new_sample if ni < len(row)}
            if len(new_values) < 2:
                continue
            overlap = len(old_values & new_values) / len(old_values | new_values)
            if overlap >= RENAME_OVERLAP:
                candidates.append((overlap, oi, ni))
    renamed: list[Rename] = []
    used_old: set[int] = set()
    used_new: set[int] = set()
    for overlap, oi, ni in sorted(candidates, key=lambda c: (-c[0], c[1], c[2])):
        if oi in used_old or ni in used_new:
            continue
        used_old.add(oi)
        used_new.add(ni)
        renamed.append(Rename(old_columns[oi], new_columns[ni], round(overlap, 4)))
        compared.append(ComparedColumn(new_columns[ni], oi, ni))
    return Alignment(
        compared=compared,
        added=[new_columns[i] for i in only_new if i not in used_new],
        removed=[old_columns[i] for i in only_old if i not in used_old],
        renamed=renamed,
    )
