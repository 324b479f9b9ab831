"""Pairing rows of two datasets in flat memory: hash partitions spilled to disk, one in memory at a time.

Each row goes to partition ``hash(key) % P`` of its side (P grows with the input size, so a
partition holds about ``PARTITION_BYTES`` of input); then, partition by partition, the old rows are
held in a dict by key and the new rows stream past it. Row order therefore never matters. Without a
key the whole row (compared columns, normalised) is the key: identical rows pair first, and the
rows left over are paired by similarity (shared values, found through an inverted index) up to
``CONTENT_MATCH_LIMIT`` rows per side (past it, unpaired rows are added/removed: memory stays bounded).
"""

from __future__ import annotations

import csv
import tempfile
from collections import Counter, deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from assay.analysis.analyzers.compare.normalize import Normalizer
from assay.analysis.analyzers.compare.outcome import FieldChange, Outcome
from assay.analysis.analyzers.compare.schema import ComparedColumn

CHECK_EVERY = 10_000
_BLOCK_LIMIT = 50
"""An inverted-index bucket larger than this (a value most rows share) does not suggest pairs."""

Key = tuple[str, ...]


@dataclass
class SideStats:
    rows: int = 0
    duplicate_keys: int = 0
    empty_keys: int = 0


class Spill:
    """One dataset's rows in ``partitions`` temporary CSV files: row number, then the cells."""

    def __init__(self, directory: Path, partitions: int) -> None:
        self._files: list[IO[str]] = [
            tempfile.TemporaryFile("w+", encoding="utf-8", newline="", dir=directory)  # noqa: SIM115 closed in close
            for _ in range(partitions)
        ]
        self._writers = [csv.writer(f) for f in self._files]

    def add(self, partition: int, number: int, row: Sequence[str]) -> None:
        self._writers[partition].writerow((number, *row))

    def read(self, partition: int) -> Iterator[tuple[int, list[str]]]:
        spill = self._files[partition]
        spill.flush()
        spill.seek(0)
        for record in csv.reader(spill):
            yield int(record[0]), record[1:]

    def close(self) -> None:
        for spill in self._files:
            spill.close()


def spill_rows(rows: Iterable[list[str]], key_of: Callable[[list[str]], Key], spill: Spill, partitions: int,
               stats: SideStats, tick: Callable[[], None]) -> None:
    """Write every row to its partition, counting rows and empty keys."""
    number = 0
    for row in rows:
        number += 1
        key = key_of(row)
        if not any(key):
            stats.empty_keys += 1
        spill.add(hash(key) % partitions, number, row)
        if number % CHECK_EVERY == 0:
            tick()
    stats.rows = number


