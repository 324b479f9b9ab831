"""What a comparison found: counts, per-column changes, similarity, the first rows of each kind
for the result, and every change in the diff CSV artifact.

Diff CSV columns: ``change`` (added, removed, changed), ``old_row``, ``new_row`` (1-based data
rows, empty on the side a row is missing from), one ``key:<column>`` per key column, then
``column``, ``old_value``, ``new_value``, ``similarity``. A changed row has one line per changed
value; an added or removed row has one line whose ``new_value`` or ``old_value`` is the whole row
as a JSON object.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import IO

from assay.analysis.analyzers.compare.schema import ComparedColumn
from assay.common.csv_cells import SpreadsheetSafeWriter
from assay.v1 import compare_pb2

FieldChange = tuple[ComparedColumn, str, str]


class Outcome:
    """Accumulates the comparison while pairs are found; ``close`` finishes the artifact."""

    def __init__(self, diff_path: Path, key_names: Sequence[str], old_columns: Sequence[str],
                 new_columns: Sequence[str], compared_count: int, rows_listed: int) -> None:
        self.added = self.removed = self.changed = self.unchanged = 0
        self.similarity_sum = 0.0
        self.column_changes: Counter[str] = Counter()
        self.changed_rows: list[compare_pb2.CompareRowChange] = []
        self.added_rows: list[compare_pb2.CompareRowChange] = []
        self.removed_rows: list[compare_pb2.CompareRowChange] = []
        self._old_columns = old_columns
        self._new_columns = new_columns
        self._compared = max(1, compared_count)
        self._listed = rows_listed
        self._file: IO[str] = diff_path.open("w", encoding="utf-8", newline="")
        self._writer = SpreadsheetSafeWriter(self._file, lineterminator="\r\n")
        self._writer.writerow(["change", "old_row", "new_row", *(f"key:{k}" for k in key_names), "column",
                               "old_value", "new_value", "similarity"])

    def pair(self, old_no: int, new_no: int, key: Sequence[str], changes: Sequence[FieldChange]) -> None:
        if not changes:
            self.unchanged += 1
            return
        similarity = 1 - len(changes) / self._compared
        self.changed += 1
        self.similarity_sum += similarity
        shown = round(similarity, 4)
        for column, old, new in changes:
            self.column_changes[column.name] += 1
            self._writer.writerow(["changed", old_no, new_no, *key, column.name, old, new, shown])
        if len(self.changed_rows) < self._listed:
            self.changed_rows.append(compare_pb2.CompareRowChange(
                key=key, old_row=old_no, new_row=new_no, similarity=shown,
                fields=[compare_pb2.CompareFieldChange(column=c.name, old_value=o, new_value=n) for c, o, n in changes],
            ))

    def only_new(self, new_no: int, key: Sequence[str], row: Sequence[str]) -> None:
        self.added += 1
        self._writer.writerow(["added", "", new_no, *key, "", "", _as_json(self._new_columns, row), ""])
        if len(self.added_rows) < self._listed:
            self.added_rows.append(compare_pb2.CompareRowChange(key=key, new_row=new_no))

    def only_old(self, old_no: int, key: Sequence[str], row: Sequence[str]) -> None:
        self.removed += 1
        self._writer.writerow(["removed", old_no, "", *key, "", _as_json(self._old_columns, row), "", ""])
        if len(self.removed_rows) < self._listed:
            self.removed_rows.append(compare_pb2.CompareRowChange(key=key, old_row=old_no))

    @property
    def similarity(self) -> float:
        total = self.unchanged + self.changed + self.added + self.removed
        return 1.0 if total == 0 else round((self.unchanged + self.similarity_sum) / total, 6)

    @property
    def truncated(self) -> bool:
        return (len(self.changed_rows) < self.changed or len(self.added_rows) < self.added
                or len(self.removed_rows) < self.removed)

    def close(self) -> None:
        self._file.close()


def _as_json(columns: Sequence[str], row: Sequence[str]) -> str:
    named = dict(zip(columns, row, strict=False))
    for index in range(len(columns), len(row)):
        named[f"#{index + 1}"] = row[index]
    return json.dumps(named, ensure_ascii=False)
