"""Tabular datasets read row by row: CSV/TSV (encoding and delimiter sniffed), XLSX, JSON Lines.

Every reader yields rows as lists of strings as wide as the header (short rows padded, cells past
the header kept under generated names ``#<n>``) and can be opened again for a second pass.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import datetime as dt
import io
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import charset_normalizer

from assay.analysis.plugin import AnalysisInputError, InputDocument

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_JSONL_TYPES = ("application/x-ndjson", "application/jsonl", "application/x-jsonlines")
_SNIFF_BYTES = 1024 * 1024
_DELIMITERS = (",", ";", "\t", "|")
_SNIFF_LINES = 50


@dataclass(frozen=True)
class Dataset:
    """One opened dataset: how it was read, its columns, and its rows (lazily)."""

    format: str
    encoding: str
    delimiter: str
    columns: list[str]
    rows: Iterator[list[str]]
    position: Callable[[], int]
    """Bytes consumed so far (approximate; 0 where unknown)."""


@contextlib.contextmanager
def open_dataset(doc: InputDocument, sheet: str = "") -> Iterator[Dataset]:
    """Open ``doc`` by its content: XLSX (a ZIP), JSON Lines (a ``{`` first) or CSV/TSV."""
    with doc.path.open("rb") as raw:
        head = raw.read(_SNIFF_BYTES)
        raw.seek(0)
        if head.startswith(b"PK\x03\x04") or doc.media_type == XLSX:
            with _xlsx(doc, sheet) as dataset:
                yield dataset
            return
        encoding = _encoding(head)
        text = io.TextIOWrapper(raw, encoding=encoding, newline="", errors="strict")
        try:
            first = _decoded(head, encoding).lstrip()[:1]
            if first == "{" or doc.media_type in _JSONL_TYPES:
                yield _jsonl(doc, text, raw, encoding)
            else:
                yield _csv(doc, text, raw, encoding, _decoded(head, encoding))
        finally:
            text.detach()


def _encoding(head: bytes) -> str:
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
        return "utf-8"
    except UnicodeDecodeError:
        best = charset_normalizer.from_bytes(head).best()
        return best.encoding if best is not None else "cp1252"


def _decoded(head: bytes, encoding: str) -> str:
    return codecs.getincrementaldecoder(encoding)(errors="replace").decode(head, final=False)


def _delimiter(sample: str, name: str) -> str:
    if name.lower().endswith(".tsv"):
        return "\t"
    lines = sample.splitlines()[:_SNIFF_LINES]
    if len(lines) > 1 and len(sample) >= _SNIFF_BYTES - 4:
        lines = lines[:-1]  # the last line may be cut
    best, best_score = ",", (False, 0)
    for delimiter in _DELIMITERS:
        try:
            widths = {len(row) for row in csv.reader(lines, delimiter=delimiter) if row}
        except csv.Error:
            continue
        width = max(widths, default=0)
        score = (len(widths) == 1 and width > 1, width if len(widths) == 1 else 0)
        if score > best_score:
            best, best_score = delimiter, score
    return best


def _csv(doc: InputDocument, text: io.TextIOWrapper, raw: io.BufferedReader, encoding: str, sample: str) -> Dataset:
    delimiter = _delimiter(sample, doc.display_name)
    csv.field_size_limit(max(csv.field_size_limit(), 64 * 1024 * 1024))
    reader = csv.reader(text, delimiter=delimiter)
    try:
        header = next(reader, None)
    except (UnicodeDecodeError, csv.Error) as err:
        raise _unreadable(doc, err, 1) from None
    if not header:
        raise AnalysisInputError("INPUT_EMPTY", f"{doc.display_name} has no header row")
    return Dataset("csv", encoding.replace("utf-8-sig", "utf-8"), delimiter, _unique(header),
                   _csv_rows(doc, reader, len(header)), raw.tell)


def _csv_rows(doc: InputDocument, reader: Iterator[list[str]], width: int) -> Iterator[list[str]]:
    line = 1
    try:
        for row in reader:
            line += 1
            if not row:
                continue
            if len(row) < width:
                row.extend([""] * (width - len(row)))
            yield row
    except (UnicodeDecodeError, csv.Error) as err:
        raise _unreadable(doc, err, line + 1) from None


def _unreadable(doc: InputDocument, err: Exception, line: int) -> AnalysisInputError:
    if isinstance(err, UnicodeDecodeError):
        return AnalysisInputError("INPUT_ENCODING", f"{doc.display_name} is not {err.encoding} text near line {line}")
    return AnalysisInputError("INPUT_UNPARSEABLE", f"{doc.display_name} is not valid CSV at line {line}: {err}")


def _unique(header: list[str]) -> list[str]:
    """Header names as given; an empty or repeated name gets a ``#<position>`` suffix so each is unique."""
    seen: set[str] = set()
    names = []
    for index, name in enumerate(header, start=1):
        if not name or name in seen:
            name = f"{name}#{index}"
        seen.add(name)
        names.append(name)
    return names


def _jsonl(doc: InputDocument, text: io.TextIOWrapper, raw: io.BufferedReader, encoding: str) -> Dataset:
    columns: dict[str, None] = {}
    for number, record in _json_records(doc, text):
        if not isinstance(record, dict):
            raise AnalysisInputError("INPUT_UNPARSEABLE", f"{doc.display_name} line {number} is not a JSON object")
        columns.update(dict.fromkeys(record))
    text.seek(0)
    names = list(columns)
    return Dataset("jsonl", encoding, "", names, _jsonl_rows(doc, text, names), raw.tell)


def _json_records(doc: InputDocument, text: io.TextIOWrapper) -> Iterator[tuple[int, object]]:
    number = 0
    try:
        for line in text:
            number += 1
            if line.strip():
                yield number, json.loads(line)
    except json.JSONDecodeError as err:
        raise AnalysisInputError("INPUT_UNPARSEABLE",
                                 f"{doc.display_name} line {number} is not valid JSON ({err.msg})") from None
    except UnicodeDecodeError as err:
        raise _unreadable(doc, err, number + 1) from None


def _jsonl_rows(doc: InputDocument, text: io.TextIOWrapper, names: list[str]) -> Iterator[list[str]]:
    for _, record in _json_records(doc, text):
        assert isinstance(record, dict)
        yield [_json_cell(record.get(name)) for name in names]


def _json_cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False)


