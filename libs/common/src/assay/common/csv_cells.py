"""CSV that is safe to open in a spreadsheet: every CSV Assay writes for users goes through here.

Formula injection is neutralised as OWASP recommends: a text cell that begins with ``=``, ``+``,
``-``, ``@``, a tab or a carriage return (which a spreadsheet would evaluate, e.g.
``=HYPERLINK(…)``, ``+cmd|' /C calc'!A0``, ``@SUM(1)``) is written with a leading single quote,
so it is shown as text. Plain numbers (``-3``, ``+1.5e3``) are left as they are, and non-text
cells (numbers) are never touched. A text that already begins with quotes followed by a trigger
gets one more quote, so :func:`restore` gives every original value back exactly. The ``csv``
module's quoting takes care of delimiters and quotes inside cells.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable
from typing import IO, Any

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
"""First characters that make a spreadsheet treat a cell as a formula (OWASP CSV injection)."""
_PLAIN_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")


def _formula_like(text: str) -> bool:
    unquoted = text.lstrip("'")
    return unquoted.startswith(FORMULA_TRIGGERS) and not _PLAIN_NUMBER.fullmatch(unquoted)


def neutralise(cell: Any) -> Any:
    """``cell``, prefixed with ``'`` when it is text a spreadsheet would evaluate as a formula."""
    if isinstance(cell, str) and _formula_like(cell):
        return "'" + cell
    return cell


def restore(cell: str) -> str:
    """The value :func:`neutralise` was given, from the cell it wrote (for readers of Assay's CSVs)."""
    return cell[1:] if cell.startswith("'") and _formula_like(cell) else cell


class SpreadsheetSafeWriter:
    """``csv.writer`` whose every cell is :func:`neutralise`-d (same formatting arguments)."""

    def __init__(self, file: IO[str], **fmtparams: Any) -> None:
        self._writer = csv.writer(file, **fmtparams)

    def writerow(self, row: Iterable[Any]) -> None:
        self._writer.writerow([neutralise(cell) for cell in row])

    def write_generated_header(self, names: Iterable[str]) -> None:
        """Write column names verbatim: only for names Assay builds from a grammar that cannot
        express a formula call (XML names hold no ``(``, ``|``, ``!`` or space, so ``@attr`` is inert)."""
        self._writer.writerow(list(names))

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        for row in rows:
            self.writerow(row)
