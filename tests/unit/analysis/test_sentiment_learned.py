"""The learned sentiment model (the default): labels, calibration, MIXED, aspects, languages, batches."""

from __future__ import annotations

from pathlib import Path

import pytest
from fixtures.sentiment_jobs import run_csv

from assay.analysis.analyzers.sentiment import (
    ANALYZER,
    LANGUAGE_UNSUPPORTED,
    FastModel,
    LearnedModel,
    Scores,
    TunedMiniLM,
    Unscored,
    learned_model,
    lexicon_model,
    model_for,
)
from assay.analysis.analyzers.sentiment._models import DEFAULT, LEARNED
from assay.analysis.testing import LocalRunContext
from assay.cli.params import parse_params
from assay.common.json_schema import params_schema
from assay.v1 import job_pb2, sentiment_pb2

POS = sentiment_pb2.SENTIMENT_LABEL_POSITIVE
NEG = sentiment_pb2.SENTIMENT_LABEL_NEGATIVE
NEU = sentiment_pb2.SENTIMENT_LABEL_NEUTRAL
MIX = sentiment_pb2.SENTIMENT_LABEL_MIXED

# Written for these tests: clearly polar review sentences, several of which VADER calls NEUTRAL
# (no lexicon word carries the complaint), and texts without polarity.
POSITIVE_REVIEWS = (
    "I love this product, it is wonderful!",
    "Works exactly as described and the battery lasts all day.",
    "Best purchase I have made this year, highly recommended.",
    "The staff were friendly and helpful.",
    "Arrived early and fits perfectly.",
)
NEGATIVE_REVIEWS = (
    "This is terrible, I hate it.",
    "It stopped working after two days.",
    "I want my money back.",
    "The battery died within a week and support never answered.",
    "Would not buy again.",
    "Waited an hour for cold food.",
)
NEUTRAL_TEXTS = (
    "The box is brown.",
    "The box contains two cables and a manual.",
    "I ordered the blue one.",
    "We stayed three nights in March.",
)


def fresh_model() -> LearnedModel:
    """A learned model without the per-text cache, so every call computes."""
    return learned_model(cache_entries=0)


def scored(outcome: Scores | Unscored) -> Scores:
    assert isinstance(outcome, Scores), outcome
    return outcome


def run_text(tmp_path: Path, text: str, **params: object) -> sentiment_pb2.SentimentResult:
    ctx = LocalRunContext(
        job_id="job-1",
        tenant_id="tenant-1",
        params=job_pb2.JobParams(sentiment=sentiment_pb2.SentimentParams(**params)),  # type: ignore[arg-type]
        work_dir=tmp_path,
        text=text,
    )
    return ANALYZER.run(ctx).sentiment


def test_the_learned_model_is_the_default() -> None:
    assert DEFAULT == LEARNED
    assert model_for(sentiment_pb2.SENTIMENT_MODEL_KIND_UNSPECIFIED) is model_for(LEARNED)
    assert model_for(LEARNED).name.startswith("learned:")


@pytest.mark.parametrize(
    ("texts", "label"),
    [(POSITIVE_REVIEWS, POS), (NEGATIVE_REVIEWS, NEG), (NEUTRAL_TEXTS, NEU)],
)
def test_clear_reviews_get_their_label(tmp_path: Path, texts: tuple[str, ...], label: int) -> None:
    result, _ = run_csv(tmp_path, list(texts))

    assert [item.label for item in result.items] == [label] * len(texts), [
        (t, sentiment_pb2.SentimentLabel.Name(i.label), round(i.confidence, 2))
        for t, i in zip(texts, result.items, strict=True)
    ]


def test_negative_complaints_without_lexicon_words_are_negative_where_vader_says_neutral() -> None:
    vader = lexicon_model()
    complaints = ["Would not buy again.", "Waited an hour for cold food."]

    assert [vader.score(t).label.name for t in complaints] == ["NEUTRAL", "NEUTRAL"]
    assert [scored(o).label.name for o in fresh_model().score_batch(complaints)] == ["NEGATIVE", "NEGATIVE"]


