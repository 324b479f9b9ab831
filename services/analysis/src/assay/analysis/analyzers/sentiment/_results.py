"""Builds the SentimentResult protobuf messages: per-row items and running statistics."""

from __future__ import annotations

import heapq
from collections import Counter

from assay.analysis.analyzers.sentiment._model import Label, Scores
from assay.v1 import sentiment_pb2

_PROTO_LABELS = {
    Label.POSITIVE: sentiment_pb2.SENTIMENT_LABEL_POSITIVE,
    Label.NEGATIVE: sentiment_pb2.SENTIMENT_LABEL_NEGATIVE,
    Label.NEUTRAL: sentiment_pb2.SENTIMENT_LABEL_NEUTRAL,
    Label.MIXED: sentiment_pb2.SENTIMENT_LABEL_MIXED,
}
LEXICON_LABELS = (Label.POSITIVE, Label.NEGATIVE, Label.NEUTRAL)
"""The labels the lexicon assigns (and its statistics list)."""
LEARNED_LABELS = (Label.POSITIVE, Label.NEGATIVE, Label.NEUTRAL, Label.MIXED)
"""The labels the learned model assigns (and its statistics list)."""
EXTREME_ROWS = 5
"""How many most negative and most positive rows the statistics name."""
HISTOGRAM_BINS = 10


def make_item(row: int, scores: Scores | None, skip_reason: str, language: str = "") -> sentiment_pb2.SentimentItem:
    """One row's outcome: its label and scores, or why it was skipped."""
    if scores is None:
        return sentiment_pb2.SentimentItem(row=row, skip_reason=skip_reason, language=language)
    item = sentiment_pb2.SentimentItem(
        row=row,
        label=_PROTO_LABELS[scores.label],
        scores=sentiment_pb2.SentimentScores(
            positive=scores.positive,
            negative=scores.negative,
            neutral=scores.neutral,
            compound=scores.compound,
        ),
    )
    if scores.assigned is not None:  # the learned model's extra outputs
        item.confidence = scores.confidence
        item.language = scores.language
        item.class_scores.extend(
            sentiment_pb2.SentimentClassScore(label=_PROTO_LABELS[label], score=value)
            for label, value in zip(
                LEARNED_LABELS, (scores.positive, scores.negative, scores.neutral, scores.mixed), strict=True
            )
        )
        item.aspects.extend(
            sentiment_pb2.SentimentAspect(
                aspect=a.aspect, term=a.term, label=_PROTO_LABELS[a.label], confidence=a.confidence, clause=a.clause
            )
            for a in scores.aspects
        )
    return item


class StatisticsAccumulator:
    """Running totals over the rows read so far; constant memory whatever the row count.

    Args:
        model: the model's name, recorded in the statistics.
        labels: the labels the model assigns, each listed in ``label_counts``.
        calibrated: whether the model gives a confidence (then the histogram is kept).
    """

    def __init__(
        self, model: str = "", labels: tuple[Label, ...] = LEXICON_LABELS, *, calibrated: bool = False
    ) -> None:
        self.rows_total = 0
        self.rows_scored = 0
        self._model = model
        self._label_order = labels
        self._calibrated = calibrated
        self._labels: Counter[Label] = Counter()
        self._compound_sum = 0.0
        self._skips: Counter[str] = Counter()
        self._histogram = [0] * HISTOGRAM_BINS
        # Min-heaps of (key, -row, text): the smallest key is dropped first, earlier rows win ties.
        self._lowest: list[tuple[float, int, str]] = []
        self._highest: list[tuple[float, int, str]] = []
        self._aspects: dict[str, Counter[Label]] = {}

    def add_scored(self, scores: Scores, row: int = 0, text: str = "") -> None:
        self.rows_total += 1
        self.rows_scored += 1
        self._labels[scores.label] += 1
        self._compound_sum += scores.compound
        if self._calibrated:
            self._histogram[min(HISTOGRAM_BINS - 1, int(scores.confidence * HISTOGRAM_BINS))] += 1
        if scores.compound < 0:
            _keep(self._lowest, (-scores.compound, -row, text))
        elif scores.compound > 0:
            _keep(self._highest, (scores.compound, -row, text))
        for aspect in scores.aspects:
            self._aspects.setdefault(aspect.aspect, Counter())[aspect.label] += 1

    def add_skipped(self, reason: str) -> None:
        self.rows_total += 1
        self._skips[reason] += 1

    def to_proto(self) -> sentiment_pb2.SentimentStatistics:
        """The statistics so far; every label is listed, skip reasons by count then name."""
        scored = self.rows_scored
        stats = sentiment_pb2.SentimentStatistics(
            rows_total=self.rows_total,
            rows_scored=scored,
            rows_skipped=self.rows_total - scored,
            label_counts=[
                sentiment_pb2.SentimentLabelCount(
                    label=_PROTO_LABELS[label],
                    count=self._labels[label],
                    percentage=round(100.0 * self._labels[label] / scored, 2) if scored else 0.0,
                )
                for label in self._label_order
            ],
            mean_compound=round(self._compound_sum / scored, 4) if scored else 0.0,
            skip_reasons=[
                sentiment_pb2.SentimentSkipCount(reason=reason, count=count)
                for reason, count in sorted(self._skips.items(), key=lambda kv: (-kv[1], kv[0]))
            ],
            model=self._model,
            most_negative=[
                sentiment_pb2.SentimentRowRef(row=-neg_row, compound=-key, text=text)
                for key, neg_row, text in sorted(self._lowest, reverse=True)
            ],
            most_positive=[
                sentiment_pb2.SentimentRowRef(row=-neg_row, compound=key, text=text)
                for key, neg_row, text in sorted(self._highest, reverse=True)
            ],
            aspect_counts=[
                sentiment_pb2.SentimentAspectCount(
                    aspect=name,
                    positive=counts[Label.POSITIVE],
                    negative=counts[Label.NEGATIVE],
                    neutral=counts[Label.NEUTRAL],
                )
                for name, counts in sorted(self._aspects.items(), key=lambda kv: (-kv[1].total(), kv[0]))
            ],
        )
        if self._calibrated:
            stats.confidence_histogram.extend(
                sentiment_pb2.SentimentConfidenceBin(
                    lower=i / HISTOGRAM_BINS, upper=(i + 1) / HISTOGRAM_BINS, count=count
                )
                for i, count in enumerate(self._histogram)
            )
        return stats


def _keep(heap: list[tuple[float, int, str]], entry: tuple[float, int, str]) -> None:
    if len(heap) < EXTREME_ROWS:
        heapq.heappush(heap, entry)
    elif entry > heap[0]:
        heapq.heapreplace(heap, entry)
