"""Streaming readers for batch files: CSV, a JSON array, or JSON Lines, one row at a time."""

from __future__ import annotations

import codecs
import contextlib
import csv
import enum
import io
import json
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import IO

from assay.analysis.plugin import AnalysisInputError, InputDocument

_SNIFF_CHUNK = 4096
_CSV_DELIMITERS = (",", ";", "\t", "|")
_JSON_WHITESPACE = re.compile(r"[ \t\n\r]*")
_MAX_LISTED_COLUMNS = 20


class BatchFormat(enum.Enum):
    """How a batch file is laid out."""

    CSV = "csv"
    JSON_ARRAY = "json"
    JSON_LINES = "jsonl"


_FORMAT_BY_MEDIA_TYPE = {
    "text/csv": BatchFormat.CSV,
    "application/csv": BatchFormat.CSV,
    "application/json": BatchFormat.JSON_ARRAY,
    "text/json": BatchFormat.JSON_ARRAY,
    "application/x-ndjson": BatchFormat.JSON_LINES,
    "application/ndjson": BatchFormat.JSON_LINES,
    "application/jsonl": BatchFormat.JSON_LINES,
    "application/x-jsonlines": BatchFormat.JSON_LINES,
    "application/jsonlines": BatchFormat.JSON_LINES,
}


@dataclass(frozen=True, slots=True)
class Row:
    """One data row of a batch file."""

    number: int
    """1-based position among the data rows (CSV header and blank lines are not counted)."""
    text: str | None
    """The text to score; ``None`` when the row has none (a ``MISSING_TEXT`` skip)."""
    cells: Sequence[str]
    """The row as the artifact writes it, before the appended result columns."""


@dataclass(frozen=True)
class Batch:
    """An open batch file: its layout, its rows and how far reading has got."""

    format: BatchFormat
    """The layout the rows are read in."""
    columns: Sequence[str]
    """Artifact header before the appended result columns."""
    rows: Iterator[Row]
    """The data rows, read lazily; raises ``AnalysisInputError`` on unreadable content."""
    size: int
    """File size in bytes."""
    position: Callable[[], int]
    """Bytes consumed so far (approximately: reading is buffered)."""


@contextlib.contextmanager
def open_batch(doc: InputDocument, text_column: str, max_bytes: int) -> Iterator[Batch]:
    """Open ``doc`` for streaming; the header (or JSON opening) is validated before yielding.

    Raises:
        AnalysisInputError: ``INPUT_TOO_LARGE``, ``INPUT_EMPTY``, ``INPUT_ENCODING``,
            ``INPUT_UNPARSEABLE`` or ``COLUMN_MISSING`` (also later, while iterating rows).
    """
    with open(doc.path, "rb") as raw:
        size = _check_size(raw, doc, max_bytes)
        encoding = _detect_encoding(raw)
        first_char = _first_char(raw, encoding)
        if first_char is None:
            raise AnalysisInputError("INPUT_EMPTY", f"{_name(doc)} has no data rows")
        batch_format = _choose_format(doc.media_type, first_char)
        stream = io.TextIOWrapper(raw, encoding=encoding, errors="strict", newline="")
        try:
            yield _open(batch_format, stream, raw, size, doc, text_column, max_bytes)
        finally:
            stream.detach()


def _open(
    batch_format: BatchFormat,
    stream: IO[str],
    raw: IO[bytes],
    size: int,
    doc: InputDocument,
    text_column: str,
    max_bytes: int,
) -> Batch:
    if batch_format is BatchFormat.CSV:
        columns, rows = _csv_rows(stream, doc, text_column, max_bytes)
        return Batch(batch_format, columns, rows, size, raw.tell)
    if batch_format is BatchFormat.JSON_LINES:
        rows = _json_lines_rows(stream, doc, text_column)
        return Batch(batch_format, ("row", "text"), rows, size, raw.tell)
    text = _decode_all(stream, doc)
    array = _JsonArray(text, doc, text_column)
    return Batch(
        batch_format,
        ("row", "text"),
        array.rows(),
        size,
        lambda: array.offset * size // max(1, len(text)),
    )


def _check_size(raw: IO[bytes], doc: InputDocument, max_bytes: int) -> int:
    size = max(raw.seek(0, io.SEEK_END), 0)
    raw.seek(0)
    if max_bytes and size > max_bytes:
        raise AnalysisInputError(
            "INPUT_TOO_LARGE",
            f"{_name(doc)} is {_megabytes(size)}; the sentiment analyzer reads files of up to "
            f"{_megabytes(max_bytes)}, so split it into smaller files",
        )
    if size == 0:
        raise AnalysisInputError("INPUT_EMPTY", f"{_name(doc)} is empty")
    return size