def test_confidence_is_the_probability_of_the_label_and_the_class_scores_sum_to_one(tmp_path: Path) -> None:
    result = run_text(tmp_path, "Works exactly as described and the battery lasts all day.")
    item = result.items[0]

    by_label = {score.label: score.score for score in item.class_scores}
    assert set(by_label) == {POS, NEG, NEU, MIX}
    assert sum(by_label.values()) == pytest.approx(1.0, abs=0.001)
    assert all(0.0 <= value <= 1.0 for value in by_label.values())
    assert item.confidence == pytest.approx(by_label[item.label])
    assert item.confidence == max(by_label.values())
    assert (item.scores.positive, item.scores.negative, item.scores.neutral) == (
        by_label[POS], by_label[NEG], by_label[NEU])
    assert item.scores.compound == pytest.approx(by_label[POS] - by_label[NEG], abs=0.001)
    assert item.language == "en"
    assert result.statistics.model == model_for(LEARNED).name


def test_both_paths_are_calibrated_by_a_fitted_temperature_and_the_gate_is_a_probability() -> None:
    transformer = TunedMiniLM.load()
    fast = FastModel.load()

    assert transformer is not None
    assert 0.5 <= transformer.temperature <= 3.0
    assert 0.5 <= fast.temperature <= 3.0
    assert 0.5 < fast.gate <= 1.01


def test_scores_are_deterministic_across_models_and_calls() -> None:
    texts = [*POSITIVE_REVIEWS, *NEGATIVE_REVIEWS, *NEUTRAL_TEXTS]

    first = fresh_model().score_batch(texts, aspects=True)
    second = fresh_model().score_batch(texts, aspects=True)

    assert first == second


def test_a_batch_agrees_with_scoring_each_text_alone() -> None:
    texts = [*POSITIVE_REVIEWS, *NEGATIVE_REVIEWS, *NEUTRAL_TEXTS, "Great screen, but the battery is awful."]
    model = fresh_model()

    together = [scored(o) for o in model.score_batch(texts)]
    alone = [scored(model.score_batch([text])[0]) for text in texts]

    assert [s.label for s in together] == [s.label for s in alone]
    for a, b in zip(together, alone, strict=True):
        # int8 activations are quantised per batch: scores may move in the third decimal.
        assert a.confidence == pytest.approx(b.confidence, abs=0.02)
        assert a.compound == pytest.approx(b.compound, abs=0.02)


def test_empty_whitespace_and_too_long_rows_are_skipped_and_512_characters_are_scored(tmp_path: Path) -> None:
    longest = ("Great value. " * 40)[:512]
    texts = ["I love it!", "", "   \t ", longest, longest + "!"]

    result, rows = run_csv(tmp_path, texts)

    assert [i.skip_reason for i in result.items] == ["", "EMPTY_TEXT", "EMPTY_TEXT", "", "TEXT_TOO_LONG"]
    assert [i.label for i in result.items] == [POS, 0, 0, POS, 0]
    assert result.statistics.rows_scored == 2
    assert {s.reason: s.count for s in result.statistics.skip_reasons} == {"EMPTY_TEXT": 2, "TEXT_TOO_LONG": 1}
    assert rows[0] == ["id", "text", "label", "positive", "negative", "neutral", "compound", "skip_reason",
                       "confidence", "mixed", "language", "aspects"]


def test_non_english_rows_get_a_language_status_and_english_rows_are_scored(tmp_path: Path) -> None:
    texts = [
        "This is terrible, I hate it.",
        "C'est vraiment nul, je déteste ce produit.",
        "Das ist ein tolles Produkt, ich bin sehr zufrieden.",
        "这个产品非常好，我很喜欢",
        "I love this product, it is wonderful!",
    ]

    result, rows = run_csv(tmp_path, texts)

    assert [(i.label, i.skip_reason, i.language) for i in result.items] == [
        (NEG, "", "en"),
        (0, LANGUAGE_UNSUPPORTED, "fr"),
        (0, LANGUAGE_UNSUPPORTED, "de"),
        (0, LANGUAGE_UNSUPPORTED, "zh"),
        (POS, "", "en"),
    ]
    assert {s.reason: s.count for s in result.statistics.skip_reasons} == {LANGUAGE_UNSUPPORTED: 3}
    assert rows[2][-5:] == [LANGUAGE_UNSUPPORTED, "", "", "fr", ""]


