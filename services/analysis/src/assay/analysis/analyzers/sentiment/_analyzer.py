"""The sentiment analyzer: scores inline text or every row of one batch file."""

from __future__ import annotations

import time
from collections.abc import Callable

from assay.analysis.analyzers.sentiment._artifact import ArtifactWriter
from assay.analysis.analyzers.sentiment._model import Scores, SentimentModel, default_model
from assay.analysis.analyzers.sentiment._readers import Batch, open_batch
from assay.analysis.analyzers.sentiment._results import StatisticsAccumulator, make_item
from assay.analysis.plugin import AnalysisInputError, RunContext
from assay.common.analyzers import SENTIMENT
from assay.v1 import job_pb2, sentiment_pb2

MAX_TEXT_CHARS = SENTIMENT.max_text_chars
"""Longest text scored, inline or per row, in characters (the spec's limit)."""
MAX_INPUT_BYTES = SENTIMENT.max_input_bytes
"""Largest batch file read (the spec's limit)."""
ITEMS_LIMIT = 10_000
"""Most per-row items kept in the result (it is stored in a size-bounded JSONB column)."""
DEFAULT_TEXT_COLUMN = "text"
"""Column (CSV) or key (JSON objects) holding the text when ``text_column`` is unset."""
ARTIFACT_NAME = "sentiment.csv"

EMPTY_TEXT = "EMPTY_TEXT"
TEXT_TOO_LONG = "TEXT_TOO_LONG"
MISSING_TEXT = "MISSING_TEXT"


class SentimentAnalyzer:
    """Labels texts positive, negative or neutral with an embedded model (VADER by default).

    Args:
        model_factory: returns the model; called once per run, so it should cache (the default
            builds VADER once per process, on first use).
        items_limit: most per-row items kept in the result; the artifact always has every row.
        progress_rows: report progress and check cancellation every this many rows, or sooner
            once ``progress_seconds`` have passed since the last report (slow rows).
        progress_seconds: the longest time between two reports while rows are being read.
    """

    spec = SENTIMENT

    def __init__(
        self,
        model_factory: Callable[[], SentimentModel] = default_model,
        *,
        items_limit: int = ITEMS_LIMIT,
        progress_rows: int = 250,
        progress_seconds: float = 0.5,
    ) -> None:
        self._model_factory = model_factory
        self._items_limit = items_limit
        self._progress_rows = progress_rows
        self._progress_seconds = progress_seconds

    def run(self, ctx: RunContext) -> job_pb2.JobResult:
        ctx.check_cancelled()
        if ctx.text and ctx.inputs:
            raise AnalysisInputError("INPUT_AMBIGUOUS", "give either an inline text or one file, not both")
        if len(ctx.inputs) > 1:
            raise AnalysisInputError(
                "INPUT_AMBIGUOUS",
                f"the sentiment analyzer reads one file per job, got {len(ctx.inputs)}; submit one job per file",
            )
        if ctx.text:
            return self._run_text(ctx.text)
        if not ctx.inputs:
            raise AnalysisInputError("INPUT_MISSING", "give an inline text or one file to analyse")
        text_column = ctx.params.sentiment.text_column or DEFAULT_TEXT_COLUMN
        with open_batch(ctx.inputs[0], text_column, MAX_INPUT_BYTES) as batch:
            return self._run_batch(ctx, batch)

    def _run_text(self, text: str) -> job_pb2.JobResult:
        if not text.strip():
            raise AnalysisInputError("TEXT_EMPTY", "the text is empty")
        if len(text) > MAX_TEXT_CHARS:
            raise AnalysisInputError(
                "TEXT_TOO_LONG",
                f"the text has {len(text)} characters; the limit is {MAX_TEXT_CHARS}",
            )
        scores = self._model_factory().score(text)
        stats = StatisticsAccumulator()
        stats.add_scored(scores)
        return _result(stats, [make_item(0, scores, "")], truncated=False)

    def _run_batch(self, ctx: RunContext, batch: Batch) -> job_pb2.JobResult:
        model = self._model_factory()
        stats = StatisticsAccumulator()
        items: list[sentiment_pb2.SentimentItem] = []
        progress = _Progress(ctx, batch, self._progress_rows, self._progress_seconds)
        artifact_path = ctx.artifact_path(ARTIFACT_NAME, "text/csv")
        with ArtifactWriter(artifact_path, batch.columns) as artifact:
            for row in batch.rows:
                text = row.text
                reason = _skip_reason(text)
                scores: Scores | None = None
                if reason or text is None:
                    stats.add_skipped(reason)
                else:
                    scores = model.score(text)
                    stats.add_scored(scores)
                artifact.write(row.cells, scores, reason)
                if len(items) < self._items_limit:
                    items.append(make_item(row.number, scores, reason))
                progress.row_done(stats)
        if stats.rows_total == 0:
            raise AnalysisInputError("INPUT_EMPTY", "the file has no data rows")
        progress.finish(stats)
        ctx.logger.info(
            "sentiment scored %d of %d rows (%s)",
            stats.rows_scored,
            stats.rows_total,
            batch.format.value,
        )
        return _result(stats, items, truncated=stats.rows_total > len(items))


def _skip_reason(text: str | None) -> str:
    if text is None:
        return MISSING_TEXT
    if not text.strip():
        return EMPTY_TEXT
    if len(text) > MAX_TEXT_CHARS:
        return TEXT_TOO_LONG
    return ""


def _result(
    stats: StatisticsAccumulator,
    items: list[sentiment_pb2.SentimentItem],
    *,
    truncated: bool,
) -> job_pb2.JobResult:
    return job_pb2.JobResult(
        sentiment=sentiment_pb2.SentimentResult(statistics=stats.to_proto(), items=items, items_truncated=truncated)
    )


class _Progress:
    """Reports bytes-based progress with partial statistics, and checks for cancellation."""

    def __init__(self, ctx: RunContext, batch: Batch, every_rows: int, every_seconds: float):
        self._ctx = ctx
        self._batch = batch
        self._every_rows = every_rows
        self._every_seconds = every_seconds
        self._rows = 0
        self._last_time = time.monotonic()
        self._percent = 0

    def row_done(self, stats: StatisticsAccumulator) -> None:
        self._rows += 1
        if self._rows < self._every_rows and (time.monotonic() - self._last_time < self._every_seconds):
            return
        self._ctx.check_cancelled()
        # Reading is buffered ahead of scoring, so hold 100 back for the end.
        percent = min(99, self._batch.position() * 100 // max(1, self._batch.size))
        self._report(max(self._percent, percent), stats)

    def finish(self, stats: StatisticsAccumulator) -> None:
        self._report(100, stats)

    def _report(self, percent: int, stats: StatisticsAccumulator) -> None:
        self._percent = percent
        self._rows = 0
        self._last_time = time.monotonic()
        partial = job_pb2.JobResult(sentiment=sentiment_pb2.SentimentResult(statistics=stats.to_proto()))
        self._ctx.report_progress(percent, partial)
