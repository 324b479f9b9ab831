"""Batch files (CSV, JSON array, JSON Lines) through the sentiment analyzer's lexicon model.

These figures are VADER's: the lexicon path must stay exactly as it was before the learned model.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from assay.analysis.analyzers.sentiment import ANALYZER, SentimentAnalyzer
from assay.analysis.plugin import AnalysisCancelled, InputDocument
from assay.analysis.testing import LocalRunContext
from assay.v1 import job_pb2, sentiment_pb2

POSITIVE = "I love this product, it is wonderful!"
NEGATIVE = "This is terrible, I hate it."
NEUTRAL = "The package arrived on Tuesday."
APPENDED = ["label", "positive", "negative", "neutral", "compound", "skip_reason"]
LABELS = {
    "positive": sentiment_pb2.SENTIMENT_LABEL_POSITIVE,
    "negative": sentiment_pb2.SENTIMENT_LABEL_NEGATIVE,
    "neutral": sentiment_pb2.SENTIMENT_LABEL_NEUTRAL,
}


def batch_ctx(
    tmp_path: Path,
    content: str | bytes,
    media_type: str,
    *,
    text_column: str = "",
    name: str = "reviews",
) -> LocalRunContext:
    path = tmp_path / f"input-{name}"
    data = content.encode() if isinstance(content, str) else content
    path.write_bytes(data)
    return LocalRunContext(
        job_id="job-1",
        tenant_id="tenant-1",
        params=job_pb2.JobParams(
            sentiment=sentiment_pb2.SentimentParams(
                text_column=text_column, model=sentiment_pb2.SENTIMENT_MODEL_KIND_LEXICON
            )
        ),
        work_dir=tmp_path,
        inputs=[InputDocument("file-1", path, media_type, name, len(data))],
    )


def csv_text(rows: list[list[str]]) -> str:
    lines = []
    for row in rows:
        lines.append(",".join(f'"{cell}"' if "," in cell else cell for cell in row))
    return "\n".join(lines) + "\n"


def artifact_rows(ctx: LocalRunContext) -> list[list[str]]:
    assert len(ctx.artifacts) == 1
    artifact = ctx.artifacts[0]
    assert artifact.name == "sentiment.csv"
    assert artifact.media_type == "text/csv"
    with artifact.path.open(encoding="utf-8", newline="") as f:
        return list(csv.reader(f))


def counts(stats: sentiment_pb2.SentimentStatistics) -> dict[int, tuple[int, float]]:
    return {c.label: (c.count, c.percentage) for c in stats.label_counts}


def test_a_5000_row_csv_gets_the_right_labels_statistics_and_artifact(tmp_path: Path) -> None:
    sentences = [("positive", POSITIVE), ("negative", NEGATIVE), ("neutral", NEUTRAL)]
    rows = [["id", "text", "stars"]]
    expected = []
    for i in range(5000):
        label, sentence = sentences[i % 5 % 3]  # 2 positive, 2 negative, 1 neutral per 5
        rows.append([str(i), sentence, "3"])  # no numbers: VADER scores "187", "1337"
        expected.append(label)
    ctx = batch_ctx(tmp_path, csv_text(rows), "text/csv")

    result = ANALYZER.run(ctx).sentiment

    stats = result.statistics
    assert (stats.rows_total, stats.rows_scored, stats.rows_skipped) == (5000, 5000, 0)
    assert counts(stats) == {
        sentiment_pb2.SENTIMENT_LABEL_POSITIVE: (2000, 40.0),
        sentiment_pb2.SENTIMENT_LABEL_NEGATIVE: (2000, 40.0),
        sentiment_pb2.SENTIMENT_LABEL_NEUTRAL: (1000, 20.0),
    }
    assert list(stats.skip_reasons) == []
    assert stats.mean_compound == pytest.approx((2 * 0.8478 - 2 * 0.7783) / 5, abs=0.01)
    assert [item.row for item in result.items] == list(range(1, 5001))
    assert [item.label for item in result.items] == [LABELS[label] for label in expected]
    assert not result.items_truncated

    artifact = artifact_rows(ctx)
    assert artifact[0] == ["id", "text", "stars", *APPENDED]
    assert len(artifact) == 5001
    assert [row[:3] for row in artifact[1:]] == rows[1:]
    assert [row[3] for row in artifact[1:]] == expected
    first = artifact[1]
    assert float(first[7]) == pytest.approx(result.items[0].scores.compound)
    assert first[8] == ""


def test_a_custom_text_column_is_read(tmp_path: Path) -> None:
    content = csv_text([["id", "review"], ["1", POSITIVE], ["2", NEGATIVE]])
    ctx = batch_ctx(tmp_path, content, "text/csv", text_column="review")

    result = ANALYZER.run(ctx).sentiment

    assert [i.label for i in result.items] == [LABELS["positive"], LABELS["negative"]]


def test_a_text_column_matches_a_header_that_differs_only_in_case_and_spaces(
    tmp_path: Path,
) -> None:
    ctx = batch_ctx(tmp_path, f"Id, Text \n1,{NEGATIVE}\n", "text/csv")

    result = ANALYZER.run(ctx).sentiment

    assert result.items[0].label == LABELS["negative"]


def test_a_semicolon_separated_csv_is_read(tmp_path: Path) -> None:
    ctx = batch_ctx(tmp_path, f"id;text\n1;{POSITIVE}\n2;{NEUTRAL}\n", "text/csv")

    result = ANALYZER.run(ctx).sentiment

    assert [i.label for i in result.items] == [LABELS["positive"], LABELS["neutral"]]
    assert artifact_rows(ctx)[1][:3] == ["1", POSITIVE, "positive"]


def test_a_single_column_csv_keeps_unquoted_commas_in_the_text(tmp_path: Path) -> None:
    ctx = batch_ctx(tmp_path, "text\nGreat price, and I love it\n", "text/plain")

    result = ANALYZER.run(ctx).sentiment

    assert result.items[0].label == LABELS["positive"]
    assert artifact_rows(ctx)[1][0] == "Great price, and I love it"


def test_a_csv_with_a_bom_crlf_and_blank_lines_is_read(tmp_path: Path) -> None:
    content = f"\ufefftext\r\n{POSITIVE}\r\n\r\n{NEGATIVE}\r\n\r\n".encode()
    ctx = batch_ctx(tmp_path, content, "text/csv")

    result = ANALYZER.run(ctx).sentiment

    assert [(i.row, i.label) for i in result.items] == [
        (1, LABELS["positive"]),
        (2, LABELS["negative"]),
    ]


def test_a_utf16_csv_with_a_bom_is_read(tmp_path: Path) -> None:
    ctx = batch_ctx(tmp_path, f"text\n{POSITIVE}\n".encode("utf-16"), "text/plain")

    result = ANALYZER.run(ctx).sentiment

    assert result.items[0].label == LABELS["positive"]


def test_a_json_array_of_strings_and_objects_is_read(tmp_path: Path) -> None:
    content = json.dumps([POSITIVE, {"text": NEGATIVE, "id": 7}, NEUTRAL], indent=2)
    ctx = batch_ctx(tmp_path, content, "application/json")

    result = ANALYZER.run(ctx).sentiment

    assert [(i.row, i.label) for i in result.items] == [
        (1, LABELS["positive"]),
        (2, LABELS["negative"]),
        (3, LABELS["neutral"]),
    ]
    artifact = artifact_rows(ctx)
    assert artifact[0] == ["row", "text", *APPENDED]
    assert [row[:3] for row in artifact[1:]] == [
        ["1", POSITIVE, "positive"],
        ["2", NEGATIVE, "negative"],
        ["3", NEUTRAL, "neutral"],
    ]


def test_json_lines_with_a_custom_key_are_read(tmp_path: Path) -> None:
    content = "\n".join(json.dumps({"body": t}) for t in (NEGATIVE, POSITIVE)) + "\n\n"
    ctx = batch_ctx(tmp_path, content, "application/x-ndjson", text_column="body")

    result = ANALYZER.run(ctx).sentiment

    assert [i.label for i in result.items] == [LABELS["negative"], LABELS["positive"]]
    assert [row[:3] for row in artifact_rows(ctx)[1:]] == [
        ["1", NEGATIVE, "negative"],
        ["2", POSITIVE, "positive"],
    ]


@pytest.mark.parametrize(
    ("content", "media_type"),
    [
        (json.dumps([POSITIVE, NEGATIVE]), "text/plain"),
        (f'{{"text": "{POSITIVE}"}}\n{{"text": "{NEGATIVE}"}}\n', "text/plain"),
        (f'{{"text": "{POSITIVE}"}}\n{{"text": "{NEGATIVE}"}}\n', "application/json"),
        (f"text\n{POSITIVE}\n{NEGATIVE}\n", "application/octet-stream"),
        (json.dumps([POSITIVE, NEGATIVE]), "application/jsonl; charset=utf-8"),
    ],
    ids=["json-as-plain", "jsonl-as-plain", "jsonl-as-json", "csv-as-octet-stream", "jsonl-type"],
)
def test_the_format_falls_back_to_what_the_content_looks_like(tmp_path: Path, content: str, media_type: str) -> None:
    ctx = batch_ctx(tmp_path, content, media_type)

    result = ANALYZER.run(ctx).sentiment

    if media_type.startswith("application/jsonl"):
        # A declared JSON Lines file is read as such: the one line is an array, not a text.
        assert [i.skip_reason for i in result.items] == ["MISSING_TEXT"]
    else:
        assert [i.label for i in result.items] == [LABELS["positive"], LABELS["negative"]]


def test_row_problems_are_skipped_with_a_reason_without_failing_the_batch(tmp_path: Path) -> None:
    rows = [
        POSITIVE,
        "",
        "   ",
        {"text": "x" * 513},
        {"text": "y" * 512},
        42,
        {"other": POSITIVE},
        {"text": None},
        {"text": 5},
        [POSITIVE],
        None,
        NEGATIVE,
    ]
    ctx = batch_ctx(tmp_path, json.dumps(rows), "application/json")

    result = ANALYZER.run(ctx).sentiment

    assert [i.skip_reason for i in result.items] == [
        "",
        "EMPTY_TEXT",
        "EMPTY_TEXT",
        "TEXT_TOO_LONG",
        "",
        "MISSING_TEXT",
        "MISSING_TEXT",
        "EMPTY_TEXT",
        "MISSING_TEXT",
        "MISSING_TEXT",
        "MISSING_TEXT",
        "",
    ]
    skipped = [i for i in result.items if i.skip_reason]
    assert all(i.label == sentiment_pb2.SENTIMENT_LABEL_UNSPECIFIED and not i.HasField("scores") for i in skipped)
    stats = result.statistics
    assert (stats.rows_total, stats.rows_scored, stats.rows_skipped) == (12, 3, 9)
    assert [(s.reason, s.count) for s in stats.skip_reasons] == [
        ("MISSING_TEXT", 5),
        ("EMPTY_TEXT", 3),
        ("TEXT_TOO_LONG", 1),
    ]
    artifact = artifact_rows(ctx)
    assert artifact[4][2:] == ["", "", "", "", "", "TEXT_TOO_LONG"]


def test_csv_rows_with_empty_long_or_missing_text_are_skipped(tmp_path: Path) -> None:
    content = f"id,text\n1,{POSITIVE}\n2,\n3,{'z' * 600}\n4\n5,{NEUTRAL},extra\n"
    ctx = batch_ctx(tmp_path, content, "text/csv")

    result = ANALYZER.run(ctx).sentiment

    assert [i.skip_reason for i in result.items] == [
        "",
        "EMPTY_TEXT",
        "TEXT_TOO_LONG",
        "MISSING_TEXT",
        "",
    ]
    artifact = artifact_rows(ctx)
    assert artifact[4] == ["4", "", "", "", "", "", "", "MISSING_TEXT"]
    assert artifact[5][:3] == ["5", NEUTRAL, "neutral"]  # the unnamed extra cell is dropped
    assert len(artifact[5]) == len(artifact[0])


def test_a_text_longer_than_the_csv_field_limit_is_a_skipped_row(tmp_path: Path) -> None:
    ctx = batch_ctx(tmp_path, f"text\n{'w' * 200_000}\n{POSITIVE}\n", "text/csv")

    result = ANALYZER.run(ctx).sentiment

    assert [i.skip_reason for i in result.items] == ["TEXT_TOO_LONG", ""]


def test_progress_grows_monotonically_and_carries_partial_statistics(tmp_path: Path) -> None:
    lines = "".join(f"{POSITIVE if i % 2 else NEGATIVE}\n" for i in range(2000))
    ctx = batch_ctx(tmp_path, "text\n" + lines, "text/csv")

    ANALYZER.run(ctx)

    assert len(ctx.progress) >= 8  # every 250 rows at most
    assert ctx.progress == sorted(ctx.progress)
    assert ctx.progress[-1] == 100
    assert 0 < ctx.progress[len(ctx.progress) // 2] < 100
    assert len(ctx.partials) == len(ctx.progress)
    totals = [p.sentiment.statistics.rows_total for p in ctx.partials]
    assert totals == sorted(totals)
    assert totals[0] >= 1
    assert totals[-1] == 2000
    assert all(len(p.sentiment.items) == 0 for p in ctx.partials)
    assert len(ctx.partials[0].sentiment.statistics.label_counts) == 3


def test_a_json_array_reports_progress_as_it_goes(tmp_path: Path) -> None:
    ctx = batch_ctx(tmp_path, json.dumps([POSITIVE] * 1000), "application/json")

    ANALYZER.run(ctx)

    assert ctx.progress == sorted(ctx.progress)
    assert any(0 < p < 100 for p in ctx.progress)


def test_a_cancelled_job_raises_analysis_cancelled(tmp_path: Path) -> None:
    ctx = batch_ctx(tmp_path, f"text\n{POSITIVE}\n", "text/csv")
    ctx.cancelled = True

    with pytest.raises(AnalysisCancelled):
        ANALYZER.run(ctx)


class _CancelAfterFirstReport(LocalRunContext):
    def report_progress(self, percent: int, partial: job_pb2.JobResult | None = None) -> None:
        super().report_progress(percent, partial)
        self.cancelled = True


def test_cancellation_during_a_batch_stops_it_at_the_next_check(tmp_path: Path) -> None:
    template = batch_ctx(tmp_path, "text\n" + f"{POSITIVE}\n" * 2000, "text/csv")
    ctx = _CancelAfterFirstReport(
        job_id="j",
        tenant_id="t",
        params=template.params,
        work_dir=tmp_path,
        inputs=template.inputs,
    )

    with pytest.raises(AnalysisCancelled):
        ANALYZER.run(ctx)

    assert len(ctx.progress) == 1
    assert ctx.partials[0].sentiment.statistics.rows_total < 2000


def test_items_are_capped_at_10000_rows_while_statistics_and_artifact_cover_all(
    tmp_path: Path,
) -> None:
    content = "".join(json.dumps(NEUTRAL) + "\n" for _ in range(10_050))
    ctx = batch_ctx(tmp_path, content, "application/x-ndjson")

    result = ANALYZER.run(ctx).sentiment

    assert len(result.items) == 10_000
    assert result.items[-1].row == 10_000
    assert result.items_truncated
    assert result.statistics.rows_total == 10_050
    assert len(artifact_rows(ctx)) == 10_051


def test_items_are_not_truncated_at_exactly_the_limit(tmp_path: Path) -> None:
    ctx = batch_ctx(tmp_path, "text\n" + f"{NEUTRAL}\n" * 3, "text/csv")

    result = SentimentAnalyzer(items_limit=3).run(ctx).sentiment

    assert len(result.items) == 3
    assert not result.items_truncated
