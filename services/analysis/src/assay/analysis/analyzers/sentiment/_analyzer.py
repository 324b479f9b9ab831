"""The sentiment analyzer: scores inline text or every row of one batch file."""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from opentelemetry import metrics, trace

from assay.analysis.analyzers.sentiment._artifact import ArtifactWriter
from assay.analysis.analyzers.sentiment._model import SentimentModel, Unscored
from assay.analysis.analyzers.sentiment._models import LEXICON, ModelKind, model_for
from assay.analysis.analyzers.sentiment._readers import Batch, Row, open_batch
from assay.analysis.analyzers.sentiment._results import (
    LEARNED_LABELS,
    LEXICON_LABELS,
    StatisticsAccumulator,
    make_item,
)
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
BATCH_ROWS = 256
"""Rows scored together (the learned model dedupes and length-batches them); cancellation is checked between."""

EMPTY_TEXT = "EMPTY_TEXT"
TEXT_TOO_LONG = "TEXT_TOO_LONG"
MISSING_TEXT = "MISSING_TEXT"

_ROWS = metrics.get_meter("assay.analysis.sentiment").create_counter(
    "assay.sentiment.rows", unit="{row}", description="Batch rows read by the sentiment analyzer, by model"
)


class SentimentAnalyzer:
    """Labels texts positive, negative, neutral (or mixed) with the model the ``model`` param picks.

    Args:
        models: returns the model of a kind (``SentimentParams.model``); called once per run, so it
            should cache (the default builds each model once per process, on first use).
        items_limit: most per-row items kept in the result; the artifact always has every row.
        progress_rows: report progress and check cancellation every this many rows, or sooner
            once ``progress_seconds`` have passed since the last report (slow rows).
        progress_seconds: the longest time between two reports while rows are being read.
        batch_rows: rows scored together (the learned model dedupes and length-batches them).
    """

    spec = SENTIMENT

    def __init__(
        self,
        models: Callable[[ModelKind], SentimentModel] = model_for,
        *,
        items_limit: int = ITEMS_LIMIT,
        progress_rows: int = 250,
        progress_seconds: float = 0.5,
        batch_rows: int = BATCH_ROWS,
    ) -> None:
        self._models = models
        self._items_limit = items_limit
        self._progress_rows = progress_rows
        self._progress_seconds = progress_seconds
        self._batch_rows = batch_rows

    def run(self, ctx: RunContext) -> job_pb2.JobResult:
        ctx.check_cancelled()
        if ctx.text and ctx.inputs:
            raise AnalysisInputError("INPUT_AMBIGUOUS", "give either an inline text or one file, not both")
        if len(ctx.inputs) > 1:
            raise AnalysisInputError(
                "INPUT_AMBIGUOUS",
                f"the sentiment analyzer reads one file per job, got {len(ctx.inputs)}; submit one job per file",
            )
        params = ctx.params.sentiment
        if ctx.text:
            return self._run_text(ctx.text, self._run_setup(params))
        if not ctx.inputs:
            raise AnalysisInputError("INPUT_MISSING", "give an inline text or one file to analyse")
        text_column = params.text_column or DEFAULT_TEXT_COLUMN
        with open_batch(ctx.inputs[0], text_column, MAX_INPUT_BYTES) as batch:
            return self._run_batch(ctx, batch, self._run_setup(params))

    def _run_setup(self, params: sentiment_pb2.SentimentParams) -> _Setup:
        model = self._models(params.model)
        learned = params.model != LEXICON
        span = trace.get_current_span()
        span.set_attribute("assay.sentiment.model", model.name)
        span.set_attribute("assay.sentiment.aspects", params.aspects)
        return _Setup(model, learned, params.aspects and learned)

    def _statistics(self, setup: _Setup) -> StatisticsAccumulator:
        labels = LEARNED_LABELS if setup.learned else LEXICON_LABELS
        return StatisticsAccumulator(setup.model.name, labels, calibrated=setup.learned)

    def _run_text(self, text: str, setup: _Setup) -> job_pb2.JobResult:
        if not text.strip():
            raise AnalysisInputError("TEXT_EMPTY", "the text is empty")
        if len(text) > MAX_TEXT_CHARS:
            raise AnalysisInputError(
                "TEXT_TOO_LONG",
                f"the text has {len(text)} characters; the limit is {MAX_TEXT_CHARS}",
            )
        outcome = setup.model.score_batch([text], aspects=setup.aspects)[0]
        stats = self._statistics(setup)
        if isinstance(outcome, Unscored):
            stats.add_skipped(outcome.reason)
            item = make_item(0, None, outcome.reason, outcome.language)
        else:
            stats.add_scored(outcome, 0, text)
            item = make_item(0, outcome, "")
        return _result(stats, [item], truncated=False)

    def _run_batch(self, ctx: RunContext, batch: Batch, setup: _Setup) -> job_pb2.JobResult:
        stats = self._statistics(setup)
        items: list[sentiment_pb2.SentimentItem] = []
        progress = _Progress(ctx, batch, self._progress_rows, self._progress_seconds)
        artifact_path = ctx.artifact_path(ARTIFACT_NAME, "text/csv")
        started = time.perf_counter()
        with ArtifactWriter(artifact_path, batch.columns, learned=setup.learned) as artifact:
            for chunk in _chunks(batch.rows, self._batch_rows):
                texts = [row.text for row in chunk if row.text is not None and not _skip_reason(row.text)]
                scored = iter(setup.model.score_batch(texts, aspects=setup.aspects) if texts else [])
                for row in chunk:
                    reason = _skip_reason(row.text)
                    outcome = None if reason else next(scored)
                    if isinstance(outcome, Unscored):
                        reason, language, scores = outcome.reason, outcome.language, None
                    else:
                        language, scores = "", outcome
                    if scores is None or row.text is None:
                        stats.add_skipped(reason)
                    else:
                        stats.add_scored(scores, row.number, row.text)
                    artifact.write(row.cells, scores, reason, language)
                    if len(items) < self._items_limit:
                        items.append(make_item(row.number, scores, reason, language))
                progress.rows_done(len(chunk), stats)
        if stats.rows_total == 0:
            raise AnalysisInputError("INPUT_EMPTY", "the file has no data rows")
        progress.finish(stats)
        elapsed = time.perf_counter() - started
        _ROWS.add(stats.rows_total, {"assay.sentiment.model": setup.model.name})
        ctx.logger.info(
            "sentiment scored %d of %d rows (%s) with %s in %.1f s",
            stats.rows_scored,
            stats.rows_total,
            batch.format.value,
            setup.model.name,
            elapsed,
        )
        return _result(stats, items, truncated=stats.rows_total > len(items))


@dataclass(frozen=True)
class _Setup:
    """The model of one run and what it is asked for."""

    model: SentimentModel
    learned: bool
    aspects: bool


def _chunks(rows: Iterator[Row], size: int) -> Iterator[list[Row]]:
    while chunk := list(itertools.islice(rows, size)):
        yield chunk


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

    def rows_done(self, count: int, stats: StatisticsAccumulator) -> None:
        self._rows += count
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