def _detect_encoding(raw: IO[bytes]) -> str:
    head = raw.read(4)
    raw.seek(0)
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"  # e.g. Excel's "Unicode text"; the codec consumes the BOM
    return "utf-8-sig"  # UTF-8 with or without a BOM


def _first_char(raw: IO[bytes], encoding: str) -> str | None:
    """The first non-whitespace character, decoded leniently; ``None`` if there is none."""
    decoder = codecs.getincrementaldecoder(encoding)(errors="replace")
    try:
        while chunk := raw.read(_SNIFF_CHUNK):
            text = decoder.decode(chunk).lstrip()
            if text:
                return text[0]
        return None
    finally:
        raw.seek(0)


def _choose_format(media_type: str, first_char: str) -> BatchFormat:
    """Trust an explicit media type; sniff the first character of anything else."""
    declared = _FORMAT_BY_MEDIA_TYPE.get(media_type.split(";", 1)[0].strip().lower())
    if declared is BatchFormat.CSV or declared is BatchFormat.JSON_LINES:
        return declared
    if first_char == "[":
        return BatchFormat.JSON_ARRAY
    if first_char == "{":
        return BatchFormat.JSON_LINES  # one object per line is the common mislabelled JSON
    if declared is BatchFormat.JSON_ARRAY:
        return declared  # let the JSON reader say what is wrong
    return BatchFormat.CSV  # text/plain, octet-stream, unknown


def _csv_rows(stream: IO[str], doc: InputDocument, text_column: str, max_bytes: int) -> tuple[list[str], Iterator[Row]]:
    header_line, header_lines = _first_nonblank_line(stream, doc)
    delimiter, header, index = _parse_header(header_line, text_column)
    if index is None:
        raise AnalysisInputError(
            "COLUMN_MISSING",
            f'{_name(doc)} has no "{text_column}" column; columns found: {_list(header)}; '
            "set the text_column parameter to the column that holds the text",
        )
    # A text longer than the default 128 KiB field limit is a TEXT_TOO_LONG row, not a crash.
    csv.field_size_limit(max(csv.field_size_limit(), max_bytes))
    return header, _csv_records(stream, doc, delimiter, index, len(header), header_lines)


def _first_nonblank_line(stream: IO[str], doc: InputDocument) -> tuple[str, int]:
    lines = 0
    try:
        while line := stream.readline():
            lines += 1
            if line.strip():
                return line, lines
    except UnicodeDecodeError as err:
        raise _encoding_error(doc, err, "in the header") from None
    raise AnalysisInputError("INPUT_EMPTY", f"{_name(doc)} has no data rows")


def _parse_header(line: str, text_column: str) -> tuple[str, list[str], int | None]:
    """Split the header with the first delimiter that yields the text column (comma if none)."""
    for delimiter in _CSV_DELIMITERS:
        header = next(csv.reader([line], delimiter=delimiter))
        index = _find_column(header, text_column)
        if index is not None:
            return delimiter, header, index
    return ",", next(csv.reader([line])), None


def _find_column(header: Sequence[str], wanted: str) -> int | None:
    if wanted in header:
        return header.index(wanted)
    folded = wanted.strip().casefold()
    for index, name in enumerate(header):
        if name.strip().casefold() == folded:
            return index
    return None


def _csv_records(
    stream: IO[str],
    doc: InputDocument,
    delimiter: str,
    index: int,
    width: int,
    header_lines: int,
) -> Iterator[Row]:
    reader = csv.reader(stream, delimiter=delimiter)
    number = 0
    try:
        for record in reader:
            if not record:
                continue  # a blank line
            number += 1
            if width == 1 and len(record) > 1:
                # One column, so a delimiter in the data is part of an unquoted text.
                record = [delimiter.join(record)]
            text = record[index] if index < len(record) else None
            # Keep the artifact's appended columns aligned: pad short rows, drop unnamed extras.
            cells = record[:width] if len(record) >= width else record + [""] * (width - len(record))
            yield Row(number, text, cells)
    except UnicodeDecodeError as err:
        raise _encoding_error(doc, err, f"after row {number}") from None
    except csv.Error as err:
        raise AnalysisInputError(
            "INPUT_UNPARSEABLE",
            f"{_name(doc)} is not valid CSV at line {reader.line_num + header_lines}: {err}",
        ) from None


