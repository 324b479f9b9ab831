"""Output tables: rows spooled to disk while columns are discovered, then written as CSV.

A record's columns are only known once the whole document was read (an optional element may first
appear in the last record), so rows are spooled to a temporary CSV in column-index order (as wide
as the columns known so far) and the CSV (UTF-8, RFC 4180, CRLF) is written at the end with the
final header, short rows padded. Rows wait in memory in small batches (``Spooler``: at most
``SPOOL_BUFFER_CELLS`` cells over all tables of a document) and a table's spool file is opened
only to append a batch, so memory holds the column names and one batch, and a document with
thousands of record types never holds thousands of files open.
"""

from __future__ import annotations

import csv
import os
import tempfile
from collections.abc import Mapping
from pathlib import Path

from assay.analysis.tabular.column_types import INTEGER, ColumnType, ColumnTypes
from assay.common.csv_cells import SpreadsheetSafeWriter

ROW = "#row"
PARENT_ROW = "#parent_row"
TEXT = "#text"
TAIL = "#tail"
"""Generated names use ``#``, which no XML name can contain, so they never collide with data."""
SPOOL_BUFFER_CELLS = 200_000
"""Cells buffered over all tables of a document before every table's batch is appended to its file."""


class Spooler:
    """The spool files of one document's tables and the shared budget of buffered cells."""

    def __init__(self, directory: Path, max_cells: int | None = None) -> None:
        self._directory = directory
        self._max_cells = SPOOL_BUFFER_CELLS if max_cells is None else max_cells
        self._cells = 0
        self._tables: list[Table] = []

    def register(self, table: Table) -> Path:
        self._tables.append(table)
        handle, name = tempfile.mkstemp(prefix="spool-", suffix=".csv", dir=self._directory)
        os.close(handle)
        return Path(name)

    def buffered(self, cells: int) -> None:
        self._cells += cells
        if self._cells >= self._max_cells:
            for table in self._tables:
                table.flush()
            self._cells = 0


class Row:
    """The cells of one record, named by column; a repeated name gets ``~2``, ``~3`` (never merged)."""

    __slots__ = ("cells", "number", "parent", "table")

    def __init__(self, table: Table, number: int, parent: int | None) -> None:
        self.table = table
        self.number = number
        self.parent = parent
        self.cells: dict[str, str] = {}

    def set(self, column: str, value: str) -> None:
        cells = self.cells
        if column in cells:
            suffix = 2
            while f"{column}~{suffix}" in cells:
                suffix += 1
            column = f"{column}~{suffix}"
        cells[column] = value


class Table:
    """One output table; ``add`` spools a finished row, ``write_csv`` writes the final file."""

    def __init__(self, name: str, record_path: str, parent: Table | None, spooler: Spooler) -> None:
        self.name = name
        self.record_path = record_path
        self.parent = parent
        self.rows = 0
        self.columns: dict[str, int] = {}
        self.types = ColumnTypes()
        self._next_number = 0
        self._spooler = spooler
        self._spool = spooler.register(self)
        self._batch: list[list[object]] = []

    def new_row(self, parent: Row | None) -> Row:
        self._next_number += 1
        return Row(self, self._next_number, parent.number if parent is not None else None)

    def add(self, row: Row) -> None:
        columns = self.columns
        cells = [""] * len(columns)
        observe = self.types.observe
        for column, value in row.cells.items():
            index = columns.get(column)
            if index is None:
                index = columns[column] = len(columns)
                cells.append("")
            cells[index] = value
            observe(index, value)
        self._batch.append([row.number, "" if row.parent is None else row.parent, *cells])
        self.rows += 1
        self._spooler.buffered(len(cells) + 2)

    def flush(self) -> None:
        """Append the batch of rows to this table's spool file."""
        if self._batch:
            with self._spool.open("a", encoding="utf-8", newline="") as spool:
                csv.writer(spool).writerows(self._batch)
            self._batch.clear()

    def header(self, repeated: Mapping[str, str]) -> list[str]:
        generated = [ROW, PARENT_ROW] if self.parent is not None else [ROW]
        return [*generated, *self.columns, *repeated]

    def write_csv(self, path: Path, repeated: Mapping[str, str]) -> None:
        """Write every spooled row; ``repeated`` (document values) is appended to each row."""
        width = len(self.columns)
        extra = list(repeated.values())
        for index, value in enumerate(extra):
            self.types.observe(width + index, value)
        child = self.parent is not None
        self.flush()
        with path.open("w", encoding="utf-8", newline="") as out, \
                self._spool.open(encoding="utf-8", newline="") as spool:
            writer = SpreadsheetSafeWriter(out, lineterminator="\r\n")
            writer.write_generated_header(self.header(repeated))  # XML names (@attr), documented as such
            for spooled in csv.reader(spool):
                line = spooled if child else [spooled[0], *spooled[2:]]
                missing = width + (2 if child else 1) - len(line)
                if missing:
                    line.extend([""] * missing)
                if extra:
                    line.extend(extra)
                writer.writerow(line)
        self.close()

    def column_types(self, repeated: Mapping[str, str]) -> list[tuple[str, ColumnType]]:
        """(name, type) of every column, generated ones included, as written."""
        generated = [(ROW, INTEGER), (PARENT_ROW, INTEGER)] if self.parent is not None else [(ROW, INTEGER)]
        names = [*self.columns, *repeated]
        return generated + [(name, self.types.type_of(i)) for i, name in enumerate(names)]

    def close(self) -> None:
        """Drop the spool file (after ``write_csv``, or when the conversion stops)."""
        self._batch.clear()
        self._spool.unlink(missing_ok=True)


class HeaderTable:
    """Values outside every record, written as ``path,value`` rows as they come."""

    COLUMNS = ("path", "value")

    def __init__(self, path: Path) -> None:
        self.path = path
        self.values = 0
        self._file = path.open("w", encoding="utf-8", newline="")
        self._writer = SpreadsheetSafeWriter(self._file, lineterminator="\r\n")
        self._writer.writerow(self.COLUMNS)

    def add(self, path: str, value: str) -> None:
        self._writer.writerow((path, value))
        self.values += 1

    def close(self) -> None:
        self._file.close()
