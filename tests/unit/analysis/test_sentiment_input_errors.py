"""Unusable inputs make the sentiment analyzer raise AnalysisInputError with an actionable code."""

from __future__ import annotations

from pathlib import Path

import pytest

from assay.analysis.analyzers.sentiment import ANALYZER
from assay.analysis.plugin import AnalysisInputError, InputDocument
from assay.analysis.testing import LocalRunContext
from assay.v1 import job_pb2, sentiment_pb2


def document(tmp_path: Path, content: bytes, media_type: str, name: str = "doc") -> InputDocument:
    path = tmp_path / f"input-{name}"
    path.write_bytes(content)
    return InputDocument(f"file-{name}", path, media_type, name, len(content))


def run(
    tmp_path: Path,
    *,
    text: str = "",
    inputs: tuple[InputDocument, ...] = (),
    text_column: str = "",
) -> AnalysisInputError:
    ctx = LocalRunContext(
        job_id="job-1",
        tenant_id="tenant-1",
        params=job_pb2.JobParams(sentiment=sentiment_pb2.SentimentParams(text_column=text_column)),
        work_dir=tmp_path,
        text=text,
        inputs=inputs,
    )
    with pytest.raises(AnalysisInputError) as info:
        ANALYZER.run(ctx)
    return info.value


def test_text_and_a_file_together_are_ambiguous(tmp_path: Path) -> None:
    doc = document(tmp_path, b"text\nhello\n", "text/csv")

    error = run(tmp_path, text="Great!", inputs=(doc,))

    assert error.code == "INPUT_AMBIGUOUS"


def test_two_files_are_ambiguous(tmp_path: Path) -> None:
    docs = (
        document(tmp_path, b"text\nhello\n", "text/csv", "a"),
        document(tmp_path, b"text\nhello\n", "text/csv", "b"),
    )

    error = run(tmp_path, inputs=docs)

    assert error.code == "INPUT_AMBIGUOUS"
    assert "one file per job" in error.message


def test_neither_text_nor_a_file_is_missing_input(tmp_path: Path) -> None:
    assert run(tmp_path).code == "INPUT_MISSING"


def test_a_file_over_10_mb_is_too_large_before_it_is_parsed(tmp_path: Path) -> None:
    # Not even valid CSV: the size is checked first.
    doc = document(tmp_path, b"\x00" * (10 * 1024 * 1024 + 1), "text/csv", "big.csv")

    error = run(tmp_path, inputs=(doc,))

    assert error.code == "INPUT_TOO_LARGE"
    assert '"big.csv"' in error.message and "10 MB" in error.message


def test_a_file_of_exactly_10_mb_is_not_too_large(tmp_path: Path) -> None:
    header = b"text\n"
    doc = document(tmp_path, header + b"\n" * (10 * 1024 * 1024 - len(header)), "text/csv")

    assert run(tmp_path, inputs=(doc,)).code == "INPUT_EMPTY"  # no rows, but read


@pytest.mark.parametrize(
    ("content", "media_type"),
    [
        (b"", "text/csv"),
        (b"  \n\n ", "text/plain"),
        (b"text\n", "text/csv"),
        (b"text\n\n\n", "text/csv"),
        (b"[]", "application/json"),
        (b" [ ]\n", "application/json"),
        (b"\n\n", "application/x-ndjson"),
    ],
    ids=["zero-bytes", "whitespace", "header-only", "header-and-blank-lines", "empty-array",
         "spaced-empty-array", "blank-jsonl"],
)  # fmt: skip
def test_a_file_without_rows_is_empty(tmp_path: Path, content: bytes, media_type: str) -> None:
    doc = document(tmp_path, content, media_type)

    assert run(tmp_path, inputs=(doc,)).code == "INPUT_EMPTY"


def test_a_missing_column_is_named_with_the_columns_found(tmp_path: Path) -> None:
    doc = document(tmp_path, b"id,review,stars\n1,Great,5\n", "text/csv", "reviews.csv")

    error = run(tmp_path, inputs=(doc,), text_column="comment")

    assert error.code == "COLUMN_MISSING"
    assert '"comment"' in error.message
    assert '"id", "review", "stars"' in error.message
    assert "text_column" in error.message


def test_the_default_text_column_is_text(tmp_path: Path) -> None:
    doc = document(tmp_path, b"id,review\n1,Great\n", "text/csv")

    error = run(tmp_path, inputs=(doc,))

    assert error.code == "COLUMN_MISSING"
    assert '"text"' in error.message


def test_a_file_that_is_not_utf8_is_an_encoding_error(tmp_path: Path) -> None:
    content = "text\nGood\nCafé très agréable\n".encode("latin-1")
    doc = document(tmp_path, content, "text/csv")

    error = run(tmp_path, inputs=(doc,))

    assert error.code == "INPUT_ENCODING"
    assert "UTF-8" in error.message


def test_a_json_file_that_is_not_utf8_is_an_encoding_error(tmp_path: Path) -> None:
    doc = document(tmp_path, '["très bien"]'.encode("latin-1"), "application/json")

    assert run(tmp_path, inputs=(doc,)).code == "INPUT_ENCODING"


@pytest.mark.parametrize(
    ("content", "where"),
    [
        (b'["good", "bad"', "line 1"),
        (b'["good",\n "bad" "ugly"]', "line 2"),
        (b'["good"] trailing', "after the JSON array"),
        (b'"just a string"', "expected a JSON array"),
        (b"[\n  'single quotes'\n]", "line 2"),
    ],
)
def test_malformed_json_is_unparseable_with_a_location(tmp_path: Path, content: bytes, where: str) -> None:
    doc = document(tmp_path, content, "application/json")

    error = run(tmp_path, inputs=(doc,))

    assert error.code == "INPUT_UNPARSEABLE"
    assert where in error.message


def test_a_malformed_json_line_is_unparseable_with_its_line_number(tmp_path: Path) -> None:
    doc = document(tmp_path, b'{"text": "good"}\n\n{"text": "bad"\n', "application/x-ndjson")

    error = run(tmp_path, inputs=(doc,))

    assert error.code == "INPUT_UNPARSEABLE"
    assert "line 3" in error.message