def _json_lines_rows(stream: IO[str], doc: InputDocument, text_column: str) -> Iterator[Row]:
    number = 0
    line_number = 0
    try:
        for line in stream:
            line_number += 1
            stripped = line.strip()
            if not stripped:
                continue
            try:
                value = json.loads(stripped)
            except json.JSONDecodeError as err:
                raise AnalysisInputError(
                    "INPUT_UNPARSEABLE",
                    f"{_name(doc)} line {line_number} is not valid JSON ({err.msg} at column "
                    f"{err.colno}); a JSON Lines file holds one JSON string or object per line",
                ) from None
            number += 1
            yield _json_row(number, value, text_column)
    except UnicodeDecodeError as err:
        raise _encoding_error(doc, err, f"after row {number}") from None


class _JsonArray:
    """Walks a top-level JSON array element by element, so only one element is decoded at once."""

    def __init__(self, text: str, doc: InputDocument, text_column: str) -> None:
        self._text = text
        self._doc = doc
        self._column = text_column
        self._decoder = json.JSONDecoder()
        self.offset = _skip_whitespace(text, 0)
        if not text.startswith("[", self.offset):
            raise self._error(
                f'expected a JSON array of strings or of objects with a "{text_column}" key',
                self.offset,
            )
        self.offset = _skip_whitespace(text, self.offset + 1)

    def rows(self) -> Iterator[Row]:
        text = self._text
        if text.startswith("]", self.offset):
            self._expect_end(self.offset + 1)
            return
        number = 0
        while True:
            try:
                value, end = self._decoder.raw_decode(text, self.offset)
            except json.JSONDecodeError as err:
                raise self._error(err.msg, err.pos) from None
            number += 1
            yield _json_row(number, value, self._column)
            self.offset = _skip_whitespace(text, end)
            if text.startswith(",", self.offset):
                self.offset = _skip_whitespace(text, self.offset + 1)
            elif text.startswith("]", self.offset):
                self._expect_end(self.offset + 1)
                return
            else:
                raise self._error("expected ',' or ']' after an array element", self.offset)

    def _expect_end(self, offset: int) -> None:
        self.offset = _skip_whitespace(self._text, offset)
        if self.offset != len(self._text):
            raise self._error("unexpected data after the JSON array", self.offset)
        self.offset = len(self._text)

    def _error(self, what: str, pos: int) -> AnalysisInputError:
        line = self._text.count("\n", 0, pos) + 1
        column = pos - self._text.rfind("\n", 0, pos)
        return AnalysisInputError(
            "INPUT_UNPARSEABLE",
            f"{_name(self._doc)} is not valid JSON: {what} (line {line}, column {column})",
        )


def _json_row(number: int, value: object, text_column: str) -> Row:
    """A row from one JSON value: a string, or an object holding the text under the column key."""
    text: str | None = None
    if isinstance(value, str):
        text = value
    elif isinstance(value, dict):
        field = value.get(text_column)
        if isinstance(field, str):
            text = field
        elif field is None and text_column in value:
            text = ""  # null is how table exports write an empty cell
    return Row(number, text, (str(number), text or ""))


def _skip_whitespace(text: str, offset: int) -> int:
    match = _JSON_WHITESPACE.match(text, offset)
    return match.end() if match else offset


def _decode_all(stream: IO[str], doc: InputDocument) -> str:
    try:
        return stream.read()
    except UnicodeDecodeError as err:
        raise _encoding_error(doc, err, "") from None


def _encoding_error(doc: InputDocument, err: UnicodeDecodeError, where: str) -> AnalysisInputError:
    encoding = "UTF-16" if err.encoding.startswith("utf-16") else "UTF-8"
    where = f" ({where})" if where else ""
    return AnalysisInputError(
        "INPUT_ENCODING",
        f"{_name(doc)} is not valid {encoding} text{where}; save it as UTF-8 and upload it again",
    )


def _name(doc: InputDocument) -> str:
    return f'"{doc.display_name}"' if doc.display_name else "the file"


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.1f} MB".replace(".0 MB", " MB")


def _list(names: Sequence[str]) -> str:
    shown = [f'"{name[:50]}"' for name in names[:_MAX_LISTED_COLUMNS]]
    if len(names) > _MAX_LISTED_COLUMNS:
        shown.append(f"and {len(names) - _MAX_LISTED_COLUMNS} more")
    return ", ".join(shown) if shown else "none"