@contextlib.contextmanager
def _xlsx(doc: InputDocument, sheet: str) -> Iterator[Dataset]:
    import openpyxl  # imported here so that listing analyzers stays cheap

    handle = doc.path.open("rb")  # a file object: openpyxl would otherwise insist on an .xlsx file name
    try:
        book = openpyxl.load_workbook(handle, read_only=True, data_only=True)
    except Exception as err:  # openpyxl raises many types for a broken package
        handle.close()
        raise AnalysisInputError("INPUT_UNPARSEABLE", f"{doc.display_name} is not a readable XLSX workbook: {err}") \
            from None
    try:
        if sheet and sheet not in book.sheetnames:
            raise AnalysisInputError("SHEET_MISSING", f"{doc.display_name} has no sheet {sheet!r}; sheets: "
                                     f"{', '.join(book.sheetnames)}")
        worksheet = book[sheet] if sheet else book.worksheets[0]
        rows = (list(map(_xlsx_cell, values)) for values in worksheet.iter_rows(values_only=True))
        header = next(rows, None)
        if not header:
            raise AnalysisInputError("INPUT_EMPTY", f"{doc.display_name} has no header row")
        width = len(header)

        def data() -> Iterator[list[str]]:
            for row in rows:
                if not any(row):
                    continue
                yield row + [""] * (width - len(row)) if len(row) < width else row

        yield Dataset("xlsx", "", "", _unique(header), data(), lambda: 0)
    finally:
        book.close()
        handle.close()


def _xlsx_cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat()
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    return str(value)
