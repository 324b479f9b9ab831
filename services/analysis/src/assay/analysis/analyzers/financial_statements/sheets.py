"""CSV files and XLSX sheets into blocks: one block per sheet, rows as lines, columns by index.

A statement printed with periods as rows (years down the first column, line items across) is
turned so that line items are rows, as everywhere else.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path

from charset_normalizer import from_bytes

from assay.analysis.analyzers.financial_statements.amounts import is_amount, is_year
from assay.analysis.analyzers.financial_statements.blocks import Block, Cell, Line
from assay.analysis.plugin import AnalysisInputError

_MAX_ROWS = 5000
_MAX_COLUMNS = 200


def decode(data: bytes) -> str:
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="replace")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        best = from_bytes(data[:200_000]).best()
        return data.decode(best.encoding if best else "latin-1", errors="replace")


def csv_rows(path: Path) -> list[list[str]]:
    text = decode(path.read_bytes())
    try:
        dialect = csv.Sniffer().sniff(text[:20_000], delimiters=",;\t|")
        delimiter = dialect.delimiter
    except csv.Error:
        delimiter = ","
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    try:
        rows = [row[:_MAX_COLUMNS] for _, row in zip(range(_MAX_ROWS), reader, strict=False)]
    except csv.Error as exc:
        raise AnalysisInputError("INPUT_UNPARSEABLE", f"the CSV cannot be read: {exc}") from exc
    return [row for row in rows if any(cell.strip() for cell in row)]


def xlsx_sheets(path: Path) -> list[tuple[str, list[list[str]], int]]:
    """Each sheet's rows as text, and how many cells held a formula with no cached value."""
    import openpyxl

    values_file, formulas_file = path.open("rb"), path.open("rb")  # a file, not a name: any name will do
    try:
        book = openpyxl.load_workbook(values_file, read_only=True, data_only=True)
        formulas_book = openpyxl.load_workbook(formulas_file, read_only=True, data_only=False)
    except Exception as exc:  # openpyxl raises many kinds for a broken archive
        values_file.close()
        formulas_file.close()
        raise AnalysisInputError("INPUT_UNPARSEABLE", f"the XLSX workbook cannot be read: {exc}") from exc
    out = []
    try:
        for sheet in book.worksheets:
            formula_rows = formulas_book[sheet.title].iter_rows(max_row=_MAX_ROWS, max_col=_MAX_COLUMNS,
                                                                values_only=True)
            rows: list[list[str]] = []
            uncached = 0
            for values, formulas in zip(sheet.iter_rows(max_row=_MAX_ROWS, max_col=_MAX_COLUMNS, values_only=True),
                                        formula_rows, strict=False):
                row = []
                for value, formula in zip(values, formulas, strict=False):
                    if value is None and isinstance(formula, str) and formula.startswith("="):
                        uncached += 1
                    row.append(_cell_text(value))
                if any(cell for cell in row):
                    rows.append(row)
            out.append((sheet.title, rows, uncached))
    finally:
        book.close()
        formulas_book.close()
        values_file.close()
        formulas_file.close()
    return out


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float):
        return repr(value) if value != int(value) or abs(value) >= 1e16 else str(int(value))
    return str(value).strip()


def rows_block(rows: list[list[str]], name: str, page: int = 1) -> Block:
    """A block of ``rows``; the first row is the header (periods), the first text cell each row's label."""
    rows = _transposed(rows) if _periods_down(rows) else rows
    lines: list[Line] = []
    header: list[str] = []
    for number, row in enumerate(rows, start=1):
        cells = [Cell(text=text.strip(), pos=float(i), start=float(i)) for i, text in enumerate(row) if text.strip()]
        if not cells:
            continue
        if not lines and not any(is_amount(c.text) and not is_year(c.text) for c in cells[1:]):
            header.append(" ".join(c.text for c in cells))
        first = row[int(cells[0].start)]
        indent = float(len(first) - len(first.lstrip()))
        lines.append(Line(cells=cells, page=page, number=number, indent=indent + cells[0].start * 4))
    return Block(lines=lines, heading=[name, *header[:1]], page=page, tolerance=0.0, context=[name, *header])


def _periods_down(rows: list[list[str]]) -> bool:
    firsts = [row[0].strip() for row in rows[1:] if row]
    return len(firsts) >= 2 and sum(1 for f in firsts if is_year(f) or is_year(f[:4])) \
        >= 0.8 * len(firsts)


def _transposed(rows: list[list[str]]) -> list[list[str]]:
    width = max(len(row) for row in rows)
    padded = [row + [""] * (width - len(row)) for row in rows]
    return [list(column) for column in zip(*padded, strict=True)]
