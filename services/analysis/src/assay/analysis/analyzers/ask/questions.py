"""The input CSV of the ask analyzer: a question column and optional per-row filter columns.

Filter columns (each optional, an empty cell does not restrict): ``metadata.KEY`` (the document's
metadata KEY must equal the cell), ``indexed_after``, ``indexed_before``, ``uploaded_after``,
``uploaded_before`` (ISO 8601 dates or times; a date without a zone is UTC) and ``file_ids`` (ids
separated by spaces, commas or semicolons). A row's conditions add to the job's ``AskParams.filter``.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

from google.protobuf import timestamp_pb2

from assay.analysis.plugin import AnalysisInputError
from assay.v1 import index_pb2 as pb

MAX_QUESTIONS = 10_000
"""Rows of one job at most (``INPUT_TOO_LARGE`` beyond)."""
DATE_COLUMNS = ("indexed_after", "indexed_before", "uploaded_after", "uploaded_before")
METADATA_PREFIX = "metadata."


@dataclass(frozen=True)
class QuestionRow:
    """One data row: its question (whitespace-normalised), its file ids and filter, or what is wrong."""

    number: int
    question: str
    file_ids: list[str]
    filter: pb.DocumentFilter
    error: str = ""


def _timestamp(raw: str) -> timestamp_pb2.Timestamp:
    moment = datetime.fromisoformat(raw.strip().replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    stamp = timestamp_pb2.Timestamp()
    stamp.FromDatetime(moment)
    return stamp


def read_questions(text: str, question_column: str, base: pb.DocumentFilter) -> Iterator[QuestionRow]:
    """Every data row of the CSV; refuses a missing question column or too many rows."""
    try:
        dialect: type[csv.Dialect] | csv.Dialect = csv.Sniffer().sniff(text[:8192], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text), dialect)
    header = [h.strip() for h in next(reader, [])]
    if question_column not in header:
        raise AnalysisInputError("COLUMN_MISSING", f"the CSV has no column {question_column!r} "
                                                   f"(its columns: {', '.join(header)[:300]})")
    position = {name: i for i, name in enumerate(header)}
    for number, cells in enumerate(reader, start=1):
        if number > MAX_QUESTIONS:
            raise AnalysisInputError("INPUT_TOO_LARGE", f"the CSV has more than {MAX_QUESTIONS} questions")

        def cell(name: str, cells: list[str] = cells) -> str:
            i = position.get(name)
            return cells[i].strip() if i is not None and i < len(cells) else ""

        chosen = pb.DocumentFilter()
        chosen.CopyFrom(base)
        error = ""
        for name in header:
            if name.startswith(METADATA_PREFIX) and cell(name):
                chosen.metadata[name.removeprefix(METADATA_PREFIX)] = cell(name)
        for name in DATE_COLUMNS:
            if cell(name):
                try:
                    getattr(chosen, name).CopyFrom(_timestamp(cell(name)))
                except ValueError:
                    error = f"{name} {cell(name)[:40]!r} is not an ISO 8601 date or time"
        file_ids = [f for f in re.split(r"[\s,;]+", cell("file_ids")) if f]
        yield QuestionRow(number, " ".join(cell(question_column).split()), file_ids, chosen, error)
