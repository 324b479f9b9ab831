"""Inline texts and the model interface of the sentiment analyzer, on the lexicon model (VADER)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pytest

from assay.analysis.analyzers.sentiment import (
    ANALYZER,
    Label,
    Scores,
    SentimentAnalyzer,
    Unscored,
    label_for,
    lexicon_model,
)
from assay.analysis.plugin import AnalysisInputError
from assay.analysis.testing import LocalRunContext
from assay.v1 import job_pb2, sentiment_pb2


def run_text(tmp_path: Path, text: str, analyzer: SentimentAnalyzer = ANALYZER) -> job_pb2.JobResult:
    ctx = LocalRunContext(
        job_id="job-1",
        tenant_id="tenant-1",
        params=job_pb2.JobParams(
            sentiment=sentiment_pb2.SentimentParams(model=sentiment_pb2.SENTIMENT_MODEL_KIND_LEXICON)
        ),
        work_dir=tmp_path,
        text=text,
    )
    return analyzer.run(ctx)


@pytest.mark.parametrize(
    ("text", "label"),
    [
        ("I love this product, it is wonderful!", sentiment_pb2.SENTIMENT_LABEL_POSITIVE),
        ("This is terrible, I hate it.", sentiment_pb2.SENTIMENT_LABEL_NEGATIVE),
        ("The package arrived on Tuesday.", sentiment_pb2.SENTIMENT_LABEL_NEUTRAL),
    ],
)
def test_an_unambiguous_text_gets_its_label_and_scores(
    tmp_path: Path, text: str, label: sentiment_pb2.SentimentLabel.ValueType
) -> None:
    result = run_text(tmp_path, text).sentiment

    assert len(result.items) == 1
    item = result.items[0]
    assert item.row == 0
    assert item.label == label
    assert item.skip_reason == ""
    scores = item.scores
    assert scores.positive + scores.negative + scores.neutral == pytest.approx(1.0, abs=0.01)
    assert -1.0 <= scores.compound <= 1.0
    assert result.statistics.rows_total == 1
    assert result.statistics.rows_scored == 1
    assert result.statistics.mean_compound == pytest.approx(scores.compound)
    assert not result.items_truncated


def test_inline_text_statistics_list_every_label(tmp_path: Path) -> None:
    stats = run_text(tmp_path, "Absolutely fantastic service!").sentiment.statistics

    by_label = {c.label: (c.count, c.percentage) for c in stats.label_counts}
    assert by_label == {
        sentiment_pb2.SENTIMENT_LABEL_POSITIVE: (1, 100.0),
        sentiment_pb2.SENTIMENT_LABEL_NEGATIVE: (0, 0.0),
        sentiment_pb2.SENTIMENT_LABEL_NEUTRAL: (0, 0.0),
    }


def test_inline_text_of_exactly_512_characters_is_scored(tmp_path: Path) -> None:
    text = ("good " * 103)[:512]

    result = run_text(tmp_path, text).sentiment

    assert result.items[0].label == sentiment_pb2.SENTIMENT_LABEL_POSITIVE


def test_inline_text_over_512_characters_is_refused_as_too_long(tmp_path: Path) -> None:
    with pytest.raises(AnalysisInputError) as info:
        run_text(tmp_path, "a" * 513)

    assert info.value.code == "TEXT_TOO_LONG"
    assert "513" in info.value.message and "512" in info.value.message


def test_blank_inline_text_is_refused_as_empty(tmp_path: Path) -> None:
    with pytest.raises(AnalysisInputError) as info:
        run_text(tmp_path, "  \n\t ")

    assert info.value.code == "TEXT_EMPTY"


def test_inline_text_writes_no_artifact(tmp_path: Path) -> None:
    ctx = LocalRunContext(job_id="j", tenant_id="t", params=job_pb2.JobParams(), work_dir=tmp_path, text="Great!")

    ANALYZER.run(ctx)

    assert ctx.artifacts == []


@pytest.mark.parametrize(
    ("compound", "label"),
    [
        (0.05, Label.POSITIVE),
        (0.0499, Label.NEUTRAL),
        (0.0, Label.NEUTRAL),
        (-0.0499, Label.NEUTRAL),
        (-0.05, Label.NEGATIVE),
    ],
)
def test_labels_follow_the_standard_vader_thresholds(compound: float, label: Label) -> None:
    assert label_for(compound) is label


def test_the_lexicon_model_is_built_once_per_process() -> None:
    assert lexicon_model() is lexicon_model()


class _ConstantModel:
    name = "constant"

    def __init__(self) -> None:
        self.texts: list[str] = []

    def score(self, text: str) -> Scores:
        self.texts.append(text)
        return Scores(positive=0.0, negative=1.0, neutral=0.0, compound=-0.9)

    def score_batch(self, texts: Sequence[str], *, aspects: bool = False) -> list[Scores | Unscored]:
        return [self.score(text) for text in texts]


def test_another_model_can_be_configured(tmp_path: Path) -> None:
    model = _ConstantModel()
    analyzer = SentimentAnalyzer(lambda kind: model)

    result = run_text(tmp_path, "I love it", analyzer).sentiment

    assert model.texts == ["I love it"]
    assert result.items[0].label == sentiment_pb2.SENTIMENT_LABEL_NEGATIVE
    assert result.items[0].scores.compound == pytest.approx(-0.9)


def test_the_plugin_spec_describes_the_limits() -> None:
    spec = ANALYZER.spec

    assert spec.name == "sentiment"
    assert spec.version == "1.5.0"
    assert spec.accepts_text
    assert spec.max_text_chars == 512
    assert spec.max_input_bytes == 10 * 1024 * 1024
    assert spec.time_limit_seconds == 1800
    assert {"text/csv", "application/json", "application/x-ndjson"} <= set(spec.accepted_media_types)
