"""The ask analyzer's input CSV: the question column, per-row filter columns added to the job's."""

from __future__ import annotations

import pytest

from assay.analysis.analyzers.ask.questions import MAX_QUESTIONS, read_questions
from assay.analysis.plugin import AnalysisInputError
from assay.v1 import index_pb2 as pb


def test_rows_carry_their_question_file_ids_and_filter_on_top_of_the_jobs() -> None:
    text = ("q;metadata.team;uploaded_before;file_ids\n"
            "  How   long? ;legal;2026-03-01;a b,c\n"
            "Who pays?;;2026-03-01T12:00:00+02:00;\n"
            "When?;;soon;\n")
    base = pb.DocumentFilter(metadata={"format": "pdf"})
    rows = list(read_questions(text, "q", base))
    assert [r.question for r in rows] == ["How long?", "Who pays?", "When?"]
    assert dict(rows[0].filter.metadata) == {"format": "pdf", "team": "legal"} and rows[0].file_ids == ["a", "b", "c"]
    assert rows[0].filter.uploaded_before.ToJsonString() == "2026-03-01T00:00:00Z"  # a date alone is UTC
    assert rows[1].filter.uploaded_before.ToJsonString() == "2026-03-01T10:00:00Z"
    assert dict(rows[1].filter.metadata) == {"format": "pdf"} and not rows[1].error
    assert "uploaded_before" in rows[2].error
    assert dict(base.metadata) == {"format": "pdf"}  # the job's filter is copied, not changed


def test_a_missing_question_column_and_too_many_rows_are_refused() -> None:
    with pytest.raises(AnalysisInputError) as missing:
        list(read_questions("text\nhello\n", "question", pb.DocumentFilter()))
    assert missing.value.code == "COLUMN_MISSING"
    with pytest.raises(AnalysisInputError) as large:
        list(read_questions("question\n" + "why?\n" * (MAX_QUESTIONS + 1), "question", pb.DocumentFilter()))
    assert large.value.code == "INPUT_TOO_LARGE"
