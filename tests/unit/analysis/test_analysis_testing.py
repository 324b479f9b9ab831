"""assay.analysis.testing: run an analyzer locally on files, after the checks CreateJob makes."""

from __future__ import annotations

from pathlib import Path

import pytest

from assay.analysis.analyzers.contract_review import ANALYZER as CONTRACT_REVIEW
from assay.analysis.analyzers.sentiment import ANALYZER as SENTIMENT
from assay.analysis.testing import input_file, run_analyzer
from assay.common.errors import InvalidArgument


def test_a_csv_file_is_scored_and_its_artifact_recorded(tmp_path: Path) -> None:
    reviews = tmp_path / "reviews.csv"
    reviews.write_text("text\nI love it!\nThis is terrible.\n")
    run = run_analyzer(SENTIMENT, tmp_path, files=[reviews])
    assert run.result.sentiment.statistics.rows_scored == 2
    assert [a.name for a in run.artifacts] == ["sentiment.csv"] and run.artifacts[0].path.exists()
    assert run.progress[-1] == 100


def test_a_file_the_spec_does_not_accept_is_refused_before_the_analyzer_runs(tmp_path: Path) -> None:
    pdf = tmp_path / "report.pdf"
    pdf.write_bytes(b"%PDF-1.7\n")
    with pytest.raises(InvalidArgument) as refused:
        run_analyzer(SENTIMENT, tmp_path, files=[pdf])
    assert [v.field for v in refused.value.violations] == ["files[0]"]
    assert "application/pdf" in refused.value.violations[0].description


def test_every_missing_required_param_is_reported_like_the_api_does(tmp_path: Path) -> None:
    with pytest.raises(InvalidArgument) as refused:
        run_analyzer(CONTRACT_REVIEW, tmp_path, text="The processor shall ...")
    assert [v.field for v in refused.value.violations] == [
        "params.contract_review.contract_type", "params.contract_review.jurisdiction"]


def test_input_file_guesses_the_media_type_as_ingest_names_it(tmp_path: Path) -> None:
    path = tmp_path / "rows.jsonl"
    path.write_text('{"text": "hi"}\n')
    document = input_file(path)
    assert (document.media_type, document.size_bytes, document.display_name) == (
        "application/x-ndjson", path.stat().st_size, "rows.jsonl")