class Matcher:
    """Pairs partitions and records every pair, addition and removal in ``outcome``."""

    def __init__(self, compared: Sequence[ComparedColumn], key: Sequence[ComparedColumn],
                 key_old: Callable[[list[str]], Key], key_new: Callable[[list[str]], Key], normalize: Normalizer,
                 exact: bool, outcome: Outcome, content_limit: int) -> None:
        """``key`` are the key columns ([] to match by content); ``key_old``/``key_new`` give the
        normalised matching key of a row (every compared column when matching by content)."""
        self._compared = compared
        self._key_columns = key
        self._key_old = key_old
        self._key_new = key_new
        self._normalize = normalize
        self._exact = exact
        self._by_content = not key
        self._outcome = outcome
        self._content_limit = content_limit
        self._left_old: list[tuple[int, list[str]]] = []
        self._left_new: list[tuple[int, list[str]]] = []
        self._too_many_left = False

    def partition(self, old_rows: Iterable[tuple[int, list[str]]], new_rows: Iterable[tuple[int, list[str]]],
                  old_stats: SideStats, new_stats: SideStats) -> None:
        waiting: dict[Key, deque[tuple[int, list[str]]]] = {}
        for number, row in old_rows:
            key = self._key_old(row)
            queue = waiting.get(key)
            if queue is None:
                waiting[key] = deque([(number, row)])
            else:
                old_stats.duplicate_keys += 1
                queue.append((number, row))
        seen_new: set[Key] = set()
        outcome = self._outcome
        for number, row in new_rows:
            key = self._key_new(row)
            if key in seen_new:
                new_stats.duplicate_keys += 1
            else:
                seen_new.add(key)
            queue = waiting.get(key)
            if queue:
                old_number, old_row = queue.popleft()
                outcome.pair(old_number, number, self._shown(row, new=True), self._changes(old_row, row))
            elif self._by_content and not self._too_many_left:
                self._leave(self._left_new, number, row)
            else:
                outcome.only_new(number, self._shown(row, new=True), row)
        for queue in waiting.values():
            for number, row in queue:
                if self._by_content and not self._too_many_left:
                    self._leave(self._left_old, number, row)
                else:
                    outcome.only_old(number, self._shown(row, new=False), row)

    def finish(self) -> None:
        """Pair the rows content matching left over by similarity; the rest are added/removed."""
        if not self._by_content:
            return
        outcome = self._outcome
        old_rows, new_rows = self._left_old, self._left_new
        pairs = self._similar_pairs()
        used_old = set(pairs.values())
        for index, (number, row) in enumerate(new_rows):
            if index in pairs:
                old_number, old_row = old_rows[pairs[index]]
                outcome.pair(old_number, number, (), self._changes(old_row, row))
            else:
                outcome.only_new(number, (), row)
        for index, (number, row) in enumerate(old_rows):
            if index not in used_old:
                outcome.only_old(number, (), row)

    def _leave(self, rows: list[tuple[int, list[str]]], number: int, row: list[str]) -> None:
        """Keep an unpaired row for similarity pairing; past the limit, give up on it for all rows
        (memory stays bounded) and report every unpaired row as added or removed instead."""
        rows.append((number, row))
        if len(rows) > self._content_limit:
            self._too_many_left = True
            for old_number, old_row in self._left_old:
                self._outcome.only_old(old_number, (), old_row)
            for new_number, new_row in self._left_new:
                self._outcome.only_new(new_number, (), new_row)
            self._left_old.clear()
            self._left_new.clear()

    def _similar_pairs(self) -> dict[int, int]:
        """new index -> old index, greedily by most shared values (at least half the compared columns)."""
        normalize = self._normalize
        index: dict[tuple[int, str], list[int]] = {}
        for position, (_, row) in enumerate(self._left_old):
            for column, c in enumerate(self._compared):
                index.setdefault((column, normalize(row[c.old_index])), []).append(position)
        needed = max(1, (len(self._compared) + 1) // 2)
        candidates: list[tuple[int, int, int]] = []
        for position, (_, row) in enumerate(self._left_new):
            shared: Counter[int] = Counter()
            for column, c in enumerate(self._compared):
                bucket = index.get((column, normalize(row[c.new_index])))
                if bucket and len(bucket) <= _BLOCK_LIMIT:
                    shared.update(bucket)
            candidates.extend((-count, position, old) for old, count in shared.items() if count >= needed)
        pairs: dict[int, int] = {}
        used: set[int] = set()
        for _, new_position, old_position in sorted(candidates):
            if new_position not in pairs and old_position not in used:
                pairs[new_position] = old_position
                used.add(old_position)
        return pairs

    def _changes(self, old: list[str], new: list[str]) -> list[FieldChange]:
        changes: list[FieldChange] = []
        normalize = self._normalize
        exact = self._exact
        for column in self._compared:
            a, b = old[column.old_index], new[column.new_index]
            if a != b and (exact or normalize(a) != normalize(b)):
                changes.append((column, a, b))
        return changes

    def _shown(self, row: list[str], *, new: bool) -> Sequence[str]:
        """The row's key values as written in it (content matching has no key)."""
        if new:
            return [row[c.new_index] if c.new_index < len(row) else "" for c in self._key_columns]
        return [row[c.old_index] if c.old_index < len(row) else "" for c in self._key_columns]
