"""Builds the SentimentResult protobuf messages: per-row items and running statistics."""

from __future__ import annotations

from collections import Counter

from assay.analysis.analyzers.sentiment._model import Label, Scores
from assay.v1 import sentiment_pb2

_PROTO_LABELS = {
    Label.POSITIVE: sentiment_pb2.SENTIMENT_LABEL_POSITIVE,
    Label.NEGATIVE: sentiment_pb2.SENTIMENT_LABEL_NEGATIVE,
    Label.NEUTRAL: sentiment_pb2.SENTIMENT_LABEL_NEUTRAL,
}


def make_item(row: int, scores: Scores | None, skip_reason: str) -> sentiment_pb2.SentimentItem:
    """One row's outcome: its label and scores, or why it was skipped."""
    if scores is None:
        return sentiment_pb2.SentimentItem(row=row, skip_reason=skip_reason)
    return sentiment_pb2.SentimentItem(
        row=row,
        label=_PROTO_LABELS[scores.label],
        scores=sentiment_pb2.SentimentScores(
            positive=scores.positive,
            negative=scores.negative,
            neutral=scores.neutral,
            compound=scores.compound,
        ),
    )


class StatisticsAccumulator:
    """Running totals over the rows read so far; constant memory whatever the row count."""

    def __init__(self) -> None:
        self.rows_total = 0
        self.rows_scored = 0
        self._labels: Counter[Label] = Counter()
        self._compound_sum = 0.0
        self._skips: Counter[str] = Counter()

    def add_scored(self, scores: Scores) -> None:
        self.rows_total += 1
        self.rows_scored += 1
        self._labels[scores.label] += 1
        self._compound_sum += scores.compound

    def add_skipped(self, reason: str) -> None:
        self.rows_total += 1
        self._skips[reason] += 1

    def to_proto(self) -> sentiment_pb2.SentimentStatistics:
        """The statistics so far; every label is listed, skip reasons by count then name."""
        scored = self.rows_scored
        return sentiment_pb2.SentimentStatistics(
            rows_total=self.rows_total,
            rows_scored=scored,
            rows_skipped=self.rows_total - scored,
            label_counts=[
                sentiment_pb2.SentimentLabelCount(
                    label=proto_label,
                    count=self._labels[label],
                    percentage=round(100.0 * self._labels[label] / scored, 2) if scored else 0.0,
                )
                for label, proto_label in _PROTO_LABELS.items()
            ],
            mean_compound=round(self._compound_sum / scored, 4) if scored else 0.0,
            skip_reasons=[
                sentiment_pb2.SentimentSkipCount(reason=reason, count=count)
                for reason, count in sorted(self._skips.items(), key=lambda kv: (-kv[1], kv[0]))
            ],
        )