def test_a_non_english_inline_text_is_reported_not_scored(tmp_path: Path) -> None:
    result = run_text(tmp_path, "Muy mal producto, no lo recomiendo para nada.")

    assert result.items[0].skip_reason == LANGUAGE_UNSUPPORTED
    assert result.items[0].language == "es"
    assert result.statistics.rows_scored == 0


def test_short_texts_and_emoji_are_scored_not_refused_as_foreign() -> None:
    outcomes = fresh_model().score_batch(["Not bad", "meh", "😍😍😍", "I love it 😍", "Worst order ever 😡"])

    assert [scored(o).language for o in outcomes] == ["und", "und", "und", "en", "en"]
    labels = [scored(o).label.name for o in outcomes]
    assert labels[2:] == ["POSITIVE", "POSITIVE", "NEGATIVE"]


def test_a_mixed_text_gets_a_mixed_score_that_is_its_confidence_and_is_counted(tmp_path: Path) -> None:
    from assay.analysis.analyzers.sentiment import MixedRule, SentimentAnalyzer, _models

    transformer, fast, _ = _models._loaded()
    # The shipped rule keeps this text NEGATIVE (its whole is confidently negative, see
    # test_sentiment_cascade); without the whole-text condition its clauses make it MIXED.
    model = LearnedModel(transformer, fast, lexicon_model(), MixedRule(0.7, 1.01), cache_entries=0)
    ctx = LocalRunContext(
        job_id="job-1", tenant_id="tenant-1", params=job_pb2.JobParams(), work_dir=tmp_path,
        text="The screen is gorgeous, but the battery is terrible.",
    )
    result = SentimentAnalyzer(lambda _kind: model).run(ctx).sentiment
    item = result.items[0]

    assert item.label == MIX
    by_label = {score.label: score.score for score in item.class_scores}
    assert by_label[MIX] == pytest.approx(item.confidence)
    assert item.confidence >= 0.7
    assert sum(by_label.values()) == pytest.approx(1.0, abs=0.001)
    assert {c.label: c.count for c in result.statistics.label_counts}[MIX] == 1


def test_a_one_sided_text_is_not_mixed() -> None:
    outcomes = fresh_model().score_batch(["Great screen, great battery, great price."])

    assert scored(outcomes[0]).label.name == "POSITIVE"
    assert scored(outcomes[0]).mixed == 0.0


def test_aspects_get_the_polarity_of_their_own_clause(tmp_path: Path) -> None:
    result = run_text(tmp_path, "The battery is terrible but the delivery was fast and the price is great.",
                      aspects=True)
    aspects = {a.aspect: a for a in result.items[0].aspects}

    assert set(aspects) == {"battery", "delivery", "price"}
    assert aspects["battery"].label == NEG
    assert aspects["battery"].term == "battery" and "battery" in aspects["battery"].clause
    assert aspects["delivery"].label == POS
    assert aspects["price"].label == POS
    assert all(0.5 <= a.confidence <= 1.0 for a in aspects.values())
    counts = {c.aspect: (c.positive, c.negative, c.neutral) for c in result.statistics.aspect_counts}
    assert counts == {"battery": (0, 1, 0), "delivery": (1, 0, 0), "price": (1, 0, 0)}


def test_aspects_are_left_out_unless_asked_for(tmp_path: Path) -> None:
    result = run_text(tmp_path, "The battery is terrible.")

    assert list(result.items[0].aspects) == []
    assert list(result.statistics.aspect_counts) == []


def test_batch_statistics_have_a_confidence_histogram_and_the_extreme_rows(tmp_path: Path) -> None:
    texts = [*POSITIVE_REVIEWS, *NEGATIVE_REVIEWS, *NEUTRAL_TEXTS]

    result, _ = run_csv(tmp_path, texts)
    stats = result.statistics

    histogram = list(stats.confidence_histogram)
    assert [(b.lower, b.upper) for b in histogram] == [(i / 10, (i + 1) / 10) for i in range(10)]
    assert sum(b.count for b in histogram) == stats.rows_scored == len(texts)
    assert [c.label for c in stats.label_counts] == [POS, NEG, NEU, MIX]
    negative_rows = {i + 1 + len(POSITIVE_REVIEWS) for i in range(len(NEGATIVE_REVIEWS))}
    assert len(stats.most_negative) == len(stats.most_positive) == 5
    assert all(r.compound < 0 for r in stats.most_negative) and all(r.compound > 0 for r in stats.most_positive)
    assert [r.compound for r in stats.most_negative] == sorted(r.compound for r in stats.most_negative)
    assert stats.most_positive[0].row in set(range(1, len(POSITIVE_REVIEWS) + 1))
    assert stats.most_negative[0].row in negative_rows
    assert [r.compound for r in stats.most_positive] == sorted((r.compound for r in stats.most_positive), reverse=True)
    assert all(r.text == texts[r.row - 1] for r in [*stats.most_negative, *stats.most_positive])


def test_the_lexicon_model_is_selectable_and_keeps_its_shape(tmp_path: Path) -> None:
    result, rows = run_csv(tmp_path, ["I love it!", "Would not buy again."],
                           model=sentiment_pb2.SENTIMENT_MODEL_KIND_LEXICON)

    assert [i.label for i in result.items] == [POS, NEU]  # VADER, as before
    assert rows[0] == ["id", "text", "label", "positive", "negative", "neutral", "compound", "skip_reason"]
    assert all(i.confidence == 0.0 and not i.class_scores and not i.language for i in result.items)
    assert [c.label for c in result.statistics.label_counts] == [POS, NEG, NEU]
    assert result.statistics.model == "lexicon:vader"
    assert list(result.statistics.confidence_histogram) == []


def test_the_param_schema_and_the_cli_name_every_model() -> None:
    schema = params_schema(sentiment_pb2.SentimentParams.DESCRIPTOR)

    assert schema["properties"]["model"]["enum"] == [
        "SENTIMENT_MODEL_KIND_LEARNED", "SENTIMENT_MODEL_KIND_LEXICON", "SENTIMENT_MODEL_KIND_FAST"
    ]
    assert schema["properties"]["aspects"] == {"type": "boolean"}
    assert parse_params("sentiment", ["model=lexicon"]).sentiment.model == sentiment_pb2.SENTIMENT_MODEL_KIND_LEXICON
    assert parse_params("sentiment", ["model=learned"]).sentiment.model == sentiment_pb2.SENTIMENT_MODEL_KIND_LEARNED
    assert parse_params("sentiment", ["model=fast"]).sentiment.model == sentiment_pb2.SENTIMENT_MODEL_KIND_FAST


def test_a_missing_embedding_model_is_a_clear_error_naming_the_lexicon_fallback(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from assay.analysis.analyzers.sentiment import ModelUnavailableError, _models

    _models._learned.cache_clear()
    monkeypatch.setattr(_models, "bundled_model_path", lambda: None)
    try:
        with pytest.raises(ModelUnavailableError, match="model=lexicon"):
            model_for(LEARNED)
        assert model_for(sentiment_pb2.SENTIMENT_MODEL_KIND_LEXICON) is lexicon_model()
    finally:
        _models._learned.cache_clear()


def test_rest_json_selects_either_model_and_names_a_wrong_one_by_its_path() -> None:
    from assay.gateway.json import JsonFieldError, from_json
    from assay.v1 import jobs_service_pb2

    params = {"sentiment": {"model": "SENTIMENT_MODEL_KIND_LEXICON", "aspects": True}}
    body: dict[str, object] = {"analyzer": "sentiment", "params": params, "inputs": {"text": "Great!"}}
    request = from_json(body, jobs_service_pb2.CreateJobRequest())
    assert request.params.sentiment.model == sentiment_pb2.SENTIMENT_MODEL_KIND_LEXICON
    assert request.params.sentiment.aspects
    body["params"] = {"sentiment": {"model": "SENTIMENT_MODEL_KIND_FAST"}}
    assert from_json(body, jobs_service_pb2.CreateJobRequest()).params.sentiment.model == (
        sentiment_pb2.SENTIMENT_MODEL_KIND_FAST)

    body["params"] = {"sentiment": {"model": "bert"}}
    with pytest.raises(JsonFieldError) as refused:
        from_json(body, jobs_service_pb2.CreateJobRequest())
    assert refused.value.violation.field == "params.sentiment.model"
